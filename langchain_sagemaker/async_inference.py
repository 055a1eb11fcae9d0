"""LLMs on Amazon SageMaker asynchronous inference endpoints.

An asynchronous endpoint takes its input from S3 and writes its answer to S3:
``InvokeEndpointAsync`` returns at once with the S3 locations of the result,
and the model runs in the background (up to an hour per request, payloads up
to 1 GB, requests queued when the endpoint is busy or scaled to zero).
:class:`SagemakerAsyncEndpoint` hides that behind LangChain's ``invoke`` /
``batch`` and also exposes the jobs themselves (:class:`AsyncInferenceJob`),
so a long job can be submitted, checked, and collected later, even by another
process.

Example:
    ```python
    from langchain_sagemaker.async_inference import SagemakerAsyncEndpoint

    llm = SagemakerAsyncEndpoint(
        endpoint_name="my-async-llm",
        input_s3_uri="s3://my-bucket/async-inputs",
        content_handler="tgi",
    )
    llm.invoke("Summarize this long report: ...")
    ```
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import math
import random
import threading
import time
import uuid
from collections.abc import Callable, Generator, Mapping
from concurrent.futures import FIRST_EXCEPTION, Future, wait
from dataclasses import dataclass
from typing import Any, Literal

from langchain_core.callbacks import (
    AsyncCallbackManagerForLLMRun,
    CallbackManagerForLLMRun,
)
from langchain_core.language_models import LLM
from langchain_core.language_models.base import LangSmithParams
from langchain_core.outputs import Generation, LLMResult
from langchain_core.runnables.config import ContextThreadPoolExecutor, run_in_executor
from pydantic import ConfigDict, Field, PrivateAttr, model_validator
from typing_extensions import Self

from langchain_sagemaker._async_inference_s3 import (
    create_s3_client,
    delete_object,
    get_if_exists,
    object_exists,
    put_object,
    split_s3_uri,
)
from langchain_sagemaker._base import (
    SagemakerEndpointBase,
    ls_params,
    merge_model_kwargs,
    signature_once,
)
from langchain_sagemaker._stream import Assembler, clean_stop
from langchain_sagemaker.errors import (
    ConfigurationError,
    ResponseParseError,
    SagemakerEndpointError,
    translate_error,
)
from langchain_sagemaker.handlers import (
    LegacyHandler,
    ModelHandler,
    StreamLine,
    resolve_handler,
)
from langchain_sagemaker.llms import _collect, _llm_output

__all__ = [
    "AsyncInferenceFailedError",
    "AsyncInferenceJob",
    "AsyncInferenceTimeoutError",
    "JobStatus",
    "ProgressCallback",
    "SagemakerAsyncEndpoint",
]

logger = logging.getLogger(__name__)

JobStatus = Literal["pending", "succeeded", "failed"]
"""What :meth:`SagemakerAsyncEndpoint.poll` reports for a job."""

ProgressCallback = Callable[[JobStatus, float], None]
"""Called after every check of a job being waited for: (status, seconds waited)."""

# The parameters of InvokeEndpointAsync (botocore's sagemaker-runtime model),
# except InputLocation and Body, which this class manages.
_ASYNC_PARAMS = frozenset(
    {
        "EndpointName",
        "ContentType",
        "Accept",
        "CustomAttributes",
        "InferenceId",
        "S3OutputPathExtension",
        "Filename",
        "RequestTTLSeconds",
        "InvocationTimeoutSeconds",
    }
)
# Base-class fields InvokeEndpointAsync has no parameter for.
_UNSUPPORTED_FIELDS = (
    "inference_component_name",
    "target_variant",
    "target_model",
    "target_container_hostname",
    "session_id",
    "enable_explanations",
)


@dataclass(frozen=True)
class AsyncInferenceJob:
    """A handle on one asynchronous inference request.

    Everything needed to find the result later: keep it (:meth:`to_dict`
    is JSON-friendly) and pass it to
    :meth:`SagemakerAsyncEndpoint.result` in this process or another one.
    Only ``inference_id`` and ``output_location`` are required.

    Attributes:
        inference_id: The request's ``InferenceId``.
        output_location: The S3 URI the result is written to.
        failure_location: The S3 URI a failure is written to, if known.
        input_location: The S3 URI of the uploaded input, if known (deleted
            when the job ends if ``cleanup_input`` is set).
        endpoint_name: The endpoint it was sent to, if known.
        stop: Stop sequences applied to the result's text.

    Example:
        ```python
        job = llm.submit("Write a long story.")
        saved = json.dumps(job.to_dict())
        # ... later, maybe in another process:
        text = llm.result(AsyncInferenceJob.from_dict(json.loads(saved)))
        ```
    """

    inference_id: str
    output_location: str
    failure_location: str | None = None
    input_location: str | None = None
    endpoint_name: str | None = None
    stop: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        split_s3_uri(self.output_location, "output_location")
        if self.failure_location is not None:
            split_s3_uri(self.failure_location, "failure_location")
        stop: Any = self.stop  # a list, when rebuilt from JSON
        if not isinstance(stop, tuple):
            object.__setattr__(self, "stop", tuple(stop))

    def to_dict(self) -> dict[str, Any]:
        """The job as a JSON-friendly dict (see :meth:`from_dict`)."""
        data = dataclasses.asdict(self)
        data["stop"] = list(self.stop)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AsyncInferenceJob:
        """Rebuild a job from :meth:`to_dict`'s output (unknown keys are ignored)."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


