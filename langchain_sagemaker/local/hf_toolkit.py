r"""The Hugging Face inference toolkit's text-generation pipeline container.

Hugging Face DLCs on SageMaker without TGI serve a ``transformers``
pipeline through aws/sagemaker-huggingface-inference-toolkit and the
multi-model-server (MMS) frontend. Read from that repository at
``69bc5ef9`` (April 2025):

* ``src/sagemaker_huggingface_inference_toolkit/handler_service.py``:
  ``handle`` decodes the body by its content type, calls
  ``predict`` -- ``inputs = data.pop("inputs", data)``,
  ``parameters = data.pop("parameters", None)``,
  ``model(inputs, **parameters)`` -- and encodes the result for ``Accept``
  (JSON when absent or ``*/*``). Any exception becomes
  ``PredictionException(str(e), 400)``: MMS answers 400 with its Gson error
  body, pretty printed with HTML escaping and a final newline::

      {
        "code": 400,
        "type": "InternalServerException",
        "message": "..."
      }

* ``decoder_encoder.py``: the decoder is looked up by the exact content
  type (``application/json`` -> ``json.loads``); the JSON encoder writes
  ``separators=(",", ":")`` and ``ensure_ascii=False``. An unknown content
  type is ``UnsupportedFormatError``.

What the pipeline does with ``parameters`` is transformers':
``TextGenerationPipeline`` answers ``[{"generated_text": ...}]`` (a list
per input for a list of inputs), with the prompt in front unless
``return_full_text`` is false; the pipeline's own parameters are taken out
and the rest go to ``generate``, which refuses what is neither a
``GenerationConfig`` attribute nor a model ``forward`` argument: "The
following `model_kwargs` are not used by the model: ['seed'] (note: typos in
the generate arguments will also show up in this list)". So TGI-style
``details``, ``stop``, ``seed`` or ``watermark`` are 400s here. Without
``max_new_tokens`` the default ``max_length`` (20) bounds prompt *and*
answer (at least one token is generated). ``stop_sequence`` ends generation
at the first token of the stop sequence (it becomes the EOS id) and keeps
it; ``stop_strings`` stop when the output ends with one and keep it.
Sampling parameters are checked only with ``do_sample``; greedy decoding
with ``num_return_sequences`` > 1 is refused.

There is no streaming: on ``InvokeEndpointWithResponseStream`` the whole
JSON body comes back (SageMaker wraps it in payload parts).
"""

from __future__ import annotations

import json
from typing import Any

from langchain_sagemaker.local.common import (
    DialectBase,
    StopRule,
    compact_json,
    count_tokens,
    decode,
    gson_json,
    synth_token,
)
from langchain_sagemaker.local.container import ContainerRequest, ContainerResponse
from langchain_sagemaker.local.models.base import Model
from langchain_sagemaker.local.models.tokens import tokenize

__all__ = ["HFToolkitContainer", "mms_error"]

_JSON = "application/json"

