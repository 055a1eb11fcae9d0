"""Deterministic built-in models served by the local SageMaker endpoint."""

from __future__ import annotations

from collections.abc import Callable

from langchain_sagemaker.local.models.base import Model
from langchain_sagemaker.local.models.echo import EchoModel
from langchain_sagemaker.local.models.embedder import Embedder
from langchain_sagemaker.local.models.reader import ReaderModel

__all__ = ["MODEL_NAMES", "EchoModel", "Model", "ReaderModel", "get_model"]

_REGISTRY: dict[str, Callable[[], Model]] = {
    Embedder.name: Embedder,
    ReaderModel.name: ReaderModel,
    EchoModel.name: EchoModel,
}
MODEL_NAMES: tuple[str, ...] = tuple(sorted(_REGISTRY))


def get_model(name: str) -> Model:
    """Return a new instance of the built-in model called ``name``.

    Args:
        name: A registered model name, such as ``"reader"`` or ``"echo"``.

    Returns:
        The model.

    Raises:
        ValueError: If no model has that name; the message lists the known names.
    """
    try:
        factory = _REGISTRY[name]
    except (KeyError, TypeError):
        known = ", ".join(repr(n) for n in MODEL_NAMES)
        raise ValueError(f"Unknown model {name!r}; known models: {known}.") from None
    return factory()
