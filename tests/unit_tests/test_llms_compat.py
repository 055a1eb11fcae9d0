"""The drop-in contract: same arguments, same client calls, legacy handlers."""

from __future__ import annotations

import inspect
import io
import json
import pickle
import warnings
from typing import Any
from unittest.mock import MagicMock

import boto3
import pytest
from botocore.exceptions import ClientError, EventStreamError
from botocore.response import StreamingBody
from botocore.stub import Stubber
from langchain_core.callbacks import BaseCallbackHandler

from langchain_sagemaker import LLMContentHandler, SagemakerEndpoint
from langchain_sagemaker.errors import (
    ConfigurationError,
    EndpointNotFoundError,
    IncompleteStreamError,
    ModelError,
    PromptTooLongError,
    ResponseParseError,
    SagemakerEndpointError,
    StreamError,
    ThrottlingError,
)


class SeedHandler(LLMContentHandler):
    """The handler from the classic notebook, unchanged."""

    content_type = "application/json"
    accepts = "application/json"

    def transform_input(self, prompt: str, model_kwargs: dict) -> bytes:  # type: ignore[type-arg]
        input_str = json.dumps({"inputs": prompt, "parameters": model_kwargs})
        return input_str.encode("utf-8")

    def transform_output(self, output: Any) -> str:
        response_json = json.loads(output.read().decode("utf-8"))
        return response_json[0]["generated_text"]


class LineHandler(LLMContentHandler):
    """A streaming handler as langchain-aws users write it: one JSON line."""

    content_type = "application/json"
    accepts = "application/json"

    def transform_input(self, prompt: str, model_kwargs: dict) -> bytes:  # type: ignore[type-arg]
        return json.dumps({"inputs": prompt, **model_kwargs}).encode()

    def transform_output(self, output: Any) -> str:
        return json.loads(output)["outputs"][0]


def _body(text: str) -> bytes:
    return json.dumps([{"generated_text": text}]).encode()


def _mock_client(body: Any) -> MagicMock:
    client = MagicMock()
    client.invoke_endpoint.return_value = {"Body": body}
    return client


def test_invoke_calls_client_like_langchain_aws() -> None:
    client = _mock_client(io.BytesIO(_body("3 days")))
    llm = SagemakerEndpoint(
        endpoint_name="ep",
        client=client,
        content_handler=SeedHandler(),
        model_kwargs={"temperature": 1e-10},
    )
    assert llm.invoke("How long?") == "3 days"
    client.invoke_endpoint.assert_called_once_with(
        EndpointName="ep",
        Body=json.dumps(
            {"inputs": "How long?", "parameters": {"temperature": 1e-10}}
        ).encode(),
        ContentType="application/json",
        Accept="application/json",
    )


def test_an_injected_client_gets_the_body_as_the_handler_made_it() -> None:
    # langchain-aws's own tests pass a dict body to a mock client
    class DictHandler(LLMContentHandler):
        content_type = "application/json"
        accepts = "application/json"

        def transform_input(self, prompt: str, model_kwargs: dict) -> Any:  # type: ignore[type-arg]
            return {"inputs": prompt, **model_kwargs}

        def transform_output(self, output: Any) -> str:
            if isinstance(output, bytes):
                return str(json.loads(output)["outputs"][0])
            return str(json.loads(output.read())[0]["generated_text"])

    client = _mock_client(io.StringIO(_body("ok").decode()))
    client.invoke_endpoint_with_response_stream.return_value = {
        "Body": [{"PayloadPart": {"Bytes": b'{"outputs": ["S"]}\n'}}]
    }
    llm = SagemakerEndpoint(
        endpoint_name="ep",
        client=client,
        content_handler=DictHandler(),
        model_kwargs={"parameters": {"max_new_tokens": 5}},
    )
    body = {"inputs": "q", "parameters": {"max_new_tokens": 5}}
    assert llm.invoke("q") == "ok"
    assert client.invoke_endpoint.call_args.kwargs["Body"] == body
    assert list(llm.stream("q")) == ["S"]
    client.invoke_endpoint_with_response_stream.assert_called_once_with(
        EndpointName="ep", Body=body, ContentType="application/json"
    )


