"""Settings from the environment (and a .env file), one place for every process."""

import os
import secrets
import shutil
import sys
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    temporal_address: str = Field("localhost:7233", validation_alias="TEMPORAL_ADDRESS")
    temporal_namespace: str = Field("default", validation_alias="TEMPORAL_NAMESPACE")
    task_queue: str = Field("baton", validation_alias="BATON_TASK_QUEUE")
    temporal_ui_url: str = Field("http://localhost:8233", validation_alias="TEMPORAL_UI_URL")
    # mTLS to Temporal's frontend (production): PEM files of the client's certificate
    # and key, and of the CA that signed the server's certificate.
    temporal_tls_cert: Path | None = Field(None, validation_alias="TEMPORAL_TLS_CERT")
    temporal_tls_key: Path | None = Field(None, validation_alias="TEMPORAL_TLS_KEY")
    temporal_tls_ca: Path | None = Field(None, validation_alias="TEMPORAL_TLS_CA")
    home: Path = Field(Path(".baton"), validation_alias="BATON_HOME")
    database_url: str | None = Field(None, validation_alias="DATABASE_URL")
    dev_port: int = Field(7233, validation_alias="BATON_TEMPORAL_PORT")
    dev_ui_port: int = Field(8233, validation_alias="BATON_TEMPORAL_UI_PORT")
    api_port: int = Field(8000, validation_alias="BATON_API_PORT")
    # Where people reach the dashboard (message links, the calendar feed); by default
    # this machine's API port.
    public_url: str = Field("", validation_alias="BATON_PUBLIC_URL")
    secret_key: str | None = Field(None, validation_alias="BATON_SECRET_KEY")
    sendgrid_api_key: str | None = Field(None, validation_alias="SENDGRID_API_KEY")
    sendgrid_host: str = Field("https://api.sendgrid.com", validation_alias="SENDGRID_HOST")
    email_from: str = Field("Baton <baton@localhost>", validation_alias="BATON_EMAIL_FROM")
    slack_bot_token: str | None = Field(None, validation_alias="SLACK_BOT_TOKEN")
    slack_api_url: str = Field("https://slack.com/api/", validation_alias="SLACK_API_URL")
    # A local demo (`baton dev --demo`): /demo/mailbox shows everyone's newest messages,
    # sign-in links among them, to anyone who opens it. Never on a shared server.
    demo_mailbox: bool = Field(False, validation_alias="BATON_DEMO_MAILBOX")

    @model_validator(mode="after")
    def _public_url_on_the_api_port(self) -> "Settings":
        if not self.public_url:
            self.public_url = f"http://localhost:{self.api_port}"
        return self

    @property
    def channels(self) -> set[str]:
        """The delivery channels configured besides the mailbox."""
        configured = set()
        if self.sendgrid_api_key:
            configured.add("email")
        if self.slack_bot_token:
            configured.add("slack")
        return configured

    def secret(self) -> bytes:
        """The key that signs one-click links: BATON_SECRET_KEY, or one made once and kept
        in the Baton home (readable by its owner only)."""
        if self.secret_key:
            return self.secret_key.encode()
        path = self.home / "secret.key"
        if not path.exists():
            private_dir(self.home)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as file:
                file.write(secrets.token_urlsafe(32))
        return path.read_text().strip().encode()

    def workflow_url(self, workflow_id: str) -> str:
        """Where a project's run is in the Temporal Web UI."""
        base = self.temporal_ui_url.rstrip("/")
        return f"{base}/namespaces/{self.temporal_namespace}/workflows/{workflow_id}"


def private_dir(path: Path) -> Path:
    """A directory of Baton's own (the home, its logs), created readable by its owner
    only: it keeps the link secret, the tokens, the database password and logs."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def private_file(path: Path, mode: str = "w"):
    """Open a file of Baton's own (a log, a secret), created readable by its owner only."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if "a" in mode else os.O_TRUNC)
    if "b" in mode:
        return os.fdopen(os.open(path, flags, 0o600), mode)
    return os.fdopen(os.open(path, flags, 0o600), mode, encoding="utf-8", errors="backslashreplace")


def installed_binary(name: str) -> str | None:
    """A program installed with Baton's packages (temporal, temporal-test-server), found
    on PATH or beside the running Python when the virtualenv is not activated."""
    beside = Path(sys.executable).parent / name
    return shutil.which(name) or (str(beside) if beside.exists() else None)
