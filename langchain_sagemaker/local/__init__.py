"""A local Amazon SageMaker endpoint for offline work and tests.

It speaks the real SageMaker Runtime wire protocol, so boto3, aiobotocore and
LangChain reach it unchanged (``endpoint_url`` or the
``AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME`` environment variable)::

    from langchain_sagemaker.local import LocalEndpoint

    with LocalEndpoint(model="reader") as endpoint:
        client = endpoint.client()

Needs the ``local`` extra: ``pip install 'langchain-sagemaker[local]'``.
"""

from __future__ import annotations

try:
    import aiohttp  # noqa: F401
except ImportError as error:  # pragma: no cover - depends on the install
    raise ImportError(
        "langchain_sagemaker.local needs aiohttp: "
        "pip install 'langchain-sagemaker[local]'"
    ) from error

from langchain_sagemaker.local.container import (
    Container,
    ContainerRequest,
    ContainerResponse,
    get_container,
)
from langchain_sagemaker.local.runtime import (
    RecordedRequest,
    RequestLog,
    SageMakerRuntime,
)
from langchain_sagemaker.local.server import LocalEndpoint, serve_forever

__all__ = [
    "Container",
    "ContainerRequest",
    "ContainerResponse",
    "LocalEndpoint",
    "RecordedRequest",
    "RequestLog",
    "SageMakerRuntime",
    "get_container",
    "serve_forever",
]
