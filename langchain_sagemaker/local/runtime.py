"""An aiohttp app speaking the Amazon SageMaker Runtime wire protocol.

Operations, headers and error shapes are those of botocore's service model
``sagemaker-runtime/2017-05-13/service-2.json`` (protocol ``rest-json``):

* ``POST /endpoints/{EndpointName}/invocations`` (``InvokeEndpoint``): the
  body goes to the endpoint's container; the answer's body, ``Content-Type``,
  ``x-Amzn-Invoked-Production-Variant`` and
  ``X-Amzn-SageMaker-Custom-Attributes`` come back.
* ``POST /endpoints/{EndpointName}/invocations-response-stream``
  (``InvokeEndpointWithResponseStream``): the answer is an
  ``application/vnd.amazon.eventstream`` body of ``PayloadPart`` events written
  as the container produces chunks, its content type in
  ``X-Amzn-SageMaker-Content-Type``; the caller's ``Accept`` arrives as
  ``X-Amzn-SageMaker-Accept``.
* ``GET /ping``.

Errors are read by botocore's ``RestJSONParser``: the code comes from the
``x-amzn-ErrorType`` header (anything after a ``:`` is dropped), ``Message``
from the JSON body's ``message``/``Message``, and for a code that names a
modeled error shape (``ModelError``) its members are parsed from the same
body, so ``e.response`` carries ``OriginalStatusCode``, ``OriginalMessage`` and
``LogStreamArn``. Failures after a stream started are ``ModelStreamError``
events (``botocore.exceptions.EventStreamError`` on the client).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from langchain_sagemaker.local.container import (
    Container,
    ContainerRequest,
    ContainerResponse,
)
from langchain_sagemaker.local.eventstream import (
    EVENTSTREAM_CONTENT_TYPE,
    internal_stream_failure,
    model_stream_error,
    payload_part,
)

__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_VARIANT_NAME",
    "MAX_BODY_BYTES",
    "RUNTIME_KEY",
    "WILDCARD",
    "RecordedRequest",
    "RequestLog",
    "SageMakerRuntime",
    "routes",
]

#: Account id used in error messages and ARNs.
DEFAULT_ACCOUNT_ID = "123456789012"
#: Production variant name SageMaker's console and SDK give a single variant.
DEFAULT_VARIANT_NAME = "AllTraffic"
#: Endpoint name that serves every name not registered otherwise.
WILDCARD = "*"
#: Largest request body: the ``max`` of the ``BodyBlob`` shape.
MAX_BODY_BYTES = 6291456

# Request headers of InvokeEndpoint / InvokeEndpointWithResponseStream, by the
# botocore member name they carry.
_REQUEST_HEADERS: dict[str, str] = {
    "ContentType": "Content-Type",
    "Accept": "Accept",
    "CustomAttributes": "X-Amzn-SageMaker-Custom-Attributes",
    "TargetModel": "X-Amzn-SageMaker-Target-Model",
    "TargetVariant": "X-Amzn-SageMaker-Target-Variant",
    "TargetContainerHostname": "X-Amzn-SageMaker-Target-Container-Hostname",
    "InferenceId": "X-Amzn-SageMaker-Inference-Id",
    "EnableExplanations": "X-Amzn-SageMaker-Enable-Explanations",
    "InferenceComponentName": "X-Amzn-SageMaker-Inference-Component",
    "SessionId": "X-Amzn-SageMaker-Session-Id",
    "PrefixAwareId": "X-Amzn-SageMaker-Prefix-Aware-Id",
}
_STREAM_ACCEPT = "X-Amzn-SageMaker-Accept"
_CUSTOM_ATTRIBUTES = "X-Amzn-SageMaker-Custom-Attributes"
_INVOKED_VARIANT = "x-Amzn-Invoked-Production-Variant"
_STREAM_CONTENT_TYPE = "X-Amzn-SageMaker-Content-Type"
_FORWARDED = tuple(
    name
    for key, name in _REQUEST_HEADERS.items()
    if key not in ("ContentType", "Accept", "CustomAttributes")
)


@dataclass
class RecordedRequest:
    """One request the runtime received.

    Attributes:
        endpoint_name: The ``EndpointName`` of the URL.
        operation: ``"InvokeEndpoint"``, ``"InvokeEndpointWithResponseStream"``
            or ``"Ping"``.
        method: HTTP method.
        path: Request path.
        headers: All request headers (the last value of repeated ones).
        body: Request body.
        parameters: The operation's header parameters found in ``headers``,
            by botocore member name (``ContentType``, ``Accept``,
            ``CustomAttributes``, ``TargetModel``, ``InferenceId``...).
        started: ``time.monotonic()`` when the request arrived.
        finished: ``time.monotonic()`` when the answer was complete.
        status: The HTTP status answered.
        error_code: The error code answered, if any.
    """

    endpoint_name: str
    operation: str
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    parameters: dict[str, str] = field(default_factory=dict)
    started: float = 0.0
    finished: float | None = None
    status: int | None = None
    error_code: str | None = None


class RequestLog:
    """Thread-safe record of requests, with requests-in-flight counters."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RecordedRequest] = []
        self._in_flight = 0
        self._max_in_flight = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def __iter__(self) -> Iterator[RecordedRequest]:
        return iter(self.records)

    def __getitem__(self, index: int) -> RecordedRequest:
        return self.records[index]

    @property
    def records(self) -> list[RecordedRequest]:
        """A copy of the records, oldest first."""
        with self._lock:
            return list(self._records)

    @property
    def in_flight(self) -> int:
        """Invocations being answered now."""
        with self._lock:
            return self._in_flight

    @property
    def max_in_flight(self) -> int:
        """Most invocations answered at once since the last :meth:`clear`."""
        with self._lock:
            return self._max_in_flight

    def clear(self) -> None:
        """Forget the records and reset the maximum in flight."""
        with self._lock:
            self._records.clear()
            self._max_in_flight = self._in_flight

    def begin(self, record: RecordedRequest) -> None:
        """Record an invocation that starts now."""
        record.started = time.monotonic()
        with self._lock:
            self._records.append(record)
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)

    def end(self, record: RecordedRequest, status: int, error_code: str | None) -> None:
        """Record that ``record`` was answered."""
        with self._lock:
            record.finished = time.monotonic()
            record.status = status
            record.error_code = error_code
            self._in_flight -= 1