def test_transform_output_gets_the_body_object_as_returned() -> None:
    raw = _body("ok")
    body = StreamingBody(io.BytesIO(raw), len(raw))
    seen: list[Any] = []

    class Spy(SeedHandler):
        def transform_output(self, output: Any) -> str:
            seen.append(output)
            return super().transform_output(output)

    llm = SagemakerEndpoint(
        endpoint_name="ep", client=_mock_client(body), content_handler=Spy()
    )
    assert llm.invoke("x") == "ok"
    assert seen == [body]


def test_bytes_body_mock_with_bytes_handler() -> None:
    class BytesHandler(SeedHandler):
        def transform_output(self, output: Any) -> str:
            return json.loads(output)[0]["generated_text"]

    llm = SagemakerEndpoint(
        endpoint_name="ep",
        client=_mock_client(_body("from bytes")),
        content_handler=BytesHandler(),
    )
    assert llm.invoke("x") == "from bytes"


def test_call_kwargs_override_model_kwargs_and_endpoint_options_pass_through() -> None:
    client = _mock_client(io.BytesIO(_body("ok")))
    llm = SagemakerEndpoint(
        endpoint_name="ep",
        client=client,
        content_handler=SeedHandler(),
        model_kwargs={"temperature": 0.5, "max_new_tokens": 10},
        endpoint_kwargs={"CustomAttributes": "accept_eula=true"},
        inference_component_name="ic-1",
    )
    llm.invoke("x", temperature=0.1)
    kwargs = client.invoke_endpoint.call_args.kwargs
    assert json.loads(kwargs["Body"])["parameters"] == {
        "temperature": 0.1,
        "max_new_tokens": 10,
    }
    assert kwargs["CustomAttributes"] == "accept_eula=true"
    assert kwargs["InferenceComponentName"] == "ic-1"


@pytest.mark.parametrize(
    ("text", "stop", "expected"),
    [
        ("3 days. Then more", ["."], "3 days"),
        ("a+b (c) d", ["("], "a+b "),
        ("abc a.b xyz", ["a.b"], "abc "),
        ("no stop here", ["|"], "no stop here"),
        ("first X then Y", ["Y", "X"], "first "),
    ],
    ids=["dot", "paren", "dot-inside", "pipe-absent", "earliest-wins"],
)
def test_stop_sequences_are_literal(text: str, stop: list[str], expected: str) -> None:
    llm = SagemakerEndpoint(
        endpoint_name="ep",
        client=_mock_client(io.BytesIO(_body(text))),
        content_handler=SeedHandler(),
    )
    assert llm.invoke("x", stop=stop) == expected


def _parts(*chunks: bytes) -> list[dict[str, Any]]:
    return [{"PayloadPart": {"Bytes": c}} for c in chunks]


def test_stream_calls_response_stream_like_langchain_aws() -> None:
    client = MagicMock()
    lines = b'{"outputs": [" Hello"]}\n{"outputs": [" wor'
    client.invoke_endpoint_with_response_stream.return_value = {
        "Body": _parts(lines[:10], lines[10:], b'ld"]}\n{"outputs": ["!"]}')
    }
    llm = SagemakerEndpoint(
        endpoint_name="ep",
        client=client,
        content_handler=LineHandler(),
        endpoint_kwargs={"CustomAttributes": "a=b"},
        inference_component_name="ic",
    )
    assert list(llm.stream("hi")) == [" Hello", " world", "!"]
    client.invoke_endpoint_with_response_stream.assert_called_once_with(
        EndpointName="ep",
        Body=b'{"inputs": "hi"}',
        ContentType="application/json",
        CustomAttributes="a=b",
        InferenceComponentName="ic",
    )
    client.invoke_endpoint.assert_not_called()


