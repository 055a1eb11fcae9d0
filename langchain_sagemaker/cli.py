"""The ``langchain-sagemaker`` command: serve a local endpoint, call an endpoint.

Examples:
    ```bash
    langchain-sagemaker serve --port 8080
    export AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME=http://127.0.0.1:8080
    langchain-sagemaker invoke local-endpoint "Question: 2+2? Answer:" --stream
    langchain-sagemaker invoke my-async-endpoint "Write a report" \
        --async --s3-input s3://my-bucket/inputs
    ```
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["main"]

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_CONFIG = 3
EXIT_ENDPOINT = 4
EXIT_MODEL = 5
EXIT_STREAM = 6
EXIT_TIMEOUT = 7
EXIT_INTERRUPTED = 130


def _param(text: str) -> tuple[str, Any]:
    key, sep, raw = text.partition("=")
    if not sep or not key:
        msg = f"expected KEY=VALUE, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    try:
        return key, json.loads(raw)
    except ValueError:
        return key, raw


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text!r}")
    return value


def _fault_spec(text: str) -> str:
    try:
        from langchain_sagemaker.local.faults import parse_fault
    except ImportError:  # no aiohttp: _serve reports it
        return text
    try:
        parse_fault(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="langchain-sagemaker",
        description="LangChain for Amazon SageMaker endpoints: serve a local "
        "endpoint that speaks the SageMaker Runtime protocol, or call an endpoint.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser(
        "serve",
        help="run a local SageMaker endpoint (no AWS account needed)",
        description="Run a local endpoint speaking the SageMaker Runtime wire "
        "protocol. Point boto3 at it with AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="interface (127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port, 0 = any (8080)")
    serve.add_argument(
        "--endpoint-name",
        default=None,
        help="serve only this endpoint name (default: answer any name)",
    )
    serve.add_argument(
        "--model", default="reader", help="built-in model: reader or echo (reader)"
    )
    serve.add_argument(
        "--container", default="tgi", help="container dialect to speak (tgi)"
    )
    serve.add_argument(
        "--forward",
        metavar="URL",
        default=None,
        help="forward to a real model container (SageMaker /invocations contract)",
    )
    serve.add_argument("--region", default="us-east-1", help="region (us-east-1)")
    serve.add_argument(
        "--latency-ms", type=float, default=None, help="add latency to every answer"
    )
    serve.add_argument(
        "--fault",
        metavar="SPEC",
        type=_fault_spec,
        default=None,
        help="inject a fault into every request, e.g. throttle, truncate:2, "
        "fail-times:2:unavailable (requests may pick their own with "
        "CustomAttributes='lsm-fault=SPEC')",
    )
    serve.add_argument(
        "--variant",
        action="append",
        default=None,
        metavar="NAME",
        help="production variant, repeatable; the first is the default (AllTraffic)",
    )
    serve.add_argument(
        "--inference-component",
        action="append",
        default=None,
        metavar="NAME",
        help="inference component hosted, repeatable (then required per request)",
    )
    serve.add_argument(
        "--target-model",
        action="append",
        default=None,
        metavar="NAME",
        help="model of a multi-model endpoint, repeatable (TargetModel is checked)",
    )
    serve.add_argument(
        "--verify-sigv4",
        action="store_true",
        help="refuse requests not signed (SigV4) with --access-key/--secret-key",
    )
    serve.add_argument(
        "--access-key", default="testing", help="access key id accepted (testing)"
    )
    serve.add_argument(
        "--secret-key", default="testing", help="its secret access key (testing)"
    )
    serve.add_argument(
        "--session-token",
        default=None,
        help="session token requests must carry (default: any)",
    )

    invoke = sub.add_parser(
        "invoke",
        help="send a prompt to an endpoint and print the answer",
        description="Send PROMPT to ENDPOINT and print the generated text.",
    )
    invoke.add_argument("endpoint", help="endpoint name")
    invoke.add_argument("prompt", help="prompt text ('-' reads standard input)")
    invoke.add_argument(
        "--stream", action="store_true", help="print tokens as they come"
    )
    invoke.add_argument("--handler", default="tgi", help="content handler name (tgi)")
    invoke.add_argument(
        "--param",
        type=_param,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="model parameter (JSON value), repeatable: --param max_new_tokens=64",
    )
    invoke.add_argument("--stop", action="append", default=[], help="stop sequence")
    invoke.add_argument("--region", default=None, help="AWS region")
    invoke.add_argument("--profile", default=None, help="AWS profile")
    invoke.add_argument("--endpoint-url", default=None, help="SageMaker Runtime URL")
    invoke.add_argument(
        "--async",
        dest="async_",
        action="store_true",
        help="call an asynchronous endpoint: upload the request to --s3-input, "
        "wait for the result in S3 (progress on stderr)",
    )
    invoke.add_argument(
        "--s3-input",
        metavar="S3_URI",
        default=None,
        help="with --async: s3://bucket/prefix for the request body (the S3 "
        "endpoint is AWS_ENDPOINT_URL_S3 if set)",
    )
    invoke.add_argument(
        "--poll",
        type=_seconds,
        metavar="SECONDS",
        default=None,
        help="with --async: seconds between checks (default: 1, growing to 15)",
    )
    invoke.add_argument(
        "--timeout",
        type=_seconds,
        metavar="SECONDS",
        default=None,
        help=f"with --async: seconds to wait for the result (default: 3600); "
        f"exit code {EXIT_TIMEOUT} when it runs out, the job goes on",
    )

    ask = sub.add_parser(
        "ask",
        help="answer a question over text / markdown files",
        description="Answer QUESTION over FILES with a QA chain on ENDPOINT. "
        "Documents that do not fit the model's input are read piece by piece "
        "(map_reduce), with a progress bar.",
    )
    ask.add_argument("endpoint", help="endpoint name")
    ask.add_argument("files", nargs="+", metavar="FILE", help="text or markdown files")
    ask.add_argument("--question", "-q", required=True, help="the question")
    ask.add_argument(
        "--chain-type",
        choices=["auto", "stuff", "map_reduce", "refine"],
        default="auto",
        help="auto: stuff if everything fits, else map_reduce (auto)",
    )
    ask.add_argument(
        "--max-input-tokens", type=int, default=None, help="the model's input limit"
    )
    ask.add_argument(
        "--show-steps", action="store_true", help="print each piece's answer"
    )
    ask.add_argument("--no-progress", action="store_true", help="no progress bar")
    for command in (ask,):
        command.add_argument("--handler", default="tgi", help="content handler (tgi)")
        command.add_argument("--region", default=None, help="AWS region")
        command.add_argument("--profile", default=None, help="AWS profile")
        command.add_argument(
            "--endpoint-url", default=None, help="SageMaker Runtime URL"
        )
    return parser


def _serve(args: argparse.Namespace) -> int:
    try:
        from langchain_sagemaker.local.server import serve_forever
    except ImportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    options: dict[str, Any] = {}
    if args.latency_ms is not None:
        options["latency_ms"] = args.latency_ms
    serve_forever(
        args.host,
        args.port,
        container=args.container,
        model=args.model,
        endpoint_name=args.endpoint_name or "*",
        region_name=args.region,
        forward_url=args.forward,
        fault=args.fault,
        variants=args.variant,
        inference_components=args.inference_component,
        target_models=args.target_model,
        verify_sigv4=args.verify_sigv4,
        access_key=args.access_key,
        secret_key=args.secret_key,
        session_token=args.session_token,
        **options,
    )
    return EXIT_OK


def _exit_code(exc: BaseException) -> int:
    from langchain_sagemaker import errors

    table: list[tuple[type[BaseException] | tuple[type[BaseException], ...], int]] = [
        (errors.ConfigurationError, EXIT_CONFIG),
        (errors.EndpointNotFoundError, EXIT_ENDPOINT),
        ((errors.StreamError, errors.IncompleteStreamError), EXIT_STREAM),
        ((errors.ModelError, errors.ResponseParseError), EXIT_MODEL),
        (errors.SagemakerEndpointError, EXIT_ENDPOINT),
        (ValueError, EXIT_CONFIG),
    ]
    return next(code for kind, code in table if isinstance(exc, kind))


def _invoke(args: argparse.Namespace) -> int:
    from langchain_sagemaker.errors import SagemakerEndpointError
    from langchain_sagemaker.llms import SagemakerEndpoint

    prompt = sys.stdin.read() if args.prompt == "-" else args.prompt
    if args.async_ or args.s3_input or args.poll or args.timeout:
        return _invoke_async(args, prompt)
    try:
        llm = SagemakerEndpoint(
            endpoint_name=args.endpoint,
            content_handler=args.handler,
            region_name=args.region,
            credentials_profile_name=args.profile,
            endpoint_url=args.endpoint_url,
            model_kwargs=dict(args.param),
        )
        if args.stream:
            for token in llm.stream(prompt, stop=args.stop or None):
                print(token, end="", flush=True)
            print()
        else:
            print(llm.invoke(prompt, stop=args.stop or None))
    except (SagemakerEndpointError, ValueError) as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return _exit_code(exc)
    return EXIT_OK


class _Progress:
    """Shows an asynchronous job's status and elapsed time on stderr."""

    def __init__(self, inference_id: str) -> None:
        self._id = inference_id
        self._tty = sys.stderr.isatty()
        self._open = False

    def __call__(self, status: str, elapsed: float) -> None:
        line = f"[async] {self._id}: {status}, {elapsed:.1f} s"
        if self._tty:
            print(f"\r\033[K{line}", end="", file=sys.stderr, flush=True)
            self._open = True
        else:
            print(line, file=sys.stderr, flush=True)

    def end(self) -> None:
        if self._open:
            print(file=sys.stderr)
            self._open = False


