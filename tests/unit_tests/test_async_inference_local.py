"""The local runtime's ``InvokeEndpointAsync``, in-process with a stub S3."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from botocore.exceptions import ClientError

from langchain_sagemaker.local.async_inference import (
    FAILURE_LOCATION_HEADER,
    OUTPUT_LOCATION_HEADER,
    AsyncInferenceOptions,
    AsyncJob,
    AsyncJobLog,
)
from langchain_sagemaker.local.runtime import SageMakerRuntime
from langchain_sagemaker.local.server import build_container


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def read(self) -> bytes:
        return self._data

    def close(self) -> None:
        pass


class StubS3:
    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str]] = {}

    def get_object(self, *, Bucket: str, Key: str) -> dict[str, Any]:
        uri = f"s3://{Bucket}/{Key}"
        if uri not in self.objects:
            raise ClientError({"Error": {"Code": "NoSuchKey"}}, "GetObject")
        return {"Body": _Body(self.objects[uri][0])}

    def put_object(
        self, *, Bucket: str, Key: str, Body: bytes, ContentType: str = ""
    ) -> None:
        self.objects[f"s3://{Bucket}/{Key}"] = (Body, ContentType)


def _runtime(s3: StubS3, **options: Any) -> SageMakerRuntime:
    runtime = SageMakerRuntime(
        async_inference=AsyncInferenceOptions(s3_client=s3, **options)
    )
    runtime.add_endpoint("echo", build_container("tgi", "echo"))
    return runtime


def _prompt(text: str) -> bytes:
    return json.dumps(
        {"inputs": text, "parameters": {"return_full_text": False}}
    ).encode()


async def test_accepts_then_writes_the_output() -> None:
    s3 = StubS3()
    s3.objects["s3://in/q.json"] = (_prompt("hello"), "application/json")
    runtime = _runtime(s3, output_s3_uri="s3://out/results")
    async with TestClient(TestServer(runtime.app())) as client:
        response = await client.post(
            "/endpoints/echo/async-invocations",
            headers={
                "X-Amzn-SageMaker-InputLocation": "s3://in/q.json",
                "X-Amzn-SageMaker-Content-Type": "application/json",
                "X-Amzn-SageMaker-Inference-Id": "id-1",
            },
        )
        assert response.status == 202
        assert await response.json() == {"InferenceId": "id-1"}
        assert response.headers[OUTPUT_LOCATION_HEADER] == "s3://out/results/id-1.out"
        assert response.headers[FAILURE_LOCATION_HEADER] == (
            "s3://in/async-inference/failures/id-1-error.out"
        )
        for _ in range(100):
            if runtime.async_inference.jobs.in_flight == 0:
                break
            await asyncio.sleep(0.01)
    body, content_type = s3.objects["s3://out/results/id-1.out"]
    assert json.loads(body) == [{"generated_text": "hello"}]
    assert content_type == "application/json"
    assert runtime.log[-1].operation == "InvokeEndpointAsync"


async def test_shutdown_cancels_the_queue() -> None:
    s3 = StubS3()
    runtime = _runtime(s3, delay_s=30)
    async with TestClient(TestServer(runtime.app())) as client:
        response = await client.post(
            "/endpoints/echo/async-invocations",
            headers={"X-Amzn-SageMaker-InputLocation": "s3://in/q.json"},
        )
        assert response.status == 202
    assert [job.status for job in runtime.async_inference.jobs] == ["cancelled"]
    assert s3.objects == {}


async def test_an_expired_request_writes_a_failure() -> None:
    s3 = StubS3()
    runtime = _runtime(s3)
    inference = runtime.async_inference
    job = AsyncJob(
        inference_id="old",
        endpoint_name="echo",
        input_location="s3://in/q.json",
        output_location="s3://out/old.out",
        failure_location="s3://out/old-error.out",
        request_ttl_s=60,
    )
    inference.jobs.begin(job)
    job.submitted = time.monotonic() - 61
    await inference._run_job(job, runtime.endpoints["echo"], None, None)
    assert job.status == "expired"
    failure, content_type = s3.objects["s3://out/old-error.out"]
    assert b"expired" in failure and b"RequestTTLSeconds" in failure
    assert content_type == "text/plain"
    assert inference.jobs.in_flight == 0


def test_default_and_configured_locations() -> None:
    runtime = _runtime(StubS3())
    inference = runtime.async_inference
    assert inference._locations("echo", {"InputLocation": "s3://in/x"}, "i") == (
        "s3://in/async-inference/output/i.out",
        "s3://in/async-inference/failures/i-error.out",
    )
    assert inference._locations("echo", {}, "i")[0] == (
        "s3://sagemaker-us-east-1-123456789012/async-inference/output/i.out"
    )
    inference.configure(
        "echo", output_s3_uri="s3://o/p/", failure_s3_uri="s3://f", delay_s=2
    )
    assert inference._locations("echo", {"S3OutputPathExtension": "/x/"}, "i") == (
        "s3://o/p/x/i.out",
        "s3://f/x/i-error.out",
    )
    assert inference._delay("echo") == 2
    with pytest.raises(ValueError, match="s3://"):
        inference.configure("echo", output_s3_uri="o/p")


@pytest.mark.parametrize(
    "options",
    [
        {"output_s3_uri": "bucket/prefix"},
        {"failure_s3_uri": "s3:///x"},
        {"delay_s": -1},
        {"max_concurrent_invocations": 0},
    ],
)
def test_bad_options(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        AsyncInferenceOptions(**options)


def test_job_log_counts_each_job_once() -> None:
    log = AsyncJobLog()
    jobs = [AsyncJob(f"i{n}", "e", None, "s3://b/o", "s3://b/f") for n in range(3)]
    for job in jobs:
        log.begin(job)
    assert (log.in_flight, log.max_in_flight) == (3, 3)
    log.end(jobs[0], "succeeded")
    log.end(jobs[0], "failed", "ignored")
    assert jobs[0].status == "succeeded" and jobs[0].failure is None
    assert not log.wait_idle(0.01)
    log.end(jobs[1], "failed", "boom")
    log.end(jobs[2], "cancelled")
    assert log.wait_idle(0.01)
    log.clear()
    assert (len(log), log.max_in_flight) == (0, 0)
    assert log.get("i1") is None
