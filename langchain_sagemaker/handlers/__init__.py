"""Content handlers: the legacy contract, built-in dialects, and their registry."""

from langchain_sagemaker.handlers import tgi as _tgi  # noqa: F401  (registers)
from langchain_sagemaker.handlers.base import (
    ContentHandlerBase,
    Delta,
    Framing,
    LegacyHandler,
    LLMContentHandler,
    ModelHandler,
    StreamLine,
    read_body,
)
from langchain_sagemaker.handlers.registry import (
    get_handler,
    list_handlers,
    register_handler,
    resolve_handler,
)

__all__ = [
    "ContentHandlerBase",
    "Delta",
    "Framing",
    "LLMContentHandler",
    "LegacyHandler",
    "ModelHandler",
    "StreamLine",
    "get_handler",
    "list_handlers",
    "read_body",
    "register_handler",
    "resolve_handler",
]
