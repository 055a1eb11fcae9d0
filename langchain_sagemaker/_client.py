"""Building SageMaker Runtime clients from the endpoint's settings.

Pure decisions (which session, which region, which config) are separate from
creating the client, so the sync (boto3) and async (aiobotocore) paths share
them.
"""

from __future__ import annotations

import asyncio
import functools
import os
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from langchain_sagemaker.errors import ConfigurationError

__all__ = [
    "AsyncClients",
    "ClientSettings",
    "create_client",
    "default_config",
    "has_aiobotocore",
]

SERVICE = "sagemaker-runtime"
USER_AGENT = "langchain-sagemaker"


@dataclass(frozen=True)
class ClientSettings:
    """Everything needed to build a SageMaker Runtime client."""

    region_name: str | None = None
    credentials_profile_name: str | None = None
    aws_access_key_id: SecretStr | None = None
    aws_secret_access_key: SecretStr | None = None
    aws_session_token: SecretStr | None = None
    endpoint_url: str | None = None
    config: Any = None
    max_pool_connections: int = 10
    connect_timeout: float = 10.0
    read_timeout: float = 70.0
    role_arn: str | None = None
    role_session_name: str = "langchain-sagemaker"
    external_id: SecretStr | None = None
    duration_seconds: int | None = None

    def assume_role_args(self) -> dict[str, Any]:
        """Extra ``AssumeRole`` arguments (session name, external id, duration)."""
        args: dict[str, Any] = {"RoleSessionName": self.role_session_name}
        if self.external_id is not None:
            args["ExternalId"] = self.external_id.get_secret_value()
        if self.duration_seconds is not None:
            args["DurationSeconds"] = self.duration_seconds
        return args

    def session_kwargs(self) -> dict[str, Any]:
        """Arguments for ``boto3.Session`` / ``aiobotocore`` sessions.

        A profile wins over explicit keys, as in langchain-aws.

        Raises:
            ConfigurationError: If only one of the access key pair is given.
        """
        if self.credentials_profile_name:
            return {"profile_name": self.credentials_profile_name}
        key = (
            self.aws_access_key_id.get_secret_value() if self.aws_access_key_id else ""
        )
        secret = (
            self.aws_secret_access_key.get_secret_value()
            if self.aws_secret_access_key
            else ""
        )
        if bool(key) != bool(secret):
            missing = "aws_secret_access_key" if key else "aws_access_key_id"
            msg = (
                "Both `aws_access_key_id` and `aws_secret_access_key` must be set "
                f"together; `{missing}` is missing (or its AWS_* environment "
                "variable is empty)."
            )
            raise ConfigurationError(msg)
        if not key:
            return {}
        kwargs = {"aws_access_key_id": key, "aws_secret_access_key": secret}
        if self.aws_session_token and self.aws_session_token.get_secret_value():
            kwargs["aws_session_token"] = self.aws_session_token.get_secret_value()
        return kwargs

    def region(self, session_region: str | None) -> str:
        """The region to use, or a clear error naming what to set."""
        region = (
            self.region_name
            or os.environ.get("AWS_REGION")
            or os.environ.get("AWS_DEFAULT_REGION")
            or session_region
        )
        if not region:
            msg = (
                "No AWS region set for the SageMaker endpoint. What to do: pass "
                "`region_name=` (e.g. 'us-west-2'), set AWS_REGION, or set `region` "
                "in the profile of ~/.aws/config."
            )
            raise ConfigurationError(msg)
        return region


def default_config(
    config: Any, settings: ClientSettings | None = None, *, runtime: bool = False
) -> Any:
    """Return the botocore ``Config``: the user's, merged over our defaults.

    Defaults: botocore's ``standard`` retry mode (throttling and 5xx, 3
    attempts), a connection pool as large as the batch concurrency, the
    connect / read timeouts, and our user-agent suffix. Values the user set
    win.

    For the SageMaker Runtime client (``runtime=True``), botocore's per-call
    parameter validation is off: the endpoint classes build each call from
    typed fields and check what users pass raw with botocore's own validator
    (``_options.check_request``), so the client need not check every call
    again (10-40 µs per call, see ``benchmarks/latency.py``).
    ``Config(parameter_validation=True)`` turns it back on.
    """
    from botocore.config import Config

    settings = settings or ClientSettings()
    ours = Config(
        retries={"mode": "standard", "total_max_attempts": 3},
        user_agent_extra=USER_AGENT,
        max_pool_connections=max(10, settings.max_pool_connections),
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        parameter_validation=not runtime,
    )
    if config is None:
        return ours
    if isinstance(config, Config):
        return ours.merge(config)
    msg = f"`config` must be a botocore.config.Config, got {type(config).__name__}."
    raise ConfigurationError(msg)


