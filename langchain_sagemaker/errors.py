"""Typed exceptions raised by langchain-sagemaker.

Every error the package raises derives from :class:`SagemakerEndpointError`.
Errors that come from the SageMaker Runtime service also derive from botocore's
``ClientError``, so code written as ``except ClientError`` keeps catching them.

```
SagemakerEndpointError
├── ConfigurationError (ValueError)       bad constructor arguments or settings
├── ResponseParseError (ValueError)       the content handler cannot read the response
├── PromptTooLongError (ValueError)       a prompt cannot fit the model's context
├── IncompleteStreamError                 the stream ended before the container said so
├── EndpointTimeoutError (TimeoutError)   connect or read timeout
├── EndpointConnectionError (ConnectionError)  connection refused / dropped
└── SagemakerClientError (ClientError)    an error answered by SageMaker Runtime
    ├── EndpointNotFoundError             ValidationError "Endpoint ... not found"
    ├── InvalidRequestError               other ValidationError
    ├── ModelError                        the container answered with an error (424)
    ├── ModelNotReadyError                the model is still loading
    ├── ThrottlingError                   too many requests
    ├── ServiceUnavailableError           5xx from SageMaker itself
    └── StreamError                       ModelStreamError / InternalStreamFailure
```

Every error carries ``partial_text``: the text that had already been generated
(streamed) when the failure happened, so no output is lost.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

__all__ = [
    "ConfigurationError",
    "EndpointConnectionError",
    "EndpointNotFoundError",
    "EndpointTimeoutError",
    "IncompleteStreamError",
    "InvalidRequestError",
    "ModelError",
    "ModelNotReadyError",
    "PromptTooLongError",
    "ResponseParseError",
    "SagemakerClientError",
    "SagemakerEndpointError",
    "ServiceUnavailableError",
    "StreamError",
    "ThrottlingError",
]


class SagemakerEndpointError(Exception):
    """Base class of every error raised by langchain-sagemaker.

    Attributes:
        partial_text: Text already generated before the failure ("" if none).
        endpoint_name: The endpoint the failing call went to, when known.
    """

    partial_text: str = ""
    endpoint_name: str | None = None

    def with_context(
        self, *, partial_text: str = "", endpoint_name: str | None = None
    ) -> SagemakerEndpointError:
        """Attach the partial text and endpoint name, and return ``self``."""
        if partial_text:
            self.partial_text = partial_text
        if endpoint_name:
            self.endpoint_name = endpoint_name
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt without calling __init__, whose keyword-only arguments
        # (tokens, job, ...) the default (cls, args) reduce cannot pass.
        return (_rebuild, (type(self), self.args, self.__dict__))

    def __str__(self) -> str:
        base = super().__str__()
        if self.partial_text:
            return f"{base} [partial text kept on .partial_text: {len(self.partial_text)} chars]"
        return base


class ConfigurationError(SagemakerEndpointError, ValueError):
    """A constructor argument or setting is missing or invalid."""


class ResponseParseError(SagemakerEndpointError, ValueError):
    """The content handler could not read what the endpoint returned.

    Attributes:
        snippet: The start of the response that could not be read.
        candidates: Names of built-in handlers that can read it, if any.
    """

    def __init__(
        self,
        message: str,
        *,
        snippet: str = "",
        candidates: tuple[str, ...] = (),
    ) -> None:
        self.snippet = snippet
        self.candidates = candidates
        full = message
        if snippet:
            full += f"\nResponse starts with: {snippet!r}"
        if candidates:
            full += (
                "\nBuilt-in handlers that read this response: "
                + ", ".join(candidates)
                + " (pass e.g. content_handler="
                + repr(candidates[0])
                + ")."
            )
        super().__init__(full)


class PromptTooLongError(SagemakerEndpointError, ValueError):
    """A prompt would not fit the model's input limit; nothing was sent.

    Attributes:
        tokens: The prompt's estimated token count.
        limit: The input token limit it was checked against.
    """

    def __init__(self, message: str, *, tokens: int, limit: int) -> None:
        self.tokens = tokens
        self.limit = limit
        super().__init__(message)


class IncompleteStreamError(SagemakerEndpointError):
    """The response stream ended before the container's end-of-stream marker.

    This happens when the connection drops or an event-stream frame is cut off;
    botocore then ends the stream silently. The text received so far is on
    ``partial_text``.
    """


class EndpointTimeoutError(SagemakerEndpointError, TimeoutError):
    """Connecting to, or reading from, the endpoint took longer than allowed."""


class EndpointConnectionError(SagemakerEndpointError, ConnectionError):
    """The connection to the endpoint could not be made or was dropped."""


class SagemakerClientError(SagemakerEndpointError, ClientError):
    """An error answered by SageMaker Runtime (a botocore ``ClientError``).

    Attributes:
        response: botocore's parsed error response.
        operation_name: ``InvokeEndpoint`` or ``InvokeEndpointWithResponseStream``.
        code: The AWS error code, e.g. ``ModelError``.
    """

    hint: str = ""

    def __init__(
        self,
        error_response: Any,
        operation_name: str,
        *,
        endpoint_name: str | None = None,
        partial_text: str = "",
    ) -> None:
        self.endpoint_name = endpoint_name
        self.partial_text = partial_text
        ClientError.__init__(self, error_response, operation_name)
        if self.hint:
            self.args = (f"{self.args[0]}\n{self._format_hint()}",)

    @property
    def code(self) -> str:
        """The AWS error code (``response["Error"]["Code"]``)."""
        return str(self.response.get("Error", {}).get("Code", "Unknown"))

    @property
    def aws_message(self) -> str:
        """The error message as the service sent it."""
        return str(self.response.get("Error", {}).get("Message", ""))

    def _format_hint(self) -> str:
        return self.hint.format(endpoint=self.endpoint_name or "<endpoint>")


class EndpointNotFoundError(SagemakerClientError):
    """The endpoint (or inference component) does not exist in this region."""

    hint = (
        "What to do: check `endpoint_name` ({endpoint}) and `region_name`; "
        "`aws sagemaker list-endpoints` shows the endpoints of a region."
    )


class InvalidRequestError(SagemakerClientError):
    """SageMaker rejected the request (``ValidationError``)."""

    hint = (
        "What to do: check the request options (`endpoint_kwargs`, content type, "
        "body size <= 6 MB for real-time endpoints)."
    )


class ModelError(SagemakerClientError):
    """The model container answered with an error (HTTP 424 ``ModelError``).

    Attributes:
        original_status_code: The HTTP status the container returned.
        original_message: The container's own error body.
        log_stream_arn: The CloudWatch log stream with the container's logs.
    """

    hint = (
        "What to do: a 4xx from the container means the request body does not "
        "fit the model server (check the content handler and `model_kwargs`); "
        "a 5xx means the model failed, see its logs."
    )

    @property
    def original_status_code(self) -> int | None:
        """The HTTP status code the container returned."""
        value: Any = self.response.get("OriginalStatusCode")
        return int(value) if value is not None else None

    @property
    def original_message(self) -> str | None:
        """The container's own error message."""
        value = self.response.get("OriginalMessage")
        return str(value) if value is not None else None

    @property
    def log_stream_arn(self) -> str | None:
        """The CloudWatch log stream of the container."""
        value = self.response.get("LogStreamArn")
        return str(value) if value is not None else None


