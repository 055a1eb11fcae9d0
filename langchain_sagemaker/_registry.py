"""Named factories users choose by name: the content handlers of each kind."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from langchain_sagemaker.errors import ConfigurationError

__all__ = ["Registry"]

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


class Registry(Generic[T]):
    """Factories of one kind of handler, each under a name.

    Args:
        kind: What the names are, for error messages ("content handler").
        alternative: What a user may pass instead of a name, for error
            messages ("an LLMContentHandler instance").
        load: Imports the modules whose handlers register themselves, called
            before the first lookup.

    Example:
        ```python
        handlers: Registry[ModelHandler] = Registry(
            "content handler", "an LLMContentHandler instance"
        )
        handlers.register("my-container", MyHandler)
        handlers.build("my-container")
        ```
    """

    def __init__(
        self, kind: str, alternative: str, load: Callable[[], object] | None = None
    ) -> None:
        self.kind = kind
        self.alternative = alternative
        self._load = load
        self._factories: dict[str, Callable[..., T]] = {}

    def register(self, name: str, factory: F) -> F:
        """Register ``factory`` (usually a class) under ``name``; return it."""
        self._factories[name] = factory
        return factory

    def names(self) -> list[str]:
        """The registered names, sorted."""
        self._loaded()
        return sorted(self._factories)

    def build(self, name: str, **options: Any) -> T:
        """Build the handler registered as ``name`` with ``options``.

        Raises:
            ConfigurationError: If nothing is registered under ``name``; the
                message lists the names there are.
        """
        self._loaded()
        factory = self._factories.get(name)
        if factory is None:
            msg = (
                f"Unknown {self.kind} {name!r}. What to do: use one of "
                f"{', '.join(self.names())}, or pass {self.alternative}."
            )
            raise ConfigurationError(msg)
        return factory(**options)

    def _loaded(self) -> None:
        if self._load is not None:
            load, self._load = self._load, None
            load()