def test_streaming_flag_makes_invoke_stream_with_callbacks() -> None:
    client = MagicMock()
    client.invoke_endpoint_with_response_stream.return_value = {
        "Body": _parts(b'{"outputs": ["a"]}\n{"outputs": ["b"]}\n')
    }
    tokens: list[str] = []
    from langchain_core.callbacks import BaseCallbackHandler

    class Collect(BaseCallbackHandler):
        def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
            tokens.append(token)

    llm = SagemakerEndpoint(
        endpoint_name="ep", client=client, content_handler=LineHandler(), streaming=True
    )
    assert llm.invoke("x", config={"callbacks": [Collect()]}) == "ab"
    assert tokens == ["a", "b"]


def test_stream_stop_across_chunks_closes_stream() -> None:
    client = MagicMock()
    consumed: list[int] = []

    def events() -> Any:
        for i, text in enumerate(["Hel", "lo ST", "OP never"]):
            consumed.append(i)
            yield {
                "PayloadPart": {
                    "Bytes": json.dumps({"outputs": [text]}).encode() + b"\n"
                }
            }

    client.invoke_endpoint_with_response_stream.return_value = {"Body": events()}
    llm = SagemakerEndpoint(
        endpoint_name="ep", client=client, content_handler=LineHandler()
    )
    assert "".join(llm.stream("x", stop=["STOP"])) == "Hello "
    assert consumed == [0, 1, 2]


def _client_error(code: str, message: str, status: int, **extra: Any) -> ClientError:
    response: dict[str, Any] = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
        **extra,
    }
    return ClientError(response, "InvokeEndpoint")  # type: ignore[arg-type]


def test_model_error_is_typed_and_still_a_client_error() -> None:
    client = MagicMock()
    client.invoke_endpoint.side_effect = _client_error(
        "ModelError",
        "Received client error (422)",
        424,
        OriginalStatusCode=422,
        OriginalMessage='{"error":"bad"}',
        LogStreamArn="arn:aws:logs:us-east-1:1:log-group:/x",
    )
    llm = SagemakerEndpoint(
        endpoint_name="ep", client=client, content_handler=SeedHandler()
    )
    with pytest.raises(ClientError) as caught:
        llm.invoke("x")
    err = caught.value
    assert isinstance(err, ModelError)
    assert err.original_status_code == 422
    assert err.original_message == '{"error":"bad"}'
    assert err.log_stream_arn == "arn:aws:logs:us-east-1:1:log-group:/x"
    assert err.endpoint_name == "ep"
    assert "What to do" in str(err)
    clone = pickle.loads(pickle.dumps(err))
    assert isinstance(clone, ModelError) and clone.original_status_code == 422


@pytest.mark.parametrize(
    "err",
    [
        ConfigurationError("set region_name"),
        ResponseParseError("bad", snippet="<html>", candidates=("tgi",)),
        PromptTooLongError("too long", tokens=900, limit=300),
        IncompleteStreamError("cut"),
        ThrottlingError(
            {"Error": {"Code": "ThrottlingException", "Message": "slow"}},
            "InvokeEndpoint",
        ),
    ],
)
def test_every_error_pickles_with_its_context(err: SagemakerEndpointError) -> None:
    err.with_context(partial_text="alpha beta", endpoint_name="ep")
    clone = pickle.loads(pickle.dumps(err))
    assert type(clone) is type(err)
    assert str(clone) == str(err)
    assert clone.__dict__ == err.__dict__


def test_unknown_endpoint_is_endpoint_not_found() -> None:
    client = MagicMock()
    client.invoke_endpoint.side_effect = _client_error(
        "ValidationError", "Endpoint ep of account 1 not found.", 400
    )
    llm = SagemakerEndpoint(
        endpoint_name="ep", client=client, content_handler=SeedHandler()
    )
    with pytest.raises(EndpointNotFoundError, match="endpoint_name"):
        llm.invoke("x")


