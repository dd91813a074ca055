"""`baton doctor`'s checks of the configuration itself: the settings can be read, the
providers, and the links messages carry."""

import re
from ipaddress import ip_address
from urllib.parse import urlsplit

from pydantic import ValidationError

from baton.config import Settings
from baton.errors import field_problems
from starters.client.doctor.checks import (
    Check,
    ok,
    problem,
    warning,
)


def read_settings() -> tuple[Settings | None, Check]:
    try:
        settings = Settings()
    except ValidationError as error:
        problems = "; ".join(str(p) for p in field_problems(error))
        return None, problem(
            "settings",
            f"the environment (or .env) has a setting Baton cannot use: {problems}",
            "correct that variable (see the settings in README.md) and run `baton doctor` again",
        )
    return settings, settings_found(settings)


def settings_found(settings: Settings) -> Check:
    return ok(
        "settings",
        f"task queue '{settings.task_queue}' in namespace '{settings.temporal_namespace}', "
        f"home {settings.home}",
    )


def providers_check(settings: Settings) -> Check:
    """Which providers carry messages besides the mailbox; their settings' sanity."""
    channels = []
    if settings.sendgrid_api_key:
        channels.append(f"email via SendGrid at {_host(settings.sendgrid_host)}")
    if settings.slack_bot_token:
        channels.append(f"Slack at {_host(settings.slack_api_url)}")
    for name, url in (
        ("SENDGRID_HOST", settings.sendgrid_host),
        ("SLACK_API_URL", settings.slack_api_url),
    ):
        if not _is_url(url):
            return problem(
                "providers", f"{name} '{url}' is not an http(s) URL", f"correct {name}, or unset it"
            )
    if not channels:
        return warning(
            "providers",
            "mailbox only: messages go to each person's mailbox (the dashboard, `baton inbox "
            "PERSON`); nobody is emailed or sent a Slack message",
            "fine for a trial; to notify people, set SENDGRID_API_KEY (email, from "
            "BATON_EMAIL_FROM) and/or SLACK_BOT_TOKEN",
        )
    detail = ", ".join(channels) + ", and every message in the mailbox"
    if _real_email(settings) and _email_address(settings.email_from).endswith("@localhost"):
        return warning(
            "providers",
            f"{detail}; but mail is sent from '{settings.email_from}'",
            "set BATON_EMAIL_FROM to a sender verified in SendGrid, e.g. "
            "'Baton <baton@example.com>' (SendGrid refuses unverified senders)",
        )
    if _real_slack(settings) and not settings.slack_bot_token.startswith("xoxb-"):
        return warning(
            "providers",
            f"{detail}; but SLACK_BOT_TOKEN is not a bot token (xoxb-…)",
            "set SLACK_BOT_TOKEN to the app's Bot User OAuth Token (starts with xoxb-)",
        )
    return ok("providers", detail)


def links_check(settings: Settings) -> Check:
    """BATON_PUBLIC_URL (where message links lead) and BATON_SECRET_KEY (what signs them)."""
    url = settings.public_url
    if not _is_url(url):
        return problem(
            "links",
            f"BATON_PUBLIC_URL '{url}' is not an http(s) URL: message links would not open",
            "set BATON_PUBLIC_URL to where people reach the dashboard, e.g. "
            "https://baton.example.com",
        )
    real = _real_email(settings) or _real_slack(settings)
    if real and _is_local(url):
        return warning(
            "links",
            f"messages go to real inboxes but their links lead to {url}: on this machine only",
            "set BATON_PUBLIC_URL to where people reach the dashboard, e.g. "
            "https://baton.example.com",
        )
    if real and urlsplit(url).scheme == "http":
        return warning(
            "links",
            f"links lead to {url} over plain http: the one-click links' tokens travel in clear",
            "serve the dashboard over https and set BATON_PUBLIC_URL to the https address",
        )
    if settings.secret_key is not None and len(settings.secret_key) < 16:
        return warning(
            "links",
            f"BATON_SECRET_KEY is {len(settings.secret_key)} characters: easy to guess",
            "set BATON_SECRET_KEY to a long random value: "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`",
        )
    if real and settings.secret_key is None:
        return warning(
            "links",
            f"links lead to {url}, signed with a key kept in {settings.home / 'secret.key'}: "
            "each machine makes its own",
            "on more than one machine, set BATON_SECRET_KEY to the same long random value "
            "everywhere (`python -c 'import secrets; print(secrets.token_urlsafe(32))'`)",
        )
    signed = "BATON_SECRET_KEY" if settings.secret_key else settings.home / "secret.key"
    return ok("links", f"lead to {url}, signed with {signed}")


def _real_email(settings: Settings) -> bool:
    """Mail to people's real inboxes (not a local test server)."""
    return bool(settings.sendgrid_api_key) and not _is_local(settings.sendgrid_host)


def _real_slack(settings: Settings) -> bool:
    return bool(settings.slack_bot_token) and not _is_local(settings.slack_api_url)


def _is_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


def _is_local(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _email_address(sender: str) -> str:
    found = re.search(r"<([^>]*)>", sender)
    return (found.group(1) if found else sender).strip().lower()
