"""``InvokeEndpointAsync`` for the local SageMaker Runtime: input and output in S3.

An asynchronous endpoint takes a request whose payload is already in S3,
answers at once with ``202 Accepted`` and the S3 locations the result will be
written to, then processes the request in the background:

* ``POST /endpoints/{EndpointName}/async-invocations``. Request headers, by
  botocore member name (``sagemaker-runtime`` service model):
  ``InputLocation`` (``X-Amzn-SageMaker-InputLocation``), ``ContentType``
  (``X-Amzn-SageMaker-Content-Type``), ``Accept``
  (``X-Amzn-SageMaker-Accept``), ``CustomAttributes``, ``InferenceId``,
  ``RequestTTLSeconds``, ``InvocationTimeoutSeconds``,
  ``S3OutputPathExtension`` and ``Filename``; the payload may instead come
  inline as the body (``Body``, at most 128,000 bytes; exactly one of the
  two).
* The answer: status 202, the JSON body ``{"InferenceId": ...}`` and the
  headers ``X-Amzn-SageMaker-OutputLocation`` and
  ``X-Amzn-SageMaker-FailureLocation``.
* In the background, after the configured processing delay, the input object
  is read from S3 and given to the endpoint's container as an
  ``InvokeEndpoint`` body would be. Its answer is written to
  ``<output S3 URI>/<inference id>.out`` (with the container's content type);
  a container error, an unreadable input, an expired request (queued longer
  than ``RequestTTLSeconds``) or an invocation running longer than
  ``InvocationTimeoutSeconds`` writes a failure object
  ``<failure S3 URI>/<inference id>-error.out`` holding the error message.

S3 is reached with boto3 (in the event loop's executor threads) at
``s3_endpoint_url`` (else ``AWS_ENDPOINT_URL_S3`` or real S3), e.g. moto's
server: ``moto.server.ThreadedMotoServer``. Output and failure URIs default to
``s3://<input bucket>/async-inference/output`` and ``.../failures``.

Faults (:mod:`langchain_sagemaker.local.faults`, per endpoint or with
``CustomAttributes="lsm-fault=..."``) apply as follows: error faults
(``throttle``, ``unavailable``, ...) answer the ``InvokeEndpointAsync`` call
itself; ``reset-before`` / ``reset-during`` drop its connection;
``model-error*`` writes a failure object (a ``ModelError`` message with the
injected container error); ``latency`` and ``stall`` add to the processing
time; ``invalid-json`` / ``invalid-utf8`` become the output object. Stream
faults do not apply.

The jobs are recorded in :class:`AsyncJobLog` (``LocalEndpoint.async_jobs``),
with the most jobs in flight (accepted, result not yet written) at once.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from aiohttp import web

from langchain_sagemaker.local._log import InFlightLog
from langchain_sagemaker.local.auth import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY
from langchain_sagemaker.local.container import Container, ContainerRequest
from langchain_sagemaker.local.faults import Fault
from langchain_sagemaker.local.runtime import (
    _INVALID_BODIES,
    WILDCARD,
    EndpointOptions,
    RecordedRequest,
    _Answer,
    _Dropped,
)

if TYPE_CHECKING:
    from langchain_sagemaker.local.runtime import SageMakerRuntime

__all__ = [
    "ASYNC_OPERATION",
    "FAILURE_LOCATION_HEADER",
    "MAX_INLINE_BODY_BYTES",
    "OUTPUT_LOCATION_HEADER",
    "AsyncInference",
    "AsyncInferenceOptions",
    "AsyncJob",
    "AsyncJobLog",
    "AsyncJobStatus",
]

logger = logging.getLogger(__name__)

#: The operation name recorded in the request log.
ASYNC_OPERATION = "InvokeEndpointAsync"
#: Response header with the S3 URI of the result.
OUTPUT_LOCATION_HEADER = "X-Amzn-SageMaker-OutputLocation"
#: Response header with the S3 URI of the failure object.
FAILURE_LOCATION_HEADER = "X-Amzn-SageMaker-FailureLocation"
#: Largest inline ``Body`` (the ``AsyncBodyBlob`` documentation).
MAX_INLINE_BODY_BYTES = 128_000
#: SageMaker's defaults for the request's queue TTL and processing time.
DEFAULT_REQUEST_TTL_S = 21600
DEFAULT_INVOCATION_TIMEOUT_S = 900

# Request headers of InvokeEndpointAsync, by botocore member name.
_REQUEST_HEADERS: dict[str, str] = {
    "ContentType": "X-Amzn-SageMaker-Content-Type",
    "Accept": "X-Amzn-SageMaker-Accept",
    "CustomAttributes": "X-Amzn-SageMaker-Custom-Attributes",
    "InferenceId": "X-Amzn-SageMaker-Inference-Id",
    "InputLocation": "X-Amzn-SageMaker-InputLocation",
    "S3OutputPathExtension": "X-Amzn-SageMaker-S3OutputPathExtension",
    "Filename": "X-Amzn-SageMaker-Filename",
    "RequestTTLSeconds": "X-Amzn-SageMaker-RequestTTLSeconds",
    "InvocationTimeoutSeconds": "X-Amzn-SageMaker-InvocationTimeoutSeconds",
}
# Integer headers and their (min, max) in the service model.
_RANGES: dict[str, tuple[int, int]] = {
    "RequestTTLSeconds": (60, 21600),
    "InvocationTimeoutSeconds": (1, 3600),
}
# The InputLocationHeader pattern.
_LOCATION_PATTERN = re.compile(r"^(https|s3)://([^/]+)/?(.*)$")
_ERROR_FAULTS_SYNC = ("reset-before", "reset-during")

AsyncJobStatus = Literal[
    "queued", "running", "succeeded", "failed", "expired", "cancelled"
]
"""Where a job is: waiting, processing, or how it ended."""


def _split_s3(uri: str) -> tuple[str, str]:
    """``s3://bucket/key`` -> ``(bucket, key)``."""
    if not uri.startswith("s3://"):
        raise ValueError(f"not an s3:// URI: {uri!r}")
    bucket, _, key = uri[5:].partition("/")
    if not bucket:
        raise ValueError(f"no bucket in {uri!r}")
    return bucket, key


