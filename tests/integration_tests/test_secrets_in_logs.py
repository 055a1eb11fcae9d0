"""No credential reaches the logs, even botocore's at DEBUG."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from pydantic import SecretStr

from langchain_sagemaker import SagemakerEndpoint
from langchain_sagemaker.local import LocalEndpoint

KEY = "AKIACANARYLOGS000001"
SECRET = "secret-canary-logs-1234567890"
TOKEN = "token-canary-logs-abcdef0123"


def _llm(endpoint: LocalEndpoint, **kwargs: Any) -> SagemakerEndpoint:
    return SagemakerEndpoint(
        endpoint_name="echo",
        region_name=endpoint.region_name,
        endpoint_url=endpoint.url,
        aws_access_key_id=SecretStr(KEY),
        aws_secret_access_key=SecretStr(SECRET),
        aws_session_token=SecretStr(TOKEN),
        **kwargs,
    )


def _assert_clean(text: str) -> None:
    for canary in (KEY, SECRET, TOKEN):
        assert canary not in text


def test_debug_logs_of_sync_calls_hold_no_secret(
    endpoint: LocalEndpoint, caplog: pytest.LogCaptureFixture
) -> None:
    llm = _llm(endpoint)
    with caplog.at_level(logging.DEBUG):
        assert llm.invoke("hello") == "hello"
        assert "".join(llm.stream("hello")) == "hello"
    assert "Sending http request" in caplog.text  # botocore did log the request
    assert "Credential=****" in caplog.text
    _assert_clean(caplog.text)


async def test_debug_logs_of_async_calls_hold_no_secret(
    endpoint: LocalEndpoint, caplog: pytest.LogCaptureFixture
) -> None:
    llm = _llm(endpoint)
    with caplog.at_level(logging.DEBUG):
        assert await llm.ainvoke("hello") == "hello"
    assert caplog.text
    _assert_clean(caplog.text)
