"""The public names: sorted, complete, importable."""

from __future__ import annotations

import langchain_sagemaker

EXPECTED = {
    "AsyncInferenceJob",
    "SagemakerAsyncEndpoint",
    "ChatSagemakerEndpoint",
    "ContentHandlerBase",
    "EmbeddingsContentHandler",
    "LLMContentHandler",
    "ModelHandler",
    "QAChain",
    "SagemakerEndpoint",
    "SagemakerEndpointEmbeddings",
    "create_qa_chain",
    "get_embedding_handler",
    "get_handler",
    "list_embedding_handlers",
    "list_handlers",
    "load_qa_chain",
    "register_handler",
}


def test_all_is_sorted_and_importable() -> None:
    names = list(langchain_sagemaker.__all__)
    assert names == sorted(names)
    for name in names:
        assert getattr(langchain_sagemaker, name) is not None


def test_core_names_are_public() -> None:
    assert set(langchain_sagemaker.__all__) >= EXPECTED


def test_local_endpoint_is_reachable_lazily() -> None:
    from langchain_sagemaker.local import LocalEndpoint

    assert langchain_sagemaker.LocalEndpoint is LocalEndpoint
