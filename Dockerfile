# Baton's image: one image for every Baton service of docker-compose.yml; the command
# picks the service (`worker --no-sender`, `sender`, `api --host 0.0.0.0`, `db migrate`)
# and the environment configures it (the variables of baton/config.py).
#   docker build -t baton .
#   docker run --rm baton --help
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The dependencies first, from pyproject.toml alone: a change to the source reuses this
# layer. Everything comes from PyPI at build time; nothing downloads at run time.
COPY pyproject.toml /src/
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('/src/pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# Then Baton itself, from this source tree (not editable, no dev extras).
COPY README.md /src/
COPY baton /src/baton
COPY workflows /src/workflows
COPY activities /src/activities
COPY workers /src/workers
COPY starters /src/starters
COPY playbooks /src/playbooks
RUN pip install --no-deps /src && rm -rf /src

# Not root: a user of its own. Its home is the working directory, so Baton's home
# (.baton/: the traceback of an internal error, under logs/) is /home/baton/.baton.
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin baton
USER baton
WORKDIR /home/baton

EXPOSE 8000
ENTRYPOINT ["baton"]
CMD ["--help"]
