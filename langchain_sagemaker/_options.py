"""SageMaker Runtime request options: typed fields -> ``invoke_endpoint`` arguments."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

__all__ = [
    "FIELD_TO_PARAM",
    "STREAM_PARAMS",
    "merge_custom_attributes",
    "request_options",
]

FIELD_TO_PARAM: dict[str, str] = {
    "inference_component_name": "InferenceComponentName",
    "target_variant": "TargetVariant",
    "target_model": "TargetModel",
    "target_container_hostname": "TargetContainerHostname",
    "custom_attributes": "CustomAttributes",
    "inference_id": "InferenceId",
    "session_id": "SessionId",
    "enable_explanations": "EnableExplanations",
}
"""Our field names and the runtime API parameters they set."""

STREAM_PARAMS = frozenset(
    {
        "EndpointName",
        "Body",
        "ContentType",
        "Accept",
        "CustomAttributes",
        "TargetVariant",
        "TargetContainerHostname",
        "InferenceId",
        "InferenceComponentName",
        "SessionId",
    }
)
"""Parameters ``InvokeEndpointWithResponseStream`` accepts (per botocore's model)."""


def merge_custom_attributes(*values: str | None) -> str | None:
    """Join custom attribute strings (``k=v`` pairs) with ``;``, dropping empties."""
    parts = [v for v in values if v]
    return ";".join(parts) if parts else None


def request_options(
    fields: Mapping[str, Any],
    endpoint_kwargs: Mapping[str, Any] | None,
    *,
    stream: bool,
    overrides: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Build the runtime API options for one call.

    Args:
        fields: Our typed option fields (see :data:`FIELD_TO_PARAM`), ``None``
            for unset.
        endpoint_kwargs: Raw ``invoke_endpoint`` arguments; they win over the
            typed fields on conflict, with a warning.
        stream: Whether the call is ``InvokeEndpointWithResponseStream``;
            options that API does not take are left out.
        overrides: Per-call arguments (``invoke(..., endpoint_kwargs=...)``);
            they win over everything, silently: the caller asked for them.

    Returns:
        The keyword arguments to add to the client call.
    """
    options = {
        FIELD_TO_PARAM[name]: value
        for name, value in fields.items()
        if value is not None and name in FIELD_TO_PARAM
    }
    for key, value in (endpoint_kwargs or {}).items():
        if key in options and options[key] != value:
            field = next(f for f, p in FIELD_TO_PARAM.items() if p == key)
            warnings.warn(
                f"`endpoint_kwargs[{key!r}]` overrides the `{field}` field "
                f"({options[key]!r} -> {value!r}).",
                UserWarning,
                stacklevel=4,
            )
        options[key] = value
    options.update(overrides or {})
    if stream:
        options = {k: v for k, v in options.items() if k in STREAM_PARAMS}
    return options
