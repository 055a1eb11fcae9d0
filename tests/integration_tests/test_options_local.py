"""Each endpoint option through SagemakerEndpoint, checked and echoed by the local endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from langchain_sagemaker import SagemakerEndpoint
from langchain_sagemaker.errors import SagemakerClientError
from langchain_sagemaker.local import LocalEndpoint


@pytest.fixture(scope="module")
def served() -> Iterator[LocalEndpoint]:
    with LocalEndpoint(endpoint_name="plain", model="echo") as ep:
        ep.add_endpoint("variants", model="echo", variants=["blue", "green"])
        ep.add_endpoint(
            "components", model="echo", inference_components=["ic-a", "ic-b"]
        )
        ep.add_endpoint("multi", model="echo", target_models=["m1.tar.gz", "m2.tar.gz"])
        yield ep


def _llm(ep: LocalEndpoint, name: str, **kwargs: Any) -> SagemakerEndpoint:
    return SagemakerEndpoint(endpoint_name=name, client=ep.client(), **kwargs)


def _last(ep: LocalEndpoint) -> Any:
    return ep.requests.records[-1]


@pytest.mark.parametrize("stream", [False, True])
def test_target_variant(served: LocalEndpoint, stream: bool) -> None:
    llm = _llm(served, "variants", target_variant="green")
    out = "".join(llm.stream("hi")) if stream else llm.invoke("hi")
    assert out == "hi"
    assert _last(served).variant == "green"
    with pytest.raises(SagemakerClientError) as caught:
        _llm(served, "variants", target_variant="red").invoke("hi")
    assert caught.value.code == "ValidationError"


@pytest.mark.parametrize("stream", [False, True])
def test_inference_component(served: LocalEndpoint, stream: bool) -> None:
    llm = _llm(served, "components", inference_component_name="ic-b")
    assert ("".join(llm.stream("hi")) if stream else llm.invoke("hi")) == "hi"
    assert _last(served).inference_component == "ic-b"
    with pytest.raises(SagemakerClientError):
        _llm(served, "components", inference_component_name="ic-x").invoke("hi")


def test_target_model(served: LocalEndpoint) -> None:
    assert _llm(served, "multi", target_model="m2.tar.gz").invoke("hi") == "hi"
    assert _last(served).target_model == "m2.tar.gz"
    with pytest.raises(SagemakerClientError):
        _llm(served, "multi", target_model="nope.tar.gz").invoke("hi")
    # the stream API has no TargetModel: it is left out, not sent and refused
    llm = _llm(served, "plain", target_model="m2.tar.gz")
    assert "".join(llm.stream("hi")) == "hi"
    assert _last(served).target_model is None


def test_custom_attributes_and_eula(served: LocalEndpoint) -> None:
    llm = _llm(served, "plain", accept_eula=True, custom_attributes="trace=on")
    assert llm.invoke("hi") == "hi"
    header = _last(served).headers["X-Amzn-SageMaker-Custom-Attributes"]
    assert header == "accept_eula=true;trace=on"


def test_inference_id_and_explanations(served: LocalEndpoint) -> None:
    llm = _llm(served, "plain", inference_id="req-7", enable_explanations="`true`")
    assert llm.invoke("hi") == "hi"
    record = _last(served)
    assert (record.inference_id, record.enable_explanations) == ("req-7", "`true`")


def test_per_call_override(served: LocalEndpoint) -> None:
    llm = _llm(served, "variants", target_variant="green")
    llm.invoke("hi", endpoint_kwargs={"TargetVariant": "blue"})
    assert _last(served).variant == "blue"


def test_stateful_session(served: LocalEndpoint) -> None:
    llm = _llm(served, "plain")
    session = llm.open_session("start")
    assert session and _last(served).session_id == session
    bound = llm.model_copy(update={"session_id": session})
    assert bound.invoke("again") == "again"
    assert "".join(bound.stream("and streamed")) == "and streamed"
    assert [r.session_id for r in served.requests.records[-2:]] == [session, session]
