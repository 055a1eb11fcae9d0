"""The local ``InvokeEndpointAsync`` on the wire (boto3), and ``invoke --async``."""

from __future__ import annotations

import itertools
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from langchain_sagemaker.cli import EXIT_MODEL, EXIT_OK, EXIT_TIMEOUT, EXIT_USAGE, main
from langchain_sagemaker.local import LocalEndpoint
from tests.integration_tests.test_async_inference import (  # noqa: F401 - fixtures
    BUCKET,
    async_endpoint,
    s3,
    s3_url,
)

NO_RETRY = Config(retries={"total_max_attempts": 1})


@pytest.fixture(scope="module")
def client(async_endpoint: LocalEndpoint) -> Any:  # noqa: F811
    return async_endpoint.client(config=NO_RETRY)


def _put(s3: Any, key: str, prompt: str = "hello wire") -> str:  # noqa: F811
    body = {"inputs": prompt, "parameters": {"return_full_text": False}}
    s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(body))
    return f"s3://{BUCKET}/{key}"


def _read(s3: Any, uri: str) -> tuple[bytes, str]:  # noqa: F811
    bucket, _, key = uri[5:].partition("/")
    response = s3.get_object(Bucket=bucket, Key=key)
    return bytes(response["Body"].read()), str(response["ContentType"])


def _wait(endpoint: LocalEndpoint) -> None:
    assert endpoint.async_jobs.wait_idle(15)


# -- the API call ------------------------------------------------------------------


def test_accepted_with_202_and_the_locations(
    client: Any,
    s3: Any,  # noqa: F811
    async_endpoint: LocalEndpoint,  # noqa: F811
) -> None:
    location = _put(s3, "wire/one.json")
    response = client.invoke_endpoint_async(
        EndpointName="echo",
        InputLocation=location,
        ContentType="application/json",
        Accept="application/json",
        InferenceId="wire-1",
    )
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert response["InferenceId"] == "wire-1"
    assert response["OutputLocation"] == f"s3://{BUCKET}/output/wire-1.out"
    assert response["FailureLocation"] == f"s3://{BUCKET}/failures/wire-1-error.out"
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amzn-sagemaker-outputlocation"] == response["OutputLocation"]
    _wait(async_endpoint)
    body, content_type = _read(s3, response["OutputLocation"])
    assert json.loads(body) == [{"generated_text": "hello wire"}]
    assert content_type == "application/json"
    record = async_endpoint.requests[-1]
    assert record.operation == "InvokeEndpointAsync"
    assert record.status == 202
    assert record.parameters["InputLocation"] == location
    assert record.parameters["Accept"] == "application/json"
    job = async_endpoint.async_jobs.get("wire-1")
    assert job is not None and job.status == "succeeded"
    assert job.started is not None and job.finished is not None


def test_an_inference_id_is_generated_when_absent(
    client: Any,
    s3: Any,  # noqa: F811
) -> None:
    response = client.invoke_endpoint_async(
        EndpointName="echo", InputLocation=_put(s3, "wire/two.json")
    )
    assert uuid.UUID(response["InferenceId"])
    assert response["OutputLocation"].endswith(f"/{response['InferenceId']}.out")


def test_path_extension_and_filename(
    client: Any,
    s3: Any,  # noqa: F811
    async_endpoint: LocalEndpoint,  # noqa: F811
) -> None:
    response = client.invoke_endpoint_async(
        EndpointName="echo",
        InputLocation=_put(s3, "wire/three.json"),
        ContentType="application/json",
        InferenceId="wire-3",
        S3OutputPathExtension="team-a/2024",
        Filename="answer.json",
    )
    assert response["OutputLocation"] == f"s3://{BUCKET}/output/team-a/2024/answer.json"
    assert response["FailureLocation"] == (
        f"s3://{BUCKET}/failures/team-a/2024/wire-3-error.out"
    )
    _wait(async_endpoint)
    assert b"hello wire" in _read(s3, response["OutputLocation"])[0]


