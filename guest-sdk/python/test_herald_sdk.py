"""Native tests of herald_sdk (plain CPython 3.11+, no installs):

    python3 guest-sdk/python/test_herald_sdk.py

This runs every SDK test: the dotted-path ones live in test_path.py and the
errors' in test_errors.py (each also runnable alone) and run here too, including the path vectors the Rust SDK and
Herald's runtime run (guest-sdk/src/path_vectors.json).
"""

import io
import json
import os
import sys
import unittest
from contextlib import redirect_stderr

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True

import herald_sdk  # noqa: E402
from herald_sdk import (  # noqa: E402
    Event,
    PluginError,
    Request,
    Verdict,
    drop,
    export_filter,
    export_transform,
    format_float,
    keep,
    log,
    to_json,
    to_text,
)
# The path and error tests run here too, so that this file runs every SDK test.
from test_path import PathEdits, SharedPathVectors, _raises  # noqa: E402,F401
from test_errors import Errors  # noqa: E402,F401


class Events(unittest.TestCase):
    def test_example(self):
        e = Event.example("order.created", '{"order":{"total":42}}')
        self.assertEqual(
            (e.id, e.event_type, e.timestamp, e.org, e.environment, e.webhook_id),
            ("evt_example", "order.created", "2026-01-01T00:00:00Z", "org_example", None, "wh_example"),
        )
        self.assertEqual(e.data_json()["order"]["total"], 42)
        self.assertEqual(Event.example("t", {"a": 1}).data, '{"a":1}')

    def test_data_json_is_parsed_once(self):
        e = Event.example("t", '{"a": [1, 2]}')
        self.assertIs(e.data_json(), e.data_json())

    def test_bad_data_is_an_invalid_event(self):
        for bad in ("{", "NaN", '{"a": Infinity}', ""):
            with self.subTest(data=bad):
                err = _raises(PluginError, Event.example("t", bad).data_json)
                self.assertEqual(err.kind, "invalid-event")
                self.assertTrue(err.message.startswith("event data is not valid JSON: "), err.message)

    def test_envelope_and_get(self):
        e = Event.example("order.created", '{"total": 3, "items": [{"sku": "A"}]}')
        self.assertEqual(list(e.envelope()), ["id", "type", "timestamp", "data"])
        self.assertEqual(e.envelope()["type"], "order.created")
        self.assertEqual(e.get("data.total"), 3)
        self.assertEqual(e.get("data.items.0.sku"), "A")
        self.assertEqual(e.get("type"), "order.created")
        self.assertIsNone(e.get("environment"))
        self.assertEqual(e.get("data.nothing", 0), 0)
        e.environment = "production"
        e._envelope = None
        self.assertEqual(list(e.envelope()), ["id", "type", "timestamp", "environment", "data"])
        self.assertEqual(e.get("environment"), "production")

    def test_equality(self):
        self.assertEqual(Event.example("t", "{}"), Event.example("t", "{}"))
        self.assertNotEqual(Event.example("t", "{}"), Event.example("u", "{}"))


