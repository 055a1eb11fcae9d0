"""Faults the local SageMaker Runtime can inject, and their spec grammar.

A fault is chosen per endpoint (``LocalEndpoint(fault=...)``,
``add_endpoint(..., fault=...)``, ``langchain-sagemaker serve --fault``) or
per request, through the ``X-Amzn-SageMaker-Custom-Attributes`` header
(boto3's ``CustomAttributes=``): ``CustomAttributes="lsm-fault=throttle"``.
The custom attributes are ``key=value`` pairs separated by ``,`` or ``;``;
pairs whose key starts with ``lsm-`` are the runtime's and are taken out
before the rest reaches the container. A request's ``lsm-fault`` wins over
the endpoint's; ``lsm-fault=none`` turns the endpoint's fault off for that
request.

Grammar (whitespace around parts is ignored, names are case-insensitive)::

    spec     := "none" | fault | "fail-times:" K ":" fault
    fault    := error | transport | stream | body | delay

    error    := "throttle"             400 ThrottlingException
              | "throttle-429"         429 ThrottlingException
              | "not-ready"            429 ModelNotReadyException
              | "unavailable"          503 ServiceUnavailable
              | "internal"             500 InternalFailure
              | "dependency"           530 InternalDependencyException
              | "model-error-4xx"      424 ModelError, OriginalStatusCode 400
              | "model-error-5xx"      424 ModelError, OriginalStatusCode 500
              | "model-error:" STATUS  424 ModelError, OriginalStatusCode STATUS
    transport:= "reset-before"         connection reset before any response byte
              | "reset-during" [":" N] headers and part of the body, then the
                                       connection is dropped (streams: after N
                                       PayloadParts, default 1)
    stream   := "model-stream-error:" N [":" CODE]
                                       after N PayloadParts, a ModelStreamError
                                       event (ErrorCode CODE, default
                                       StreamBroken)
              | "internal-stream-failure:" N
                                       after N PayloadParts, an
                                       InternalStreamFailure event
              | "truncate:" N          after N PayloadParts, the first half of
                                       the next frame, then a clean end
              | "bad-crc:" N           the frame after N PayloadParts carries a
                                       wrong message CRC
    body     := "invalid-json"         200 with a body that is not JSON
              | "invalid-utf8"         200 with a body that is not UTF-8
    delay    := "stall:" SECONDS [":" N]
                                       InvokeEndpoint: nothing is sent for
                                       SECONDS; streams: stop for SECONDS after
                                       N PayloadParts (default 1)
              | "latency:" MS          answer normally after MS milliseconds

``N`` counts PayloadPart events of ``InvokeEndpointWithResponseStream``; a
stream with fewer parts meets its fault at its end. The stream faults
(``model-stream-error``, ``internal-stream-failure``, ``truncate``,
``bad-crc``) do not apply to ``InvokeEndpoint``, which answers normally.
``SECONDS`` is at most :data:`MAX_STALL_S`; a stall ends early (dropping the
connection) when the server shuts down.

A fault strikes once the request has passed the SigV4 check (when enabled),
the endpoint lookup and the checks of ``TargetVariant``,
``InferenceComponentName``, ``TargetModel`` and ``SessionId``; the request
log records it in ``RecordedRequest.fault``.

What botocore makes of them (``botocore/data/_retry.json`` for ``legacy``
retries, ``botocore/retries/standard.py`` for ``standard``): ``throttle`` and
``throttle-429`` are retried by both modes; ``unavailable``, ``internal``,
``reset-before`` (``ConnectionClosedError``) and ``stall`` on
``InvokeEndpoint`` (``ReadTimeoutError``) are retried by both as transient;
``not-ready`` (429) only by ``legacy`` (any 429), not by ``standard`` (its
code is not a throttling code and 429 is not a transient status);
``model-error*`` (424) and ``dependency`` (530) by neither. Failures inside a
response stream are never retried: the call already returned.

``fail-times:K:<fault>`` gives ``<fault>`` to the first ``K`` attempts and lets
the later ones through. Attempts are counted per endpoint name, spec text and
``InferenceId`` (botocore resends the same ``InferenceId`` on a retry, so calls
with distinct ids each fail ``K`` times; calls without one share the count).
:meth:`FaultCounters.reset` (``LocalEndpoint.reset_faults()``) starts over.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "ERROR_FAULTS",
    "FAULT_ATTRIBUTE",
    "MAX_STALL_S",
    "FailTimes",
    "Fault",
    "FaultCounters",
    "FaultSpec",
    "corrupt_crc",
    "parse_custom_attributes",
    "parse_fault",
]

#: Custom-attributes key that selects a fault per request.
FAULT_ATTRIBUTE = "lsm-fault"
#: Prefix of the custom-attributes keys the runtime takes for itself.
RUNTIME_ATTRIBUTE_PREFIX = "lsm-"
#: Longest ``stall``.
MAX_STALL_S = 30.0
#: Longest ``latency``, in milliseconds.
MAX_LATENCY_MS = 30_000.0
#: Largest ``fail-times`` count.
MAX_FAIL_TIMES = 10_000


@dataclass(frozen=True)
class ErrorFault:
    """An error answer: HTTP status, error code and message (``None``: null)."""

    status: int
    code: str
    message: str | None


#: The error faults by name. Codes and statuses are those of botocore's
#: ``sagemaker-runtime`` service model (``ModelNotReadyException`` 429,
#: ``ServiceUnavailable`` 503, ``InternalFailure`` 500,
#: ``InternalDependencyException`` 530). ``ThrottlingException`` is not in
#: the model: SageMaker answers it with status 400 and the body
#: ``{"message": null}`` (AWS "Common Errors"; opensearch-project/ml-commons
#: #2429), which botocore retries as throttling in both ``legacy`` (code and
#: 400, ``_retry.json``) and ``standard`` mode (``_THROTTLED_ERROR_CODES``).
#: Messages other than that null are local wording.
ERROR_FAULTS: Mapping[str, ErrorFault] = {
    "throttle": ErrorFault(400, "ThrottlingException", None),
    "throttle-429": ErrorFault(429, "ThrottlingException", "Rate exceeded"),
    "not-ready": ErrorFault(
        429,
        "ModelNotReadyException",
        "The model is not ready to serve requests yet. Wait and try again.",
    ),
    "unavailable": ErrorFault(
        503, "ServiceUnavailable", "The service is unavailable. Try again."
    ),
    "internal": ErrorFault(500, "InternalFailure", "An internal failure occurred."),
    "dependency": ErrorFault(
        530,
        "InternalDependencyException",
        "Your request caused an exception with an internal dependency.",
    ),
}

_MODEL_ERRORS = {"model-error-4xx": 400, "model-error-5xx": 500}
_STREAM_KINDS = ("model-stream-error", "internal-stream-failure", "truncate", "bad-crc")
_PLAIN_KINDS = ("reset-before", "invalid-json", "invalid-utf8")
_STREAM_ERROR_CODE = re.compile(r"[A-Za-z][A-Za-z0-9]*")


@dataclass(frozen=True)
class Fault:
    """One fault.

    Attributes:
        kind: Canonical name: a key of :data:`ERROR_FAULTS`, ``"model-error"``,
            ``"reset-before"``, ``"reset-during"``, ``"model-stream-error"``,
            ``"internal-stream-failure"``, ``"truncate"``, ``"bad-crc"``,
            ``"invalid-json"``, ``"invalid-utf8"``, ``"stall"`` or
            ``"latency"``.
        text: The spec it was parsed from.
        after: PayloadParts sent before it strikes (stream faults, ``stall``
            and ``reset-during`` on streams).
        seconds: Delay of ``stall`` and ``latency``.
        status: ``OriginalStatusCode`` of ``model-error``.
        code: ``ErrorCode`` of ``model-stream-error``.
    """

    kind: str
    text: str
    after: int = 0
    seconds: float = 0.0
    status: int = 0
    code: str = ""

    @property
    def error(self) -> ErrorFault | None:
        """The error answer of an error fault, else ``None``."""
        return ERROR_FAULTS.get(self.kind)

    @property
    def stream_only(self) -> bool:
        """Whether it only affects ``InvokeEndpointWithResponseStream``."""
        return self.kind in _STREAM_KINDS


@dataclass(frozen=True)
class FailTimes:
    """``fail-times:K:<fault>``: ``fault`` for the first ``times`` attempts."""

    times: int
    fault: Fault
    text: str


#: What a spec parses to; ``None`` is ``"none"``.
FaultSpec = Fault | FailTimes


def _count(text: str, what: str, spec: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"fault {spec!r}: {what} must be an integer") from None
    if value < 0:
        raise ValueError(f"fault {spec!r}: {what} must be >= 0")
    return value


def _seconds(text: str, limit: float, spec: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"fault {spec!r}: expected a number, got {text!r}") from None
    if not 0 <= value <= limit:
        raise ValueError(f"fault {spec!r}: must be between 0 and {limit:g}")
    return value


def _arity(args: list[str], low: int, high: int, spec: str) -> None:
    if not low <= len(args) <= high:
        wanted = str(low) if low == high else f"{low} to {high}"
        raise ValueError(f"fault {spec!r}: expected {wanted} parameter(s)")


def _parse_one(parts: list[str], spec: str) -> Fault:
    name, args = parts[0].lower(), parts[1:]
    if name in ERROR_FAULTS or name in _PLAIN_KINDS:
        _arity(args, 0, 0, spec)
        return Fault(name, spec)
    if name in _MODEL_ERRORS:
        _arity(args, 0, 0, spec)
        return Fault("model-error", spec, status=_MODEL_ERRORS[name])
    if name == "model-error":
        _arity(args, 1, 1, spec)
        status = _count(args[0], "the status", spec)
        if not 400 <= status <= 599:
            raise ValueError(f"fault {spec!r}: the status must be a 4xx or 5xx")
        return Fault("model-error", spec, status=status)
    if name == "model-stream-error":
        _arity(args, 1, 2, spec)
        code = args[1] if len(args) == 2 else "StreamBroken"
        if not _STREAM_ERROR_CODE.fullmatch(code):
            raise ValueError(f"fault {spec!r}: bad error code {code!r}")
        return Fault(name, spec, after=_count(args[0], "N", spec), code=code)
    if name in _STREAM_KINDS:
        _arity(args, 1, 1, spec)
        return Fault(name, spec, after=_count(args[0], "N", spec))
    if name == "reset-during":
        _arity(args, 0, 1, spec)
        after = _count(args[0], "N", spec) if args else 1
        return Fault(name, spec, after=after)
    if name == "stall":
        _arity(args, 1, 2, spec)
        after = _count(args[1], "N", spec) if len(args) == 2 else 1
        return Fault(
            name, spec, after=after, seconds=_seconds(args[0], MAX_STALL_S, spec)
        )
    if name == "latency":
        _arity(args, 1, 1, spec)
        delay = _seconds(args[0], MAX_LATENCY_MS, spec) / 1000
        return Fault(name, spec, seconds=delay)
    raise ValueError(f"unknown fault {parts[0]!r} in {spec!r}")


def parse_fault(spec: str) -> FaultSpec | None:
    """Parse a fault spec (see the module docstring for the grammar).

    Args:
        spec: E.g. ``"throttle"``, ``"truncate:2"``, ``"fail-times:2:internal"``.

    Returns:
        The fault, or ``None`` for ``"none"`` (or an empty spec).

    Raises:
        ValueError: If the spec is not in the grammar.
    """
    text = spec.strip()
    if text.lower() in ("", "none"):
        return None
    parts = [part.strip() for part in text.split(":")]
    if parts[0].lower() == "fail-times":
        if len(parts) < 3:
            raise ValueError(f"fault {spec!r}: expected fail-times:K:<fault>")
        times = _count(parts[1], "K", text)
        if times > MAX_FAIL_TIMES:
            raise ValueError(f"fault {spec!r}: K must be at most {MAX_FAIL_TIMES}")
        if parts[2].lower() in ("fail-times", "none"):
            raise ValueError(f"fault {spec!r}: fail-times needs a fault to repeat")
        return FailTimes(times, _parse_one(parts[2:], ":".join(parts[2:])), text)
    return _parse_one(parts, text)


_PAIR_SEPARATOR = re.compile(r"[,;]")


def parse_custom_attributes(value: str | None) -> tuple[dict[str, str], str | None]:
    """Take the runtime's ``lsm-*`` pairs out of a custom-attributes header.

    Args:
        value: The ``X-Amzn-SageMaker-Custom-Attributes`` request header.

    Returns:
        The runtime's pairs (keys lower-cased) and what is left for the
        container: the other pieces, in order, joined by the first separator
        the header used; ``None`` when nothing is left.
    """
    if value is None:
        return {}, None
    ours: dict[str, str] = {}
    rest: list[str] = []
    for piece in _PAIR_SEPARATOR.split(value):
        key, sep, raw = piece.partition("=")
        if sep and key.strip().lower().startswith(RUNTIME_ATTRIBUTE_PREFIX):
            ours[key.strip().lower()] = raw.strip()
        else:
            rest.append(piece)
    if not ours:
        return {}, value
    separator = _PAIR_SEPARATOR.search(value)
    joined = (separator.group() if separator else ",").join(rest)
    return ours, joined if joined.strip() else None


class FaultCounters:
    """Thread-safe attempt counters of ``fail-times`` faults."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, ...], int] = {}

    def hit(self, key: tuple[str, ...]) -> int:
        """Count one more attempt under ``key``; return how many so far."""
        with self._lock:
            count = self._counts.get(key, 0) + 1
            self._counts[key] = count
            return count

    def counts(self) -> dict[tuple[str, ...], int]:
        """A copy of the attempt counts by key."""
        with self._lock:
            return dict(self._counts)

    def reset(self) -> None:
        """Forget every count: each ``fail-times`` fault fails anew."""
        with self._lock:
            self._counts.clear()

    def select(self, spec: FaultSpec, key: tuple[str, ...]) -> Fault | None:
        """Return the fault ``spec`` gives this attempt (``None``: no fault)."""
        if isinstance(spec, Fault):
            return spec
        attempt = self.hit((*key, spec.text))
        return spec.fault if attempt <= spec.times else None


def corrupt_crc(frame: bytes) -> bytes:
    """Return an event-stream frame whose message CRC is wrong.

    botocore's ``EventStreamBuffer`` raises ``ChecksumMismatch`` on it.
    """
    crc = int.from_bytes(frame[-4:], "big") ^ 0xFFFFFFFF
    return frame[:-4] + crc.to_bytes(4, "big")
