"""Run the local SageMaker Runtime in a background thread or in the foreground.

:class:`LocalEndpoint` serves the aiohttp app of
:mod:`langchain_sagemaker.local.runtime` on its own event loop in a daemon
thread, so synchronous code (boto3, LangChain) and asynchronous code
(aiobotocore) in the calling thread can reach it over real HTTP::

    with LocalEndpoint(model="reader") as endpoint:
        client = endpoint.client()
        client.invoke_endpoint(
            EndpointName=endpoint.endpoint_name,
            ContentType="application/json",
            Body=b'{"inputs": "Hello"}',
        )

:func:`serve_forever` runs the same app in the foreground for the CLI.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from aiohttp import web

from langchain_sagemaker.local.container import Container, get_container
from langchain_sagemaker.local.forward import ForwardContainer
from langchain_sagemaker.local.models import get_model
from langchain_sagemaker.local.models.base import Model
from langchain_sagemaker.local.runtime import RequestLog, SageMakerRuntime

if TYPE_CHECKING:
    from mypy_boto3_sagemaker_runtime import SageMakerRuntimeClient

__all__ = ["LocalEndpoint", "build_container", "serve_forever"]

_DEFAULT_REGION = "us-east-1"
_START_TIMEOUT_S = 30.0
_STOP_TIMEOUT_S = 30.0


def _resolve_model(model: str | Model) -> Model:
    return get_model(model) if isinstance(model, str) else model


def build_container(
    container: str | Container = "tgi",
    model: str | Model = "reader",
    *,
    forward_url: str | None = None,
    **container_options: Any,
) -> Container:
    """Build the container an endpoint serves.

    Args:
        container: A dialect name for :func:`get_container`, or a container.
        model: A model name for ``get_model``, or a model.
        forward_url: When set, forward to the model container at this URL
            instead (``container`` and ``model`` are then unused).
        **container_options: Options of the dialect.

    Returns:
        The container.
    """
    if forward_url is not None:
        return ForwardContainer(forward_url, **container_options)
    if not isinstance(container, str):
        return container
    return get_container(container, _resolve_model(model), **container_options)


class LocalEndpoint:
    """A SageMaker endpoint served locally over real HTTP.

    Args:
        container: Dialect name (``"tgi"``) or a container instance.
        model: Model name (``"reader"``, ``"echo"``) or a model instance.
        endpoint_name: Name of the endpoint to serve; ``"*"`` serves any name.
        host: Interface to listen on.
        port: Port to listen on; 0 picks a free one (see :attr:`url`).
        region_name: Region clients use and errors mention (``None``:
            ``us-east-1``).
        forward_url: Forward invocations to a real model container at this URL
            instead of serving ``model`` in-process.
        stream_split_seed: Re-split streamed answers into PayloadParts at
            random positions drawn with this seed.
        stream_timeout_s: End streams running longer than this with a
            ``ModelStreamError`` (``ModelInvocationTimeExceeded``).
        shutdown_timeout_s: How long :meth:`stop` lets requests still being
            answered finish (aiohttp waits up to twice this) before cutting
            them off.
        **container_options: Options of the container dialect, e.g.
            ``latency_ms``, ``default_return_full_text``.
    """

    def __init__(
        self,
        container: str | Container = "tgi",
        model: str | Model = "reader",
        endpoint_name: str = "local-endpoint",
        host: str = "127.0.0.1",
        port: int = 0,
        region_name: str | None = "us-east-1",
        forward_url: str | None = None,
        stream_split_seed: int | None = None,
        stream_timeout_s: float | None = None,
        shutdown_timeout_s: float = 1.0,
        **container_options: Any,
    ) -> None:
        self._shutdown_timeout_s = shutdown_timeout_s
        self._endpoint_name = endpoint_name
        self._host = host
        self._port = port
        self._region_name = region_name or _DEFAULT_REGION
        region_name = self._region_name
        self.runtime = SageMakerRuntime(
            {
                endpoint_name: build_container(
                    container, model, forward_url=forward_url, **container_options
                )
            },
            region_name=region_name,
            stream_split_seed=stream_split_seed,
            stream_timeout_s=stream_timeout_s,
        )
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._bound_port: int | None = None
        self._clients: list[Any] = []

    def __repr__(self) -> str:
        where = self.url if self.running else "stopped"
        return f"LocalEndpoint({self._endpoint_name!r}, {where})"

    # -- lifecycle -------------------------------------------------------------

    def __enter__(self) -> LocalEndpoint:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Whether the server is accepting requests."""
        return self._thread is not None and self._bound_port is not None

    def start(self) -> LocalEndpoint:
        """Start serving in a background thread; return once listening.

        Returns:
            This endpoint.

        Raises:
            RuntimeError: If it is already running or failed to start.
        """
        if self._thread is not None:
            raise RuntimeError("LocalEndpoint is already running")
        self._ready.clear()
        self._failure = None
        self._thread = threading.Thread(
            target=self._serve, name=f"LocalEndpoint-{self._endpoint_name}", daemon=True
        )
        self._thread.start()
        if not self._ready.wait(_START_TIMEOUT_S):
            self.stop()
            raise RuntimeError("LocalEndpoint did not start in time")
        failure = self._take_failure()
        if failure is not None:
            self._thread.join(_STOP_TIMEOUT_S)
            self._thread = None
            raise RuntimeError(f"LocalEndpoint failed to start: {failure}") from failure
        return self

    def _take_failure(self) -> BaseException | None:
        failure, self._failure = self._failure, None
        return failure

    def stop(self) -> None:
        """Stop serving and join the thread; also closes :meth:`client` clients."""
        for client in self._clients:
            client.close()
        self._clients.clear()
        thread, loop = self._thread, self._loop
        if thread is None:
            return
        if loop is not None and loop.is_running():
            future = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
            with contextlib.suppress(Exception):
                future.result(_STOP_TIMEOUT_S)
            loop.call_soon_threadsafe(loop.stop)
        thread.join(_STOP_TIMEOUT_S)
        self._thread = None
        self._bound_port = None

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._startup())
            except BaseException as error:  # reported to start()
                self._failure = error
                loop.run_until_complete(self._shutdown())
                return
            finally:
                self._ready.set()
            loop.run_forever()
        finally:
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
            finally:
                asyncio.set_event_loop(None)
                loop.close()
                self._loop = None

    async def _startup(self) -> None:
        runner = web.AppRunner(
            self.runtime.app(),
            access_log=None,
            shutdown_timeout=self._shutdown_timeout_s,
        )
        self._runner = runner
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        await site.start()
        self._bound_port = _bound_port(runner)

    async def _shutdown(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    # -- what callers use ----------------------------------------------------------

    @property
    def endpoint_name(self) -> str:
        """Name of the endpoint served."""
        return self._endpoint_name

    @property
    def region_name(self) -> str:
        """Region clients should use."""
        return self._region_name

    @property
    def port(self) -> int:
        """The port actually bound.

        Raises:
            RuntimeError: If the server is not running.
        """
        if self._bound_port is None:
            raise RuntimeError("LocalEndpoint is not running")
        return self._bound_port

    @property
    def url(self) -> str:
        """Base URL of the runtime, e.g. ``http://127.0.0.1:54321``."""
        host = "127.0.0.1" if self._host in ("", "0.0.0.0") else self._host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def requests(self) -> RequestLog:
        """The log of requests received (shared by every endpoint served)."""
        return self.runtime.log

    def env_vars(self, *, credentials: bool = False) -> dict[str, str]:
        """Environment variables that point AWS SDKs at this endpoint.

        Args:
            credentials: Also include dummy ``AWS_ACCESS_KEY_ID`` and
                ``AWS_SECRET_ACCESS_KEY`` (``"testing"``).

        Returns:
            ``AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME``, ``AWS_REGION`` and
            ``AWS_DEFAULT_REGION`` (and the credentials if asked).
        """
        env = {
            "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME": self.url,
            "AWS_REGION": self._region_name,
            "AWS_DEFAULT_REGION": self._region_name,
        }
        if credentials:
            env["AWS_ACCESS_KEY_ID"] = "testing"
            env["AWS_SECRET_ACCESS_KEY"] = "testing"
        return env

    @property
    def env(self) -> dict[str, str]:
        """:meth:`env_vars` without credentials."""
        return self.env_vars()

    def client(self, **kwargs: Any) -> SageMakerRuntimeClient:
        """Return a boto3 ``sagemaker-runtime`` client pointed at this endpoint.

        The client is closed by :meth:`stop`.

        Args:
            **kwargs: Passed to ``boto3.session.Session.client``; they override
                the endpoint URL, region and dummy credentials set here.

        Returns:
            The client.
        """
        import boto3

        options: dict[str, Any] = {
            "endpoint_url": self.url,
            "region_name": self._region_name,
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
            **kwargs,
        }
        client = boto3.session.Session().client("sagemaker-runtime", **options)
        self._clients.append(client)
        return client

    def add_endpoint(
        self,
        endpoint_name: str,
        container: str | Container = "tgi",
        model: str | Model = "reader",
        *,
        forward_url: str | None = None,
        **container_options: Any,
    ) -> None:
        """Serve one more endpoint, by name, from the same runtime.

        Args:
            endpoint_name: Name of the new endpoint.
            container: Dialect name or container instance.
            model: Model name or model instance.
            forward_url: Forward this endpoint to a real container instead.
            **container_options: Options of the container dialect.
        """
        self.runtime.add_endpoint(
            endpoint_name,
            build_container(
                container, model, forward_url=forward_url, **container_options
            ),
        )


def _bound_port(runner: web.AppRunner) -> int:
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    raise RuntimeError("the server has no TCP address")


def serve_forever(
    host: str = "127.0.0.1",
    port: int = 8080,
    *,
    container: str | Container = "tgi",
    model: str | Model = "reader",
    endpoint_name: str = "local-endpoint",
    region_name: str | None = "us-east-1",
    forward_url: str | None = None,
    stream_split_seed: int | None = None,
    stream_timeout_s: float | None = None,
    announce: Callable[[str], None] | None = None,
    **container_options: Any,
) -> None:
    """Serve a local endpoint in the foreground until Ctrl-C or SIGTERM.

    Prints the URL and the ``export`` line that points AWS SDKs at it. Must
    run in the main thread (it installs SIGINT and SIGTERM handlers).

    Args:
        host: Interface to listen on.
        port: Port to listen on (0 picks a free one).
        container: Dialect name or container instance.
        model: Model name or model instance.
        endpoint_name: Name of the endpoint to serve; ``"*"`` serves any name.
        region_name: Region clients use and errors mention.
        forward_url: Forward to a real model container at this URL.
        stream_split_seed: Re-split streamed answers at seeded positions.
        stream_timeout_s: End streams running longer than this.
        announce: Called with each line to print (default: stdout).
        **container_options: Options of the container dialect.
    """
    endpoint = LocalEndpoint(
        container=container,
        model=model,
        endpoint_name=endpoint_name,
        host=host,
        port=port,
        region_name=region_name,
        forward_url=forward_url,
        stream_split_seed=stream_split_seed,
        stream_timeout_s=stream_timeout_s,
        **container_options,
    )

    def say(line: str) -> None:
        if announce is not None:
            announce(line)
        else:
            print(line, flush=True)  # noqa: T201 - the CLI's output

    stop = threading.Event()
    handled = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.getsignal(sig) for sig in handled}
    for sig in handled:
        signal.signal(sig, lambda *_: stop.set())
    try:
        with endpoint:
            say(
                f"SageMaker Runtime endpoint {endpoint.endpoint_name!r} "
                f"at {endpoint.url}"
            )
            say(
                f"export AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME={endpoint.url} "
                f"AWS_REGION={endpoint.region_name} "
                f"AWS_DEFAULT_REGION={endpoint.region_name}"
            )
            while not stop.wait(0.5):
                pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
