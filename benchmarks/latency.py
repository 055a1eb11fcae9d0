"""The wrapper's own cost per call: ``invoke`` against a 0 ms local endpoint.

Four clients call the same echo endpoint with the same short prompt, in
interleaved rounds in a random order (so drift and the previous call's
leftovers hit all of them alike), after a warm-up:

* raw boto3: ``invoke_endpoint`` + read the body + ``json.loads``;
* langchain-aws ``SagemakerEndpoint.invoke`` with a TGI ``LLMContentHandler``;
* ours ``SagemakerEndpoint.invoke`` with ``content_handler="tgi"``;
* (info) a minimal langchain-core ``LLM`` whose ``_call`` is the raw boto3
  call: what langchain-core's generic path costs (callbacks, run managers,
  result objects). Ours can go under it: it skips two of that path's per-call
  costs (see ``signature_once`` and ``_dict_for_compat``) and botocore's
  per-call parameter validation (see ``_client.default_config``).

Reports median and p90 wall latency, client CPU per call, ratios to raw
boto3, and the paired difference to langchain-aws: the median over rounds of
(this client's call - langchain-aws's call in the same round), which cancels
the drift that moves each client's own median by ±30 µs between runs. The
server runs in a subprocess, so CPU is the client's alone.

Run: ``uv run --all-extras --group bench python benchmarks/latency.py``
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    Server,
    aws_llm,
    fmt,
    json_arg,
    median,
    our_llm,
    percentile,
    raw_client,
    table,
    tgi_body,
    write_json,
)

N_CALLS = 1500
N_WARMUP = 30
PROMPT = "Hello there, how are you today?"
PARAMS: dict[str, Any] = {"max_new_tokens": 16, "return_full_text": False}
AWS = "langchain-aws invoke"
CORE_FLOOR = "(info) langchain-core LLM over raw boto3"


def _raw_call(url: str) -> Callable[[], str]:
    """The raw boto3 call, on a client (and connection) of its own."""
    client = raw_client(url)

    def raw() -> str:
        response = client.invoke_endpoint(
            EndpointName="bench",
            ContentType="application/json",
            Accept="application/json",
            Body=tgi_body(PROMPT, PARAMS),
        )
        return str(json.loads(response["Body"].read())[0]["generated_text"])

    return raw


def make_callers(url: str) -> dict[str, Callable[[], str]]:
    # Each caller has its own client: a client used twice as often (shared)
    # measured ~30 µs faster per call, from warmer caches alone.
    aws = aws_llm(url, model_kwargs=dict(PARAMS))
    ours = our_llm(url, model_kwargs=dict(PARAMS))
    floor = _core_floor(_raw_call(url))
    return {
        "raw boto3": _raw_call(url),
        AWS: lambda: aws.invoke(PROMPT),
        "ours invoke": lambda: ours.invoke(PROMPT),
        CORE_FLOOR: lambda: floor.invoke(PROMPT),
    }


def _core_floor(raw: Callable[[], str]) -> Any:
    """langchain-core's generic ``LLM`` path: ``_call`` is the raw call."""
    from langchain_core.language_models.llms import LLM

    class RawCallLLM(LLM):
        @property
        def _llm_type(self) -> str:
            return "raw-call"

        def _call(self, prompt: str, stop: Any = None, **kwargs: Any) -> str:
            return raw()

    return RawCallLLM()


def run(n_calls: int = N_CALLS, n_warmup: int = N_WARMUP) -> dict[str, Any]:
    with Server(latency_ms=0, default_return_full_text=False) as server:
        callers = make_callers(server.url)
        names = list(callers)
        for name in names:
            answer = callers[name]()
            if answer != PROMPT:
                raise AssertionError(f"{name} answered {answer!r}")
            for _ in range(n_warmup):
                callers[name]()
        wall: dict[str, list[float]] = {n: [] for n in names}
        cpu: dict[str, list[float]] = {n: [] for n in names}
        order = random.Random(7)
        for _ in range(n_calls):
            # A fresh random order every round: a call's cost depends on the
            # call before it (server and client state), and a fixed rotation
            # would give each client the same predecessor in every round.
            for name in order.sample(names, len(names)):
                call = callers[name]
                c0, w0 = time.process_time(), time.perf_counter()
                call()
                w1, c1 = time.perf_counter(), time.process_time()
                wall[name].append(w1 - w0)
                cpu[name].append(c1 - c0)
    results: dict[str, Any] = {"n_calls": n_calls, "rows": {}}
    peer = wall[AWS]
    for name in names:
        # Paired: call i of each client ran in the same round, so the median
        # of the per-round differences cancels the drift of a shared machine.
        paired = [(w - p) * 1e6 for w, p in zip(wall[name], peer, strict=True)]
        results["rows"][name] = {
            "median_us": median(wall[name]) * 1e6,
            "paired_vs_aws_us": median(paired),
            "p90_us": percentile(wall[name], 0.9) * 1e6,
            "cpu_us": sum(cpu[name]) / len(cpu[name]) * 1e6,
        }
    return results


def render(results: dict[str, Any]) -> str:
    rows = results["rows"]
    base = rows["raw boto3"]
    out = []
    for name, r in rows.items():
        out.append(
            [
                name,
                fmt(r["median_us"], ".0f"),
                fmt(r["p90_us"], ".0f"),
                fmt(r["median_us"] / base["median_us"], ".2f", "x"),
                fmt(r["median_us"] - base["median_us"], "+.0f"),
                fmt(r["paired_vs_aws_us"], "+.0f"),
                fmt(r["cpu_us"], ".0f"),
                fmt(r["cpu_us"] / base["cpu_us"], ".2f", "x"),
            ]
        )
    return table(
        f"invoke latency, 0 ms echo endpoint, short prompt, "
        f"N={results['n_calls']} calls each (after warm-up)",
        [
            "client",
            "median µs",
            "p90 µs",
            "vs raw",
            "overhead µs",
            "vs aws, paired µs",
            "CPU µs/call",
            "CPU vs raw",
        ],
        out,
    )


def main(argv: list[str]) -> int:
    results = run()
    print(render(results))
    write_json(json_arg(argv), results)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