# TextGenerationPipeline._sanitize_parameters (transformers 4.4x).
_PIPELINE_PARAMETERS = frozenset(
    {
        "return_full_text",
        "return_tensors",
        "return_text",
        "return_type",
        "clean_up_tokenization_spaces",
        "prefix",
        "handle_long_generation",
        "stop_sequence",
        "truncation",
        "max_length",
        "continue_final_message",
    }
)
# GenerationConfig attributes (transformers 4.4x generation/configuration_utils.py).
_GENERATION_CONFIG = frozenset(
    {
        "max_length",
        "max_new_tokens",
        "min_length",
        "min_new_tokens",
        "early_stopping",
        "max_time",
        "stop_strings",
        "do_sample",
        "num_beams",
        "num_beam_groups",
        "penalty_alpha",
        "dola_layers",
        "use_cache",
        "cache_implementation",
        "cache_config",
        "return_legacy_cache",
        "temperature",
        "top_k",
        "top_p",
        "min_p",
        "typical_p",
        "epsilon_cutoff",
        "eta_cutoff",
        "diversity_penalty",
        "repetition_penalty",
        "encoder_repetition_penalty",
        "length_penalty",
        "no_repeat_ngram_size",
        "bad_words_ids",
        "force_words_ids",
        "renormalize_logits",
        "constraints",
        "forced_bos_token_id",
        "forced_eos_token_id",
        "remove_invalid_values",
        "exponential_decay_length_penalty",
        "suppress_tokens",
        "begin_suppress_tokens",
        "forced_decoder_ids",
        "sequence_bias",
        "token_healing",
        "guidance_scale",
        "low_memory",
        "watermarking_config",
        "num_return_sequences",
        "output_attentions",
        "output_hidden_states",
        "output_scores",
        "output_logits",
        "return_dict_in_generate",
        "pad_token_id",
        "bos_token_id",
        "eos_token_id",
        "encoder_no_repeat_ngram_size",
        "decoder_start_token_id",
        "num_assistant_tokens",
        "num_assistant_tokens_schedule",
        "assistant_confidence_threshold",
        "prompt_lookup_num_tokens",
        "max_matching_ngram_size",
    }
)
# generate()'s own arguments and a decoder-only model's forward() keywords.
_GENERATE_AND_FORWARD = frozenset(
    {
        "generation_config",
        "logits_processor",
        "stopping_criteria",
        "prefix_allowed_tokens_fn",
        "synced_gpus",
        "assistant_model",
        "streamer",
        "negative_prompt_ids",
        "negative_prompt_attention_mask",
        "tokenizer",
        "assistant_tokenizer",
        "attention_mask",
        "position_ids",
        "past_key_values",
        "inputs_embeds",
        "token_type_ids",
        "head_mask",
        "cache_position",
        "labels",
        "return_dict",
    }
)
_KNOWN = _PIPELINE_PARAMETERS | _GENERATION_CONFIG | _GENERATE_AND_FORWARD


def mms_error(message: str, code: int = 400) -> bytes:
    """The error body of the MMS frontend (Gson, pretty, HTML-escaped)."""
    body = {"code": code, "type": "InternalServerException", "message": message}
    return gson_json(body, pretty=True) + b"\n"


class _PredictionError(Exception):
    """An exception ``handle`` turns into ``PredictionException(str(e), 400)``."""


def _int(parameters: dict[str, Any], key: str) -> int | None:
    value = parameters.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _PredictionError(
            f"'<=' not supported between instances of '{type(value).__name__}' "
            "and 'int'"
        )
    return value


