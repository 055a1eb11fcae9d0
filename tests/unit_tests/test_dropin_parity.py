"""The same user code and mocks against langchain-aws's class and ours.

Each test runs once per class and compares what the user sees and what the
mocked boto3 client was asked, so a test suite written for langchain-aws runs
unchanged against langchain-sagemaker.
"""

from __future__ import annotations

import io
import json
from typing import Any
from unittest.mock import MagicMock

import pytest

pytest.importorskip("langchain_aws")

from langchain_aws.llms import SagemakerEndpoint as AwsEndpoint
from langchain_aws.llms.sagemaker_endpoint import (
    LLMContentHandler as AwsHandler,
)

from langchain_sagemaker import LLMContentHandler, SagemakerEndpoint


def _handler(base: type) -> Any:
    class Handler(base):  # type: ignore[misc, valid-type]
        content_type = "application/json"
        accepts = "application/json"

        def transform_input(self, prompt: str, model_kwargs: dict[str, Any]) -> bytes:
            return json.dumps({"inputs": prompt, "parameters": model_kwargs}).encode()

        def transform_output(self, output: Any) -> str:
            if isinstance(output, bytes):  # a streamed line
                return str(json.loads(output)["token"])
            return str(json.loads(output.read().decode())[0]["generated_text"])

    return Handler()


CLASSES = [(AwsEndpoint, AwsHandler), (SagemakerEndpoint, LLMContentHandler)]
IDS = ["langchain-aws", "langchain-sagemaker"]


def _run(cls: Any, handler_base: type, scenario: Any) -> tuple[Any, list[Any]]:
    client = MagicMock()
    client.invoke_endpoint.side_effect = lambda **_: {
        "Body": io.BytesIO(b'[{"generated_text": "the answer"}]')
    }
    client.invoke_endpoint_with_response_stream.side_effect = lambda **_: {
        "Body": [
            {"PayloadPart": {"Bytes": b'{"token": "the"}\n{"token"'}},
            {"PayloadPart": {"Bytes": b': " answer"}\n'}},
        ]
    }
    llm = cls(
        endpoint_name="ep",
        client=client,
        content_handler=_handler(handler_base),
        model_kwargs={"temperature": 0.2},
        endpoint_kwargs={"CustomAttributes": "x=1"},
        inference_component_name="ic",
    )
    result = scenario(llm)
    return result, client.method_calls


SCENARIOS = {
    "invoke": lambda llm: llm.invoke("Q?"),
    "invoke-kwargs": lambda llm: llm.invoke("Q?", max_new_tokens=5),
    "batch": lambda llm: llm.batch(["a", "b"]),
    "stream": lambda llm: "".join(llm.stream("Q?")),
    "generate": lambda llm: [g[0].text for g in llm.generate(["Q?"]).generations],
    "identifying": lambda llm: dict(llm._identifying_params),
    "type": lambda llm: llm._llm_type,
}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_same_result_and_same_client_calls(scenario: str) -> None:
    (aws_result, aws_calls), (our_result, our_calls) = (
        _run(cls, base, SCENARIOS[scenario]) for cls, base in CLASSES
    )
    assert our_result == aws_result
    assert _normal(our_calls) == _normal(aws_calls)


def _normal(calls: list[Any]) -> list[tuple[str, list[tuple[str, Any]]]]:
    """Calls as (method, sorted kwargs), in a stable order (batch is concurrent)."""
    return sorted((name, sorted(kwargs.items())) for name, _, kwargs in calls)


@pytest.mark.parametrize(("cls", "base"), CLASSES, ids=IDS)
def test_client_errors_propagate_as_client_error(cls: Any, base: type) -> None:
    from botocore.exceptions import ClientError

    client = MagicMock()
    client.invoke_endpoint.side_effect = ClientError(
        {"Error": {"Code": "ModelError", "Message": "boom"}}, "InvokeEndpoint"
    )
    llm = cls(endpoint_name="ep", client=client, content_handler=_handler(base))
    with pytest.raises(ClientError):
        llm.invoke("x")
