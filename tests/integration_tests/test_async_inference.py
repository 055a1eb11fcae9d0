"""SagemakerAsyncEndpoint over real HTTP: boto3 -> LocalEndpoint, S3 on moto's server."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from langchain_sagemaker import LLMContentHandler
from langchain_sagemaker.async_inference import (
    AsyncInferenceFailedError,
    AsyncInferenceJob,
    AsyncInferenceTimeoutError,
    SagemakerAsyncEndpoint,
)
from langchain_sagemaker.errors import EndpointNotFoundError, SagemakerEndpointError
from langchain_sagemaker.local import LocalEndpoint

BUCKET = "lsm-async-inference"
QA = (
    "Context: The museum in Bergen opened in 1825 and holds 3,000 paintings.\n"
    "Question: When did the museum open?\nAnswer:"
)
KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@pytest.fixture(scope="module")
def s3_url() -> Iterator[str]:
    """moto's S3 server on 127.0.0.1, with one bucket."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    client = boto3.client("s3", region_name="us-east-1", endpoint_url=url, **KEYS)
    client.create_bucket(Bucket=BUCKET)
    client.close()
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture(scope="module")
def async_endpoint(s3_url: str) -> Iterator[LocalEndpoint]:
    with LocalEndpoint(
        endpoint_name="echo",
        model="echo",
        s3_endpoint_url=s3_url,
        async_output_s3_uri=f"s3://{BUCKET}/output",
        async_failure_s3_uri=f"s3://{BUCKET}/failures",
        async_delay_s=0.01,
    ) as ep:
        ep.add_endpoint("reader", model="reader")
        yield ep


@pytest.fixture
def s3(s3_url: str) -> Iterator[Any]:
    client = boto3.client("s3", region_name="us-east-1", endpoint_url=s3_url, **KEYS)
    yield client
    client.close()


@pytest.fixture
def make_llm(async_endpoint: LocalEndpoint, s3_url: str) -> Any:
    def make(name: str = "echo", **kwargs: Any) -> SagemakerAsyncEndpoint:
        kwargs.setdefault("input_s3_uri", f"s3://{BUCKET}/inputs")
        kwargs.setdefault("output_poll_interval", 0.02)
        kwargs.setdefault("output_poll_max_interval", 0.1)
        kwargs.setdefault("timeout", 20)
        return SagemakerAsyncEndpoint(
            endpoint_name=name,
            region_name=async_endpoint.region_name,
            endpoint_url=async_endpoint.url,
            s3_endpoint_url=s3_url,
            **KEYS,  # type: ignore[arg-type]
            **kwargs,
        )

    return make


def _exists(s3: Any, uri: str) -> bool:
    bucket, _, key = uri[5:].partition("/")
    return bool(s3.list_objects_v2(Bucket=bucket, Prefix=key).get("KeyCount"))


def _read(s3: Any, uri: str) -> bytes:
    bucket, _, key = uri[5:].partition("/")
    return bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def _idle(endpoint: LocalEndpoint) -> None:
    assert endpoint.async_jobs.wait_idle(15), "async jobs still running"


# -- success -------------------------------------------------------------------


def test_invoke_answers_through_s3(
    make_llm: Any, async_endpoint: LocalEndpoint, s3: Any
) -> None:
    llm = make_llm("reader")
    assert "1825" in llm.invoke(QA)
    record = [
        r for r in async_endpoint.requests if r.operation == "InvokeEndpointAsync"
    ][-1]
    location = record.parameters["InputLocation"]
    assert location.startswith(f"s3://{BUCKET}/inputs/")
    assert record.parameters["ContentType"] == "application/json"
    assert record.status == 202
    job = async_endpoint.async_jobs.get(record.parameters["InferenceId"])
    assert job is not None and job.status == "succeeded"
    assert job.output_location == f"s3://{BUCKET}/output/{job.inference_id}.out"
    assert _exists(s3, job.output_location)
    assert not _exists(s3, location)  # cleanup_input


