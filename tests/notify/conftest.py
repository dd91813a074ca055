"""The fake SendGrid and Slack servers, as fixtures for the notification tests."""

from tests.fakes import sendgrid_server, slack_server

__all__ = ["sendgrid_server", "slack_server"]
