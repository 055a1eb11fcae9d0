"""Client CPU per streamed token at 2,000 and 100,000 tokens, and peak memory.

The echo model streams back a prompt of N words (``"a a a ..."``), one TGI
SSE event per token and one ``PayloadPart`` per event, as TGI sends them;
``max_new_tokens=N`` makes exactly N tokens stream. Clients:

* raw boto3: iterate the ``EventStream``, split each ``PayloadPart`` into
  SSE lines and ``json.loads`` the token: the floor;
* langchain-aws ``SagemakerEndpoint.stream`` with a TGI ``LLMContentHandler``;
* ours ``SagemakerEndpoint.stream`` and (extra row) ``.astream``.

The consumer only counts the tokens; it keeps nothing. CPU is
``time.process_time()`` of this process (the server is a subprocess); at 2k
the median of ``REPEATS_2K`` runs, at 100k one run. Peak memory is
``tracemalloc``'s peak over one stream (a separate run), minus what was traced
before it started. Tracing makes every allocation 3-4x slower, so to stay
within the time budget the full 100k-token stream is traced only for raw
boto3 and ours ``.stream`` (the rows the targets are about); langchain-aws and
ours ``.astream`` are traced over ``MEMORY_TOKENS_OTHERS`` tokens, as the
table says. The 100k-token request body (the prompt, ~200 kB) and TGI's last
event (which repeats the whole generated text, ~200 kB) count for every
client alike.

A run longer than ``GUARD_S`` seconds (``MEMORY_GUARD_S`` when traced) is cut
off and reported with the tokens it got, so a slow client (langchain-core
accumulates langchain-aws's stream with ``generation += chunk``, which copies
the text so far for every token) cannot blow the time budget.

Run: ``uv run --all-extras --group bench python benchmarks/stream.py``
(``--only cpu`` or ``--only memory`` measures one half; ``run_all.py`` runs
the halves in two processes, so that each stays within its time budget on a
busy 2-core machine, and prints the joined table).
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import time
import tracemalloc
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
    raw_client,
    table,
    tgi_body,
    write_json,
)

SMALL = 2_000
LARGE = 100_000
REPEATS_2K = 3
GUARD_S = 30.0
MEMORY_GUARD_S = 45.0
MEMORY_TOKENS_OTHERS = 20_000
FULL_MEMORY_ROWS = ("raw boto3 (floor)", "ours .stream")
CHECK_EVERY = 1_000

# (tokens, characters, capped) for a stream of n tokens that stops by `deadline`
Consumer = Callable[[int, float], tuple[int, int, bool]]


def prompt_of(n: int) -> str:
    """N words, which the echo model streams back as N tokens."""
    return "a" + " a" * (n - 1)


def make_consumers(url: str, loop: asyncio.AbstractEventLoop) -> dict[str, Consumer]:
    client = raw_client(url)
    aws = aws_llm(url, stream=True)
    ours = our_llm(url)

    def raw(n: int, deadline: float) -> tuple[int, int, bool]:
        response = client.invoke_endpoint_with_response_stream(
            EndpointName="bench",
            ContentType="application/json",
            Body=tgi_body(prompt_of(n), {"max_new_tokens": n}, stream=True),
        )
        body = response["Body"]
        tokens = chars = 0
        try:
            for event in body:
                part = event.get("PayloadPart")
                if part is None:
                    continue
                for line in part["Bytes"].split(b"\n"):
                    if line.startswith(b"data:"):
                        token = json.loads(line[5:])["token"]
                        if not token["special"]:
                            tokens += 1
                            chars += len(token["text"])
                if tokens % CHECK_EVERY == 0 and time.perf_counter() > deadline:
                    return tokens, chars, True
        finally:
            body.close()
        return tokens, chars, False

    def sync_llm(llm: Any) -> Consumer:
        def consume(n: int, deadline: float) -> tuple[int, int, bool]:
            tokens = chars = 0
            stream = llm.stream(prompt_of(n), max_new_tokens=n)
            try:
                for text in stream:
                    if text:
                        tokens += 1
                        chars += len(text)
                        if tokens % CHECK_EVERY == 0 and time.perf_counter() > deadline:
                            return tokens, chars, True
            finally:
                stream.close()
            return tokens, chars, False

        return consume

    async def ours_async(n: int, deadline: float) -> tuple[int, int, bool]:
        tokens = chars = 0
        stream = ours.astream(prompt_of(n), max_new_tokens=n)
        try:
            async for text in stream:
                if text:
                    tokens += 1
                    chars += len(text)
                    if tokens % CHECK_EVERY == 0 and time.perf_counter() > deadline:
                        return tokens, chars, True
        finally:
            await stream.aclose()
        return tokens, chars, False

    return {
        "raw boto3 (floor)": raw,
        "langchain-aws .stream": sync_llm(aws),
        "ours .stream": sync_llm(ours),
        "ours .astream": lambda n, d: loop.run_until_complete(ours_async(n, d)),
    }


def _check(name: str, n: int, got: tuple[int, int, bool]) -> None:
    tokens, chars, capped = got
    if not capped and (tokens != n or chars != len(prompt_of(n))):
        raise AssertionError(f"{name}: {tokens} tokens / {chars} chars for n={n}")


def cpu_run(name: str, consume: Consumer, n: int) -> dict[str, Any]:
    gc.collect()
    c0, w0 = time.process_time(), time.perf_counter()
    got = consume(n, w0 + GUARD_S)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    _check(name, n, got)
    tokens, _, capped = got
    return {"us_per_token": cpu / tokens * 1e6, "wall_s": wall, "tokens": tokens} | (
        {"capped": True} if capped else {}
    )


def memory_run(name: str, consume: Consumer, n: int) -> dict[str, Any]:
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        got = consume(n, time.perf_counter() + MEMORY_GUARD_S)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    _check(name, n, got)
    tokens, _, capped = got
    return {"peak_mb": peak / 1e6, "tokens": tokens} | (
        {"capped": True} if capped else {}
    )


PARTS = ("cpu", "memory")


def run(parts: tuple[str, ...] = PARTS) -> dict[str, Any]:
    """Measure the ``parts`` asked: ``"cpu"`` (2k and 100k) and/or ``"memory"``."""
    rows: dict[str, dict[str, Any]] = {}
    loop = asyncio.new_event_loop()
    try:
        with Server(
            latency_ms=0,
            default_return_full_text=False,
            max_input_tokens=LARGE * 2,
            max_total_tokens=LARGE * 4,
        ) as server:
            consumers = make_consumers(server.url, loop)
            for name, consume in consumers.items():
                _check(name, 50, consume(50, float("inf")))  # warm-up
                row: dict[str, Any] = {}
                if "cpu" in parts:
                    small = [cpu_run(name, consume, SMALL) for _ in range(REPEATS_2K)]
                    large = cpu_run(name, consume, LARGE)
                    row |= {
                        "us_per_token_2k": median([r["us_per_token"] for r in small]),
                        "us_per_token_100k": large["us_per_token"],
                        "tokens_100k": large["tokens"],
                        "wall_s_100k": large["wall_s"],
                        "capped_100k": bool(large.get("capped")),
                    }
                if "memory" in parts:
                    memory_tokens = (
                        LARGE if name in FULL_MEMORY_ROWS else MEMORY_TOKENS_OTHERS
                    )
                    memory = memory_run(name, consume, memory_tokens)
                    row |= {
                        "peak_mb": memory["peak_mb"],
                        "memory_tokens_asked": memory_tokens,
                        "tokens_memory": memory["tokens"],
                        "capped_memory": bool(memory.get("capped")),
                    }
                rows[name] = row
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
    return {
        "small": SMALL,
        "large": LARGE,
        "guard_s": GUARD_S,
        "memory_guard_s": MEMORY_GUARD_S,
        "parts": list(parts),
        "rows": rows,
    }


def merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Join the results of a ``cpu`` run and a ``memory`` run."""
    rows = {name: {**a["rows"].get(name, {}), **row} for name, row in b["rows"].items()}
    rows = {**a["rows"], **rows}
    return {**a, **b, "parts": sorted({*a["parts"], *b["parts"]}), "rows": rows}


