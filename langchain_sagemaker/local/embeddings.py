r"""Text-embedding model containers: TEI, HF toolkit, JumpStart and vLLM dialects.

Every container here serves an embedding model (by default
:class:`~langchain_sagemaker.local.models.embedder.Embedder`; a model that is
not an embedding model, such as the ``"reader"`` a :class:`LocalEndpoint`
gets by default, is replaced by one) and takes the options ``dimension``
(width of the vectors) and ``latency_ms`` (delay before answering). The
"tokenizer" is the embedder's: ``[CLS]``, word-pieces, ``[SEP]``. Vectors
are rounded to float32, as the servers' tensors are.

``tei`` (:class:`TEIContainer`) -- Hugging Face Text Embeddings Inference,
read at huggingface/text-embeddings-inference ``v1.9.3`` (``06670157``) and
``v1.8.0`` (``2bff2753``):

* ``router/src/http/server.rs``: for an embedding model ``/invocations`` is
  ``embed``. ``router/src/http/types.rs``: ``EmbedRequest`` is ``inputs``
  (untagged ``Input``: one ``InputType`` or a list of them; an
  ``InputType`` is a string or a list of u32 token ids -- so ``[]`` and
  ``[1, 2]`` are *one* input of ids), ``truncate`` (``Option<bool>``,
  default ``--auto-truncate``), ``truncation_direction`` (``Left`` /
  ``Right``, also lowercase), ``prompt_name``, ``normalize`` (default
  true), ``dimensions``; unknown keys are ignored. The answer is
  ``EmbedResponse(Vec<Vec<f32>>)``: a single input also answers ``[[...]]``.
  serde_json writes f32 with ryu (shortest float32 digits, ``0.0``).
* ``embed``: a list longer than ``--max-client-batch-size`` (32) is
  ``batch size N > maximum allowed batch size 32`` (``Validation``).
  ``core/src/tokenization.rs``: an empty input is "`inputs` cannot be
  empty" (``Empty`` since 1.9, ``Validation`` before); then the prompt
  name, then ``max_input_length * 250`` characters and
  ``max_input_length`` tokens unless truncating.
  ``core/src/infer.rs`` ``embed_pooled``: ``dimensions`` must be positive
  and at most the width; the vector is cut, then normalised.
* Errors are ``{"error": ..., "error_type": ...}`` with the variant name
  (``"Validation"``, ``"Empty"``); ``TextEmbeddingsError`` prefixes
  "Input validation error: ". Status per ``ErrorType``: ``Validation`` is
  422 since 1.9 (#818) and 413 before; ``Empty`` 400. Since 1.9
  ``--auto-truncate`` defaults to true. ``version="1.8"`` gives the older
  behaviour (SageMaker's TEI DLCs: 1.2 ... 1.9).
* Bodies are read by axum 0.7's ``Json``: a non-JSON ``Content-Type`` is 415,
  malformed JSON 400 ("Failed to parse the request body as JSON: ..."),
  JSON of the wrong shape 422 ("Failed to deserialize the JSON body into the
  target type: ..."), all ``text/plain``; the serde message carries the
  serde_path_to_error path and serde_json's ``at line L column C``.

``hf-toolkit-embeddings`` (:class:`HFToolkitEmbeddingsContainer`) --
aws/sagemaker-huggingface-inference-toolkit (``69bc5ef9``) with
``HF_TASK=feature-extraction``: ``handler_service.py`` calls
``pipeline(inputs, **parameters)`` and ``decoder_encoder.py`` writes the
result with ``separators=(",", ":")``; any exception is MMS's 400 (see
:func:`~langchain_sagemaker.local.hf_toolkit.mms_error`). transformers'
``FeatureExtractionPipeline`` (``pipelines/feature_extraction.py``) answers
``last_hidden_state.tolist()``: ``[1][tokens][hidden]`` for a string,
``[n][1][tokens][hidden]`` for a list. Its parameters are ``truncation``,
``tokenize_kwargs`` and ``return_tensors``; others are swallowed by
``**kwargs``. A text longer than the model's positions without truncation
fails in the model ("The size of tensor a (N) must match the size of tensor
b (512) at non-singleton dimension 1"); anything but strings is the
tokenizer's "text input must be of type `str` ...".

``jumpstart-embeddings`` (:class:`JumpStartEmbeddingsContainer`) -- JumpStart
text-embedding models (``huggingface-textembedding-*``,
``huggingface-sentencesimilarity-*``) in a Hugging Face DLC with JumpStart's
script. From aws/amazon-sagemaker-examples
``introduction_to_amazon_algorithms/jumpstart-foundation-models/
question_answering_retrieval_augmented_generation/``:
``question_answering_jumpstart_knn.ipynb`` sends
``{"text_inputs": [...]}`` as ``application/json`` and reads
``["embedding"]`` as one vector per text, and sends a bare question as
``application/x-text`` and reads ``["embedding"]`` as one vector;
``text-embedding-sentence-similarity.ipynb`` posts a plain JSON list of
texts. The script is not public: a single string in ``text_inputs`` answers a
list of one vector here, ``"mode"`` other than ``"embedding"`` (the
nearest-neighbour modes) and wrong types are refused with local messages,
and a missing ``text_inputs`` is the ``KeyError`` (``'text_inputs'``), all
in MMS's 400 body.

``openai-embeddings`` (:class:`OpenAIEmbeddingsContainer`) -- vLLM serving an
embedding model (``--task embed``) on ``/invocations``, read at
vllm-project/vllm 0.9/0.10 (the releases whose ``invocations`` tries each
served request type and whose errors are ``{"object": "error", ...}``):
``api_server.py`` ``INVOCATION_TYPES`` / ``init_app_state`` (an embed
model serves embedding, score and pooling requests, so an unmatched body is
"Cannot find suitable handler for request. Expected one of: [...]" naming
those three); ``protocol.py`` ``EmbeddingCompletionRequest`` (``input``: a
string, strings, token ids; ``model``, ``encoding_format`` ``float`` or
``base64``, ``dimensions``, ``user``, ``truncate_prompt_tokens``,
``add_special_tokens``), ``EmbeddingChatRequest`` (``messages``),
``EmbeddingResponse`` (``id`` ``embd-...``, ``object``, ``created``,
``model``, ``data`` of ``{index, object, embedding}``, ``usage``) written
by Starlette (compact, every field); ``serving_embedding.py`` /
``serving_engine.py`` (empty list: "please provide at least one prompt";
the context-length message; ``truncate_prompt_tokens`` keeps the last
tokens); ``pooling_params.py`` ``verify`` (``dimensions`` needs a
Matryoshka model). The answer and the Matryoshka error are checked against
the examples in vLLM's ``docs/models/pooling_models.md``. Token-id inputs
are refused with a local message, as in the ``openai`` dialect.
"""