class Requests(unittest.TestCase):
    def test_default_is_empty(self):
        r = Request()
        self.assertEqual((r.headers, r.body), ([], b""))

    def test_headers_are_case_insensitive(self):
        r = Request()
        r.set_header("Content-Type", "text/plain")
        self.assertEqual(r.header("content-type"), "text/plain")
        self.assertIsNone(r.header("x-missing"))
        r.set_header("x-a", "1")
        r.set_header("X-A", "2")
        self.assertEqual(r.headers, [("Content-Type", "text/plain"), ("X-A", "2")])
        self.assertTrue(r.remove_header("x-A"))
        self.assertFalse(r.remove_header("x-a"))
        self.assertEqual(r.headers, [("Content-Type", "text/plain")])

    def test_header_names_fold_ascii_only(self):
        r = Request([("\u212a-id", "kelvin")])  # KELVIN SIGN lowercases to "k" in Unicode
        self.assertIsNone(r.header("k-id"))

    def test_first_header_wins(self):
        r = Request([("x-a", "1"), ("X-A", "2")])
        self.assertEqual(r.header("x-a"), "1")

    def test_json_body(self):
        r = Request(body=b'{"x": true}')
        self.assertEqual(r.json_body(), {"x": True})
        for bad in (b"{", b"\xff", b""):
            err = _raises(PluginError, Request(body=bad).json_body)
            self.assertEqual(err.kind, "invalid-event")
            self.assertTrue(err.message.startswith("request body is not valid JSON: "))

    def test_set_json_body_keeps_insertion_order_compact(self):
        r = Request([("content-type", "text/plain"), ("x-other", "1")])
        r.set_json_body({"last_name": "Lovelace", "first_name": "Ada", "n": [1, 2.5, None]})
        self.assertEqual(r.body, b'{"last_name":"Lovelace","first_name":"Ada","n":[1,2.5,null]}')
        self.assertEqual(r.header("content-type"), "application/json")
        self.assertEqual(r.headers, [("x-other", "1"), ("content-type", "application/json")])
        r.set_json_body({"b": 1, "a": {"d": 1, "c": 2}}, sort_keys=True)
        self.assertEqual(r.body, b'{"a":{"c":2,"d":1},"b":1}')

    def test_set_json_body_refuses_what_json_cannot_hold(self):
        err = _raises(PluginError, Request().set_json_body, {"a": object()})
        self.assertEqual(err.kind, "failed")
        self.assertIn("cannot serialize the body", err.message)

    def test_json_constructor(self):
        r = Request.json([1, 2])
        self.assertEqual(r.body, b"[1,2]")
        self.assertEqual(r.header("content-type"), "application/json")

    def test_set_body(self):
        r = Request()
        r.set_body("a=1", "application/x-www-form-urlencoded")
        self.assertEqual(r.body, b"a=1")
        self.assertEqual(r.header("content-type"), "application/x-www-form-urlencoded")
        r.set_body(b"\x00\x01", "application/octet-stream")
        self.assertEqual(r.body, b"\x00\x01")
        r.set_body("é", "text/plain")
        self.assertEqual(r.body, "é".encode())
        with self.assertRaises(TypeError):
            r.set_body(5, "text/plain")


