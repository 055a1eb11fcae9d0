"""Settings every SageMaker endpoint class shares: client, credentials, options."""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, TypeVar

from langchain_core.language_models.base import LangSmithParams
from langchain_core.utils import secret_from_env
from pydantic import BaseModel, Field, PrivateAttr, SecretStr, model_validator
from typing_extensions import Self

from langchain_sagemaker._client import (
    AsyncClients,
    ClientSettings,
    create_client,
    has_aiobotocore,
)
from langchain_sagemaker._options import (
    FIELD_TO_PARAM,
    check_request,
    merge_custom_attributes,
    needs_check,
    request_options,
)
from langchain_sagemaker.errors import ConfigurationError

__all__ = [
    "SagemakerEndpointBase",
    "ls_params",
    "merge_model_kwargs",
    "private",
    "signature_once",
]

_F = TypeVar("_F", bound=Callable[..., Any])


def private(model: BaseModel, name: str) -> Any:
    """Read a pydantic private attribute straight from its storage.

    ``model._name`` first walks LangChain's deep class tree, misses, and then
    falls back to ``BaseModel.__getattr__``: ~3 µs per read, on every call.
    """
    return model.__pydantic_private__[name]  # type: ignore[index]


def signature_once(func: _F) -> _F:
    """Compute ``inspect.signature(func)`` once, at class definition.

    langchain-core inspects ``_generate`` / ``_agenerate`` on every call (does
    it take ``run_manager``?); ``inspect.signature`` returns a function's
    ``__signature__`` when it has one, which saves ~10 µs per call.
    """
    with contextlib.suppress(TypeError, ValueError, NameError):
        func.__signature__ = inspect.signature(func)  # type: ignore[attr-defined]
    return func