class AsyncInferenceFailedError(SagemakerEndpointError):
    """The endpoint wrote a failure object instead of a result.

    Attributes:
        job: The job that failed.
        failure: The failure object's content (e.g. the model container's
            error message).

    Example:
        ```python
        try:
            llm.invoke("...")
        except AsyncInferenceFailedError as err:
            print(err.job.inference_id, err.failure)
        ```
    """

    def __init__(self, message: str, *, job: AsyncInferenceJob, failure: str) -> None:
        super().__init__(message)
        self.job = job
        self.failure = failure
        self.endpoint_name = job.endpoint_name

    @property
    def failure_location(self) -> str | None:
        """The S3 URI of the failure object."""
        return self.job.failure_location


class AsyncInferenceTimeoutError(SagemakerEndpointError, TimeoutError):
    """The result did not appear within the wait limit; the job goes on.

    Attributes:
        job: The job still running: pass it to ``result`` / ``aresult`` to
            keep waiting, or to ``poll`` to check on it.
        waited: Seconds waited before giving up.

    Example:
        ```python
        try:
            text = llm.invoke("...")
        except AsyncInferenceTimeoutError as err:
            text = llm.result(err.job, timeout=3600)
        ```
    """

    def __init__(self, message: str, *, job: AsyncInferenceJob, waited: float) -> None:
        super().__init__(message)
        self.job = job
        self.waited = waited
        self.endpoint_name = job.endpoint_name


class _Backoff:
    """Poll delays: ``first``, then times ``factor`` up to ``ceiling``."""

    def __init__(
        self, first: float, factor: float, ceiling: float, jitter: float = 0.0
    ) -> None:
        self._next = first
        self._factor = factor
        self._ceiling = max(ceiling, first)
        self._jitter = jitter

    def next(self) -> float:
        delay = self._next
        self._next = min(delay * self._factor, self._ceiling)
        if self._jitter:
            delay *= random.uniform(1.0 - self._jitter, 1.0)
        return delay


class _Aborted(Exception):
    """Another job of the same batch failed; stop waiting for this one."""


def _first_error(futures: list[Future[Generation]]) -> BaseException | None:
    """The error of the first (in prompt order) job that failed, if any."""
    for future in futures:
        if future.done() and not future.cancelled():
            error = future.exception()
            if error is not None and not isinstance(error, _Aborted):
                return error
    return None


@dataclass(frozen=True)
class _Submission:
    """One prepared request: what to upload where, and the API parameters."""

    params: dict[str, Any]
    body: bytes
    input_location: str
    content_type: str | None
    stop: tuple[str, ...]


@dataclass(frozen=True)
class _Outcome:
    status: JobStatus
    data: bytes | None = None


_PENDING = _Outcome("pending")


