"""Strict SigV4 verification of the local SageMaker Runtime."""

from __future__ import annotations

import datetime
import json
import time
import unittest.mock
from collections.abc import Iterator
from typing import Any

import botocore
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from multidict import CIMultiDict

from langchain_sagemaker.local import LocalEndpoint
from langchain_sagemaker.local.auth import SigV4Verifier

TOKENS = ["Signed", " answer"]
AK, SK = "AKIDLOCAL", "local-secret"
SINGLE = Config(retries={"total_max_attempts": 1})
BODY = json.dumps({"inputs": "Q: ", "parameters": {}}).encode()
STREAM_BODY = json.dumps({"inputs": "Q: ", "parameters": {}, "stream": True}).encode()


class Words:
    name = "words"

    def generate(self, prompt: str) -> Iterator[str]:
        yield from TOKENS


@pytest.fixture(scope="module")
def endpoint() -> Iterator[LocalEndpoint]:
    with LocalEndpoint(
        model=Words(),
        endpoint_name="signed",
        verify_sigv4=True,
        access_key=AK,
        secret_key=SK,
        credentials={"AKIDSECOND": "second-secret"},
    ) as served:
        yield served


@pytest.fixture(autouse=True)
def clear(endpoint: LocalEndpoint) -> None:
    endpoint.requests.clear()


def invoke(client: Any) -> bytes:
    response = client.invoke_endpoint(
        EndpointName="signed", ContentType="application/json", Body=BODY
    )
    return bytes(response["Body"].read())


