"""Endpoint options of the local runtime, checked and echoed like SageMaker's."""

from __future__ import annotations

import datetime
import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from langchain_sagemaker.cli import _parser
from langchain_sagemaker.local import LocalEndpoint

SINGLE = Config(retries={"total_max_attempts": 1})
BODY = json.dumps({"inputs": "Q: ", "parameters": {}}).encode()
STREAM_BODY = json.dumps({"inputs": "Q: ", "parameters": {}, "stream": True}).encode()
# NewSessionResponseHeader's pattern in botocore's service model.
NEW_SESSION_ID = re.compile(
    r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*;\sExpires=[0-9]{4}-[0-9]{2}-[0-9]{2}T"
    r"[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"
)


class Words:
    name = "words"

    def generate(self, prompt: str) -> Iterator[str]:
        yield from ["Hi", "!"]


@pytest.fixture(scope="module")
def endpoint() -> Iterator[LocalEndpoint]:
    with LocalEndpoint(model=Words(), endpoint_name="plain") as served:
        served.add_endpoint("ab", model=Words(), variants=["VariantA", "VariantB"])
        served.add_endpoint(
            "components", model=Words(), inference_components=["ic-llama", "ic-mistral"]
        )
        served.add_endpoint(
            "multi", model=Words(), target_models=["model-a.tar.gz", "model-b.tar.gz"]
        )
        served.add_endpoint("single", model=Words(), target_models=[])
        yield served


@pytest.fixture
def client(endpoint: LocalEndpoint) -> Any:
    endpoint.requests.clear()
    return endpoint.client(config=SINGLE)


def invoke(client: Any, name: str = "plain", **kwargs: Any) -> dict[str, Any]:
    response: dict[str, Any] = client.invoke_endpoint(
        EndpointName=name, ContentType="application/json", Body=BODY, **kwargs
    )
    response["Body"] = response["Body"].read()
    return response


def invoke_stream(client: Any, name: str = "plain", **kwargs: Any) -> dict[str, Any]:
    response: dict[str, Any] = client.invoke_endpoint_with_response_stream(
        EndpointName=name, ContentType="application/json", Body=STREAM_BODY, **kwargs
    )
    response["Body"] = b"".join(e["PayloadPart"]["Bytes"] for e in response["Body"])
    return response


def validation_message(client: Any, call: Any = invoke, **kwargs: Any) -> str:
    with pytest.raises(client.exceptions.ValidationError) as caught:
        call(client, **kwargs)
    error = caught.value.response
    assert error["Error"]["Code"] == "ValidationError"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    return str(error["Error"]["Message"])


# --- production variants ------------------------------------------------------------


def test_default_variant_is_echoed(endpoint: LocalEndpoint, client: Any) -> None:
    assert invoke(client)["InvokedProductionVariant"] == "AllTraffic"
    assert invoke(client, TargetVariant="AllTraffic")["InvokedProductionVariant"] == (
        "AllTraffic"
    )
    streamed = invoke_stream(client, TargetVariant="AllTraffic")
    assert streamed["InvokedProductionVariant"] == "AllTraffic"
    assert [r.variant for r in endpoint.requests] == ["AllTraffic"] * 3


def test_unknown_variant_is_a_validation_error(
    endpoint: LocalEndpoint, client: Any
) -> None:
    message = validation_message(client, TargetVariant="Canary")
    assert "Canary" in message and "plain" in message
    assert "Canary" in validation_message(
        client, call=invoke_stream, TargetVariant="Canary"
    )
    assert [(r.status, r.error_code) for r in endpoint.requests] == [
        (400, "ValidationError"),
        (400, "ValidationError"),
    ]


def test_declared_variants(endpoint: LocalEndpoint, client: Any) -> None:
    assert invoke(client, "ab")["InvokedProductionVariant"] == "VariantA"
    assert invoke(client, "ab", TargetVariant="VariantB")[
        "InvokedProductionVariant"
    ] == ("VariantB")
    streamed = invoke_stream(client, "ab", TargetVariant="VariantB")
    assert streamed["InvokedProductionVariant"] == "VariantB"
    assert "AllTraffic" in validation_message(
        client, name="ab", TargetVariant="AllTraffic"
    )
    assert [r.variant for r in endpoint.requests][:3] == [
        "VariantA",
        "VariantB",
        "VariantB",
    ]


