"""1,000 texts embedded in batches of 32 against a 50 ms local TEI endpoint.

Side by side, one run:

* the classic ``langchain_community.embeddings.SagemakerEndpointEmbeddings``
  (batches one after the other) with a TEI ``EmbeddingsContentHandler``;
* ours ``SagemakerEndpointEmbeddings(content_handler="tei", batch_size=32)``,
  ``embed_documents`` (threads) and ``aembed_documents`` (aiobotocore).

The server (``container="tei"``, ``model="embedder"``, ``latency_ms=50``) runs
in a subprocess. Each client's vectors are checked against the others.

Run: ``uv run --all-extras --group bench python benchmarks/embeddings.py``
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REGION, Server, json_arg, raw_client, table, write_json

N_TEXTS = 1000
BATCH = 32
LATENCY_MS = 50
TEXTS = [
    f"Document number {i} talks about topic {i % 17} in some detail."
    for i in range(N_TEXTS)
]


def classic(url: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from langchain_community.embeddings import SagemakerEndpointEmbeddings
        from langchain_community.embeddings.sagemaker_endpoint import (
            EmbeddingsContentHandler,
        )

    class TEI(EmbeddingsContentHandler):
        content_type = "application/json"
        accepts = "application/json"

        def transform_input(
            self, inputs: list[str], model_kwargs: dict[str, Any]
        ) -> bytes:
            return json.dumps({"inputs": inputs, **model_kwargs}).encode()

        def transform_output(self, output: Any) -> list[list[float]]:
            return list(json.loads(output.read()))

    return SagemakerEndpointEmbeddings(
        endpoint_name="bench", client=raw_client(url), content_handler=TEI()
    )


def ours(url: str) -> Any:
    from langchain_sagemaker import SagemakerEndpointEmbeddings

    return SagemakerEndpointEmbeddings(
        endpoint_name="bench",
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id="testing",  # type: ignore[arg-type]
        aws_secret_access_key="testing",  # type: ignore[arg-type]
        content_handler="tei",
        batch_size=BATCH,
    )


def _timed(fn: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    out = fn()
    return time.perf_counter() - started, out


def run() -> dict[str, Any]:
    rows: dict[str, dict[str, float]] = {}
    with Server(container="tei", model="embedder", latency_ms=LATENCY_MS) as server:
        old = classic(server.url)
        new = ours(server.url)
        old.embed_documents(TEXTS[:BATCH], chunk_size=BATCH)  # warm-up
        new.embed_documents(TEXTS[:BATCH])
        seconds, reference = _timed(
            lambda: old.embed_documents(TEXTS, chunk_size=BATCH)
        )
        rows["langchain-community embed_documents"] = {"wall_s": seconds}
        seconds, got = _timed(lambda: new.embed_documents(TEXTS))
        assert len(got) == N_TEXTS and got[5] == reference[5], "vectors differ"
        rows["ours embed_documents"] = {"wall_s": seconds}

        async def both() -> tuple[float, Any]:
            await new.aembed_documents(TEXTS[:BATCH])
            started = time.perf_counter()
            out = await new.aembed_documents(TEXTS)
            return time.perf_counter() - started, out

        seconds, got = asyncio.run(both())
        assert len(got) == N_TEXTS and got[-1] == reference[-1], "vectors differ"
        rows["ours aembed_documents"] = {"wall_s": seconds}
    return {"baseline": "langchain-community embed_documents", "rows": rows}


def render(result: dict[str, Any]) -> str:
    base = result["rows"][result["baseline"]]["wall_s"]
    return table(
        f"embeddings: {N_TEXTS} texts, batch size {BATCH}, endpoint latency {LATENCY_MS} ms",
        ["client", "wall s", "texts/s", "speed-up"],
        [
            [
                name,
                f"{r['wall_s']:.3f}",
                f"{N_TEXTS / r['wall_s']:.0f}",
                f"{base / r['wall_s']:.1f}x",
            ]
            for name, r in result["rows"].items()
        ],
    )


def main(argv: list[str]) -> int:
    result = run()
    print(render(result))
    write_json(json_arg(argv), result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
