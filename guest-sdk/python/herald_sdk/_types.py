"""The values a plugin handles: ``PluginError`` (its typed failures),
``Verdict`` with ``keep()`` / ``drop(reason)`` (a filter's decision),
``Event`` (what is being delivered) and ``Request`` (what a transform
rewrites). Part of the ``herald_sdk`` package; import from there.
"""

from ._json import _parse_json, to_json
from ._path import _ABSENT, path

# ---------------------------------------------------------------------------
# Errors and verdicts.


class PluginError(Exception):
    """A plugin's own typed failure. Herald records it in the delivery log; a
    failure in ``check_config`` rejects the webhook's save with the message.
    At delivery time it fails that attempt, which the webhook's retry
    schedule retries, unless it is **permanent**: then Herald records the
    delivery as dead at once, with the message, and never retries it by
    itself (it can still be retried by hand).

    ``kind`` is ``"invalid-config"``, ``"invalid-event"`` or ``"failed"``
    (the WIT ``error-kind``'s case); ``message`` the text; ``permanent``
    whether trying again can never help (e.g. the event lacks a field the
    partner requires). Make one with ``PluginError.invalid_config(msg)``,
    ``.invalid_event(msg)`` or ``.failed(msg)`` (each takes
    ``permanent=True``) and ``raise`` it."""

    KINDS = ("invalid-config", "invalid-event", "failed")

    def __init__(self, kind, message, permanent=False):
        if kind not in self.KINDS:
            raise ValueError(f"PluginError kind must be one of {self.KINDS}, not {kind!r}")
        if not isinstance(permanent, bool):
            raise TypeError(f"PluginError permanent must be a bool, not {type(permanent).__name__}")
        super().__init__(kind, message, permanent)
        self.kind = kind
        self.message = str(message)
        self.permanent = permanent

    @classmethod
    def invalid_config(cls, message, permanent=False):
        """The webhook's config for this plugin is not acceptable."""
        return cls("invalid-config", message, permanent)

    @classmethod
    def invalid_event(cls, message, permanent=False):
        """The event cannot be handled by this plugin."""
        return cls("invalid-event", message, permanent)

    @classmethod
    def failed(cls, message, permanent=False):
        """Anything else went wrong."""
        return cls("failed", message, permanent)

    def __str__(self):
        text = f"{self.kind.replace('-', ' ')}: {self.message}"
        return f"{text} (permanent)" if self.permanent else text

    def __repr__(self):
        if self.permanent:
            return f"PluginError({self.kind!r}, {self.message!r}, permanent=True)"
        return f"PluginError({self.kind!r}, {self.message!r})"

    def __eq__(self, other):
        return isinstance(other, PluginError) and (self.kind, self.message, self.permanent) == (
            other.kind,
            other.message,
            other.permanent,
        )

    def __hash__(self):
        return hash((self.kind, self.message, self.permanent))


class Verdict:
    """What a filter decides: ``Verdict.keep()`` (deliver the event) or
    ``Verdict.drop(reason)`` (do not; the reason lands in the delivery log as
    status ``filtered``). The module-level ``keep()`` and ``drop(reason)`` are
    the same. ``kind`` is ``"keep"`` or ``"drop"``, ``reason`` the drop's
    reason (``None`` for keep)."""

    __slots__ = ("kind", "reason")

    def __init__(self, kind, reason=None):
        if kind == "keep" and reason is None:
            pass
        elif kind == "drop" and isinstance(reason, str):
            pass
        else:
            raise ValueError("a Verdict is Verdict.keep() or Verdict.drop(reason: str)")
        self.kind = kind
        self.reason = reason

    @staticmethod
    def keep():
        """Deliver the event."""
        return Verdict("keep")

    @staticmethod
    def drop(reason):
        """Do not deliver; `reason` is recorded in the delivery log."""
        return Verdict("drop", str(reason))

    @property
    def is_keep(self):
        return self.kind == "keep"

    @property
    def is_drop(self):
        return self.kind == "drop"

    def __eq__(self, other):
        return isinstance(other, Verdict) and (self.kind, self.reason) == (other.kind, other.reason)

    def __hash__(self):
        return hash((self.kind, self.reason))

    def __repr__(self):
        return "keep()" if self.kind == "keep" else f"drop({self.reason!r})"


def keep():
    """A filter's verdict: deliver the event."""
    return Verdict("keep")


def drop(reason):
    """A filter's verdict: do not deliver; `reason` is recorded in the
    delivery log (status ``filtered``)."""
    return Verdict("drop", str(reason))

# ---------------------------------------------------------------------------
# The event and the request.


