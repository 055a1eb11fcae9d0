r"""SageMaker JumpStart text-generation containers.

JumpStart deploys each model in a stock container with model-specific
settings; what an endpoint answers depends on which. Sources: the JumpStart
notebooks of aws/amazon-sagemaker-examples
(``introduction_to_amazon_algorithms/jumpstart-foundation-models/``) and the
serving stacks they name.

``jumpstart-flan-t5`` (:class:`JumpStartFlanT5Container`) -- FLAN-T5 as
JumpStart served it before moving it to TGI (September 2023): a Hugging Face
DLC (MMS) with JumpStart's inference script. From
``text2text-generation-flan-t5.ipynb`` at ``e342319c`` (June 2023): an
``application/x-text`` body is the prompt and the answer is
``{"generated_text": ...}``; an ``application/json`` body is
``{"text_inputs": ..., "max_length": ..., "num_return_sequences": ...,
"top_k", "top_p", "do_sample", "temperature", "num_beams",
"no_repeat_ngram_size", "early_stopping", "max_new_tokens", "seed"}`` and
the answer ``{"generated_texts": [...]}``. The answer holds only generated
text (T5 is an encoder-decoder); ``max_length`` bounds the decoder output,
whose start token counts (at most ``max_length - 1`` new tokens), and
defaults to transformers' 20. The notebook states the constraints ("must be
a positive integer"...); the error *wording* of the script is not public,
so the messages here are local, in MMS's 400 error body (see
:func:`~langchain_sagemaker.local.hf_toolkit.mms_error`). Unknown keys are
refused like the HF pipeline refuses unknown ``generate`` arguments.

``jumpstart-llama`` (:func:`jumpstart_llama`) -- Llama 2 text generation.
``flavor="legacy"`` (default) is the first JumpStart Llama 2 (July 2023,
``llama-2-text-completion.ipynb`` / ``llama-2-chat-completion.ipynb`` at
``0efd885e``): a DJL container with JumpStart's handler. Requests need
``CustomAttributes="accept_eula=true"``; the body is ``{"inputs": ...,
"parameters": {"max_new_tokens", "temperature", "top_p",
"return_full_text"}}`` with ``inputs`` a string (text models) or a list of
dialogs (``-f`` chat models); the answer is ``[{"generation": "..."}]`` or
``[{"generation": {"role": "assistant", "content": "..."}}]``, written by
djl_python's ``Output.add_as_json`` (``json.dumps(indent=2,
separators=(",", ":"))``, ``engines/python/setup/djl_python/outputs.py``
of djl-serving 0.23). Errors are ``Output.error``: status 424 and
``{"code":424,"message":"prediction failure","error":...}`` in the same
indented form; the EULA and missing-``inputs`` messages are the ones users
reported (langchain-ai/langchain#9733,
aws-samples/amazon-kendra-langchain-extensions#38); the dialog checks are
those of Meta's ``llama/generation.py`` ``chat_completion``. No streaming.
``flavor="tgi"`` is the later TGI-based JumpStart Llama 2: like
``jumpstart-mistral`` below, answering ``[{"generated_text": ...}]``.

``jumpstart-mistral`` and ``jumpstart-falcon`` (:class:`JumpStartTGIContainer`)
-- JumpStart serves them with Hugging Face TGI (``text-generation-falcon.ipynb``;
Mistral 7B with TGI 1.1): ``{"inputs", "parameters"}`` ->
``[{"generated_text": ...}]``, streaming with ``"stream": true``. Those TGI
versions (< 2.1: axum 0.6) write ``data:{json}`` without a space and, the
model being loaded from a local path (no hub ``pipeline_tag``), default
``return_full_text`` to false (``router/src/main.rs``
``compat_return_full_text`` at TGI v1.1.0); their default
``max_new_tokens`` is 20 (``default_max_new_tokens`` in
``router/src/lib.rs`` before 1.4). The token limits are JumpStart's
``MAX_INPUT_LENGTH`` / ``MAX_TOTAL_TOKENS`` settings (defaults here are
assumptions; pass your endpoint's). Validation and errors are TGI's, see
:mod:`langchain_sagemaker.local.tgi`.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from langchain_sagemaker.local.common import (
    DialectBase,
    StopRule,
    compact_json,
    count_tokens,
    decode,
    python_indent_json,
    synth_token,
)
from langchain_sagemaker.local.container import (
    Container,
    ContainerRequest,
    ContainerResponse,
)
from langchain_sagemaker.local.hf_toolkit import mms_error
from langchain_sagemaker.local.models.base import Model
from langchain_sagemaker.local.tgi import TGIContainer

__all__ = [
    "JumpStartFalconContainer",
    "JumpStartFlanT5Container",
    "JumpStartLlamaContainer",
    "JumpStartMistralContainer",
    "JumpStartTGIContainer",
    "jumpstart_llama",
]

_JSON = "application/json"
_X_TEXT = "application/x-text"


class _Refused(Exception):
    """A request the JumpStart handler refuses, with its message."""


# --- FLAN-T5 (HF DLC + JumpStart script) ------------------------------------------

_FLAN_PARAMETERS = {
    "max_length": "positive_int",
    "max_new_tokens": "positive_int",
    "num_return_sequences": "positive_int",
    "num_beams": "positive_int",
    "top_k": "positive_int",
    "no_repeat_ngram_size": "int_above_1",
    "temperature": "positive_float",
    "top_p": "unit_float",
    "do_sample": "bool",
    "early_stopping": "bool",
    "seed": "int",
}


def _check_flan(key: str, value: Any) -> None:
    kind = _FLAN_PARAMETERS[key]
    is_int = isinstance(value, int) and not isinstance(value, bool)
    is_number = is_int or isinstance(value, float)
    if kind == "positive_int" and not (is_int and value > 0):
        raise _Refused(f"{key} must be a positive integer, got {value!r}.")
    if kind == "int_above_1" and not (is_int and value > 1):
        raise _Refused(
            f"{key} must be a positive integer greater than 1, got {value!r}."
        )
    if kind == "positive_float" and not (is_number and value > 0):
        raise _Refused(f"{key} must be a positive float, got {value!r}.")
    if kind == "unit_float" and not (is_number and 0 <= value <= 1):
        raise _Refused(f"{key} must be a float between 0 and 1, got {value!r}.")
    if kind == "bool" and not isinstance(value, bool):
        raise _Refused(f"{key} must be a boolean, got {value!r}.")
    if kind == "int" and not is_int:
        raise _Refused(f"{key} must be an integer, got {value!r}.")


class JumpStartFlanT5Container(DialectBase):
    """The pre-TGI JumpStart FLAN-T5 container (``text_inputs`` schema).

    Args:
        model: The model that generates the tokens.
        max_length: Default ``max_length`` (decoder tokens, start included).
        eos_token_id: Id of the EOS token (``</s>``).
        latency_ms: Artificial delay before the first token (prefill).
        token_latency_ms: Artificial delay before each further token.
    """

    dialect = "jumpstart-flan-t5"

    def __init__(
        self,
        model: Model,
        *,
        max_length: int = 20,
        eos_token_id: int = 1,
        latency_ms: float = 0.0,
        token_latency_ms: float = 0.0,
    ) -> None:
        super().__init__(
            model, latency_ms=latency_ms, token_latency_ms=token_latency_ms
        )
        self.max_length = max_length
        self.eos_token_id = eos_token_id

    async def invoke(self, request: ContainerRequest) -> ContainerResponse:
        """Answer one ``POST /invocations`` like the JumpStart FLAN-T5 script.

        Args:
            request: The request SageMaker forwards.

        Returns:
            ``{"generated_text"}`` (x-text), ``{"generated_texts"}`` (JSON),
            or MMS's 400 error.
        """
        try:
            if request.content_type == _X_TEXT:
                text = request.body.decode("utf-8")
                answer = await self._generate(text, {})
                body = compact_json({"generated_text": answer})
            elif request.content_type == _JSON:
                body = compact_json({"generated_texts": await self._json(request)})
            else:
                raise _Refused(
                    f"Content type {request.content_type} is not supported by "
                    "this framework."
                )
        except (_Refused, ValueError) as error:
            return ContainerResponse(
                status=400, content_type=_JSON, body=mms_error(str(error))
            )
        return ContainerResponse(status=200, content_type=_JSON, body=body)

    async def _json(self, request: ContainerRequest) -> list[Any]:
        payload = json.loads(request.body.decode("utf-8"))
        if not isinstance(payload, dict) or "text_inputs" not in payload:
            raise _Refused("'text_inputs'")
        inputs = payload.pop("text_inputs")
        unused = [key for key in payload if key not in _FLAN_PARAMETERS]
        if unused:
            raise _Refused(
                f"The following `model_kwargs` are not used by the model: {unused} "
                "(note: typos in the generate arguments will also show up in this "
                "list)"
            )
        for key, value in payload.items():
            _check_flan(key, value)
        returns = payload.get("num_return_sequences", 1)
        beams = payload.get("num_beams", 1)
        if beams < returns and (beams > 1 or not payload.get("do_sample")):
            raise _Refused(
                "num_beams must be an integer greater than or equal to "
                f"num_return_sequences, got {beams} < {returns}."
            )
        if isinstance(inputs, str):
            answer = await self._generate(inputs, payload)
            return [answer] * returns
        if isinstance(inputs, list) and all(isinstance(i, str) for i in inputs):
            texts = [await self._generate(i, payload) for i in inputs]
            return [[text] * returns for text in texts]
        raise _Refused(
            f"text_inputs must be a string or a list of strings, got {inputs!r}."
        )

    async def _generate(self, prompt: str, parameters: dict[str, Any]) -> str:
        budget = parameters.get("max_new_tokens")
        if budget is None:
            budget = max(parameters.get("max_length", self.max_length) - 1, 1)
        eos = synth_token("</s>", special=True, token_id=self.eos_token_id)
        output = ""
        try:
            async for step in decode(self.tokens(prompt, eos), max_tokens=budget):
                output = step.output
        except Exception as error:
            raise _Refused(str(error)) from error
        return output


# --- Llama 2, first JumpStart release (DJL + JumpStart handler) ----------------------

_EULA_MESSAGE = (
    "Need to pass custom_attributes='accept_eula=true' as part of header. This "
    "means you have read and accept the end-user license agreement (EULA) of the "
    "model. EULA can be found in model card description or from "
    "https://ai.meta.com/resources/models-and-libraries/llama-downloads/."
)
_INPUTS_MESSAGE = (
    "Input payload must contain a 'inputs' key and optionally a 'parameters' key "
    "containing a dictionary of parameters."
)
_ROLES_MESSAGE = (
    "model only supports 'system', 'user' and 'assistant' roles, starting with "
    "'system', then 'user' and alternating (u/a/u/a/u...)"
)


def _custom_attributes(header: str | None) -> dict[str, str]:
    """``key=value`` pairs separated by ``;``; the last of a key wins."""
    pairs: dict[str, str] = {}
    for item in (header or "").split(";"):
        key, sep, value = item.partition("=")
        if sep:
            pairs[key.strip()] = value.strip()
    return pairs


class JumpStartLlamaContainer(DialectBase):
    """The first JumpStart Llama 2 container (``[{"generation": ...}]``).

    Args:
        model: The model that generates the tokens.
        max_total_tokens: Prompt plus answer limit (4096 for Llama 2).
        eos_token_id: Id of the EOS token.
        latency_ms: Artificial delay before the first token (prefill).
        token_latency_ms: Artificial delay before each further token.
    """

    dialect = "jumpstart-llama"

    def __init__(
        self,
        model: Model,
        *,
        max_total_tokens: int = 4096,
        eos_token_id: int = 2,
        latency_ms: float = 0.0,
        token_latency_ms: float = 0.0,
    ) -> None:
        super().__init__(
            model, latency_ms=latency_ms, token_latency_ms=token_latency_ms
        )
        self.max_total_tokens = max_total_tokens
        self.eos_token_id = eos_token_id

    @staticmethod
    def _error(message: str) -> ContainerResponse:
        body = {"code": 424, "message": "prediction failure", "error": message}
        return ContainerResponse(
            status=424, content_type=_JSON, body=python_indent_json(body)
        )

    async def invoke(self, request: ContainerRequest) -> ContainerResponse:
        """Answer one ``POST /invocations`` like the first JumpStart Llama 2.

        Args:
            request: The request SageMaker forwards.

        Returns:
            The indented JSON answer or a 424 ``prediction failure``.
        """
        eula = _custom_attributes(request.custom_attributes).get("accept_eula", "")
        if eula.lower() != "true":
            return self._error(_EULA_MESSAGE)
        try:
            payload = json.loads(request.body.decode("utf-8"))
        except ValueError as error:
            return self._error(str(error))
        if not isinstance(payload, dict) or "inputs" not in payload:
            return self._error(_INPUTS_MESSAGE)
        parameters = payload.get("parameters", {})
        if not isinstance(parameters, dict):
            return self._error(_INPUTS_MESSAGE)
        try:
            result = await self._answer(payload["inputs"], parameters)
        except _Refused as error:
            return self._error(str(error))
        return ContainerResponse(
            status=200, content_type=_JSON, body=python_indent_json(result)
        )

    async def _answer(self, inputs: Any, parameters: dict[str, Any]) -> list[Any]:
        max_new_tokens = parameters.get("max_new_tokens")
        if max_new_tokens is not None and (
            isinstance(max_new_tokens, bool)
            or not isinstance(max_new_tokens, int)
            or max_new_tokens <= 0
        ):
            raise _Refused(
                f"max_new_tokens must be a positive integer, got {max_new_tokens!r}."
            )
        full = bool(parameters.get("return_full_text", False))
        if isinstance(inputs, str):
            text = await self._generate(inputs, max_new_tokens)
            return [{"generation": inputs + text if full else text}]
        if (
            isinstance(inputs, list)
            and inputs
            and all(isinstance(dialog, list) for dialog in inputs)
        ):
            if len(inputs) > 1:
                raise _Refused("Batch size larger than 1 is not supported.")
            dialog = inputs[0]
            prompt = self._check_dialog(dialog)
            text = await self._generate(prompt, max_new_tokens)
            return [{"generation": {"role": "assistant", "content": text}}]
        raise _Refused(_INPUTS_MESSAGE)

    @staticmethod
    def _check_dialog(dialog: list[Any]) -> str:
        """``Llama.chat_completion``'s checks; returns the last user turn."""
        if not all(
            isinstance(m, dict)
            and isinstance(m.get("role"), str)
            and isinstance(m.get("content"), str)
            for m in dialog
        ):
            raise _Refused(_ROLES_MESSAGE)
        turns = dialog[1:] if dialog and dialog[0]["role"] == "system" else dialog
        roles_ok = all(m["role"] == "user" for m in turns[::2]) and all(
            m["role"] == "assistant" for m in turns[1::2]
        )
        if not turns or not roles_ok:
            raise _Refused(_ROLES_MESSAGE)
        if turns[-1]["role"] != "user":
            raise _Refused(f"Last message must be from user, got {turns[-1]['role']}")
        return str(turns[-1]["content"])

    async def _generate(self, prompt: str, max_new_tokens: int | None) -> str:
        budget = max_new_tokens or max(self.max_total_tokens - count_tokens(prompt), 1)
        eos = synth_token("</s>", special=True, token_id=self.eos_token_id)
        output = ""
        try:
            async for step in decode(
                self.tokens(prompt, eos), max_tokens=budget, rule=StopRule.SUFFIX
            ):
                output = step.output
        except Exception as error:
            raise _Refused(str(error)) from error
        return output