def refused(client: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as caught:
        invoke(client)
    response: dict[str, Any] = caught.value.response
    return response


def test_right_key_passes(endpoint: LocalEndpoint) -> None:
    client = endpoint.client(config=SINGLE)  # signs with the endpoint's keys
    assert json.loads(invoke(client)) == [{"generated_text": "Q: Signed answer"}]
    streamed = client.invoke_endpoint_with_response_stream(
        EndpointName="signed", ContentType="application/json", Body=STREAM_BODY
    )
    parts = [event["PayloadPart"]["Bytes"] for event in streamed["Body"]]
    assert b"Signed" in b"".join(parts)
    # The server books a stream as finished just after its last byte: wait.
    deadline = time.monotonic() + 2
    while endpoint.requests.in_flight and time.monotonic() < deadline:
        time.sleep(0.01)
    first, second = endpoint.requests.records
    assert first.access_key == second.access_key == AK
    assert first.status == second.status == 200
    # botocore signed the host with its port.
    assert "host" in first.headers["Authorization"]
    assert first.headers["Host"].endswith(f":{endpoint.port}")


def test_other_configured_key_passes(endpoint: LocalEndpoint) -> None:
    client = endpoint.client(
        config=SINGLE,
        aws_access_key_id="AKIDSECOND",
        aws_secret_access_key="second-secret",
    )
    invoke(client)
    assert endpoint.requests[0].access_key == "AKIDSECOND"


def test_any_region_in_the_scope_passes(endpoint: LocalEndpoint) -> None:
    invoke(endpoint.client(config=SINGLE, region_name="eu-west-3"))
    assert "/eu-west-3/sagemaker/" in endpoint.requests[0].headers["Authorization"]


def test_wrong_secret_is_invalid_signature(endpoint: LocalEndpoint) -> None:
    error = refused(endpoint.client(config=SINGLE, aws_secret_access_key="wrong"))
    assert error["Error"] == {
        "Code": "InvalidSignatureException",
        "Message": "The request signature we calculated does not match the "
        "signature you provided. Check your AWS Secret Access Key and signing "
        "method. Consult the service documentation for details.",
    }
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 403
    # The front door's long error type; botocore keeps what precedes the ':'.
    assert error["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"].startswith(
        "InvalidSignatureException:http://internal.amazon.com/coral/"
    )
    [record] = endpoint.requests.records
    assert (record.status, record.error_code) == (403, "InvalidSignatureException")
    assert record.access_key is None


def test_unknown_key_is_unrecognized_client(endpoint: LocalEndpoint) -> None:
    error = refused(endpoint.client(config=SINGLE, aws_access_key_id="AKIDUNKNOWN"))
    assert error["Error"] == {
        "Code": "UnrecognizedClientException",
        "Message": "The security token included in the request is invalid.",
    }
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_unsigned_is_missing_authentication_token(endpoint: LocalEndpoint) -> None:
    client = endpoint.client(
        config=Config(
            signature_version=botocore.UNSIGNED, retries={"total_max_attempts": 1}
        )
    )
    error = refused(client)
    assert error["Error"] == {
        "Code": "MissingAuthenticationTokenException",
        "Message": "Missing Authentication Token",
    }
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "Authorization" not in endpoint.requests[0].headers


def test_refusals_are_not_retried(endpoint: LocalEndpoint) -> None:
    client = endpoint.client(
        config=Config(retries={"mode": "standard", "total_max_attempts": 3}),
        aws_secret_access_key="wrong",
    )
    refused(client)
    assert len(endpoint.requests) == 1


def test_stream_operation_is_verified_too(endpoint: LocalEndpoint) -> None:
    client = endpoint.client(config=SINGLE, aws_secret_access_key="wrong")
    with pytest.raises(ClientError) as caught:
        client.invoke_endpoint_with_response_stream(
            EndpointName="signed", ContentType="application/json", Body=STREAM_BODY
        )
    assert caught.value.response["Error"]["Code"] == "InvalidSignatureException"


def test_tampering_after_signing_is_detected(endpoint: LocalEndpoint) -> None:
    client = endpoint.client(config=SINGLE)

    def tamper(request: Any, **_: Any) -> None:
        request.headers["Content-Type"] = "text/plain"  # a signed header

    client.meta.events.register_first("before-send.sagemaker-runtime.*", tamper)
    assert refused(client)["Error"]["Code"] == "InvalidSignatureException"


def test_unsigned_extra_headers_are_fine(endpoint: LocalEndpoint) -> None:
    client = endpoint.client(config=SINGLE)

    def add(request: Any, **_: Any) -> None:
        request.headers["X-Not-Signed"] = "anything"

    client.meta.events.register_first("before-send.sagemaker-runtime.*", add)
    invoke(client)


def test_session_token_must_match_when_configured() -> None:
    with LocalEndpoint(
        model=Words(),
        endpoint_name="signed",
        verify_sigv4=True,
        access_key=AK,
        secret_key=SK,
        session_token="the-token",
    ) as served:
        invoke(served.client(config=SINGLE))  # client() sends the token
        assert served.requests[0].headers["X-Amz-Security-Token"] == "the-token"
        assert served.env_vars(credentials=True)["AWS_SESSION_TOKEN"] == "the-token"
        for token in ("other-token", None):
            client = served.client(config=SINGLE, aws_session_token=token)
            error = refused(client)
            assert error["Error"]["Code"] == "UnrecognizedClientException"


def test_any_session_token_when_none_configured(endpoint: LocalEndpoint) -> None:
    invoke(endpoint.client(config=SINGLE, aws_session_token="sts-issued-whatever"))
    record = endpoint.requests[0]
    assert record.access_key == AK
    assert "x-amz-security-token" in record.headers["Authorization"]


def test_env_vars_carry_the_endpoint_keys(
    endpoint: LocalEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3

    env = endpoint.env_vars(credentials=True)
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]) == (AK, SK)
    assert "AWS_SESSION_TOKEN" not in env
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    client = boto3.session.Session().client("sagemaker-runtime", config=SINGLE)
    try:
        invoke(client)
    finally:
        client.close()


async def test_aiobotocore_signatures(endpoint: LocalEndpoint) -> None:
    from aiobotocore.session import get_session

    session = get_session()
    for secret, code in ((SK, None), ("wrong", "InvalidSignatureException")):
        async with session.create_client(
            "sagemaker-runtime",
            endpoint_url=endpoint.url,
            region_name="us-east-1",
            aws_access_key_id=AK,
            aws_secret_access_key=secret,
            config=SINGLE,
        ) as client:
            if code is None:
                response = await client.invoke_endpoint(
                    EndpointName="signed", ContentType="application/json", Body=BODY
                )
                async with response["Body"] as stream:
                    assert b"Signed" in await stream.read()
                streamed = await client.invoke_endpoint_with_response_stream(
                    EndpointName="signed",
                    ContentType="application/json",
                    Body=STREAM_BODY,
                )
                parts = [e["PayloadPart"]["Bytes"] async for e in streamed["Body"]]
                assert b"Signed" in b"".join(parts)
            else:
                with pytest.raises(ClientError) as caught:
                    await client.invoke_endpoint(
                        EndpointName="signed", ContentType="application/json", Body=BODY
                    )
                assert caught.value.response["Error"]["Code"] == code
    assert [r.status for r in endpoint.requests] == [200, 200, 403]