def test_mid_stream_error_keeps_partial_text() -> None:
    def events() -> Any:
        yield {"PayloadPart": {"Bytes": b'{"outputs": ["partial "]}\n'}}
        yield {"PayloadPart": {"Bytes": b'{"outputs": ["text"]}\n'}}
        raise EventStreamError(
            {"Error": {"Code": "ModelStreamError", "Message": "boom"}},  # type: ignore[typeddict-item]
            "InvokeEndpointWithResponseStream",
        )

    client = MagicMock()
    client.invoke_endpoint_with_response_stream.return_value = {"Body": events()}
    llm = SagemakerEndpoint(
        endpoint_name="ep", client=client, content_handler=LineHandler()
    )
    got: list[str] = []
    with pytest.raises(StreamError) as caught:
        for token in llm.stream("x"):
            got.append(token)
    assert got == ["partial ", "text"]
    assert caught.value.partial_text == "partial text"
    assert isinstance(caught.value, ClientError)


def test_stubber_request_building() -> None:
    client = boto3.client(
        "sagemaker-runtime",
        region_name="us-west-2",
        aws_access_key_id="a",
        aws_secret_access_key="b",
    )
    stubber = Stubber(client)
    raw = _body("stubbed")
    stubber.add_response(
        "invoke_endpoint",
        {
            "Body": StreamingBody(io.BytesIO(raw), len(raw)),
            "ContentType": "application/json",
        },
        {
            "EndpointName": "ep",
            "Body": json.dumps({"inputs": "q", "parameters": {}}).encode(),
            "ContentType": "application/json",
            "Accept": "application/json",
        },
    )
    with stubber:
        llm = SagemakerEndpoint(
            endpoint_name="ep", client=client, content_handler=SeedHandler()
        )
        assert llm.invoke("q") == "stubbed"
    stubber.assert_no_pending_responses()


def test_identifying_params_and_type() -> None:
    llm = SagemakerEndpoint(
        endpoint_name="ep",
        client=MagicMock(),
        content_handler=SeedHandler(),
        model_kwargs={"temperature": 0.2, "max_new_tokens": 7},
        inference_component_name="ic",
    )
    assert llm._llm_type == "sagemaker_endpoint"
    assert dict(llm._identifying_params) == {
        "endpoint_name": "ep",
        "inference_component_name": "ic",
        "model_kwargs": {"temperature": 0.2, "max_new_tokens": 7},
    }
    assert llm._get_ls_params() == {
        "ls_provider": "amazon_sagemaker",
        "ls_model_name": "ep",
        "ls_model_type": "llm",
        "ls_temperature": 0.2,
        "ls_max_tokens": 7,
    }
    assert llm._get_ls_params(stop=["###"], temperature=0.5, model="other") == {
        "ls_provider": "amazon_sagemaker",
        "ls_model_name": "other",
        "ls_model_type": "llm",
        "ls_temperature": 0.5,
        "ls_max_tokens": 7,
        "ls_stop": ["###"],
    }


class _Params(BaseCallbackHandler):
    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []

    def on_llm_start(self, *args: Any, **kwargs: Any) -> None:
        self.seen.append(kwargs["invocation_params"])


def test_invocation_params_are_asdict_without_the_deprecated_dict() -> None:
    llm = SagemakerEndpoint(
        endpoint_name="ep",
        client=_mock_client(io.BytesIO(_body("ok"))),
        content_handler="tgi",
    )
    params = _Params()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no deprecation warning either
        assert llm.invoke("q", config={"callbacks": [params]}) == "ok"
    assert params.seen == [{**llm.asdict(), "stop": None}]

    class Legacy(SagemakerEndpoint):
        def dict(self, **kwargs: Any) -> dict[str, Any]:
            return {"legacy": True}

    legacy = Legacy(
        endpoint_name="ep",
        client=_mock_client(io.BytesIO(_body("ok"))),
        content_handler="tgi",
    )
    assert legacy.invoke("q", config={"callbacks": [params]}) == "ok"
    assert params.seen[-1] == {"legacy": True, "stop": None}


