"""Abuse fixture: a filter raising an ordinary exception. Written against the
raw componentize-py bindings, without herald_sdk (which would turn it into a
`failed` error): an exception other than componentize_py_types.Err escaping
an export traps the instance, and Herald must report a trap and recycle the
instance, never crash."""

from wit_world import exports
from wit_world.imports.types import Event, Verdict


class Filter(exports.Filter):
    def check_config(self, config: str) -> None:
        return None

    def filter(self, event: Event, config: str) -> Verdict:
        raise ValueError(f"fixture exception: cannot handle event {event.id}")