class SagemakerEndpointBase(BaseModel):
    """The endpoint, credentials, client and request options of an endpoint class.

    ``SagemakerEndpoint`` (LLM) and ``SagemakerEndpointEmbeddings`` share these
    fields and the client building, so both behave the same way.
    """

    client: Any = Field(default=None, exclude=True)
    """A boto3 ``sagemaker-runtime`` client; built from the settings if not given."""

    endpoint_name: str = ""
    """The name of the deployed SageMaker endpoint (unique within a region)."""

    inference_component_name: str | None = None
    """The inference component to invoke on the endpoint, if it hosts several."""

    target_variant: str | None = None
    """The production variant to send requests to (``TargetVariant``)."""

    target_model: str | None = None
    """The model of a multi-model endpoint to invoke (``TargetModel``).

    Not accepted by the response-stream API; left out when streaming.
    """

    target_container_hostname: str | None = None
    """The container of a multi-container endpoint (``TargetContainerHostname``)."""

    custom_attributes: str | None = None
    """Opaque ``k=v`` attributes passed to the container (``CustomAttributes``)."""

    accept_eula: bool = False
    """Add ``accept_eula=true`` to the custom attributes (JumpStart Llama models)."""

    inference_id: str | None = None
    """An id recorded with the request in SageMaker's logs (``InferenceId``)."""

    session_id: str | None = None
    """A stateful session id, or ``"NEW_SESSION"`` to open one (``SessionId``)."""

    enable_explanations: str | None = None
    """A SageMaker Clarify explanation filter (``EnableExplanations``).

    Not accepted by the response-stream API; left out when streaming.
    """

    region_name: str | None = ""
    """The AWS region, e.g. ``"us-west-2"``.

    Falls back to AWS_REGION / AWS_DEFAULT_REGION, then the profile's region.
    """

    credentials_profile_name: str | None = None
    """A profile in ``~/.aws/credentials`` or ``~/.aws/config``.

    If not set, boto3's default credential chain is used.
    """

    aws_access_key_id: SecretStr | None = Field(
        default_factory=secret_from_env("AWS_ACCESS_KEY_ID", default=None)
    )
    """AWS access key id (default: AWS_ACCESS_KEY_ID)."""

    aws_secret_access_key: SecretStr | None = Field(
        default_factory=secret_from_env("AWS_SECRET_ACCESS_KEY", default=None)
    )
    """AWS secret access key (default: AWS_SECRET_ACCESS_KEY)."""

    aws_session_token: SecretStr | None = Field(
        default_factory=secret_from_env("AWS_SESSION_TOKEN", default=None)
    )
    """AWS session token for temporary credentials (default: AWS_SESSION_TOKEN)."""

    role_arn: str | None = None
    """An IAM role to assume for calling the endpoint (e.g. cross-account).

    The source credentials (profile, keys or the default chain) call
    ``sts:AssumeRole``; the temporary credentials are refreshed before they
    expire, so the object keeps working past the role session's duration.
    """

    role_session_name: str = "langchain-sagemaker"
    """The ``RoleSessionName`` used with ``role_arn``."""

    external_id: SecretStr | None = None
    """The ``ExternalId`` the role's trust policy requires, if any."""

    duration_seconds: int | None = Field(default=None, ge=900, le=43200)
    """How long each assumed-role session lasts (900-43200 s; STS default 3600)."""

    config: Any = Field(default=None, exclude=True)
    """A ``botocore.config.Config`` for the client, merged over our defaults.

    Defaults: ``standard`` retries, the timeouts and pool size below, and no
    per-call ``parameter_validation`` by the client (the endpoint class checks
    what users pass raw with botocore's validator; set it ``True`` to have the
    client check every call too)."""

    endpoint_url: str | None = None
    """A custom SageMaker Runtime URL (else AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME)."""

    endpoint_kwargs: dict[str, Any] | None = None
    """Extra arguments for ``invoke_endpoint`` (e.g. ``CustomAttributes``)."""

    connect_timeout: float = Field(default=10.0, gt=0)
    """Seconds to wait for a connection to SageMaker Runtime. (default: 10)

    A ``connect_timeout`` set in ``config`` wins.
    """

    read_timeout: float = Field(default=70.0, gt=0)
    """Seconds to wait for each read of the response. (default: 70)

    Just over SageMaker's own 60-second limit for a real-time invocation, so
    the service's error arrives first; when streaming, it bounds the gap
    between two events, so a stalled stream ends in ``EndpointTimeoutError``
    instead of hanging. A ``read_timeout`` set in ``config`` wins.
    """

    max_concurrency: int = Field(default=64, ge=1)
    """How many requests ``batch`` / ``abatch`` keep in flight at once.

    A ``max_concurrency`` in the RunnableConfig lowers it per call. The
    connection pool of clients built here is sized to match. (default: 64)
    """

    _client_injected: bool = PrivateAttr(default=False)
    _async_clients: AsyncClients | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _set_client(self) -> Self:
        """Build the boto3 client unless one was injected."""
        self._client_injected = self.client is not None
        if self.client is None:
            self.client = create_client(self._client_settings())
        return self

    def _native_async(self) -> AsyncClients | None:
        """The aiobotocore clients, or None to run the sync client in threads.

        Threads are used when a sync ``client`` was injected (it is honoured
        as is) or when the ``async`` extra (aiobotocore) is not installed.
        """
        if private(self, "_client_injected") or not has_aiobotocore():
            return None
        clients: AsyncClients | None = private(self, "_async_clients")
        if clients is None:
            clients = self._async_clients = AsyncClients(self._client_settings())
        return clients

    async def aclose(self) -> None:
        """Close the current event loop's async client (optional).

        It is closed automatically when the event loop shuts down.
        """
        if self._async_clients is not None:
            await self._async_clients.aclose()

    def _dict_for_compat(self) -> dict[str, Any]:
        """The invocation params langchain-core records on every call.

        langchain-core calls the deprecated ``dict()`` inside a
        ``warnings.catch_warnings()`` block on every ``generate``, in case a
        subclass still overrides ``dict()``: ~5 µs per call. Ours do not, so
        ``asdict()`` is called directly unless a user's subclass does.
        """
        base: Any = super()
        if type(self).dict.__module__.startswith("langchain_core."):
            return self.asdict()  # type: ignore[attr-defined,no-any-return]
        return base._dict_for_compat()  # type: ignore[no-any-return]

    def _client_settings(self) -> ClientSettings:
        return ClientSettings(
            region_name=self.region_name or None,
            credentials_profile_name=self.credentials_profile_name,
            aws_access_key_id=self.aws_access_key_id,
            aws_secret_access_key=self.aws_secret_access_key,
            aws_session_token=self.aws_session_token,
            endpoint_url=self.endpoint_url,
            config=self.config,
            max_pool_connections=self.max_concurrency,
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            role_arn=self.role_arn,
            role_session_name=self.role_session_name,
            external_id=self.external_id,
            duration_seconds=self.duration_seconds,
        )

    @property
    def lc_secrets(self) -> dict[str, str]:
        """Secrets are serialized as references to environment variables."""
        return {
            "aws_access_key_id": "AWS_ACCESS_KEY_ID",
            "aws_secret_access_key": "AWS_SECRET_ACCESS_KEY",
            "aws_session_token": "AWS_SESSION_TOKEN",
        }

    def _require_endpoint_name(self) -> None:
        """Refuse a call before anything is sent when no endpoint is named."""
        if not self.endpoint_name:
            msg = "`endpoint_name` is empty: pass the name of the SageMaker endpoint."
            raise ConfigurationError(msg)

    def _call_params(
        self,
        content_type: str | None,
        accepts: str | None,
        *,
        stream: bool = False,
        endpoint_kwargs: Mapping[str, Any] | None = None,
        overrides: Mapping[str, Any] | None = None,
        check: bool = True,
        **params: Any,
    ) -> dict[str, Any]:
        """The runtime API call's parameters.

        The endpoint, ``params`` (``Body``, ...), the handler's content types
        (no ``Accept`` on a stream) and the request options from the typed
        fields and ``endpoint_kwargs`` (default: the field), with a call's
        ``overrides`` on top (see ``request_options``). What the user passed
        raw is checked (see ``_check_request``; ``check=False``: the caller
        checks the finished call itself).

        Raises:
            botocore.exceptions.ParamValidationError: For an unknown or
                mistyped ``endpoint_kwargs`` entry or a body that is not bytes,
                before anything is sent by a client built here.
        """
        call: dict[str, Any] = {"EndpointName": self.endpoint_name, **params}
        if content_type is not None:
            call["ContentType"] = content_type
        if not stream and accepts is not None:
            call["Accept"] = accepts
        given = self.endpoint_kwargs if endpoint_kwargs is None else endpoint_kwargs
        call.update(
            request_options(
                self._option_fields(), given, stream=stream, overrides=overrides
            )
        )
        if check and needs_check(params, given, overrides):
            operation = (
                "InvokeEndpointWithResponseStream" if stream else "InvokeEndpoint"
            )
            self._check_request(operation, call)
        return call

    def _check_request(self, operation: str, call: Mapping[str, Any]) -> None:
        """Check a call with botocore's validator when the client is ours.

        Clients built here skip botocore's per-call validation, so this stands
        in for it. An injected client is left to itself, as in langchain-aws:
        a real one validates, and a mock gets the arguments as they are.
        """
        if not private(self, "_client_injected"):
            check_request(operation, call)

    def _option_fields(self) -> dict[str, Any]:
        fields = {name: getattr(self, name) for name in FIELD_TO_PARAM}
        fields["custom_attributes"] = merge_custom_attributes(
            "accept_eula=true" if self.accept_eula else None,
            self.custom_attributes,
        )
        return fields


