"""Strict AWS Signature Version 4 verification for the local runtime.

Each request's ``Authorization`` header is checked by recomputing its
signature with botocore's own signer (:class:`botocore.auth.SigV4Auth`) over
an :class:`~botocore.awsrequest.AWSRequest` rebuilt from what arrived: the
method, the raw path and query, exactly the headers the client listed in
``SignedHeaders`` (``host`` included, with its port), the body, and the
client's ``X-Amz-Date``; service ``sagemaker`` (the ``signingName`` of
botocore's ``sagemaker-runtime`` model), region from the credential scope.

Rejections use the codes AWS's front door answers rest-json services with,
in the JSON error shape botocore reads (``x-amzn-ErrorType`` header and a
``message``). Codes and statuses follow botocore's and the AWS SDKs' handling
of them; the message texts are believed to be AWS's:

* no ``Authorization`` header (botocore's ``UNSIGNED``): 403
  ``MissingAuthenticationTokenException``, "Missing Authentication Token";
* an ``Authorization`` header that is not a complete SigV4 one, or no
  ``X-Amz-Date``: 403 ``IncompleteSignatureException``;
* an access key not configured, or a session token other than the one
  configured: 403 ``UnrecognizedClientException``, "The security token
  included in the request is invalid.";
* a wrong signature, a credential scoped to another service, or an
  ``X-Amz-Date`` more than five minutes off: 403
  ``InvalidSignatureException``.
"""

from __future__ import annotations

import datetime
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

__all__ = [
    "DEFAULT_ACCESS_KEY",
    "DEFAULT_SECRET_KEY",
    "SIGNING_NAME",
    "AuthFailure",
    "SigV4Verifier",
]

#: Access key id :class:`~langchain_sagemaker.local.LocalEndpoint` clients use.
DEFAULT_ACCESS_KEY = "testing"
#: Secret key :class:`~langchain_sagemaker.local.LocalEndpoint` clients use.
DEFAULT_SECRET_KEY = "testing"
#: ``signingName`` of the ``sagemaker-runtime`` service model.
SIGNING_NAME = "sagemaker"
_ALGORITHM = "AWS4-HMAC-SHA256"
_MAX_SKEW = datetime.timedelta(minutes=5)
_CORAL = "http://internal.amazon.com/coral/com.amazon.coral.service/"
_PARAMETER = re.compile(r"\s*([A-Za-z]+)\s*=\s*([^,\s]*)\s*")
_INVALID_TOKEN = "The security token included in the request is invalid."
_MISMATCH = (
    "The request signature we calculated does not match the signature you "
    "provided. Check your AWS Secret Access Key and signing method. Consult "
    "the service documentation for details."
)


@dataclass(frozen=True)
class AuthFailure:
    """Why a request is refused.

    Attributes:
        status: HTTP status (403).
        code: The error code botocore reports as ``Error.Code``.
        message: The error message.
    """

    status: int
    code: str
    message: str

    @property
    def error_type(self) -> str:
        """The ``x-amzn-ErrorType`` value, in the front door's long form."""
        return f"{self.code}:{_CORAL}"


def _fail(code: str, message: str) -> AuthFailure:
    return AuthFailure(403, code, message)


class _ListedHeadersSigner(SigV4Auth):
    """``SigV4Auth`` that signs exactly the headers of the rebuilt request.

    The rebuilt request holds only the headers the client listed in
    ``SignedHeaders``, so none is dropped by botocore's blacklist and the
    ``host`` header is the one that arrived.
    """

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        header_map = HTTPHeaders()
        for name, value in request.headers.items():
            header_map[name.lower()] = value
        return header_map


@dataclass(frozen=True)
class _Authorization:
    access_key: str
    date: str
    region: str
    service: str
    signed_headers: list[str]
    signature: str


def _parse_authorization(value: str, amz_date: str | None) -> _Authorization | str:
    """Parse a SigV4 ``Authorization`` header; return it or what is wrong."""
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != _ALGORITHM:
        return f"Unsupported Authorization Type. Authorization={value}"
    fields: dict[str, str] = {}
    for piece in rest.split(","):
        match = _PARAMETER.fullmatch(piece)
        if match is not None:
            fields[match.group(1)] = match.group(2)
    problems = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if not fields.get(name)
    ]
    if amz_date is None:
        problems.append(
            "Authorization header requires existence of either a 'X-Amz-Date' "
            "or a 'Date' header."
        )
    scope = fields.get("Credential", "").split("/")
    if not problems and (len(scope) != 5 or scope[4] != "aws4_request"):
        problems.append(
            "Credential must have exactly 5 slash-delimited elements, e.g. "
            "keyid/date/region/service/term,"
        )
    if problems:
        return " ".join([*problems, f"Authorization={value}"])
    return _Authorization(
        access_key=scope[0],
        date=scope[1],
        region=scope[2],
        service=scope[3],
        signed_headers=[h.strip().lower() for h in fields["SignedHeaders"].split(";")],
        signature=fields["Signature"],
    )


