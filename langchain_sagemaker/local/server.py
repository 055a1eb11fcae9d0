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
import dataclasses
import signal
import threading
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

from aiohttp import web

from langchain_sagemaker.local.async_inference import (
    AsyncInferenceOptions,
    AsyncJobLog,
)
from langchain_sagemaker.local.auth import (
    DEFAULT_ACCESS_KEY,
    DEFAULT_SECRET_KEY,
    SigV4Verifier,
)
from langchain_sagemaker.local.container import Container, get_container
from langchain_sagemaker.local.faults import FaultSpec, parse_fault
from langchain_sagemaker.local.forward import ForwardContainer
from langchain_sagemaker.local.models import get_model
from langchain_sagemaker.local.models.base import Model
from langchain_sagemaker.local.runtime import (
    DEFAULT_SESSION_TTL_S,
    EndpointOptions,
    RequestLog,
    SageMakerRuntime,
)

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
        fault: Fault spec given to every request of this endpoint that does
            not choose its own (``CustomAttributes="lsm-fault=..."``); see
            :mod:`langchain_sagemaker.local.faults`.
        variants: Production variant names (default ``["AllTraffic"]``); the
            first answers requests without ``TargetVariant``.
        inference_components: Inference components the endpoint hosts; when
            given, ``InferenceComponentName`` is required and checked.
        target_models: Models of a multi-model endpoint; when given,
            ``TargetModel`` is checked (an empty list refuses it).
        session_ttl_s: Lifetime of stateful sessions.
        verify_sigv4: Check every request's SigV4 signature against
            ``access_key``/``secret_key`` (and ``credentials``).
        access_key: Access key id clients sign with (and :meth:`client`
            uses).
        secret_key: Its secret access key.
        session_token: When set, the ``X-Amz-Security-Token`` requests must
            carry (and :meth:`client` sends); when ``None`` any is accepted.
        credentials: More accepted access key ids, to their secret keys.
        s3_endpoint_url: The S3 API asynchronous invocations
            (``InvokeEndpointAsync``) read inputs from and write results to,
            e.g. moto's server; ``None``: ``AWS_ENDPOINT_URL_S3`` or S3.
        async_output_s3_uri: Where asynchronous results go
            (``s3://bucket/prefix``; default:
            ``s3://<input bucket>/async-inference/output``).
        async_failure_s3_uri: Where asynchronous failure objects go
            (default: ``s3://<input bucket>/async-inference/failures``).
        async_delay_s: Processing time of every asynchronous job.
        async_max_concurrent_invocations: Asynchronous jobs processed at once
            per endpoint (the others queue); ``None``: no limit.
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
        *,
        fault: str | FaultSpec | None = None,
        variants: Iterable[str] | None = None,
        inference_components: Iterable[str] | None = None,
        target_models: Iterable[str] | None = None,
        session_ttl_s: float = DEFAULT_SESSION_TTL_S,
        verify_sigv4: bool = False,
        access_key: str = DEFAULT_ACCESS_KEY,
        secret_key: str = DEFAULT_SECRET_KEY,
        session_token: str | None = None,
        credentials: Mapping[str, str] | None = None,
        s3_endpoint_url: str | None = None,
        async_output_s3_uri: str | None = None,
        async_failure_s3_uri: str | None = None,
        async_delay_s: float = 0.0,
        async_max_concurrent_invocations: int | None = None,
        **container_options: Any,
    ) -> None:
        self._s3_endpoint_url = s3_endpoint_url
        self._shutdown_timeout_s = shutdown_timeout_s
        self._access_key = access_key
        self._secret_key = secret_key
        self._session_token = session_token
        self._endpoint_name = endpoint_name
        self._host = host
        self._port = port
        self._region_name = region_name or _DEFAULT_REGION
        region_name = self._region_name
        verifier = None
        if verify_sigv4:
            verifier = SigV4Verifier(
                {access_key: secret_key, **(credentials or {})},
                session_token=session_token,
            )
        options = EndpointOptions.build(
            fault=fault,
            variants=variants,
            inference_components=inference_components,
            target_models=target_models,
        )
        self.runtime = SageMakerRuntime(
            region_name=region_name,
            stream_split_seed=stream_split_seed,
            stream_timeout_s=stream_timeout_s,
            verifier=verifier,
            session_ttl_s=session_ttl_s,
            async_inference=AsyncInferenceOptions(
                s3_endpoint_url=s3_endpoint_url,
                output_s3_uri=async_output_s3_uri,
                failure_s3_uri=async_failure_s3_uri,
                delay_s=async_delay_s,
                max_concurrent_invocations=async_max_concurrent_invocations,
                access_key=access_key,
                secret_key=secret_key,
            ),
        )
        self.runtime.add_endpoint(
            endpoint_name,
            build_container(
                container, model, forward_url=forward_url, **container_options
            ),
            options,
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

    @property
    def async_jobs(self) -> AsyncJobLog:
        """The asynchronous jobs accepted (``InvokeEndpointAsync``)."""
        return self.runtime.async_inference.jobs

    def env_vars(self, *, credentials: bool = False) -> dict[str, str]:
        """Environment variables that point AWS SDKs at this endpoint.

        Args:
            credentials: Also include ``AWS_ACCESS_KEY_ID`` and
                ``AWS_SECRET_ACCESS_KEY`` (the endpoint's ``access_key`` and
                ``secret_key``, ``"testing"`` by default), and
                ``AWS_SESSION_TOKEN`` when it has a session token.

        Returns:
            ``AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME``, ``AWS_REGION`` and
            ``AWS_DEFAULT_REGION`` (and the credentials if asked), and
            ``AWS_ENDPOINT_URL_S3`` when ``s3_endpoint_url`` was given.
        """
        env = {
            "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME": self.url,
            "AWS_REGION": self._region_name,
            "AWS_DEFAULT_REGION": self._region_name,
        }
        if self._s3_endpoint_url is not None:
            env["AWS_ENDPOINT_URL_S3"] = self._s3_endpoint_url
        if credentials:
            env["AWS_ACCESS_KEY_ID"] = self._access_key
            env["AWS_SECRET_ACCESS_KEY"] = self._secret_key
            if self._session_token is not None:
                env["AWS_SESSION_TOKEN"] = self._session_token
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
                the endpoint URL, region and the endpoint's credentials
                (``access_key``, ``secret_key``, ``session_token``) set here.

        Returns:
            The client.
        """
        import boto3

        options: dict[str, Any] = {
            "endpoint_url": self.url,
            "region_name": self._region_name,
            "aws_access_key_id": self._access_key,
            "aws_secret_access_key": self._secret_key,
            **kwargs,
        }
        if self._session_token is not None:
            options.setdefault("aws_session_token", self._session_token)
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
        fault: str | FaultSpec | None = None,
        variants: Iterable[str] | None = None,
        inference_components: Iterable[str] | None = None,
        target_models: Iterable[str] | None = None,
        **container_options: Any,
    ) -> None:
        """Serve one more endpoint, by name, from the same runtime.

        Args:
            endpoint_name: Name of the new endpoint.
            container: Dialect name or container instance.
            model: Model name or model instance.
            forward_url: Forward this endpoint to a real container instead.
            fault: Fault spec for the endpoint's requests.
            variants: Production variant names.
            inference_components: Inference components hosted.
            target_models: Models of a multi-model endpoint.
            **container_options: Options of the container dialect.
        """
        self.runtime.add_endpoint(
            endpoint_name,
            build_container(
                container, model, forward_url=forward_url, **container_options
            ),
            EndpointOptions.build(
                fault=fault,
                variants=variants,
                inference_components=inference_components,
                target_models=target_models,
            ),
        )

    def set_fault(
        self, fault: str | FaultSpec | None, endpoint_name: str | None = None
    ) -> None:
        """Change the fault of an endpoint (default: the first one served).

        Also resets the ``fail-times`` counters.

        Args:
            fault: Fault spec, or ``None`` for none.
            endpoint_name: The endpoint; defaults to ``endpoint_name`` given
                at construction.
        """
        name = self._endpoint_name if endpoint_name is None else endpoint_name
        if name not in self.runtime.endpoints:
            raise KeyError(f"no endpoint {name!r}")
        spec = parse_fault(fault) if isinstance(fault, str) else fault
        current = self.runtime.options.get(name, EndpointOptions())
        self.runtime.set_options(name, dataclasses.replace(current, fault=spec))
        self.reset_faults()

    def reset_faults(self) -> None:
        """Reset the ``fail-times`` attempt counters: each fails anew."""
        self.runtime.fault_counters.reset()


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
    fault: str | None = None,
    variants: Iterable[str] | None = None,
    inference_components: Iterable[str] | None = None,
    target_models: Iterable[str] | None = None,
    verify_sigv4: bool = False,
    access_key: str = DEFAULT_ACCESS_KEY,
    secret_key: str = DEFAULT_SECRET_KEY,
    session_token: str | None = None,
    s3_endpoint_url: str | None = None,
    async_output_s3_uri: str | None = None,
    async_failure_s3_uri: str | None = None,
    async_delay_s: float = 0.0,
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
        fault: Fault spec for every request (see
            :mod:`langchain_sagemaker.local.faults`).
        variants: Production variant names.
        inference_components: Inference components hosted.
        target_models: Models of a multi-model endpoint.
        verify_sigv4: Check every request's SigV4 signature.
        access_key: Access key id accepted when verifying.
        secret_key: Its secret access key.
        session_token: Session token requests must carry, if any.
        s3_endpoint_url: The S3 API of asynchronous invocations (else
            ``AWS_ENDPOINT_URL_S3`` or S3).
        async_output_s3_uri: Where asynchronous results go.
        async_failure_s3_uri: Where asynchronous failure objects go.
        async_delay_s: Processing time of every asynchronous job.
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
        fault=fault,
        variants=variants,
        inference_components=inference_components,
        target_models=target_models,
        verify_sigv4=verify_sigv4,
        access_key=access_key,
        secret_key=secret_key,
        session_token=session_token,
        s3_endpoint_url=s3_endpoint_url,
        async_output_s3_uri=async_output_s3_uri,
        async_failure_s3_uri=async_failure_s3_uri,
        async_delay_s=async_delay_s,
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
            if verify_sigv4:
                say(f"SigV4 signatures are verified (access key {access_key!r})")
            if fault is not None:
                say(f"Every request gets the fault {fault!r}")
            if s3_endpoint_url is not None:
                say(f"Asynchronous invocations use S3 at {s3_endpoint_url}")
            while not stop.wait(0.5):
                pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
