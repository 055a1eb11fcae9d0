"""langchain-tests' standard unit suite for ChatSagemakerEndpoint, both dialects."""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_tests.unit_tests import ChatModelUnitTests

from langchain_sagemaker import ChatSagemakerEndpoint


class _Unused:
    """An injected client the suite never calls (it only builds models)."""


class _SagemakerStandard(ChatModelUnitTests):
    @property
    def chat_model_class(self) -> type[BaseChatModel]:
        return ChatSagemakerEndpoint

    @property
    def standard_chat_model_params(self) -> dict[str, Any]:
        # SageMaker authenticates with AWS credentials (SigV4): there is no
        # API key. temperature, max_tokens, timeout, stop and max_retries are
        # supported.
        params = super().standard_chat_model_params
        params.pop("api_key")
        return params

    @property
    def init_from_env_params(
        self,
    ) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {
                "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
                "AWS_SECRET_ACCESS_KEY": "secret",
                "AWS_SESSION_TOKEN": "token",
            },
            {"endpoint_name": "my-endpoint", "region_name": "us-west-2"},
            {
                "aws_access_key_id": "AKIDEXAMPLE",
                "aws_secret_access_key": "secret",
                "aws_session_token": "token",
            },
        )

    @property
    def returns_usage_metadata(self) -> bool:
        return True


class TestOpenAIChatInjectedClient(_SagemakerStandard):
    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"endpoint_name": "my-endpoint", "client": _Unused()}


class TestTGIMessagesInjectedClient(_SagemakerStandard):
    # An injected client: building a boto3 client per model (endpoint_url)
    # takes ~0.25 s, which test_init_time repeats 50 times.
    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {
            "endpoint_name": "my-endpoint",
            "content_handler": "tgi-messages",
            "client": _Unused(),
        }
