"""The registry of built-in content handlers, chosen by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, overload

from langchain_sagemaker._registry import Registry
from langchain_sagemaker.errors import ConfigurationError
from langchain_sagemaker.handlers.base import LegacyHandler, ModelHandler

__all__ = ["get_handler", "list_handlers", "register_handler", "resolve_handler"]

HandlerFactory = Callable[..., ModelHandler]
F = TypeVar("F", bound=HandlerFactory)

_HANDLERS: Registry[ModelHandler] = Registry(
    "content handler", "an LLMContentHandler instance"
)


@overload
def register_handler(name: str, factory: None = None) -> Callable[[F], F]: ...
@overload
def register_handler(name: str, factory: F) -> F: ...
def register_handler(name: str, factory: F | None = None) -> F | Callable[[F], F]:
    """Register a handler factory under ``name``; usable as a decorator.

    Args:
        name: The name users pass as ``content_handler=name``.
        factory: A callable (usually the class) returning a ``ModelHandler``.

    Example:
        ```python
        @register_handler("my-container")
        class MyHandler(ModelHandler): ...
        ```
    """

    def add(f: F) -> F:
        return _HANDLERS.register(name, f)

    return add(factory) if factory is not None else add


def list_handlers() -> list[str]:
    """Return the names of all registered handlers, sorted."""
    return _HANDLERS.names()


def get_handler(name: str, **options: Any) -> ModelHandler:
    """Build the registered handler ``name`` with ``options``.

    Raises:
        ConfigurationError: If no handler is registered under ``name``.
    """
    return _HANDLERS.build(name, **options)


def resolve_handler(handler: Any) -> ModelHandler | LegacyHandler:
    """Turn what a user passed as ``content_handler`` into an engine handler.

    Accepts a registry name, a :class:`ModelHandler`, or any object with the
    legacy ``transform_input`` / ``transform_output`` methods.
    """
    if isinstance(handler, str):
        return get_handler(handler)
    if isinstance(handler, (ModelHandler, LegacyHandler)):
        return handler
    if callable(getattr(handler, "transform_input", None)) and callable(
        getattr(handler, "transform_output", None)
    ):
        return LegacyHandler(handler)
    msg = (
        f"`content_handler` must be a handler name ({', '.join(list_handlers())}), "
        "a ModelHandler, or an LLMContentHandler with transform_input and "
        f"transform_output; got {type(handler).__name__}."
    )
    raise ConfigurationError(msg)
