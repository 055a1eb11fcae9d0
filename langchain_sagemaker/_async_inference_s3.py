"""S3 access for asynchronous inference: the client, URIs and object calls."""

from __future__ import annotations

import threading
from typing import Any

from langchain_sagemaker._client import ClientSettings, default_config
from langchain_sagemaker.errors import ConfigurationError

__all__ = [
    "create_s3_client",
    "delete_object",
    "get_if_exists",
    "object_exists",
    "put_object",
    "split_s3_uri",
]

# Error codes S3 answers for an object that is not there (yet): GetObject
# says NoSuchKey, HeadObject (no body) only its status.
_MISSING = frozenset({"NoSuchKey", "404", "NotFound"})


_loader_lock = threading.Lock()
_loader: Any = None


def _session(settings: ClientSettings) -> Any:
    """A boto3 session whose service models come from one shared loader.

    The S3 service model is large: parsing it anew for every client (a new
    session has an empty cache) costs ~0.1 s per LLM object, while sharing
    botocore's loader (read-only data) makes it ~0.01 s.
    """
    import boto3
    import botocore.loaders
    import botocore.session

    global _loader
    with _loader_lock:
        if _loader is None:
            _loader = botocore.loaders.create_loader()
        core = botocore.session.Session()
        core.register_component("data_loader", _loader)
        session = boto3.Session(botocore_session=core, **settings.session_kwargs())
        # boto3 appends its own data path to the loader for every session.
        paths = _loader.search_paths
        paths[:] = list(dict.fromkeys(paths))
    return session


def split_s3_uri(uri: str, what: str = "S3 URI") -> tuple[str, str]:
    """Split ``s3://bucket/key`` into ``(bucket, key)``.

    Raises:
        ConfigurationError: If ``uri`` is not an ``s3://`` URI with a bucket.
    """
    if not isinstance(uri, str) or not uri.startswith("s3://"):
        msg = f"{what} must be an s3:// URI (s3://bucket/prefix), got {uri!r}."
        raise ConfigurationError(msg)
    bucket, _, key = uri[5:].partition("/")
    if not bucket:
        msg = f"{what} {uri!r} names no bucket (s3://bucket/prefix)."
        raise ConfigurationError(msg)
    return bucket, key


def create_s3_client(settings: ClientSettings, endpoint_url: str | None) -> Any:
    """Create a boto3 ``s3`` client with the endpoint's credentials and region.

    The same session logic as the SageMaker Runtime client (profile, keys,
    assumed role, region, retries and timeouts); the S3 endpoint is
    ``endpoint_url``, else botocore's own resolution (``AWS_ENDPOINT_URL_S3``,
    ``AWS_ENDPOINT_URL``, then S3 itself).

    Raises:
        ConfigurationError: For a missing region, an unknown profile, or an
            incomplete key pair.
    """
    from botocore.exceptions import BotoCoreError, ProfileNotFound

    from langchain_sagemaker._client import _assume_role_session, _protect_logs

    _protect_logs(settings)
    try:
        session = _session(settings)
        if settings.role_arn:
            session = _assume_role_session(session, settings)
        kwargs: dict[str, Any] = {
            "region_name": settings.region(session.region_name),
            "config": default_config(settings.config, settings),
        }
        if endpoint_url:
            kwargs["endpoint_url"] = endpoint_url
        return session.client("s3", **kwargs)
    except ProfileNotFound as exc:
        msg = (
            f"AWS profile {settings.credentials_profile_name!r} not found. What to "
            "do: check `credentials_profile_name` against ~/.aws/config and "
            "~/.aws/credentials."
        )
        raise ConfigurationError(msg) from exc
    except BotoCoreError as exc:
        msg = f"Could not create the S3 client: {exc}"
        raise ConfigurationError(msg) from exc


def _is_missing(exc: BaseException) -> bool:
    from botocore.exceptions import ClientError

    if not isinstance(exc, ClientError):
        return False
    return str(exc.response.get("Error", {}).get("Code", "")) in _MISSING


def get_if_exists(client: Any, uri: str) -> bytes | None:
    """The object's bytes, or ``None`` if there is no such object (yet)."""
    bucket, key = split_s3_uri(uri)
    try:
        response = client.get_object(Bucket=bucket, Key=key)
    except Exception as exc:
        if _is_missing(exc):
            return None
        raise
    body = response["Body"]
    try:
        return bytes(body.read())
    finally:
        close = getattr(body, "close", None)
        if callable(close):
            close()


def object_exists(client: Any, uri: str) -> bool:
    """Whether the object exists (``HeadObject``; nothing is downloaded)."""
    bucket, key = split_s3_uri(uri)
    try:
        client.head_object(Bucket=bucket, Key=key)
    except Exception as exc:
        if _is_missing(exc):
            return False
        raise
    return True


def put_object(client: Any, uri: str, body: bytes, content_type: str | None) -> None:
    """Upload ``body`` to ``uri``."""
    bucket, key = split_s3_uri(uri)
    extra: dict[str, Any] = {"ContentType": content_type} if content_type else {}
    client.put_object(Bucket=bucket, Key=key, Body=body, **extra)


def delete_object(client: Any, uri: str) -> None:
    """Delete the object at ``uri`` (no error if it is already gone)."""
    bucket, key = split_s3_uri(uri)
    client.delete_object(Bucket=bucket, Key=key)