class ModelNotReadyError(SagemakerClientError):
    """The model is not ready to serve yet (still loading or scaling)."""

    hint = "What to do: wait until the endpoint is InService, then retry."


class ThrottlingError(SagemakerClientError):
    """SageMaker throttled the request."""

    hint = (
        "What to do: lower concurrency (`max_concurrency`) or raise retries in "
        "`config=botocore.config.Config(retries={{'mode': 'adaptive'}})`."
    )


class ServiceUnavailableError(SagemakerClientError):
    """SageMaker Runtime itself failed (5xx)."""

    hint = "What to do: retry later; botocore already retried this call."


class StreamError(SagemakerClientError):
    """The endpoint failed in the middle of a response stream.

    ``ModelStreamError`` (from the container) or ``InternalStreamFailure``
    (from SageMaker). The text streamed before the failure is on ``partial_text``.
    """

    hint = (
        "What to do: the text streamed before the failure is on `.partial_text`; "
        "retry the call, or check the container's logs."
    )


_CODE_TO_CLASS: dict[str, type[SagemakerClientError]] = {
    "ModelError": ModelError,
    "ModelNotReadyException": ModelNotReadyError,
    "ThrottlingException": ThrottlingError,
    "Throttling": ThrottlingError,
    "TooManyRequestsException": ThrottlingError,
    "ServiceUnavailable": ServiceUnavailableError,
    "ServiceUnavailableException": ServiceUnavailableError,
    "InternalFailure": ServiceUnavailableError,
    "InternalDependencyException": ServiceUnavailableError,
    "ModelStreamError": StreamError,
    "InternalStreamFailure": StreamError,
}


