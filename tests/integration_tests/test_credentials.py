"""Assumed-role credentials refresh before they expire (moto STS over HTTP)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from botocore import credentials as botocore_credentials
from moto.server import ThreadedMotoServer

from langchain_sagemaker import SagemakerEndpoint
from langchain_sagemaker.local import LocalEndpoint

ROLE = "arn:aws:iam::123456789012:role/cross-account-role"


@pytest.fixture(scope="module")
def sts_server() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Any:
    """One clock for botocore and moto's STS (in-process), moved by the test."""
    import moto.sts.models as moto_sts

    offset = {"seconds": 0.0}
    real_local = botocore_credentials._local_now  # type: ignore[attr-defined]
    real_utc = moto_sts.utcnow

    def local_now() -> dt.datetime:
        return real_local() + dt.timedelta(seconds=offset["seconds"])

    def utc_now() -> dt.datetime:
        return real_utc() + dt.timedelta(seconds=offset["seconds"])

    monkeypatch.setattr(botocore_credentials, "_local_now", local_now)
    monkeypatch.setattr(moto_sts, "utcnow", utc_now)
    return offset


def _keys_used(endpoint: LocalEndpoint) -> list[str]:
    keys = []
    for record in endpoint.requests.records:
        auth = record.headers.get("Authorization", "")
        match = re.search(r"Credential=([^/]+)/", auth)
        if match:
            keys.append(match.group(1))
    return keys


def _llm(endpoint: LocalEndpoint, **kwargs: Any) -> SagemakerEndpoint:
    return SagemakerEndpoint(
        endpoint_name="echo",
        region_name=endpoint.region_name,
        endpoint_url=endpoint.url,
        aws_access_key_id="source-key",  # type: ignore[arg-type]
        aws_secret_access_key="source-secret",  # type: ignore[arg-type]
        role_arn=ROLE,
        duration_seconds=3600,
        **kwargs,
    )


@pytest.fixture
def role_env(monkeypatch: pytest.MonkeyPatch, sts_server: str) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", sts_server)


def test_sync_calls_keep_working_across_expiry(
    endpoint: LocalEndpoint, clock: Any, role_env: None
) -> None:
    llm = _llm(endpoint)
    endpoint.requests.clear()
    assert llm.invoke("before expiry") == "before expiry"
    clock["seconds"] = 3700  # the one-hour role session has expired
    assert llm.invoke("after expiry") == "after expiry"
    assert llm.invoke("again") == "again"
    keys = _keys_used(endpoint)
    assert len(keys) == 3
    assert "source-key" not in keys  # the endpoint saw the role's keys
    assert keys[0] != keys[1]  # new ones after the expiry
    assert keys[1] == keys[2]  # and no refresh while they are valid


async def test_async_calls_keep_working_across_expiry(
    endpoint: LocalEndpoint, clock: Any, role_env: None
) -> None:
    llm = _llm(endpoint)
    assert llm._native_async() is not None
    endpoint.requests.clear()
    assert await llm.ainvoke("before") == "before"
    clock["seconds"] = 3700
    assert await llm.ainvoke("after") == "after"
    keys = _keys_used(endpoint)
    assert len(keys) == 2 and "source-key" not in keys and keys[0] != keys[1]


def test_role_without_source_credentials_is_a_clear_error(
    endpoint: LocalEndpoint, role_env: None
) -> None:
    with pytest.raises(ValueError, match="role_arn"):
        SagemakerEndpoint(
            endpoint_name="echo",
            region_name="us-east-1",
            endpoint_url=endpoint.url,
            role_arn=ROLE,
        )