class Json(unittest.TestCase):
    def test_to_json_writes_like_serde_json(self):
        cases = [
            (None, "null"),
            (True, "true"),
            (0, "0"),
            (-12, "-12"),
            (1.0, "1.0"),
            (199.0, "199.0"),
            (0.1, "0.1"),
            (-0.0, "-0.0"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e16"),
            (1.5e17, "1.5e17"),
            (1e-5, "0.00001"),
            (1.5e-6, "1.5e-6"),
            (1e-7, "1e-7"),
            (123456.789, "123456.789"),
            (float("nan"), "null"),
            (float("inf"), "null"),
            ("é\"\\\n\x01/\u2028", '"é\\"\\\\\\n\\u0001/\u2028"'),
            ({"b": [1, {"a": None}], "a": ""}, '{"b":[1,{"a":null}],"a":""}'),
            ((1, 2), "[1,2]"),
            ([], "[]"),
            ({}, "{}"),
        ]
        for value, text in cases:
            with self.subTest(value=value):
                self.assertEqual(to_json(value), text)
        for value, _ in cases:
            if isinstance(value, float) and value == value and abs(value) != float("inf"):
                self.assertEqual(json.loads(to_json(value)), value)

    def test_to_json_refuses(self):
        with self.assertRaises(TypeError):
            to_json({1: 2})
        with self.assertRaises(TypeError):
            to_json({"a": {1, 2}})

    def test_to_text(self):
        self.assertEqual(to_text("x"), "x")
        self.assertEqual(to_text(1.5), "1.5")
        self.assertEqual(to_text(None), "")
        self.assertEqual(to_text([1, "a"]), '[1,"a"]')

    def test_format_float_is_rusts_display(self):
        cases = [
            (80, "80"),
            (80.0, "80"),
            (249.9, "249.9"),
            (100, "100"),
            (0.1, "0.1"),
            (-2.5, "-2.5"),
            (0.0, "0"),
            (-0.0, "-0"),
            (1e20, "100000000000000000000"),
            (1e-7, "0.0000001"),
            (1.5e-5, "0.000015"),
            (123456789.125, "123456789.125"),
            (float("inf"), "inf"),
            (float("-inf"), "-inf"),
            (float("nan"), "NaN"),
        ]
        for value, text in cases:
            with self.subTest(value=value):
                self.assertEqual(format_float(value), text)


class Verdicts(unittest.TestCase):
    def test_keep_and_drop(self):
        self.assertEqual(keep(), Verdict.keep())
        self.assertEqual(drop("too small"), Verdict.drop("too small"))
        self.assertNotEqual(drop("a"), drop("b"))
        self.assertNotEqual(keep(), drop(""))
        self.assertTrue(keep().is_keep and not keep().is_drop)
        self.assertEqual((drop("r").kind, drop("r").reason), ("drop", "r"))
        self.assertEqual(repr(drop("r")), "drop('r')")
        with self.assertRaises(ValueError):
            Verdict("maybe")


class Logging(unittest.TestCase):
    def test_native_logs_go_to_stderr(self):
        err = io.StringIO()
        with redirect_stderr(err):
            log.trace("t")
            log.debug("d")
            log.info("hello")
            log.warn("w")
            log.error(42)
            log.log("info", "via log")
        self.assertEqual(
            err.getvalue().splitlines(),
            [
                "[plugin Trace] t",
                "[plugin Debug] d",
                "[plugin Info] hello",
                "[plugin Warn] w",
                "[plugin Error] 42",
                "[plugin Info] via log",
            ],
        )
        with self.assertRaises(ValueError):
            log.log("loud", "x")


class Exports(unittest.TestCase):
    """The exported classes, called natively as the component's glue calls them."""

    def setUp(self):
        self.parsed = []

        def parse(raw):
            self.parsed.append(raw)
            if not isinstance(raw, dict) or not isinstance(raw.get("min"), (int, float)):
                raise PluginError.invalid_config('"min" must be a number')
            return raw["min"]

        def check(minimum):
            if minimum < 0:
                raise PluginError.invalid_config("`min` must not be negative")

        def big(event, minimum):
            total = event.get("data.total")
            if total is None:
                raise PluginError.invalid_event("no total")
            if total == "boom":
                raise KeyError("total")
            if total == "empty":
                raise RuntimeError()
            if total == "verdict?":
                return True
            return keep() if total >= minimum else drop(f"total {total} < {minimum}")

        self.Filter = export_filter(big, config=parse, check_config=check)

    def test_the_class_is_named_for_componentize_py(self):
        self.assertEqual(self.Filter.__name__, "Filter")
        self.assertEqual(export_transform(lambda e, r, c: r).__name__, "Transform")

    def test_filter_runs_with_a_parsed_config_cached_per_text(self):
        f = self.Filter()
        self.assertEqual(f.filter(Event.example("t", '{"total": 5}'), '{"min": 3}'), keep())
        self.assertEqual(f.filter(Event.example("t", '{"total": 1}'), '{"min": 3}'), drop("total 1 < 3"))
        self.assertEqual(f.filter(Event.example("t", '{"total": 1}'), '{"min": 0}'), keep())
        self.assertEqual(f.filter(Event.example("t", '{"total": 1}'), '{"min": 3}'), drop("total 1 < 3"))
        self.assertEqual(self.parsed, [{"min": 3}, {"min": 0}])
        # Natively a config may also be given as a value (cached by its JSON text).
        self.assertEqual(f.filter(Event.example("t", '{"total": 5}'), {"min": 3}), keep())
        self.assertEqual(f.filter(Event.example("t", '{"total": 5}'), {"min": 3}), keep())
        self.assertEqual(self.parsed, [{"min": 3}, {"min": 0}, {"min": 3}])

    def test_check_config(self):
        f = self.Filter()
        self.assertIsNone(f.check_config('{"min": 1}'))
        self.assertEqual(_raises(PluginError, f.check_config, '{"min": -1}'), PluginError.invalid_config("`min` must not be negative"))
        self.assertEqual(_raises(PluginError, f.check_config, '{"min": "x"}'), PluginError.invalid_config('"min" must be a number'))
        err = _raises(PluginError, f.check_config, '{"min": ')
        self.assertEqual(err.kind, "invalid-config")
        self.assertTrue(err.message.startswith("config is not valid JSON: "), err.message)

    def test_filter_does_not_run_check_config(self):
        # As in Rust: check-config runs when the webhook is saved, not per event.
        self.assertEqual(self.Filter().filter(Event.example("t", '{"total": 5}'), '{"min": -1}'), keep())

    def test_empty_config_is_none(self):
        seen = []
        F = export_filter(lambda e, c: seen.append(c) or keep())
        F().filter(Event.example("t", "{}"), "  ")
        F().check_config("")
        self.assertEqual(seen, [None])

    def test_permanent_errors_pass_through_the_export(self):
        def strict(event, config):
            if event.get("data.id") is None:
                raise PluginError.invalid_event("required field data.id is missing", permanent=True)
            return keep()

        err = _raises(PluginError, export_filter(strict)().filter, Event.example("t", "{}"), "{}")
        self.assertEqual(err, PluginError.invalid_event("required field data.id is missing", permanent=True))
        self.assertTrue(err.permanent)

        def parse(raw):
            raise PluginError.invalid_config("never valid", permanent=True)

        err = _raises(PluginError, export_transform(lambda e, r, c: r, config=parse)().check_config, "{}")
        self.assertEqual((err.kind, err.permanent), ("invalid-config", True))
        # What the SDK makes of other exceptions is never permanent.
        err = _raises(PluginError, self.Filter().filter, Event.example("t", '{"total": "boom"}'), '{"min": 1}')
        self.assertFalse(err.permanent)

    def test_errors(self):
        f = self.Filter()
        self.assertEqual(_raises(PluginError, f.filter, Event.example("t", "{}"), '{"min": 1}'), PluginError.invalid_event("no total"))
        self.assertEqual(_raises(PluginError, f.filter, Event.example("t", '{"total": "boom"}'), '{"min": 1}'), PluginError.failed("KeyError: 'total'"))
        self.assertEqual(_raises(PluginError, f.filter, Event.example("t", '{"total": "empty"}'), '{"min": 1}'), PluginError.failed("RuntimeError"))
        self.assertEqual(_raises(PluginError, f.filter, Event.example("t", "{"), '{"min": 1}').kind, "invalid-event")
        err = _raises(PluginError, f.filter, Event.example("t", '{"total": "verdict?"}'), '{"min": 1}')
        self.assertEqual(err.kind, "failed")
        self.assertIn("not a Verdict", err.message)

    def test_other_exceptions_in_config_parsing_are_invalid_config(self):
        class Config:
            def __init__(self, min):
                self.min = min

        F = export_filter(lambda e, c: keep(), config=lambda raw: Config(**raw))
        err = _raises(PluginError, F().check_config, '{"mni": 1}')
        self.assertEqual(err.kind, "invalid-config")
        self.assertTrue(err.message.startswith("TypeError: "), err.message)
        self.assertIn("mni", err.message)

    def test_memory_errors_are_not_swallowed(self):
        def hungry(event, config):
            raise MemoryError()

        with self.assertRaises(MemoryError):
            export_filter(hungry)().filter(Event.example("t", "{}"), "{}")

    def test_transform(self):
        def add_partner(event, request, config):
            request.set_header("x-partner", config["partner"])
            body = request.json_body()
            body["type"] = event.event_type
            request.set_json_body(body)
            return request

        T = export_transform(add_partner)
        out = T().transform(Event.example("order.created", "{}"), Request.json({"a": 1}), '{"partner": "acme"}')
        self.assertIsInstance(out, Request)
        self.assertEqual(out.header("x-partner"), "acme")
        self.assertEqual(out.body, b'{"a":1,"type":"order.created"}')
        err = _raises(PluginError, T().transform, Event.example("t", "{}"), Request(body=b"nope"), '{"partner": "x"}')
        self.assertEqual(err.kind, "invalid-event")
        err = _raises(PluginError, T().transform, Event.example("t", "{}"), Request.json({}), "{}")
        self.assertEqual(err, PluginError.failed("KeyError: 'partner'"))

    def test_transform_must_return_a_request(self):
        T = export_transform(lambda e, r, c: None)
        err = _raises(PluginError, T().transform, Event.example("t", "{}"), Request(), "{}")
        self.assertEqual(err.kind, "failed")
        self.assertIn("not a Request", err.message)

    def test_the_plugin_function_stays_callable(self):
        self.assertEqual(self.Filter.plugin(Event.example("t", '{"total": 9}'), 3), keep())

    def test_not_a_guest_here(self):
        self.assertFalse(herald_sdk._GUEST)


if __name__ == "__main__":
    unittest.main()
