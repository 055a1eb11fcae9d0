"""Content handlers: the legacy contract, built-in dialects, and their registry.

Importing this package registers the built-in handlers (see ``list_handlers()``).
"""

from langchain_sagemaker.handlers.auto import AutoHandler
from langchain_sagemaker.handlers.base import (
    ContentHandlerBase,
    Delta,
    Framing,
    LegacyHandler,
    LLMContentHandler,
    ModelHandler,
    StreamLine,
    read_body,
)
from langchain_sagemaker.handlers.hf_toolkit import HFToolkitHandler
from langchain_sagemaker.handlers.jumpstart import (
    JumpStartFalconHandler,
    JumpStartFlanT5Handler,
    JumpStartLlamaHandler,
    JumpStartMistralHandler,
)
from langchain_sagemaker.handlers.lmi import LMIHandler
from langchain_sagemaker.handlers.openai import (
    OpenAIChatHandler,
    OpenAICompletionsHandler,
)
from langchain_sagemaker.handlers.registry import (
    get_handler,
    list_handlers,
    register_handler,
    resolve_handler,
)
from langchain_sagemaker.handlers.tgi import TGIHandler
from langchain_sagemaker.handlers.tgi_messages import TGIMessagesHandler

__all__ = [
    "AutoHandler",
    "ContentHandlerBase",
    "Delta",
    "Framing",
    "HFToolkitHandler",
    "JumpStartFalconHandler",
    "JumpStartFlanT5Handler",
    "JumpStartLlamaHandler",
    "JumpStartMistralHandler",
    "LLMContentHandler",
    "LMIHandler",
    "LegacyHandler",
    "ModelHandler",
    "OpenAIChatHandler",
    "OpenAICompletionsHandler",
    "StreamLine",
    "TGIHandler",
    "TGIMessagesHandler",
    "get_handler",
    "list_handlers",
    "read_body",
    "register_handler",
    "resolve_handler",
]
