"""The local embedder and the embedding dialects (TEI, HF toolkit, JumpStart, vLLM)."""

from __future__ import annotations

import base64
import json
import math
import re
import struct
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from langchain_sagemaker.local import LocalEndpoint
from langchain_sagemaker.local.container import available_containers, get_container
from langchain_sagemaker.local.embeddings import (
    HFToolkitEmbeddingsContainer,
    JumpStartEmbeddingsContainer,
    OpenAIEmbeddingsContainer,
    TEIContainer,
    f32,
    f32_json,
    resolve_embedder,
)
from langchain_sagemaker.local.models import get_model
from langchain_sagemaker.local.models.base import Model
from langchain_sagemaker.local.models.embedder import (
    Embedder,
    EmbeddingModel,
    cosine,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "containers" / "embeddings"
DIALECTS = ("tei", "hf-toolkit-embeddings", "jumpstart-embeddings", "openai-embeddings")
MMS_ERROR = re.compile(
    r'^\{\n  "code": 400,\n  "type": "InternalServerException",\n'
    r'  "message": "(?:[^"\\]|\\.)*"\n\}\n$'
)
NOTEBOOK = [  # text-embedding-sentence-similarity.ipynb / Amazon_JumpStart_Text_Embedding
    "How cute your dog is!",
    "Your dog is so cute.",
    "You have such a cute dog!",
    "New York City is the place where I work.",
    "I work in New York City.",
    "What color do you like the most?",
    "What is your favourite color?",
]
PARAGRAPHS = [
    "Managed Spot Training can be used with all instances supported in Amazon "
    "SageMaker. Managed Spot Training is supported in all AWS Regions where "
    "Amazon SageMaker is currently available.",
    "Amazon SageMaker stores code in ML storage volumes, secured by security "
    "groups and optionally encrypted at rest.",
    "The museum in Bergen opened in 1825 and holds 3,000 paintings by Norwegian "
    "artists.",
    "Paris is the capital and most populous city of France, with an estimated "
    "population of two million residents.",
    "Photosynthesis is the process by which green plants use sunlight to "
    "synthesize nutrients from carbon dioxide and water.",
    "The Great Wall of China was built over many centuries to protect Chinese "
    "states against nomadic invasions.",
]
QUESTIONS = [
    ("Which instances can I use with Managed Spot Training in SageMaker?", 0),
    ("How does Amazon SageMaker secure my code?", 1),
    ("When did the museum in Bergen open?", 2),
    ("How many paintings does the Bergen museum hold?", 2),
    ("What is the capital of France?", 3),
    ("How do plants make food from sunlight?", 4),
    ("Why was the Great Wall built?", 5),
]


def norm(vector: list[float]) -> float:
    return math.sqrt(sum(v * v for v in vector))


def mean(vectors: list[list[float]]) -> list[float]:
    return [sum(column) / len(vectors) for column in zip(*vectors, strict=True)]


def shape(value: Any) -> Any:
    """Nesting, keys (in order) and value types; lists reduced to their first item."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def depth(value: Any) -> int:
    return 1 + depth(value[0]) if isinstance(value, list) and value else 0


# --- the embedder ------------------------------------------------------------------------


def test_embedder_is_deterministic_and_unit_length() -> None:
    first, second = Embedder(), Embedder()
    texts = ["Hello world", "Grüße aus 東京", "", "   ", "a" * 500]
    vectors = first.embed(texts)
    assert vectors == second.embed(texts) == first.embed(texts)
    assert [len(v) for v in vectors] == [384] * 5
    for vector in (vectors[0], vectors[1], vectors[4]):
        assert norm(vector) == pytest.approx(1.0)
    assert vectors[2] == vectors[3] == [0.0] * 384  # nothing to embed
    assert first.embed("Hello world") == [vectors[0]]  # a string is one text
    # Case and spacing do not matter; words do.
    assert first.embed_one("HELLO   world") == vectors[0]
    assert first.embed_one("Hello there") != vectors[0]


@pytest.mark.parametrize("dimension", [1, 8, 1024])
def test_dimension_is_configurable(dimension: int) -> None:
    embedder = Embedder(dimension)
    [vector] = embedder.embed(["some words to embed"])
    assert len(vector) == dimension == embedder.dimension
    assert norm(vector) == pytest.approx(1.0)


@pytest.mark.parametrize("dimension", [0, -3, 2.5, True])
def test_invalid_dimension_is_refused(dimension: Any) -> None:
    with pytest.raises((ValueError, TypeError)):
        Embedder(dimension)


def test_word_pieces_and_token_vectors() -> None:
    embedder = Embedder(16)
    text = "Embeddings are wonderful, aren't they? 東京"
    pieces = embedder.pieces(text)
    assert pieces == [
        "embedd",
        "##ings",
        "are",
        "wonder",
        "##ful",
        ",",
        "aren",
        "'",
        "t",
        "they",
        "?",
        "東",
        "京",
    ]
    assert embedder.count_tokens(text) == len(pieces) + 2  # [CLS] ... [SEP]
    tokens = embedder.token_vectors(text)
    assert len(tokens) == len(pieces) + 2
    assert all(len(token) == 16 for token in tokens)
    # Mean pooling of the token vectors gives the embedding.
    assert cosine(mean(tokens), embedder.embed_one(text)) == pytest.approx(1.0)
    assert tokens[0] == tokens[-1] == pytest.approx(mean(tokens))  # [CLS], [SEP]
    assert embedder.token_vectors("") == [[0.0] * 16, [0.0] * 16]


def test_paraphrases_are_closer_than_unrelated_texts() -> None:
    embedder = Embedder()
    vectors = dict(zip(NOTEBOOK, embedder.embed(NOTEBOOK), strict=True))

    def similarity(a: int, b: int) -> float:
        return cosine(vectors[NOTEBOOK[a]], vectors[NOTEBOOK[b]])

    groups = [(0, 1, 2), (3, 4), (5, 6)]
    for group in groups:
        for a in group:
            for b in group:
                for other in range(len(NOTEBOOK)):
                    if other not in group:
                        assert similarity(a, b) > similarity(a, other)
    assert similarity(0, 1) > 0.8
    assert abs(similarity(0, 4)) < 0.2  # unrelated: near orthogonal


def test_retrieval_finds_the_paragraph_a_question_is_about() -> None:
    embedder = Embedder()
    paragraphs = embedder.embed(PARAGRAPHS)
    for question, expected in QUESTIONS:
        query = embedder.embed_one(question)
        scores = [cosine(query, paragraph) for paragraph in paragraphs]
        assert scores.index(max(scores)) == expected, (question, scores)


def test_a_thousand_short_texts_embed_well_under_a_second() -> None:
    texts = [
        f"short text number {i} about topic {i % 17} and more" for i in range(1000)
    ]
    start = time.perf_counter()
    vectors = Embedder().embed(texts)
    assert time.perf_counter() - start < 1.0
    assert len(vectors) == 1000


def test_embedder_is_a_model_and_an_embedding_model() -> None:
    embedder = Embedder()
    assert isinstance(embedder, Model)
    assert isinstance(embedder, EmbeddingModel)
    assert list(embedder.generate("anything")) == []
    assert not isinstance(get_model("reader"), EmbeddingModel)


# --- float32 helpers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (1.0, "1.0"),
        (-2.5, "-2.5"),
        (0.1, "0.1"),
        (1 / 3, "0.33333334"),
        (math.sqrt(0.5), "0.70710677"),
        (0.012345679, "0.012345679"),
        (1e-5, "0.00001"),
        (1.5e-6, "0.0000015"),
        (1e-7, "1e-7"),
        (1.25e-9, "1.25e-9"),
        (123456.0, "123456.0"),
        (1e13, "1e13"),
        (3.4028235e38, "3.4028235e38"),
    ],
)
def test_f32_json_writes_ryu_shortest_float32(value: float, text: str) -> None:
    [rounded] = f32([value])
    assert f32_json(rounded) == text
    assert f32([float(text)]) == [rounded]


def test_resolve_embedder() -> None:
    embedder = Embedder(8)
    assert resolve_embedder(embedder, None) is embedder
    assert resolve_embedder(embedder, 8) is embedder
    with pytest.raises(ValueError, match="dimension=4"):
        resolve_embedder(embedder, 4)
    replaced = resolve_embedder(get_model("reader"), None)
    assert isinstance(replaced, Embedder)
    assert replaced.dimension == 384
    assert resolve_embedder(None, 12).dimension == 12


def test_dialects_are_registered() -> None:
    names = available_containers()
    for name in DIALECTS:
        assert name in names
    classes = [
        TEIContainer,
        HFToolkitEmbeddingsContainer,
        JumpStartEmbeddingsContainer,
        OpenAIEmbeddingsContainer,
    ]
    for name, cls in zip(DIALECTS, classes, strict=True):
        container = get_container(name, get_model("echo"), dimension=16)
        assert isinstance(container, cls)
        assert container.dialect == name
        assert isinstance(container.embedder, Embedder)  # echo is replaced
        assert container.dimension == 16


# --- over boto3 ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def endpoint() -> Iterator[LocalEndpoint]:
    embedder = Embedder()
    with LocalEndpoint(container="tei", model=embedder, endpoint_name="tei") as served:
        served.add_endpoint("tei-18", "tei", embedder, version="1.8")
        served.add_endpoint(
            "tei-small", "tei", Embedder(8), max_client_batch_size=2, max_input_length=8
        )
        served.add_endpoint(
            "tei-prompts", "tei", embedder, prompts={"query": "query: "}
        )
        served.add_endpoint("tei-reader", "tei")  # the default model is "reader"
        served.add_endpoint("hf", "hf-toolkit-embeddings", embedder)
        served.add_endpoint(
            "hf-small", "hf-toolkit-embeddings", Embedder(4), max_length=8
        )
        served.add_endpoint("js", "jumpstart-embeddings", embedder)
        served.add_endpoint("oa", "openai-embeddings", embedder)
        served.add_endpoint(
            "oa-mrl",
            "openai-embeddings",
            embedder,
            served_model_name="jinaai/jina-embeddings-v3",
            matryoshka=True,
            max_model_len=16,
        )
        served.add_endpoint(
            "oa-bge", "openai-embeddings", embedder, served_model_name="BAAI/bge-m3"
        )
        served.add_endpoint(
            "oa-nested", "openai-embeddings", embedder, error_format="nested"
        )
        yield served


@pytest.fixture(scope="module")
def client(endpoint: LocalEndpoint) -> Any:
    return endpoint.client()


def invoke(
    client: Any,
    name: str,
    body: Any,
    content_type: str = "application/json",
    **kwargs: Any,
) -> bytes:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = client.invoke_endpoint(
        EndpointName=name, Body=raw, ContentType=content_type, **kwargs
    )
    assert response["ContentType"] == "application/json"
    return bytes(response["Body"].read())


def model_error(client: Any, name: str, body: Any, **kwargs: Any) -> tuple[int, str]:
    with pytest.raises(ClientError) as caught:
        invoke(client, name, body, **kwargs)
    error = caught.value.response
    assert error["Error"]["Code"] == "ModelError"
    return int(error["OriginalStatusCode"]), str(error["OriginalMessage"])


def mms_message(client: Any, name: str, body: Any, **kwargs: Any) -> str:
    status, original = model_error(client, name, body, **kwargs)
    assert status == 400
    assert MMS_ERROR.match(original), original
    return str(json.loads(original)["message"])


# --- tei ------------------------------------------------------------------------------------


def test_tei_single_input_answers_a_list_of_one_vector(client: Any) -> None:
    raw = invoke(client, "tei", (FIXTURES / "tei-request.json").read_bytes())
    answer = json.loads(raw)
    assert depth(answer) == 2 and len(answer) == 1 and len(answer[0]) == 384
    assert norm(answer[0]) == pytest.approx(1.0, abs=1e-6)
    fixture = json.loads((FIXTURES / "tei-response.json").read_bytes())
    assert shape(answer) == shape(fixture) == [["float"]]
    expected = f32(Embedder().embed_one("What is Deep Learning?"))
    assert f32(answer[0]) == expected  # the shortest digits read back exactly


def test_tei_writes_floats_like_serde(client: Any) -> None:
    raw = invoke(client, "tei", (FIXTURES / "tei-request-batch.json").read_bytes())
    answer = json.loads(raw)
    assert len(answer) == 2
    # Compact, and every number is ryu's shortest float32 form.
    numbers = re.findall(rb"-?[0-9][0-9.e-]*", raw)
    assert len(numbers) == 2 * 384
    for number in numbers:
        assert f32_json(f32([float(number)])[0]) == number.decode()
    rebuilt = (
        "["
        + ",".join(
            "[" + ",".join(f32_json(v) for v in vector) + "]" for vector in answer
        )
        + "]"
    )
    assert raw == rebuilt.encode()
    fixture = (FIXTURES / "tei-response-batch.json").read_bytes()
    for number in re.findall(rb"-?[0-9][0-9.e-]*", fixture):
        assert f32_json(f32([float(number)])[0]) == number.decode()


def test_tei_options_normalize_dimensions_and_unknown_keys(client: Any) -> None:
    [unit] = json.loads(invoke(client, "tei", {"inputs": "Hello world"}))
    [raw] = json.loads(
        invoke(client, "tei", {"inputs": "Hello world", "normalize": False})
    )
    assert norm(raw) != pytest.approx(1.0)
    assert cosine(raw, unit) == pytest.approx(1.0)
    [cut] = json.loads(
        invoke(
            client, "tei", {"inputs": "Hello world", "dimensions": 128, "model": "x"}
        )
    )
    assert len(cut) == 128
    assert norm(cut) == pytest.approx(1.0, abs=1e-6)
    assert cosine(cut, unit[:128]) == pytest.approx(1.0)
    body = {"inputs": "Hello world", "truncate": None, "parameters": {"a": 1}}
    assert json.loads(invoke(client, "tei", body)) == [unit]
    # Token ids are one input; several lists of ids are a batch.
    assert len(json.loads(invoke(client, "tei", {"inputs": [101, 7592, 102]}))) == 1
    assert len(json.loads(invoke(client, "tei", {"inputs": [[1, 2], "text"]}))) == 2


def test_tei_batch_limit_and_empty_inputs(client: Any) -> None:
    status, message = model_error(client, "tei", {"inputs": ["x"] * 33})
    assert status == 422
    assert message == (
        '{"error":"batch size 33 > maximum allowed batch size 32",'
        '"error_type":"Validation"}'
    )
    assert len(json.loads(invoke(client, "tei", {"inputs": ["x"] * 32}))) == 32
    empty = (
        '{"error":"Input validation error: `inputs` cannot be empty",'
        '"error_type":"Empty"}'
    )
    for body in ({"inputs": ""}, {"inputs": []}, {"inputs": ["a", ""]}):
        assert model_error(client, "tei", body) == (400, empty)


def test_tei_18_errors_match_real_bodies(client: Any, endpoint: LocalEndpoint) -> None:
    status, message = model_error(client, "tei-18", {"inputs": ""})
    assert status == 413
    assert message.encode() == (FIXTURES / "tei-1.8-error-empty.json").read_bytes()
    endpoint.add_endpoint(
        "tei-18-1024", "tei", version="1.8.2", max_client_batch_size=1024
    )
    status, message = model_error(client, "tei-18-1024", {"inputs": ["a"] * 1025})
    assert status == 413
    assert message.encode() == (FIXTURES / "tei-1.8-error-batch.json").read_bytes()
    # 563 word-pieces + [CLS] + [SEP]; TEI 1.8 does not truncate by default.
    long_text = " ".join(f"w{i}" for i in range(563))
    status, message = model_error(client, "tei-18", {"inputs": long_text})
    assert status == 413
    assert message.encode() == (FIXTURES / "tei-1.8-error-tokens.json").read_bytes()
    # ... unless asked to; TEI 1.9 truncates by default.
    body = {"inputs": long_text, "truncate": True}
    [vector] = json.loads(invoke(client, "tei-18", body))
    [default] = json.loads(invoke(client, "tei", {"inputs": long_text}))
    assert vector == default
    assert len(json.loads(invoke(client, "tei", {"inputs": long_text}))) == 1


def test_tei_truncation_direction(client: Any) -> None:
    text = "one two three four five six seven eight nine ten"
    embedder = Embedder(8)
    words = text.split()
    [right] = json.loads(
        invoke(client, "tei-small", {"inputs": text, "truncate": True})
    )
    assert f32(right) == f32(embedder.embed_one(" ".join(words[:6])))
    body = {"inputs": text, "truncate": True, "truncation_direction": "Left"}
    [left] = json.loads(invoke(client, "tei-small", body))
    assert f32(left) == f32(embedder.embed_one(" ".join(words[-6:])))
    status, message = model_error(
        client, "tei-small", {"inputs": text, "truncate": False}
    )
    assert status == 422
    assert json.loads(message) == {
        "error": "Input validation error: `inputs` must have less than 8 tokens. "
        "Given: 12",
        "error_type": "Validation",
    }
    status, message = model_error(client, "tei-small", {"inputs": ["a", "b", "c"]})
    assert json.loads(message)["error"] == "batch size 3 > maximum allowed batch size 2"


def test_tei_dimensions_and_prompt_errors(client: Any) -> None:
    def error(name: str, body: Any) -> str:
        status, message = model_error(client, name, body)
        assert status == 422
        parsed = json.loads(message)
        assert parsed["error_type"] == "Validation"
        return str(parsed["error"])

    assert error("tei", {"inputs": "a", "dimensions": 0}) == (
        "Input validation error: `dimensions` should be positive"
    )
    assert error("tei", {"inputs": "a", "dimensions": 385}) == (
        "Input validation error: `dimensions` should be smaller than the maximum "
        "embedding dimension."
    )
    assert error("tei", {"inputs": "a", "prompt_name": "query"}) == (
        "Input validation error: `default-prompt-name` is set to `query` but no "
        "prompts were found in the Sentence Transformers configuration"
    )
    assert error("tei-prompts", {"inputs": "a", "prompt_name": "doc"}) == (
        "Input validation error: `default-prompt-name` is set to `doc` but it was "
        'not found in the Sentence Transformers prompts. Available prompts: ["query"]'
    )
    [prompted] = json.loads(
        invoke(client, "tei-prompts", {"inputs": "cats", "prompt_name": "query"})
    )
    assert f32(prompted) == f32(Embedder().embed_one("query: cats"))


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (
            b'{"inputs": 5}',
            422,
            "Failed to deserialize the JSON body into the target type: inputs: data "
            "did not match any variant of untagged enum Input at line 1 column 12",
        ),
        (
            b'{"inputs": [1.5]}',
            422,
            "Failed to deserialize the JSON body into the target type: inputs: data "
            "did not match any variant of untagged enum Input at line 1 column 16",
        ),
        (
            b'{"input": "x"}',
            422,
            "Failed to deserialize the JSON body into the target type: missing field "
            "`inputs` at line 1 column 14",
        ),
        (
            b'{"inputs": "x", "normalize": "yes"}',
            422,
            "Failed to deserialize the JSON body into the target type: normalize: "
            'invalid type: string "yes", expected a boolean at line 1 column 34',
        ),
        (
            b'{"inputs": "x", "truncate": [true]}',
            422,
            "Failed to deserialize the JSON body into the target type: truncate: "
            "invalid type: sequence, expected a boolean at line 1 column 28",
        ),
        (
            b'{"inputs": "x", "dimensions": -1}',
            422,
            "Failed to deserialize the JSON body into the target type: dimensions: "
            "invalid value: integer `-1`, expected usize at line 1 column 32",
        ),
        (
            b'{"inputs": "x", "dimensions": 1.0}',
            422,
            "Failed to deserialize the JSON body into the target type: dimensions: "
            "invalid type: floating point `1.0`, expected usize at line 1 column 33",
        ),
        (
            b'{"inputs": "x", "truncation_direction": "up"}',
            422,
            "Failed to deserialize the JSON body into the target type: "
            "truncation_direction: unknown variant `up`, expected `Left` or `Right` "
            "at line 1 column 44",
        ),
        (
            b'{"inputs": "x", "inputs": "y"}',
            422,
            "Failed to deserialize the JSON body into the target type: duplicate "
            "field `inputs` at line 1 column 24",
        ),
        (
            b'"text"',
            422,
            "Failed to deserialize the JSON body into the target type: invalid type: "
            'string "text", expected struct EmbedRequest at line 1 column 6',
        ),
        (
            b'["a"]',
            422,
            "Failed to deserialize the JSON body into the target type: invalid length "
            "3, expected struct EmbedRequest with 6 elements at line 1 column 5",
        ),
        (
            b'{"inputs": "x", "truncation_direction": 1}',
            400,
            "Failed to parse the request body as JSON: truncation_direction: expected "
            "value at line 1 column 41",
        ),
        (
            b'{"inputs": "x"',
            400,
            "Failed to parse the request body as JSON: EOF while parsing an object at "
            "line 1 column 14",
        ),
        (
            b'{"inputs": "x"} x',
            400,
            "Failed to parse the request body as JSON: trailing characters at line 1 "
            "column 17",
        ),
        (
            b'{"inputs": 5} x',
            422,
            "Failed to deserialize the JSON body into the target type: inputs: data "
            "did not match any variant of untagged enum Input at line 1 column 12",
        ),
        (
            b"",
            400,
            "Failed to parse the request body as JSON: EOF while parsing a value at "
            "line 1 column 0",
        ),
    ],
)
def test_tei_body_errors_are_axum_json_rejections(
    client: Any, body: bytes, status: int, message: str
) -> None:
    assert model_error(client, "tei", body) == (status, message)


def test_tei_refuses_other_content_types(client: Any) -> None:
    status, message = model_error(
        client, "tei", {"inputs": "x"}, content_type="text/plain"
    )
    assert (status, message) == (
        415,
        "Expected request with `Content-Type: application/json`",
    )
    body = invoke(
        client, "tei", {"inputs": "x"}, content_type="application/json; charset=utf-8"
    )
    assert len(json.loads(body)) == 1


def test_tei_default_model_is_replaced_by_the_embedder(client: Any) -> None:
    [vector] = json.loads(invoke(client, "tei-reader", {"inputs": "Hello world"}))
    [same] = json.loads(invoke(client, "tei", {"inputs": "Hello world"}))
    assert vector == same


# --- hf-toolkit-embeddings ---------------------------------------------------------------


def test_hf_toolkit_token_vectors_for_a_string(client: Any) -> None:
    raw = invoke(client, "hf", (FIXTURES / "hf-toolkit-request.json").read_bytes())
    answer = json.loads(raw)
    fixture_raw = (FIXTURES / "hf-toolkit-response.json").read_bytes()
    fixture = json.loads(fixture_raw)
    for value, body in ((answer, raw), (fixture, fixture_raw)):
        assert depth(value) == 3 and len(value) == 1  # [1][tokens][hidden]
        assert body == json.dumps(value, separators=(",", ":")).encode()
    embedder = Embedder()
    text = "What is the best book."
    assert len(answer[0]) == embedder.count_tokens(text) == 8
    assert answer[0] == [f32(v) for v in embedder.token_vectors(text)]
    # Mean pooling the token vectors gives what the other dialects answer.
    [tei] = json.loads(invoke(client, "tei", {"inputs": text}))
    assert cosine(mean(answer[0]), tei) == pytest.approx(1.0)


def test_hf_toolkit_list_inputs_nest_one_level_more(client: Any) -> None:
    answer = json.loads(invoke(client, "hf", {"inputs": ["Hi", "Good bye now"]}))
    assert depth(answer) == 4  # [n][1][tokens][hidden]
    assert [len(item) for item in answer] == [1, 1]
    assert [len(item[0]) for item in answer] == [3, 5]
    assert all(len(token) == 384 for token in answer[1][0])
    assert json.loads(invoke(client, "hf", {"inputs": []})) == []
    # A list inside the list is one padded tokenizer batch.
    [batch] = json.loads(invoke(client, "hf", {"inputs": [["Hi", "Good bye now"]]}))
    assert [len(row) for row in batch] == [5, 5]
    assert batch[0][3] == [0.0] * 384


def test_hf_toolkit_parameters(client: Any) -> None:
    long_text = " ".join(f"w{i}" for i in range(10))
    message = mms_message(client, "hf-small", {"inputs": long_text})
    assert message == (
        "The size of tensor a (12) must match the size of tensor b (8) at "
        "non-singleton dimension 1"
    )
    body = {"inputs": long_text, "parameters": {"truncation": True}}
    [tokens] = json.loads(invoke(client, "hf-small", body))
    assert len(tokens) == 8
    body = {
        "inputs": long_text,
        "parameters": {"tokenize_kwargs": {"truncation": True, "max_length": 4}},
    }
    assert len(json.loads(invoke(client, "hf-small", body))[0]) == 4
    # Unknown parameters are swallowed by the pipeline's **kwargs.
    body = {"inputs": "a b", "parameters": {"return_tensors": True, "foo": 1}}
    assert len(json.loads(invoke(client, "hf-small", body))[0]) == 4
    body = {
        "inputs": "a",
        "parameters": {"truncation": True, "tokenize_kwargs": {"truncation": False}},
    }
    assert mms_message(client, "hf-small", body) == (
        "truncation parameter defined twice (given as keyword argument as well as "
        "in tokenize_kwargs)"
    )


def test_hf_toolkit_errors(client: Any) -> None:
    tokenizer = (
        "text input must be of type `str` (single example), `List[str]` (batch or "
        "single pretokenized example) or `List[List[str]]` (batch of pretokenized "
        "examples)."
    )
    assert mms_message(client, "hf", {"inputs": 5}) == tokenizer
    assert mms_message(client, "hf", {"inputs": ["a", 5]}) == tokenizer
    assert mms_message(client, "hf", {"text": "no inputs key"}) == tokenizer
    assert mms_message(client, "hf", ["a"]) == "'list' object has no attribute 'pop'"
    assert mms_message(client, "hf", {"inputs": "a", "parameters": [1]}).endswith(
        "argument after ** must be a mapping, not list"
    )
    assert mms_message(client, "hf", b"{", content_type="application/json").startswith(
        "Expecting property name enclosed in double quotes"
    )
    assert mms_message(client, "hf", b"a", content_type="text/csv") == (
        "Content type text/csv is not supported by this framework."
    )


# --- jumpstart-embeddings ------------------------------------------------------------------


def test_jumpstart_text_inputs_answer_one_vector_per_text(client: Any) -> None:
    raw = invoke(client, "js", (FIXTURES / "jumpstart-request.json").read_bytes())
    answer = json.loads(raw)
    fixture = json.loads((FIXTURES / "jumpstart-response.json").read_bytes())
    assert shape(answer) == shape(fixture) == {"embedding": [["float"]]}
    assert raw == json.dumps(answer, separators=(",", ":")).encode()
    vectors = answer["embedding"]
    assert len(vectors) == 3
    expected = Embedder().embed(NOTEBOOK[:2])
    assert vectors[0] == f32(expected[0]) and vectors[1] == f32(expected[1])
    assert cosine(vectors[0], vectors[1]) > cosine(vectors[0], vectors[2])
    # The sentence-similarity models take a bare list too.
    bare = json.loads(
        invoke(client, "js", (FIXTURES / "jumpstart-request-list.json").read_bytes())
    )
    assert bare == answer


def test_jumpstart_single_text_forms(client: Any) -> None:
    [one] = json.loads(invoke(client, "js", {"text_inputs": "Hello"}))["embedding"]
    assert len(one) == 384
    body = {"text_inputs": ["Hello"], "mode": "embedding"}
    assert json.loads(invoke(client, "js", body))["embedding"] == [one]
    plain = json.loads(
        invoke(client, "js", b"Hello", content_type="application/x-text")
    )
    assert plain == {"embedding": one}  # x-text: one vector, not a list of them
    assert json.loads(invoke(client, "js", {"text_inputs": []})) == {"embedding": []}


def test_jumpstart_errors(client: Any) -> None:
    assert mms_message(client, "js", {"inputs": ["a"]}) == "'text_inputs'"
    assert mms_message(client, "js", {"text_inputs": [1]}) == (
        "text_inputs must be a string or a list of strings, got [1]."
    )
    message = mms_message(client, "js", {"text_inputs": ["a"], "mode": "nn_corpus"})
    assert message.startswith("mode 'nn_corpus' is not supported")
    assert mms_message(client, "js", b"{", content_type="application/json").startswith(
        "Expecting property name"
    )
    assert mms_message(client, "js", b"a", content_type="text/csv") == (
        "Content type text/csv is not supported by this framework."
    )


# --- openai-embeddings ---------------------------------------------------------------------


def test_openai_embedding_response_matches_vllm(client: Any) -> None:
    raw = invoke(client, "oa-mrl", (FIXTURES / "openai-request.json").read_bytes())
    answer = json.loads(raw)
    fixture = json.loads((FIXTURES / "openai-response.json").read_bytes())
    assert shape(answer) == shape(fixture)
    assert raw == json.dumps(answer, separators=(",", ":")).encode()
    assert re.fullmatch(r"embd-[0-9a-f]{32}", answer["id"])
    assert abs(answer["created"] - time.time()) < 60
    assert answer["model"] == fixture["model"] == "jinaai/jina-embeddings-v3"
    [item] = answer["data"]
    assert len(item["embedding"]) == 32  # dimensions
    assert norm(item["embedding"]) == pytest.approx(1.0, abs=1e-6)
    tokens = Embedder().count_tokens("Follow the white rabbit.")
    assert answer["usage"] == {
        "prompt_tokens": tokens,
        "total_tokens": tokens,
        "completion_tokens": 0,
        "prompt_tokens_details": None,
    }


def test_openai_batches_keep_order_and_count_tokens(client: Any) -> None:
    texts = ["Hello world", "Your dog is so cute.", "x"]
    answer = json.loads(invoke(client, "oa", {"input": texts, "model": "local-model"}))
    assert [item["index"] for item in answer["data"]] == [0, 1, 2]
    assert [item["object"] for item in answer["data"]] == ["embedding"] * 3
    embedder = Embedder()
    for item, text in zip(answer["data"], texts, strict=True):
        assert item["embedding"] == f32(embedder.embed_one(text))
    total = sum(embedder.count_tokens(text) for text in texts)
    assert answer["usage"]["prompt_tokens"] == answer["usage"]["total_tokens"] == total
    single = json.loads(invoke(client, "oa", {"input": "Hello world", "user": "u"}))
    assert single["data"][0]["embedding"] == answer["data"][0]["embedding"]


def test_openai_base64_is_little_endian_float32(client: Any) -> None:
    body = {"input": "Hello world", "encoding_format": "base64"}
    encoded = json.loads(invoke(client, "oa", body))["data"][0]["embedding"]
    values = list(struct.unpack("<384f", base64.b64decode(encoded)))
    plain = json.loads(invoke(client, "oa", {"input": "Hello world"}))
    assert values == plain["data"][0]["embedding"]


def test_openai_chat_messages_are_embedded(client: Any) -> None:
    body = {"messages": [{"role": "user", "content": "Your dog is so cute."}]}
    answer = json.loads(invoke(client, "oa", body))
    assert answer["data"][0]["embedding"] == f32(
        Embedder().embed_one("Your dog is so cute.")
    )
    # EmbeddingChatRequest: no special tokens unless asked for.
    assert answer["usage"]["prompt_tokens"] == 6


def test_openai_errors(client: Any) -> None:
    def error(name: str, body: Any, **kwargs: Any) -> tuple[int, Any]:
        status, message = model_error(client, name, body, **kwargs)
        return status, json.loads(message)

    status, message = model_error(client, "oa-bge", {"input": "x", "dimensions": 32})
    assert status == 400
    assert message.encode() == (FIXTURES / "openai-error-matryoshka.json").read_bytes()
    status, body = error("oa", {"prompt": "x"})
    assert status == 400
    assert body["message"].startswith(
        "Cannot find suitable handler for request. Expected one of: "
        "['typing.Union[vllm.entrypoints.openai.protocol.EmbeddingCompletionRequest, "
    )
    assert list(body) == ["object", "message", "type", "param", "code"]
    assert error("oa", {"input": "x", "model": "other"}) == (
        404,
        {
            "object": "error",
            "message": "The model `other` does not exist.",
            "type": "NotFoundError",
            "param": None,
            "code": 404,
        },
    )
    assert error("oa", {"input": []})[1]["message"] == (
        "please provide at least one prompt"
    )
    assert error("oa", {"input": [1, 2, 3]})[1]["message"] == (
        "Prompts given as token ids are not supported locally."
    )
    assert error("oa-mrl", {"input": " ".join(["w"] * 20)})[1]["message"] == (
        "This model's maximum context length is 16 tokens. However, you requested "
        "22 tokens in the input for embedding generation. Please reduce the length "
        "of the input."
    )
    assert error("oa-mrl", {"input": "x", "truncate_prompt_tokens": 17})[1][
        "message"
    ] == (
        "truncate_prompt_tokens value is greater than max_model_len. Please, select "
        "a smaller truncation size."
    )
    assert error("oa-mrl", {"input": "x", "dimensions": 0})[1]["message"] == (
        "Dimensions must be greater than 0"
    )
    assert error("oa", {"input": "x", "encoding_format": "int8"})[1][
        "message"
    ].startswith("Cannot find suitable handler")
    assert error("oa", {"input": "x"}, content_type="text/plain") == (
        400,
        {
            "object": "error",
            "message": "[\"Unsupported Media Type: Only 'application/json' is allowed\"]",
            "type": "BadRequestError",
            "param": None,
            "code": 400,
        },
    )
    assert error("oa", b"{")[1] == {
        "detail": "JSON decode error: Expecting property name enclosed in double "
        "quotes: line 1 column 2 (char 1)"
    }
    assert error("oa-nested", {"input": []}) == (
        400,
        {
            "error": {
                "message": "please provide at least one prompt",
                "type": "BadRequestError",
                "param": None,
                "code": 400,
            }
        },
    )


def test_openai_truncate_prompt_tokens_keeps_the_end(client: Any) -> None:
    words = [f"w{i}" for i in range(20)]
    body = {"input": " ".join(words), "truncate_prompt_tokens": 6}
    answer = json.loads(invoke(client, "oa-mrl", body))
    assert answer["usage"]["prompt_tokens"] == 6
    expected = f32(Embedder().embed_one(" ".join(words[-4:])))
    assert answer["data"][0]["embedding"] == expected
    body = {"input": " ".join(words), "truncate_prompt_tokens": -1}
    assert json.loads(invoke(client, "oa-mrl", body))["usage"]["prompt_tokens"] == 16


# --- all dialects ------------------------------------------------------------------------


def test_all_dialects_agree_and_are_deterministic(client: Any) -> None:
    text = "Amazon SageMaker stores code in ML storage volumes."
    tei = json.loads(invoke(client, "tei", {"inputs": [text]}))[0]
    hf = mean(json.loads(invoke(client, "hf", {"inputs": text}))[0])
    js = json.loads(invoke(client, "js", {"text_inputs": [text]}))["embedding"][0]
    oa = json.loads(invoke(client, "oa", {"input": text}))["data"][0]["embedding"]
    assert f32(tei) == js == oa
    assert cosine(hf, tei) == pytest.approx(1.0)
    assert json.loads(invoke(client, "tei", {"inputs": [text]}))[0] == tei


def test_latency_option(endpoint: LocalEndpoint, client: Any) -> None:
    for dialect in DIALECTS:
        name = f"slow-{dialect}"
        endpoint.add_endpoint(name, dialect, Embedder(4), latency_ms=150)
        body: Any = {
            "tei": {"inputs": "a"},
            "hf-toolkit-embeddings": {"inputs": "a"},
            "jumpstart-embeddings": {"text_inputs": ["a"]},
            "openai-embeddings": {"input": "a"},
        }[dialect]
        start = time.perf_counter()
        invoke(client, name, body)
        assert time.perf_counter() - start >= 0.15
