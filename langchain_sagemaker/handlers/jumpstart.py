"""SageMaker JumpStart text-generation models: their payload and response shapes.

Read from the JumpStart example notebooks in aws/amazon-sagemaker-examples:

* ``jumpstart-llama``: Llama 2 (``meta-textgeneration-llama-2-*``, model
  versions 1.x-2.x, Meta's own inference script; ``generative_ai/
  sm-jumpstart_llama_2_text_completion.ipynb``, ``..._chat_completion.ipynb``,
  ``archived/question_answering_pinecone_llama-2_jumpstart.ipynb``).
  ``{"inputs": str, "parameters": {"max_new_tokens", "temperature", "top_p"}}``
  -> ``[{"generation": str}]``; the chat (``-f``) models take
  ``"inputs": [[{"role", "content"}]]`` and answer
  ``[{"generation": {"role", "content"}}]``. Needs
  ``endpoint_kwargs={"CustomAttributes": "accept_eula=true"}``. Temperature
  must be positive; no stop sequences, no streaming, no usage. Newer Llama
  JumpStart models (Llama 3, ``sm-jumpstart_foundation_llama_3_text_completion
  .ipynb``) answer ``{"generated_text"}`` from LMI: use ``"lmi"``.
* ``jumpstart-flan-t5``: FLAN-T5 (``huggingface-text2text-flan-t5-*``, model
  versions 1.x; ``text2text-generation-flan-t5.ipynb`` before its Feb 2024
  "TGI upgrade" commit a365348f). ``{"text_inputs": str, "max_length", ...}``
  with the parameters on the top level -> ``{"generated_texts": [str]}``. No
  stop sequences, no streaming. Versions 2.x run on TGI: use ``"tgi"``.
* ``jumpstart-falcon`` and ``jumpstart-mistral``: ``huggingface-llm-falcon-*``
  (``archived/text-generation-falcon.ipynb``) and ``huggingface-llm-mistral-*``
  (``sm-jumpstart_foundation_mistral_7b_domain_adaption_finetuning.ipynb``,
  ``sm-jumpstart_foundation_text_generation_inference.ipynb``) run on the
  Hugging Face LLM container (TGI): ``{"inputs", "parameters"}`` ->
  ``[{"generated_text"}]``, ``stop``, streaming; they are the ``tgi`` handler
  under the JumpStart name. The handler sends the prompt as given (Mistral
  instruct models expect ``[INST] ... [/INST]`` in it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from langchain_sagemaker.handlers._common import BuiltinHandler, ParamStyle, unreadable
from langchain_sagemaker.handlers._inputs import InputsHandler, NonStreaming
from langchain_sagemaker.handlers._json import dumps, loads
from langchain_sagemaker.handlers.base import Delta
from langchain_sagemaker.handlers.registry import register_handler
from langchain_sagemaker.handlers.tgi import TGIHandler

__all__ = [
    "JumpStartFalconHandler",
    "JumpStartFlanT5Handler",
    "JumpStartLlamaHandler",
    "JumpStartMistralHandler",
]

_TO_STREAM = (
    "deploy a newer model version (served by TGI or LMI) and use 'tgi' or 'lmi'"
)


@register_handler("jumpstart-llama")
class JumpStartLlamaHandler(NonStreaming, InputsHandler):
    """Llama 2 on JumpStart (model versions 1.x-2.x): ``[{"generation"}]``.

    Args:
        chat: For the chat (``-f``) models: send the prompt as one user turn of
            a dialog and read ``generation.content``.

    Example:
        ```python
        llm = SagemakerEndpoint(
            endpoint_name="jumpstart-llama-2-7b-f",
            content_handler=get_handler("jumpstart-llama", chat=True),
            endpoint_kwargs={"CustomAttributes": "accept_eula=true"},
        )
        ```
    """

    name: ClassVar[str] = "jumpstart-llama"
    container: ClassVar[str] = "JumpStart's Llama 2 inference script"
    instead: ClassVar[str] = _TO_STREAM
    style: ClassVar[ParamStyle] = ParamStyle("max_new_tokens", greedy="reject")

    def __init__(self, chat: bool = False) -> None:
        self.chat = chat

    def inputs(self, prompt: str) -> Any:
        """The prompt, or for chat models a one-turn dialog in a batch of one."""
        return [[{"role": "user", "content": prompt}]] if self.chat else prompt

    def parse_response(self, body: bytes) -> Delta:
        """Read ``[{"generation": str}]`` or ``[{"generation": {"content"}}]``."""
        data = loads(body, handler=self.who)
        item = data[0] if isinstance(data, list) and data else None
        generation = item.get("generation") if isinstance(item, dict) else None
        if isinstance(generation, dict):
            generation = generation.get("content")
        if not isinstance(generation, str):
            raise unreadable(self.who, data, 'not a list of {"generation"}')
        return Delta(text=generation, done=True)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(chat={self.chat!r})"


@register_handler("jumpstart-flan-t5")
class JumpStartFlanT5Handler(NonStreaming, BuiltinHandler):
    """FLAN-T5 on JumpStart (model versions 1.x): ``{"generated_texts"}``.

    Example:
        ```python
        llm = SagemakerEndpoint(
            endpoint_name="jumpstart-flan-t5-xl",
            content_handler="jumpstart-flan-t5",
            model_kwargs={"max_tokens": 100},
        )
        ```
    """

    name: ClassVar[str] = "jumpstart-flan-t5"
    container: ClassVar[str] = "JumpStart's FLAN-T5 inference script"
    instead: ClassVar[str] = _TO_STREAM
    style: ClassVar[ParamStyle] = ParamStyle(
        "max_length", greedy="do_sample", sample_flag=True
    )

    def request_body(
        self,
        prompt: str,
        params: Mapping[str, Any],
        *,
        stop: list[str],
        stream: bool,
    ) -> bytes:
        """Build ``{"text_inputs": prompt, **parameters}`` (parameters on top)."""
        self.check_stream(stream)
        return dumps(
            {"text_inputs": prompt, **self.style.apply(params, stop, handler=self.who)}
        )

    def parse_response(self, body: bytes) -> Delta:
        """Read ``{"generated_texts": [...]}`` (the first sequence)."""
        data = loads(body, handler=self.who)
        texts = data.get("generated_texts") if isinstance(data, dict) else None
        if not isinstance(texts, list) or not texts or not isinstance(texts[0], str):
            raise unreadable(self.who, data, 'no "generated_texts" list of strings')
        return Delta(text=texts[0], done=True)


@register_handler("jumpstart-falcon")
class JumpStartFalconHandler(TGIHandler):
    """Falcon on JumpStart (``huggingface-llm-falcon-*``): the TGI dialect.

    Example:
        ```python
        llm = SagemakerEndpoint(endpoint_name="falcon-7b", content_handler="jumpstart-falcon")
        ```
    """

    name: ClassVar[str] = "jumpstart-falcon"


@register_handler("jumpstart-mistral")
class JumpStartMistralHandler(TGIHandler):
    """Mistral on JumpStart (``huggingface-llm-mistral-*``): the TGI dialect.

    Example:
        ```python
        llm = SagemakerEndpoint(endpoint_name="mistral-7b", content_handler="jumpstart-mistral")
        llm.invoke("<s>[INST] What is SageMaker? [/INST]")
        ```
    """

    name: ClassVar[str] = "jumpstart-mistral"