def test_variants_cannot_be_empty() -> None:
    with pytest.raises(ValueError, match="at least one"):
        LocalEndpoint(model=Words(), variants=[])


# --- inference components --------------------------------------------------------------


def test_inference_components(endpoint: LocalEndpoint, client: Any) -> None:
    response = invoke(client, "components", InferenceComponentName="ic-llama")
    assert response["Body"] == b'[{"generated_text":"Q: Hi!"}]'
    invoke_stream(client, "components", InferenceComponentName="ic-mistral")
    assert [r.inference_component for r in endpoint.requests] == [
        "ic-llama",
        "ic-mistral",
    ]
    message = validation_message(
        client, name="components", InferenceComponentName="ic-x"
    )
    assert message == "Inference Component ic-x of account 123456789012 not found."
    message = validation_message(client, name="components")
    assert message.startswith("Inference Component Name header is required")


def test_components_not_declared_are_not_checked(
    endpoint: LocalEndpoint, client: Any
) -> None:
    invoke(client, InferenceComponentName="anything")
    assert endpoint.requests[0].inference_component == "anything"


# --- multi-model endpoints -----------------------------------------------------------------


def test_multi_model_targets(endpoint: LocalEndpoint, client: Any) -> None:
    invoke(client, "multi", TargetModel="model-b.tar.gz")
    assert endpoint.requests[0].target_model == "model-b.tar.gz"
    message = validation_message(client, name="multi", TargetModel="model-z.tar.gz")
    assert message.startswith(
        "Failed to download model data(bucket: sagemaker-us-east-1-123456789012, "
        "key: multi/model-z.tar.gz)."
    )
    assert "TargetModel is required" in validation_message(client, name="multi")


def test_single_model_endpoint_refuses_target_model(client: Any) -> None:
    invoke(client, "single")
    message = validation_message(client, name="single", TargetModel="m.tar.gz")
    assert message == (
        "Endpoint single is not a multi-model endpoint and does not support "
        "target model header."
    )
    invoke(client, TargetModel="unchecked.tar.gz")  # not declared: not checked


# --- stateful sessions ----------------------------------------------------------------------


def test_session_lifecycle(endpoint: LocalEndpoint, client: Any) -> None:
    opened = invoke(client, SessionId="NEW_SESSION")
    assert NEW_SESSION_ID.match(opened["NewSessionId"]), opened["NewSessionId"]
    session_id, expires = opened["NewSessionId"].split("; Expires=")
    expiry = datetime.datetime.strptime(expires, "%Y-%m-%dT%H:%M:%SZ")
    ahead = expiry.replace(tzinfo=datetime.timezone.utc) - datetime.datetime.now(
        datetime.timezone.utc
    )
    assert datetime.timedelta(minutes=59) < ahead <= datetime.timedelta(hours=1)
    assert "ClosedSessionId" not in opened
    assert endpoint.requests[0].session_id == session_id

    used = invoke(client, SessionId=session_id)
    assert "NewSessionId" not in used and "ClosedSessionId" not in used
    invoke_stream(client, SessionId=session_id)  # the stream API accepts it too

    closed = invoke(client, SessionId=session_id, CustomAttributes="lsm-session=close")
    assert closed["ClosedSessionId"] == session_id
    message = validation_message(client, SessionId=session_id)
    assert message == (
        f"Session {session_id} of endpoint plain does not exist or has expired."
    )
    assert [r.session_id for r in endpoint.requests] == [session_id] * 5


def test_session_errors(endpoint: LocalEndpoint, client: Any) -> None:
    assert "does not exist" in validation_message(client, SessionId="no-such-session")
    opened = invoke(client, SessionId="NEW_SESSION")["NewSessionId"].split(";")[0]
    # Sessions belong to their endpoint.
    assert "does not exist" in validation_message(client, name="ab", SessionId=opened)
    # The stream operation's SessionId has no NEW_SESSION.
    message = validation_message(client, call=invoke_stream, SessionId="NEW_SESSION")
    assert message.startswith("1 validation error detected: Value 'NEW_SESSION'")
    assert "close" in validation_message(
        client, SessionId="NEW_SESSION", CustomAttributes="lsm-session=close"
    )
    assert "needs a SessionId" in validation_message(
        client, CustomAttributes="lsm-session=close"
    )
    assert "lsm-session" in validation_message(
        client, SessionId=opened, CustomAttributes="lsm-session=reopen"
    )


