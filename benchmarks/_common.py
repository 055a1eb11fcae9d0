"""Shared benchmark helpers: a server subprocess, the three clients, tables.

The local endpoint always runs in a separate process, so that the benchmark
process's ``time.process_time()`` counts only the client's CPU, and its
``tracemalloc`` peak only the client's memory.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

# Only ever talk to 127.0.0.1, with dummy credentials and no tracing.
os.environ["NO_PROXY"] = "127.0.0.1,localhost"
os.environ["no_proxy"] = "127.0.0.1,localhost"
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
for _name in (
    "LANGCHAIN_TRACING_V2",
    "LANGCHAIN_TRACING",
    "LANGSMITH_TRACING",
    "LANGSMITH_TRACING_V2",
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME",
):
    os.environ.pop(_name, None)

HERE = Path(__file__).resolve().parent
ENDPOINT_NAME = "bench"
REGION = "us-east-1"
KEY_ID = "testing"
SECRET = "testing"
_START_TIMEOUT_S = 30.0
_STOP_TIMEOUT_S = 10.0


# --- the server -----------------------------------------------------------------


class Server:
    """A local SageMaker endpoint running in a subprocess (``_server.py``)."""

    def __init__(self, **options: Any) -> None:
        self.options = {"model": "echo", "endpoint_name": ENDPOINT_NAME, **options}
        self.endpoint_name: str = self.options["endpoint_name"]
        self.url = ""
        self._proc: subprocess.Popen[str] | None = None
        self._log: Any = None

    def start(self) -> Server:
        # closed in stop(): it outlives this method
        self._log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115
        self._proc = subprocess.Popen(
            [sys.executable, str(HERE / "_server.py"), json.dumps(self.options)],
            stdout=subprocess.PIPE,
            stderr=self._log,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        try:
            self.url = self._read_url()
        except BaseException:
            self.stop()
            raise
        return self

    def _read_url(self) -> str:
        proc = self._proc
        assert proc is not None and proc.stdout is not None
        deadline = time.monotonic() + _START_TIMEOUT_S
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RuntimeError("the benchmark server did not start in time")
            ready, _, _ = select.select([proc.stdout], [], [], remaining)
            if not ready:
                continue
            line = proc.stdout.readline()
            if not line:
                self._log.seek(0)
                raise RuntimeError(
                    f"the benchmark server exited (code {proc.poll()}):\n"
                    + self._log.read()[-2000:]
                )
            match = re.search(r"at (http://\S+)", line)
            if match:
                return match.group(1)

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(_STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(_STOP_TIMEOUT_S)
            if proc.stdout is not None:
                proc.stdout.close()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- the three clients ----------------------------------------------------------


def raw_client(url: str, max_pool_connections: int | None = None) -> Any:
    """A plain boto3 ``sagemaker-runtime`` client pointed at ``url``."""
    import boto3
    from botocore.config import Config

    kwargs: dict[str, Any] = {}
    if max_pool_connections is not None:
        kwargs["config"] = Config(max_pool_connections=max_pool_connections)
    return boto3.session.Session().client(
        "sagemaker-runtime",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        **kwargs,
    )


def tgi_body(prompt: str, params: dict[str, Any], *, stream: bool = False) -> bytes:
    """The TGI request body the raw client and the langchain-aws handler send."""
    body: dict[str, Any] = {"inputs": prompt, "parameters": params}
    if stream:
        body["stream"] = True
    return json.dumps(body).encode("utf-8")


def aws_handler(*, stream: bool = False) -> Any:
    """A TGI ``LLMContentHandler`` for langchain-aws, written the usual way.

    For a whole response it returns ``[0]["generated_text"]``; for a stream
    it gets one line at a time, strips ``data:``, ignores blank lines and
    returns ``token.text``.
    """
    from langchain_aws.llms.sagemaker_endpoint import LLMContentHandler

    class TGIContentHandler(LLMContentHandler):
        content_type = "application/json"
        accepts = "application/json"

        def transform_input(self, prompt: str, model_kwargs: dict[str, Any]) -> bytes:
            return tgi_body(prompt, model_kwargs, stream=stream)

        def transform_output(self, output: Any) -> str:
            if isinstance(output, (bytes, bytearray)):  # one line of a stream
                line = bytes(output).strip()
                if not line.startswith(b"data:"):
                    return ""
                event = json.loads(line[5:])
                token = event.get("token") or {}
                return "" if token.get("special") else str(token.get("text", ""))
            return str(json.loads(output.read())[0]["generated_text"])

    return TGIContentHandler()


def aws_llm(url: str, *, stream: bool = False, **kwargs: Any) -> Any:
    """langchain-aws ``SagemakerEndpoint`` with the TGI handler above."""
    from langchain_aws.llms import SagemakerEndpoint as AwsSagemakerEndpoint

    return AwsSagemakerEndpoint(
        endpoint_name=ENDPOINT_NAME,
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        content_handler=aws_handler(stream=stream),
        **kwargs,
    )


def our_llm(url: str, **kwargs: Any) -> Any:
    """Our ``SagemakerEndpoint`` with the built-in ``"tgi"`` handler."""
    from langchain_sagemaker import SagemakerEndpoint

    return SagemakerEndpoint(
        endpoint_name=ENDPOINT_NAME,
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        content_handler="tgi",
        **kwargs,
    )


# --- measuring and printing -----------------------------------------------------------


@contextlib.contextmanager
def cpu_wall() -> Iterator[dict[str, float]]:
    """Measure client CPU seconds (``process_time``) and wall seconds."""
    out: dict[str, float] = {}
    cpu0, wall0 = time.process_time(), time.perf_counter()
    try:
        yield out
    finally:
        out["cpu"] = time.process_time() - cpu0
        out["wall"] = time.perf_counter() - wall0


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) by linear interpolation."""
    data = sorted(values)
    if not data:
        return float("nan")
    pos = (len(data) - 1) * q
    low = int(pos)
    high = min(low + 1, len(data) - 1)
    return data[low] + (data[high] - data[low]) * (pos - low)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def fmt(value: float | None, spec: str = ".1f", suffix: str = "") -> str:
    if value is None or value != value:  # None or NaN
        return "-"
    return f"{value:{spec}}{suffix}"


def table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Render a plain-text table: first column left-aligned, the rest right."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        parts = [
            row[i].ljust(widths[i]) if i == 0 else row[i].rjust(widths[i])
            for i in range(len(row))
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    out = [title, line(cells[0]), rule, *(line(r) for r in cells[1:])]
    return "\n".join(out)


def write_json(path: str | None, data: dict[str, Any]) -> None:
    """Write results for ``run_all.py`` when asked (``--json PATH``)."""
    if path:
        Path(path).write_text(json.dumps(data, indent=2, default=str))


def json_arg(argv: Sequence[str]) -> str | None:
    """The value of ``--json PATH`` in ``argv``, if any."""
    args = list(argv)
    if "--json" in args:
        index = args.index("--json")
        if index + 1 < len(args):
            return args[index + 1]
    return None
