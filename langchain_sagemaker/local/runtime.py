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
* ``POST /endpoints/{EndpointName}/async-invocations``
  (``InvokeEndpointAsync``): answered ``202`` with the S3 locations of the
  result; the input is read from S3 and the result written there in the
  background (see :mod:`langchain_sagemaker.local.async_inference`).
* ``GET /ping``.

Errors are read by botocore's ``RestJSONParser``: the code comes from the
``x-amzn-ErrorType`` header (anything after a ``:`` is dropped), ``Message``
from the JSON body's ``message``/``Message``, and for a code that names a
modeled error shape (``ModelError``) its members are parsed from the same
body, so ``e.response`` carries ``OriginalStatusCode``, ``OriginalMessage`` and
``LogStreamArn``. Failures after a stream started are ``ModelStreamError``
events (``botocore.exceptions.EventStreamError`` on the client).

Beyond the happy path, each endpoint can be given (see :class:`EndpointOptions`):

* faults, per endpoint or per request (``CustomAttributes="lsm-fault=..."``),
  see :mod:`langchain_sagemaker.local.faults`;
* production variants: ``TargetVariant`` must name one (else
  ``ValidationError``), and the one used is echoed in
  ``x-Amzn-Invoked-Production-Variant``;
* inference components and multi-model targets, checked when declared;
* stateful sessions: ``SessionId="NEW_SESSION"`` opens one and answers
  ``X-Amzn-SageMaker-New-Session-Id: <id>; Expires=<UTC time>``, a known id is
  accepted, an unknown or expired one is a ``ValidationError``; a request on a
  session with the custom attribute ``lsm-session=close`` closes it and is
  answered ``X-Amzn-SageMaker-Closed-Session-Id``.

With a :class:`~langchain_sagemaker.local.auth.SigV4Verifier` every
invocation's signature is checked first (see
:mod:`langchain_sagemaker.local.auth`).
"""

from __future__ import annotations

import asyncio
import datetime
import itertools
import json
import random
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from langchain_sagemaker.local._log import InFlightLog
from langchain_sagemaker.local.auth import SigV4Verifier
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
from langchain_sagemaker.local.faults import (
    FAULT_ATTRIBUTE,
    Fault,
    FaultCounters,
    FaultSpec,
    corrupt_crc,
    parse_custom_attributes,
    parse_fault,
)

if TYPE_CHECKING:
    from langchain_sagemaker.local.async_inference import AsyncInferenceOptions

__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_VARIANT_NAME",
    "MAX_BODY_BYTES",
    "NEW_SESSION",
    "RUNTIME_KEY",
    "SESSION_ATTRIBUTE",
    "WILDCARD",
    "EndpointOptions",
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
#: ``SessionId`` value that opens a stateful session.
NEW_SESSION = "NEW_SESSION"
#: Custom-attributes key of session commands (``lsm-session=close``).
SESSION_ATTRIBUTE = "lsm-session"
#: Default lifetime of a stateful session.
DEFAULT_SESSION_TTL_S = 3600.0

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
# Response headers of InvokeEndpointOutput's NewSessionId and ClosedSessionId.
_NEW_SESSION_ID = "X-Amzn-SageMaker-New-Session-Id"
_CLOSED_SESSION_ID = "X-Amzn-SageMaker-Closed-Session-Id"
_FORWARDED = tuple(
    name
    for key, name in _REQUEST_HEADERS.items()
    if key not in ("ContentType", "Accept", "CustomAttributes")
)
# The SessionIdHeader pattern of InvokeEndpointWithResponseStream's SessionId
# (it has no NEW_SESSION alternative).
_STREAM_SESSION_PATTERN = "^[a-zA-Z0-9](-*[a-zA-Z0-9])*$"
# Faults that strike while a response stream is being sent.
_STREAM_PHASE_FAULTS = frozenset(
    {
        "stall",
        "reset-during",
        "model-stream-error",
        "internal-stream-failure",
        "truncate",
        "bad-crc",
    }
)
# Bodies of the invalid-json and invalid-utf8 faults.
_INVALID_BODIES = {
    "invalid-json": b'[{"generated_text": "cut short',
    "invalid-utf8": b'[{"generated_text": "\xff\xfe \xc3\x28 \xed\xa0\x80"}]',
}


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
        status: The HTTP status answered (0: the connection was dropped
            before any answer).
        error_code: The error code answered, if any.
        variant: The production variant that answered.
        inference_component: The ``InferenceComponentName`` asked for.
        target_model: The ``TargetModel`` asked for.
        inference_id: The ``InferenceId`` sent.
        enable_explanations: The ``EnableExplanations`` expression sent.
        session_id: The stateful session used, opened or closed.
        fault: The fault spec applied to this request, if any.
        access_key: The access key id whose signature was verified.
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
    variant: str | None = None
    inference_component: str | None = None
    target_model: str | None = None
    inference_id: str | None = None
    enable_explanations: str | None = None
    session_id: str | None = None
    fault: str | None = None
    access_key: str | None = None


class RequestLog(InFlightLog[RecordedRequest]):
    """Thread-safe record of requests, with requests-in-flight counters."""

    @property
    def records(self) -> list[RecordedRequest]:
        """A copy of the records, oldest first."""
        return self.items

    def begin(self, record: RecordedRequest) -> None:
        """Record an invocation that starts now."""
        record.started = time.monotonic()
        with self._changed:
            self._add(record)

    def end(self, record: RecordedRequest, status: int, error_code: str | None) -> None:
        """Record that ``record`` was answered."""
        with self._changed:
            record.finished = time.monotonic()
            record.status = status
            record.error_code = error_code
            self._done()


class _Answer(Exception):
    """Carries an error response out of the handler's body."""

    def __init__(self, response: web.Response, code: str) -> None:
        super().__init__(code)
        self.response = response
        self.code = code


