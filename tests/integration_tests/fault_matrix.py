"""The fault matrix: every injected fault x {invoke, stream, ainvoke, astream}.

Run it as a script to print the table (``python -m tests.integration_tests.fault_matrix``);
``test_fault_matrix.py`` runs the same cases under pytest.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from botocore.config import Config

from langchain_sagemaker import SagemakerEndpoint
from langchain_sagemaker import errors as e
from langchain_sagemaker.local import LocalEndpoint

PROMPT = "alpha beta gamma delta epsilon zeta eta theta iota kappa"
CALLS = ("invoke", "stream", "ainvoke", "astream")
READ_TIMEOUT = 1.0


@dataclass(frozen=True)
class Case:
    """One fault and what each call must end in.

    ``outcome`` maps a call to an exception type, or ``None`` for success;
    ``partial`` says the error must carry streamed text; ``limit`` bounds the
    time: 3 attempts with botocore's backoff (at most 1 + 2 s) and 1 s read
    timeouts take at most ~6 s; the rest is slack for a loaded machine. A hang
    (the server stalls for 20 s) would exceed it.
    """

    fault: str
    outcome: dict[str, type[BaseException] | None]
    partial: bool = False
    limit: float = 10.0


def _same(kind: type[BaseException] | None) -> dict[str, type[BaseException] | None]:
    return dict.fromkeys(CALLS, kind)


def _streams(kind: type[BaseException]) -> dict[str, type[BaseException] | None]:
    return {"invoke": None, "ainvoke": None, "stream": kind, "astream": kind}


CASES = [
    Case("throttle", _same(e.ThrottlingError)),
    Case("throttle-429", _same(e.ThrottlingError)),
    Case("fail-times:2:throttle", _same(None)),
    Case("model-error-4xx", _same(e.ModelError)),
    Case("model-error-5xx", _same(e.ModelError)),
    Case("not-ready", _same(e.ModelNotReadyError)),
    Case("unavailable", _same(e.ServiceUnavailableError)),
    Case("fail-times:2:unavailable", _same(None)),
    Case("internal", _same(e.ServiceUnavailableError)),
    Case("reset-before", _same(e.EndpointConnectionError)),
    Case("fail-times:1:reset-before", _same(None)),
    Case("reset-during:3", _same(e.EndpointConnectionError)),
    Case("model-stream-error:3", _streams(e.StreamError), partial=True),
    Case("internal-stream-failure:3", _streams(e.StreamError), partial=True),
    Case("truncate:3", _streams(e.IncompleteStreamError), partial=True),
    Case("bad-crc:3", _streams(e.IncompleteStreamError), partial=True),
    Case("stall:20:3", _same(e.EndpointTimeoutError), limit=12.0),
    Case("invalid-json", _same(e.ResponseParseError)),
    Case("invalid-utf8", _same(e.ResponseParseError)),
]


def make_llm(endpoint: LocalEndpoint, fault: str, call: str) -> SagemakerEndpoint:
    """An LLM whose every request carries the fault (and its own inference id)."""
    return SagemakerEndpoint(
        endpoint_name="echo",
        region_name=endpoint.region_name,
        endpoint_url=endpoint.url,
        aws_access_key_id="testing",  # type: ignore[arg-type]
        aws_secret_access_key="testing",  # type: ignore[arg-type]
        custom_attributes=f"lsm-fault={fault}",
        inference_id=f"{fault}/{call}",
        read_timeout=READ_TIMEOUT,
        connect_timeout=READ_TIMEOUT,
        config=Config(retries={"mode": "standard", "max_attempts": 3}),
    )


async def _arun(llm: SagemakerEndpoint, call: str, got: list[str]) -> str:
    if call == "ainvoke":
        return await llm.ainvoke(PROMPT)
    async for piece in llm.astream(PROMPT):
        got.append(piece)
    return "".join(got)


def run(endpoint: LocalEndpoint, case: Case, call: str) -> tuple[str, float, Any]:
    """Run one cell; return (outcome name, seconds, result or exception)."""
    llm = make_llm(endpoint, case.fault, call)
    got: list[str] = []
    started = time.perf_counter()
    try:
        if call == "invoke":
            result: Any = llm.invoke(PROMPT)
        elif call == "stream":
            for piece in llm.stream(PROMPT):
                got.append(piece)
            result = "".join(got)
        else:
            result = asyncio.run(_arun(llm, call, got))
        outcome = "ok"
    except Exception as exc:  # the matrix records every outcome
        result = exc
        outcome = type(exc).__name__
    return outcome, time.perf_counter() - started, (result, "".join(got))


def main() -> None:
    """Print the matrix as a table."""
    with LocalEndpoint(endpoint_name="echo", model="echo") as endpoint:
        print(f"{'fault':28} {'call':8} {'outcome':26} {'time':>6}  partial text")
        for case in CASES:
            for call in CALLS:
                outcome, seconds, (result, _) = run(endpoint, case, call)
                partial = getattr(result, "partial_text", "")
                print(
                    f"{case.fault:28} {call:8} {outcome:26} {seconds:6.2f}  {partial[:24]!r}"
                )


if __name__ == "__main__":
    main()