def test_stop_sequences_and_generation_info(make_llm: Any) -> None:
    llm = make_llm("echo")
    result = llm.generate(["one two. three four"], stop=["."])
    generation = result.generations[0][0]
    assert generation.text == "one two"
    info = generation.generation_info
    assert info is not None
    assert info["finish_reason"] == "stop"
    assert info["output_location"].endswith(f"/{info['inference_id']}.out")


def test_request_options_reach_the_runtime(
    make_llm: Any, async_endpoint: LocalEndpoint, s3: Any
) -> None:
    llm = make_llm(
        "echo",
        request_ttl_seconds=120,
        invocation_timeout_seconds=30,
        custom_attributes="trace=abc",
        cleanup_input=False,
    )
    job = llm.submit("hello", endpoint_kwargs={"InferenceId": "report-7"})
    assert job.inference_id == "report-7"
    assert job.output_location == f"s3://{BUCKET}/output/report-7.out"
    assert job.failure_location == f"s3://{BUCKET}/failures/report-7-error.out"
    assert llm.result(job) == "hello"
    record = async_endpoint.async_jobs.get("report-7")
    assert record is not None
    assert record.request_ttl_s == 120
    assert record.invocation_timeout_s == 30
    assert record.custom_attributes == "trace=abc"
    assert job.input_location is not None and _exists(s3, job.input_location)


# -- failures -------------------------------------------------------------------


def test_model_failure_carries_the_failure_object(make_llm: Any, s3: Any) -> None:
    llm = make_llm("echo", model_kwargs={"top_k": -5})
    with pytest.raises(AsyncInferenceFailedError) as caught:
        llm.invoke("x")
    err = caught.value
    assert isinstance(err, SagemakerEndpointError)
    assert "(422)" in err.failure and "top_k" in err.failure
    assert err.failure_location is not None
    assert _read(s3, err.failure_location).decode() == err.failure
    assert err.job.input_location is not None
    assert not _exists(s3, err.job.input_location)
    assert err.endpoint_name == "echo"


def test_injected_model_error_becomes_a_failure(make_llm: Any) -> None:
    llm = make_llm("echo", custom_attributes="lsm-fault=model-error:503")
    with pytest.raises(AsyncInferenceFailedError) as caught:
        llm.invoke("x")
    assert "server error (503)" in caught.value.failure
    assert "Injected model error" in caught.value.failure


def test_unknown_endpoint_is_typed(make_llm: Any, s3: Any) -> None:
    llm = make_llm("nope")
    with pytest.raises(EndpointNotFoundError):
        llm.invoke("x")


# -- timeout and resume ---------------------------------------------------------


def test_timeout_carries_the_job_then_resumes(make_llm: Any, s3: Any) -> None:
    llm = make_llm("echo", custom_attributes="lsm-fault=latency:700", timeout=0.2)
    with pytest.raises(AsyncInferenceTimeoutError) as caught:
        llm.invoke("slow answer")
    err = caught.value
    assert isinstance(err, TimeoutError)
    assert err.waited >= 0.2
    job = err.job
    assert llm.poll(job) == "pending"
    assert job.input_location is not None
    assert _exists(s3, job.input_location)  # kept while the job runs
    assert llm.result(job, timeout=10) == "slow answer"
    assert llm.poll(job) == "succeeded"
    assert not _exists(s3, job.input_location)


def test_resume_from_id_and_output_location_in_a_new_client(make_llm: Any) -> None:
    job = make_llm("echo").submit("resume me")
    saved = json.dumps(job.to_dict())
    fresh = make_llm("echo")
    bare = AsyncInferenceJob(
        inference_id=job.inference_id, output_location=job.output_location
    )
    assert fresh.result(bare) == "resume me"
    assert fresh.result(AsyncInferenceJob.from_dict(json.loads(saved))) == "resume me"


