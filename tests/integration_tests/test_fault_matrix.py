"""Each fault x call ends in success or the right typed error, in bounded time."""

from __future__ import annotations

import pytest

from langchain_sagemaker.errors import SagemakerEndpointError
from langchain_sagemaker.local import LocalEndpoint
from tests.integration_tests.fault_matrix import CALLS, CASES, PROMPT, Case, run


@pytest.fixture(scope="module")
def faulty() -> LocalEndpoint:
    with LocalEndpoint(endpoint_name="echo", model="echo") as endpoint:
        yield endpoint  # type: ignore[misc]


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize("case", CASES, ids=[c.fault for c in CASES])
def test_fault(faulty: LocalEndpoint, case: Case, call: str) -> None:
    outcome, seconds, (result, streamed) = run(faulty, case, call)
    expected = case.outcome[call]
    assert seconds <= case.limit + 1, f"{case.fault}/{call} took {seconds:.1f}s"
    if expected is None:
        assert outcome == "ok", f"{case.fault}/{call}: {result!r}"
        assert result == PROMPT
        return
    assert isinstance(result, expected), f"{case.fault}/{call}: {result!r}"
    assert isinstance(result, SagemakerEndpointError)
    assert "What to do" in str(result) or "partial_text" in str(result), str(result)
    if case.partial and call in ("stream", "astream"):
        assert streamed, "some text should have streamed before the fault"
        assert result.partial_text == streamed
