"""LangChain integration for LLMs hosted on Amazon SageMaker endpoints.

Example:
    ```python
    from langchain_sagemaker import SagemakerEndpoint

    llm = SagemakerEndpoint(endpoint_name="my-llm", content_handler="tgi")
    llm.invoke("Hello")
    ```
"""

from importlib import metadata

from langchain_sagemaker.async_inference import (
    AsyncInferenceFailedError,
    AsyncInferenceJob,
    AsyncInferenceTimeoutError,
    SagemakerAsyncEndpoint,
)
from langchain_sagemaker.chains import QAChain, create_qa_chain, load_qa_chain
from langchain_sagemaker.chat_models import (
    ChatDelta,
    ChatHandler,
    ChatModelContentHandler,
    ChatRequest,
    ChatSagemakerEndpoint,
    ToolCallDelta,
    get_chat_handler,
    list_chat_handlers,
    register_chat_handler,
)
from langchain_sagemaker.embeddings import SagemakerEndpointEmbeddings
from langchain_sagemaker.handlers import (
    ContentHandlerBase,
    LLMContentHandler,
    ModelHandler,
    get_handler,
    list_handlers,
    register_handler,
)
from langchain_sagemaker.handlers.embeddings import (
    EmbeddingsContentHandler,
    get_embedding_handler,
    list_embedding_handlers,
)
from langchain_sagemaker.llms import SagemakerEndpoint

try:
    __version__ = metadata.version(__package__ or "langchain-sagemaker")
except metadata.PackageNotFoundError:  # pragma: no cover - source checkout
    __version__ = ""

__all__ = [
    "AsyncInferenceFailedError",
    "AsyncInferenceJob",
    "AsyncInferenceTimeoutError",
    "ChatDelta",
    "ChatHandler",
    "ChatModelContentHandler",
    "ChatRequest",
    "ChatSagemakerEndpoint",
    "ContentHandlerBase",
    "EmbeddingsContentHandler",
    "LLMContentHandler",
    "ModelHandler",
    "QAChain",
    "SagemakerAsyncEndpoint",
    "SagemakerEndpoint",
    "SagemakerEndpointEmbeddings",
    "ToolCallDelta",
    "__version__",
    "create_qa_chain",
    "get_chat_handler",
    "get_embedding_handler",
    "get_handler",
    "list_chat_handlers",
    "list_embedding_handlers",
    "list_handlers",
    "load_qa_chain",
    "register_chat_handler",
    "register_handler",
]


def __getattr__(name: str) -> object:
    if name == "LocalEndpoint":
        from langchain_sagemaker.local import LocalEndpoint

        return LocalEndpoint
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