def merge_model_kwargs(
    model_kwargs: dict[str, Any] | None, call_kwargs: Mapping[str, Any]
) -> dict[str, Any]:
    """``model_kwargs`` merged with a call's kwargs (the call wins).

    ``endpoint_kwargs`` passed to a call is a request option, not a model
    parameter, and is left out.
    """
    params = {**(model_kwargs or {}), **call_kwargs}
    params.pop("endpoint_kwargs", None)
    return params


def ls_params(
    model_type: Literal["llm", "chat"],
    endpoint_name: str,
    model_params: Mapping[str, Any],
    *,
    stop: Sequence[str] | None = None,
    model: Any = None,
) -> LangSmithParams:
    """The tracing params: provider, model (the endpoint), temperature, max tokens.

    Built whole, as langchain-core asks integrations to (its own fallback
    probes the model for attributes this class does not have).
    """
    params = LangSmithParams(
        ls_provider="amazon_sagemaker",
        ls_model_type=model_type,
        ls_model_name=model if isinstance(model, str) else endpoint_name,
    )
    if stop:
        params["ls_stop"] = list(stop)
    temperature = model_params.get("temperature")
    if isinstance(temperature, (int, float)) and not isinstance(temperature, bool):
        params["ls_temperature"] = float(temperature)
    max_tokens = model_params.get("max_tokens", model_params.get("max_new_tokens"))
    if isinstance(max_tokens, int) and not isinstance(max_tokens, bool):
        params["ls_max_tokens"] = max_tokens
    return params
