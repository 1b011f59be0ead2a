"""Exporting a plugin: ``export_filter`` / ``export_transform`` build the
class componentize-py exports (``Filter`` / ``Transform``), parse and cache
the webhook's config, and convert between the WIT types and the SDK's
(``Event``, ``Request``, ``Verdict``, ``PluginError``). Part of the
``herald_sdk`` package; import from there.
"""

from ._json import _parse_json, to_json
from ._log import _GUEST
from ._types import Event, PluginError, Request, Verdict, _as_bytes

if _GUEST:
    from componentize_py_types import Err as _Err
    from wit_world.imports import types as _wit

    # Raised as they are: the WIT error itself, and memory exhaustion (left
    # to trap, so that Herald reports the call as out of memory).
    _PASS_THROUGH = (MemoryError, _Err)
else:
    _wit = None
    _PASS_THROUGH = (MemoryError,)


def _describe(e):
    message = str(e)
    return f"{type(e).__name__}: {message}" if message else type(e).__name__


class _ConfigCache:
    """Parses each distinct config text once (an instance normally only ever
    sees one webhook's config)."""

    LIMIT = 16

    def __init__(self, parse):
        self.parse = parse
        self.values = {}

    def get(self, text):
        if not isinstance(text, str):  # native tests may pass the value itself
            text = to_json(text)
        try:
            return self.values[text]
        except KeyError:
            pass
        try:
            raw = None if text.strip() == "" else _parse_json(text)
        except ValueError as e:
            raise PluginError.invalid_config(f"config is not valid JSON: {e}") from None
        if self.parse is None:
            value = raw
        else:
            try:
                value = self.parse(raw)
            except (PluginError,) + _PASS_THROUGH:
                raise
            except Exception as e:
                raise PluginError.invalid_config(_describe(e)) from None
        if len(self.values) >= self.LIMIT:
            self.values.clear()
        self.values[text] = value
        return value

    def check(self, text, check_config):
        value = self.get(text)
        if check_config is not None:
            try:
                check_config(value)
            except (PluginError,) + _PASS_THROUGH:
                raise
            except Exception as e:
                raise PluginError.invalid_config(_describe(e)) from None


def _event_of(e):
    """An SDK Event from the WIT record (or an SDK Event, as is)."""
    if isinstance(e, Event):
        return e
    return Event(e.id, e.event_type, e.timestamp, e.org, e.environment, e.webhook_id, e.data)


def _request_of(r):
    if isinstance(r, Request):
        return r
    return Request(r.headers, r.body)


def _call(body):
    """Runs `body`, turning any exception but a PluginError into a failed
    one (memory exhaustion is left to trap: the host reports it as such)."""
    try:
        return body()
    except (PluginError,) + _PASS_THROUGH:
        raise
    except Exception as e:
        raise PluginError.failed(_describe(e)) from None


# The WIT enum error-kind's members, as componentize-py names them, by case.
_WIT_KINDS = {
    "invalid-config": "INVALID_CONFIG",
    "invalid-event": "INVALID_EVENT",
    "failed": "FAILED",
}


def _wit_error(e, wit):
    """The WIT error record for a PluginError, from the bindings `wit`
    (``wit_world.imports.types``): ``wit.Error(kind=wit.ErrorKind.<KIND>,
    message=..., permanent=...)``."""
    kind = getattr(wit.ErrorKind, _WIT_KINDS[e.kind])
    return wit.Error(kind=kind, message=e.message, permanent=e.permanent)


if _GUEST:

    def _guest(body):
        """Runs `body` inside the component: a PluginError becomes the WIT
        error record (raised as componentize-py's Err). An Err raised by the
        plugin itself passes through if it carries that record, and becomes
        a failed error otherwise (lowering anything else would trap)."""
        try:
            return body(_wit)
        except PluginError as e:
            raise _Err(_wit_error(e, _wit)) from None
        except _Err as e:
            if isinstance(e.value, _wit.Error):
                raise
            message = f"the plugin raised Err({type(e.value).__name__}), not Err(the WIT error record)"
            raise _Err(_wit_error(PluginError.failed(message), _wit)) from None

    def _export_base(name):
        from wit_world import exports

        return getattr(exports, name, object)