def test_sessions_expire() -> None:
    with LocalEndpoint(model=Words(), session_ttl_s=0.3) as served:
        client = served.client(config=SINGLE)
        opened = invoke(client, served.endpoint_name, SessionId="NEW_SESSION")
        session_id = opened["NewSessionId"].split(";")[0]
        invoke(client, served.endpoint_name, SessionId=session_id)
        time.sleep(0.4)
        with pytest.raises(ClientError) as caught:
            invoke(client, served.endpoint_name, SessionId=session_id)
        assert caught.value.response["Error"]["Code"] == "ValidationError"
        assert served.runtime.sessions() == {}


# --- recorded parameters ------------------------------------------------------------------------


def test_inference_id_and_explanations_are_recorded(
    endpoint: LocalEndpoint, client: Any
) -> None:
    invoke(client, InferenceId="req-42", EnableExplanations="`true`")
    invoke_stream(client, InferenceId="req-43")
    first, second = endpoint.requests.records
    assert (first.inference_id, first.enable_explanations) == ("req-42", "`true`")
    assert (second.inference_id, second.enable_explanations) == ("req-43", None)
    assert first.parameters["InferenceId"] == "req-42"


# --- the serve command ------------------------------------------------------------------------


def test_serve_parser_options() -> None:
    args = _parser().parse_args(
        [
            "serve",
            "--fault",
            "fail-times:2:throttle",
            "--variant",
            "A",
            "--variant",
            "B",
            "--inference-component",
            "ic",
            "--target-model",
            "m.tar.gz",
            "--verify-sigv4",
            "--access-key",
            "AK",
            "--secret-key",
            "SK",
            "--session-token",
            "TOK",
        ]
    )
    assert args.fault == "fail-times:2:throttle"
    assert args.variant == ["A", "B"]
    assert args.inference_component == ["ic"]
    assert args.target_model == ["m.tar.gz"]
    assert (args.verify_sigv4, args.access_key, args.secret_key) == (True, "AK", "SK")
    assert args.session_token == "TOK"
    defaults = _parser().parse_args(["serve"])
    assert defaults.fault is None and defaults.variant is None
    assert not defaults.verify_sigv4


def test_serve_parser_rejects_a_bad_fault(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _parser().parse_args(["serve", "--fault", "explode"])
    assert "unknown fault" in capsys.readouterr().err


def test_serve_command_passes_the_options(monkeypatch: pytest.MonkeyPatch) -> None:
    from langchain_sagemaker import cli
    from langchain_sagemaker.local import server

    captured: dict[str, Any] = {}

    def fake_serve_forever(host: str, port: int, **options: Any) -> None:
        captured.update(options, host=host, port=port)

    monkeypatch.setattr(server, "serve_forever", fake_serve_forever)
    code = cli.main(
        [
            "serve",
            "--port",
            "0",
            "--model",
            "echo",
            "--fault",
            "fail-times:1:unavailable",
            "--variant",
            "Blue",
            "--variant",
            "Green",
            "--verify-sigv4",
            "--access-key",
            "AKCLI",
            "--secret-key",
            "SKCLI",
        ]
    )
    assert code == 0
    host, port = captured.pop("host"), captured.pop("port")
    assert captured["fault"] == "fail-times:1:unavailable"
    assert captured["variants"] == ["Blue", "Green"]
    # serve_forever hands these to LocalEndpoint: build one the same way.
    with LocalEndpoint(host=host, port=port, **captured) as served:
        good = served.client(config=SINGLE)
        bad = served.client(config=SINGLE, aws_secret_access_key="nope")
        with pytest.raises(ClientError) as caught:
            invoke(bad, "any-name")
        assert caught.value.response["Error"]["Code"] == "InvalidSignatureException"
        with pytest.raises(ClientError) as caught:
            invoke(good, "any-name")
        assert caught.value.response["Error"]["Code"] == "ServiceUnavailable"
        response = invoke(good, "any-name", TargetVariant="Green")
        assert response["InvokedProductionVariant"] == "Green"
        assert invoke(good, "any-name")["InvokedProductionVariant"] == "Blue"
        assert {r.access_key for r in served.requests} == {None, "AKCLI"}
