"""The worker process: connects to Temporal, registers the workflow and activities,
runs until SIGINT/SIGTERM, then shuts down gracefully (in-flight work finishes)."""

import asyncio
import logging
import signal

from psycopg_pool import AsyncConnectionPool
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Worker

from activities.catalog import Catalog
from activities.messages import LinkSigner
from activities.postgres import PostgresCatalog, PostgresRecorder
from activities.project import ProjectActivities
from activities.recorders import Recorder
from baton.config import Settings
from baton.notify.channels import EmailChannel, SlackChannel
from baton.store.database import database_url, open_pool
from baton.store.migrate import migrate
from workers.sandbox import workflow_runner
from workers.sender import OutboxSender
from workflows.project import SEARCH_ATTRIBUTES, MarketingProject
from workflows.recurring import RecurringProject

_INDEXED_TYPES = {
    "KEYWORD": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "KEYWORD_LIST": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
    "DATETIME": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    "BOOL": IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
}


async def connect(settings: Settings) -> Client:
    try:
        return await Client.connect(
            settings.temporal_address,
            namespace=settings.temporal_namespace,
            data_converter=pydantic_data_converter,
        )
    except RuntimeError as error:
        raise ConnectionError(
            f"cannot reach Temporal at {settings.temporal_address} ({error}); start it with "
            "`baton dev`, or set TEMPORAL_ADDRESS"
        ) from None


def search_attribute_flags() -> list[str]:
    """`temporal server start-dev` flags registering Baton's search attributes."""
    names = {"KEYWORD": "Keyword", "KEYWORD_LIST": "KeywordList", "DATETIME": "Datetime"}
    names["BOOL"] = "Bool"
    flags = []
    for key in SEARCH_ATTRIBUTES:
        flags += ["--search-attribute", f"{key.name}={names[key.indexed_value_type.name]}"]
    return flags


async def ensure_search_attributes(client: Client, namespace: str) -> None:
    """Register Baton's search attributes where they are missing (a server started
    without the flags, the time-skipping test server)."""
    try:
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace)
        )
        known = set(listed.custom_attributes)
    except RPCError as error:  # the time-skipping server can add but not list them
        if error.status != RPCStatusCode.UNIMPLEMENTED:
            raise
        known = set()
    missing = {
        key.name: _INDEXED_TYPES[key.indexed_value_type.name]
        for key in SEARCH_ATTRIBUTES
        if key.name not in known
    }
    if missing:
        try:
            await client.operator_service.add_search_attributes(
                AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
            )
        except RPCError as error:
            if error.status != RPCStatusCode.ALREADY_EXISTS:
                raise


def build_worker(
    client: Client, task_queue: str, catalog: Catalog, recorder: Recorder, **options
) -> Worker:
    activities = ProjectActivities(catalog, recorder)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[MarketingProject, RecurringProject],
        activities=activities.all,
        **{"workflow_runner": workflow_runner(), **options},
    )


async def open_store(settings: Settings) -> AsyncConnectionPool:
    """The PostgreSQL pool, its schema brought up to date (safe in every process)."""
    pool = await open_pool(await asyncio.to_thread(database_url, settings))
    await migrate(pool)
    return pool


def build_sender(settings: Settings, pool: AsyncConnectionPool) -> OutboxSender:
    email = slack = None
    if settings.sendgrid_api_key:
        email = EmailChannel(settings.sendgrid_api_key, settings.sendgrid_host, settings.email_from)
    if settings.slack_bot_token:
        slack = SlackChannel(settings.slack_bot_token, settings.slack_api_url)
    return OutboxSender(pool, email, slack)


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """The `baton worker` process: until `stop` is set or SIGINT/SIGTERM arrives."""
    client = await connect(settings)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    pool = await open_store(settings)
    try:
        await serve(settings, client, pool, stop)
    finally:
        await pool.close()


async def serve(settings: Settings, client: Client, pool: AsyncConnectionPool, stop) -> None:
    """Run the worker and the outbox sender until `stop` is set; in-flight work finishes."""
    try:
        await ensure_search_attributes(client, settings.temporal_namespace)
    except Exception as error:  # a namespace we may not administer: say so, go on
        logging.warning("could not check Baton's search attributes: %s", error)
    signer = LinkSigner(secret=settings.secret(), public_url=settings.public_url)
    recorder = PostgresRecorder(pool, signer, settings.channels)
    worker = build_worker(client, settings.task_queue, PostgresCatalog(pool), recorder)
    sender = build_sender(settings, pool)
    async with worker:
        await asyncio.gather(stop.wait(), sender.run(stop))