# --- TGI-based JumpStart models ------------------------------------------------------


class JumpStartTGIContainer(TGIContainer):
    """TGI as JumpStart deploys it (TGI 0.8-1.x, model from a local path).

    Args:
        model: The model that generates the tokens.
        **options: Options of :class:`~langchain_sagemaker.local.tgi.TGIContainer`;
            the JumpStart defaults below apply unless given.
    """

    dialect = "jumpstart-tgi"
    #: JumpStart defaults of this model family.
    defaults: ClassVar[dict[str, Any]] = {
        "default_return_full_text": False,
        "default_max_new_tokens": 20,
        "sse_prefix": "data:",
        "max_input_tokens": 4095,
        "max_total_tokens": 4096,
    }

    def __init__(self, model: Model, **options: Any) -> None:
        super().__init__(model, **{**self.defaults, **options})

    def __repr__(self) -> str:
        name = getattr(self.model, "name", self.model)
        return f"{type(self).__name__}(model={name!r})"


class JumpStartMistralContainer(JumpStartTGIContainer):
    """Mistral 7B on JumpStart (TGI 1.1)."""

    dialect = "jumpstart-mistral"


class JumpStartFalconContainer(JumpStartTGIContainer):
    """Falcon 7B/40B on JumpStart (TGI 0.8/0.9, EOS ``<|endoftext|>``)."""

    dialect = "jumpstart-falcon"
    defaults: ClassVar[dict[str, Any]] = {
        **JumpStartTGIContainer.defaults,
        "max_input_tokens": 1024,
        "max_total_tokens": 2048,
        "eos_token": "<|endoftext|>",
        "eos_token_id": 11,
    }


class _JumpStartLlamaTGIContainer(JumpStartTGIContainer):
    dialect = "jumpstart-llama"


def jumpstart_llama(
    model: Model, *, flavor: str = "legacy", **options: Any
) -> Container:
    """Build a ``jumpstart-llama`` container.

    Args:
        model: The model that generates the tokens.
        flavor: ``"legacy"`` (the first, DJL-based JumpStart Llama 2:
            ``[{"generation": ...}]``, EULA custom attribute) or ``"tgi"``
            (the later TGI-based one: ``[{"generated_text": ...}]``).
        **options: Options of the chosen container.

    Returns:
        The container.
    """
    if flavor == "legacy":
        return JumpStartLlamaContainer(model, **options)
    if flavor == "tgi":
        return _JumpStartLlamaTGIContainer(model, **options)
    raise ValueError('flavor must be "legacy" or "tgi"')
