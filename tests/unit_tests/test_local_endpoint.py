"""The local SageMaker Runtime over real HTTP, with real boto3 and aiobotocore."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from aiohttp import web
from botocore.config import Config
from botocore.exceptions import ClientError, EventStreamError

from langchain_sagemaker.local import LocalEndpoint
from langchain_sagemaker.local.container import ContainerRequest, ContainerResponse

TOKENS = ["Hello", " wörld", ".", " Bye", "!"]


class Words:
    """Stand-in model: yields fixed tokens whatever the prompt."""

    name = "words"

    def generate(self, prompt: str) -> Iterator[str]:
        yield from TOKENS


def body(inputs: str = "Q: ", stream: bool = False, **parameters: Any) -> bytes:
    payload: dict[str, Any] = {"inputs": inputs, "parameters": parameters}
    if stream:
        payload["stream"] = True
    return json.dumps(payload).encode()


def stream_bytes(response: Any) -> list[bytes]:
    parts = []
    for event in response["Body"]:
        assert list(event) == ["PayloadPart"], event
        parts.append(event["PayloadPart"]["Bytes"])
    return parts


def sse_events(raw: bytes) -> list[dict[str, Any]]:
    blocks = raw.split(b"\n\n")
    assert blocks[-1] == b""
    events = []
    for block in blocks[:-1]:
        assert block.startswith(b"data: ")
        events.append(json.loads(block[len(b"data: ") :]))
    return events


@pytest.fixture(scope="module")
def endpoint() -> Iterator[LocalEndpoint]:
    with LocalEndpoint(model=Words(), endpoint_name="tgi-words") as served:
        yield served


@pytest.fixture
def client(endpoint: LocalEndpoint) -> Any:
    endpoint.requests.clear()
    return endpoint.client()


# --- InvokeEndpoint ---------------------------------------------------------------


def test_invoke_endpoint_answers_like_tgi(endpoint: LocalEndpoint, client: Any) -> None:
    response = client.invoke_endpoint(
        EndpointName="tgi-words", ContentType="application/json", Body=body()
    )
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert response["ContentType"] == "application/json"
    assert response["InvokedProductionVariant"] == "AllTraffic"
    assert json.loads(response["Body"].read()) == [
        {"generated_text": "Q: Hello wörld. Bye!"}
    ]


def test_request_headers_are_recorded(endpoint: LocalEndpoint, client: Any) -> None:
    client.invoke_endpoint(
        EndpointName="tgi-words",
        ContentType="application/json",
        Accept="application/json",
        Body=body(),
        CustomAttributes="trace=abc",
        TargetModel="model.tar.gz",
        TargetVariant="AllTraffic",
        TargetContainerHostname="primary",
        InferenceId="inference-1",
        EnableExplanations="`true`",
        InferenceComponentName="component-1",
        SessionId="NEW_SESSION",
    )
    [record] = endpoint.requests.records
    assert record.endpoint_name == "tgi-words"
    assert record.operation == "InvokeEndpoint"
    assert record.method == "POST"
    assert record.path == "/endpoints/tgi-words/invocations"
    assert record.body == body()
    assert record.status == 200 and record.error_code is None
    assert record.parameters == {
        "ContentType": "application/json",
        "Accept": "application/json",
        "CustomAttributes": "trace=abc",
        "TargetModel": "model.tar.gz",
        "TargetVariant": "AllTraffic",
        "TargetContainerHostname": "primary",
        "InferenceId": "inference-1",
        "EnableExplanations": "`true`",
        "InferenceComponentName": "component-1",
        "SessionId": "NEW_SESSION",
    }
    assert record.headers["X-Amzn-SageMaker-Custom-Attributes"] == "trace=abc"
    assert record.headers["Authorization"].startswith("AWS4-HMAC-SHA256 ")


def test_unknown_endpoint_is_a_validation_error(client: Any) -> None:
    with pytest.raises(ClientError) as caught:
        client.invoke_endpoint(
            EndpointName="nope", ContentType="application/json", Body=body()
        )
    error = caught.value.response
    assert error["Error"] == {
        "Code": "ValidationError",
        "Message": "Endpoint nope of account 123456789012 not found.",
    }
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["ResponseMetadata"]["RequestId"]
    assert isinstance(caught.value, client.exceptions.ValidationError)


def test_invalid_parameters_are_a_model_error(
    endpoint: LocalEndpoint, client: Any
) -> None:
    with pytest.raises(ClientError) as caught:
        client.invoke_endpoint(
            EndpointName="tgi-words",
            ContentType="application/json",
            Body=body(top_p=1.0),
        )
    assert isinstance(caught.value, client.exceptions.ModelError)
    error = caught.value.response
    original = (
        '{"error":"Input validation error: `top_p` must be > 0.0 and < 1.0",'
        '"error_type":"validation"}'
    )
    assert error["Error"]["Code"] == "ModelError"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 424
    assert error["OriginalStatusCode"] == 422
    assert error["OriginalMessage"] == original
    assert error["LogStreamArn"] == (
        "arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/tgi-words"
    )
    assert error["Message"] == error["Error"]["Message"]
    assert error["Message"].startswith(
        f'Received client error (422) from primary with message "{original}". See '
        "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1"
        "#logEventViewer:group=/aws/sagemaker/Endpoints/tgi-words in account "
        "123456789012 for more information."
    )
    [record] = endpoint.requests.records
    assert (record.status, record.error_code) == (424, "ModelError")


@pytest.mark.parametrize(
    ("raw", "content_type", "status", "original"),
    [
        (b'{"inputs": 5}', "application/json", 422, "untagged enum SagemakerRequest"),
        (b"{oops", "application/json", 400, "Failed to parse the request body as JSON"),
        (
            body(),
            "text/csv",
            415,
            "Expected request with `Content-Type: application/json`",
        ),
    ],
)
def test_rejected_bodies_are_model_errors(
    client: Any, raw: bytes, content_type: str, status: int, original: str
) -> None:
    with pytest.raises(ClientError) as caught:
        client.invoke_endpoint(
            EndpointName="tgi-words", ContentType=content_type, Body=raw
        )
    error = caught.value.response
    assert error["Error"]["Code"] == "ModelError"
    assert error["OriginalStatusCode"] == status
    assert original in error["OriginalMessage"]


def test_generation_parameters_over_http(client: Any) -> None:
    def invoke(**parameters: Any) -> dict[str, Any]:
        response = client.invoke_endpoint(
            EndpointName="tgi-words",
            ContentType="application/json",
            Body=body(**parameters),
        )
        [result] = json.loads(response["Body"].read())
        assert isinstance(result, dict)
        return result

    assert invoke(return_full_text=False) == {"generated_text": "Hello wörld. Bye!"}
    assert (
        invoke(stop=["."], return_full_text=False)["generated_text"] == "Hello wörld."
    )
    limited = invoke(max_new_tokens=2, details=True)
    assert limited["generated_text"] == "Q: Hello wörld"
    assert limited["details"]["finish_reason"] == "length"
    assert limited["details"]["generated_tokens"] == 2
    stopped = invoke(stop=["!"], details=True)
    assert stopped["details"]["finish_reason"] == "stop_sequence"
    assert [t["text"] for t in stopped["details"]["tokens"]] == TOKENS


# --- InvokeEndpointWithResponseStream -------------------------------------------------


def test_response_stream_joins_to_the_sse_of_tgi(
    endpoint: LocalEndpoint, client: Any
) -> None:
    response = client.invoke_endpoint_with_response_stream(
        EndpointName="tgi-words",
        ContentType="application/json",
        Accept="text/event-stream",
        Body=body(stream=True, details=True),
    )
    assert response["ContentType"] == "text/event-stream"
    assert response["InvokedProductionVariant"] == "AllTraffic"
    parts = stream_bytes(response)
    assert len(parts) == len(TOKENS) + 1  # one PayloadPart per SSE event
    events = sse_events(b"".join(parts))
    texts = [e["token"]["text"] for e in events if not e["token"]["special"]]
    assert texts == TOKENS
    assert events[-1]["generated_text"] == "Q: " + "".join(texts)
    assert events[-1]["details"]["finish_reason"] == "eos_token"
    assert [e["index"] for e in events] == list(range(1, len(TOKENS) + 2))
    [record] = endpoint.requests.records
    assert record.operation == "InvokeEndpointWithResponseStream"
    assert record.path == "/endpoints/tgi-words/invocations-response-stream"
    assert record.parameters["Accept"] == "text/event-stream"


def test_response_stream_without_stream_flag_is_the_json_body(client: Any) -> None:
    response = client.invoke_endpoint_with_response_stream(
        EndpointName="tgi-words", ContentType="application/json", Body=body()
    )
    assert response["ContentType"] == "application/json"
    parts = stream_bytes(response)
    assert json.loads(b"".join(parts)) == [{"generated_text": "Q: Hello wörld. Bye!"}]


def test_invoke_endpoint_with_stream_flag_returns_all_events(client: Any) -> None:
    response = client.invoke_endpoint(
        EndpointName="tgi-words", ContentType="application/json", Body=body(stream=True)
    )
    assert response["ContentType"] == "text/event-stream"
    events = sse_events(response["Body"].read())
    assert len(events) == len(TOKENS) + 1


def test_response_stream_errors(client: Any) -> None:
    with pytest.raises(ClientError) as caught:
        client.invoke_endpoint_with_response_stream(
            EndpointName="nope", ContentType="application/json", Body=body(stream=True)
        )
    assert caught.value.response["Error"]["Code"] == "ValidationError"
    # A container error before anything streamed: the same ModelError answer.
    with pytest.raises(ClientError) as caught:
        client.invoke_endpoint_with_response_stream(
            EndpointName="tgi-words",
            ContentType="application/json",
            Body=b'{"inputs": 1}',
        )
    assert caught.value.response["Error"]["Code"] == "ModelError"
    assert caught.value.response["OriginalStatusCode"] == 422


def test_stream_validation_error_is_a_tgi_error_event(client: Any) -> None:
    # TGI answers 200 and reports the error as an SSE event, so SageMaker streams it.
    response = client.invoke_endpoint_with_response_stream(
        EndpointName="tgi-words",
        ContentType="application/json",
        Body=body(stream=True, temperature=0),
    )
    [event] = sse_events(b"".join(stream_bytes(response)))
    assert event == {
        "error": "Input validation error: `temperature` must be strictly positive",
        "error_type": "validation",
    }


def test_split_stream_reassembles() -> None:
    with LocalEndpoint(model=Words(), stream_split_seed=7) as served:
        client = served.client()
        chunks = []
        for _ in range(3):
            response = client.invoke_endpoint_with_response_stream(
                EndpointName=served.endpoint_name,
                ContentType="application/json",
                Body=body(stream=True),
            )
            chunks.append(stream_bytes(response))
    assert chunks[0] == chunks[1] == chunks[2]  # the seed makes the split repeatable
    assert len(chunks[0]) > len(TOKENS) + 1  # split beyond one part per event
    raw = b"".join(chunks[0])
    events = sse_events(raw)
    assert "".join(e["token"]["text"] for e in events[:-1]) == "".join(TOKENS)
    # Some part boundary cuts an event (or a character) in two.
    assert any(not part.endswith(b"\n\n") for part in chunks[0])


def test_stream_broken_mid_way_is_a_model_stream_error() -> None:
    with LocalEndpoint(model=Words(), break_stream_after=2) as served:
        response = served.client().invoke_endpoint_with_response_stream(
            EndpointName=served.endpoint_name,
            ContentType="application/json",
            Body=body(stream=True),
        )
        events = iter(response["Body"])
        try:
            first, second = next(events), next(events)
            assert b"Hello" in first["PayloadPart"]["Bytes"]
            assert b"w\xc3\xb6rld" in second["PayloadPart"]["Bytes"]
            with pytest.raises(EventStreamError) as caught:
                next(events)
        finally:
            response["Body"].close()
    assert caught.value.response["Error"]["Code"] == "ModelStreamError"
    assert "broke" in caught.value.response["Error"]["Message"]


def test_stream_timeout_is_model_invocation_time_exceeded() -> None:
    with LocalEndpoint(
        model=Words(), token_latency_ms=200, stream_timeout_s=0.3
    ) as served:
        response = served.client().invoke_endpoint_with_response_stream(
            EndpointName=served.endpoint_name,
            ContentType="application/json",
            Body=body(stream=True),
        )
        parts = []
        try:
            with pytest.raises(EventStreamError) as caught:
                for event in response["Body"]:
                    parts.append(event["PayloadPart"]["Bytes"])
        finally:
            response["Body"].close()
    assert len(parts) < len(TOKENS)  # cut off before the end
    assert caught.value.response["Error"]["Code"] == "ModelStreamError"
    assert "did not finish" in caught.value.response["Error"]["Message"]


# --- clients pointed by environment, async clients, concurrency ----------------------


def test_env_var_points_a_plain_boto3_client(
    endpoint: LocalEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert set(endpoint.env) == {
        "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
    }
    assert endpoint.env_vars(credentials=True)["AWS_ACCESS_KEY_ID"] == "testing"
    for name, value in endpoint.env_vars(credentials=True).items():
        monkeypatch.setenv(name, value)
    endpoint.requests.clear()
    client = boto3.client("sagemaker-runtime", region_name="us-east-1")
    try:
        assert client.meta.endpoint_url == endpoint.url
        response = client.invoke_endpoint(
            EndpointName="tgi-words", ContentType="application/json", Body=body()
        )
        assert json.loads(response["Body"].read())[0]["generated_text"].endswith("Bye!")
    finally:
        client.close()
    assert len(endpoint.requests) == 1


async def test_aiobotocore_client(endpoint: LocalEndpoint) -> None:
    from aiobotocore.session import get_session

    session = get_session()
    async with session.create_client(
        "sagemaker-runtime",
        endpoint_url=endpoint.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ) as client:
        response = await client.invoke_endpoint(
            EndpointName="tgi-words", ContentType="application/json", Body=body()
        )
        async with response["Body"] as stream:
            assert json.loads(await stream.read())[0]["generated_text"] == (
                "Q: Hello wörld. Bye!"
            )
        streamed = await client.invoke_endpoint_with_response_stream(
            EndpointName="tgi-words",
            ContentType="application/json",
            Body=body(stream=True),
        )
        parts = [event["PayloadPart"]["Bytes"] async for event in streamed["Body"]]
        events = sse_events(b"".join(parts))
        assert events[-1]["generated_text"] == "Q: Hello wörld. Bye!"
        with pytest.raises(ClientError) as caught:
            await client.invoke_endpoint(
                EndpointName="tgi-words",
                ContentType="application/json",
                Body=body(top_k=0),
            )
        assert caught.value.response["Error"]["Code"] == "ModelError"
        assert caught.value.response["OriginalStatusCode"] == 422


def test_parallel_requests_are_in_flight_together() -> None:
    with LocalEndpoint(model=Words(), latency_ms=400) as served:
        client = served.client(config=Config(max_pool_connections=4))

        def call(_: int) -> float:
            started = time.monotonic()
            client.invoke_endpoint(
                EndpointName=served.endpoint_name,
                ContentType="application/json",
                Body=body(),
            )
            return time.monotonic() - started

        with ThreadPoolExecutor(2) as pool:
            durations = list(pool.map(call, range(2)))
        assert served.requests.max_in_flight == 2
        assert served.requests.in_flight == 0
        assert all(duration >= 0.4 for duration in durations)
        first, second = served.requests.records
        assert second.started < first.finished  # type: ignore[operator]


def test_sequential_requests_are_not_in_flight_together() -> None:
    with LocalEndpoint(model=Words(), latency_ms=50) as served:
        client = served.client()
        for _ in range(2):
            client.invoke_endpoint(
                EndpointName=served.endpoint_name,
                ContentType="application/json",
                Body=body(),
            )
        assert served.requests.max_in_flight == 1


# --- several endpoints, forwarding, lifecycle ------------------------------------------


def test_several_endpoints() -> None:
    with LocalEndpoint(model=Words(), endpoint_name="first") as served:
        served.add_endpoint("second", model=Words(), default_return_full_text=False)
        client = served.client()

        def text(name: str) -> str:
            response = client.invoke_endpoint(
                EndpointName=name, ContentType="application/json", Body=body()
            )
            return str(json.loads(response["Body"].read())[0]["generated_text"])

        assert text("first") == "Q: Hello wörld. Bye!"
        assert text("second") == "Hello wörld. Bye!"
        with pytest.raises(ClientError):
            text("third")
        assert [r.endpoint_name for r in served.requests] == [
            "first",
            "second",
            "third",
        ]


def test_wildcard_endpoint_serves_any_name() -> None:
    with LocalEndpoint(model=Words(), endpoint_name="*", region_name=None) as served:
        assert served.region_name == "us-east-1"
        served.add_endpoint("plain", model=Words(), default_return_full_text=False)
        client = served.client()

        def text(name: str) -> str:
            response = client.invoke_endpoint(
                EndpointName=name, ContentType="application/json", Body=body()
            )
            return str(json.loads(response["Body"].read())[0]["generated_text"])

        assert text("anything") == text("other-name") == "Q: Hello wörld. Bye!"
        assert text("plain") == "Hello wörld. Bye!"
        assert [r.endpoint_name for r in served.requests] == [
            "anything",
            "other-name",
            "plain",
        ]


async def _fake_container(request: web.Request) -> web.StreamResponse:
    raw = await request.read()
    if request.path == "/ping":
        return web.Response(text="")
    if raw == b"fail":
        return web.Response(status=500, text="model exploded")
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/plain",
            "X-Amzn-SageMaker-Custom-Attributes": "echo="
            + request.headers.get("X-Amzn-SageMaker-Custom-Attributes", ""),
        }
    )
    await response.prepare(request)
    for piece in (b"got ", raw, b" ", request.headers["Content-Type"].encode()):
        await response.write(piece)
        await asyncio.sleep(0.01)
    await response.write_eof()
    return response


@pytest.fixture
def fake_container_url() -> Iterator[str]:
    """A plain aiohttp app implementing SageMaker's container contract."""
    loop = asyncio.new_event_loop()
    app = web.Application()
    app.router.add_post("/invocations", _fake_container)
    app.router.add_get("/ping", _fake_container)
    runner = web.AppRunner(app, access_log=None)
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port = runner.addresses[0][1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def test_forward_mode(fake_container_url: str) -> None:
    with LocalEndpoint(forward_url=fake_container_url) as served:
        client = served.client()
        response = client.invoke_endpoint(
            EndpointName=served.endpoint_name,
            ContentType="text/csv",
            Body=b"1,2,3",
            CustomAttributes="x",
        )
        assert response["Body"].read() == b"got 1,2,3 text/csv"
        assert response["ContentType"] == "text/plain"
        assert response["CustomAttributes"] == "echo=x"
        streamed = client.invoke_endpoint_with_response_stream(
            EndpointName=served.endpoint_name, ContentType="text/csv", Body=b"abc"
        )
        parts = stream_bytes(streamed)
        assert b"".join(parts) == b"got abc text/csv"
        assert len(parts) >= 2  # streamed through as the container wrote it
        with pytest.raises(ClientError) as caught:
            client.invoke_endpoint(
                EndpointName=served.endpoint_name, ContentType="text/csv", Body=b"fail"
            )
        error = caught.value.response
        assert error["OriginalStatusCode"] == 500
        assert error["OriginalMessage"] == "model exploded"
        assert error["Message"].startswith("Received server error (500) from primary")


def test_forward_to_nothing_is_a_model_error() -> None:
    with LocalEndpoint(forward_url="http://127.0.0.1:9") as served:
        client = served.client(config=Config(retries={"max_attempts": 0}))
        with pytest.raises(ClientError) as caught:
            client.invoke_endpoint(
                EndpointName=served.endpoint_name, ContentType="text/csv", Body=b"x"
            )
        assert caught.value.response["Error"]["Code"] == "ModelError"


def test_ping(endpoint: LocalEndpoint) -> None:
    import urllib.request

    with urllib.request.urlopen(f"{endpoint.url}/ping", timeout=10) as answer:
        assert answer.status == 200


def test_lifecycle_is_clean() -> None:
    before = set(threading.enumerate())
    served = LocalEndpoint(model=Words())
    with pytest.raises(RuntimeError, match="not running"):
        served.url  # noqa: B018
    served.start()
    assert served.running
    assert served.url.startswith("http://127.0.0.1:") and served.port > 0
    with pytest.raises(RuntimeError, match="already running"):
        served.start()
    client = served.client()
    client.invoke_endpoint(
        EndpointName=served.endpoint_name, ContentType="application/json", Body=body()
    )
    served.stop()
    served.stop()  # idempotent
    assert not served.running
    assert set(threading.enumerate()) <= before
    # It can be started again.
    with served:
        assert served.port > 0
    assert set(threading.enumerate()) <= before


def test_port_in_use_fails_to_start(endpoint: LocalEndpoint) -> None:
    before = set(threading.enumerate())
    with pytest.raises(RuntimeError, match="failed to start"):
        LocalEndpoint(model=Words(), port=endpoint.port).start()
    assert set(threading.enumerate()) <= before


def test_stop_with_a_stream_left_open() -> None:
    before = set(threading.enumerate())

    class Long:
        name = "long"

        def generate(self, prompt: str) -> Iterator[str]:
            yield from ["a"] * 1000

    with LocalEndpoint(
        model=Long(), token_latency_ms=100, shutdown_timeout_s=0.2
    ) as served:
        response = served.client().invoke_endpoint_with_response_stream(
            EndpointName=served.endpoint_name,
            ContentType="application/json",
            Body=body(stream=True),
        )
        next(iter(response["Body"]))
        started = time.monotonic()
        # Leave the stream unread: stopping must not wait for it to finish.
    response["Body"].close()  # the client's socket is the client's to close
    assert time.monotonic() - started < 3
    assert set(threading.enumerate()) <= before


def test_container_instance_and_response_shape() -> None:
    class Fixed:
        dialect = "fixed"

        async def invoke(self, request: ContainerRequest) -> ContainerResponse:
            async def chunks() -> AsyncIterator[bytes]:
                yield b"a"
                yield b"b"

            return ContainerResponse(
                status=200, content_type="application/x-fixed", stream=chunks()
            )

        async def ping(self) -> bool:
            return True

        async def close(self) -> None:
            pass

    with LocalEndpoint(container=Fixed()) as served:
        response = served.client().invoke_endpoint(
            EndpointName=served.endpoint_name, Body=b"anything"
        )
        assert response["Body"].read() == b"ab"
        assert response["ContentType"] == "application/x-fixed"


def test_body_size_limit(client: Any) -> None:
    response = client.invoke_endpoint(  # 5 MB: under the 6 MiB limit
        EndpointName="tgi-words",
        ContentType="application/json",
        Body=json.dumps({"inputs": "x" * 5_000_000}).encode(),
    )
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    response["Body"].read()
    with pytest.raises(ClientError) as caught:
        client.invoke_endpoint(
            EndpointName="tgi-words",
            ContentType="application/json",
            Body=json.dumps({"inputs": "x" * 7_000_000}).encode(),
        )
    assert caught.value.response["Error"]["Code"] == "ValidationError"
    assert "6291456" in caught.value.response["Error"]["Message"]


@pytest.mark.parametrize(
    ("model", "expected"),
    [("echo", "Say this back"), ("reader", None)],
)
def test_built_in_models_by_name(model: str, expected: str | None) -> None:
    with LocalEndpoint(model=model) as served:
        raw = json.dumps(
            {"inputs": "Say this back", "parameters": {"return_full_text": False}}
        )
        response = served.client().invoke_endpoint(
            EndpointName=served.endpoint_name, ContentType="application/json", Body=raw
        )
        [result] = json.loads(response["Body"].read())
    assert isinstance(result["generated_text"], str) and result["generated_text"]
    if expected is not None:
        assert result["generated_text"] == expected


def test_unknown_model_name() -> None:
    with pytest.raises(ValueError, match="Unknown model 'nope'"):
        LocalEndpoint(model="nope")


_SERVE = """
import sys
from langchain_sagemaker.local.server import serve_forever

class Words:
    name = "words"
    def generate(self, prompt):
        yield from ["Hi", "!"]

serve_forever("127.0.0.1", 0, model=Words(), endpoint_name="cli")
"""


def test_serve_forever_prints_and_stops_on_sigterm() -> None:
    import signal
    import subprocess
    import sys

    process = subprocess.Popen(
        [sys.executable, "-W", "error", "-c", _SERVE],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        second = process.stdout.readline()
        assert first.startswith("SageMaker Runtime endpoint 'cli' at http://127.0.0.1:")
        url = first.rsplit(" ", 1)[1].strip()
        assert second.strip() == (
            f"export AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME={url} "
            "AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1"
        )
        client = boto3.client(
            "sagemaker-runtime",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        try:
            response = client.invoke_endpoint(
                EndpointName="cli", ContentType="application/json", Body=body()
            )
            assert json.loads(response["Body"].read()) == [{"generated_text": "Q: Hi!"}]
        finally:
            client.close()
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=20)
        assert process.returncode == 0, errors
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)
