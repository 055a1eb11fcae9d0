"""Typed endpoint options map to the runtime API's parameters."""

from __future__ import annotations

import io
import json
from typing import Any
from unittest.mock import MagicMock

import pytest

from langchain_sagemaker import SagemakerEndpoint


def _client() -> MagicMock:
    client = MagicMock()
    client.invoke_endpoint.return_value = {
        "Body": io.BytesIO(b'[{"generated_text": "ok"}]')
    }
    client.invoke_endpoint_with_response_stream.return_value = {
        "Body": [
            {
                "PayloadPart": {
                    "Bytes": b'data:{"token":{"text":"ok"},"generated_text":"ok"}\n\n'
                }
            }
        ]
    }
    return client


OPTIONS: dict[str, Any] = {
    "inference_component_name": "ic-a",
    "target_variant": "blue",
    "target_model": "model-7.tar.gz",
    "target_container_hostname": "c2",
    "custom_attributes": "trace=1",
    "accept_eula": True,
    "inference_id": "req-1",
    "session_id": "NEW_SESSION",
    "enable_explanations": "`true`",
}


def test_fields_map_to_invoke_endpoint_parameters() -> None:
    client = _client()
    llm = SagemakerEndpoint(endpoint_name="ep", client=client, **OPTIONS)
    assert llm.invoke("x") == "ok"
    kwargs = client.invoke_endpoint.call_args.kwargs
    assert {k: v for k, v in kwargs.items() if k not in ("Body",)} == {
        "EndpointName": "ep",
        "ContentType": "application/json",
        "Accept": "application/json",
        "InferenceComponentName": "ic-a",
        "TargetVariant": "blue",
        "TargetModel": "model-7.tar.gz",
        "TargetContainerHostname": "c2",
        "CustomAttributes": "accept_eula=true;trace=1",
        "InferenceId": "req-1",
        "SessionId": "NEW_SESSION",
        "EnableExplanations": "`true`",
    }


def test_stream_leaves_out_what_the_stream_api_does_not_take() -> None:
    client = _client()
    llm = SagemakerEndpoint(endpoint_name="ep", client=client, **OPTIONS)
    assert "".join(llm.stream("x")) == "ok"
    kwargs = client.invoke_endpoint_with_response_stream.call_args.kwargs
    assert "TargetModel" not in kwargs and "EnableExplanations" not in kwargs
    assert "Accept" not in kwargs
    assert kwargs["TargetVariant"] == "blue"
    assert kwargs["InferenceComponentName"] == "ic-a"


def test_stream_leaves_out_invoke_only_endpoint_kwargs_and_keeps_the_rest() -> None:
    client = _client()
    llm = SagemakerEndpoint(
        endpoint_name="ep",
        client=client,
        endpoint_kwargs={"TargetModel": "m.tar.gz", "EnableExplanations": "`x`"},
    )
    assert "".join(llm.stream("x", endpoint_kwargs={"TargetVarient": "b"})) == "ok"
    kwargs = client.invoke_endpoint_with_response_stream.call_args.kwargs
    assert "TargetModel" not in kwargs and "EnableExplanations" not in kwargs
    # An injected client checks (or, a mock, takes) what it is given, as with
    # langchain-aws: a real boto3 client refuses the typo (see
    # integration_tests/test_request_checks.py for clients built here).
    assert kwargs["TargetVarient"] == "b"


def test_endpoint_kwargs_win_with_a_warning() -> None:
    client = _client()
    llm = SagemakerEndpoint(
        endpoint_name="ep",
        client=client,
        target_variant="blue",
        endpoint_kwargs={"TargetVariant": "green"},
    )
    with pytest.warns(UserWarning, match="target_variant"):
        llm.invoke("x")
    assert client.invoke_endpoint.call_args.kwargs["TargetVariant"] == "green"


def test_per_call_endpoint_kwargs_override_and_do_not_reach_the_model() -> None:
    client = _client()
    llm = SagemakerEndpoint(
        endpoint_name="ep", client=client, model_kwargs={"max_tokens": 5}
    )
    llm.invoke("x", endpoint_kwargs={"InferenceId": "per-call"}, temperature=0.5)
    kwargs = client.invoke_endpoint.call_args.kwargs
    assert kwargs["InferenceId"] == "per-call"
    params = json.loads(kwargs["Body"])["parameters"]
    assert params["max_new_tokens"] == 5 and params["temperature"] == 0.5
    assert "endpoint_kwargs" not in params
