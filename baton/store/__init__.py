"""PostgreSQL beside Temporal: people, playbook versions, the project index, step events
and the notification outbox (DESIGN.md section 5). No Temporal code here."""

from baton.store.database import database_url, embedded_url, open_pool, stop_embedded
from baton.store.events import EventRepo, EventRow, insert_events
from baton.store.migrate import MigrationError, migrate
from baton.store.outbox import OutboxMessage, OutboxRepo, OutboxRow, insert_messages
from baton.store.people import PeopleRepo
from baton.store.playbooks import PlaybookRepo, content_hash
from baton.store.projects import ProjectRepo, ProjectRow

__all__ = [
    "EventRepo",
    "EventRow",
    "MigrationError",
    "OutboxMessage",
    "OutboxRepo",
    "OutboxRow",
    "PeopleRepo",
    "PlaybookRepo",
    "ProjectRepo",
    "ProjectRow",
    "content_hash",
    "database_url",
    "embedded_url",
    "insert_events",
    "insert_messages",
    "migrate",
    "open_pool",
    "stop_embedded",
]
