"""Abuse fixture: a filter that never returns (`while True`). Written against
the raw componentize-py bindings, without herald_sdk, so it exercises the
host directly: Herald must stop it at the CPU deadline (deadline_exceeded)."""

from wit_world import exports
from wit_world.imports.types import Event, Verdict


class Filter(exports.Filter):
    def check_config(self, config: str) -> None:
        return None

    def filter(self, event: Event, config: str) -> Verdict:
        n = 0
        while True:
            n += 1