class _Dropped(Exception):
    """The connection was dropped on purpose; nothing more is answered."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


@dataclass(frozen=True)
class EndpointOptions:
    """What an endpoint declares besides its container.

    Attributes:
        fault: Fault given to every request that does not choose its own.
        variants: Production variant names; the first answers requests
            without ``TargetVariant``. Empty: the runtime's ``variant_name``.
        inference_components: Inference components hosted. ``None``: the
            header is not checked; a set: it is required and must name one.
        target_models: Models of a multi-model endpoint. ``None``: the
            header is not checked; empty: the endpoint is not multi-model
            and refuses ``TargetModel``; otherwise ``TargetModel`` is required
            and must name one.
    """

    fault: FaultSpec | None = None
    variants: tuple[str, ...] = ()
    inference_components: frozenset[str] | None = None
    target_models: frozenset[str] | None = None

    @classmethod
    def build(
        cls,
        *,
        fault: str | FaultSpec | None = None,
        variants: Iterable[str] | None = None,
        inference_components: Iterable[str] | None = None,
        target_models: Iterable[str] | None = None,
    ) -> EndpointOptions:
        """Build options from plain values (a fault spec may be text).

        Raises:
            ValueError: If the fault spec is invalid or ``variants`` is empty.
        """
        variant_names = tuple(variants) if variants is not None else ()
        if variants is not None and not variant_names:
            raise ValueError("an endpoint needs at least one production variant")
        return cls(
            fault=parse_fault(fault) if isinstance(fault, str) else fault,
            variants=variant_names,
            inference_components=None
            if inference_components is None
            else frozenset(inference_components),
            target_models=None if target_models is None else frozenset(target_models),
        )


@dataclass(frozen=True)
class _Plan:
    """What a request asked for, once its options were checked."""

    parameters: Mapping[str, str]
    variant: str
    forwarded_attributes: str | None
    fault: Fault | None
    open_session: bool
    close_session: str | None


def _expires(when: float) -> str:
    moment = datetime.datetime.fromtimestamp(when, datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class SageMakerRuntime:
    """The SageMaker Runtime service over a set of endpoints.

    Args:
        endpoints: Endpoint name to the container that serves it. The name
            ``"*"`` serves every endpoint name not listed otherwise.
        region_name: Region used in error messages and log ARNs.
        account_id: Account id used in error messages and log ARNs.
        variant_name: Value of ``x-Amzn-Invoked-Production-Variant`` for
            endpoints that declare no variants.
        stream_split_seed: When set, each chunk of a streamed answer is cut
            into PayloadParts at random positions drawn from a generator
            seeded with this value (fresh for every request), as a real stream
            may arrive split anywhere, even inside a UTF-8 character.
        stream_timeout_s: When set, a stream not finished within this many
            seconds ends with a ``ModelStreamError`` of code
            ``ModelInvocationTimeExceeded``.
        verifier: When set, every invocation's SigV4 signature is checked.
        session_ttl_s: Lifetime of a stateful session.
        async_inference: How ``InvokeEndpointAsync`` reaches S3, where its
            results go and how long processing takes (see
            :class:`~langchain_sagemaker.local.async_inference.AsyncInferenceOptions`).
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
        verifier: SigV4Verifier | None = None,
        session_ttl_s: float = DEFAULT_SESSION_TTL_S,
        async_inference: AsyncInferenceOptions | None = None,
    ) -> None:
        from langchain_sagemaker.local.async_inference import AsyncInference

        self.endpoints: dict[str, Container] = dict(endpoints or {})
        self.options: dict[str, EndpointOptions] = {}
        self.region_name = region_name
        self.account_id = account_id
        self.variant_name = variant_name
        self.stream_split_seed = stream_split_seed
        self.stream_timeout_s = stream_timeout_s
        self.verifier = verifier
        self.session_ttl_s = session_ttl_s
        self.log = RequestLog()
        #: Attempt counters of ``fail-times`` faults.
        self.fault_counters = FaultCounters()
        self._sessions_lock = threading.Lock()
        self._sessions: dict[tuple[str, str], float] = {}
        self._closing: asyncio.Event | None = None
        #: The ``InvokeEndpointAsync`` side: S3 access and the jobs' log.
        self.async_inference = AsyncInference(self, async_inference)

    def add_endpoint(
        self,
        name: str,
        container: Container,
        options: EndpointOptions | None = None,
    ) -> None:
        """Serve ``container`` as endpoint ``name`` (replacing any other)."""
        self.endpoints[name] = container
        if options is None:
            self.options.pop(name, None)
        else:
            self.options[name] = options

    def set_options(self, name: str, options: EndpointOptions) -> None:
        """Replace the options of endpoint ``name``."""
        self.options[name] = options

    def sessions(self) -> dict[tuple[str, str], float]:
        """Open sessions: (endpoint name, session id) to expiry (epoch s)."""
        with self._sessions_lock:
            return dict(self._sessions)

    def app(self) -> web.Application:
        """Build the aiohttp application serving this runtime."""
        # Bodies a little over the limit are read whole and then refused, so
        # the caller gets an answer rather than a connection cut mid-send.
        app = web.Application(client_max_size=4 * MAX_BODY_BYTES)
        app[RUNTIME_KEY] = self
        app.add_routes(routes)
        self._closing = asyncio.Event()
        app.on_shutdown.append(_begin_closing)
        app.on_shutdown.append(_cancel_async_jobs)
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

    def authenticate(self, request: web.Request, body: bytes) -> str | None:
        """Check the request's SigV4 signature when verification is on.

        Returns the access key that signed it (``None`` when not verifying);
        raises the error AWS answers for a missing or wrong signature.
        """
        if self.verifier is None:
            return None
        access_key, failure = self.verifier.verify(
            request.method, request.raw_path, request.headers, body
        )
        if failure is not None:
            raise self.error(
                failure.status,
                failure.code,
                failure.message,
                error_type=failure.error_type,
            )
        return access_key

    def error(
        self,
        status: int,
        code: str,
        message: str | None,
        *,
        error_type: str | None = None,
        **fields: Any,
    ) -> _Answer:
        """Build a rest-json error answer botocore parses as ``code``.

        Args:
            status: HTTP status.
            code: Error code.
            message: The body's ``message`` (``None`` writes JSON ``null``).
            error_type: ``x-amzn-ErrorType`` when not just ``code`` (botocore
                drops anything after a ``:``).
            **fields: The whole body instead of ``{"message": ...}``.
        """
        body: dict[str, Any] = dict(fields) if fields else {"message": message}
        response = web.Response(
            status=status,
            body=json.dumps(body).encode(),
            content_type="application/json",
            headers={
                "x-amzn-RequestId": str(uuid.uuid4()),
                "x-amzn-ErrorType": error_type or code,
            },
        )
        return _Answer(response, code)

    def validation_error(self, message: str) -> _Answer:
        """``ValidationError`` (400) with ``message``."""
        return self.error(400, "ValidationError", message)

    def endpoint_not_found(self, endpoint_name: str) -> _Answer:
        """``ValidationError`` for an endpoint this runtime does not host."""
        return self.validation_error(
            f"Endpoint {endpoint_name} of account {self.account_id} not found."
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

    def _headers(self, response: ContainerResponse, variant: str) -> dict[str, str]:
        headers = {
            "x-amzn-RequestId": str(uuid.uuid4()),
            _INVOKED_VARIANT: variant,
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

    # -- options, sessions and faults -------------------------------------------

    def _plan(
        self,
        name: str,
        options: EndpointOptions,
        parameters: Mapping[str, str],
        stream: bool,
        record: RecordedRequest,
    ) -> _Plan:
        """Check the request's options against the endpoint's; pick its fault."""
        variants = options.variants or (self.variant_name,)
        target_variant = parameters.get("TargetVariant")
        if target_variant is not None and target_variant not in variants:
            # Local wording.
            raise self.validation_error(
                f"The variant {target_variant} is not found in endpoint {name} "
                f"of account {self.account_id}."
            )
        variant = target_variant or variants[0]
        record.variant = variant

        component = parameters.get("InferenceComponentName")
        if options.inference_components is not None:
            if component is None:
                # Believed to be SageMaker's wording.
                raise self.validation_error(
                    "Inference Component Name header is required for endpoints "
                    "to which you plan to deploy inference components. Please "
                    "include Inference Component Name header or consider using "
                    "SageMaker models."
                )
            if component not in options.inference_components:
                # Local wording.
                raise self.validation_error(
                    f"Inference Component {component} of account "
                    f"{self.account_id} not found."
                )

        target_model = parameters.get("TargetModel")
        if options.target_models is not None:
            if not options.target_models:
                if target_model is not None:
                    # SageMaker's wording (aws/amazon-sagemaker-examples#1026).
                    raise self.validation_error(
                        f"Endpoint {name} is not a multi-model endpoint and does "
                        "not support target model header."
                    )
            elif target_model is None:
                # Local wording.
                raise self.validation_error(
                    f"Endpoint {name} is a multi-model endpoint: TargetModel is "
                    "required."
                )
            elif target_model not in options.target_models:
                # Believed to be SageMaker's wording for a model not in S3.
                raise self.validation_error(
                    "Failed to download model data(bucket: "
                    f"sagemaker-{self.region_name}-{self.account_id}, key: "
                    f"{name}/{target_model}). Please ensure that there is an "
                    "object located at the URL and that the role passed to "
                    "CreateModel has permissions to download the model."
                )

        attributes, forwarded = parse_custom_attributes(
            parameters.get("CustomAttributes")
        )
        open_session, close_session = self._check_session(
            name, parameters.get("SessionId"), attributes, stream
        )

        spec = options.fault
        if FAULT_ATTRIBUTE in attributes:
            try:
                spec = parse_fault(attributes[FAULT_ATTRIBUTE])
            except ValueError as error:
                raise self.validation_error(f"Bad {FAULT_ATTRIBUTE}: {error}") from None
        fault = None
        if spec is not None:
            key = (name, parameters.get("InferenceId", ""))
            fault = self.fault_counters.select(spec, key)
        record.fault = None if fault is None else fault.text
        return _Plan(parameters, variant, forwarded, fault, open_session, close_session)

    def _check_session(
        self,
        name: str,
        session_id: str | None,
        attributes: Mapping[str, str],
        stream: bool,
    ) -> tuple[bool, str | None]:
        """Return whether to open a session, and which one to close."""
        command = attributes.get(SESSION_ATTRIBUTE, "").lower()
        if command not in ("", "close"):
            raise self.validation_error(
                f"Bad {SESSION_ATTRIBUTE}: {command!r} (expected 'close')."
            )
        if session_id is None:
            if command:
                raise self.validation_error(
                    f"{SESSION_ATTRIBUTE}=close needs a SessionId."
                )
            return False, None
        if session_id == NEW_SESSION:
            if stream:
                # The SessionIdHeader constraint of the stream operation, in
                # the wording AWS uses for constraint violations.
                raise self.validation_error(
                    f"1 validation error detected: Value '{session_id}' at "
                    "'sessionId' failed to satisfy constraint: Member must "
                    f"satisfy regular expression pattern: {_STREAM_SESSION_PATTERN}"
                )
            if command:
                raise self.validation_error("A new session cannot be closed.")
            return True, None
        now = time.time()
        with self._sessions_lock:
            expiry = self._sessions.get((name, session_id))
            if expiry is not None and expiry <= now:
                del self._sessions[(name, session_id)]
                expiry = None
        if expiry is None:
            # Local wording.
            raise self.validation_error(
                f"Session {session_id} of endpoint {name} does not exist or has "
                "expired."
            )
        return False, session_id if command == "close" else None

    def _session_headers(
        self, name: str, plan: _Plan, record: RecordedRequest
    ) -> dict[str, str]:
        """Open or close the plan's session; return the response headers."""
        if plan.open_session:
            session_id = str(uuid.uuid4())
            expiry = time.time() + self.session_ttl_s
            with self._sessions_lock:
                self._sessions[(name, session_id)] = expiry
            record.session_id = session_id
            return {_NEW_SESSION_ID: f"{session_id}; Expires={_expires(expiry)}"}
        if plan.close_session is not None:
            with self._sessions_lock:
                self._sessions.pop((name, plan.close_session), None)
            return {_CLOSED_SESSION_ID: plan.close_session}
        return {}

    async def _pause(self, seconds: float) -> bool:
        """Wait ``seconds``; return ``False`` if the server began shutting down."""
        closing = self._closing
        if closing is None:
            await asyncio.sleep(seconds)
            return True
        try:
            await asyncio.wait_for(closing.wait(), seconds)
        except asyncio.TimeoutError:
            return True
        return False

    @staticmethod
    def _drop(request: web.Request, *, reset: bool) -> None:
        """Close the connection: ``reset`` aborts it, else flush and close."""
        transport = request.transport
        if transport is not None:
            if reset:
                transport.abort()
            else:
                transport.close()

    async def _fault_before(
        self, request: web.Request, name: str, fault: Fault, stream: bool
    ) -> None:
        """Act on a fault that strikes before the container is asked."""
        error = fault.error
        if error is not None:
            raise self.error(error.status, error.code, error.message)
        if fault.kind == "model-error":
            original = json.dumps(
                {"error": "Injected model error", "error_type": "fault"}
            ).encode()
            raise self.model_error(name, fault.status, original)
        if fault.kind == "reset-before":
            self._drop(request, reset=True)
            raise _Dropped(0)
        stall_now = fault.kind == "stall" and (not stream or fault.after == 0)
        if (fault.kind == "latency" or stall_now) and not await self._pause(
            fault.seconds
        ):
            self._drop(request, reset=True)
            raise _Dropped(0)

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
            inference_component=parameters.get("InferenceComponentName"),
            target_model=parameters.get("TargetModel"),
            inference_id=parameters.get("InferenceId"),
            enable_explanations=parameters.get("EnableExplanations"),
            session_id=parameters.get("SessionId"),
        )
        self.log.begin(record)
        status: int = 500
        code: str | None = "InternalFailure"
        try:
            record.body = await request.read()
            record.access_key = self.authenticate(request, record.body)
            if len(record.body) > MAX_BODY_BYTES:
                # Local wording: the size limit is SageMaker's, the message
                # is not known to be.
                raise self.validation_error(
                    f"Request body exceeds the maximum of {MAX_BODY_BYTES} bytes."
                )
            key = name if name in self.endpoints else WILDCARD
            container = self.endpoints.get(key)
            if container is None:
                raise self.endpoint_not_found(name)
            options = self.options.get(key) or EndpointOptions()
            plan = self._plan(name, options, parameters, stream, record)
            fault = plan.fault
            if fault is not None:
                await self._fault_before(request, name, fault, stream)
            answer = await self._ask(container, name, record.body, plan, request)
            if stream:
                stream_fault = fault
                if fault is not None and (
                    fault.kind not in _STREAM_PHASE_FAULTS
                    or (fault.kind == "stall" and fault.after == 0)
                ):
                    stream_fault = None
                response = await self._stream(
                    request, answer, plan.variant, stream_fault
                )
            else:
                try:
                    body = await answer.read()
                except Exception:
                    raise self.model_error(name, answer.status, None) from None
                response_headers = {
                    **self._headers(answer, plan.variant),
                    **self._session_headers(name, plan, record),
                    "Content-Type": answer.content_type,
                }
                if fault is not None and fault.kind == "reset-during":
                    await self._send_partial(request, response_headers, body)
                    raise _Dropped(200)
                response = web.Response(status=200, body=body, headers=response_headers)
            status, code = response.status, None
            return response
        except _Answer as answer_error:
            status, code = answer_error.response.status, answer_error.code
            return answer_error.response
        except _Dropped as dropped:
            status, code = dropped.status, None
            # aiohttp's attempt to send this meets the closed transport.
            return web.Response(status=500)
        finally:
            self.log.end(record, status, code)

    async def _ask(
        self,
        container: Container,
        name: str,
        body: bytes,
        plan: _Plan,
        request: web.Request,
    ) -> ContainerResponse:
        """Get the container's answer (or the fault's stand-in for it)."""
        fault = plan.fault
        if fault is not None and fault.kind in _INVALID_BODIES:
            return ContainerResponse(
                status=200,
                content_type="application/json",
                body=_INVALID_BODIES[fault.kind],
            )
        parameters = plan.parameters
        container_request = ContainerRequest(
            body=body,
            content_type=parameters.get("ContentType"),
            accept=parameters.get("Accept"),
            custom_attributes=plan.forwarded_attributes,
            headers={h: request.headers[h] for h in _FORWARDED if h in request.headers},
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
        return answer

    async def _send_partial(
        self, request: web.Request, headers: Mapping[str, str], body: bytes
    ) -> None:
        """Send the headers and the first half of ``body``, then hang up."""
        response = web.StreamResponse(status=200, headers=headers)
        response.content_length = len(body)
        await response.prepare(request)
        await response.write(body[: max(1, len(body) // 2)])
        self._drop(request, reset=False)

    async def _stream(
        self,
        request: web.Request,
        answer: ContainerResponse,
        variant: str,
        fault: Fault | None,
    ) -> web.StreamResponse:
        response = web.StreamResponse(
            status=200,
            headers={
                **self._headers(answer, variant),
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
        parts = 0
        pending = fault
        try:
            ended = clean_end = False
            while not ended:
                events, done = await self._next_events(chunks, deadline, rng)
                for event in events:
                    out: bytes | None = event
                    if pending is not None and not done and parts >= pending.after:
                        out, ended = await self._strike(
                            request, response, pending, event
                        )
                        pending = None
                    if ended:
                        break
                    if out is not None:
                        await response.write(out)
                    parts += 0 if done else 1
                clean_end = done and not events
                ended = ended or done
            if pending is not None and clean_end:
                # The stream was shorter than the fault's N: it strikes at
                # the end, on a stand-in frame.
                out, _ = await self._strike(
                    request, response, pending, payload_part(b" ")
                )
                if out is not None:
                    await response.write(out)
            await response.write_eof()
        except (ConnectionResetError, _Dropped):
            # The caller went away or the fault hung up: nothing more can be
            # told to it.
            pass
        finally:
            aclose = getattr(chunks, "aclose", None)
            if aclose is not None:
                await aclose()
            await answer.aclose()
        return response

    async def _strike(
        self,
        request: web.Request,
        response: web.StreamResponse,
        fault: Fault,
        event: bytes,
    ) -> tuple[bytes | None, bool]:
        """Apply a stream fault at ``event``.

        Returns:
            What to write in place of ``event`` (``None``: nothing), and
            whether the stream ends (cleanly) after it.

        Raises:
            _Dropped: If the fault hung up.
        """
        if fault.kind == "model-stream-error":
            message = "Injected fault: the stream from the model broke."
            await response.write(model_stream_error(message, fault.code))
            return None, True
        if fault.kind == "internal-stream-failure":
            await response.write(internal_stream_failure("Injected fault."))
            return None, True
        if fault.kind == "truncate":
            await response.write(event[: len(event) // 2])
            return None, True
        if fault.kind == "bad-crc":
            return corrupt_crc(event), False
        if fault.kind == "reset-during":
            await response.write(event[: len(event) // 2])
            self._drop(request, reset=False)
            raise _Dropped(200)
        # stall
        if not await self._pause(fault.seconds):
            self._drop(request, reset=True)
            raise _Dropped(200)
        return event, False

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


@routes.post("/endpoints/{EndpointName}/async-invocations")
async def invoke_endpoint_async(request: web.Request) -> web.StreamResponse:
    """``InvokeEndpointAsync``."""
    return await request.app[RUNTIME_KEY].async_inference.invoke(request)


@routes.get("/ping")
async def ping(request: web.Request) -> web.Response:
    """Health check: 200 when every endpoint's container answers its ping."""
    runtime = request.app[RUNTIME_KEY]
    healthy = all([await c.ping() for c in runtime.endpoints.values()])
    return web.Response(status=200 if healthy else 503)


async def _begin_closing(app: web.Application) -> None:
    # Wakes stalled requests so that shutting down does not wait for them.
    closing = app[RUNTIME_KEY]._closing
    if closing is not None:
        closing.set()


async def _cancel_async_jobs(app: web.Application) -> None:
    await app[RUNTIME_KEY].async_inference.close()


async def _close_containers(app: web.Application) -> None:
    await app[RUNTIME_KEY].close()