from __future__ import annotations

import asyncio
import base64
import json
import math
import re
import struct
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from langchain_sagemaker.local._vllm import (
    Invalid,
    Rejected,
    check_error_format,
    error_response,
    lax_bool,
    lax_int,
    parse_request,
)
from langchain_sagemaker.local.common import (
    DialectBase,
    compact_json,
)
from langchain_sagemaker.local.container import ContainerRequest, ContainerResponse
from langchain_sagemaker.local.hf_toolkit import mms_error
from langchain_sagemaker.local.models.base import Model
from langchain_sagemaker.local.models.embedder import (
    DEFAULT_DIMENSION,
    Embedder,
    EmbeddingModel,
    l2_normalize,
)

__all__ = [
    "EmbeddingContainer",
    "HFToolkitEmbeddingsContainer",
    "JumpStartEmbeddingsContainer",
    "OpenAIEmbeddingsContainer",
    "TEIContainer",
    "f32",
    "f32_json",
    "resolve_embedder",
]

_JSON = "application/json"
_TEXT = "text/plain; charset=utf-8"
_X_TEXT = "application/x-text"
_U32_MAX = 2**32 - 1
_U64_MAX = 2**64 - 1
_I64_MIN = -(2**63)


# --- shared -----------------------------------------------------------------------------


def resolve_embedder(model: object, dimension: int | None) -> EmbeddingModel:
    """Return the embedding model a container serves.

    Args:
        model: The model given to the container; one that is not an
            :class:`EmbeddingModel` (e.g. the text model ``"reader"``) is
            replaced by a new :class:`Embedder`.
        dimension: Width of the vectors, or ``None`` for the model's (384 for
            a new :class:`Embedder`).

    Returns:
        The embedding model.

    Raises:
        ValueError: If ``dimension`` contradicts the given embedding model.
    """
    if isinstance(model, EmbeddingModel):
        if dimension is not None and dimension != model.dimension:
            raise ValueError(
                f"dimension={dimension} but the model's vectors have "
                f"{model.dimension} values"
            )
        return model
    return Embedder(DEFAULT_DIMENSION if dimension is None else dimension)


_F32 = struct.Struct("<f")


def f32(values: Sequence[float]) -> list[float]:
    """Return ``values`` rounded to float32, as a tensor's ``tolist()`` gives them."""
    count = len(values)
    return list(struct.unpack(f"<{count}f", struct.pack(f"<{count}f", *values)))


def _round_trips(value: float, digits: int) -> bool:
    text = f"{value:.{digits - 1}e}"
    return bool(_F32.unpack(_F32.pack(float(text)))[0] == value)


def f32_json(value: float) -> str:
    """Write a float32 value as serde_json does (ryu's shortest ``f32`` digits).

    Args:
        value: A float32 value (e.g. from :func:`f32`).

    Returns:
        ``0.0``, ``-0.0``, ``0.012345679``, ``1.0``, ``1e-7``... -- the
        shortest digits that read back as the same float32, laid out like
        ryu's ``format32``.
    """
    if value == 0.0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    low, high = 1, 9
    while low < high:
        middle = (low + high) // 2
        if _round_trips(value, middle):
            high = middle
        else:
            low = middle + 1
    mantissa, _, exponent = f"{abs(value):.{low - 1}e}".partition("e")
    digits = mantissa.replace(".", "").rstrip("0") or "0"
    length = len(digits)
    point = int(exponent) + 1  # value = 0.<digits> * 10**point
    sign = "-" if value < 0 else ""
    if length <= point <= 13:
        text = digits + "0" * (point - length) + ".0"
    elif 0 < point <= 13:
        text = digits[:point] + "." + digits[point:]
    elif -6 < point <= 0:
        text = "0." + "0" * -point + digits
    elif length == 1:
        text = f"{digits}e{point - 1}"
    else:
        text = f"{digits[0]}.{digits[1:]}e{point - 1}"
    return sign + text


def _python_vectors(vectors: Sequence[Sequence[float]]) -> list[list[float]]:
    return [f32(vector) for vector in vectors]


class EmbeddingContainer(DialectBase):
    """What the embedding dialects share: the embedder and the latency.

    Args:
        model: The model to serve; not an embedding model -> an
            :class:`Embedder` of width ``dimension``.
        dimension: Width of the vectors (default: the model's, or 384).
        latency_ms: Artificial delay before each answer.
    """

    def __init__(
        self,
        model: Model | None = None,
        *,
        dimension: int | None = None,
        latency_ms: float = 0.0,
    ) -> None:
        embedder: EmbeddingModel
        if model is None:
            created = Embedder(DEFAULT_DIMENSION if dimension is None else dimension)
            model, embedder = created, created
        else:
            embedder = resolve_embedder(model, dimension)
        super().__init__(model, latency_ms=latency_ms)
        self.embedder = embedder
        self.dimension = embedder.dimension

    def __repr__(self) -> str:
        return f"{type(self).__name__}(embedder={self.embedder!r})"

    async def _delay(self) -> None:
        if self.latency_ms:
            await asyncio.sleep(self.latency_ms / 1000)

    def _vector(self, pieces: Sequence[str]) -> list[float]:
        return l2_normalize(self.embedder.pooled(pieces))


