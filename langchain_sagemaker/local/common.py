r"""Pieces the container dialects share.

Every dialect of the local endpoint turns a :class:`Model`'s tokens into the
bytes one real serving stack writes. What differs between stacks is the
request schema, the stopping rules and the serialization; what does not is
collected here:

* :func:`synth_token` -- the deterministic id and logprob a token gets (the
  models only produce text);
* :func:`count_tokens` -- the "tokenizer" that measures prompts;
* :func:`model_tokens` and :func:`decode` -- the generation loop: the model's
  tokens, then an end-of-sequence token, cut by a token budget and by stop
  strings under one of the :class:`StopRule`\ s real servers use;
* JSON writers in the styles of serde / pydantic / Starlette
  (:func:`compact_json`), Python's ``json.dumps`` defaults
  (:func:`python_json`), Python with ``indent=2`` (:func:`python_indent_json`)
  and Google Gson (:func:`gson_json`), plus :func:`sse_event`;
* :class:`DialectBase` -- options every dialect takes (``latency_ms``,
  ``token_latency_ms``, ``break_stream_after``) and the container plumbing.
"""

from __future__ import annotations

import asyncio
import enum
import json
import re
import zlib
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_sagemaker.local.container import ContainerResponse
from langchain_sagemaker.local.models.base import Model

__all__ = [
    "WORD",
    "DialectBase",
    "Step",
    "StopRule",
    "Token",
    "compact_json",
    "count_tokens",
    "decode",
    "gson_json",
    "model_tokens",
    "python_indent_json",
    "python_json",
    "sse_event",
    "synth_token",
]

#: What the local "tokenizer" counts: words and single punctuation marks.
WORD = re.compile(r"\w+|[^\w\s]")


def count_tokens(text: str) -> int:
    """Return how many tokens ``text`` measures (words and punctuation)."""
    return len(WORD.findall(text))


@dataclass(frozen=True)
class Token:
    """One generated token.

    Attributes:
        id: Token id (synthesized from the text unless given).
        text: Decoded text of the token.
        logprob: Log probability (synthesized, always <= 0).
        special: Whether it is a special token (EOS).
    """

    id: int
    text: str
    logprob: float
    special: bool = False


def synth_token(
    text: str, *, special: bool = False, token_id: int | None = None
) -> Token:
    """Return the token for ``text`` with a deterministic id and logprob.

    Args:
        text: The token text.
        special: Whether it is a special token.
        token_id: Use this id instead of the synthesized one.

    Returns:
        The token; the same text always gets the same id and logprob.
    """
    digest = zlib.crc32(text.encode("utf-8"))
    return Token(
        id=token_id if token_id is not None else 3 + digest % 31997,
        text=text,
        logprob=-((digest >> 8) % 4000) / 1000,
        special=special,
    )


async def model_tokens(
    model: Model,
    prompt: str,
    *,
    eos: Token | None,
    latency_ms: float = 0.0,
    token_latency_ms: float = 0.0,
) -> AsyncIterator[tuple[Token, bool]]:
    """Yield ``(token, is_eos)``: the model's tokens, then ``eos`` if given.

    Sleeps ``latency_ms`` before the first token (prefill) and
    ``token_latency_ms`` before each further one. Errors the model raises
    propagate to the caller at the token where they happen.
    """
    if latency_ms:
        await asyncio.sleep(latency_ms / 1000)
    first = True
    texts: Iterator[str] = iter(model.generate(prompt))
    while True:
        if not first and token_latency_ms:
            await asyncio.sleep(token_latency_ms / 1000)
        first = False
        text = next(texts, None)
        if text is None:
            break
        yield synth_token(text), False
    if eos is not None:
        yield eos, True


class StopRule(enum.Enum):
    """How a serving stack matches stop strings and what it keeps.

    * ``SUFFIX``: after each token, stop if the output so far *ends with* a
      stop string; the stop string stays in the output. The token budget is
      checked first, then EOS, then stop strings (TGI
      ``server/text_generation_server/utils/tokens.py`` ``StoppingCriteria``;
      transformers ``StopStringCriteria`` behaves alike).
    * ``TRUNCATE``: vLLM's detokenizer (``vllm/v1/engine/detokenizer.py``,
      ``StopChecker.check_stop_strings``): each stop string, in request
      order, is searched in the text the new token added (plus
      ``len(stop) - 1`` characters before it); the output is cut at the
      start of the first one found (at its end with
      ``include_stop_str_in_output``). The scheduler's budget and EOS checks
      come first, but a stop string found on the same token overrides them.
    * ``DETECT``: stop like ``TRUNCATE`` but keep every token's whole text
      (DJL LMI over vLLM builds its output from the per-token texts, which
      vLLM does not truncate).
    """

    SUFFIX = "suffix"
    TRUNCATE = "truncate"
    DETECT = "detect"


