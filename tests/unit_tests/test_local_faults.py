"""Fault injection of the local SageMaker Runtime, seen through real boto3."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import urllib3.exceptions
from botocore.config import Config
from botocore.eventstream import ChecksumMismatch
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    EventStreamError,
    ReadTimeoutError,
    ResponseStreamingError,
)

from langchain_sagemaker.local import LocalEndpoint
from langchain_sagemaker.local.container import ContainerRequest, ContainerResponse
from langchain_sagemaker.local.faults import (
    ERROR_FAULTS,
    FailTimes,
    Fault,
    FaultCounters,
    corrupt_crc,
    parse_custom_attributes,
    parse_fault,
)

TOKENS = ["Hello", " wörld", ".", " Bye", "!"]
NAME = "faulty"
# One attempt only: what the caller of a single botocore call sees.
SINGLE = Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=5)


class Words:
    """Stand-in model: yields fixed tokens whatever the prompt."""

    name = "words"

    def generate(self, prompt: str) -> Iterator[str]:
        yield from TOKENS


def body(stream: bool = False) -> bytes:
    payload: dict[str, Any] = {"inputs": "Q: ", "parameters": {}}
    if stream:
        payload["stream"] = True
    return json.dumps(payload).encode()


@pytest.fixture(scope="module")
def endpoint() -> Iterator[LocalEndpoint]:
    with LocalEndpoint(model=Words(), endpoint_name=NAME) as served:
        yield served


@pytest.fixture
def client(endpoint: LocalEndpoint) -> Any:
    endpoint.requests.clear()
    endpoint.reset_faults()
    return endpoint.client(config=SINGLE)


def invoke(client: Any, fault: str | None = None, **kwargs: Any) -> Any:
    if fault is not None:
        kwargs["CustomAttributes"] = f"lsm-fault={fault}"
    return client.invoke_endpoint(
        EndpointName=kwargs.pop("EndpointName", NAME),
        ContentType="application/json",
        Body=body(),
        **kwargs,
    )


def invoke_stream(client: Any, fault: str | None = None, **kwargs: Any) -> Any:
    if fault is not None:
        kwargs["CustomAttributes"] = f"lsm-fault={fault}"
    return client.invoke_endpoint_with_response_stream(
        EndpointName=kwargs.pop("EndpointName", NAME),
        ContentType="application/json",
        Body=body(stream=True),
        **kwargs,
    )


def read_parts(response: Any, parts: list[bytes]) -> None:
    """Read PayloadParts into ``parts``; always close the stream."""
    try:
        for event in response["Body"]:
            parts.append(event["PayloadPart"]["Bytes"])
    finally:
        response["Body"].close()


def read_body(response: Any) -> bytes:
    try:
        return bytes(response["Body"].read())
    finally:
        response["Body"].close()


# --- the grammar ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("throttle", Fault("throttle", "throttle")),
        (" Throttle-429 ", Fault("throttle-429", "Throttle-429")),
        ("model-error-4xx", Fault("model-error", "model-error-4xx", status=400)),
        ("model-error-5xx", Fault("model-error", "model-error-5xx", status=500)),
        ("model-error:503", Fault("model-error", "model-error:503", status=503)),
        ("reset-during", Fault("reset-during", "reset-during", after=1)),
        ("reset-during:0", Fault("reset-during", "reset-during:0", after=0)),
        (
            "model-stream-error:3",
            Fault("model-stream-error", "model-stream-error:3", 3, code="StreamBroken"),
        ),
        (
            "model-stream-error:0:ModelInvocationTimeExceeded",
            Fault(
                "model-stream-error",
                "model-stream-error:0:ModelInvocationTimeExceeded",
                0,
                code="ModelInvocationTimeExceeded",
            ),
        ),
        ("truncate:2", Fault("truncate", "truncate:2", after=2)),
        ("bad-crc:0", Fault("bad-crc", "bad-crc:0", after=0)),
        ("stall:1.5", Fault("stall", "stall:1.5", after=1, seconds=1.5)),
        ("stall:2:0", Fault("stall", "stall:2:0", after=0, seconds=2.0)),
        ("latency:250", Fault("latency", "latency:250", seconds=0.25)),
        ("invalid-utf8", Fault("invalid-utf8", "invalid-utf8")),
        (
            "fail-times:2:stall:0.5",
            FailTimes(2, Fault("stall", "stall:0.5", 1, 0.5), "fail-times:2:stall:0.5"),
        ),
        ("none", None),
        ("", None),
    ],
)
def test_parse_fault(spec: str, expected: Fault | FailTimes | None) -> None:
    assert parse_fault(spec) == expected


@pytest.mark.parametrize(
    "spec",
    [
        "explode",
        "throttle:1",
        "truncate",
        "truncate:-1",
        "truncate:x",
        "stall:31",
        "stall:-1",
        "model-error:200",
        "model-stream-error:1:bad code",
        "fail-times:2",
        "fail-times:x:throttle",
        "fail-times:1:fail-times:1:throttle",
        "fail-times:1:none",
    ],
)
def test_parse_fault_rejects(spec: str) -> None:
    with pytest.raises(ValueError):
        parse_fault(spec)


def test_every_error_fault_is_in_the_grammar() -> None:
    for name, error in ERROR_FAULTS.items():
        fault = parse_fault(name)
        assert isinstance(fault, Fault) and fault.error == error


@pytest.mark.parametrize(
    ("header", "ours", "rest"),
    [
        (None, {}, None),
        ("trace=abc", {}, "trace=abc"),
        ("lsm-fault=throttle", {"lsm-fault": "throttle"}, None),
        ("a=1,lsm-fault=truncate:2,b=2", {"lsm-fault": "truncate:2"}, "a=1,b=2"),
        ("a=1; LSM-Fault = stall:1 ;b", {"lsm-fault": "stall:1"}, "a=1;b"),
        ("opaque text", {}, "opaque text"),
    ],
)
def test_parse_custom_attributes(
    header: str | None, ours: dict[str, str], rest: str | None
) -> None:
    assert parse_custom_attributes(header) == (ours, rest)


def test_fault_counters() -> None:
    counters = FaultCounters()
    spec = parse_fault("fail-times:2:internal")
    assert isinstance(spec, FailTimes)
    picks = [counters.select(spec, ("ep", "")) for _ in range(3)]
    assert picks == [spec.fault, spec.fault, None]
    assert counters.select(spec, ("ep", "other-id")) == spec.fault
    assert counters.counts() == {
        ("ep", "", "fail-times:2:internal"): 3,
        ("ep", "other-id", "fail-times:2:internal"): 1,
    }
    counters.reset()
    assert counters.select(spec, ("ep", "")) == spec.fault


def test_corrupt_crc_changes_only_the_trailer() -> None:
    from langchain_sagemaker.local.eventstream import payload_part

    frame = payload_part(b"abc")
    bad = corrupt_crc(frame)
    assert bad[:-4] == frame[:-4] and bad[-4:] != frame[-4:]


# --- error answers -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "status", "code", "message"),
    [
        # SageMaker's throttling: 400 and a null message.
        ("throttle", 400, "ThrottlingException", None),
        ("throttle-429", 429, "ThrottlingException", "Rate exceeded"),
        ("not-ready", 429, "ModelNotReadyException", ERROR_FAULTS["not-ready"].message),
        ("unavailable", 503, "ServiceUnavailable", ERROR_FAULTS["unavailable"].message),
        ("internal", 500, "InternalFailure", ERROR_FAULTS["internal"].message),
        (
            "dependency",
            530,
            "InternalDependencyException",
            ERROR_FAULTS["dependency"].message,
        ),
    ],
)
@pytest.mark.parametrize("stream", [False, True], ids=["invoke", "stream"])
def test_error_faults(
    endpoint: LocalEndpoint,
    client: Any,
    fault: str,
    status: int,
    code: str,
    message: str | None,
    stream: bool,
) -> None:
    call = invoke_stream if stream else invoke
    with pytest.raises(ClientError) as caught:
        call(client, fault)
    error = caught.value.response
    assert error["Error"] == {"Code": code, "Message": message}
    assert error["ResponseMetadata"]["HTTPStatusCode"] == status
    modeled = getattr(client.exceptions, code, None)
    if modeled is not None:  # the codes of the service model map to classes
        assert isinstance(caught.value, modeled)
    [record] = endpoint.requests.records
    assert (record.status, record.error_code, record.fault) == (status, code, fault)


@pytest.mark.parametrize(
    ("fault", "original", "kind"),
    [
        ("model-error-4xx", 400, "client"),
        ("model-error-5xx", 500, "server"),
        ("model-error:503", 503, "server"),
    ],
)
def test_model_error_faults(client: Any, fault: str, original: int, kind: str) -> None:
    with pytest.raises(client.exceptions.ModelError) as caught:
        invoke(client, fault)
    error = caught.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 424
    assert error["OriginalStatusCode"] == original
    assert json.loads(error["OriginalMessage"])["error"] == "Injected model error"
    assert error["LogStreamArn"] == (
        "arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/" + NAME
    )
    assert error["Error"]["Message"].startswith(
        f"Received {kind} error ({original}) from primary with message "
    )


# --- connections dropped, stalls ------------------------------------------------------


def test_reset_before_is_connection_closed(
    endpoint: LocalEndpoint, client: Any
) -> None:
    with pytest.raises(ConnectionClosedError):
        invoke(client, "reset-before")
    with pytest.raises(ConnectionClosedError):
        invoke_stream(client, "reset-before")
    assert [(r.status, r.fault) for r in endpoint.requests] == [
        (0, "reset-before"),
        (0, "reset-before"),
    ]
    # The client recovers on a fresh connection.
    assert b"Bye!" in read_body(invoke(client))


def test_reset_during_invoke_breaks_the_body(client: Any) -> None:
    response = invoke(client, "reset-during")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    with pytest.raises(ResponseStreamingError, match="IncompleteRead"):
        read_body(response)


def test_reset_during_stream_after_n_parts(client: Any) -> None:
    response = invoke_stream(client, "reset-during:2")
    parts: list[bytes] = []
    # botocore's event iterator lets urllib3's error through.
    with pytest.raises(urllib3.exceptions.ProtocolError):
        read_parts(response, parts)
    assert len(parts) == 2


def test_stall_on_invoke_is_a_read_timeout(
    client: Any, endpoint: LocalEndpoint
) -> None:
    impatient = endpoint.client(
        config=Config(read_timeout=1, retries={"total_max_attempts": 1})
    )
    started = time.monotonic()
    with pytest.raises(ReadTimeoutError):
        invoke(impatient, "stall:3")
    assert 0.9 < time.monotonic() - started < 2.9  # not the 3 s stall


def test_stall_mid_stream_is_a_read_timeout(endpoint: LocalEndpoint) -> None:
    impatient = endpoint.client(
        config=Config(read_timeout=1, retries={"total_max_attempts": 1})
    )
    response = invoke_stream(impatient, "stall:3:2")
    parts: list[bytes] = []
    started = time.monotonic()
    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        read_parts(response, parts)
    assert len(parts) == 2
    assert time.monotonic() - started < 2.9  # not the 3 s stall


def test_short_stall_then_the_answer(client: Any) -> None:
    started = time.monotonic()
    response = invoke_stream(client, "stall:0.3:1")
    parts: list[bytes] = []
    read_parts(response, parts)
    assert time.monotonic() - started >= 0.3
    assert len(parts) == len(TOKENS) + 1


def test_latency_fault(client: Any) -> None:
    started = time.monotonic()
    assert b"Bye!" in read_body(invoke(client, "latency:300"))
    assert time.monotonic() - started >= 0.3


def test_stop_does_not_wait_for_a_stall() -> None:
    with LocalEndpoint(model=Words(), fault="stall:30", shutdown_timeout_s=5) as served:
        client = served.client(
            config=Config(read_timeout=20, retries={"total_max_attempts": 1})
        )
        failures: list[BaseException] = []

        def call() -> None:
            try:
                invoke(client, EndpointName=served.endpoint_name)
            except Exception as error:
                failures.append(error)

        thread = threading.Thread(target=call)
        thread.start()
        deadline = time.monotonic() + 5
        while served.requests.in_flight == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        started = time.monotonic()
        served.stop()
        assert time.monotonic() - started < 2  # not the 30 s, nor the 5 s
        thread.join(5)
    assert len(failures) == 1
    assert isinstance(failures[0], ConnectionClosedError)


# --- stream exception events and broken frames -----------------------------------------


@pytest.mark.parametrize(
    ("fault", "after", "code"),
    [
        ("model-stream-error:2", 2, "ModelStreamError"),
        ("model-stream-error:0:ModelInvocationTimeExceeded", 0, "ModelStreamError"),
        ("internal-stream-failure:1", 1, "InternalStreamFailure"),
        # Fewer parts than N: the error comes at the end.
        ("model-stream-error:50", len(TOKENS) + 1, "ModelStreamError"),
    ],
)
def test_stream_exception_events(
    client: Any, fault: str, after: int, code: str
) -> None:
    response = invoke_stream(client, fault)
    parts: list[bytes] = []
    with pytest.raises(EventStreamError) as caught:
        read_parts(response, parts)
    assert len(parts) == after
    assert caught.value.response["Error"]["Code"] == code
    assert caught.value.response["Error"]["Message"].startswith("Injected fault")


@pytest.mark.parametrize("after", [0, 2])
def test_truncate_ends_silently(client: Any, after: int) -> None:
    whole: list[bytes] = []
    read_parts(invoke_stream(client), whole)
    parts: list[bytes] = []
    read_parts(invoke_stream(client, f"truncate:{after}"), parts)
    # No exception: botocore drops the half frame left in its buffer.
    assert parts == whole[:after]


def test_bad_crc_is_a_checksum_mismatch(client: Any) -> None:
    response = invoke_stream(client, "bad-crc:2")
    parts: list[bytes] = []
    with pytest.raises(ChecksumMismatch):
        read_parts(response, parts)
    assert len(parts) == 2


@pytest.mark.parametrize(
    "fault",
    ["model-stream-error:0", "internal-stream-failure:0", "truncate:0", "bad-crc:0"],
)
def test_stream_faults_leave_invoke_endpoint_alone(client: Any, fault: str) -> None:
    assert json.loads(read_body(invoke(client, fault))) == [
        {"generated_text": "Q: Hello wörld. Bye!"}
    ]


# --- bad bodies --------------------------------------------------------------------------


def test_invalid_json(client: Any) -> None:
    response = invoke(client, "invalid-json")
    assert response["ContentType"] == "application/json"
    raw = read_body(response)
    with pytest.raises(json.JSONDecodeError):
        json.loads(raw)
    parts: list[bytes] = []
    read_parts(invoke_stream(client, "invalid-json"), parts)
    with pytest.raises(json.JSONDecodeError):
        json.loads(b"".join(parts))


def test_invalid_utf8(client: Any) -> None:
    raw = read_body(invoke(client, "invalid-utf8"))
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    parts: list[bytes] = []
    read_parts(invoke_stream(client, "invalid-utf8"), parts)
    with pytest.raises(UnicodeDecodeError):
        b"".join(parts).decode("utf-8")


# --- per endpoint, per request ---------------------------------------------------------------


class Recorder:
    """Container that answers the custom attributes it was given."""

    dialect = "recorder"

    async def invoke(self, request: ContainerRequest) -> ContainerResponse:
        async def chunks() -> AsyncIterator[bytes]:
            yield (request.custom_attributes or "<none>").encode()

        return ContainerResponse(status=200, content_type="text/plain", stream=chunks())

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        pass


def test_runtime_pairs_are_not_forwarded_to_the_container() -> None:
    with LocalEndpoint(container=Recorder()) as served:
        client = served.client(config=SINGLE)

        def forwarded(attributes: str) -> bytes:
            return read_body(
                client.invoke_endpoint(
                    EndpointName=served.endpoint_name,
                    Body=b"x",
                    CustomAttributes=attributes,
                )
            )

        assert forwarded("trace=1,lsm-fault=none,user=u") == b"trace=1,user=u"
        assert forwarded("lsm-fault=latency:1") == b"<none>"
        assert forwarded("plain") == b"plain"
        assert served.requests[0].parameters["CustomAttributes"] == (
            "trace=1,lsm-fault=none,user=u"
        )


def test_endpoint_fault_and_request_override() -> None:
    with LocalEndpoint(model=Words(), endpoint_name="a", fault="unavailable") as served:
        served.add_endpoint("b", model=Words(), fault="throttle")
        served.add_endpoint("c", model=Words())
        client = served.client(config=SINGLE)

        def code(name: str, fault: str | None = None) -> str | None:
            try:
                read_body(invoke(client, fault, EndpointName=name))
            except ClientError as error:
                return str(error.response["Error"]["Code"])
            return None

        assert code("a") == "ServiceUnavailable"
        assert code("b") == "ThrottlingException"
        assert code("c") is None
        assert code("a", "none") is None  # the request turns it off
        assert code("a", "internal") == "InternalFailure"  # or picks its own
        served.set_fault(None, "a")
        served.set_fault("not-ready", "c")
        assert code("a") is None
        assert code("c") == "ModelNotReadyException"
        with pytest.raises(KeyError):
            served.set_fault("throttle", "nope")


def test_bad_fault_specs_are_refused(client: Any) -> None:
    with pytest.raises(ValueError, match="unknown fault"):
        LocalEndpoint(model=Words(), fault="explode")
    with pytest.raises(client.exceptions.ValidationError) as caught:
        invoke(client, "explode")
    assert "lsm-fault" in caught.value.response["Error"]["Message"]


# --- fail-times and botocore's retries -----------------------------------------------------------


def test_fail_times_without_retries(endpoint: LocalEndpoint, client: Any) -> None:
    for _ in range(2):
        with pytest.raises(ClientError):
            invoke(client, "fail-times:2:internal")
    assert b"Bye!" in read_body(invoke(client, "fail-times:2:internal"))
    assert b"Bye!" in read_body(invoke(client, "fail-times:2:internal"))
    endpoint.reset_faults()  # counting starts over
    with pytest.raises(ClientError):
        invoke(client, "fail-times:2:internal")
    assert [r.fault for r in endpoint.requests] == [
        "internal",
        "internal",
        None,
        None,
        "internal",
    ]


def test_fail_times_counts_per_inference_id(
    endpoint: LocalEndpoint, client: Any
) -> None:
    for inference_id in ("one", "two"):
        with pytest.raises(ClientError):
            invoke(client, "fail-times:1:unavailable", InferenceId=inference_id)
    for inference_id in ("one", "two"):
        read_body(invoke(client, "fail-times:1:unavailable", InferenceId=inference_id))
    assert [r.status for r in endpoint.requests] == [503, 503, 200, 200]


@pytest.mark.parametrize(
    ("fault", "times"),
    [
        ("throttle", 2),  # 400 ThrottlingException: a throttling code
        ("throttle-429", 1),
        ("unavailable", 1),  # 503: transient
        ("internal", 1),  # 500: transient
        ("reset-before", 1),  # ConnectionClosedError: transient
    ],
)
def test_fail_times_then_success_with_standard_retries(
    endpoint: LocalEndpoint, fault: str, times: int
) -> None:
    endpoint.requests.clear()
    retrying = endpoint.client(
        config=Config(retries={"mode": "standard", "total_max_attempts": 3})
    )
    response = invoke(retrying, f"fail-times:{times}:{fault}", InferenceId=fault)
    assert b"Bye!" in read_body(response)
    assert response["ResponseMetadata"]["RetryAttempts"] == times
    assert [r.fault for r in endpoint.requests] == [fault] * times + [None]


@pytest.mark.parametrize("fault", ["not-ready", "model-error-5xx", "dependency"])
def test_standard_retries_do_not_retry(endpoint: LocalEndpoint, fault: str) -> None:
    # ModelNotReadyException (429) is neither a throttling code nor a transient
    # status for botocore's standard mode; ModelError (424) and 530 are not
    # retried either.
    endpoint.requests.clear()
    retrying = endpoint.client(
        config=Config(retries={"mode": "standard", "total_max_attempts": 3})
    )
    with pytest.raises(ClientError):
        invoke(retrying, f"fail-times:1:{fault}", InferenceId=f"std-{fault}")
    assert len(endpoint.requests) == 1


def test_legacy_retries_retry_model_not_ready(endpoint: LocalEndpoint) -> None:
    # legacy mode (_retry.json) retries any 429.
    endpoint.requests.clear()
    retrying = endpoint.client(
        config=Config(retries={"mode": "legacy", "total_max_attempts": 3})
    )
    response = invoke(retrying, "fail-times:1:not-ready", InferenceId="legacy")
    assert b"Bye!" in read_body(response)
    assert len(endpoint.requests) == 2


# --- aiobotocore ---------------------------------------------------------------------------


async def test_aiobotocore_sees_the_same_faults(endpoint: LocalEndpoint) -> None:
    from aiobotocore.session import get_session

    endpoint.reset_faults()
    session = get_session()
    async with session.create_client(
        "sagemaker-runtime",
        endpoint_url=endpoint.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"mode": "standard", "total_max_attempts": 3}),
    ) as client:
        response = await client.invoke_endpoint(
            EndpointName=NAME,
            ContentType="application/json",
            Body=body(),
            CustomAttributes="lsm-fault=fail-times:1:throttle",
            InferenceId="aio",
        )
        assert response["ResponseMetadata"]["RetryAttempts"] == 1
        async with response["Body"] as stream:
            assert b"Bye!" in await stream.read()
        with pytest.raises(ClientError) as caught:
            await client.invoke_endpoint(
                EndpointName=NAME,
                ContentType="application/json",
                Body=body(),
                CustomAttributes="lsm-fault=model-error-4xx",
            )
        assert caught.value.response["Error"]["Code"] == "ModelError"
        assert caught.value.response["OriginalStatusCode"] == 400
        streamed = await client.invoke_endpoint_with_response_stream(
            EndpointName=NAME,
            ContentType="application/json",
            Body=body(stream=True),
            CustomAttributes="lsm-fault=model-stream-error:2",
        )
        parts = []
        with pytest.raises(EventStreamError) as stream_error:
            async for event in streamed["Body"]:
                parts.append(event["PayloadPart"]["Bytes"])
        streamed["Body"].close()
        assert len(parts) == 2
        assert stream_error.value.response["Error"]["Code"] == "ModelStreamError"