class Event:
    """The event being delivered, as the webhook's plugins see it (read it,
    do not change it).

    - ``id``: the producer's idempotency key, or one Herald assigned
    - ``event_type``: e.g. ``"order.created"``
    - ``timestamp``: RFC 3339 text, when Herald accepted it
    - ``org``: the organization (tenant) that published it
    - ``environment``: the producer's environment tag, or ``None``
    - ``webhook_id``: the webhook this delivery belongs to
    - ``data``: the payload, JSON text (``data_json()`` parses it)
    """

    __slots__ = ("id", "event_type", "timestamp", "org", "environment", "webhook_id", "data", "_json", "_envelope")

    def __init__(self, id, event_type, timestamp, org, environment, webhook_id, data):
        self.id = id
        self.event_type = event_type
        self.timestamp = timestamp
        self.org = org
        self.environment = environment
        self.webhook_id = webhook_id
        self.data = data
        self._json = _ABSENT
        self._envelope = None

    @classmethod
    def example(cls, event_type, data="{}"):
        """An event with placeholder ids and timestamp, for unit tests:
        ``Event.example("order.created", '{"order": {"total": 42}}')``.
        `data` is JSON text (a dict or list is written as JSON for you)."""
        if not isinstance(data, str):
            data = to_json(data)
        return cls(
            id="evt_example",
            event_type=event_type,
            timestamp="2026-01-01T00:00:00Z",
            org="org_example",
            environment=None,
            webhook_id="wh_example",
            data=data,
        )

    def data_json(self):
        """The payload parsed (dicts, lists, str, int, float, bool, None),
        once per event: later calls return the same object, so do not change
        it (``copy.deepcopy`` it first). Malformed JSON raises
        ``PluginError.invalid_event``."""
        if self._json is _ABSENT:
            try:
                self._json = _parse_json(self.data)
            except ValueError as e:
                raise PluginError.invalid_event(f"event data is not valid JSON: {e}") from None
        return self._json

    def envelope(self):
        """The event as the JSON envelope Herald sends by default:
        ``{"id", "type", "timestamp", "environment"?, "data"}``. Dotted paths
        such as ``data.order.total`` are relative to it, exactly like
        Herald's native trigger filters. Built once per event (do not change
        it)."""
        if self._envelope is None:
            envelope = {"id": self.id, "type": self.event_type, "timestamp": self.timestamp}
            if self.environment is not None:
                envelope["environment"] = self.environment
            envelope["data"] = self.data_json()
            self._envelope = envelope
        return self._envelope

    def get(self, p, default=None):
        """The value at dotted path `p` in the envelope (``"data.order.total"``,
        ``"type"``, ``"environment"``), or `default` when absent."""
        return path.lookup(self.envelope(), p, default)

    def __eq__(self, other):
        return isinstance(other, Event) and all(
            getattr(self, f) == getattr(other, f) for f in self.__slots__[:7]
        )

    __hash__ = None

    def __repr__(self):
        fields = ", ".join(f"{f}={getattr(self, f)!r}" for f in self.__slots__[:7])
        return f"Event({fields})"


def _ascii_lower(text):
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


class Request:
    """The outgoing HTTP request before Herald signs and sends it: what a
    transform receives and returns.

    - ``headers``: a list of ``(name, value)`` tuples; names compare
      case-insensitively (ASCII)
    - ``body``: the exact bytes Herald will sign and send

    ``Request()`` is an empty request (no header, empty body), for tests.
    """

    __slots__ = ("headers", "body")

    def __init__(self, headers=None, body=b""):
        self.headers = [(str(n), str(v)) for n, v in (headers or [])]
        self.body = _as_bytes(body)

    @classmethod
    def json(cls, value, sort_keys=False):
        """A request with `value` as its JSON body and
        ``content-type: application/json``."""
        request = cls()
        request.set_json_body(value, sort_keys=sort_keys)
        return request

    def header(self, name):
        """The value of the first header named `name` (case-insensitive), or
        ``None``."""
        wanted = _ascii_lower(name)
        for n, v in self.headers:
            if _ascii_lower(n) == wanted:
                return v
        return None

    def set_header(self, name, value):
        """Sets a header, replacing every existing header of that name."""
        self.remove_header(name)
        self.headers.append((str(name), str(value)))

    def remove_header(self, name):
        """Removes every header named `name`; returns whether one was present."""
        wanted = _ascii_lower(name)
        before = len(self.headers)
        self.headers = [(n, v) for n, v in self.headers if _ascii_lower(n) != wanted]
        return len(self.headers) != before

    def json_body(self):
        """The body parsed as JSON; malformed JSON (or UTF-8) raises
        ``PluginError.invalid_event``."""
        try:
            return _parse_json(self.body.decode("utf-8"))
        except ValueError as e:  # UnicodeDecodeError is a ValueError
            raise PluginError.invalid_event(f"request body is not valid JSON: {e}") from None

    def set_json_body(self, value, sort_keys=False):
        """Replaces the body with `value` as compact JSON (serde_json's
        spelling, see ``to_json``; dict keys in insertion order, or sorted
        with ``sort_keys=True`` as the Rust SDK's ``set_json_body`` writes
        them) and sets ``content-type: application/json``. A value JSON
        cannot hold raises ``PluginError.failed``."""
        try:
            text = to_json(value, sort_keys=sort_keys)
        except (TypeError, RecursionError) as e:
            raise PluginError.failed(f"cannot serialize the body: {e}") from None
        self.body = text.encode("utf-8")
        self.set_header("content-type", "application/json")

    def set_body(self, body, content_type):
        """Replaces the body (bytes, or text written as UTF-8) and sets its
        content type."""
        self.body = _as_bytes(body)
        self.set_header("content-type", content_type)

    def __eq__(self, other):
        return isinstance(other, Request) and (self.headers, self.body) == (other.headers, other.body)

    __hash__ = None

    def __repr__(self):
        return f"Request(headers={self.headers!r}, body={self.body!r})"


def _as_bytes(body):
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    raise TypeError(f"a request body is bytes or str, not {type(body).__name__}")