@dataclass
class Step:
    """One token of a generation and where it leaves the output.

    Attributes:
        token: The token generated.
        is_eos: Whether it is the end-of-sequence token.
        output: The visible output so far (EOS text excluded; cut at a stop
            string under ``StopRule.TRUNCATE``).
        count: How many tokens have been generated, this one included.
        finish: On the last step: ``"length"``, ``"eos"`` or ``"stop"``.
        stop: The stop string matched, when ``finish == "stop"``.
    """

    token: Token
    is_eos: bool
    output: str
    count: int
    finish: str | None = None
    stop: str | None = None


def _find_stop(
    output: str, new_chars: int, stops: Sequence[str], include: bool
) -> tuple[str, int] | None:
    """Return ``(stop, cut)`` like vLLM ``StopChecker.check_stop_strings``."""
    if not new_chars or not stops:
        return None
    for stop in stops:
        start = max(len(output) - new_chars - len(stop), 0)
        index = output.find(stop, start)
        if index == -1:
            continue
        if include:
            index += len(stop)
            if index >= len(output):
                return stop, -1
        return stop, index
    return None


async def decode(
    tokens: AsyncIterator[tuple[Token, bool]],
    *,
    max_tokens: int | None,
    stops: Sequence[str] = (),
    rule: StopRule = StopRule.SUFFIX,
    include_stop: bool = False,
    stop_tokens: Sequence[str] = (),
) -> AsyncIterator[Step]:
    """Run the generation loop; the last step yielded carries ``finish``.

    Args:
        tokens: ``(token, is_eos)`` pairs, e.g. from :func:`model_tokens`.
        max_tokens: Token budget (EOS included), or None for no budget.
        stops: Stop strings.
        rule: How stop strings are matched and what is kept.
        include_stop: Under ``TRUNCATE``, keep the stop string itself.
        stop_tokens: Token texts that end the generation like EOS does but
            stay in the output (transformers ``stop_sequence``).

    Yields:
        One :class:`Step` per token. If ``tokens`` ends without EOS, the
        last step has no ``finish``.
    """
    output = ""
    count = 0
    async for token, is_eos in tokens:
        count += 1
        step = Step(token=token, is_eos=is_eos, output=output, count=count)
        if rule is StopRule.SUFFIX:
            if max_tokens is not None and count >= max_tokens:
                step.finish = "length"
            elif is_eos or token.text in stop_tokens:
                step.finish = "eos"
            if not token.special:
                output += token.text
            if step.finish is None and stops:
                for stop in stops:
                    if stop and output.endswith(stop):
                        step.finish, step.stop = "stop", stop
                        break
        else:
            if max_tokens is not None and count >= max_tokens:
                step.finish = "length"
            elif is_eos:
                step.finish = "eos"
            new_text = "" if token.special else token.text
            output += new_text
            found = _find_stop(output, len(new_text), stops, include_stop)
            if found is not None:
                step.finish, step.stop = "stop", found[0]
                if rule is StopRule.TRUNCATE and found[1] != -1:
                    output = output[: found[1]]
        step.output = output
        yield step
        if step.finish is not None:
            return


# --- serialization --------------------------------------------------------------


def read_fastapi_json(body: bytes) -> tuple[Any, ContainerResponse | None]:
    """Parse a JSON request body the way vLLM's FastAPI server does.

    Returns ``(value, None)``, or ``(None, answer)`` with FastAPI's own answer
    for a body that is not JSON (400 ``{"detail": ...}``) or not text (500).
    """
    try:
        return json.loads(body), None
    except json.JSONDecodeError as error:
        detail = compact_json({"detail": f"JSON decode error: {error}"})
        return None, ContainerResponse(
            status=400, content_type="application/json", body=detail
        )
    except (UnicodeDecodeError, ValueError):
        return None, ContainerResponse(
            status=500,
            content_type="text/plain; charset=utf-8",
            body=b"Internal Server Error",
        )


