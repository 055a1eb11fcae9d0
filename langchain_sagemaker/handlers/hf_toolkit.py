"""The Hugging Face inference toolkit (a ``transformers`` pipeline per endpoint).

Wire format, from aws/sagemaker-huggingface-inference-toolkit
``src/sagemaker_huggingface_inference_toolkit/handler_service.py``
(``predict``: ``model(inputs, **parameters)``; ``handle``: any exception
becomes a 400) and ``decoder_encoder.py`` (``encode_json``, compact):

* request: ``{"inputs": str, "parameters": {...}}``; ``parameters`` go to the
  pipeline call, so ``transformers`` rejects generation parameters it does not
  know (``ValueError`` -> 400 -> ``ModelError``).
* response: ``[{"generated_text": str}]``. The ``text-generation`` pipeline
  puts the prompt in front of the answer unless ``return_full_text`` is false,
  so that is sent; the ``text2text-generation`` pipeline (T5, BART) has no such
  parameter and would reject it, so pass ``task="text2text-generation"``.
* no streaming, no finish reason, no token usage; stop sequences are applied
  client-side only.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from langchain_sagemaker.handlers._common import ParamStyle, unreadable
from langchain_sagemaker.handlers._inputs import InputsHandler, NonStreaming
from langchain_sagemaker.handlers._json import loads
from langchain_sagemaker.handlers.base import Delta
from langchain_sagemaker.handlers.registry import register_handler

__all__ = ["HFToolkitHandler"]

Task = Literal["text-generation", "text2text-generation"]


@register_handler("hf-toolkit")
class HFToolkitHandler(NonStreaming, InputsHandler):
    """The Hugging Face inference toolkit's text-generation pipeline.

    Args:
        task: The pipeline's task (``HF_TASK``): ``"text-generation"`` (sends
            ``return_full_text: false``) or ``"text2text-generation"``.

    Example:
        ```python
        from langchain_sagemaker import get_handler

        llm = SagemakerEndpoint(
            endpoint_name="my-flan-t5",
            content_handler=get_handler("hf-toolkit", task="text2text-generation"),
        )
        ```
    """

    name: ClassVar[str] = "hf-toolkit"
    container: ClassVar[str] = "the Hugging Face inference toolkit pipeline"
    instead: ClassVar[str] = (
        "deploy the model with the Hugging Face LLM (TGI) container and use "
        "content_handler='tgi'"
    )
    style: ClassVar[ParamStyle] = ParamStyle(
        "max_new_tokens", greedy="do_sample", sample_flag=True
    )

    def __init__(self, task: Task = "text-generation") -> None:
        self.task = task

    def default_parameters(self, *, stream: bool) -> dict[str, Any]:
        """``return_full_text: false`` for the ``text-generation`` pipeline."""
        return {"return_full_text": False} if self.task == "text-generation" else {}

    def parse_response(self, body: bytes) -> Delta:
        """Read ``[{"generated_text"}]`` (the first sequence)."""
        data = loads(body, handler=self.who)
        item = data[0] if isinstance(data, list) and data else None
        if not isinstance(item, dict) or not isinstance(
            item.get("generated_text"), str
        ):
            raise unreadable(self.who, data, 'not a list of {"generated_text"}')
        return Delta(text=item["generated_text"], done=True)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(task={self.task!r})"
