"""SagemakerAsyncEndpoint with stub clients: requests, polling, errors, jobs."""

from __future__ import annotations

import asyncio
import json
import pickle
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError, ParamValidationError
from pydantic import ValidationError

import langchain_sagemaker.async_inference as mod
from langchain_sagemaker import LLMContentHandler
from langchain_sagemaker.async_inference import (
    AsyncInferenceFailedError,
    AsyncInferenceJob,
    AsyncInferenceTimeoutError,
    SagemakerAsyncEndpoint,
    _Backoff,
)
from langchain_sagemaker.errors import (
    ConfigurationError,
    EndpointNotFoundError,
    SagemakerEndpointError,
)

BUCKET = "bucket"


def _missing(operation: str, code: str = "NoSuchKey") -> ClientError:
    status = 404
    return ClientError(
        {"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}},
        operation,
    )


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data
        self.closed = False

    def read(self) -> bytes:
        return self._data

    def close(self) -> None:
        self.closed = True


class FakeS3:
    """A dict of objects behind the four S3 calls the class makes."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}
        self.calls: list[str] = []

    def put_object(self, *, Bucket: str, Key: str, Body: bytes, **_: Any) -> None:
        self.calls.append("put")
        self.objects[(Bucket, Key)] = Body

    def get_object(self, *, Bucket: str, Key: str) -> dict[str, Any]:
        self.calls.append("get")
        if (Bucket, Key) not in self.objects:
            raise _missing("GetObject")
        return {"Body": _Body(self.objects[(Bucket, Key)])}

    def head_object(self, *, Bucket: str, Key: str) -> dict[str, Any]:
        self.calls.append("head")
        if (Bucket, Key) not in self.objects:
            raise _missing("HeadObject", "404")
        return {}

    def delete_object(self, *, Bucket: str, Key: str) -> None:
        self.calls.append("delete")
        self.objects.pop((Bucket, Key), None)

    def write(self, uri: str, data: bytes) -> None:
        bucket, _, key = uri[5:].partition("/")
        self.objects[(bucket, key)] = data

    def has(self, uri: str) -> bool:
        bucket, _, key = uri[5:].partition("/")
        return (bucket, key) in self.objects


class FakeRuntime:
    """``invoke_endpoint_async`` that answers (optionally) by writing to FakeS3."""

    def __init__(self, s3: FakeS3, answer: bytes | None = None) -> None:
        self.s3 = s3
        self.answer = answer
        self.failure: bytes | None = None
        self.calls: list[dict[str, Any]] = []
        self.error: Exception | None = None

    def invoke_endpoint_async(self, **params: Any) -> dict[str, Any]:
        self.calls.append(params)
        if self.error is not None:
            raise self.error
        inference_id = params["InferenceId"]
        output = f"s3://{BUCKET}/out/{inference_id}.out"
        failure = f"s3://{BUCKET}/fail/{inference_id}-error.out"
        if self.answer is not None:
            self.s3.write(output, self.answer)
        if self.failure is not None:
            self.s3.write(failure, self.failure)
        return {
            "InferenceId": inference_id,
            "OutputLocation": output,
            "FailureLocation": failure,
        }


def _tgi(text: str) -> bytes:
    return json.dumps([{"generated_text": text}]).encode()


def _llm(
    answer: bytes | None = None, **kwargs: Any
) -> tuple[SagemakerAsyncEndpoint, FakeRuntime, FakeS3]:
    s3 = FakeS3()
    runtime = FakeRuntime(s3, answer)
    kwargs.setdefault("input_s3_uri", f"s3://{BUCKET}/in/")
    kwargs.setdefault("output_poll_interval", 0.001)
    kwargs.setdefault("output_poll_max_interval", 0.002)
    llm = SagemakerAsyncEndpoint(
        endpoint_name="ep",
        region_name="us-east-1",
        client=runtime,
        s3_client=s3,
        **kwargs,
    )
    return llm, runtime, s3


# -- requests -------------------------------------------------------------------


def test_request_parameters_and_upload() -> None:
    llm, runtime, s3 = _llm(
        _tgi("hi"),
        model_kwargs={"max_new_tokens": 8},
        request_ttl_seconds=600,
        invocation_timeout_seconds=120,
        custom_attributes="trace=1",
        accept_eula=True,
        cleanup_input=False,
    )
    job = llm.submit("Hello", stop=["\n"])
    params = runtime.calls[0]
    assert params["EndpointName"] == "ep"
    assert params["ContentType"] == "application/json"
    assert params["Accept"] == "application/json"
    assert params["RequestTTLSeconds"] == 600
    assert params["InvocationTimeoutSeconds"] == 120
    assert params["CustomAttributes"] == "accept_eula=true;trace=1"
    assert params["InputLocation"] == job.input_location
    assert params["InputLocation"].startswith(f"s3://{BUCKET}/in/")
    assert params["InputLocation"].endswith(f"{params['InferenceId']}.json")
    body = json.loads(s3.objects[(BUCKET, params["InputLocation"][12:])])
    assert body["inputs"] == "Hello"
    assert body["parameters"]["max_new_tokens"] == 8
    assert body["parameters"]["stop"] == ["\n"]
    assert job.inference_id == params["InferenceId"]
    assert job.endpoint_name == "ep"
    assert job.stop == ("\n",)


def test_each_job_gets_its_own_inference_id_and_input_key() -> None:
    llm, _runtime, _ = _llm(_tgi("x"))
    first, second = llm.submit("a"), llm.submit("b")
    assert first.inference_id != second.inference_id
    assert first.input_location != second.input_location


def test_endpoint_kwargs_set_the_inference_id() -> None:
    llm, runtime, _ = _llm(_tgi("x"))
    job = llm.submit("a", endpoint_kwargs={"InferenceId": "mine", "Filename": "f"})
    assert job.inference_id == "mine"
    assert runtime.calls[0]["Filename"] == "f"
    assert "mine" not in (job.input_location or "")


@pytest.mark.parametrize("key", ["InputLocation", "Body", "TargetVariant"])
def test_endpoint_kwargs_the_api_does_not_take(key: str) -> None:
    llm, _, _ = _llm()
    with pytest.raises(ConfigurationError, match=key):
        llm.submit("a", endpoint_kwargs={key: "x"})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"RequestTTLSeconds": "soon"}, "Invalid type for parameter RequestTTLSeconds"),
        ({"CustomAttributes": 5}, "Invalid type for parameter CustomAttributes"),
    ],
)
def test_mistyped_endpoint_kwargs_are_refused_before_anything_is_sent(
    kwargs: dict[str, Any], message: str
) -> None:
    # with a runtime client built here (botocore's per-call check is off)
    s3 = FakeS3()
    llm = SagemakerAsyncEndpoint(
        endpoint_name="ep",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="testing",  # type: ignore[arg-type]
        aws_secret_access_key="testing",  # type: ignore[arg-type]
        s3_client=s3,
        input_s3_uri=f"s3://{BUCKET}/in/",
    )
    with pytest.raises(ParamValidationError, match=message):
        llm.submit("a", endpoint_kwargs=kwargs)
    assert s3.calls == []


@pytest.mark.parametrize(
    "field",
    [
        "inference_component_name",
        "target_variant",
        "target_model",
        "target_container_hostname",
        "session_id",
        "enable_explanations",
    ],
)
def test_options_asynchronous_endpoints_do_not_take(field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        _llm(**{field: "x"})


def test_a_fixed_inference_id_is_refused() -> None:
    with pytest.raises(ValidationError, match="InferenceId"):
        _llm(inference_id="same-for-all")


@pytest.mark.parametrize("uri", ["bucket/prefix", "https://b/x", "s3://"])
def test_bad_input_uri(uri: str) -> None:
    with pytest.raises(ValidationError, match="s3://"):
        _llm(input_s3_uri=uri)


def test_missing_input_uri_or_endpoint_name() -> None:
    llm, _, _ = _llm(input_s3_uri=None)
    with pytest.raises(ConfigurationError, match="input_s3_uri"):
        llm.submit("x")
    llm, _, _ = _llm()
    llm.endpoint_name = ""
    with pytest.raises(ConfigurationError, match="endpoint_name"):
        llm.submit("x")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"request_ttl_seconds": 59},
        {"request_ttl_seconds": 21601},
        {"invocation_timeout_seconds": 0},
        {"invocation_timeout_seconds": 3601},
        {"output_poll_backoff": 0.5},
        {"timeout": 0},
    ],
)
def test_field_ranges(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        _llm(**kwargs)


# -- results -------------------------------------------------------------------


def test_invoke_reads_the_output_and_cleans_up() -> None:
    llm, runtime, s3 = _llm(_tgi("one two. three"))
    assert llm.invoke("q", stop=["."]) == "one two"
    location = runtime.calls[0]["InputLocation"]
    assert not s3.has(location)
    assert "delete" in s3.calls


def test_generation_info_names_the_job() -> None:
    llm, _, _ = _llm(_tgi("x"))
    info = llm.generate(["q"]).generations[0][0].generation_info
    assert info is not None
    assert info["output_location"] == f"s3://{BUCKET}/out/{info['inference_id']}.out"


def test_legacy_content_handler() -> None:
    class Handler(LLMContentHandler):
        content_type = "text/plain"
        accepts = "text/plain"

        def transform_input(self, prompt: str, model_kwargs: dict[str, Any]) -> bytes:
            return prompt.upper().encode()

        def transform_output(self, output: Any) -> str:
            return str(output.read().decode()[::-1])

    llm, runtime, s3 = _llm(b"olleh", content_handler=Handler(), cleanup_input=False)
    assert llm.invoke("hello") == "hello"
    location = runtime.calls[0]["InputLocation"]
    assert location.endswith(".in")
    assert s3.objects[(BUCKET, location[12:])] == b"HELLO"
    assert runtime.calls[0]["ContentType"] == "text/plain"


def test_failure_object_becomes_a_typed_error() -> None:
    llm, runtime, s3 = _llm()
    runtime.failure = b'Received client error (422) from primary with message "bad"'
    with pytest.raises(AsyncInferenceFailedError) as caught:
        llm.invoke("q")
    err = caught.value
    assert err.failure == runtime.failure.decode()
    assert err.job.inference_id == runtime.calls[0]["InferenceId"]
    assert err.failure_location == err.job.failure_location
    assert "(422)" in str(err)
    assert not s3.has(runtime.calls[0]["InputLocation"])


def test_timeout_keeps_the_job_and_the_input() -> None:
    llm, _runtime, s3 = _llm(timeout=0.01)
    with pytest.raises(AsyncInferenceTimeoutError) as caught:
        llm.invoke("q")
    job = caught.value.job
    assert caught.value.waited >= 0.01
    assert job.input_location is not None and s3.has(job.input_location)
    assert llm.poll(job) == "pending"
    s3.write(job.output_location, _tgi("late"))
    assert llm.poll(job) == "succeeded"
    assert llm.result(job, timeout=0) == "late"
    assert not s3.has(job.input_location)


def test_poll_does_not_download() -> None:
    llm, runtime, s3 = _llm()
    runtime.failure = b"boom"
    job = llm.submit("q")
    s3.calls.clear()
    assert llm.poll(job) == "failed"
    assert set(s3.calls) == {"head"}


def test_invoke_error_is_translated_and_the_upload_removed() -> None:
    llm, runtime, s3 = _llm()
    runtime.error = ClientError(
        {
            "Error": {"Code": "ValidationError", "Message": "Endpoint ep not found."},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        },
        "InvokeEndpointAsync",
    )
    with pytest.raises(EndpointNotFoundError):
        llm.invoke("q")
    assert s3.objects == {}


def test_s3_errors_are_typed() -> None:
    llm, _, s3 = _llm()

    def denied(**_: Any) -> None:
        raise ClientError(
            {"Error": {"Code": "AccessDenied"}, "ResponseMetadata": {}}, "PutObject"
        )

    s3.put_object = denied  # type: ignore[method-assign]
    with pytest.raises(SagemakerEndpointError) as caught:
        llm.submit("q")
    assert isinstance(caught.value, ClientError)


def test_resume_from_the_id_and_output_location_alone() -> None:
    llm, _, s3 = _llm()
    job = AsyncInferenceJob(
        inference_id="abc", output_location=f"s3://{BUCKET}/out/abc.out"
    )
    s3.write(job.output_location, _tgi("resumed"))
    assert llm.result(job) == "resumed"
    assert llm.poll(job) == "succeeded"


def test_progress_is_reported() -> None:
    llm, _, s3 = _llm()
    job = llm.submit("q")
    seen: list[tuple[str, float]] = []

    def progress(status: str, elapsed: float) -> None:
        seen.append((status, elapsed))
        if len(seen) == 3:
            s3.write(job.output_location, _tgi("done"))

    assert llm.result(job, progress=progress) == "done"
    assert [s for s, _ in seen] == ["pending", "pending", "pending", "succeeded"]


# -- waiting ---------------------------------------------------------------------


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_backoff_schedule() -> None:
    backoff = _Backoff(1.0, 2.0, 5.0)
    assert [backoff.next() for _ in range(5)] == [1.0, 2.0, 4.0, 5.0, 5.0]
    jittered = _Backoff(1.0, 1.0, 1.0, jitter=0.1)
    assert all(0.9 <= jittered.next() <= 1.0 for _ in range(50))


def test_wait_backs_off_and_stops_at_the_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = FakeTime()
    monkeypatch.setattr(mod, "time", clock)
    monkeypatch.setattr(mod.random, "uniform", lambda low, high: high)
    llm, _, s3 = _llm(
        output_poll_interval=1.0,
        output_poll_backoff=2.0,
        output_poll_max_interval=5.0,
        timeout=10.0,
    )
    job = llm.submit("q")
    s3.calls.clear()
    with pytest.raises(AsyncInferenceTimeoutError) as caught:
        llm.result(job)
    assert clock.sleeps == [1.0, 2.0, 4.0, 3.0]  # the last one cut to the deadline
    assert caught.value.waited == 10.0
    assert s3.calls.count("get") == 2 * 5  # output and failure, five checks


def test_a_fresh_job_is_not_checked_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeTime()
    monkeypatch.setattr(mod, "time", clock)
    monkeypatch.setattr(mod.random, "uniform", lambda low, high: high)
    llm, _, s3 = _llm(_tgi("ready"), output_poll_interval=2.0)
    assert llm.invoke("q") == "ready"
    assert clock.sleeps == [2.0]
    assert s3.calls.count("get") == 1


def test_timeout_zero_checks_once_and_inf_has_no_deadline() -> None:
    llm, _, s3 = _llm()
    job = llm.submit("q")
    s3.calls.clear()
    with pytest.raises(AsyncInferenceTimeoutError):
        llm.result(job, timeout=0)
    assert s3.calls == ["get", "get"]
    assert llm._deadline(float("inf")) is None
    unlimited, _, _ = _llm(timeout=None)
    assert unlimited._deadline(None) is None


# -- batch and asyncio ------------------------------------------------------------


def test_batch_keeps_the_order() -> None:
    s3 = FakeS3()

    class Echo(FakeRuntime):
        def invoke_endpoint_async(self, **params: Any) -> dict[str, Any]:
            bucket, _, key = params["InputLocation"][5:].partition("/")
            prompt = json.loads(self.s3.objects[(bucket, key)])["inputs"]
            self.answer = _tgi(prompt)
            return super().invoke_endpoint_async(**params)

    llm = SagemakerAsyncEndpoint(
        endpoint_name="ep",
        region_name="us-east-1",
        client=Echo(s3),
        s3_client=s3,
        input_s3_uri=f"s3://{BUCKET}/in",
        output_poll_interval=0.001,
        max_concurrency=4,
    )
    prompts = [f"p{i}" for i in range(20)]
    assert llm.batch(prompts) == prompts


def test_batch_error_stops_waiting_for_the_others() -> None:
    s3 = FakeS3()

    class OneBad(FakeRuntime):
        def invoke_endpoint_async(self, **params: Any) -> dict[str, Any]:
            bucket, _, key = params["InputLocation"][5:].partition("/")
            prompt = json.loads(self.s3.objects[(bucket, key)])["inputs"]
            self.failure = b"boom" if prompt == "bad" else None
            return super().invoke_endpoint_async(**params)

    runtime = OneBad(s3)
    llm = SagemakerAsyncEndpoint(
        endpoint_name="ep",
        region_name="us-east-1",
        client=runtime,
        s3_client=s3,
        input_s3_uri=f"s3://{BUCKET}/in",
        output_poll_interval=0.005,
        output_poll_max_interval=0.01,
        max_concurrency=3,
        timeout=20,
    )
    started = time.monotonic()
    with pytest.raises(AsyncInferenceFailedError) as caught:
        llm.batch(["never 1", "never 2", "bad", "never 3", "never 4", "never 5"])
    assert time.monotonic() - started < 5  # the pending ones were not waited for
    assert caught.value.failure == "boom"
    assert len(runtime.calls) < 6  # later prompts were not submitted


async def test_async_api() -> None:
    llm, _runtime, _s3 = _llm(_tgi("async"))
    job = await llm.asubmit("q")
    assert await llm.apoll(job) == "succeeded"
    assert await llm.aresult(job) == "async"
    assert await llm.ainvoke("q") == "async"
    assert await llm.abatch(["a", "b"]) == ["async", "async"]


async def test_async_timeout_then_resume() -> None:
    llm, _, s3 = _llm(timeout=0.01)
    with pytest.raises(AsyncInferenceTimeoutError) as caught:
        await llm.ainvoke("q")
    job = caught.value.job

    async def finish_later() -> None:
        await asyncio.sleep(0.02)
        s3.write(job.output_location, _tgi("later"))

    writer = asyncio.ensure_future(finish_later())
    assert await llm.aresult(job, timeout=5) == "later"
    await writer


async def test_abatch_error_cancels_the_rest() -> None:
    llm, runtime, _ = _llm()
    runtime.failure = b"boom"
    with pytest.raises(AsyncInferenceFailedError):
        await llm.abatch(["a", "b", "c"])


# -- the job handle and the errors --------------------------------------------------


def test_job_round_trips_through_json() -> None:
    job = AsyncInferenceJob(
        inference_id="i",
        output_location="s3://b/o/i.out",
        failure_location="s3://b/f/i-error.out",
        input_location="s3://b/in/i.json",
        endpoint_name="ep",
        stop=("\n",),
    )
    data = json.loads(json.dumps(job.to_dict()))
    assert data["stop"] == ["\n"]
    assert AsyncInferenceJob.from_dict({**data, "future_field": 1}) == job
    with pytest.raises(AttributeError):
        job.inference_id = "other"  # type: ignore[misc]


def test_job_checks_its_locations() -> None:
    with pytest.raises(ConfigurationError):
        AsyncInferenceJob(inference_id="i", output_location="/tmp/out")
    with pytest.raises(ConfigurationError):
        AsyncInferenceJob(
            inference_id="i", output_location="s3://b/o", failure_location="x"
        )


def test_errors_pickle_and_subclass() -> None:
    job = AsyncInferenceJob(inference_id="i", output_location="s3://b/o/i.out")
    failed = AsyncInferenceFailedError("failed", job=job, failure="boom")
    timed_out = AsyncInferenceTimeoutError("slow", job=job, waited=2.5)
    assert isinstance(failed, SagemakerEndpointError)
    assert isinstance(timed_out, SagemakerEndpointError)
    assert isinstance(timed_out, TimeoutError)
    again = pickle.loads(pickle.dumps(failed))
    assert (again.job, again.failure, str(again)) == (job, "boom", "failed")
    later = pickle.loads(pickle.dumps(timed_out))
    assert (later.job, later.waited) == (job, 2.5)


# -- the S3 client ------------------------------------------------------------------


def test_s3_client_uses_the_s3_endpoint_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keys: dict[str, Any] = {
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
    }
    llm = SagemakerAsyncEndpoint(
        endpoint_name="ep",
        region_name="eu-west-1",
        input_s3_uri="s3://b/in",
        s3_endpoint_url="http://127.0.0.1:9999",
        endpoint_url="http://127.0.0.1:8888",
        **keys,
    )
    assert llm.s3_client.meta.endpoint_url == "http://127.0.0.1:9999"
    assert llm.s3_client.meta.region_name == "eu-west-1"
    assert llm.client.meta.endpoint_url == "http://127.0.0.1:8888"
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:7777")
    from_env = SagemakerAsyncEndpoint(
        endpoint_name="ep", region_name="eu-west-1", input_s3_uri="s3://b/in", **keys
    )
    assert from_env.s3_client.meta.endpoint_url == "http://127.0.0.1:7777"


def test_public_names() -> None:
    import langchain_sagemaker

    for name in (
        "AsyncInferenceFailedError",
        "AsyncInferenceJob",
        "AsyncInferenceTimeoutError",
        "SagemakerAsyncEndpoint",
    ):
        assert name in langchain_sagemaker.__all__
        assert getattr(langchain_sagemaker, name) is getattr(mod, name)