def render(results: dict[str, Any]) -> str:
    rows = results["rows"]
    base = rows["raw boto3 (floor)"]
    out, notes = [], []
    for name, r in rows.items():
        mark = ""
        if r.get("capped_100k"):
            mark = " *"
            notes.append(
                f"* {name}: 100k CPU run cut off after {results['guard_s']:.0f} s, "
                f"at {r['tokens_100k']:,} tokens."
            )
        if r.get("capped_memory"):
            mark = " *"
            notes.append(
                f"* {name}: traced run cut off after "
                f"{results['memory_guard_s']:.0f} s, at {r['tokens_memory']:,} "
                f"tokens (of {r['memory_tokens_asked']:,})."
            )
        small, large = r.get("us_per_token_2k"), r.get("us_per_token_100k")
        floor = base.get("us_per_token_100k")
        out.append(
            [
                name + mark,
                fmt(small, ".1f"),
                fmt(large, ".1f"),
                fmt(large / small if large and small else None, ".2f", "x"),
                fmt(large / floor if large and floor else None, ".2f", "x"),
                fmt(r.get("wall_s_100k"), ".2f"),
                fmt(r.get("peak_mb"), ".2f"),
                f"{r['tokens_memory'] // 1000}k" if "tokens_memory" in r else "-",
            ]
        )
    text = table(
        "stream: client CPU per token (process_time), echo endpoint, "
        "one PayloadPart per token; peak = tracemalloc peak over one stream "
        "of the tokens shown",
        [
            "client",
            "µs/tok 2k",
            "µs/tok 100k",
            "100k/2k",
            "vs raw @100k",
            "wall s 100k",
            "peak MB",
            "traced tokens",
        ],
        out,
    )
    return "\n".join([text, *notes])


def main(argv: list[str]) -> int:
    parts = PARTS
    if "--only" in argv:
        index = argv.index("--only")
        parts = tuple(argv[index + 1 : index + 2])
        if not parts or parts[0] not in PARTS:
            print(f"--only takes one of {', '.join(PARTS)}", file=sys.stderr)
            return 2
    results = run(parts)
    if parts == PARTS:
        print(render(results))
    else:
        # run_all.py runs the parts in two processes, then prints one table
        print(f"stream: {parts[0]} part measured")
    write_json(json_arg(argv), results)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
