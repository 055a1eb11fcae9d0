"""64 prompts against an endpoint that takes 100 ms per answer.

* raw boto3 with ``ThreadPoolExecutor(max_workers=64)`` and a client built
  with ``Config(max_pool_connections=64)`` (boto3's default pool is 10
  connections): the practical limit;
* langchain-aws ``batch`` and ``abatch``;
* ours ``batch`` and ``abatch`` (default ``max_concurrency=64``), and as extra
  rows the same with ``max_concurrency=32``.

Every client is warmed up first (connections open; for ``abatch`` the
aiobotocore client of the event loop exists). The fast clients are timed
over ``REPEATS`` runs (median); langchain-aws, which sends the prompts one
after the other (~6.4 s), once. Wall time and the speed-up over
langchain-aws ``batch`` are reported.

Run: ``uv run --all-extras --group bench python benchmarks/batch.py``
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
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
    raw_client,
    table,
    tgi_body,
    write_json,
)

N_PROMPTS = 64
LATENCY_MS = 100
REPEATS = 3
PROMPTS = [f"Prompt number {i} for the batch." for i in range(N_PROMPTS)]
PARAMS: dict[str, Any] = {"max_new_tokens": 16, "return_full_text": False}


def _check(name: str, answers: list[str]) -> None:
    if answers != PROMPTS:
        raise AssertionError(f"{name}: wrong answers {answers[:2]!r}...")


def _time_sync(
    name: str, fn: Callable[[], list[str]], repeats: int
) -> dict[str, float]:
    _check(name, fn())  # warm-up
    walls, cpus = [], []
    for _ in range(repeats):
        c0, w0 = time.process_time(), time.perf_counter()
        answers = fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
        _check(name, answers)
    return {"wall_s": median(walls), "cpu_s": median(cpus), "runs": repeats}


def _time_async(
    name: str,
    fn: Callable[[], Awaitable[list[str]]],
    repeats: int,
    warmup: Callable[[], Awaitable[Any]] | None = None,
) -> dict[str, float]:
    async def go() -> dict[str, float]:
        await (warmup() if warmup is not None else fn())
        walls, cpus = [], []
        for _ in range(repeats):
            c0, w0 = time.process_time(), time.perf_counter()
            answers = await fn()
            walls.append(time.perf_counter() - w0)
            cpus.append(time.process_time() - c0)
            _check(name, answers)
        return {"wall_s": median(walls), "cpu_s": median(cpus), "runs": repeats}

    return asyncio.run(go())


def run() -> dict[str, Any]:
    rows: dict[str, dict[str, float]] = {}
    with Server(latency_ms=LATENCY_MS, default_return_full_text=False) as server:
        url = server.url
        client = raw_client(url, max_pool_connections=N_PROMPTS)

        def raw_one(prompt: str) -> str:
            response = client.invoke_endpoint(
                EndpointName="bench",
                ContentType="application/json",
                Accept="application/json",
                Body=tgi_body(prompt, PARAMS),
            )
            return str(json.loads(response["Body"].read())[0]["generated_text"])

        with ThreadPoolExecutor(max_workers=N_PROMPTS) as pool:
            rows["raw boto3, 64 threads"] = _time_sync(
                "raw", lambda: list(pool.map(raw_one, PROMPTS)), REPEATS
            )

        aws = aws_llm(url, model_kwargs=dict(PARAMS))
        rows["langchain-aws batch"] = _time_sync(
            "aws batch", lambda: aws.batch(PROMPTS), 1
        )
        rows["langchain-aws abatch"] = _time_async(
            "aws abatch",
            lambda: aws.abatch(PROMPTS),
            1,
            warmup=lambda: aws.ainvoke(PROMPTS[0]),
        )

        for concurrency in (None, 32):
            label = "default 64" if concurrency is None else "max_concurrency=32"
            extra = {} if concurrency is None else {"max_concurrency": concurrency}
            ours = our_llm(url, model_kwargs=dict(PARAMS), **extra)
            rows[f"ours batch ({label})"] = _time_sync(
                "ours batch", lambda o=ours: o.batch(PROMPTS), REPEATS
            )
            rows[f"ours abatch ({label})"] = _time_async(
                "ours abatch", lambda o=ours: o.abatch(PROMPTS), REPEATS
            )
    return {
        "n_prompts": N_PROMPTS,
        "latency_ms": LATENCY_MS,
        "baseline": "langchain-aws batch",
        "rows": rows,
    }


def render(results: dict[str, Any]) -> str:
    rows = results["rows"]
    base = rows[results["baseline"]]["wall_s"]
    ideal = results["latency_ms"] / 1000
    out = []
    for name, r in rows.items():
        out.append(
            [
                name,
                fmt(r["wall_s"], ".3f"),
                fmt(base / r["wall_s"], ".1f", "x"),
                fmt(r["wall_s"] / ideal, ".2f", "x"),
                fmt(r["cpu_s"] * 1000, ".0f"),
                str(int(r["runs"])),
            ]
        )
    return table(
        f"batch: {results['n_prompts']} prompts, endpoint latency "
        f"{results['latency_ms']} ms (median of runs after warm-up)",
        [
            "client",
            "wall s",
            "speed-up vs aws batch",
            "vs one call",
            "client CPU ms",
            "runs",
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