def compact_json(value: Any) -> bytes:
    """JSON as serde_json, pydantic and Starlette write it (no spaces, UTF-8)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def python_json(value: Any) -> bytes:
    """JSON as ``json.dumps(value, ensure_ascii=False)`` writes it (``", "``)."""
    return json.dumps(value, ensure_ascii=False).encode()


def python_indent_json(value: Any) -> bytes:
    """``json.dumps(indent=2, separators=(",", ":"), ensure_ascii=False)``."""
    return json.dumps(
        value, indent=2, separators=(",", ":"), ensure_ascii=False
    ).encode()


# Gson's JsonWriter: short escapes, \u00XX for other controls, U+2028/U+2029,
# and with HTML-safe escaping (the default) < > & = '.
_GSON_SHORT = {'"': '\\"', "\\": "\\\\", "\t": "\\t", "\b": "\\b", "\n": "\\n"}
_GSON_SHORT |= {"\r": "\\r", "\f": "\\f"}
_GSON_HTML = "<>&='"


def _gson_string(text: str) -> str:
    out = ['"']
    for char in text:
        if char in _GSON_SHORT:
            out.append(_GSON_SHORT[char])
        elif ord(char) < 0x20 or char in "\u2028\u2029" or char in _GSON_HTML:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _gson_value(value: Any, indent: str | None, level: int) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        return _gson_string(value)
    if isinstance(value, Mapping):
        items = [
            (_gson_string(str(key)), _gson_value(item, indent, level + 1))
            for key, item in value.items()
        ]
        if not items:
            return "{}"
        if indent is None:
            return "{" + ",".join(f"{k}:{v}" for k, v in items) + "}"
        inner = "\n" + indent * (level + 1)
        body = ",".join(f"{inner}{k}: {v}" for k, v in items)
        return "{" + body + "\n" + indent * level + "}"
    if isinstance(value, Sequence):
        parts = [_gson_value(item, indent, level + 1) for item in value]
        if not parts:
            return "[]"
        if indent is None:
            return "[" + ",".join(parts) + "]"
        inner = "\n" + indent * (level + 1)
        return "[" + ",".join(inner + p for p in parts) + "\n" + indent * level + "]"
    raise TypeError(f"cannot serialize {type(value).__name__}")


def gson_json(value: Any, *, pretty: bool = False) -> bytes:
    """JSON as Google Gson writes it (Java frontends: DJL, MMS).

    Gson escapes ``< > & = '`` as ``u003c``-style escapes by default and, pretty
    printed, indents by two spaces with ``": "`` after keys.
    """
    return _gson_value(value, "  " if pretty else None, 0).encode()


def sse_event(prefix: bytes, data: bytes) -> bytes:
    """One server-sent event: ``prefix`` + ``data`` + a blank line."""
    return prefix + data + b"\n\n"


# --- the container plumbing ---------------------------------------------------------


class DialectBase:
    """What every dialect container has: a model, latency and a stream hook.

    Args:
        model: The model that generates the tokens.
        latency_ms: Artificial delay before the first token (prefill).
        token_latency_ms: Artificial delay before each further token.
        break_stream_after: Test hook: a streaming answer raises
            ``ConnectionResetError`` after this many chunks, as if the
            container died mid-stream.
    """

    #: Registry name of the dialect.
    dialect = ""

    def __init__(
        self,
        model: Model,
        *,
        latency_ms: float = 0.0,
        token_latency_ms: float = 0.0,
        break_stream_after: int | None = None,
    ) -> None:
        self.model = model
        self.latency_ms = latency_ms
        self.token_latency_ms = token_latency_ms
        self.break_stream_after = break_stream_after

    def __repr__(self) -> str:
        name = getattr(self.model, "name", self.model)
        return f"{type(self).__name__}(model={name!r})"

    async def ping(self) -> bool:
        """Return ``True``: the model is loaded in-process."""
        return True

    async def close(self) -> None:
        """Nothing to release."""

    def tokens(
        self, prompt: str, eos: Token | None
    ) -> AsyncIterator[tuple[Token, bool]]:
        """The model's tokens for ``prompt`` with this container's latency."""
        return model_tokens(
            self.model,
            prompt,
            eos=eos,
            latency_ms=self.latency_ms,
            token_latency_ms=self.token_latency_ms,
        )

    async def guard(self, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        """Pass ``chunks`` through, breaking after ``break_stream_after``."""
        sent = 0
        try:
            async for chunk in chunks:
                if (
                    self.break_stream_after is not None
                    and sent >= self.break_stream_after
                ):
                    raise ConnectionResetError(
                        "the model container closed the connection"
                    )
                sent += 1
                yield chunk
        finally:
            aclose = getattr(chunks, "aclose", None)
            if aclose is not None:
                await aclose()
