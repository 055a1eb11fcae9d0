"""A container that forwards to a real model container over HTTP.

SageMaker's container contract is ``POST {url}/invocations`` (plus
``GET {url}/ping``); this :class:`~langchain_sagemaker.local.container.Container`
sends each request there with aiohttp and streams the answer's body back
chunk by chunk, so a TGI, vLLM or custom inference container running on this
machine can sit behind the local SageMaker runtime.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp

from langchain_sagemaker.local.container import ContainerRequest, ContainerResponse

__all__ = ["ForwardContainer"]

_CUSTOM_ATTRIBUTES = "X-Amzn-SageMaker-Custom-Attributes"


class ForwardContainer:
    """Forward invocations to a model container listening at ``url``.

    Args:
        url: Base URL of the container, e.g. ``http://127.0.0.1:8080``.
        timeout_s: Total time allowed for one invocation, body included.
    """

    dialect = "forward"

    def __init__(self, url: str, *, timeout_s: float = 60.0) -> None:
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s
        self._session: aiohttp.ClientSession | None = None

    def __repr__(self) -> str:
        return f"ForwardContainer({self.url!r})"

    def _client(self) -> aiohttp.ClientSession:
        # Created on first use so that it belongs to the serving event loop.
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout_s)
            )
        return self._session

    async def invoke(self, request: ContainerRequest) -> ContainerResponse:
        """Send the request to ``{url}/invocations``.

        Args:
            request: The request to forward.

        Returns:
            The container's status and content type, with its body as a stream.
        """
        headers = dict(request.headers)
        if request.content_type is not None:
            headers["Content-Type"] = request.content_type
        if request.accept is not None:
            headers["Accept"] = request.accept
        if request.custom_attributes is not None:
            headers[_CUSTOM_ATTRIBUTES] = request.custom_attributes
        response = await self._client().post(
            f"{self.url}/invocations", data=request.body, headers=headers
        )

        async def body() -> AsyncIterator[bytes]:
            try:
                async for chunk in response.content.iter_any():
                    yield chunk
            finally:
                response.release()

        return ContainerResponse(
            status=response.status,
            content_type=response.headers.get(
                "Content-Type", "application/octet-stream"
            ),
            stream=body(),
            custom_attributes=response.headers.get(_CUSTOM_ATTRIBUTES),
        )

    async def ping(self) -> bool:
        """Return whether ``GET {url}/ping`` answers 200."""
        try:
            async with self._client().get(f"{self.url}/ping") as response:
                return response.status == 200
        except aiohttp.ClientError:
            return False

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None