def _join(base: str, *parts: str | None) -> str:
    pieces = [base.rstrip("/")] + [p.strip("/") for p in parts if p and p.strip("/")]
    return "/".join(pieces)


@dataclass(frozen=True)
class AsyncInferenceOptions:
    """How the local runtime answers ``InvokeEndpointAsync``.

    Attributes:
        s3_endpoint_url: The S3 API to read inputs from and write results to
            (e.g. moto's server); ``None``: ``AWS_ENDPOINT_URL_S3`` or S3.
        output_s3_uri: Where results go (``s3://bucket/prefix``); ``None``:
            ``s3://<input bucket>/async-inference/output``.
        failure_s3_uri: Where failure objects go; ``None``:
            ``s3://<input bucket>/async-inference/failures``.
        delay_s: Processing time added to every job before its container is
            asked (counts toward ``InvocationTimeoutSeconds``).
        max_concurrent_invocations: Jobs processed at once per endpoint (the
            others wait in the queue); ``None``: no limit.
        access_key: Access key id for S3 when boto3 finds no credentials.
        secret_key: Its secret key.
        s3_client: A boto3 S3 client to use instead of building one.
    """

    s3_endpoint_url: str | None = None
    output_s3_uri: str | None = None
    failure_s3_uri: str | None = None
    delay_s: float = 0.0
    max_concurrent_invocations: int | None = None
    access_key: str = DEFAULT_ACCESS_KEY
    secret_key: str = DEFAULT_SECRET_KEY
    s3_client: Any = None

    def __post_init__(self) -> None:
        for uri in (self.output_s3_uri, self.failure_s3_uri):
            if uri is not None:
                _split_s3(uri)
        if self.delay_s < 0:
            raise ValueError("delay_s must be >= 0")
        if (
            self.max_concurrent_invocations is not None
            and self.max_concurrent_invocations < 1
        ):
            raise ValueError("max_concurrent_invocations must be >= 1")


