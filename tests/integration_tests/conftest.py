"""A shared local SageMaker endpoint for the integration tests."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from langchain_sagemaker import SagemakerEndpoint
from langchain_sagemaker.local import LocalEndpoint


@pytest.fixture(scope="session")
def endpoint() -> Iterator[LocalEndpoint]:
    """One server, several endpoints: reader, echo, slow, broken."""
    with LocalEndpoint(endpoint_name="reader", model="reader") as ep:
        ep.add_endpoint("echo", model="echo")
        ep.add_endpoint("slow", model="echo", latency_ms=100)
        ep.add_endpoint("broken", model="echo", break_stream_after=3)
        yield ep


@pytest.fixture
def make_llm(endpoint: LocalEndpoint) -> Any:
    """Build a SagemakerEndpoint reaching the local server through endpoint_url."""

    def make(name: str = "echo", **kwargs: Any) -> SagemakerEndpoint:
        kwargs.setdefault("content_handler", "tgi")
        return SagemakerEndpoint(
            endpoint_name=name,
            region_name=endpoint.region_name,
            endpoint_url=endpoint.url,
            aws_access_key_id="testing",  # type: ignore[arg-type]
            aws_secret_access_key="testing",  # type: ignore[arg-type]
            **kwargs,
        )

    return make


CLI = Path(sys.executable).parent / "langchain-sagemaker"
"""The real console script installed with the package."""


@pytest.fixture(scope="session")
def serve_url() -> Iterator[str]:
    """``langchain-sagemaker serve --port 0`` in a subprocess; yields its URL."""
    proc = subprocess.Popen(
        [str(CLI), "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = ""
        for _ in range(50):
            line = proc.stdout.readline()
            match = re.search(r"(http://127\.0\.0\.1:\d+)", line)
            if match:
                url = match.group(1)
                break
        assert url, "langchain-sagemaker serve did not print its URL"
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
