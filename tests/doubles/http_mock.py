"""The one workaround every aioresponses mock needs: answers built by `answer` work on the
aiohttp this project runs."""

from __future__ import annotations

import inspect
from types import SimpleNamespace
from typing import Any

import aiohttp
from aioresponses import CallbackResult

_NEEDS_STREAM_WRITER = "stream_writer" in inspect.signature(aiohttp.ClientResponse).parameters


class MockResponse(aiohttp.ClientResponse):
    """aioresponses 0.7.9 builds responses without the `stream_writer` argument aiohttp
    3.14 requires (pnuckowski/aioresponses#289); supply a stand-in that reports no output.
    Older aiohttp does not take the argument at all."""

    def __init__(self, method: str, url: Any, **kwargs: Any) -> None:
        if _NEEDS_STREAM_WRITER:
            kwargs.setdefault("stream_writer", SimpleNamespace(output_size=0))
        super().__init__(method, url, **kwargs)


def answer(status: int = 200, payload: Any = None, body: str = "") -> CallbackResult:
    content_type = "application/json" if payload is not None else "text/plain"
    return CallbackResult(
        status=status,
        payload=payload,
        body=body,
        content_type=content_type,
        response_class=MockResponse,
    )
