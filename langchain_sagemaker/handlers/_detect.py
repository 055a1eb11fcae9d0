"""Which built-in handlers read a given response or stream event.

Pure shape checks on parsed JSON, used by the ``auto`` handler to pick a
dialect and by every built-in handler's "wrong shape" error to say which
handler to use instead. Each check follows the handler's own reading (see
the handler modules for the container sources).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["candidates_for", "event_readers", "hints", "response_readers"]


def _first(data: Any) -> Any:
    return data[0] if isinstance(data, list) and data else None


def _choice(data: Any) -> Any:
    if not isinstance(data, dict):
        return None
    choices = data.get("choices")
    return choices[0] if isinstance(choices, list) and choices else None


def _chat_completion(data: Any) -> bool:
    choice = _choice(data)
    return isinstance(choice, dict) and isinstance(choice.get("message"), dict)


def _text_completion(data: Any) -> bool:
    choice = _choice(data)
    return isinstance(choice, dict) and isinstance(choice.get("text"), str)


def _generated(item: Any) -> bool:
    return isinstance(item, dict) and isinstance(item.get("generated_text"), str)


def _generated_list(data: Any) -> bool:
    return _generated(_first(data))


def _generated_any(data: Any) -> bool:
    return _generated(data) or _generated_list(data)


def _llama(data: Any) -> bool:
    item = _first(data)
    if not isinstance(item, dict):
        return False
    generation = item.get("generation")
    return isinstance(generation, str) or (
        isinstance(generation, dict) and isinstance(generation.get("content"), str)
    )


def _flan_t5(data: Any) -> bool:
    texts = data.get("generated_texts") if isinstance(data, dict) else None
    return (
        isinstance(texts, list)
        and bool(texts)
        and all(isinstance(t, str) for t in texts)
    )


_RESPONSES: tuple[tuple[str, Callable[[Any], bool]], ...] = (
    ("openai-chat", _chat_completion),
    ("tgi-messages", _chat_completion),
    ("openai", _text_completion),
    ("tgi", _generated_list),
    ("lmi", _generated_any),
    ("hf-toolkit", _generated_list),
    ("jumpstart-falcon", _generated_list),
    ("jumpstart-mistral", _generated_list),
    ("jumpstart-llama", _llama),
    ("jumpstart-flan-t5", _flan_t5),
)
"""Whole-response readers, most likely first (the order ``auto`` picks in)."""


def response_readers(data: Any) -> tuple[str, ...]:
    """Names of the built-in handlers whose ``parse_response`` reads ``data``."""
    return tuple(name for name, reads in _RESPONSES if reads(data))


def event_readers(data: Any, *, sse: bool) -> tuple[str, ...]:
    """Names of the built-in handlers whose ``parse_event`` reads ``data``.

    Args:
        data: One parsed stream event.
        sse: Whether it came as a server-sent event (``data:``) rather than
            a JSON line; TGI and TGI's Messages API only write SSE.
    """
    if not isinstance(data, dict):
        return ()
    if isinstance(data.get("token"), dict):
        if sse:
            return ("tgi", "lmi", "jumpstart-falcon", "jumpstart-mistral")
        return ("lmi",)
    choices = data.get("choices")
    if not isinstance(choices, list):
        return ()
    chat = ("openai-chat", "tgi-messages") if sse else ("openai-chat",)
    if not choices:
        return (*chat, "openai") if isinstance(data.get("usage"), dict) else ()
    choice = choices[0]
    if isinstance(choice, dict) and isinstance(choice.get("delta"), dict):
        return chat
    if isinstance(choice, dict) and isinstance(choice.get("text"), str):
        return ("openai",)
    return ()


_HINTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("choices", ("openai-chat", "openai")),
    ("generated_text", ("tgi", "lmi", "hf-toolkit")),
    ("token", ("tgi", "lmi")),
    ("details", ("tgi", "lmi")),
    ("outputs", ("lmi",)),
    ("generation", ("jumpstart-llama",)),
    ("generated_texts", ("jumpstart-flan-t5",)),
)


def hints(data: Any) -> tuple[str, ...]:
    """Handlers that might fit a response no handler reads, from its keys."""
    item = _first(data) if isinstance(data, list) else data
    if not isinstance(item, dict):
        return ()
    names: dict[str, None] = {}
    for key, fits in _HINTS:
        if key in item:
            names.update(dict.fromkeys(fits))
    return tuple(names)


def candidates_for(raw: bytes) -> tuple[str, ...]:
    """Built-in handlers that would read ``raw`` (a line or a body), if any."""
    import json

    try:
        data = json.loads(raw)
    except ValueError:
        return ()
    names = (
        *event_readers(data, sse=False),
        *response_readers(data),
        *hints(data),
    )
    return tuple(dict.fromkeys(names))