@dataclass
class AsyncJob:
    """One asynchronous invocation the runtime accepted.

    Attributes:
        inference_id: The ``InferenceId`` (sent or generated).
        endpoint_name: The endpoint it was sent to.
        input_location: The ``InputLocation`` (``None``: inline body).
        output_location: Where the result is written.
        failure_location: Where a failure object is written.
        content_type: The ``ContentType`` sent.
        accept: The ``Accept`` sent.
        custom_attributes: The custom attributes given to the container.
        request_ttl_s: How long it may wait in the queue.
        invocation_timeout_s: How long its processing may take.
        status: Where it is (see :data:`AsyncJobStatus`).
        submitted: ``time.monotonic()`` when it was accepted.
        started: When its processing began.
        finished: When its result or failure was written.
        failure: The failure object's text, if it failed.
        fault: The fault spec applied, if any.
    """

    inference_id: str
    endpoint_name: str
    input_location: str | None
    output_location: str
    failure_location: str
    content_type: str | None = None
    accept: str | None = None
    custom_attributes: str | None = None
    request_ttl_s: float = DEFAULT_REQUEST_TTL_S
    invocation_timeout_s: float = DEFAULT_INVOCATION_TIMEOUT_S
    status: AsyncJobStatus = "queued"
    submitted: float = 0.0
    started: float | None = None
    finished: float | None = None
    failure: str | None = None
    fault: str | None = None


class AsyncJobLog(InFlightLog[AsyncJob]):
    """Thread-safe record of asynchronous jobs, with in-flight counters."""

    @property
    def jobs(self) -> list[AsyncJob]:
        """A copy of the jobs, oldest first."""
        return self.items

    def get(self, inference_id: str) -> AsyncJob | None:
        """The latest job with this inference id, if any."""
        with self._changed:
            for job in reversed(self._items):
                if job.inference_id == inference_id:
                    return job
        return None

    def begin(self, job: AsyncJob) -> None:
        """Record a job that was just accepted."""
        job.submitted = time.monotonic()
        with self._changed:
            self._add(job)

    def start(self, job: AsyncJob) -> None:
        """Record that the job's processing began."""
        with self._changed:
            job.started = time.monotonic()
            job.status = "running"

    def end(
        self, job: AsyncJob, status: AsyncJobStatus, failure: str | None = None
    ) -> None:
        """Record how the job ended (once; later calls are ignored)."""
        with self._changed:
            if job.finished is not None:
                return
            job.finished = time.monotonic()
            job.status = status
            job.failure = failure
            self._done()


class _JobFailed(Exception):
    """The job ends with a failure object holding ``message``."""

    def __init__(self, message: str, status: AsyncJobStatus = "failed") -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class _Abandoned(Exception):
    """The server is shutting down; the job is dropped."""


@dataclass(frozen=True)
class _Locations:
    output: str | None = None
    failure: str | None = None
    delay_s: float | None = None


