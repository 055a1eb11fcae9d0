"""The JumpStart dialects over real HTTP with boto3."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from langchain_sagemaker.local import LocalEndpoint
from langchain_sagemaker.local.container import available_containers, get_container
from langchain_sagemaker.local.jumpstart import (
    JumpStartFalconContainer,
    JumpStartLlamaContainer,
    JumpStartMistralContainer,
)
from langchain_sagemaker.local.models import get_model

FIXTURES = Path(__file__).parent.parent / "fixtures" / "containers"
PROMPT = "Hello world. Bye!"  # echo tokens: Hello| world|.| Bye|!
EULA = "accept_eula=true"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[LocalEndpoint]:
    with LocalEndpoint(
        container="jumpstart-flan-t5", model="echo", endpoint_name="flan"
    ) as served:
        served.add_endpoint("llama", "jumpstart-llama", "echo")
        served.add_endpoint("llama-tgi", "jumpstart-llama", "echo", flavor="tgi")
        served.add_endpoint("falcon", "jumpstart-falcon", "echo")
        served.add_endpoint("mistral", "jumpstart-mistral", "echo")
        yield served


@pytest.fixture(scope="module")
def client(endpoint: LocalEndpoint) -> Any:
    return endpoint.client()


def invoke(client: Any, name: str, body: Any, **kwargs: Any) -> bytes:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    kwargs.setdefault("ContentType", "application/json")
    response = client.invoke_endpoint(EndpointName=name, Body=raw, **kwargs)
    assert response["ContentType"] == "application/json"
    return bytes(response["Body"].read())


def failure(client: Any, name: str, body: Any, **kwargs: Any) -> tuple[int, str]:
    with pytest.raises(ClientError) as caught:
        invoke(client, name, body, **kwargs)
    error = caught.value.response
    assert error["Error"]["Code"] == "ModelError"
    return error["OriginalStatusCode"], str(error["OriginalMessage"])


def fixture(path: str) -> bytes:
    return (FIXTURES / path).read_bytes()


# --- jumpstart-flan-t5 -------------------------------------------------------------------


def test_flan_json_payload_from_the_notebook(client: Any) -> None:
    payload = json.loads(fixture("jumpstart-flan-t5/request.json"))
    payload["text_inputs"] = PROMPT
    raw = invoke(client, "flan", payload)
    assert raw == b'{"generated_texts":["Hello world. Bye!","Hello world. Bye!",' + (
        b'"Hello world. Bye!"]}'
    )


def test_flan_x_text_and_max_length(client: Any) -> None:
    raw = invoke(client, "flan", b"a b c", ContentType="application/x-text")
    assert json.loads(raw) == {"generated_text": "a b c"}  # no prompt: seq2seq
    body = {"text_inputs": PROMPT, "max_length": 3}  # start token + 2 new
    assert json.loads(invoke(client, "flan", body)) == {
        "generated_texts": ["Hello world"]
    }
    body = {"text_inputs": PROMPT, "max_new_tokens": 1}
    assert json.loads(invoke(client, "flan", body)) == {"generated_texts": ["Hello"]}


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (
            {"text_inputs": "a", "max_length": 0},
            "max_length must be a positive integer",
        ),
        ({"text_inputs": "a", "top_p": 2}, "top_p must be a float between 0 and 1"),
        ({"text_inputs": "a", "num_return_sequences": 2}, "num_beams"),
        ({"text_inputs": "a", "stop": ["x"]}, "`model_kwargs` are not used"),
        ({"inputs": "a"}, "'text_inputs'"),
    ],
)
def test_flan_refusals_are_mms_400(client: Any, body: Any, needle: str) -> None:
    status, original = failure(client, "flan", body)
    assert status == 400
    assert original.startswith('{\n  "code": 400,\n  "type": "InternalServerException"')
    assert needle in json.loads(original)["message"]


# --- jumpstart-llama (legacy) ------------------------------------------------------------


def test_llama_needs_the_eula(client: Any) -> None:
    body = json.loads(fixture("jumpstart-llama/request_text.json"))
    for attributes in ({}, {"CustomAttributes": "accept_eula=false"}):
        status, original = failure(client, "llama", body, **attributes)
        assert status == 424
        assert original.encode() == fixture("jumpstart-llama/error_eula.json")


def test_llama_text_generation(client: Any) -> None:
    body = json.loads(fixture("jumpstart-llama/request_text.json"))
    raw = invoke(client, "llama", body, CustomAttributes=EULA)
    # djl_python Output.add_as_json: indent=2, separators (",", ":").
    assert raw == (
        b'[\n  {\n    "generation":"I believe the meaning of life is"\n  }\n]'
    )
    body = {"inputs": PROMPT, "parameters": {"max_new_tokens": 2}}
    raw = invoke(client, "llama", body, CustomAttributes=f"x=1; {EULA}")
    assert json.loads(raw) == [{"generation": "Hello world"}]
    body = {"inputs": "a", "parameters": {"return_full_text": True}}
    raw = invoke(client, "llama", body, CustomAttributes=EULA)
    assert json.loads(raw) == [{"generation": "aa"}]


def test_llama_chat(client: Any) -> None:
    body = json.loads(fixture("jumpstart-llama/request_chat.json"))
    [answer] = json.loads(invoke(client, "llama", body, CustomAttributes=EULA))
    assert answer == {
        "generation": {
            "role": "assistant",
            "content": "I am going to Paris, what should I see?",
        }
    }


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        (
            [[{"role": "assistant", "content": "hi"}]],
            "model only supports 'system', 'user' and 'assistant' roles, starting "
            "with 'system', then 'user' and alternating (u/a/u/a/u...)",
        ),
        (
            [[{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]],
            "Last message must be from user, got assistant",
        ),
        ([[{"role": "user", "content": "a"}]] * 2, "Batch size"),
    ],
)
def test_llama_dialog_errors(client: Any, inputs: Any, message: str) -> None:
    status, original = failure(
        client, "llama", {"inputs": inputs}, CustomAttributes=EULA
    )
    assert status == 424
    assert json.loads(original) == {
        "code": 424,
        "message": "prediction failure",
        "error": json.loads(original)["error"],
    }
    assert json.loads(original)["error"].startswith(message)


def test_llama_payload_without_inputs(client: Any) -> None:
    status, original = failure(client, "llama", {"prompt": "x"}, CustomAttributes=EULA)
    assert status == 424
    assert original.encode() == fixture("jumpstart-llama/error_inputs.json")


def test_llama_tgi_flavor(client: Any) -> None:
    body = {"inputs": PROMPT, "parameters": {"max_new_tokens": 3}}
    assert json.loads(invoke(client, "llama-tgi", body)) == [
        {"generated_text": "Hello world."}
    ]


# --- jumpstart-falcon / jumpstart-mistral (TGI) --------------------------------------------


def test_falcon_payload_from_the_notebook(client: Any) -> None:
    body = json.loads(fixture("jumpstart-falcon/request.json"))
    [answer] = json.loads(invoke(client, "falcon", body))
    assert answer == {"generated_text": "Tell me about Amazon SageMaker."}


def test_falcon_defaults_and_stream(client: Any) -> None:
    body = {"inputs": " ".join(f"w{i}" for i in range(30)), "parameters": {}}
    body["parameters"]["details"] = True
    [answer] = json.loads(invoke(client, "falcon", body))
    assert answer["details"]["generated_tokens"] == 20  # TGI < 1.4 default
    # return_full_text is off for a model loaded from a path (no pipeline tag)
    assert answer["generated_text"] == " ".join(f"w{i}" for i in range(20))
    response = client.invoke_endpoint_with_response_stream(
        EndpointName="falcon",
        ContentType="application/json",
        Body=json.dumps({"inputs": "a", "stream": True}),
    )
    raw = b"".join(event["PayloadPart"]["Bytes"] for event in response["Body"])
    events = raw.split(b"\n\n")
    assert events[-1] == b""
    assert all(e.startswith(b'data:{"index":') for e in events[:-1])  # axum 0.6
    last = json.loads(events[-2][len(b"data:") :])
    assert last["token"]["text"] == "<|endoftext|>" and last["token"]["id"] == 11
    assert last["generated_text"] == "a"


def test_mistral_schema_and_validation(client: Any) -> None:
    body = json.loads(fixture("jumpstart-mistral/request.json"))
    [answer] = json.loads(invoke(client, "mistral", body))
    assert list(answer) == ["generated_text"]
    assert answer["generated_text"] == body["inputs"]
    status, original = failure(
        client, "mistral", {"inputs": "a", "parameters": {"top_p": 1.0}}
    )
    assert status == 422
    assert json.loads(original)["error_type"] == "validation"


def test_registry() -> None:
    names = available_containers()
    for name in ("jumpstart-flan-t5", "jumpstart-llama", "jumpstart-mistral"):
        assert name in names
    model = get_model("echo")
    assert isinstance(get_container("jumpstart-llama", model), JumpStartLlamaContainer)
    falcon = get_container("jumpstart-falcon", model, latency_ms=4)
    assert isinstance(falcon, JumpStartFalconContainer)
    assert falcon.latency_ms == 4 and falcon.max_total_tokens == 2048
    mistral = get_container("jumpstart-mistral", model, sse_prefix="data: ")
    assert isinstance(mistral, JumpStartMistralContainer)
    assert mistral.sse_prefix == b"data: " and mistral.dialect == "jumpstart-mistral"
    with pytest.raises(ValueError, match="flavor"):
        get_container("jumpstart-llama", model, flavor="v3")
