"""langchain-tests' standard embeddings suites against the local endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from langchain_tests.integration_tests import EmbeddingsIntegrationTests
from langchain_tests.unit_tests import EmbeddingsUnitTests

from langchain_sagemaker import SagemakerEndpointEmbeddings
from langchain_sagemaker.local import LocalEndpoint

_SERVED: dict[str, LocalEndpoint] = {}


@pytest.fixture(scope="module", autouse=True)
def tei() -> Iterator[LocalEndpoint]:
    with LocalEndpoint(endpoint_name="tei", container="tei", model="embedder") as ep:
        _SERVED["tei"] = ep
        yield ep
        _SERVED.clear()


def _params() -> dict[str, Any]:
    ep = _SERVED["tei"]
    return {
        "endpoint_name": "tei",
        "region_name": ep.region_name,
        "endpoint_url": ep.url,
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
        "content_handler": "tei",
    }


class TestStandardEmbeddingsUnit(EmbeddingsUnitTests):
    @property
    def embeddings_class(self) -> type[SagemakerEndpointEmbeddings]:
        return SagemakerEndpointEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return _params()

    @property
    def init_from_env_params(
        self,
    ) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        ep = _SERVED["tei"]
        env = {
            "AWS_ACCESS_KEY_ID": "env-key",
            "AWS_SECRET_ACCESS_KEY": "env-secret",
            "AWS_REGION": ep.region_name,
        }
        return env, {"endpoint_name": "tei", "endpoint_url": ep.url}, {}


class TestStandardEmbeddingsIntegration(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[SagemakerEndpointEmbeddings]:
        return SagemakerEndpointEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return _params()