# --- the verifier on its own ------------------------------------------------------------


NOW = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)


def signed(
    *,
    service: str = "sagemaker",
    when: datetime.datetime = NOW,
    body: bytes = BODY,
    headers: dict[str, str] | None = None,
) -> AWSRequest:
    request = AWSRequest(
        method="POST",
        url="http://127.0.0.1:8080/endpoints/ep/invocations",
        data=body,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    signer = SigV4Auth(Credentials(AK, SK), service, "us-west-2")
    with unittest.mock.patch("botocore.auth.get_current_datetime", return_value=when):
        signer.add_auth(request)
    return request


def verify(
    request: AWSRequest,
    *,
    clock: datetime.datetime = NOW,
    body: bytes | None = None,
    **header_changes: str | None,
) -> tuple[str | None, str | None, str]:
    headers: CIMultiDict[str] = CIMultiDict(request.headers.items())
    headers.setdefault("Host", "127.0.0.1:8080")
    for key, value in header_changes.items():
        name = key.replace("_", "-")
        headers.popall(name, None)
        if value is not None:
            headers[name] = value
    verifier = SigV4Verifier({AK: SK}, clock=lambda: clock)
    key, failure = verifier.verify(
        "POST",
        "/endpoints/ep/invocations",
        headers,
        request.body if body is None else body,
    )
    if failure is None:
        return key, None, ""
    assert failure.status == 403
    return key, failure.code, failure.message


def test_verifier_accepts_botocore_signatures() -> None:
    assert verify(signed()) == (AK, None, "")
    assert verify(signed(body=b""), body=b"") == (AK, None, "")
    # Whitespace in header values is trimmed as SigV4 does.
    request = signed(headers={"X-Amzn-SageMaker-Custom-Attributes": "a  b"})
    assert verify(request)[1] is None


def test_verifier_rejects_a_changed_body_or_header() -> None:
    assert verify(signed(), body=b"{}")[1] == "InvalidSignatureException"
    assert verify(signed(), Content_Type="text/csv")[1] == "InvalidSignatureException"
    # A port left out of Host changes the canonical request.
    assert verify(signed(), Host="127.0.0.1")[1] == "InvalidSignatureException"


def test_verifier_rejects_stale_and_future_signatures() -> None:
    request = signed()
    late = NOW + datetime.timedelta(minutes=6)
    _, code, message = verify(request, clock=late)
    assert code == "InvalidSignatureException"
    assert message == (
        "Signature expired: 20260102T030405Z is now earlier than 20260102T030505Z "
        "(20260102T031005Z - 5 min.)"
    )
    _, code, message = verify(request, clock=NOW - datetime.timedelta(minutes=6))
    assert code == "InvalidSignatureException"
    assert message.startswith("Signature not yet current: 20260102T030405Z")
    assert verify(request, clock=NOW + datetime.timedelta(minutes=4))[1] is None


def test_verifier_rejects_another_service() -> None:
    _, code, message = verify(signed(service="bedrock"))
    assert code == "InvalidSignatureException"
    assert message.startswith(
        "Credential should be scoped to correct service: 'sagemaker'"
    )


@pytest.mark.parametrize(
    ("authorization", "date", "needle"),
    [
        ("Bearer abc", "20260102T030405Z", "Unsupported Authorization Type"),
        (
            "AWS4-HMAC-SHA256 Credential=AKIDLOCAL/20260102/us-west-2/sagemaker/"
            "aws4_request, SignedHeaders=host",
            "20260102T030405Z",
            "requires 'Signature' parameter",
        ),
        (None, None, "requires existence of either a 'X-Amz-Date'"),
        (
            "AWS4-HMAC-SHA256 Credential=AKIDLOCAL/20260102, SignedHeaders=host, "
            "Signature=00",
            "20260102T030405Z",
            "Credential must have exactly 5 slash-delimited elements",
        ),
        (None, "yesterday", "Date must be in ISO-8601 'basic format'"),
    ],
)
def test_verifier_incomplete_signatures(
    authorization: str | None, date: str | None, needle: str
) -> None:
    request = signed()
    changes: dict[str, str | None] = {"X_Amz_Date": date}
    if authorization is not None:
        changes["Authorization"] = authorization
    _, code, message = verify(request, **changes)
    assert code == "IncompleteSignatureException"
    assert needle in message


def test_verifier_needs_keys() -> None:
    with pytest.raises(ValueError):
        SigV4Verifier({})