def test_inline_body(
    client: Any,
    s3: Any,  # noqa: F811
    async_endpoint: LocalEndpoint,  # noqa: F811
) -> None:
    response = client.invoke_endpoint_async(
        EndpointName="echo",
        Body=json.dumps({"inputs": "inline payload"}).encode(),
        ContentType="application/json",
    )
    _wait(async_endpoint)
    assert b"inline payload" in _read(s3, response["OutputLocation"])[0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "Either InputLocation or Body"),
        (
            {"InputLocation": f"s3://{BUCKET}/x", "Body": b"{}"},
            "mutually exclusive",
        ),
        ({"InputLocation": "ftp://bucket/x"}, "'inputLocation' failed to satisfy"),
        (
            {"InputLocation": f"s3://{BUCKET}/x", "RequestTTLSeconds": 21601},
            "less than or equal to 21600",
        ),
        (
            {"InputLocation": f"s3://{BUCKET}/x", "InvocationTimeoutSeconds": 3601},
            "less than or equal to 3600",
        ),
    ],
)
def test_validation_errors(
    client: Any,
    async_endpoint: LocalEndpoint,  # noqa: F811
    kwargs: dict[str, Any],
    message: str,
) -> None:
    before = len(async_endpoint.async_jobs)
    with pytest.raises(ClientError) as caught:
        client.invoke_endpoint_async(EndpointName="echo", **kwargs)
    error = caught.value.response
    assert error["Error"]["Code"] == "ValidationError"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert message in error["Error"]["Message"]
    assert len(async_endpoint.async_jobs) == before


def test_unknown_endpoint(client: Any) -> None:
    with pytest.raises(ClientError) as caught:
        client.invoke_endpoint_async(
            EndpointName="missing", InputLocation=f"s3://{BUCKET}/x"
        )
    assert caught.value.response["Error"]["Code"] == "ValidationError"
    assert "Endpoint missing of account" in str(caught.value)


def test_error_faults_answer_the_call_itself(
    client: Any,
    async_endpoint: LocalEndpoint,  # noqa: F811
) -> None:
    before = len(async_endpoint.async_jobs)
    with pytest.raises(ClientError) as caught:
        client.invoke_endpoint_async(
            EndpointName="echo",
            InputLocation=f"s3://{BUCKET}/x",
            CustomAttributes="lsm-fault=throttle-429",
        )
    assert caught.value.response["Error"]["Code"] == "ThrottlingException"
    assert len(async_endpoint.async_jobs) == before


# -- the background job ---------------------------------------------------------------


def test_missing_input_object_writes_a_failure(
    client: Any,
    s3: Any,  # noqa: F811
    async_endpoint: LocalEndpoint,  # noqa: F811
) -> None:
    response = client.invoke_endpoint_async(
        EndpointName="echo", InputLocation=f"s3://{BUCKET}/wire/absent.json"
    )
    _wait(async_endpoint)
    failure, content_type = _read(s3, response["FailureLocation"])
    assert b"Failed to download the input" in failure and b"NoSuchKey" in failure
    assert content_type == "text/plain"
    job = async_endpoint.async_jobs.get(response["InferenceId"])
    assert job is not None and job.status == "failed"


def test_invocation_timeout_writes_a_failure(
    client: Any,
    s3: Any,  # noqa: F811
    async_endpoint: LocalEndpoint,  # noqa: F811
) -> None:
    response = client.invoke_endpoint_async(
        EndpointName="echo",
        InputLocation=_put(s3, "wire/slow.json"),
        InvocationTimeoutSeconds=1,
        CustomAttributes="lsm-fault=latency:3000",
    )
    _wait(async_endpoint)
    failure, _ = _read(s3, response["FailureLocation"])
    assert b"did not answer within 1 seconds" in failure


def test_processing_concurrency_queues_jobs(s3_url: str, s3: Any) -> None:  # noqa: F811
    with LocalEndpoint(
        endpoint_name="one-at-a-time",
        model="echo",
        s3_endpoint_url=s3_url,
        async_delay_s=0.1,
        async_max_concurrent_invocations=1,
    ) as endpoint:
        client = endpoint.client()
        location = _put(s3, "wire/queued.json")
        for _ in range(3):
            client.invoke_endpoint_async(
                EndpointName="one-at-a-time",
                InputLocation=location,
                ContentType="application/json",
            )
        assert endpoint.async_jobs.wait_idle(15)
        jobs = endpoint.async_jobs.jobs
        assert [j.status for j in jobs] == ["succeeded"] * 3
        assert endpoint.async_jobs.max_in_flight == 3  # accepted at once
        spans = sorted((j.started or 0, j.finished or 0) for j in jobs)
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert start >= end  # processed one at a time
        assert _read(s3, jobs[0].output_location)[0]  # default output location
        assert jobs[0].output_location.startswith(
            f"s3://{BUCKET}/async-inference/output/"
        )