def _invoke_async(args: argparse.Namespace, prompt: str) -> int:
    from langchain_sagemaker.async_inference import (
        AsyncInferenceFailedError,
        AsyncInferenceTimeoutError,
        SagemakerAsyncEndpoint,
    )
    from langchain_sagemaker.errors import SagemakerEndpointError

    if not args.async_:
        print("error: --s3-input, --poll and --timeout need --async", file=sys.stderr)
        return EXIT_USAGE
    if args.stream:
        print("error: --stream cannot be used with --async", file=sys.stderr)
        return EXIT_USAGE
    if not args.s3_input:
        print("error: --async needs --s3-input s3://bucket/prefix", file=sys.stderr)
        return EXIT_USAGE
    options: dict[str, Any] = {}
    if args.poll is not None:
        options["output_poll_interval"] = args.poll
        options["output_poll_max_interval"] = args.poll
    if args.timeout is not None:
        options["timeout"] = args.timeout
    progress: _Progress | None = None
    try:
        llm = SagemakerAsyncEndpoint(
            endpoint_name=args.endpoint,
            content_handler=args.handler,
            region_name=args.region,
            credentials_profile_name=args.profile,
            endpoint_url=args.endpoint_url,
            model_kwargs=dict(args.param),
            input_s3_uri=args.s3_input,
            **options,
        )
        job = llm.submit(prompt, stop=args.stop or None)
        print(
            f"[async] submitted {job.inference_id}; result at {job.output_location}",
            file=sys.stderr,
        )
        progress = _Progress(job.inference_id)
        text = llm.result(job, progress=progress)
    except AsyncInferenceTimeoutError as exc:
        if progress is not None:
            progress.end()
        print(f"error: {exc}", file=sys.stderr)
        print(
            f"inference id: {exc.job.inference_id}\n"
            f"output location: {exc.job.output_location}\n"
            f"failure location: {exc.job.failure_location}",
            file=sys.stderr,
        )
        return EXIT_TIMEOUT
    except AsyncInferenceFailedError as exc:
        if progress is not None:
            progress.end()
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_MODEL
    except (SagemakerEndpointError, ValueError) as exc:
        if progress is not None:
            progress.end()
        print(f"\nerror: {exc}", file=sys.stderr)
        return _exit_code(exc)
    progress.end()
    print(text)
    return EXIT_OK


def _ask(args: argparse.Namespace) -> int:
    from langchain_sagemaker._ask import ask, read_documents
    from langchain_sagemaker.errors import SagemakerEndpointError
    from langchain_sagemaker.llms import SagemakerEndpoint

    try:
        llm = SagemakerEndpoint(
            endpoint_name=args.endpoint,
            content_handler=args.handler,
            region_name=args.region,
            credentials_profile_name=args.profile,
            endpoint_url=args.endpoint_url,
            max_input_tokens=args.max_input_tokens,
        )
        out = ask(
            llm,
            args.question,
            read_documents(args.files),
            chain_type=args.chain_type,
            show_progress=not args.no_progress,
        )
    except (SagemakerEndpointError, ValueError) as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return _exit_code(exc)
    if args.show_steps:
        for index, step in enumerate(out.get("intermediate_steps", []), 1):
            print(f"[{index}] {step.strip()}")
    print(out["output_text"].strip())
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "serve":
            return _serve(args)
        if args.command == "ask":
            return _ask(args)
        return _invoke(args)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
