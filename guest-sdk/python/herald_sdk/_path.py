"""The dotted-path syntax (``data.order.status``, ``items.0.sku``) shared
with Herald's native trigger filters and the Rust SDK: ``path`` (check,
lookup, set, for_each_match, remove) and ``PathError``. Part of the
``herald_sdk`` package; import from there.
"""


class PathError(ValueError):
    """Why a text is not a dotted path. ``index`` is the 0-based empty
    segment, or ``None`` when the whole path is empty."""

    def __init__(self, index=None):
        self.index = index
        if index is None:
            super().__init__("a path must not be empty")
        else:
            super().__init__(f"segment {index + 1} of the path is empty")

    def __eq__(self, other):
        return isinstance(other, PathError) and self.index == other.index

    def __hash__(self):
        return hash(self.index)


_ABSENT = object()
_DIGITS = frozenset("0123456789")


def _index(segment):
    """The array index a segment names, if it is one (ASCII digits only)."""
    if segment and _DIGITS.issuperset(segment):
        return int(segment)
    return None


def _child(current, segment):
    if isinstance(current, dict):
        return current.get(segment, _ABSENT)
    if isinstance(current, list):
        i = _index(segment)
        if i is not None and i < len(current):
            return current[i]
    return _ABSENT


class path:
    """The dotted-path syntax shared by Herald's native trigger filters and
    plugins (Rust's ``herald_sdk::path``), on parsed JSON values (dicts,
    lists, scalars).

    A path is one or more segments separated by ``.``: ``data.order.status``,
    ``data.items.0.sku``. Against an object a segment is a member name;
    against an array it is an element index written in ASCII digits (``0``,
    ``12``; not ``+1`` or ``-1``). No segment may be empty, so ``""``,
    ``a..b``, ``.a`` and ``a.`` are not paths, and a member whose name
    contains ``.`` cannot be addressed. ``for_each_match`` and ``remove``
    (and only they) also take ``*`` for "every member or element".

    Use it as a namespace: ``from herald_sdk import path`` then
    ``path.lookup(doc, "data.order.total")``.
    """

    def __new__(cls, *args, **kwargs):
        raise TypeError("herald_sdk.path is a namespace: call path.lookup(...), path.set(...), ...")

    @staticmethod
    def check(p):
        """Raises ``PathError`` unless `p` is a dotted path."""
        if not isinstance(p, str) or p == "":
            raise PathError(None)
        for i, segment in enumerate(p.split(".")):
            if segment == "":
                raise PathError(i)

    @staticmethod
    def is_valid(p):
        """Whether `p` is a dotted path."""
        try:
            path.check(p)
        except PathError:
            return False
        return True

    @staticmethod
    def lookup(document, p, default=None):
        """The value at `p` in `document`, or `default` when absent (a JSON
        ``null`` that is present is ``None``: use ``exists`` to tell them
        apart). A path that fails ``check`` finds nothing."""
        if not path.is_valid(p):
            return default
        current = document
        for segment in p.split("."):
            current = _child(current, segment)
            if current is _ABSENT:
                return default
        return current

    get = lookup

    @staticmethod
    def exists(document, p):
        """Whether `p` finds a value in `document` (``null`` included)."""
        return path.lookup(document, p, _ABSENT) is not _ABSENT

    @staticmethod
    def set(document, p, value):
        """Sets the value at `p`, creating intermediate objects as needed.
        Returns ``False`` (and changes nothing) when the path fails
        ``check``, a segment runs into a scalar, or an array index is out of
        range."""
        if not path.is_valid(p):
            return False
        segments = p.split(".")
        current = document
        for n, segment in enumerate(segments):
            last = n == len(segments) - 1
            if isinstance(current, dict):
                if last:
                    current[segment] = value
                    return True
                if segment not in current:
                    current[segment] = {}
                current = current[segment]
            elif isinstance(current, list):
                i = _index(segment)
                if i is None or i >= len(current):
                    return False
                if last:
                    current[i] = value
                    return True
                current = current[i]
            else:
                return False
        return False

    @staticmethod
    def for_each_match(document, p, f):
        """Calls ``f(parent, key)`` on the parent container and final key of
        every match of `p`, where a ``*`` segment matches every member of an
        object or element of an array (dicts in their own order; the key is
        a ``str`` for a dict, an ``int`` for a list). Returns the number of
        matches (0 for a path that fails ``check``)."""
        if not path.is_valid(p):
            return 0
        matches = []
        _walk(document, p.split("."), matches)
        for parent, key in matches:
            f(parent, key)
        return len(matches)

    @staticmethod
    def remove(document, p):
        """Removes every match of `p` (``*`` allowed, as in
        ``for_each_match``) from its object or array; returns how many."""
        if not path.is_valid(p):
            return 0
        matches = []
        _walk(document, p.split("."), matches)
        # Within one array, remove from the end so indexes stay right.
        for parent, key in sorted(
            matches, key=lambda m: m[1] if isinstance(m[0], list) else -1, reverse=True
        ):
            del parent[key]
        return len(matches)


def _walk(value, segments, matches):
    head, rest = segments[0], segments[1:]
    if not rest:
        if isinstance(value, dict):
            if head == "*":
                matches.extend((value, k) for k in list(value))
            elif head in value:
                matches.append((value, head))
        elif isinstance(value, list):
            if head == "*":
                matches.extend((value, i) for i in range(len(value)))
            else:
                i = _index(head)
                if i is not None and i < len(value):
                    matches.append((value, i))
        return
    if head == "*":
        if isinstance(value, dict):
            for child in list(value.values()):
                _walk(child, rest, matches)
        elif isinstance(value, list):
            for child in list(value):
                _walk(child, rest, matches)
        return
    child = _child(value, head)
    if child is not _ABSENT:
        _walk(child, rest, matches)