def test_stopping_the_server_cancels_pending_jobs(s3_url: str, s3: Any) -> None:  # noqa: F811
    endpoint = LocalEndpoint(
        endpoint_name="stalled", model="echo", s3_endpoint_url=s3_url, async_delay_s=20
    )
    with endpoint:
        endpoint.client().invoke_endpoint_async(
            EndpointName="stalled", InputLocation=_put(s3, "wire/stalled.json")
        )
        started = time.monotonic()
    assert time.monotonic() - started < 5
    assert [j.status for j in endpoint.async_jobs] == ["cancelled"]


def test_signatures_are_checked(s3_url: str, s3: Any) -> None:  # noqa: F811
    with LocalEndpoint(
        endpoint_name="signed", model="echo", s3_endpoint_url=s3_url, verify_sigv4=True
    ) as endpoint:
        location = _put(s3, "wire/signed.json")
        ok = endpoint.client().invoke_endpoint_async(
            EndpointName="signed", InputLocation=location
        )
        assert ok["ResponseMetadata"]["HTTPStatusCode"] == 202
        bad = endpoint.client(aws_secret_access_key="wrong", config=NO_RETRY)
        with pytest.raises(ClientError) as caught:
            bad.invoke_endpoint_async(EndpointName="signed", InputLocation=location)
        assert caught.value.response["Error"]["Code"] == "InvalidSignatureException"
        assert len(endpoint.async_jobs) == 1
        assert endpoint.env_vars()["AWS_ENDPOINT_URL_S3"] == s3_url


# -- langchain-sagemaker invoke --async ------------------------------------------------


@pytest.fixture
def cli_env(
    monkeypatch: pytest.MonkeyPatch,
    async_endpoint: LocalEndpoint,  # noqa: F811
) -> Iterator[None]:
    for name, value in async_endpoint.env_vars(credentials=True).items():
        monkeypatch.setenv(name, value)
    yield


def _invoke(*args: str) -> list[str]:
    return ["invoke", "echo", *args]


S3_INPUT = f"s3://{BUCKET}/cli-inputs"


def test_cli_async_prints_the_answer_and_progress(
    cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        _invoke(
            "hello from the cli", "--async", "--s3-input", S3_INPUT, "--poll", "0.05"
        )
    )
    out, err = capsys.readouterr()
    assert code == EXIT_OK, err
    assert out == "hello from the cli\n"
    assert "[async] submitted " in err
    assert f"result at s3://{BUCKET}/output/" in err
    assert ": succeeded, " in err.splitlines()[-1]


def test_cli_async_failure_exits_with_the_model_code(
    cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    args = _invoke("x", "--async", "--s3-input", S3_INPUT, "--poll", "0.05")
    code = main([*args, "--param", "top_k=-5"])
    _, err = capsys.readouterr()
    assert code == EXIT_MODEL
    assert "(422)" in err and "failed" in err


def test_cli_async_timeout_prints_the_handle(
    cli_env: None,
    capsys: pytest.CaptureFixture[str],
    async_endpoint: LocalEndpoint,  # noqa: F811
) -> None:
    async_endpoint.set_fault("latency:1500", "echo")
    try:
        code = main(_invoke("x", "--async", "--s3-input", S3_INPUT, "--timeout", "0.2"))
    finally:
        async_endpoint.set_fault(None, "echo")
    _, err = capsys.readouterr()
    assert code == EXIT_TIMEOUT
    assert "inference id: " in err
    assert f"output location: s3://{BUCKET}/output/" in err
    assert ": pending, " in err


@pytest.mark.parametrize(
    "args",
    [
        ["--async"],
        ["--s3-input", S3_INPUT],
        ["--async", "--s3-input", S3_INPUT, "--stream"],
    ],
)
def test_cli_async_usage_errors(
    cli_env: None, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    assert main(_invoke("x", *args)) == EXIT_USAGE
    assert "error: " in capsys.readouterr().err


def test_cli_rejects_a_bad_timeout(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(_invoke("x", "--async", "--timeout", "-1"))
    assert caught.value.code == 2
