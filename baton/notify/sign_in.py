"""The sign-in link message ("Email me a sign-in link"): who it is for, the link, that it
works once and expires soon, and what to do when you did not ask for it. Rendered from
`templates/sign_in.txt` and `sign_in.html` like every message, but about no project,
so its HTML extends the frame every message shares (`_frame.html`), not `_layout`."""

from datetime import datetime, timedelta

from baton.notify.render import Link, Rendered, _environment
from baton.people import Person
from baton.wording import when

SUBJECT = "Your Baton sign-in link"


def render_sign_in(person: Person, url: str, expires_at: datetime, lifetime: timedelta) -> Rendered:
    """The message carrying `url`, a link signing `person` in until `expires_at`."""
    links = [Link(label="Sign in to Baton", url=url, style="primary")]
    view = {
        "subject": SUBJECT,
        "me": person.display_name,
        "person_id": person.id,
        "url": url,
        "minutes": int(lifetime.total_seconds() // 60),
        "until": when(expires_at, person.timezone),
        "links": links,
    }
    env = _environment()
    return Rendered(
        subject=SUBJECT,
        text=env.get_template("sign_in.txt").render(view),
        html=env.get_template("sign_in.html").render(view),
        links=links,
    )
