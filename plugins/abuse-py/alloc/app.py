"""Abuse fixture: a filter that keeps allocating 1 MiB buffers and never lets
go. Written against the raw componentize-py bindings, without herald_sdk, so
it exercises the host directly: Herald's memory cap must refuse the growth
and report the call as out of memory (CPython's MemoryError escapes the
export, and the instance traps)."""

from wit_world import exports
from wit_world.imports.types import Event, Verdict


class Filter(exports.Filter):
    def check_config(self, config: str) -> None:
        return None

    def filter(self, event: Event, config: str) -> Verdict:
        hoard = []
        while True:
            hoard.append(bytearray(1 << 20))  # zero-filled: every page is touched