class _Answer(Exception):
    """Carries an error response out of the handler's body."""

    def __init__(self, response: web.Response, code: str) -> None:
        super().__init__(code)
        self.response = response
        self.code = code


class SageMakerRuntime:
    """The SageMaker Runtime service over a set of endpoints.

    Args:
        endpoints: Endpoint name to the container that serves it. The name
            ``"*"`` serves every endpoint name not listed otherwise.
        region_name: Region used in error messages and log ARNs.
        account_id: Account id used in error messages and log ARNs.
        variant_name: Value of ``x-Amzn-Invoked-Production-Variant``.
        stream_split_seed: When set, each chunk of a streamed answer is cut
            into PayloadParts at random positions drawn from a generator
            seeded with this value (fresh for every request), as a real stream
            may arrive split anywhere, even inside a UTF-8 character.
        stream_timeout_s: When set, a stream not finished within this many
            seconds ends with a ``ModelStreamError`` of code
            ``ModelInvocationTimeExceeded``.
    """

    def __init__(
        self,
        endpoints: Mapping[str, Container] | None = None,
        *,
        region_name: str = "us-east-1",
        account_id: str = DEFAULT_ACCOUNT_ID,
        variant_name: str = DEFAULT_VARIANT_NAME,
        stream_split_seed: int | None = None,
        stream_timeout_s: float | None = None,
    ) -> None:
        self.endpoints: dict[str, Container] = dict(endpoints or {})
        self.region_name = region_name
        self.account_id = account_id
        self.variant_name = variant_name
        self.stream_split_seed = stream_split_seed
        self.stream_timeout_s = stream_timeout_s
        self.log = RequestLog()

    def add_endpoint(self, name: str, container: Container) -> None:
        """Serve ``container`` as endpoint ``name`` (replacing any other)."""
        self.endpoints[name] = container

    def app(self) -> web.Application:
        """Build the aiohttp application serving this runtime."""
        # Bodies a little over the limit are read whole and then refused, so
        # the caller gets an answer rather than a connection cut mid-send.
        app = web.Application(client_max_size=4 * MAX_BODY_BYTES)
        app[RUNTIME_KEY] = self
        app.add_routes(routes)
        app.on_cleanup.append(_close_containers)
        return app

    async def close(self) -> None:
        """Close every endpoint's container."""
        for container in self.endpoints.values():
            await container.close()

    # -- answers ---------------------------------------------------------------

    def log_group(self, endpoint_name: str) -> str:
        """CloudWatch log group SageMaker writes the endpoint's logs to."""
        return f"/aws/sagemaker/Endpoints/{endpoint_name}"

    def log_stream_arn(self, endpoint_name: str) -> str:
        """The ``LogStreamArn`` reported with a ``ModelError``."""
        return (
            f"arn:aws:logs:{self.region_name}:{self.account_id}:log-group:"
            f"{self.log_group(endpoint_name)}"
        )

    def error(self, status: int, code: str, message: str, **fields: Any) -> _Answer:
        """Build a rest-json error answer botocore parses as ``code``."""
        body: dict[str, Any] = dict(fields) if fields else {"message": message}
        response = web.Response(
            status=status,
            body=json.dumps(body).encode(),
            content_type="application/json",
            headers={
                "x-amzn-RequestId": str(uuid.uuid4()),
                "x-amzn-ErrorType": code,
            },
        )
        return _Answer(response, code)

    def endpoint_not_found(self, endpoint_name: str) -> _Answer:
        """``ValidationError`` for an endpoint this runtime does not host."""
        return self.error(
            400,
            "ValidationError",
            f"Endpoint {endpoint_name} of account {self.account_id} not found.",
        )

    def model_error(
        self, endpoint_name: str, status: int, original: bytes | None
    ) -> _Answer:
        """``ModelError`` (424) for a container that answered ``status``.

        ``original`` is the container's body, or ``None`` when it could not be
        read whole. The message follows SageMaker's, e.g. ``Received client
        error (422) from primary with message "...". See https://... in account
        123456789012 for more information.``
        """
        kind = "client" if status < 500 else "server"
        see = (
            f"See https://{self.region_name}.console.aws.amazon.com/cloudwatch/"
            f"home?region={self.region_name}#logEventViewer:group="
            f"{self.log_group(endpoint_name)} in account {self.account_id} "
            "for more information."
        )
        if original is None:
            original_message = ""
            message = (
                f"Received {kind} error ({status}) from primary and could not "
                f"load the entire response body. {see}"
            )
        else:
            original_message = original.decode("utf-8", "replace")
            message = (
                f"Received {kind} error ({status}) from primary with message "
                f'"{original_message}". {see}'
            )
        return self.error(
            424,
            "ModelError",
            message,
            # Believed to match SageMaker's body; only the modeled members
            # (Message, OriginalStatusCode, OriginalMessage, LogStreamArn)
            # reach botocore's callers.
            ErrorCode=f"{kind.upper()}_ERROR_FROM_MODEL",
            LogStreamArn=self.log_stream_arn(endpoint_name),
            Message=message,
            OriginalMessage=original_message,
            OriginalStatusCode=status,
        )

    def _headers(self, response: ContainerResponse) -> dict[str, str]:
        headers = {
            "x-amzn-RequestId": str(uuid.uuid4()),
            _INVOKED_VARIANT: self.variant_name,
        }
        if response.custom_attributes is not None:
            headers[_CUSTOM_ATTRIBUTES] = response.custom_attributes
        return headers

    def _split(self, rng: random.Random | None, chunk: bytes) -> list[bytes]:
        if rng is None or len(chunk) < 2:
            return [chunk]
        count = rng.randint(0, min(4, len(chunk) - 1))
        cuts = sorted(rng.sample(range(1, len(chunk)), count))
        bounds = [0, *cuts, len(chunk)]
        return [chunk[a:b] for a, b in itertools.pairwise(bounds)]

    # -- handlers --------------------------------------------------------------

    async def invoke(self, request: web.Request, *, stream: bool) -> web.StreamResponse:
        """Answer ``InvokeEndpoint`` or ``InvokeEndpointWithResponseStream``."""
        name = request.match_info["EndpointName"]
        headers = dict(request.headers)
        parameters = {
            key: request.headers[header]
            for key, header in _REQUEST_HEADERS.items()
            if header in request.headers
        }
        if stream:
            parameters.pop("Accept", None)
            if _STREAM_ACCEPT in request.headers:
                parameters["Accept"] = request.headers[_STREAM_ACCEPT]
        record = RecordedRequest(
            endpoint_name=name,
            operation="InvokeEndpointWithResponseStream"
            if stream
            else "InvokeEndpoint",
            method=request.method,
            path=request.path,
            headers=headers,
            body=b"",
            parameters=parameters,
        )
        self.log.begin(record)
        status: int = 500
        code: str | None = "InternalFailure"
        try:
            record.body = await request.read()
            if len(record.body) > MAX_BODY_BYTES:
                # Local wording: the size limit is SageMaker's, the message
                # is not known to be.
                raise self.error(
                    400,
                    "ValidationError",
                    f"Request body exceeds the maximum of {MAX_BODY_BYTES} bytes.",
                )
            container = self.endpoints.get(name) or self.endpoints.get(WILDCARD)
            if container is None:
                raise self.endpoint_not_found(name)
            container_request = ContainerRequest(
                body=record.body,
                content_type=parameters.get("ContentType"),
                accept=parameters.get("Accept"),
                custom_attributes=parameters.get("CustomAttributes"),
                headers={
                    h: request.headers[h] for h in _FORWARDED if h in request.headers
                },
            )
            try:
                answer = await container.invoke(container_request)
            except Exception:
                raise self.model_error(name, 500, None) from None
            if not answer.ok:
                try:
                    original: bytes | None = await answer.read()
                except Exception:
                    original = None
                raise self.model_error(name, answer.status, original)
            if stream:
                response = await self._stream(request, answer)
            else:
                try:
                    body = await answer.read()
                except Exception:
                    raise self.model_error(name, answer.status, None) from None
                response = web.Response(
                    status=200,
                    body=body,
                    headers={
                        **self._headers(answer),
                        "Content-Type": answer.content_type,
                    },
                )
            status, code = response.status, None
            return response
        except _Answer as answer_error:
            status, code = answer_error.response.status, answer_error.code
            return answer_error.response
        finally:
            self.log.end(record, status, code)

    async def _stream(
        self, request: web.Request, answer: ContainerResponse
    ) -> web.StreamResponse:
        response = web.StreamResponse(
            status=200,
            headers={
                **self._headers(answer),
                "Content-Type": EVENTSTREAM_CONTENT_TYPE,
                _STREAM_CONTENT_TYPE: answer.content_type,
            },
        )
        response.enable_chunked_encoding()
        await response.prepare(request)
        seed = self.stream_split_seed
        rng = None if seed is None else random.Random(seed)
        deadline = (
            None
            if self.stream_timeout_s is None
            else asyncio.get_running_loop().time() + self.stream_timeout_s
        )
        chunks: AsyncIterator[bytes] = answer.chunks()
        try:
            while True:
                events, done = await self._next_events(chunks, deadline, rng)
                for event in events:
                    await response.write(event)
                if done:
                    break
            await response.write_eof()
        except ConnectionResetError:
            # The caller went away; nothing more can be told to it.
            pass
        finally:
            aclose = getattr(chunks, "aclose", None)
            if aclose is not None:
                await aclose()
            await answer.aclose()
        return response

    async def _next_events(
        self,
        chunks: AsyncIterator[bytes],
        deadline: float | None,
        rng: random.Random | None,
    ) -> tuple[list[bytes], bool]:
        """Return the messages for the container's next chunk, and if they end it."""
        try:
            if deadline is None:
                chunk = await anext(chunks, None)
            else:
                remaining = deadline - asyncio.get_running_loop().time()
                chunk = await asyncio.wait_for(anext(chunks, None), remaining)
        except asyncio.TimeoutError:
            message = (
                "The model did not finish sending its response within "
                f"{self.stream_timeout_s} seconds."
            )
            return [model_stream_error(message, "ModelInvocationTimeExceeded")], True
        except Exception as error:
            message = f"The stream from the model container broke: {error}"
            return [model_stream_error(message, "StreamBroken")], True
        if chunk is None:
            return [], True
        try:
            return [payload_part(part) for part in self._split(rng, chunk)], False
        except Exception as error:
            return [internal_stream_failure(f"Internal stream failure: {error}")], True


#: Application key under which the app holds its :class:`SageMakerRuntime`.
RUNTIME_KEY = web.AppKey("sagemaker_runtime", SageMakerRuntime)

#: The routes of the SageMaker Runtime app.
routes = web.RouteTableDef()


@routes.post("/endpoints/{EndpointName}/invocations")
async def invoke_endpoint(request: web.Request) -> web.StreamResponse:
    """``InvokeEndpoint``."""
    return await request.app[RUNTIME_KEY].invoke(request, stream=False)


@routes.post("/endpoints/{EndpointName}/invocations-response-stream")
async def invoke_endpoint_with_response_stream(
    request: web.Request,
) -> web.StreamResponse:
    """``InvokeEndpointWithResponseStream``."""
    return await request.app[RUNTIME_KEY].invoke(request, stream=True)


@routes.get("/ping")
async def ping(request: web.Request) -> web.Response:
    """Health check: 200 when every endpoint's container answers its ping."""
    runtime = request.app[RUNTIME_KEY]
    healthy = all([await c.ping() for c in runtime.endpoints.values()])
    return web.Response(status=200 if healthy else 503)


async def _close_containers(app: web.Application) -> None:
    await app[RUNTIME_KEY].close()
