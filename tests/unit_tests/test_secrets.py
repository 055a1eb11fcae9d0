"""Credentials never leak into repr, str, tracing params or serialized output."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.load import dumpd, dumps
from pydantic import SecretStr

from langchain_sagemaker import SagemakerEndpoint
from langchain_sagemaker.errors import SagemakerEndpointError

KEY = "AKIACANARY0000000001"
SECRET = "secret-canary-1234567890"
TOKEN = "token-canary-abcdef"


def _llm(**kwargs: Any) -> SagemakerEndpoint:
    return SagemakerEndpoint(
        endpoint_name="ep",
        region_name="us-east-1",
        aws_access_key_id=SecretStr(KEY),
        aws_secret_access_key=SecretStr(SECRET),
        aws_session_token=SecretStr(TOKEN),
        **kwargs,
    )


def _assert_clean(text: str) -> None:
    for canary in (KEY, SECRET, TOKEN):
        assert canary not in text


def test_secret_fields_are_secretstr() -> None:
    llm = _llm()
    assert isinstance(llm.aws_secret_access_key, SecretStr)
    assert llm.aws_secret_access_key.get_secret_value() == SECRET


def test_repr_str_and_serialization_hide_secrets() -> None:
    llm = _llm()
    _assert_clean(repr(llm))
    _assert_clean(str(llm))
    _assert_clean(dumps(llm))
    _assert_clean(str(dumpd(llm)))
    _assert_clean(str(llm.model_dump()))
    _assert_clean(llm.model_dump_json())


def test_env_credentials_are_read_as_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    llm = SagemakerEndpoint(endpoint_name="ep", region_name="us-east-1")
    assert llm.aws_access_key_id is not None
    assert llm.aws_access_key_id.get_secret_value() == KEY
    _assert_clean(repr(llm))


def test_tracing_params_hide_secrets(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[str] = []

    class Spy(BaseCallbackHandler):
        def on_llm_start(self, serialized: Any, prompts: Any, **kwargs: Any) -> None:
            seen.append(repr(serialized))
            seen.append(repr(kwargs))

        def on_llm_error(self, error: BaseException, **kwargs: Any) -> None:
            seen.append(repr(error))

    llm = _llm(endpoint_url="http://127.0.0.1:9")  # nothing listens there
    with (
        caplog.at_level(logging.DEBUG, logger="langchain_sagemaker"),
        pytest.raises(SagemakerEndpointError),
    ):
        llm.invoke("hi", config={"callbacks": [Spy()]})
    assert seen
    _assert_clean("\n".join(seen))
    _assert_clean(caplog.text)
