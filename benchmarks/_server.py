"""Run a local SageMaker endpoint for the benchmarks, in its own process.

Usage: ``python benchmarks/_server.py '{"model": "echo", "latency_ms": 100}'``

The JSON object holds ``serve_forever`` arguments (``model``, ``container``,
``endpoint_name``) and any TGI container options (``latency_ms``,
``max_total_tokens``, ``default_return_full_text``...), which the
``langchain-sagemaker serve`` command does not all expose. The first line
printed names the URL; SIGTERM stops the server.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def main(argv: list[str]) -> int:
    options: dict[str, Any] = json.loads(argv[1]) if len(argv) > 1 else {}
    from langchain_sagemaker.local.server import serve_forever

    serve_forever(
        "127.0.0.1",
        0,
        container=options.pop("container", "tgi"),
        model=options.pop("model", "echo"),
        endpoint_name=options.pop("endpoint_name", "bench"),
        **options,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