def create_client(settings: ClientSettings) -> Any:
    """Create a boto3 ``sagemaker-runtime`` client from ``settings``.

    Raises:
        ConfigurationError: For a missing region, an unknown profile, or an
            incomplete key pair, naming what to set.
    """
    import boto3
    from botocore.exceptions import BotoCoreError, ProfileNotFound

    _protect_logs(settings)
    try:
        session = boto3.Session(**settings.session_kwargs())
        if settings.role_arn:
            session = _assume_role_session(session, settings)
    except ProfileNotFound as exc:
        msg = (
            f"AWS profile {settings.credentials_profile_name!r} not found. What to "
            "do: check `credentials_profile_name` against ~/.aws/config and "
            "~/.aws/credentials (or AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE)."
        )
        raise ConfigurationError(msg) from exc
    kwargs: dict[str, Any] = {
        "region_name": settings.region(session.region_name),
        "config": default_config(settings.config, settings, runtime=True),
    }
    if settings.endpoint_url:
        kwargs["endpoint_url"] = settings.endpoint_url
    if not settings.role_arn and session.get_credentials() is None:
        raise _no_credentials()
    try:
        return session.client(SERVICE, **kwargs)  # type: ignore[call-overload]
    except BotoCoreError as exc:
        msg = f"Could not create the SageMaker Runtime client: {exc}"
        raise ConfigurationError(msg) from exc


def _protect_logs(settings: ClientSettings) -> None:
    """Mask this client's secrets in the AWS SDK's DEBUG logs."""
    from langchain_sagemaker import _redact

    _redact.remember(
        *(
            secret.get_secret_value()
            for secret in (
                settings.aws_access_key_id,
                settings.aws_secret_access_key,
                settings.aws_session_token,
                settings.external_id,
            )
            if secret is not None
        )
    )
    _redact.install()


def _now() -> Any:
    """Return botocore's clock, looked up at each call (tests can move it)."""
    from botocore import credentials

    return credentials._local_now()  # type: ignore[attr-defined]


class _NoCache(dict[str, Any]):
    """A credential cache that keeps nothing: every refresh calls STS."""

    def __setitem__(self, key: str, value: Any) -> None:
        return None


def _no_credentials() -> ConfigurationError:
    return ConfigurationError(
        "No AWS credentials found. What to do: set `credentials_profile_name`, or "
        "`aws_access_key_id` + `aws_secret_access_key`, or the AWS_PROFILE / "
        "AWS_ACCESS_KEY_ID environment variables, or pass a boto3 `client`. "
        "(For the local endpoint any value works, e.g. AWS_ACCESS_KEY_ID=x.)"
    )


def _no_source(settings: ClientSettings) -> ConfigurationError:
    return ConfigurationError(
        f"`role_arn` ({settings.role_arn}) needs source credentials to call "
        "sts:AssumeRole, and none were found. What to do: set "
        "`credentials_profile_name`, the access key fields, or AWS_PROFILE / "
        "AWS_ACCESS_KEY_ID."
    )


