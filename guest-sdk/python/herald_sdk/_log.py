"""``log``: logging into Herald's own log, and the bridge to the host it
writes through (the WIT ``log`` import inside a component, stderr in plain
CPython). It also owns ``_GUEST``, whether the SDK runs inside a
componentize-py component. Part of the ``herald_sdk`` package; import from
there.
"""

import sys as _sys

# Inside a componentize-py component the generated bindings (`wit_world`) and
# the runtime module exist; in plain CPython neither does.
try:
    import componentize_py_runtime as _runtime  # noqa: F401

    _GUEST = True
except ImportError:
    _GUEST = False

if _GUEST:
    from wit_world.imports import log as _wit_log
else:
    _wit_log = None

_LEVELS = ("trace", "debug", "info", "warn", "error")


def _host_log(level, message):
    if _GUEST:
        _wit_log.log(_wit_log.Level(_LEVELS.index(level)), message)
    else:
        _sys.stderr.write(f"[plugin {level.capitalize()}] {message}\n")


class log:
    """Logging into Herald's own log, tagged with the plugin and the webhook
    (``herald plugin run`` prints the lines; in plain CPython they go to
    stderr). Each line is capped by the host (a few KiB) and so is the
    number of lines per call. ``print`` does not work inside a plugin: use
    these.

    ``from herald_sdk import log`` then ``log.info("kept order 42")``.
    """

    LEVELS = _LEVELS

    def __new__(cls, *args, **kwargs):
        raise TypeError("herald_sdk.log is a namespace: call log.info(...), log.warn(...), ...")

    @staticmethod
    def log(level, message):
        """Writes one line at `level` (``"trace"``, ``"debug"``, ``"info"``,
        ``"warn"`` or ``"error"``)."""
        if level not in _LEVELS:
            raise ValueError(f"log level must be one of {_LEVELS}, not {level!r}")
        _host_log(level, str(message))

    @staticmethod
    def trace(message):
        """Logs at trace level."""
        _host_log("trace", str(message))

    @staticmethod
    def debug(message):
        """Logs at debug level."""
        _host_log("debug", str(message))

    @staticmethod
    def info(message):
        """Logs at info level."""
        _host_log("info", str(message))

    @staticmethod
    def warn(message):
        """Logs at warn level."""
        _host_log("warn", str(message))

    @staticmethod
    def error(message):
        """Logs at error level."""
        _host_log("error", str(message))