class HFToolkitContainer(DialectBase):
    """A Hugging Face inference toolkit container (text-generation pipeline).

    Args:
        model: The model that generates the tokens.
        max_length: The model's ``generation_config.max_length``, bounding
            prompt and answer when a request sets no ``max_new_tokens``.
        default_max_new_tokens: The model's ``generation_config``
            ``max_new_tokens``, if it sets one.
        eos_token_id: Id of the EOS token.
        latency_ms: Artificial delay before the first token (prefill).
        token_latency_ms: Artificial delay before each further token.
    """

    dialect = "hf-toolkit"

    def __init__(
        self,
        model: Model,
        *,
        max_length: int = 20,
        default_max_new_tokens: int | None = None,
        eos_token_id: int = 2,
        latency_ms: float = 0.0,
        token_latency_ms: float = 0.0,
    ) -> None:
        super().__init__(
            model, latency_ms=latency_ms, token_latency_ms=token_latency_ms
        )
        self.max_length = max_length
        self.default_max_new_tokens = default_max_new_tokens
        self.eos_token_id = eos_token_id

    async def invoke(self, request: ContainerRequest) -> ContainerResponse:
        """Answer one ``POST /invocations`` the way the toolkit does.

        Args:
            request: The request SageMaker forwards.

        Returns:
            The JSON answer or MMS's 400 error.
        """
        try:
            accept = request.accept
            if accept and accept not in ("*/*", _JSON):
                raise _PredictionError(
                    f"Content type {accept} is not supported by this framework."
                )
            if request.content_type != _JSON:
                raise _PredictionError(
                    f"Content type {request.content_type} is not supported by "
                    "this framework."
                )
            try:
                data = json.loads(request.body.decode("utf-8"))
            except ValueError as error:
                raise _PredictionError(str(error)) from None
            body = await self._predict(data)
        except _PredictionError as error:
            return ContainerResponse(
                status=400, content_type=_JSON, body=mms_error(str(error))
            )
        return ContainerResponse(status=200, content_type=_JSON, body=body)

    async def _predict(self, data: Any) -> bytes:
        if not isinstance(data, dict):
            raise _PredictionError(
                f"'{type(data).__name__}' object has no attribute 'pop'"
            )
        inputs = data.pop("inputs", data)
        parameters = data.pop("parameters", None)
        if parameters is None:
            parameters = {}
        if not isinstance(parameters, dict):
            raise _PredictionError(
                f"argument after ** must be a mapping, not {type(parameters).__name__}"
            )
        if isinstance(inputs, list) and all(isinstance(i, str) for i in inputs):
            results = [await self._generate(i, parameters) for i in inputs]
            return compact_json(results)
        if not isinstance(inputs, str):
            raise _PredictionError(
                f'can only concatenate str (not "{type(inputs).__name__}") to str'
            )
        return compact_json(await self._generate(inputs, parameters))

    def _check(self, parameters: dict[str, Any]) -> None:
        """``GenerationConfig.validate``, unused ``model_kwargs``, warpers."""
        max_new_tokens = _int(parameters, "max_new_tokens")
        if max_new_tokens is not None and max_new_tokens <= 0:
            raise _PredictionError(
                f"`max_new_tokens` must be greater than 0, but is {max_new_tokens}."
            )
        unused = [key for key in parameters if key not in _KNOWN]
        if unused:
            raise _PredictionError(
                f"The following `model_kwargs` are not used by the model: {unused} "
                "(note: typos in the generate arguments will also show up in this "
                "list)"
            )
        returns = _int(parameters, "num_return_sequences") or 1
        beams = _int(parameters, "num_beams") or 1
        sampling = bool(parameters.get("do_sample", False))
        if returns > 1 and beams == 1 and not sampling:
            raise _PredictionError(
                "Greedy methods without beam search do not support "
                f"`num_return_sequences` different than 1 (got {returns})."
            )
        if returns > beams > 1:
            raise _PredictionError(
                f"`num_return_sequences` ({returns}) has to be smaller or equal to "
                f"`num_beams` ({beams})."
            )
        if not sampling:
            return
        temperature = parameters.get("temperature")
        if (
            temperature is not None
            and temperature != 1.0
            and (not isinstance(temperature, float) or not temperature > 0)
        ):
            message = (
                f"`temperature` (={temperature}) has to be a strictly positive "
                "float, otherwise your next token scores will be invalid."
            )
            if isinstance(temperature, float) and temperature == 0.0:
                message += (
                    " If you're looking for greedy decoding strategies, set "
                    "`do_sample=False`."
                )
            raise _PredictionError(message)
        top_k = parameters.get("top_k")
        if (
            top_k is not None
            and top_k != 0
            and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k <= 0)
        ):
            raise _PredictionError(
                f"`top_k` has to be a strictly positive integer, but is {top_k}"
            )
        top_p = parameters.get("top_p")
        # TopPLogitsWarper is only added for top_p < 1.0; it refuses < 0.
        if isinstance(top_p, int | float) and top_p < 0:
            raise _PredictionError(
                f"`top_p` has to be a float > 0 and < 1, but is {float(top_p)}"
            )

    async def _generate(
        self, prompt: str, parameters: dict[str, Any]
    ) -> list[dict[str, str]]:
        self._check(parameters)
        max_new_tokens = _int(parameters, "max_new_tokens")
        if max_new_tokens is None:
            max_new_tokens = self.default_max_new_tokens
        if max_new_tokens is None:
            max_length = _int(parameters, "max_length") or self.max_length
            max_new_tokens = max(max_length - count_tokens(prompt), 1)
        stop_tokens: list[str] = []
        stop_sequence = parameters.get("stop_sequence")
        if isinstance(stop_sequence, str) and stop_sequence:
            stop_tokens = tokenize(stop_sequence)[:1]
        stop_strings = parameters.get("stop_strings") or []
        if isinstance(stop_strings, str):
            stop_strings = [stop_strings]
        eos = synth_token("</s>", special=True, token_id=self.eos_token_id)
        output = ""
        try:
            async for step in decode(
                self.tokens(prompt, eos),
                max_tokens=max_new_tokens,
                stops=[s for s in stop_strings if isinstance(s, str)],
                rule=StopRule.SUFFIX,
                stop_tokens=stop_tokens,
            ):
                output = step.output
        except Exception as error:
            raise _PredictionError(str(error)) from error
        full = parameters.get("return_full_text")
        text = prompt + output if full is None or full else output
        returns = _int(parameters, "num_return_sequences") or 1
        return [{"generated_text": text} for _ in range(returns)]