class SigV4Verifier:
    """Checks SigV4 signatures against a set of credentials.

    Args:
        credentials: Access key id to secret access key, for every key
            accepted.
        session_token: When set, requests must carry this
            ``X-Amz-Security-Token``; when ``None`` any token (or none) is
            accepted, as long as the signature covers it.
        service: The signing name expected in the credential scope.
        clock: Returns the current time (UTC); for tests.
    """

    def __init__(
        self,
        credentials: Mapping[str, str],
        *,
        session_token: str | None = None,
        service: str = SIGNING_NAME,
        clock: Any = None,
    ) -> None:
        if not credentials:
            raise ValueError("SigV4 verification needs at least one access key")
        self.credentials = dict(credentials)
        self.session_token = session_token
        self.service = service
        self._clock = clock or (lambda: datetime.datetime.now(datetime.timezone.utc))

    def verify(
        self,
        method: str,
        raw_path: str,
        headers: Mapping[str, str] | Any,
        body: bytes,
    ) -> tuple[str | None, AuthFailure | None]:
        """Check one request.

        Args:
            method: HTTP method.
            raw_path: Path and query string exactly as sent.
            headers: The request headers (a multidict: repeated headers are
                read with ``getall`` when it has one).
            body: The request body.

        Returns:
            The access key id that signed the request and ``None``, or
            ``None`` and why the request is refused.
        """
        authorization = headers.get("Authorization")
        if authorization is None:
            return None, _fail(
                "MissingAuthenticationTokenException", "Missing Authentication Token"
            )
        amz_date = headers.get("X-Amz-Date")
        parsed = _parse_authorization(authorization, amz_date)
        if isinstance(parsed, str):
            return None, _fail("IncompleteSignatureException", parsed)
        assert amz_date is not None  # checked by _parse_authorization
        secret = self.credentials.get(parsed.access_key)
        if secret is None:
            return None, _fail("UnrecognizedClientException", _INVALID_TOKEN)
        token = headers.get("X-Amz-Security-Token")
        if self.session_token is not None and token != self.session_token:
            return None, _fail("UnrecognizedClientException", _INVALID_TOKEN)
        if parsed.service != self.service:
            return None, _fail(
                "InvalidSignatureException",
                f"Credential should be scoped to correct service: '{self.service}'. ",
            )
        stale = self._check_time(amz_date, parsed.date)
        if stale is not None:
            return None, stale
        expected = self._signature(method, raw_path, headers, body, parsed, amz_date)
        if expected is None or not hmac.compare_digest(expected, parsed.signature):
            return None, _fail("InvalidSignatureException", _MISMATCH)
        return parsed.access_key, None

    def _check_time(self, amz_date: str, scope_date: str) -> AuthFailure | None:
        try:
            signed = datetime.datetime.strptime(amz_date, SIGV4_TIMESTAMP).replace(
                tzinfo=datetime.timezone.utc
            )
        except ValueError:
            return _fail(
                "IncompleteSignatureException",
                f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'.",
            )
        if scope_date != amz_date[:8]:
            return _fail(
                "InvalidSignatureException",
                f"Date in Credential scope does not match YYYYMMDD from ISO-8601 "
                f"version of date from HTTP: '{scope_date}' != '{amz_date[:8]}', "
                f"from '{amz_date}'.",
            )
        now = self._clock()
        stamp = now.strftime(SIGV4_TIMESTAMP)
        if signed < now - _MAX_SKEW:
            earliest = (now - _MAX_SKEW).strftime(SIGV4_TIMESTAMP)
            return _fail(
                "InvalidSignatureException",
                f"Signature expired: {amz_date} is now earlier than {earliest} "
                f"({stamp} - 5 min.)",
            )
        if signed > now + _MAX_SKEW:
            latest = (now + _MAX_SKEW).strftime(SIGV4_TIMESTAMP)
            return _fail(
                "InvalidSignatureException",
                f"Signature not yet current: {amz_date} is still later than "
                f"{latest} ({stamp} + 5 min.)",
            )
        return None

    def _signature(
        self,
        method: str,
        raw_path: str,
        headers: Any,
        body: bytes,
        parsed: _Authorization,
        amz_date: str,
    ) -> str | None:
        request = AWSRequest(
            method=method, url=f"http://localhost{raw_path}", data=body
        )
        getall = getattr(headers, "getall", None)
        for name in parsed.signed_headers:
            values = getall(name, []) if getall is not None else [headers.get(name)]
            values = [v for v in values if v is not None]
            if not values:
                return None  # a header signed but not sent: no match
            for value in values:
                request.headers[name] = value
        request.context["timestamp"] = amz_date
        credentials = Credentials(
            parsed.access_key,
            self.credentials[parsed.access_key],
            headers.get("X-Amz-Security-Token"),
        )
        signer = _ListedHeadersSigner(credentials, parsed.service, parsed.region)
        canonical_request = signer.canonical_request(request)
        string_to_sign = signer.string_to_sign(request, canonical_request)
        return str(signer.signature(string_to_sign, request))
