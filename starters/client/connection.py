"""Connecting to Temporal, and Baton's search attributes on the server."""

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import (
    Client,
)
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError, RPCStatusCode, TLSConfig

from baton import contract
from baton.config import Settings
from baton.errors import Invalid, Unavailable


async def connect(settings: Settings) -> Client:
    """A client of the Temporal frontend the settings name, speaking pydantic (over mTLS
    when TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY are set)."""
    try:
        return await Client.connect(
            settings.temporal_address,
            namespace=settings.temporal_namespace,
            data_converter=pydantic_data_converter,
            tls=_tls(settings),
        )
    except RuntimeError as error:
        raise Unavailable(
            f"cannot reach Temporal at {settings.temporal_address} ({error}); start it with "
            "`baton dev`, or set TEMPORAL_ADDRESS"
        ) from None


def _tls(settings: Settings) -> TLSConfig | bool:
    if not (settings.temporal_tls_cert or settings.temporal_tls_key):
        return False
    if not (settings.temporal_tls_cert and settings.temporal_tls_key):
        raise Invalid("set both TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY for mTLS, or neither")
    try:
        ca = settings.temporal_tls_ca.read_bytes() if settings.temporal_tls_ca else None
        return TLSConfig(
            client_cert=settings.temporal_tls_cert.read_bytes(),
            client_private_key=settings.temporal_tls_key.read_bytes(),
            server_root_ca_cert=ca,
        )
    except OSError as error:
        raise Invalid(f"cannot read a TLS file for Temporal: {error}") from None


def search_attribute_flags() -> list[str]:
    """`temporal server start-dev` flags registering Baton's search attributes."""
    flags = []
    for name, kind in contract.SEARCH_ATTRIBUTES.items():
        flags += ["--search-attribute", f"{name}={kind}"]
    return flags


async def ensure_search_attributes(client: Client, namespace: str) -> None:
    """Register Baton's search attributes where they are missing (a server started
    without the flags, the time-skipping test server). A server that will not say or
    add them is `Unavailable`, naming why."""
    try:
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace)
        )
        known = set(listed.custom_attributes)
    except RPCError as error:  # the time-skipping server can add but not list them
        if error.status != RPCStatusCode.UNIMPLEMENTED:
            raise _cannot_register(error) from None
        known = set()
    missing = {
        name: INDEXED_TYPES[kind]
        for name, kind in contract.SEARCH_ATTRIBUTES.items()
        if name not in known
    }
    if missing:
        try:
            await client.operator_service.add_search_attributes(
                AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
            )
        except RPCError as error:
            if error.status != RPCStatusCode.ALREADY_EXISTS:
                raise _cannot_register(error) from None


def _cannot_register(error: RPCError) -> Unavailable:
    return Unavailable(f"could not check Baton's search attributes: {error.message}")


INDEXED_TYPES = {
    "Keyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "KeywordList": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
    "Datetime": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    "Bool": IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
}