else:

    def _guest(body):
        return body(None)

    def _export_base(name):
        return object


def _verdict_out(verdict, wit):
    if not isinstance(verdict, Verdict):
        raise PluginError.failed(
            f"the filter returned {type(verdict).__name__}, not a Verdict: return keep() or drop(reason)"
        )
    if wit is None:
        return verdict
    return wit.Verdict_Keep() if verdict.kind == "keep" else wit.Verdict_Drop(verdict.reason)


def _request_out(request, wit):
    if not isinstance(request, Request):
        raise PluginError.failed(
            f"the transform returned {type(request).__name__}, not a Request: return the request"
        )
    try:
        headers = [(str(n), str(v)) for n, v in request.headers]
        body = _as_bytes(request.body)
    except (TypeError, ValueError) as e:
        raise PluginError.failed(f"the transform returned a malformed Request: {e}") from None
    if wit is None:
        return Request(headers, body)
    return wit.Request(headers=headers, body=body)


def export_filter(fn, config=None, check_config=None):
    """Exports ``fn(event: Event, config) -> Verdict`` as this component's
    filter. Assign the result to ``Filter`` at the top level of the main
    module (componentize-py looks for that name)::

        Filter = export_filter(my_filter, config=Config.parse, check_config=Config.check)

    - `config`: turns the webhook's parsed JSON config (a dict; ``None`` for
      an empty config) into what `fn` receives; called once per distinct
      config text. Raise ``PluginError.invalid_config`` for a bad config (any
      other exception also becomes an invalid-config error). Without it `fn`
      gets the parsed JSON.
    - `check_config`: ``check_config(parsed_config)`` runs when a webhook is
      saved (after `config`), for checks beyond parsing; raise
      ``PluginError.invalid_config`` to refuse.

    A ``PluginError`` raised by `fn` becomes Herald's typed error; any other
    exception becomes ``failed("<ExceptionType>: <message>")``.

    In plain CPython the returned class works the same on SDK objects:
    ``Filter().filter(Event.example(...), '{"min": 1}')`` returns a
    ``Verdict`` or raises ``PluginError``.
    """
    cache = _ConfigCache(config)

    class Filter(_export_base("Filter")):
        plugin = staticmethod(fn)

        def check_config(self, config_text):
            _guest(lambda wit: _call(lambda: cache.check(config_text, check_config)))

        def filter(self, event, config_text):
            def run():
                cfg = cache.get(config_text)
                return fn(_event_of(event), cfg)

            return _guest(lambda wit: _verdict_out(_call(run), wit))

    Filter.__qualname__ = "Filter"
    Filter.__module__ = __package__  # herald_sdk, as before the split
    Filter.__doc__ = fn.__doc__
    return Filter


def export_transform(fn, config=None, check_config=None):
    """Exports ``fn(event: Event, request: Request, config) -> Request`` as
    this component's transform. Assign the result to ``Transform`` at the
    top level of the main module::

        Transform = export_transform(my_transform, config=Config.parse)

    `config` and `check_config` work as for ``export_filter``; so do errors.
    `fn` may change `request` in place and return it, or return a new one.
    """
    cache = _ConfigCache(config)

    class Transform(_export_base("Transform")):
        plugin = staticmethod(fn)

        def check_config(self, config_text):
            _guest(lambda wit: _call(lambda: cache.check(config_text, check_config)))

        def transform(self, event, request, config_text):
            def run():
                cfg = cache.get(config_text)
                return fn(_event_of(event), _request_of(request), cfg)

            return _guest(lambda wit: _request_out(_call(run), wit))

    Transform.__qualname__ = "Transform"
    Transform.__module__ = __package__  # herald_sdk, as before the split
    Transform.__doc__ = fn.__doc__
    return Transform
