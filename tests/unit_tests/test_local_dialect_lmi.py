"""The ``lmi`` (DJL LMI rolling batch) dialect over real HTTP with boto3."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from langchain_sagemaker.local import LocalEndpoint
from langchain_sagemaker.local.container import get_container
from langchain_sagemaker.local.lmi import LMIContainer

FIXTURES = Path(__file__).parent.parent / "fixtures" / "containers" / "lmi"
PROMPT = "Hello world. Bye!"  # echo tokens: Hello| world|.| Bye|!
BATCH_ERROR = '{"error":"exception occurred during rolling batch inference","code":424}'


class Broken:
    name = "broken"

    def generate(self, prompt: str) -> Iterator[str]:
        yield "ok"
        raise RuntimeError("CUDA out of memory")


@pytest.fixture(scope="module")
def endpoint() -> Iterator[LocalEndpoint]:
    with LocalEndpoint(container="lmi", model="echo", endpoint_name="lmi") as served:
        served.add_endpoint("lmi-broken", "lmi", Broken())
        served.add_endpoint("lmi-tgi", "lmi", "echo", tgi_compat=True)
        yield served


@pytest.fixture(scope="module")
def client(endpoint: LocalEndpoint) -> Any:
    return endpoint.client()


def invoke(
    client: Any, body: Any, name: str = "lmi", content_type: str = "application/json"
) -> tuple[str, bytes]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = client.invoke_endpoint(
        EndpointName=name, ContentType=content_type, Body=raw
    )
    return response["ContentType"], bytes(response["Body"].read())


def stream(client: Any, body: dict[str, Any], name: str = "lmi") -> tuple[str, bytes]:
    response = client.invoke_endpoint_with_response_stream(
        EndpointName=name, ContentType="application/json", Body=json.dumps(body)
    )
    raw = b"".join(event["PayloadPart"]["Bytes"] for event in response["Body"])
    return response["ContentType"], raw


def lines(raw: bytes) -> list[bytes]:
    """An independent JSON-lines reader: every line ends with a newline."""
    assert raw.endswith(b"\n"), raw[-40:]
    return raw[:-1].split(b"\n")


def python_style(line: bytes) -> bool:
    """Written by ``json.dumps(value, ensure_ascii=False)``."""
    return line == json.dumps(json.loads(line), ensure_ascii=False).encode()


def doc_keys(text: str) -> list[str]:
    return re.findall(r'"([a-z_ ]+)":', text)


# --- non-streaming ---------------------------------------------------------------------


def test_plain_answer(client: Any) -> None:
    content_type, raw = invoke(client, {"inputs": PROMPT})
    assert content_type == "application/json"
    assert raw == b'{"generated_text": "Hello world. Bye!"}'


def test_details_as_documented(client: Any) -> None:
    body = {"inputs": PROMPT, "parameters": {"details": True, "max_new_tokens": 3}}
    _, raw = invoke(client, body)
    assert python_style(raw)
    answer = json.loads(raw)
    doc = (FIXTURES / "response_details.doc.txt").read_text()
    # The doc writes "finish reason"; output_formatter.py writes finish_reason.
    assert doc_keys(doc) == [
        "generated_text",
        "details",
        "finish reason",
        "generated_tokens",
        "inputs",
        "tokens",
    ]
    assert list(answer) == ["generated_text", "details"]
    details = answer["details"]
    assert list(details) == ["finish_reason", "generated_tokens", "inputs", "tokens"]
    assert details["finish_reason"] == "length"
    assert details["generated_tokens"] == 3
    assert details["inputs"] == PROMPT
    assert [t["text"] for t in details["tokens"]] == ["Hello", " world", "."]
    assert all(list(t) == ["id", "text", "log_prob"] for t in details["tokens"])
    assert answer["generated_text"] == "Hello world."


def test_default_max_new_tokens_is_30(client: Any) -> None:
    prompt = " ".join(f"w{i}" for i in range(40))
    body = {"inputs": prompt, "parameters": {"details": True}}
    answer = json.loads(invoke(client, body)[1])
    assert answer["generated_text"] == " ".join(f"w{i}" for i in range(30))
    assert answer["details"]["finish_reason"] == "length"


def test_eos_is_a_token_with_empty_text(client: Any) -> None:
    body = {"inputs": "a b", "parameters": {"details": True}}
    details = json.loads(invoke(client, body)[1])["details"]
    assert details["finish_reason"] == "eos_token"
    assert details["generated_tokens"] == 3
    eos = details["tokens"][-1]
    assert (eos["id"], eos["text"]) == (2, "")


def test_stop_sequences_stay_in_the_text(client: Any) -> None:
    body = {
        "inputs": PROMPT,
        "parameters": {"stop_sequences": ["Bye"], "details": True},
    }
    answer = json.loads(invoke(client, body)[1])
    assert answer["generated_text"] == "Hello world. Bye"
    # vLLM's "stop" (EOS or stop string) is FINISH_REASON_MAPPER's eos_token.
    assert answer["details"]["finish_reason"] == "eos_token"


def test_return_full_text(client: Any) -> None:
    body = {"inputs": "a", "parameters": {"return_full_text": True}}
    assert json.loads(invoke(client, body)[1]) == {"generated_text": "aa"}


def test_unknown_parameters_are_ignored(client: Any) -> None:
    body = {"inputs": "a", "parameters": {"no_such_thing": 1, "stop": ["x"]}}
    assert json.loads(invoke(client, body)[1]) == {"generated_text": "a"}


# --- streaming ------------------------------------------------------------------------


def test_stream_lines_as_documented(client: Any) -> None:
    body = {"inputs": PROMPT, "stream": True, "parameters": {"details": True}}
    content_type, raw = stream(client, body)
    assert content_type == "application/jsonlines"
    ours = lines(raw)
    documented = lines((FIXTURES / "stream_doc_lines.jsonl").read_bytes())
    assert all(python_style(line) for line in documented)
    assert all(python_style(line) for line in ours)
    shape = [list(json.loads(documented[0])), list(json.loads(documented[0])["token"])]
    for line in ours[:-1]:
        parsed = json.loads(line)
        assert [list(parsed), list(parsed["token"])] == shape
    last = json.loads(ours[-1])
    doc_last = (FIXTURES / "stream_last_line.doc.txt").read_text()
    assert doc_keys(doc_last) == [
        "token",
        "id",
        "text",
        "log_prob",
        "generated_text",
        "details",
        "finish_reason",
        "generated_tokens",
        "inputs",
    ]
    assert list(last) == ["token", "generated_text", "details"]
    assert list(last["details"]) == ["finish_reason", "generated_tokens", "inputs"]
    assert last["generated_text"] == PROMPT
    texts = "".join(json.loads(line)["token"]["text"] for line in ours)
    assert texts == PROMPT
    assert last["token"]["text"] == "" and last["token"]["id"] == 2


def test_stream_without_details_and_stop(client: Any) -> None:
    body = {"inputs": PROMPT, "stream": True, "parameters": {"max_new_tokens": 2}}
    ours = [json.loads(line) for line in lines(stream(client, body)[1])]
    assert [list(line) for line in ours] == [["token"], ["token", "generated_text"]]
    assert ours[-1]["generated_text"] == "Hello world"


def test_error_after_the_first_token_ends_the_stream(client: Any) -> None:
    _, raw = stream(client, {"inputs": "x", "stream": True}, name="lmi-broken")
    first, error = raw.split(b"\n")
    assert json.loads(first)["token"]["text"] == "ok"
    assert error == BATCH_ERROR.encode()  # no newline after it


# --- errors ------------------------------------------------------------------------------


def lmi_error(client: Any, body: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as caught:
        invoke(client, body, **kwargs)
    error = caught.value.response
    assert error["Error"]["Code"] == "ModelError"
    assert error["OriginalStatusCode"] == 424
    return str(error["OriginalMessage"])


def test_parse_errors_are_424_gson(client: Any) -> None:
    original = lmi_error(client, {"inputs": 5})
    assert original.encode() == (FIXTURES / "error_parse.json").read_bytes()
    prefix = "Input Parsing failed. Ensure that the request payload is valid. "
    assert json.loads(lmi_error(client, {"prompt": "x"})) == {
        "error": prefix + "Invalid request payload. Request payload should be a "
        "json object specifying the 'inputs' field. Received payload "
        "{'prompt': 'x'}",
        "code": 424,
    }
    assert json.loads(lmi_error(client, b"{oops"))["error"] == (
        prefix + "Expecting property name enclosed in double quotes: line 1 column 2 "
        "(char 1)"
    )
    assert (
        "'parameters' must be provided as an object"
        in json.loads(lmi_error(client, {"inputs": "x", "parameters": [1]}))["error"]
    )
    assert (
        "The 'inputs' field does not contain any content"
        in json.loads(lmi_error(client, {"inputs": ""}))["error"]
    )
    assert (
        "Received type <class 'list'>"
        in json.loads(lmi_error(client, b"hello", content_type="text/plain"))["error"]
    )


@pytest.mark.parametrize(
    "parameters",
    [
        {"temperature": -1},
        {"top_p": 0},
        {"max_new_tokens": 0},
        {"top_k": 0},
        {"stop_sequences": [""]},
        {"temperature": "hot"},
    ],
)
def test_bad_parameters_are_rolling_batch_errors(
    client: Any, parameters: dict[str, Any]
) -> None:
    assert lmi_error(client, {"inputs": "x", "parameters": parameters}) == BATCH_ERROR
    body = {"inputs": "x", "stream": True, "parameters": parameters}
    with pytest.raises(ClientError) as caught:
        stream(client, body)
    assert caught.value.response["OriginalStatusCode"] == 424


def test_model_failure_without_stream(client: Any) -> None:
    assert lmi_error(client, {"inputs": "x"}, name="lmi-broken") == BATCH_ERROR


# --- tgi_compat -----------------------------------------------------------------------------


def test_tgi_compat(client: Any) -> None:
    answer = json.loads(invoke(client, {"inputs": "a"}, name="lmi-tgi")[1])
    [result] = answer
    assert list(result["details"]) == [
        "finish_reason",
        "generated_tokens",
        "inputs",
        "tokens",
    ]
    assert list(result["details"]["tokens"][0]) == ["id", "text", "logprob"]
    content_type, raw = stream(client, {"inputs": "a", "stream": True}, name="lmi-tgi")
    assert content_type == "text/event-stream"
    assert raw.startswith(b'data: {"token": {"id": ')
    assert raw.endswith(b"\n\n")
    assert len(raw[:-2].split(b"\n\n")) == 2


def test_registry_and_options() -> None:
    container = get_container("lmi", Broken(), latency_ms=2, default_max_new_tokens=5)
    assert isinstance(container, LMIContainer)
    assert container.latency_ms == 2 and container.default_max_new_tokens == 5
    with pytest.raises(ValueError, match="output_formatter"):
        LMIContainer(Broken(), output_formatter="xml")
