"""The ``hf-toolkit`` dialect (HF inference toolkit pipeline) over boto3."""

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
from langchain_sagemaker.local.hf_toolkit import HFToolkitContainer, mms_error
from langchain_sagemaker.local.models import get_model

FIXTURES = Path(__file__).parent.parent / "fixtures" / "containers" / "hf-toolkit"
PROMPT = "Hello world. Bye!"  # echo tokens: Hello| world|.| Bye|!
# MMS's error body: Gson pretty printing and a final newline.
MMS_ERROR = re.compile(
    r'^\{\n  "code": 400,\n  "type": "InternalServerException",\n'
    r'  "message": "(?:[^"\\]|\\.)*"\n\}\n$'
)


@pytest.fixture(scope="module")
def endpoint() -> Iterator[LocalEndpoint]:
    with LocalEndpoint(
        container="hf-toolkit", model="echo", endpoint_name="hf"
    ) as served:
        yield served


@pytest.fixture(scope="module")
def client(endpoint: LocalEndpoint) -> Any:
    return endpoint.client()


def invoke(client: Any, body: Any, **kwargs: Any) -> bytes:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    kwargs.setdefault("ContentType", "application/json")
    response = client.invoke_endpoint(EndpointName="hf", Body=raw, **kwargs)
    assert response["ContentType"] == "application/json"
    return bytes(response["Body"].read())


def generate(client: Any, inputs: Any, **parameters: Any) -> Any:
    body: dict[str, Any] = {"inputs": inputs}
    if parameters:
        body["parameters"] = parameters
    return json.loads(invoke(client, body))


def toolkit_error(client: Any, body: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as caught:
        invoke(client, body, **kwargs)
    error = caught.value.response
    assert error["Error"]["Code"] == "ModelError"
    assert error["OriginalStatusCode"] == 400
    original = str(error["OriginalMessage"])
    assert MMS_ERROR.match(original), original
    return str(json.loads(original)["message"])


# --- answers ----------------------------------------------------------------------------


def test_answer_echoes_the_prompt_by_default(client: Any) -> None:
    raw = invoke(client, {"inputs": PROMPT})
    fixture = (FIXTURES / "response.json").read_bytes()
    for answer in (raw, fixture):  # encode_json: compact, one dict per answer
        parsed = json.loads(answer)
        assert [list(item) for item in parsed] == [["generated_text"]]
        assert answer == json.dumps(parsed, separators=(",", ":")).encode()
    assert raw == b'[{"generated_text":"Hello world. Bye!Hello world. Bye!"}]'


def test_return_full_text_false_and_max_new_tokens(client: Any) -> None:
    assert generate(client, PROMPT, return_full_text=False) == [
        {"generated_text": PROMPT}
    ]
    assert generate(client, PROMPT, max_new_tokens=2, return_full_text=False) == [
        {"generated_text": "Hello world"}
    ]


def test_default_max_length_bounds_prompt_and_answer(client: Any) -> None:
    prompt = " ".join(f"w{i}" for i in range(18))
    [answer] = generate(client, prompt, return_full_text=False)
    assert answer["generated_text"] == "w0 w1"  # 20 - 18 tokens
    long_prompt = " ".join(f"w{i}" for i in range(30))
    [answer] = generate(client, long_prompt, return_full_text=False)
    assert answer["generated_text"] == "w0"  # at least one token
    [answer] = generate(client, long_prompt, return_full_text=False, max_length=32)
    assert answer["generated_text"] == "w0 w1"


def test_stop_sequence_and_stop_strings(client: Any) -> None:
    [answer] = generate(client, PROMPT, stop_sequence=".", return_full_text=False)
    assert answer["generated_text"] == "Hello world."
    [answer] = generate(client, PROMPT, stop_strings=["ld"], return_full_text=False)
    assert answer["generated_text"] == "Hello world"


def test_list_inputs_and_sampling(client: Any) -> None:
    assert generate(client, ["a", "b"], return_full_text=False) == [
        [{"generated_text": "a"}],
        [{"generated_text": "b"}],
    ]
    answers = generate(
        client, "a", do_sample=True, num_return_sequences=2, temperature=0.7
    )
    assert answers == [{"generated_text": "aa"}, {"generated_text": "aa"}]


def test_response_stream_returns_the_whole_body(client: Any) -> None:
    response = client.invoke_endpoint_with_response_stream(
        EndpointName="hf",
        ContentType="application/json",
        Body=json.dumps({"inputs": "a", "stream": True}),
    )
    assert response["ContentType"] == "application/json"
    raw = b"".join(event["PayloadPart"]["Bytes"] for event in response["Body"])
    assert raw == b'[{"generated_text":"aa"}]'


# --- errors -----------------------------------------------------------------------------


def test_error_body_is_mms_gson() -> None:
    assert (
        mms_error(str(KeyError("gptj"))) == (FIXTURES / "error_400.json").read_bytes()
    )


def test_tgi_parameters_are_unused_model_kwargs(client: Any) -> None:
    body = {"inputs": "a", "parameters": {"details": True, "stop": ["x"], "seed": 1}}
    assert toolkit_error(client, body) == (
        "The following `model_kwargs` are not used by the model: ['details', "
        "'stop', 'seed'] (note: typos in the generate arguments will also show "
        "up in this list)"
    )


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"max_new_tokens": 0}, "`max_new_tokens` must be greater than 0, but is 0."),
        (
            {"do_sample": True, "temperature": 0.0},
            "`temperature` (=0.0) has to be a strictly positive float, otherwise "
            "your next token scores will be invalid. If you're looking for greedy "
            "decoding strategies, set `do_sample=False`.",
        ),
        (
            {"do_sample": True, "temperature": 2},
            "`temperature` (=2) has to be a strictly positive float, otherwise your "
            "next token scores will be invalid.",
        ),
        (
            {"do_sample": True, "top_k": -1},
            "`top_k` has to be a strictly positive integer, but is -1",
        ),
        (
            {"num_return_sequences": 2},
            "Greedy methods without beam search do not support "
            "`num_return_sequences` different than 1 (got 2).",
        ),
    ],
)
def test_generation_errors(
    client: Any, parameters: dict[str, Any], message: str
) -> None:
    assert toolkit_error(client, {"inputs": "a", "parameters": parameters}) == message


def test_greedy_ignores_sampling_parameters(client: Any) -> None:
    assert generate(client, "a", temperature=0.0, top_k=-1) == [
        {"generated_text": "aa"}
    ]


def test_bodies_the_toolkit_refuses(client: Any) -> None:
    assert toolkit_error(client, b"{oops") == (
        "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"
    )
    assert toolkit_error(client, ["a"]) == "'list' object has no attribute 'pop'"
    assert toolkit_error(client, {"prompt": "a"}) == (
        'can only concatenate str (not "dict") to str'
    )
    assert "not supported" in toolkit_error(client, b"a", ContentType="text/plain")


def test_registry() -> None:
    container = get_container(
        "hf-toolkit", get_model("echo"), latency_ms=1, max_length=50
    )
    assert isinstance(container, HFToolkitContainer)
    assert container.latency_ms == 1 and container.max_length == 50
