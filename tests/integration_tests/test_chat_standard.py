"""langchain-tests' standard integration suite against the local endpoint.

The scripted container answers unscripted requests deterministically from the
echo model (the last user message, repeated), so the tests that check the
plumbing -- invoke, stream, batch, async, usage, stop sequences, message
histories with tool results -- run for real over boto3 and aiobotocore. Those
that need a model which understands the prompt (choose a tool and its
arguments, answer a schema, read an image) are skipped, each with its reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_tests.integration_tests import ChatModelIntegrationTests

import langchain_sagemaker.local.scripted  # noqa: F401 - registers "scripted"
from langchain_sagemaker import ChatSagemakerEndpoint
from langchain_sagemaker.local import LocalEndpoint

_ENDPOINT: list[LocalEndpoint] = []


NEEDS_A_MODEL = (
    "needs a model that reads the prompt to choose a tool's arguments or fill a "
    "schema; the local container answers deterministically (tools and schemas "
    "are covered with scripted answers in test_chat_local.py)"
)


@pytest.fixture(scope="module", autouse=True)
def local() -> Iterator[LocalEndpoint]:
    with LocalEndpoint(container="scripted", model="echo", endpoint_name="chat") as ep:
        ep.add_endpoint("chat-tgi", "scripted", model="echo", flavour="tgi")
        _ENDPOINT.append(ep)
        yield ep
        _ENDPOINT.clear()


class TestChatSagemakerEndpointLocal(ChatModelIntegrationTests):
    endpoint_name = "chat"
    content_handler = "openai-chat"

    @property
    def chat_model_class(self) -> type[BaseChatModel]:
        return ChatSagemakerEndpoint

    @property
    def chat_model_params(self) -> dict[str, Any]:
        ep = _ENDPOINT[0]
        return {
            "endpoint_name": self.endpoint_name,
            "content_handler": self.content_handler,
            "endpoint_url": ep.url,
            "region_name": ep.region_name,
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
        }

    @property
    def standard_chat_model_params(self) -> dict[str, Any]:
        params = super().standard_chat_model_params
        params.pop("api_key", None)
        return params

    @property
    def returns_usage_metadata(self) -> bool:
        return True

    # The tests below need a model that reads the prompt; they run, and are
    # expected to fail (xfail with the reason, as langchain-tests asks).

    @pytest.mark.xfail(reason=NEEDS_A_MODEL)
    @pytest.mark.parametrize("model", [{}, {"output_version": "v1"}], indirect=True)
    def test_tool_calling(self, model: BaseChatModel) -> None:
        super().test_tool_calling(model)

    @pytest.mark.xfail(reason=NEEDS_A_MODEL)
    async def test_tool_calling_async(self, model: BaseChatModel) -> None:
        await super().test_tool_calling_async(model)

    @pytest.mark.xfail(reason=NEEDS_A_MODEL)
    def test_bind_runnables_as_tools(self, model: BaseChatModel) -> None:
        super().test_bind_runnables_as_tools(model)

    @pytest.mark.xfail(reason=NEEDS_A_MODEL)
    @pytest.mark.parametrize("schema_type", ["pydantic", "typeddict", "json_schema"])
    def test_structured_output(
        self,
        model: BaseChatModel,
        schema_type: Literal["pydantic", "typeddict", "json_schema"],
    ) -> None:
        super().test_structured_output(model, schema_type)

    @pytest.mark.xfail(reason=NEEDS_A_MODEL)
    @pytest.mark.parametrize("schema_type", ["pydantic", "typeddict", "json_schema"])
    async def test_structured_output_async(
        self,
        model: BaseChatModel,
        schema_type: Literal["pydantic", "typeddict", "json_schema"],
    ) -> None:
        await super().test_structured_output_async(model, schema_type)

    @pytest.mark.xfail(reason=NEEDS_A_MODEL)
    def test_structured_output_pydantic_2_v1(self, model: BaseChatModel) -> None:
        super().test_structured_output_pydantic_2_v1(model)

    @pytest.mark.xfail(reason=NEEDS_A_MODEL)
    def test_structured_output_optional_param(self, model: BaseChatModel) -> None:
        super().test_structured_output_optional_param(model)

    @pytest.mark.xfail(reason=NEEDS_A_MODEL)
    @pytest.mark.parametrize("model", [{}, {"output_version": "v1"}], indirect=True)
    def test_agent_loop(self, model: BaseChatModel) -> None:
        super().test_agent_loop(model)

    @pytest.mark.xfail(reason=NEEDS_A_MODEL)
    def test_unicode_tool_call_integration(
        self,
        model: BaseChatModel,
        *,
        tool_choice: str | None = None,
        force_tool_call: bool = True,
    ) -> None:
        super().test_unicode_tool_call_integration(
            model, tool_choice=tool_choice, force_tool_call=force_tool_call
        )


class TestChatSagemakerEndpointLocalTGI(TestChatSagemakerEndpointLocal):
    endpoint_name = "chat-tgi"
    content_handler = "tgi-messages"