def test_poll_reports_each_status(make_llm: Any) -> None:
    slow = make_llm("echo", custom_attributes="lsm-fault=latency:400")
    job = slow.submit("x")
    assert slow.poll(job) == "pending"
    broken = make_llm("echo", model_kwargs={"top_k": -5})
    failing = broken.submit("x")
    statuses: list[str] = []
    with pytest.raises(AsyncInferenceFailedError):
        broken.result(failing, progress=lambda status, _: statuses.append(status))
    assert statuses[-1] == "failed"
    assert broken.poll(failing) == "failed"
    seen: list[tuple[str, float]] = []
    assert slow.result(job, progress=lambda s, t: seen.append((s, t))) == "x"
    assert seen[-1][0] == "succeeded"
    assert [t for _, t in seen] == sorted(t for _, t in seen)


# -- many jobs --------------------------------------------------------------------


PROMPTS = [f"prompt number {i}" for i in range(100)]
BOUND = 10


def test_batch_100_jobs_in_order_with_bounded_concurrency(
    make_llm: Any, async_endpoint: LocalEndpoint
) -> None:
    _idle(async_endpoint)
    async_endpoint.async_jobs.clear()
    llm = make_llm("echo", max_concurrency=BOUND, cleanup_input=False)
    assert llm.batch(PROMPTS) == PROMPTS
    jobs = async_endpoint.async_jobs.jobs
    assert len(jobs) == 100
    assert {j.status for j in jobs} == {"succeeded"}
    assert 2 <= async_endpoint.async_jobs.max_in_flight <= BOUND


async def test_abatch_100_jobs_in_order_with_bounded_concurrency(
    make_llm: Any, async_endpoint: LocalEndpoint
) -> None:
    _idle(async_endpoint)
    async_endpoint.async_jobs.clear()
    llm = make_llm("echo", max_concurrency=BOUND, cleanup_input=False)
    assert await llm.abatch(PROMPTS) == PROMPTS
    assert len(async_endpoint.async_jobs) == 100
    assert 2 <= async_endpoint.async_jobs.max_in_flight <= BOUND


class _BadPromptHandler(LLMContentHandler):
    content_type = "application/json"
    accepts = "application/json"

    def transform_input(self, prompt: str, model_kwargs: dict[str, Any]) -> bytes:
        parameters = {"top_k": -5} if prompt == "bad" else {}
        return json.dumps({"inputs": prompt, "parameters": parameters}).encode()

    def transform_output(self, output: Any) -> str:
        return str(json.loads(output.read())[0]["generated_text"])


def test_batch_failure_stops_submitting(
    make_llm: Any, async_endpoint: LocalEndpoint
) -> None:
    _idle(async_endpoint)
    async_endpoint.async_jobs.clear()
    llm = make_llm("echo", max_concurrency=2, content_handler=_BadPromptHandler())
    prompts = ["bad"] + [f"ok {i}" for i in range(29)]
    with pytest.raises(AsyncInferenceFailedError):
        llm.batch(prompts)
    assert len(async_endpoint.async_jobs) < len(prompts)


# -- asyncio ------------------------------------------------------------------------


async def test_async_job_api(make_llm: Any) -> None:
    llm = make_llm("echo")
    job = await llm.asubmit("from asyncio")
    assert await llm.apoll(job) in ("pending", "succeeded")
    assert await llm.aresult(job) == "from asyncio"
    assert await llm.apoll(job) == "succeeded"
    assert await llm.ainvoke("again") == "again"


async def test_async_failure_and_timeout_then_resume(make_llm: Any) -> None:
    broken = make_llm("echo", model_kwargs={"top_k": -5})
    with pytest.raises(AsyncInferenceFailedError) as failed:
        await broken.ainvoke("x")
    assert "(422)" in failed.value.failure
    slow = make_llm("echo", custom_attributes="lsm-fault=latency:500", timeout=0.1)
    with pytest.raises(AsyncInferenceTimeoutError) as caught:
        await slow.ainvoke("later")
    assert await slow.aresult(caught.value.job, timeout=10) == "later"


async def test_waiting_does_not_block_the_event_loop(make_llm: Any) -> None:
    llm = make_llm("echo", custom_attributes="lsm-fault=latency:300")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.ensure_future(ticker())
    try:
        assert await llm.ainvoke("tick") == "tick"
    finally:
        task.cancel()
    assert ticks >= 10