# --- TEI: serde emulation ------------------------------------------------------------------


class _TEIError(Exception):
    """An answer TEI gives instead of embeddings."""

    def __init__(self, status: int, content_type: str, body: bytes) -> None:
        super().__init__(body.decode("utf-8", "replace"))
        self.status = status
        self.content_type = content_type
        self.body = body


class _Serde(Exception):
    """A serde error: message, where serde_json stands, and whether syntax."""

    def __init__(self, message: str, index: int, *, syntax: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.index = index
        self.syntax = syntax
        self.path = ""


_SERDE_SYNTAX = {
    "Expecting value": "expected value",
    "Expecting property name enclosed in double quotes": "key must be a string",
    "Expecting ',' delimiter": "expected `,` or `}`",
    "Expecting ':' delimiter": "expected `:`",
    "Extra data": "trailing characters",
    "Invalid control character at": (
        "control character (\\u0000-\\u001F) found while parsing a string"
    ),
    "Invalid \\escape": "invalid escape",
    "Invalid \\uXXXX escape": "invalid escape",
}


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _rust_float(value: float) -> str:
    # Rust's f64 Display (never exponent notation) plus serde's ".0".
    text = format(Decimal(repr(value)), "f")
    if "." not in text and "inf" not in text and "NaN" not in text:
        text += ".0"
    return text


def _rust_debug(text: str) -> str:
    out = ['"']
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char in "\n\r\t\0":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t", "\0": "\\0"}[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{{{ord(char):x}}}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _unexpected(value: Any) -> str:
    """Serde's ``Unexpected`` for a JSON value, as serde_json reports it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean `{'true' if value else 'false'}`"
    if isinstance(value, int) and _I64_MIN <= value <= _U64_MAX:
        return f"integer `{value}`"
    if isinstance(value, int | float):
        return f"floating point `{_rust_float(float(value))}`"
    if isinstance(value, str):
        return f"string {_rust_debug(value)}"
    if isinstance(value, list):
        return "sequence"
    return "map"


@dataclass
class _Node:
    """A JSON value with where it starts and ends in the document."""

    value: Any
    start: int
    end: int


class _Scanner:
    """Positions of the top-level members of a valid JSON document."""

    def __init__(self, doc: str) -> None:
        self.doc = doc
        self.decoder = json.JSONDecoder(parse_constant=_reject_constant)

    def skip(self, index: int) -> int:
        while index < len(self.doc) and self.doc[index] in " \t\n\r":
            index += 1
        return index

    def value(self, index: int) -> _Node:
        start = self.skip(index)
        value, end = self.decoder.raw_decode(self.doc, start)
        return _Node(value, start, end)

    def members(self, node: _Node) -> list[tuple[str, int, _Node]]:
        """``(key, index after the key and its blanks, value)`` of an object."""
        out = []
        index = self.skip(node.start + 1)
        while self.doc[index] != "}":
            key = self.value(index)
            after_key = self.skip(key.end)
            value = self.value(after_key + 1)
            out.append((str(key.value), after_key, value))
            index = self.skip(value.end)
            if self.doc[index] == ",":
                index = self.skip(index + 1)
        return out

    def elements(self, node: _Node) -> list[_Node]:
        out = []
        index = self.skip(node.start + 1)
        while self.doc[index] != "]":
            item = self.value(index)
            out.append(item)
            index = self.skip(item.end)
            if self.doc[index] == ",":
                index = self.skip(index + 1)
        return out


def _invalid_type(node: _Node, expected: str) -> _Serde:
    # peek_invalid_type: scalars are read first, `[` and `{` are not.
    index = node.start if isinstance(node.value, list | dict) else node.end
    return _Serde(
        f"invalid type: {_unexpected(node.value)}, expected {expected}", index
    )


def _u32_ids(value: Any) -> list[int] | None:
    if isinstance(value, list) and all(
        isinstance(i, int) and not isinstance(i, bool) and 0 <= i <= _U32_MAX
        for i in value
    ):
        return list(value)
    return None


_InputItem = str | list[int]


def _tei_input(node: _Node) -> tuple[bool, list[_InputItem]]:
    """``Input`` (untagged): ``(is_batch, items)``."""
    value = node.value
    single = value if isinstance(value, str) else _u32_ids(value)
    if single is not None:
        return False, [single]
    if isinstance(value, list):
        items: list[_InputItem] = []
        for item in value:
            parsed = item if isinstance(item, str) else _u32_ids(item)
            if parsed is None:
                break
            items.append(parsed)
        else:
            return True, items
    raise _Serde("data did not match any variant of untagged enum Input", node.end)


def _tei_bool(node: _Node, optional: bool) -> bool | None:
    if isinstance(node.value, bool):
        return node.value
    if optional and node.value is None:
        return None
    raise _invalid_type(node, "a boolean")


def _tei_direction(node: _Node) -> str:
    value = node.value
    names = {"Left": "left", "left": "left", "Right": "right", "right": "right"}
    if isinstance(value, str):
        if value in names:
            return names[value]
        raise _Serde(f"unknown variant `{value}`, expected `Left` or `Right`", node.end)
    if isinstance(value, dict):
        if len(value) == 1:
            [(key, inner)] = value.items()
            if key in names and inner is None:
                return names[key]
            if key not in names:
                raise _Serde(
                    f"unknown variant `{key}`, expected `Left` or `Right`", node.end
                )
        raise _invalid_type(node, "unit variant")
    # deserialize_enum: neither `"` nor `{` -> ExpectedSomeValue at the peek.
    raise _Serde("expected value", node.start, syntax=True)


def _tei_string(node: _Node) -> str | None:
    if node.value is None:
        return None
    if isinstance(node.value, str):
        return node.value
    raise _invalid_type(node, "a string")


def _tei_usize(node: _Node) -> int | None:
    value = node.value
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        if 0 <= value <= _U64_MAX:
            return value
        if value >= _I64_MIN:
            raise _Serde(f"invalid value: integer `{value}`, expected usize", node.end)
    raise _invalid_type(node, "usize")


@dataclass
class _EmbedRequest:
    """``EmbedRequest`` of ``router/src/http/types.rs``."""

    is_batch: bool
    inputs: list[_InputItem]
    truncate: bool | None = None
    truncation_direction: str = "right"
    prompt_name: str | None = None
    normalize: bool = True
    dimensions: int | None = None


_FIELDS = (
    "inputs",
    "truncate",
    "truncation_direction",
    "prompt_name",
    "normalize",
    "dimensions",
)
_SEQ_DEFAULTED = frozenset({"truncate", "truncation_direction", "normalize"})


def _apply(fields: dict[str, Any], name: str, node: _Node) -> None:
    if name == "inputs":
        fields["inputs"] = _tei_input(node)
    elif name == "truncate":
        fields["truncate"] = _tei_bool(node, optional=True)
    elif name == "truncation_direction":
        fields["truncation_direction"] = _tei_direction(node)
    elif name == "prompt_name":
        fields["prompt_name"] = _tei_string(node)
    elif name == "normalize":
        fields["normalize"] = _tei_bool(node, optional=False)
    else:
        fields["dimensions"] = _tei_usize(node)


def _build(fields: dict[str, Any]) -> _EmbedRequest:
    is_batch, inputs = fields.pop("inputs")
    return _EmbedRequest(is_batch=is_batch, inputs=inputs, **fields)


def _deserialize(scanner: _Scanner) -> _EmbedRequest:
    """Serde's derived ``Deserialize`` for ``EmbedRequest`` over serde_json."""
    root = scanner.value(0)
    fields: dict[str, Any] = {}
    if isinstance(root.value, dict):
        seen: set[str] = set()
        for key, after_key, node in scanner.members(root):
            if key not in _FIELDS:
                continue  # unknown fields are ignored
            if key in seen:
                raise _Serde(f"duplicate field `{key}`", after_key)
            seen.add(key)
            try:
                _apply(fields, key, node)
            except _Serde as error:
                error.path = key
                raise
        if "inputs" not in fields:
            raise _Serde("missing field `inputs`", root.end)
        return _build(fields)
    if isinstance(root.value, list):
        elements = scanner.elements(root)
        for position, name in enumerate(_FIELDS):
            if position < len(elements):
                try:
                    _apply(fields, name, elements[position])
                except _Serde as error:
                    error.path = f"[{position}]"
                    raise
            elif name not in _SEQ_DEFAULTED:
                raise _Serde(
                    f"invalid length {position}, expected struct EmbedRequest "
                    f"with {len(_FIELDS)} elements",
                    root.end,
                )
        if len(elements) > len(_FIELDS):
            raise _Serde(
                "trailing characters", elements[len(_FIELDS)].start, syntax=True
            )
        return _build(fields)
    raise _invalid_type(root, "struct EmbedRequest")


def _line_column(doc: str, index: int) -> tuple[int, int]:
    start = doc.rfind("\n", 0, index) + 1
    return doc.count("\n", 0, start) + 1, len(doc[start:index].encode("utf-8"))


# --- TEI: the container ----------------------------------------------------------------


class TEIContainer(EmbeddingContainer):
    """Hugging Face Text Embeddings Inference serving an embedding model.

    Args:
        model: The model to serve (see :class:`EmbeddingContainer`).
        dimension: Width of the vectors.
        version: TEI version to mimic: ``"1.9"`` (default: Validation errors
            are 422, empty inputs ``Empty`` 400, ``--auto-truncate`` on) or
            ``"1.8"`` and older (Validation 413, empty inputs Validation,
            auto-truncate off).
        max_client_batch_size: ``--max-client-batch-size`` (32).
        max_input_length: The model's maximum tokens per input (512).
        auto_truncate: ``--auto-truncate``; ``None``: the version's default.
        prompts: The sentence-transformers ``prompts`` (name -> text) that
            ``prompt_name`` picks from; ``None``: the model has none.
        latency_ms: Artificial delay before each answer.
    """

    dialect = "tei"

    def __init__(
        self,
        model: Model | None = None,
        *,
        dimension: int | None = None,
        version: str = "1.9",
        max_client_batch_size: int = 32,
        max_input_length: int = 512,
        auto_truncate: bool | None = None,
        prompts: Mapping[str, str] | None = None,
        latency_ms: float = 0.0,
    ) -> None:
        super().__init__(model, dimension=dimension, latency_ms=latency_ms)
        match = re.fullmatch(r"(\d+)\.(\d+)(?:\.\d+)?", version)
        if match is None:
            raise ValueError(f"version must look like '1.9', not {version!r}")
        self.version = (int(match[1]), int(match[2]))
        modern = self.version >= (1, 9)
        self.validation_status = 422 if modern else 413
        self.empty_type = "Empty" if modern else "Validation"
        self.max_client_batch_size = max_client_batch_size
        self.max_input_length = max_input_length
        self.auto_truncate = modern if auto_truncate is None else auto_truncate
        self.prompts = dict(prompts) if prompts is not None else None

    # -- errors --------------------------------------------------------------------

    def _error(self, message: str, error_type: str) -> _TEIError:
        status = {"Validation": self.validation_status, "Empty": 400}[error_type]
        body = compact_json({"error": message, "error_type": error_type})
        return _TEIError(status, _JSON, body)

    def _validation(self, message: str) -> _TEIError:
        return self._error(f"Input validation error: {message}", "Validation")

    # -- the contract ------------------------------------------------------------------

    async def invoke(self, request: ContainerRequest) -> ContainerResponse:
        """Answer one ``POST /invocations`` as TEI's ``embed`` route does.

        Args:
            request: The request SageMaker forwards.

        Returns:
            ``[[float, ...], ...]`` or TEI's error.
        """
        await self._delay()
        try:
            parsed = self._parse(request)
            vectors = [self._embed_input(item, parsed) for item in parsed.inputs]
        except _TEIError as error:
            return ContainerResponse(
                status=error.status, content_type=error.content_type, body=error.body
            )
        body = (
            "["
            + ",".join(
                "[" + ",".join(f32_json(v) for v in f32(vector)) + "]"
                for vector in vectors
            )
            + "]"
        )
        return ContainerResponse(status=200, content_type=_JSON, body=body.encode())

    def _parse(self, request: ContainerRequest) -> _EmbedRequest:
        if not _is_json_content_type(request.content_type):
            raise _TEIError(
                415, _TEXT, b"Expected request with `Content-Type: application/json`"
            )
        trailing: json.JSONDecodeError | None = None
        try:
            doc = request.body.decode("utf-8")
            if doc.startswith("\ufeff"):
                raise json.JSONDecodeError("Expecting value", doc, 0)
            json.loads(doc, parse_constant=_reject_constant)
        except json.JSONDecodeError as error:
            if error.msg != "Extra data":
                raise self._syntax(_serde_syntax_message(error)) from None
            # axum checks for trailing characters after deserializing.
            trailing = error
        except (UnicodeDecodeError, ValueError) as error:
            raise self._syntax(str(error)) from None
        scanner = _Scanner(doc)
        try:
            parsed = _deserialize(scanner)
        except _Serde as error:
            line, column = _line_column(doc, error.index + (1 if error.syntax else 0))
            where = f"{error.path}: " if error.path else ""
            message = f"{where}{error.message} at line {line} column {column}"
            if error.syntax:
                raise self._syntax(message) from None
            raise _TEIError(
                422,
                _TEXT,
                "Failed to deserialize the JSON body into the target type: "
                f"{message}".encode(),
            ) from None
        if trailing is not None:
            raise self._syntax(_serde_syntax_message(trailing))
        if parsed.is_batch and len(parsed.inputs) > self.max_client_batch_size:
            raise self._error(
                f"batch size {len(parsed.inputs)} > maximum allowed batch size "
                f"{self.max_client_batch_size}",
                "Validation",
            )
        return parsed

    @staticmethod
    def _syntax(message: str) -> _TEIError:
        return _TEIError(
            400,
            _TEXT,
            f"Failed to parse the request body as JSON: {message}".encode(),
        )

    def _embed_input(self, item: _InputItem, request: _EmbedRequest) -> list[float]:
        """``Infer::embed_pooled`` for one input."""
        if request.dimensions == 0:
            raise self._validation("`dimensions` should be positive")
        if not item:
            raise self._error(
                "Input validation error: `inputs` cannot be empty", self.empty_type
            )
        prefix = self._prompt(request.prompt_name)
        truncate = self.auto_truncate if request.truncate is None else request.truncate
        if isinstance(item, str):
            text, specials = item, 2
        else:
            # Token ids are decoded and re-encoded without special tokens.
            text, specials = " ".join(str(i) for i in item), 0
        characters = len(item)
        limit = self.max_input_length * 250
        if characters > limit:
            if not truncate:
                raise self._validation(
                    f"`inputs` must have less than {limit} characters. "
                    f"Given: {characters}"
                )
            text = text[:limit]
        if prefix is not None:
            text, specials = prefix + text, 2
        pieces = self.embedder.pieces(text)
        if len(pieces) + specials > self.max_input_length:
            if not truncate:
                raise self._validation(
                    f"`inputs` must have less than {self.max_input_length} tokens. "
                    f"Given: {len(pieces) + specials}"
                )
            keep = max(self.max_input_length - specials, 0)
            left = request.truncation_direction == "left"
            pieces = pieces[len(pieces) - keep :] if left else pieces[:keep]
        vector = self.embedder.pooled(pieces)
        if request.dimensions is not None:
            if request.dimensions > len(vector):
                raise self._validation(
                    "`dimensions` should be smaller than the maximum embedding "
                    "dimension."
                )
            vector = vector[: request.dimensions]
        return l2_normalize(vector) if request.normalize else vector

    def _prompt(self, name: str | None) -> str | None:
        """``prepare_pre_prompt`` of ``core/src/tokenization.rs``."""
        if name is None:
            return None
        if self.prompts is None:
            raise self._validation(
                f"`default-prompt-name` is set to `{name}` but no prompts were "
                "found in the Sentence Transformers configuration"
            )
        if name not in self.prompts:
            keys = ", ".join(_rust_debug(key) for key in self.prompts)
            raise self._validation(
                f"`default-prompt-name` is set to `{name}` but it was not found "
                f"in the Sentence Transformers prompts. Available prompts: [{keys}]"
            )
        return self.prompts[name]


def _is_json_content_type(content_type: str | None) -> bool:
    # axum 0.7 json.rs `json_content_type`: application/json or +json.
    if not content_type:
        return False
    mime = content_type.split(";", 1)[0].strip().lower()
    kind, _, subtype = mime.partition("/")
    return kind == "application" and (subtype == "json" or subtype.endswith("+json"))


def _open_context(doc: str) -> tuple[str, bool, str]:
    """Innermost open bracket, whether inside a string, last significant char."""
    stack: list[str] = []
    in_string = escaped = False
    last = ""
    for char in doc:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string, last = False, '"'
        elif char == '"':
            in_string = True
        elif char in "[{":
            stack.append(char)
            last = char
        elif char in "]}":
            if stack:
                stack.pop()
            last = char
        elif char not in " \t\n\r":
            last = char
    return (stack[-1] if stack else ""), in_string, last


def _serde_syntax_message(error: json.JSONDecodeError) -> str:
    """serde_json's wording and position for what Python's decoder refused."""
    doc = error.doc
    eof = error.pos >= len(doc) or error.msg == "Unterminated string starting at"
    if eof:
        bracket, in_string, last = _open_context(doc)
        if in_string:
            text = "EOF while parsing a string"
        elif last in ("", ":", ",") or last.isalpha():
            text = "EOF while parsing a value"
        elif bracket == "[":
            text = "EOF while parsing a list"
        elif bracket == "{":
            text = "EOF while parsing an object"
        else:
            text = "EOF while parsing a value"
        line, column = _line_column(doc, len(doc))
    else:
        text = _SERDE_SYNTAX.get(error.msg, error.msg[:1].lower() + error.msg[1:])
        if error.msg == "Expecting ',' delimiter":
            bracket = _open_context(doc[: error.pos])[0]
            text = "expected `,` or `]`" if bracket == "[" else "expected `,` or `}`"
        line, column = _line_column(doc, error.pos + 1)
    return f"{text} at line {line} column {column}"


# --- HF inference toolkit, feature-extraction pipeline ---------------------------------------


class _Prediction(Exception):
    """An exception the toolkit's ``handle`` turns into MMS's 400."""


_TOKENIZER_INPUT = (
    "text input must be of type `str` (single example), `List[str]` (batch or "
    "single pretokenized example) or `List[List[str]]` (batch of pretokenized "
    "examples)."
)
_PIPELINE = (
    "<transformers.pipelines.feature_extraction.FeatureExtractionPipeline "
    "object at 0x7f3c2d1e5a50>"
)


class HFToolkitEmbeddingsContainer(EmbeddingContainer):
    """The HF inference toolkit serving a ``feature-extraction`` pipeline.

    Args:
        model: The model to serve (see :class:`EmbeddingContainer`).
        dimension: Width of the vectors (the model's hidden size).
        max_length: The model's positions (``max_position_embeddings``),
            which is also the tokenizer's truncation length.
        latency_ms: Artificial delay before each answer.
    """

    dialect = "hf-toolkit-embeddings"

    def __init__(
        self,
        model: Model | None = None,
        *,
        dimension: int | None = None,
        max_length: int = 512,
        latency_ms: float = 0.0,
    ) -> None:
        super().__init__(model, dimension=dimension, latency_ms=latency_ms)
        self.max_length = max_length

    async def invoke(self, request: ContainerRequest) -> ContainerResponse:
        """Answer one ``POST /invocations`` as the toolkit's pipeline does.

        Args:
            request: The request SageMaker forwards.

        Returns:
            Token vectors (``[1][tokens][hidden]`` per text) or MMS's 400.
        """
        await self._delay()
        try:
            accept = request.accept
            if accept and accept not in ("*/*", _JSON):
                raise _Prediction(
                    f"Content type {accept} is not supported by this framework."
                )
            if request.content_type != _JSON:
                raise _Prediction(
                    f"Content type {request.content_type} is not supported by "
                    "this framework."
                )
            try:
                data = json.loads(request.body.decode("utf-8"))
            except ValueError as error:
                raise _Prediction(str(error)) from None
            result = self._predict(data)
        except _Prediction as error:
            return ContainerResponse(
                status=400, content_type=_JSON, body=mms_error(str(error))
            )
        return ContainerResponse(
            status=200, content_type=_JSON, body=compact_json(result)
        )

    def _predict(self, data: Any) -> Any:
        if not isinstance(data, dict):
            raise _Prediction(f"'{type(data).__name__}' object has no attribute 'pop'")
        inputs = data.pop("inputs", data)
        parameters = data.pop("parameters", None)
        if parameters is None:
            parameters = {}
        if not isinstance(parameters, dict):
            raise _Prediction(
                f"{_PIPELINE} argument after ** must be a mapping, not "
                f"{type(parameters).__name__}"
            )
        tokenize = self._tokenize_kwargs(parameters)
        if isinstance(inputs, list):
            return [self._features(item, tokenize) for item in inputs]
        return self._features(inputs, tokenize)

    @staticmethod
    def _tokenize_kwargs(parameters: dict[str, Any]) -> dict[str, Any]:
        """``FeatureExtractionPipeline._sanitize_parameters``."""
        tokenize = parameters.get("tokenize_kwargs")
        if tokenize is None:
            tokenize = {}
        if not isinstance(tokenize, dict):
            raise _Prediction(
                f"{_PIPELINE} argument after ** must be a mapping, not "
                f"{type(tokenize).__name__}"
            )
        tokenize = dict(tokenize)
        truncation = parameters.get("truncation")
        if truncation is not None:
            if "truncation" in tokenize:
                raise _Prediction(
                    "truncation parameter defined twice (given as keyword argument "
                    "as well as in tokenize_kwargs)"
                )
            tokenize["truncation"] = truncation
        return tokenize

    def _features(self, inputs: Any, tokenize: dict[str, Any]) -> list[Any]:
        """``last_hidden_state.tolist()`` for one pipeline input."""
        if isinstance(inputs, str):
            return [self._sequence(inputs, tokenize)]
        if isinstance(inputs, list) and all(isinstance(i, str) for i in inputs):
            # A list inside the list is one tokenizer batch, padded.
            rows = [self._sequence(text, tokenize) for text in inputs]
            width = max((len(row) for row in rows), default=0)
            pad = [0.0] * self.dimension
            return [row + [pad] * (width - len(row)) for row in rows]
        raise _Prediction(_TOKENIZER_INPUT)

    def _sequence(self, text: str, tokenize: dict[str, Any]) -> list[list[float]]:
        pieces = self.embedder.pieces(text)
        truncation = tokenize.get("truncation")
        if truncation not in (None, False, "do_not_truncate"):
            limit = tokenize.get("max_length")
            if not isinstance(limit, int) or isinstance(limit, bool):
                limit = self.max_length
            pieces = pieces[: max(limit - 2, 0)]
        tokens = len(pieces) + 2
        if tokens > self.max_length:
            raise _Prediction(
                f"The size of tensor a ({tokens}) must match the size of tensor b "
                f"({self.max_length}) at non-singleton dimension 1"
            )
        return _python_vectors(self.embedder.piece_vectors(pieces))


# --- JumpStart text embedding --------------------------------------------------------------


class JumpStartEmbeddingsContainer(EmbeddingContainer):
    """A JumpStart text-embedding model (``{"text_inputs"}`` -> ``{"embedding"}``).

    Args:
        model: The model to serve (see :class:`EmbeddingContainer`).
        dimension: Width of the vectors.
        latency_ms: Artificial delay before each answer.
    """

    dialect = "jumpstart-embeddings"

    async def invoke(self, request: ContainerRequest) -> ContainerResponse:
        """Answer one ``POST /invocations`` like a JumpStart embedding script.

        Args:
            request: The request SageMaker forwards.

        Returns:
            ``{"embedding": ...}`` or MMS's 400.
        """
        await self._delay()
        try:
            if request.content_type == _X_TEXT:
                text = request.body.decode("utf-8")
                answer: dict[str, Any] = {"embedding": self._embed([text])[0]}
            elif request.content_type == _JSON:
                payload = json.loads(request.body.decode("utf-8"))
                answer = {"embedding": self._embed(self._texts(payload))}
            else:
                raise _Prediction(
                    f"Content type {request.content_type} is not supported by "
                    "this framework."
                )
        except (_Prediction, ValueError) as error:
            return ContainerResponse(
                status=400, content_type=_JSON, body=mms_error(str(error))
            )
        return ContainerResponse(
            status=200, content_type=_JSON, body=compact_json(answer)
        )

    @staticmethod
    def _texts(payload: Any) -> list[str]:
        if isinstance(payload, list):  # sentence-similarity models: a bare list
            texts = payload
        elif isinstance(payload, dict):
            if "text_inputs" not in payload:
                raise _Prediction(str(KeyError("text_inputs")))
            mode = payload.get("mode", "embedding")
            if mode != "embedding":
                raise _Prediction(
                    f"mode {mode!r} is not supported by the local container; "
                    "only 'embedding' is."
                )
            texts = payload["text_inputs"]
            if isinstance(texts, str):
                texts = [texts]
        else:
            raise _Prediction(
                f"The payload must be a JSON object with 'text_inputs', got {payload!r}."
            )
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise _Prediction(
                f"text_inputs must be a string or a list of strings, got {texts!r}."
            )
        return texts

    def _embed(self, texts: list[str]) -> list[list[float]]:
        return _python_vectors(
            [self._vector(self.embedder.pieces(text)) for text in texts]
        )


# --- vLLM OpenAI-compatible embeddings ------------------------------------------------------


# str() of the request types vLLM 0.9/0.10 serves on /invocations for an
# embed model (a Union's str is its typing repr).
_EMBED_HANDLERS = [
    "typing.Union[vllm.entrypoints.openai.protocol.EmbeddingCompletionRequest, "
    "vllm.entrypoints.openai.protocol.EmbeddingChatRequest]",
    "ScoreRequest",
    "typing.Union[vllm.entrypoints.openai.protocol.PoolingCompletionRequest, "
    "vllm.entrypoints.openai.protocol.PoolingChatRequest]",
]


def _opt_str(raw: dict[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        raise Invalid
    return value


@dataclass
class _OpenAIRequest:
    """``EmbeddingCompletionRequest`` / ``EmbeddingChatRequest``."""

    texts: list[str] | None  # None: token ids
    empty: bool
    model: str | None
    encoding_format: str
    dimensions: int | None
    truncate_prompt_tokens: int | None
    add_special_tokens: bool


def _message_text(message: Any) -> str:
    if not isinstance(message, dict) or not isinstance(message.get("role"), str):
        raise Invalid
    content = message.get("content")
    if content is None or isinstance(content, str):
        return content or ""
    if isinstance(content, list):
        parts = []
        for part in content:
            if not isinstance(part, dict) or part.get("type") != "text":
                raise Invalid
            if not isinstance(part.get("text"), str):
                raise Invalid
            parts.append(part["text"])
        return "\n".join(parts)
    raise Invalid


def _parse_openai(raw: Any) -> _OpenAIRequest:
    if not isinstance(raw, dict):
        raise Invalid
    chat = "input" not in raw and "messages" in raw
    texts: list[str] | None
    empty = False
    if chat:
        messages = raw["messages"]
        if not isinstance(messages, list):
            raise Invalid
        texts = ["\n".join(_message_text(m) for m in messages)]
    elif "input" in raw:
        value = raw["input"]
        if isinstance(value, str):
            texts = [value]
        elif isinstance(value, list) and value == []:
            texts, empty = [], True
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            texts = list(value)
        elif isinstance(value, list) and all(
            (isinstance(v, int) and not isinstance(v, bool))
            or (isinstance(v, list) and all(isinstance(i, int) for i in v))
            for v in value
        ):
            texts = None
        else:
            raise Invalid
    else:
        raise Invalid
    encoding_format = raw.get("encoding_format", "float")
    if encoding_format not in ("float", "base64"):
        raise Invalid
    dimensions = raw.get("dimensions")
    truncate = raw.get("truncate_prompt_tokens")
    truncate = None if truncate is None else lax_int(truncate)
    if truncate is not None and truncate < -1:
        raise Invalid
    _opt_str(raw, "user")
    if raw.get("priority") is not None:
        lax_int(raw["priority"])
    special = raw.get("add_special_tokens")
    return _OpenAIRequest(
        texts=texts,
        empty=empty,
        model=_opt_str(raw, "model"),
        encoding_format=encoding_format,
        dimensions=None if dimensions is None else lax_int(dimensions),
        truncate_prompt_tokens=truncate,
        # EmbeddingChatRequest defaults add_special_tokens to False.
        add_special_tokens=(not chat) if special is None else lax_bool(special),
    )


class OpenAIEmbeddingsContainer(EmbeddingContainer):
    """vLLM's OpenAI-compatible server serving an embedding model.

    Args:
        model: The model to serve (see :class:`EmbeddingContainer`).
        dimension: Width of the vectors.
        served_model_name: ``--served-model-name``: the answers' ``model``;
            a request naming another is answered 404.
        max_model_len: ``--max-model-len`` (tokens per input).
        matryoshka: Whether the model accepts ``dimensions`` (its
            ``is_matryoshka``).
        error_format: ``"object"`` (``{"object": "error", ...}``) or
            ``"nested"`` (vLLM >= 0.10.1: ``{"error": {...}}``).
        latency_ms: Artificial delay before each answer.
    """

    dialect = "openai-embeddings"

    def __init__(
        self,
        model: Model | None = None,
        *,
        dimension: int | None = None,
        served_model_name: str = "local-model",
        max_model_len: int = 512,
        matryoshka: bool = False,
        error_format: str = "object",
        latency_ms: float = 0.0,
    ) -> None:
        super().__init__(model, dimension=dimension, latency_ms=latency_ms)
        self.served_model_name = served_model_name
        self.max_model_len = max_model_len
        self.matryoshka = matryoshka
        self.error_format = check_error_format(error_format)

    def _error(self, error: Rejected) -> ContainerResponse:
        return error_response(error, self.error_format)

    async def invoke(self, request: ContainerRequest) -> ContainerResponse:
        """Answer one ``POST /invocations`` as vLLM does for an embed model.

        Args:
            request: The request SageMaker forwards.

        Returns:
            An ``EmbeddingResponse`` or vLLM's error.
        """
        await self._delay()
        try:
            parsed = parse_request(request, (_parse_openai,), _EMBED_HANDLERS)
            if isinstance(parsed, ContainerResponse):
                return parsed
            return self._serve(parsed)
        except Rejected as error:
            return self._error(error)

    def _serve(self, request: _OpenAIRequest) -> ContainerResponse:
        if request.model is not None and request.model != self.served_model_name:
            raise Rejected(
                f"The model `{request.model}` does not exist.", "NotFoundError", 404
            )
        truncate = request.truncate_prompt_tokens
        if truncate is not None:
            if truncate > self.max_model_len:
                raise Rejected(
                    "truncate_prompt_tokens value is greater than max_model_len. "
                    "Please, select a smaller truncation size."
                )
            if truncate == -1:
                truncate = self.max_model_len
        if request.dimensions is not None:
            if not self.matryoshka:
                raise Rejected(
                    f'Model "{self.served_model_name}" does not support matryoshka '
                    "representation, changing output dimensions will lead to poor "
                    "results."
                )
            if request.dimensions < 1:
                raise Rejected("Dimensions must be greater than 0")
        if request.empty:
            raise Rejected("please provide at least one prompt")
        if request.texts is None:
            raise Rejected("Prompts given as token ids are not supported locally.")
        data = []
        prompt_tokens = 0
        specials = 2 if request.add_special_tokens else 0
        for index, text in enumerate(request.texts):
            pieces = self.embedder.pieces(text)
            if truncate is not None and len(pieces) + specials > truncate:
                keep = max(truncate - specials, 0)
                pieces = pieces[len(pieces) - keep :] if keep else []
            tokens = len(pieces) + specials
            if tokens > self.max_model_len:
                raise Rejected(
                    f"This model's maximum context length is {self.max_model_len} "
                    f"tokens. However, you requested {tokens} tokens in the input "
                    "for embedding generation. Please reduce the length of the "
                    "input."
                )
            prompt_tokens += tokens
            vector = self.embedder.pooled(pieces)
            if request.dimensions is not None:
                vector = vector[: request.dimensions]
            values = f32(l2_normalize(vector))
            embedding: list[float] | str = values
            if request.encoding_format == "base64":
                packed = struct.pack(f"<{len(values)}f", *values)
                embedding = base64.b64encode(packed).decode("ascii")
            data.append({"index": index, "object": "embedding", "embedding": embedding})
        answer = {
            "id": f"embd-{uuid.uuid4().hex}",
            "object": "list",
            "created": int(time.time()),
            "model": self.served_model_name,
            "data": data,
            "usage": {
                "prompt_tokens": prompt_tokens,
                "total_tokens": prompt_tokens,
                "completion_tokens": 0,
                "prompt_tokens_details": None,
            },
        }
        return ContainerResponse(
            status=200, content_type=_JSON, body=compact_json(answer)
        )
