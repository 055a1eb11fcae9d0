"""SageMaker Runtime request options: typed fields -> ``invoke_endpoint`` arguments."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Mapping
from typing import Any

__all__ = [
    "FIELD_TO_PARAM",
    "INVOKE_ONLY",
    "check_request",
    "merge_custom_attributes",
    "needs_check",
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

INVOKE_ONLY = frozenset({"TargetModel", "EnableExplanations"})
"""``InvokeEndpoint`` parameters that ``InvokeEndpointWithResponseStream`` lacks
(per botocore's model): left out of a stream's call. Anything else unknown is
kept, so that the request check names it instead of dropping it silently."""


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
            the options only ``InvokeEndpoint`` takes are left out.
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
        options = {k: v for k, v in options.items() if k not in INVOKE_ONLY}
    return options


def needs_check(params: Mapping[str, Any], *raw: Mapping[str, Any] | None) -> bool:
    """Whether a call carries something this package did not build itself.

    The runtime clients built here skip botocore's per-call parameter
    validation (see ``_client.default_config``): what comes from typed fields
    and built-in handlers is valid by construction. What a user passes raw
    (``endpoint_kwargs``, a legacy handler's body that is not bytes) is checked
    with :func:`check_request` instead.
    """
    return any(raw) or not isinstance(params.get("Body", b""), (bytes, bytearray))


def check_request(operation: str, params: Mapping[str, Any]) -> None:
    """Check a runtime call's parameters with botocore's own validator.

    Args:
        operation: The API operation, e.g. ``"InvokeEndpoint"``.
        params: The call's keyword arguments, complete.

    Raises:
        botocore.exceptions.ParamValidationError: The error botocore itself
            raises (unknown parameter, wrong type, missing parameter), before
            anything is sent.
    """
    from botocore.validate import validate_parameters

    shape = _service_model().operation_model(operation).input_shape
    validate_parameters(dict(params), shape)


@functools.cache
def _service_model() -> Any:
    """The SageMaker Runtime API model from botocore (loaded once, ~20 ms)."""
    import botocore.session

    return botocore.session.get_session().get_service_model("sagemaker-runtime")