class SagemakerAsyncEndpoint(SagemakerEndpointBase, LLM):
    r"""An LLM hosted on an Amazon SageMaker asynchronous inference endpoint.

    Each call uploads the request body to ``input_s3_uri``, calls
    ``InvokeEndpointAsync`` with its S3 location, then polls the output and
    failure locations SageMaker returned (with backoff) until one of them
    exists or ``timeout`` passes, and reads the result with the same content
    handlers as :class:`~langchain_sagemaker.SagemakerEndpoint` (stop
    sequences included).

    Why a separate class and not a flag on ``SagemakerEndpoint``: an
    asynchronous endpoint is a different contract. The answer is not in the
    HTTP response but in S3, minutes later; the class needs S3 settings
    (bucket, S3 endpoint, cleanup), a wait limit and a poll schedule instead
    of a read timeout; it cannot stream; ``InvokeEndpointAsync`` takes none of
    the variant / inference component / session options; its failures are
    objects in S3 and its timeouts leave a job running that can be resumed.
    As a flag, half of each class's fields would be meaningless in the other
    mode. The shared part (endpoint, credentials, client, options) comes from
    the same base class, and the content handlers are the same.

    Besides LangChain's ``invoke`` / ``batch`` / ``ainvoke`` / ``abatch``, it
    exposes the jobs: :meth:`submit` returns an :class:`AsyncInferenceJob`,
    :meth:`poll` checks it, :meth:`result` / :meth:`aresult` wait for it.

    Setup:
        ```bash
        pip install langchain-sagemaker
        ```
        The credentials need ``sagemaker:InvokeEndpointAsync``, ``s3:PutObject``
        (and ``s3:DeleteObject`` with ``cleanup_input``) on ``input_s3_uri``,
        and ``s3:GetObject`` and ``s3:ListBucket`` on the endpoint's output and
        failure paths (without ``s3:ListBucket``, S3 answers a result not yet
        written with 403 instead of 404, which is raised as an error). The S3
        endpoint is ``s3_endpoint_url``, else ``AWS_ENDPOINT_URL_S3``.

    Key init args:
        endpoint_name: The asynchronous SageMaker endpoint.
        input_s3_uri: ``s3://bucket/prefix`` where request bodies are uploaded.
        content_handler: A built-in handler name or an ``LLMContentHandler``.
        timeout: How long to wait for a result (seconds).

    Instantiate:
        ```python
        from langchain_sagemaker import SagemakerAsyncEndpoint

        llm = SagemakerAsyncEndpoint(
            endpoint_name="my-async-llm",
            region_name="us-west-2",
            input_s3_uri="s3://my-bucket/async-inputs",
            content_handler="tgi",
            model_kwargs={"max_new_tokens": 1024},
            timeout=1800,
        )
        ```

    Invoke:
        ```python
        llm.invoke("Write a detailed report on ...")
        ```

    Jobs:
        ```python
        job = llm.submit("Write a detailed report on ...")
        llm.poll(job)  # "pending", "succeeded" or "failed"
        text = llm.result(job, timeout=3600)

        # Resume in another process from the id and output location alone:
        job = AsyncInferenceJob(
            inference_id="...", output_location="s3://bucket/output/....out"
        )
        text = llm.result(job)
        ```

    Async:
        ```python
        await llm.ainvoke("Hello")
        job = await llm.asubmit("Hello")
        await llm.aresult(job)
        ```
    """

    content_handler: Any = "tgi"
    """How prompts become request bodies and results become text.

    A built-in handler name (see ``list_handlers()``), a ``ModelHandler``, or
    an ``LLMContentHandler``. (default: ``"tgi"``)
    """

    model_kwargs: dict[str, Any] | None = None
    """Parameters for the model, merged with per-call kwargs (the call wins)."""

    input_s3_uri: str | None = None
    """``s3://bucket/prefix`` where each request body is uploaded (required)."""

    s3_endpoint_url: str | None = None
    """A custom S3 URL (else AWS_ENDPOINT_URL_S3, then S3 itself)."""

    s3_client: Any = Field(default=None, exclude=True)
    """A boto3 ``s3`` client; built from the same settings if not given."""

    cleanup_input: bool = True
    """Delete the uploaded input object once its job has ended (either way)."""

    timeout: float | None = Field(default=3600.0, gt=0)
    """Seconds to wait for a result before ``AsyncInferenceTimeoutError``.

    Counted from when waiting starts; ``None`` waits without limit. The job
    itself goes on and can be resumed from the error's ``job``. (default: 3600)
    """

    output_poll_interval: float = Field(default=1.0, gt=0)
    """Seconds before the first re-check of the output. (default: 1)"""

    output_poll_backoff: float = Field(default=1.5, ge=1.0)
    """Each wait between checks is this many times the previous. (default: 1.5)"""

    output_poll_max_interval: float = Field(default=15.0, gt=0)
    """The longest wait between two checks. (default: 15)"""

    request_ttl_seconds: int | None = Field(default=None, ge=60, le=21600)
    """How long a request may wait in the endpoint's queue (``RequestTTLSeconds``).

    SageMaker's default is 6 hours.
    """

    invocation_timeout_seconds: int | None = Field(default=None, ge=1, le=3600)
    """How long the model may process a request (``InvocationTimeoutSeconds``).

    SageMaker's default is 15 minutes.
    """

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    _handler: ModelHandler | LegacyHandler = PrivateAttr()

    @model_validator(mode="after")
    def _set_up(self) -> Self:
        """Resolve the handler, check the options, build the S3 client."""
        self._handler = resolve_handler(self.content_handler)
        if self.input_s3_uri:
            split_s3_uri(self.input_s3_uri, "`input_s3_uri`")
        if self.inference_id is not None:
            msg = (
                "`inference_id` would give every asynchronous request the same "
                "InferenceId. What to do: leave it unset (each job gets a fresh "
                "id) or pass endpoint_kwargs={'InferenceId': ...} per call."
            )
            raise ConfigurationError(msg)
        unsupported = [f for f in _UNSUPPORTED_FIELDS if getattr(self, f) is not None]
        if unsupported:
            msg = (
                f"InvokeEndpointAsync does not take {', '.join(unsupported)}. "
                "What to do: remove them (asynchronous endpoints have one model "
                "per endpoint and no sessions)."
            )
            raise ConfigurationError(msg)
        if self.s3_client is None:
            self.s3_client = create_s3_client(
                self._client_settings(), self.s3_endpoint_url
            )
        return self

    @property
    def _llm_type(self) -> str:
        return "sagemaker_async_endpoint"

    @property
    def _identifying_params(self) -> Mapping[str, Any]:
        return {
            "endpoint_name": self.endpoint_name,
            "input_s3_uri": self.input_s3_uri,
            "model_kwargs": self.model_kwargs or {},
        }

    def _get_ls_params(
        self, stop: list[str] | None = None, **kwargs: Any
    ) -> LangSmithParams:
        return ls_params(
            "llm",
            self.endpoint_name,
            self._model_params(kwargs),
            stop=stop,
            model=kwargs.get("model"),
        )

    # -- request building (pure) -------------------------------------------

    def _model_params(self, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        return merge_model_kwargs(self.model_kwargs, kwargs)

    def _prepare(
        self, prompt: str, stop: list[str] | None, kwargs: Mapping[str, Any]
    ) -> _Submission:
        self._require_endpoint_name()
        if not self.input_s3_uri:
            msg = (
                "`input_s3_uri` is not set: asynchronous endpoints read their input "
                "from S3. What to do: pass input_s3_uri='s3://bucket/prefix'."
            )
            raise ConfigurationError(msg)
        handler = self._handler
        params = self._model_params(kwargs)
        stops = clean_stop(stop)
        if isinstance(handler, LegacyHandler):
            raw = handler.request_body(prompt, params)
        else:
            raw = handler.request_body(prompt, params, stop=stops, stream=False)
        body = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
        limits: dict[str, Any] = {}
        if self.request_ttl_seconds is not None:
            limits["RequestTTLSeconds"] = self.request_ttl_seconds
        if self.invocation_timeout_seconds is not None:
            limits["InvocationTimeoutSeconds"] = self.invocation_timeout_seconds
        per_call = kwargs.get("endpoint_kwargs")
        call = self._call_params(
            handler.content_type,
            handler.accepts,
            endpoint_kwargs={**(self.endpoint_kwargs or {}), **(per_call or {})},
            check=False,
            **limits,
        )
        unknown = sorted(set(call) - _ASYNC_PARAMS)
        if unknown:
            msg = (
                f"InvokeEndpointAsync does not take {', '.join(unknown)} (from "
                "`endpoint_kwargs`). InputLocation and Body are set by this class."
            )
            raise ConfigurationError(msg)
        token = str(uuid.uuid4())
        call.setdefault("InferenceId", token)
        suffix = ".json" if "json" in (handler.content_type or "") else ".in"
        location = f"{self.input_s3_uri.rstrip('/')}/{token}{suffix}"
        self._check_request("InvokeEndpointAsync", {**call, "InputLocation": location})
        return _Submission(call, body, location, handler.content_type, tuple(stops))

    # -- the calls ------------------------------------------------------------

    def _start(self, submission: _Submission) -> AsyncInferenceJob:
        """Upload the body and call ``InvokeEndpointAsync``; return the job."""
        name = self.endpoint_name
        location = submission.input_location
        try:
            put_object(
                self.s3_client, location, submission.body, submission.content_type
            )
        except Exception as exc:
            raise translate_error(exc, endpoint_name=name) from exc
        try:
            response = self.client.invoke_endpoint_async(
                **submission.params, InputLocation=location
            )
        except Exception as exc:
            if self.cleanup_input:
                self._delete_quietly(location)
            raise translate_error(exc, endpoint_name=name) from exc
        output = response.get("OutputLocation")
        if not output:
            msg = "InvokeEndpointAsync answered without an OutputLocation."
            raise ResponseParseError(msg).with_context(endpoint_name=name)
        return AsyncInferenceJob(
            inference_id=str(
                response.get("InferenceId") or submission.params["InferenceId"]
            ),
            output_location=str(output),
            failure_location=response.get("FailureLocation") or None,
            input_location=location,
            endpoint_name=name,
            stop=submission.stop,
        )

    def _fetch(self, job: AsyncInferenceJob) -> _Outcome:
        """Read the result or the failure object, whichever exists."""
        try:
            data = get_if_exists(self.s3_client, job.output_location)
            if data is not None:
                return _Outcome("succeeded", data)
            if job.failure_location is not None:
                data = get_if_exists(self.s3_client, job.failure_location)
                if data is not None:
                    return _Outcome("failed", data)
        except Exception as exc:
            raise translate_error(exc, endpoint_name=self._name(job)) from exc
        return _PENDING

    def _name(self, job: AsyncInferenceJob) -> str:
        return job.endpoint_name or self.endpoint_name

    def _delete_quietly(self, location: str) -> None:
        try:
            delete_object(self.s3_client, location)
        except Exception as exc:
            logger.warning("Could not delete the input object %s: %r", location, exc)

    def _conclude(self, job: AsyncInferenceJob, outcome: _Outcome) -> Generation:
        """Clean up the input; return the result or raise the failure."""
        if self.cleanup_input and job.input_location:
            self._delete_quietly(job.input_location)
        data = outcome.data or b""
        if outcome.status == "failed":
            failure = data.decode("utf-8", "replace")
            snippet = failure if len(failure) <= 500 else failure[:500] + "..."
            msg = (
                f"Asynchronous inference {job.inference_id} on endpoint "
                f"{self._name(job)!r} failed: {snippet}\nThe failure object is at "
                f"{job.failure_location}; its content is on `.failure`."
            )
            raise AsyncInferenceFailedError(msg, job=job, failure=failure)
        assembler = Assembler(self._handler, job.stop)
        try:
            chunks = assembler.feed_body(StreamLine(data))
        except Exception as exc:
            raise translate_error(exc, endpoint_name=self._name(job)) from exc
        generation = _collect(chunks)
        info = {
            **(generation.generation_info or {}),
            "inference_id": job.inference_id,
            "output_location": job.output_location,
        }
        return Generation(text=generation.text, generation_info=info)

    def _timed_out(
        self, job: AsyncInferenceJob, waited: float
    ) -> AsyncInferenceTimeoutError:
        msg = (
            f"No result for asynchronous inference {job.inference_id} on endpoint "
            f"{self._name(job)!r} after {waited:.1f} s; the job is still running. "
            f"What to do: keep waiting with `result(err.job)` (the result will "
            f"be at {job.output_location}), or raise `timeout`."
        )
        return AsyncInferenceTimeoutError(msg, job=job, waited=waited)

    def _deadline(self, timeout: float | None) -> float | None:
        limit = self.timeout if timeout is None else timeout
        if limit is None or math.isinf(limit):
            return None
        return time.monotonic() + max(0.0, limit)

    def _backoff(self) -> _Backoff:
        return _Backoff(
            self.output_poll_interval,
            self.output_poll_backoff,
            self.output_poll_max_interval,
            jitter=0.1,
        )

    def _polls(
        self,
        job: AsyncInferenceJob,
        timeout: float | None,
        progress: ProgressCallback | None,
        *,
        fresh: bool,
    ) -> Generator[float, _Outcome, None]:
        """When to check a job: the plan the sync and async waits share.

        Yields the delay before each check and is sent the check's outcome;
        ends at the first outcome that is not pending, and raises the timeout
        error once the deadline passes. ``fresh``: the job was just submitted,
        so wait before the first check.
        """
        started = time.monotonic()
        deadline = self._deadline(timeout)
        backoff = self._backoff()
        delay = backoff.next() if fresh else 0.0
        while True:
            if delay > 0 and deadline is not None:
                delay = min(delay, max(0.0, deadline - time.monotonic()))
            outcome = yield delay
            now = time.monotonic()
            if progress is not None:
                progress(outcome.status, now - started)
            if outcome.status != "pending":
                return
            if deadline is not None and now >= deadline:
                raise self._timed_out(job, now - started)
            delay = backoff.next()

    def _wait(
        self,
        job: AsyncInferenceJob,
        timeout: float | None,
        progress: ProgressCallback | None,
        abort: threading.Event | None = None,
        *,
        fresh: bool = False,
    ) -> Generation:
        """Check until done (see ``_polls``); ``abort`` ends the wait early."""
        polls = self._polls(job, timeout, progress, fresh=fresh)
        delay = next(polls)
        while True:
            if delay > 0:
                if abort is None:
                    time.sleep(delay)
                elif abort.wait(delay):
                    raise _Aborted
            outcome = self._fetch(job)
            try:
                delay = polls.send(outcome)
            except StopIteration:
                return self._conclude(job, outcome)

    async def _await(
        self,
        job: AsyncInferenceJob,
        timeout: float | None,
        progress: ProgressCallback | None,
        *,
        fresh: bool = False,
    ) -> Generation:
        """Async ``_wait``: sleeps on the event loop, reads S3 in a thread."""
        polls = self._polls(job, timeout, progress, fresh=fresh)
        delay = next(polls)
        while True:
            if delay > 0:
                await asyncio.sleep(delay)
            outcome = await run_in_executor(None, self._fetch, job)
            try:
                delay = polls.send(outcome)
            except StopIteration:
                return await run_in_executor(None, self._conclude, job, outcome)

    # -- the job API ------------------------------------------------------------

    def submit(
        self, prompt: str, stop: list[str] | None = None, **kwargs: Any
    ) -> AsyncInferenceJob:
        """Upload the request and start an asynchronous inference; do not wait.

        Args:
            prompt: The prompt.
            stop: Stop sequences, applied when the result is read.
            **kwargs: Model parameters (merged over ``model_kwargs``), and
                ``endpoint_kwargs`` for raw ``InvokeEndpointAsync`` arguments
                (e.g. ``{"InferenceId": "report-42"}``).

        Returns:
            The job handle.

        Raises:
            ConfigurationError: For a missing endpoint name or ``input_s3_uri``.
            SagemakerEndpointError: If the upload or the call failed.
        """
        return self._start(self._prepare(prompt, stop, kwargs))

    async def asubmit(
        self, prompt: str, stop: list[str] | None = None, **kwargs: Any
    ) -> AsyncInferenceJob:
        """Async :meth:`submit` (the S3 and SageMaker calls run in a thread)."""
        submission = self._prepare(prompt, stop, kwargs)
        return await run_in_executor(None, self._start, submission)

    def poll(self, job: AsyncInferenceJob) -> JobStatus:
        """Check a job once, without downloading anything.

        Returns:
            ``"succeeded"`` when the result exists, ``"failed"`` when the
            failure object does, else ``"pending"``.
        """
        try:
            if object_exists(self.s3_client, job.output_location):
                return "succeeded"
            if job.failure_location is not None and object_exists(
                self.s3_client, job.failure_location
            ):
                return "failed"
        except Exception as exc:
            raise translate_error(exc, endpoint_name=self._name(job)) from exc
        return "pending"

    async def apoll(self, job: AsyncInferenceJob) -> JobStatus:
        """Async :meth:`poll`."""
        return await run_in_executor(None, self.poll, job)

    def result(
        self,
        job: AsyncInferenceJob,
        timeout: float | None = None,
        *,
        progress: ProgressCallback | None = None,
    ) -> str:
        """Wait for a job's result and return its text.

        Args:
            job: The job, from :meth:`submit`, an error's ``job``, or built
                from a stored inference id and output location.
            timeout: Seconds to wait; ``None`` uses the ``timeout`` field,
                ``math.inf`` waits without limit, 0 checks once.
            progress: Called after every check with the status and the
                seconds waited so far.

        Returns:
            The generated text, with the job's stop sequences applied.

        Raises:
            AsyncInferenceFailedError: If the endpoint wrote a failure object.
            AsyncInferenceTimeoutError: If nothing appeared in time (the
                error's ``job`` can be waited for again).
        """
        return self._wait(job, timeout, progress).text

    async def aresult(
        self,
        job: AsyncInferenceJob,
        timeout: float | None = None,
        *,
        progress: ProgressCallback | None = None,
    ) -> str:
        """Async :meth:`result`: waits on the event loop, S3 reads in threads."""
        return (await self._await(job, timeout, progress)).text

    # -- LangChain ---------------------------------------------------------------

    def _call(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> str:
        """Submit the prompt and wait for the text."""
        return self._wait(
            self.submit(prompt, stop, **kwargs), None, None, fresh=True
        ).text

    @signature_once
    def _generate(
        self,
        prompts: list[str],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> LLMResult:
        """Run the prompts as jobs, at most ``max_concurrency`` in flight, in order.

        A job is in flight from its submission until its result or failure
        is read; the next prompt is submitted when one ends. On the first
        error, prompts not yet submitted are dropped and the error is raised.
        """
        abort = threading.Event()

        def one(prompt: str) -> Generation:
            if abort.is_set():
                raise _Aborted
            job = self.submit(prompt, stop, **kwargs)
            return self._wait(job, None, None, abort, fresh=True)

        if len(prompts) <= 1:
            generations = [
                self._wait(self.submit(p, stop, **kwargs), None, None, fresh=True)
                for p in prompts
            ]
        else:
            workers = min(len(prompts), self.max_concurrency)
            with ContextThreadPoolExecutor(max_workers=workers) as pool:
                futures: list[Future[Generation]] = [
                    pool.submit(one, p) for p in prompts
                ]
                try:
                    wait(futures, return_when=FIRST_EXCEPTION)
                    error = _first_error(futures)
                    if error is not None:
                        raise error
                    generations = [future.result() for future in futures]
                except BaseException:
                    abort.set()
                    for future in futures:
                        future.cancel()
                    raise
        rows = [[g] for g in generations]
        return LLMResult(generations=rows, llm_output=_llm_output(rows))

    @signature_once
    async def _agenerate(
        self,
        prompts: list[str],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> LLMResult:
        """Async ``_generate``: jobs awaited on the event loop, not in threads."""
        gate = asyncio.Semaphore(self.max_concurrency)

        async def one(prompt: str) -> Generation:
            async with gate:
                job = await self.asubmit(prompt, stop, **kwargs)
                return await self._await(job, None, None, fresh=True)

        tasks = [asyncio.ensure_future(one(p)) for p in prompts]
        try:
            generations = await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        rows = [[g] for g in generations]
        return LLMResult(generations=rows, llm_output=_llm_output(rows))
