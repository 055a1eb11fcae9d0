"""Request parameters are checked before sending, through real boto3 / aiobotocore.

The runtime clients this package builds turn botocore's per-call parameter
validation off (it re-checks what typed fields already guarantee); what a user
passes raw is checked with botocore's own validator instead. These tests make
sure no bad parameter slips through: each ends in botocore's
``ParamValidationError`` before the local endpoint sees a request.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ParamValidationError

from langchain_sagemaker import (
    ChatSagemakerEndpoint,
    LLMContentHandler,
    SagemakerEndpointEmbeddings,
)
from langchain_sagemaker._client import default_config
from langchain_sagemaker.local import LocalEndpoint

KEYS: dict[str, Any] = {
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",
}

BAD = [
    ({"TargetVarient": "blue"}, 'Unknown parameter in input: "TargetVarient"'),
    ({"CustomAttributes": 5}, "Invalid type for parameter CustomAttributes"),
]


def _count(endpoint: LocalEndpoint) -> int:
    return len(endpoint.requests.records)


def _call(llm: Any, how: str, **kwargs: Any) -> str:
    if how == "invoke":
        return str(llm.invoke("hi", **kwargs))
    if how == "stream":
        return "".join(llm.stream("hi", **kwargs))
    if how == "ainvoke":
        return str(asyncio.run(llm.ainvoke("hi", **kwargs)))

    async def collect() -> str:
        return "".join([c async for c in llm.astream("hi", **kwargs)])

    return asyncio.run(collect())


RAW_CALL: dict[str, Any] = {
    "EndpointName": "echo",
    "ContentType": "application/json",
    "Body": b'{"inputs": "hi"}',
    "CustomAttributes": 5,  # a string in the API: botocore's validator refuses 5
}


def test_runtime_clients_leave_validation_to_the_endpoint_class(
    make_llm: Any, endpoint: LocalEndpoint
) -> None:
    client = make_llm().client
    client.invoke_endpoint(**RAW_CALL)["Body"].read()
    assert (
        endpoint.requests.records[-1].headers["X-Amzn-SageMaker-Custom-Attributes"]
        == "5"
    )
    # the user's config wins
    mine = make_llm(config=Config(parameter_validation=True)).client
    with pytest.raises(ParamValidationError, match="CustomAttributes"):
        mine.invoke_endpoint(**RAW_CALL)
    # other clients (S3 for asynchronous endpoints) keep botocore's checks
    assert default_config(None).parameter_validation is True

    async def through_aiobotocore() -> None:
        llm = make_llm()
        clients = llm._native_async()
        assert clients is not None
        aio = await clients.get()
        response = await aio.invoke_endpoint(**RAW_CALL)
        await response["Body"].read()
        await llm.aclose()

    before = _count(endpoint)
    asyncio.run(through_aiobotocore())
    assert _count(endpoint) == before + 1


@pytest.mark.parametrize("how", ["invoke", "stream", "ainvoke", "astream"])
@pytest.mark.parametrize("where", ["per call", "field"])
@pytest.mark.parametrize(("bad", "message"), BAD)
def test_bad_endpoint_kwargs(
    make_llm: Any,
    endpoint: LocalEndpoint,
    how: str,
    where: str,
    bad: dict[str, Any],
    message: str,
) -> None:
    per_call = where == "per call"
    llm = make_llm() if per_call else make_llm(endpoint_kwargs=bad)
    before = _count(endpoint)
    with pytest.raises(ParamValidationError, match=message):
        _call(llm, how, **({"endpoint_kwargs": bad} if per_call else {}))
    assert _count(endpoint) == before, "a bad request was sent"
    if per_call:
        assert _call(llm, how) == "hi"  # the same endpoint still answers


def test_good_endpoint_kwargs_still_reach_the_endpoint(
    make_llm: Any, endpoint: LocalEndpoint
) -> None:
    llm = make_llm(endpoint_kwargs={"CustomAttributes": "trace=on"})
    assert llm.invoke("hi", endpoint_kwargs={"InferenceId": "r-1"}) == "hi"
    record = endpoint.requests.records[-1]
    assert record.inference_id == "r-1"
    assert record.headers["X-Amzn-SageMaker-Custom-Attributes"] == "trace=on"


class _Handler(LLMContentHandler):
    content_type = "application/json"
    accepts = "application/json"

    def __init__(self, body: Any) -> None:
        self.body = body

    def transform_input(self, prompt: str, model_kwargs: dict[str, Any]) -> Any:
        return self.body({"inputs": prompt, "parameters": {"return_full_text": False}})

    def transform_output(self, output: Any) -> str:
        return str(json.loads(output.read())[0]["generated_text"])


def test_a_legacy_handler_body_that_is_not_bytes(
    make_llm: Any, endpoint: LocalEndpoint
) -> None:
    as_dict = make_llm(content_handler=_Handler(lambda body: body))
    before = _count(endpoint)
    with pytest.raises(ParamValidationError, match="Invalid type for parameter Body"):
        as_dict.invoke("hi")
    assert _count(endpoint) == before
    # str and bytearray are bodies botocore takes
    as_str = make_llm(content_handler=_Handler(json.dumps))
    assert as_str.invoke("hi") == "hi"
    as_bytearray = make_llm(
        content_handler=_Handler(lambda body: bytearray(json.dumps(body), "utf-8"))
    )
    assert as_bytearray.invoke("hi") == "hi"


def test_chat_and_embeddings_check_too(endpoint: LocalEndpoint) -> None:
    common = {
        "region_name": endpoint.region_name,
        "endpoint_url": endpoint.url,
        **KEYS,
    }
    chat = ChatSagemakerEndpoint(
        endpoint_name="echo", content_handler="tgi-messages", **common
    )
    embeddings = SagemakerEndpointEmbeddings(
        endpoint_name="echo",
        content_handler="tei",
        endpoint_kwargs={"TargetVarient": "x"},
        **common,
    )
    before = _count(endpoint)
    with pytest.raises(ParamValidationError, match="TargetVarient"):
        chat.invoke("hi", endpoint_kwargs={"TargetVarient": "x"})
    with pytest.raises(ParamValidationError, match="TargetVarient"):
        embeddings.embed_query("hi")
    assert _count(endpoint) == before
