"""Abuse fixture: a transform returning an 8 MiB body. Written against the
raw componentize-py bindings, without herald_sdk, so it exercises the host
directly: Herald must refuse the output as too large (output_too_large)
rather than sign and send it."""

from wit_world import exports
from wit_world.imports.types import Event, Request


class Transform(exports.Transform):
    def check_config(self, config: str) -> None:
        return None

    def transform(self, event: Event, request: Request, config: str) -> Request:
        return Request(headers=list(request.headers), body=b"x" * (8 << 20))