def translate_error(
    exc: BaseException,
    *,
    endpoint_name: str | None = None,
    partial_text: str = "",
) -> BaseException:
    """Turn an exception from boto3 / aiobotocore into this package's type.

    Errors that are already ours get the context attached; errors that are not
    from botocore are returned unchanged.

    Args:
        exc: The exception raised by the client or the stream.
        endpoint_name: The endpoint that was called.
        partial_text: Text already generated before the failure.

    Returns:
        The exception to raise (``raise translate_error(e) from e``).
    """
    from botocore import exceptions as bexc

    if isinstance(exc, SagemakerEndpointError):
        return exc.with_context(partial_text=partial_text, endpoint_name=endpoint_name)
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        message = str(exc.response.get("Error", {}).get("Message", ""))
        cls = _CODE_TO_CLASS.get(code)
        if cls is None and code == "ValidationError":
            cls = (
                EndpointNotFoundError
                if "not found" in message.lower()
                else InvalidRequestError
            )
        if cls is None:
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            cls = (
                ServiceUnavailableError
                if int(status or 0) >= 500
                else SagemakerClientError
            )
        return cls(
            exc.response,
            exc.operation_name,
            endpoint_name=endpoint_name,
            partial_text=partial_text,
        )
    kind = _transport_kind(exc)
    if kind == "timeout":
        return EndpointTimeoutError(
            f"Timed out talking to endpoint {endpoint_name!r}: {exc!r}. What to do: "
            "raise `read_timeout` / `connect_timeout`, or check that the endpoint "
            "is healthy (a stalled model container)."
        ).with_context(partial_text=partial_text, endpoint_name=endpoint_name)
    if kind == "connection":
        return EndpointConnectionError(
            f"Connection to endpoint {endpoint_name!r} failed or dropped: {exc!r}. "
            "What to do: check `region_name` / `endpoint_url` and the network; "
            "retry the call."
        ).with_context(partial_text=partial_text, endpoint_name=endpoint_name)
    if kind == "corrupt":
        return IncompleteStreamError(
            f"The response stream from endpoint {endpoint_name!r} was corrupted "
            f"({exc!r}). The text received before it is on .partial_text; retry "
            "the call."
        ).with_context(partial_text=partial_text, endpoint_name=endpoint_name)
    if isinstance(exc, bexc.NoCredentialsError):
        return ConfigurationError(
            "No AWS credentials found. What to do: set `credentials_profile_name`, "
            "or `aws_access_key_id` + `aws_secret_access_key`, or the AWS_PROFILE / "
            "AWS_ACCESS_KEY_ID environment variables, or pass a boto3 `client`."
        ).with_context(partial_text=partial_text, endpoint_name=endpoint_name)
    return exc


def _transport_kind(exc: BaseException) -> str | None:
    """Classify transport failures from botocore, urllib3, aiohttp and asyncio."""
    import asyncio

    from botocore import eventstream
    from botocore import exceptions as bexc

    timeouts: tuple[type[BaseException], ...] = (
        bexc.ReadTimeoutError,
        bexc.ConnectTimeoutError,
        asyncio.TimeoutError,
        TimeoutError,
    )
    connections: tuple[type[BaseException], ...] = (
        bexc.EndpointConnectionError,
        bexc.ConnectionClosedError,
        bexc.ResponseStreamingError,
        bexc.HTTPClientError,
        ConnectionError,
    )
    try:
        import urllib3.exceptions as u3

        timeouts += (u3.ReadTimeoutError, u3.ConnectTimeoutError)
        connections += (u3.ProtocolError,)
    except ImportError:  # pragma: no cover - urllib3 comes with botocore
        pass
    try:
        import aiohttp

        timeouts += (aiohttp.ServerTimeoutError,)
        connections += (aiohttp.ClientError,)
    except ImportError:
        pass
    if isinstance(exc, timeouts):
        return "timeout"
    if isinstance(exc, eventstream.ParserError):
        return "corrupt"
    if isinstance(exc, connections):
        return "connection"
    return None


def _rebuild(
    cls: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]
) -> BaseException:
    err = cls.__new__(cls)
    err.args = args
    err.__dict__.update(state)
    return err
