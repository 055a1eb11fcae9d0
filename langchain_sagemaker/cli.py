"""The ``langchain-sagemaker`` command: serve a local endpoint, call an endpoint.

Examples:
    ```bash
    langchain-sagemaker serve --port 8080
    export AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME=http://127.0.0.1:8080
    langchain-sagemaker invoke local-endpoint "Question: 2+2? Answer:" --stream
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "serve":
            return _serve(args)
        return _invoke(args)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