class AsyncInference:
    """The ``InvokeEndpointAsync`` side of a :class:`SageMakerRuntime`.

    Args:
        runtime: The runtime whose endpoints, options, faults and request log
            are used.
        options: S3 access, result locations and processing delay.
    """

    def __init__(
        self, runtime: SageMakerRuntime, options: AsyncInferenceOptions | None = None
    ) -> None:
        self.runtime = runtime
        self.options = options or AsyncInferenceOptions()
        self.jobs = AsyncJobLog()
        self._per_endpoint: dict[str, _Locations] = {}
        self._client_lock = threading.Lock()
        self._s3: Any = self.options.s3_client
        self._tasks: set[asyncio.Task[None]] = set()
        self._gates: dict[str, asyncio.Semaphore] = {}

    def configure(
        self,
        endpoint_name: str,
        *,
        output_s3_uri: str | None = None,
        failure_s3_uri: str | None = None,
        delay_s: float | None = None,
    ) -> None:
        """Set one endpoint's result locations and processing delay.

        Args:
            endpoint_name: The endpoint.
            output_s3_uri: Where its results go (else the runtime-wide one).
            failure_s3_uri: Where its failure objects go.
            delay_s: Its processing delay (else the runtime-wide one).

        Raises:
            ValueError: If a URI is not ``s3://bucket[/prefix]``.
        """
        for uri in (output_s3_uri, failure_s3_uri):
            if uri is not None:
                _split_s3(uri)
        self._per_endpoint[endpoint_name] = _Locations(
            output_s3_uri, failure_s3_uri, delay_s
        )

    # -- S3 -----------------------------------------------------------------

    def s3_client(self) -> Any:
        """The boto3 S3 client (built on first use, in a worker thread)."""
        with self._client_lock:
            if self._s3 is None:
                import boto3

                session = boto3.session.Session()
                kwargs: dict[str, Any] = {"region_name": self.runtime.region_name}
                if self.options.s3_endpoint_url is not None:
                    kwargs["endpoint_url"] = self.options.s3_endpoint_url
                if session.get_credentials() is None:
                    kwargs["aws_access_key_id"] = self.options.access_key
                    kwargs["aws_secret_access_key"] = self.options.secret_key
                self._s3 = session.client("s3", **kwargs)
            return self._s3

    def _read(self, uri: str) -> bytes:
        bucket, key = _split_s3(uri)
        response = self.s3_client().get_object(Bucket=bucket, Key=key)
        body = response["Body"]
        try:
            return bytes(body.read())
        finally:
            body.close()

    def _write(self, uri: str, data: bytes, content_type: str) -> None:
        bucket, key = _split_s3(uri)
        self.s3_client().put_object(
            Bucket=bucket, Key=key, Body=data, ContentType=content_type
        )

    async def _in_thread(self, func: Any, *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, functools.partial(func, *args))

    # -- the API call ----------------------------------------------------------

    def _validate(self, parameters: Mapping[str, str], body: bytes) -> None:
        runtime = self.runtime
        location = parameters.get("InputLocation")
        if location is not None and body:
            # Local wording.
            raise runtime.validation_error(
                "InputLocation and Body are mutually exclusive: provide exactly "
                "one of them."
            )
        if location is None and not body:
            # Local wording.
            raise runtime.validation_error(
                "Either InputLocation or Body must be provided."
            )
        if location is not None and (
            not 1 <= len(location) <= 1024 or not _LOCATION_PATTERN.match(location)
        ):
            raise runtime.validation_error(
                f"1 validation error detected: Value '{location}' at "
                "'inputLocation' failed to satisfy constraint: Member must "
                f"satisfy regular expression pattern: {_LOCATION_PATTERN.pattern}"
            )
        if len(body) > MAX_INLINE_BODY_BYTES:
            # Local wording.
            raise runtime.validation_error(
                f"Inline Body exceeds the maximum of {MAX_INLINE_BODY_BYTES} "
                "bytes; upload the payload to S3 and pass InputLocation."
            )
        inference_id = parameters.get("InferenceId")
        if inference_id is not None and (
            not 1 <= len(inference_id) <= 64 or not inference_id[:1].strip()
        ):
            raise runtime.validation_error(
                f"1 validation error detected: Value '{inference_id}' at "
                "'inferenceId' failed to satisfy constraint: Member must have "
                "length less than or equal to 64"
            )
        for member, (low, high) in _RANGES.items():
            raw = parameters.get(member)
            if raw is None:
                continue
            field = member[0].lower() + member[1:]
            try:
                value = int(raw)
            except ValueError:
                raise runtime.validation_error(
                    f"1 validation error detected: Value '{raw}' at '{field}' "
                    "failed to satisfy constraint: Member must be an integer"
                ) from None
            if value < low:
                raise runtime.validation_error(
                    f"1 validation error detected: Value '{value}' at '{field}' "
                    "failed to satisfy constraint: Member must have value "
                    f"greater than or equal to {low}"
                )
            if value > high:
                raise runtime.validation_error(
                    f"1 validation error detected: Value '{value}' at '{field}' "
                    "failed to satisfy constraint: Member must have value less "
                    f"than or equal to {high}"
                )

    def _locations(
        self, name: str, parameters: Mapping[str, str], inference_id: str
    ) -> tuple[str, str]:
        per = self._per_endpoint.get(name) or self._per_endpoint.get(WILDCARD)
        input_location = parameters.get("InputLocation")
        if input_location is not None and input_location.startswith("s3://"):
            bucket = input_location[5:].partition("/")[0]
        else:
            runtime = self.runtime
            bucket = f"sagemaker-{runtime.region_name}-{runtime.account_id}"
        output = (per and per.output) or self.options.output_s3_uri
        failure = (per and per.failure) or self.options.failure_s3_uri
        output = output or f"s3://{bucket}/async-inference/output"
        failure = failure or f"s3://{bucket}/async-inference/failures"
        extension = parameters.get("S3OutputPathExtension")
        filename = parameters.get("Filename") or f"{inference_id}.out"
        return (
            _join(output, extension, filename),
            _join(failure, extension, f"{inference_id}-error.out"),
        )

    def _delay(self, name: str) -> float:
        per = self._per_endpoint.get(name)
        if per is not None and per.delay_s is not None:
            return per.delay_s
        return self.options.delay_s

    async def invoke(self, request: web.Request) -> web.StreamResponse:
        """Answer ``InvokeEndpointAsync``: accept the job, process it later."""
        runtime = self.runtime
        name = request.match_info["EndpointName"]
        parameters = {
            key: request.headers[header]
            for key, header in _REQUEST_HEADERS.items()
            if header in request.headers
        }
        record = RecordedRequest(
            endpoint_name=name,
            operation=ASYNC_OPERATION,
            method=request.method,
            path=request.path,
            headers=dict(request.headers),
            body=b"",
            parameters=parameters,
            inference_id=parameters.get("InferenceId"),
        )
        runtime.log.begin(record)
        status: int = 500
        code: str | None = "InternalFailure"
        try:
            record.body = await request.read()
            record.access_key = runtime.authenticate(request, record.body)
            key = name if name in runtime.endpoints else WILDCARD
            container = runtime.endpoints.get(key)
            if container is None:
                raise runtime.endpoint_not_found(name)
            self._validate(parameters, record.body)
            options = runtime.options.get(key) or EndpointOptions()
            plan = runtime._plan(name, options, parameters, False, record)
            fault = plan.fault
            if fault is not None:
                if fault.error is not None:
                    error = fault.error
                    raise runtime.error(error.status, error.code, error.message)
                if fault.kind in _ERROR_FAULTS_SYNC:
                    runtime._drop(request, reset=True)
                    raise _Dropped(0)
            inference_id = parameters.get("InferenceId") or str(uuid.uuid4())
            record.inference_id = inference_id
            output, failure_location = self._locations(name, parameters, inference_id)
            job = AsyncJob(
                inference_id=inference_id,
                endpoint_name=name,
                input_location=parameters.get("InputLocation"),
                output_location=output,
                failure_location=failure_location,
                content_type=parameters.get("ContentType"),
                accept=parameters.get("Accept"),
                custom_attributes=plan.forwarded_attributes,
                request_ttl_s=float(
                    parameters.get("RequestTTLSeconds", DEFAULT_REQUEST_TTL_S)
                ),
                invocation_timeout_s=float(
                    parameters.get(
                        "InvocationTimeoutSeconds", DEFAULT_INVOCATION_TIMEOUT_S
                    )
                ),
                fault=None if fault is None else fault.text,
            )
            self.jobs.begin(job)
            task = asyncio.create_task(
                self._process(job, key, container, fault, record.body or None)
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            status, code = 202, None
            return web.Response(
                status=202,
                body=json.dumps({"InferenceId": inference_id}).encode(),
                content_type="application/json",
                headers={
                    "x-amzn-RequestId": str(uuid.uuid4()),
                    OUTPUT_LOCATION_HEADER: output,
                    FAILURE_LOCATION_HEADER: failure_location,
                },
            )
        except _Answer as answer_error:
            status, code = answer_error.response.status, answer_error.code
            return answer_error.response
        except _Dropped as dropped:
            status, code = dropped.status, None
            return web.Response(status=500)
        finally:
            runtime.log.end(record, status, code)

    # -- the background job ----------------------------------------------------

    def _gate(self, key: str) -> asyncio.Semaphore | None:
        limit = self.options.max_concurrent_invocations
        if limit is None:
            return None
        gate = self._gates.get(key)
        if gate is None:
            gate = self._gates[key] = asyncio.Semaphore(limit)
        return gate

    async def _process(
        self,
        job: AsyncJob,
        key: str,
        container: Container,
        fault: Fault | None,
        inline: bytes | None,
    ) -> None:
        try:
            gate = self._gate(key)
            if gate is None:
                await self._run_job(job, container, fault, inline)
            else:
                async with gate:
                    await self._run_job(job, container, fault, inline)
        except _Abandoned:
            self.jobs.end(job, "cancelled")
        except asyncio.CancelledError:
            self.jobs.end(job, "cancelled")
            raise
        except Exception as error:  # S3 unreachable: nothing can be written
            logger.warning(
                "async inference %s on %s could not be completed: %r",
                job.inference_id,
                job.endpoint_name,
                error,
            )
            self.jobs.end(job, "failed", f"Internal failure: {error!r}")

    async def _run_job(
        self,
        job: AsyncJob,
        container: Container,
        fault: Fault | None,
        inline: bytes | None,
    ) -> None:
        waited = time.monotonic() - job.submitted
        try:
            if waited > job.request_ttl_s:
                # Local wording.
                raise _JobFailed(
                    f"Request {job.inference_id} expired: it waited {waited:.0f} "
                    f"seconds in the queue, longer than its RequestTTLSeconds "
                    f"({job.request_ttl_s:g}).",
                    status="expired",
                )
            self.jobs.start(job)
            try:
                body, content_type = await asyncio.wait_for(
                    self._answer(job, container, fault, inline),
                    job.invocation_timeout_s,
                )
            except asyncio.TimeoutError:
                # Local wording.
                raise _JobFailed(
                    f"Invocation {job.inference_id} timed out: the model did not "
                    f"answer within {job.invocation_timeout_s:g} seconds "
                    "(InvocationTimeoutSeconds)."
                ) from None
        except _JobFailed as failed:
            await self._in_thread(
                self._write,
                job.failure_location,
                failed.message.encode("utf-8"),
                "text/plain",
            )
            self.jobs.end(job, failed.status, failed.message)
            return
        await self._in_thread(self._write, job.output_location, body, content_type)
        self.jobs.end(job, "succeeded")

    async def _answer(
        self,
        job: AsyncJob,
        container: Container,
        fault: Fault | None,
        inline: bytes | None,
    ) -> tuple[bytes, str]:
        """Wait the processing time, read the input, ask the container."""
        delay = self._delay(job.endpoint_name)
        if fault is not None and fault.kind in ("latency", "stall"):
            delay += fault.seconds
        if delay > 0 and not await self.runtime._pause(delay):
            raise _Abandoned
        if inline is not None:
            body = inline
        else:
            location = job.input_location or ""
            try:
                body = await self._in_thread(self._read, location)
            except Exception as error:
                # Local wording.
                raise _JobFailed(
                    f"Failed to download the input from {location}: {error}"
                ) from None
        if fault is not None and fault.kind == "model-error":
            original = json.dumps(
                {"error": "Injected model error", "error_type": "fault"}
            )
            raise _JobFailed(self._model_error(job, fault.status, original))
        if fault is not None and fault.kind in _INVALID_BODIES:
            return _INVALID_BODIES[fault.kind], "application/json"
        answer = await container.invoke(
            ContainerRequest(
                body=body,
                content_type=job.content_type,
                accept=job.accept,
                custom_attributes=job.custom_attributes,
                headers={"X-Amzn-SageMaker-Inference-Id": job.inference_id},
            )
        )
        try:
            data = await answer.read()
        except Exception:
            raise _JobFailed(self._model_error(job, answer.status, None)) from None
        if not answer.ok:
            raise _JobFailed(
                self._model_error(job, answer.status, data.decode("utf-8", "replace"))
            )
        return data, answer.content_type

    def _model_error(self, job: AsyncJob, status: int, original: str | None) -> str:
        """The failure text of a container error, in ``ModelError``'s wording."""
        runtime = self.runtime
        kind = "client" if status < 500 else "server"
        group = runtime.log_group(job.endpoint_name)
        see = (
            f"See https://{runtime.region_name}.console.aws.amazon.com/cloudwatch/"
            f"home?region={runtime.region_name}#logEventViewer:group={group} in "
            f"account {runtime.account_id} for more information."
        )
        if original is None:
            return (
                f"Received {kind} error ({status}) from primary and could not "
                f"load the entire response body. {see}"
            )
        return (
            f"Received {kind} error ({status}) from primary with message "
            f'"{original}". {see}'
        )

    async def close(self) -> None:
        """Cancel the jobs still queued or processing (server shutdown)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