@pytest.mark.parametrize("name", ["_generate", "_agenerate"])
def test_generate_signature_is_computed_once_and_right(name: str) -> None:
    # langchain-core asks inspect.signature(self._generate) on every call
    method = getattr(SagemakerEndpoint, name)
    assert method.__signature__ == inspect.signature(method, follow_wrapped=False)
    llm = SagemakerEndpoint(
        endpoint_name="ep", client=MagicMock(), content_handler="tgi"
    )
    params = inspect.signature(getattr(llm, name)).parameters
    assert list(params) == ["prompts", "stop", "run_manager", "kwargs"]


def test_unknown_handler_name_lists_known_ones() -> None:
    with pytest.raises(ValueError, match="tgi"):
        SagemakerEndpoint(
            endpoint_name="ep", client=MagicMock(), content_handler="nope"
        )


def test_handler_without_contract_is_rejected() -> None:
    with pytest.raises(ValueError, match="transform_input"):
        SagemakerEndpoint(
            endpoint_name="ep", client=MagicMock(), content_handler=object()
        )


# Construction errors surface as pydantic's ValidationError (a ValueError),
# carrying our message, as langchain-aws's did.
def test_missing_region_names_what_to_set() -> None:
    with pytest.raises(ValueError, match="region_name"):
        SagemakerEndpoint(endpoint_name="ep", content_handler=SeedHandler())


def test_half_a_key_pair_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="aws_secret_access_key"):
        SagemakerEndpoint(
            endpoint_name="ep",
            region_name="us-east-1",
            content_handler=SeedHandler(),
            aws_access_key_id="AKIA_ONLY",  # type: ignore[arg-type]
        )


def test_unknown_profile_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="credentials_profile_name"):
        SagemakerEndpoint(
            endpoint_name="ep",
            region_name="us-east-1",
            content_handler=SeedHandler(),
            credentials_profile_name="nope",
        )


def test_empty_endpoint_name_is_a_clear_error() -> None:
    llm = SagemakerEndpoint(client=MagicMock(), content_handler=SeedHandler())
    with pytest.raises(ConfigurationError, match="endpoint_name"):
        llm.invoke("x")


def test_transform_output_must_return_str() -> None:
    class Bad(SeedHandler):
        def transform_output(self, output: Any) -> Any:
            return {"generated_text": "x"}

    llm = SagemakerEndpoint(
        endpoint_name="ep", client=_mock_client(b"{}"), content_handler=Bad()
    )
    with pytest.raises(ValueError, match="must return str"):
        llm.invoke("x")


def test_stream_reports_the_whole_text_to_on_llm_end() -> None:
    from langchain_core.callbacks import BaseCallbackHandler
    from langchain_core.outputs import LLMResult

    ended: list[LLMResult] = []

    class End(BaseCallbackHandler):
        def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
            ended.append(response)

    client = MagicMock()
    words = [f"w{i} " for i in range(50)]
    client.invoke_endpoint_with_response_stream.return_value = {
        "Body": _parts(*(json.dumps({"outputs": [w]}).encode() + b"\n" for w in words))
    }
    llm = SagemakerEndpoint(
        endpoint_name="ep", client=client, content_handler=LineHandler()
    )
    assert "".join(llm.stream("x", config={"callbacks": [End()]})) == "".join(words)
    assert len(ended) == 1
    assert ended[0].generations[0][0].text == "".join(words)


def test_missing_credentials_is_caught_at_construction() -> None:
    with pytest.raises(ValueError, match="No AWS credentials"):
        SagemakerEndpoint(endpoint_name="ep", region_name="us-east-1")


def test_region_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "k")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s")
    llm = SagemakerEndpoint(endpoint_name="ep")
    assert llm.client.meta.region_name == "eu-west-1"
