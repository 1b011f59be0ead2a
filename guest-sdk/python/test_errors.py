"""Native tests of herald_sdk's PluginError: kinds, permanent errors, and the
WIT error record the guest hands Herald (herald:plugin@0.2.0). Run by
test_herald_sdk.py with every SDK test, or alone:

    python3 guest-sdk/python/test_errors.py
"""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True

from herald_sdk import PluginError  # noqa: E402


def _componentize_py():
    """componentize-py, where plugins/tools.sh installs it (or on PATH), or None."""
    import shutil

    tools = os.environ.get("HERALD_TOOLS_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "herald")
    installed = os.path.join(tools, "plugin-tools", "python", "bin", "componentize-py")
    return installed if os.access(installed, os.X_OK) else shutil.which("componentize-py")


class Errors(unittest.TestCase):
    def test_constructors_and_text(self):
        e = PluginError.invalid_config("`min` must be positive")
        self.assertEqual((e.kind, e.message), ("invalid-config", "`min` must be positive"))
        self.assertEqual(str(e), "invalid config: `min` must be positive")
        self.assertEqual(str(PluginError.invalid_event("no order")), "invalid event: no order")
        self.assertEqual(str(PluginError.failed("boom")), "failed: boom")
        self.assertEqual(PluginError.failed("x"), PluginError.failed("x"))
        self.assertIsInstance(e, Exception)
        with self.assertRaises(ValueError):
            PluginError("oops", "x")

    def test_permanent(self):
        # Not permanent unless said: the webhook's retry schedule applies.
        self.assertFalse(PluginError.invalid_event("x").permanent)
        self.assertFalse(PluginError("failed", "x").permanent)
        e = PluginError.invalid_event("required field data.id is missing", permanent=True)
        self.assertEqual((e.kind, e.message, e.permanent), ("invalid-event", "required field data.id is missing", True))
        self.assertEqual(str(e), "invalid event: required field data.id is missing (permanent)")
        self.assertEqual(repr(e), "PluginError('invalid-event', 'required field data.id is missing', permanent=True)")
        self.assertEqual(repr(PluginError.failed("x")), "PluginError('failed', 'x')")
        self.assertTrue(PluginError.invalid_config("x", permanent=True).permanent)
        self.assertTrue(PluginError.failed("x", True).permanent)
        self.assertEqual(PluginError("failed", "x", permanent=True), PluginError.failed("x", permanent=True))
        self.assertNotEqual(PluginError.failed("x", permanent=True), PluginError.failed("x"))
        self.assertEqual(len({PluginError.failed("x"), PluginError.failed("x", permanent=True), PluginError.failed("x")}), 2)
        with self.assertRaises(TypeError):
            PluginError.failed("x", permanent="yes")

    def test_the_wit_error_record(self):
        # What the guest raises (inside componentize-py's Err), built here
        # from a stand-in for the generated bindings (wit_world.imports.types:
        # enum error-kind -> ErrorKind, record error -> Error).
        import enum
        from dataclasses import dataclass
        from types import SimpleNamespace

        from herald_sdk._export import _wit_error

        class ErrorKind(enum.Enum):
            INVALID_CONFIG = 0
            INVALID_EVENT = 1
            FAILED = 2

        @dataclass
        class Error:
            kind: ErrorKind
            message: str
            permanent: bool

        wit = SimpleNamespace(ErrorKind=ErrorKind, Error=Error)
        self.assertEqual(
            _wit_error(PluginError.invalid_event("no id", permanent=True), wit),
            Error(kind=ErrorKind.INVALID_EVENT, message="no id", permanent=True),
        )
        self.assertEqual(
            _wit_error(PluginError.invalid_config("bad"), wit),
            Error(kind=ErrorKind.INVALID_CONFIG, message="bad", permanent=False),
        )
        self.assertEqual(_wit_error(PluginError.failed("boom"), wit), Error(ErrorKind.FAILED, "boom", False))

    @unittest.skipUnless(_componentize_py(), "componentize-py is not installed (bash plugins/tools.sh)")
    def test_the_wit_error_record_from_the_real_bindings(self):
        # The same against the bindings componentize-py generates from wit/.
        import subprocess
        import tempfile

        from herald_sdk._export import _wit_error

        with tempfile.TemporaryDirectory() as out:
            wit = os.path.join(HERE, "..", "..", "wit", "plugin.wit")
            subprocess.run(
                [_componentize_py(), "-d", wit, "-w", "filter-plugin", "bindings", out],
                check=True,
                capture_output=True,
            )
            sys.path.insert(0, out)
            try:
                from componentize_py_types import Err
                from wit_world.imports import types

                for e, kind in [
                    (PluginError.invalid_config("c"), types.ErrorKind.INVALID_CONFIG),
                    (PluginError.invalid_event("e", permanent=True), types.ErrorKind.INVALID_EVENT),
                    (PluginError.failed("f"), types.ErrorKind.FAILED),
                ]:
                    record = _wit_error(e, types)
                    self.assertIsInstance(record, types.Error)
                    self.assertEqual(record, types.Error(kind=kind, message=e.message, permanent=e.permanent))
                    self.assertIs(Err(record).value, record)
            finally:
                sys.path.remove(out)
                for name in list(sys.modules):
                    if name.split(".")[0] in ("wit_world", "componentize_py_types", "componentize_py_async_support"):
                        del sys.modules[name]


if __name__ == "__main__":
    unittest.main()
