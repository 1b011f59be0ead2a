"""herald_sdk: write Herald webhook plugins in Python.

A Herald plugin is a small WebAssembly component that runs inside Herald's
delivery path for one webhook. A **filter** decides whether an event is
delivered; a **transform** rewrites the outgoing request (body and headers)
before Herald signs and sends it. Plugins are pure functions of the event and
the webhook's JSON config for the plugin: they get a log function and nothing
else (no files, network, environment or clock; under componentize-py's
``--stub-wasi``, ``print``, ``time`` and ``random`` trap: log with ``log``).

Writing one is: one function and one export line::

    from herald_sdk import Event, PluginError, export_filter, keep, drop

    def big_orders(event: Event, config: dict):
        total = event.get("data.order.total", 0)
        return keep() if total >= config["min"] else drop(f"total {total} is below {config['min']}")

    Filter = export_filter(big_orders)

This package is the whole SDK (Herald's CLI embeds its files next to the
plugin when it builds one). It mirrors the Rust crate ``herald-sdk``:

- ``Event``, ``Request``, ``Verdict`` (``keep()`` / ``drop(reason)``) and
  ``PluginError`` (``invalid_config`` / ``invalid_event`` / ``failed``, each
  with ``permanent=True`` for a failure no retry can fix);
- ``path``: the dotted-path syntax (``data.order.status``, ``items.0.sku``)
  Herald's native trigger filters use too, with lookups and edits;
- ``log``: ``log.trace/debug/info/warn/error(message)`` into Herald's log;
- ``export_filter`` / ``export_transform``: the one export line.

Outside a component (plain CPython, for unit tests) the package imports as well:
``log`` writes to stderr and the exported class takes SDK objects, returns a
``Verdict`` or ``Request`` and raises ``PluginError``.

This file owns the public API (everything is imported from ``herald_sdk``);
the modules behind it, one concern each:

- ``_json``: JSON text in and out with serde_json's rules (``to_json``,
  ``to_text``, ``format_float``);
- ``_types``: ``PluginError``, ``Verdict`` / ``keep`` / ``drop``, ``Event``,
  ``Request``;
- ``_path``: ``path`` and ``PathError``;
- ``_log``: ``log`` and the bridge to the host's log;
- ``_export``: ``export_filter`` / ``export_transform`` and the WIT
  conversions.
"""

from ._export import export_filter, export_transform
from ._json import format_float, to_json, to_text
from ._log import _GUEST, log  # _GUEST: inside a component? (the tests check it)
from ._path import PathError, path
from ._types import Event, PluginError, Request, Verdict, drop, keep

__all__ = [
    "Event",
    "Request",
    "Verdict",
    "keep",
    "drop",
    "PluginError",
    "PathError",
    "path",
    "log",
    "to_json",
    "to_text",
    "export_filter",
    "export_transform",
]

# The public objects name this package as their module (in reprs, tracebacks
# and help()), as when the SDK was a single module.
for _public in (*__all__, "format_float"):
    globals()[_public].__module__ = __name__
del _public