def _assume_role_session(base: Any, settings: ClientSettings) -> Any:
    """A boto3 session whose credentials assume ``role_arn`` and refresh.

    botocore's ``AssumeRoleCredentialFetcher`` calls STS with the base
    session's credentials; ``DeferredRefreshableCredentials`` calls it again
    before the temporary credentials expire, so a long-lived LLM object keeps
    working past the role session's duration.
    """
    import boto3
    import botocore.session
    from botocore.credentials import (
        AssumeRoleCredentialFetcher,
        DeferredRefreshableCredentials,
    )

    source = base.get_credentials()
    if source is None or settings.role_arn is None:
        raise _no_source(settings)
    fetcher = AssumeRoleCredentialFetcher(
        client_creator=functools.partial(
            base._session.create_client, region_name=settings.region(base.region_name)
        ),
        source_credentials=source,
        role_arn=settings.role_arn,
        extra_args=settings.assume_role_args(),
        cache=_NoCache(),
    )
    core = botocore.session.Session()
    core._credentials = DeferredRefreshableCredentials(  # type: ignore[attr-defined]
        refresh_using=fetcher.fetch_credentials,
        method="assume-role",
        time_fetcher=_now,
    )
    return boto3.Session(botocore_session=core, region_name=base.region_name)


async def _aio_assume_role(
    session: Any, keys: dict[str, Any], settings: ClientSettings
) -> None:
    """Give an aiobotocore session refreshing assume-role credentials."""
    from aiobotocore.credentials import (
        AioAssumeRoleCredentialFetcher,
        AioCredentials,
        AioDeferredRefreshableCredentials,
    )

    if keys:
        source = AioCredentials(
            keys["aws_access_key_id"],
            keys["aws_secret_access_key"],
            keys.get("aws_session_token"),
        )
    else:
        source = await session.get_credentials()
    if source is None:
        raise _no_source(settings)
    fetcher = AioAssumeRoleCredentialFetcher(
        client_creator=functools.partial(
            session.create_client,
            region_name=settings.region(session.get_config_variable("region")),
        ),
        source_credentials=source,
        role_arn=settings.role_arn,
        extra_args=settings.assume_role_args(),
        cache=_NoCache(),
    )
    session._credentials = AioDeferredRefreshableCredentials(
        refresh_using=fetcher.fetch_credentials,
        method="assume-role",
        time_fetcher=_now,
    )


def has_aiobotocore() -> bool:
    """Whether the ``async`` extra (aiobotocore) is installed."""
    try:
        import aiobotocore.session  # noqa: F401
    except ImportError:
        return False
    return True


async def _hold_async_client(settings: ClientSettings) -> AsyncIterator[Any]:
    """Open an aiobotocore client and keep it open while suspended.

    The client lives inside an async generator, so the event loop's own
    ``shutdown_asyncgens()`` (run by ``asyncio.run`` and pytest-asyncio) closes
    it cleanly when the loop ends: no "Unclosed client session" warnings.
    """
    from aiobotocore.session import AioSession

    _protect_logs(settings)
    kwargs = settings.session_kwargs()
    session = AioSession(profile=kwargs.pop("profile_name", None))
    if settings.role_arn:
        await _aio_assume_role(session, kwargs, settings)
        kwargs = {}
    client_kwargs: dict[str, Any] = {
        "region_name": settings.region(session.get_config_variable("region")),
        "config": default_config(settings.config, settings, runtime=True),
        **kwargs,
    }
    if settings.endpoint_url:
        client_kwargs["endpoint_url"] = settings.endpoint_url
    async with session.create_client(SERVICE, **client_kwargs) as client:
        yield client


class AsyncClients:
    """One aiobotocore client per event loop, created lazily and reused."""

    def __init__(self, settings: ClientSettings) -> None:
        self._settings = settings
        self._held: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, tuple[AsyncIterator[Any], Any]
        ] = weakref.WeakKeyDictionary()
        self._locks: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, asyncio.Lock
        ] = weakref.WeakKeyDictionary()

    async def get(self) -> Any:
        """Return this event loop's client, creating it on first use."""
        loop = asyncio.get_running_loop()
        held = self._held.get(loop)
        if held is not None:
            return held[1]
        lock = self._locks.setdefault(loop, asyncio.Lock())
        async with lock:
            held = self._held.get(loop)
            if held is None:
                holder = _hold_async_client(self._settings)
                client = await holder.__anext__()
                held = (holder, client)
                self._held[loop] = held
        return held[1]

    async def aclose(self) -> None:
        """Close this event loop's client now (it is also closed with the loop)."""
        held = self._held.pop(asyncio.get_running_loop(), None)
        if held is not None:
            await held[0].aclose()  # type: ignore[attr-defined]
