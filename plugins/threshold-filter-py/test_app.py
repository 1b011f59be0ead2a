"""Native tests of the Python threshold filter (plain CPython 3.11+):

    python3 plugins/threshold-filter-py/test_app.py

The same cases as the Rust plugin's unit tests; the shared end-to-end cases
are plugins/threshold-filter/example/cases.json (`herald plugin test`).
"""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path[:0] = [HERE, os.path.join(HERE, "..", "..", "guest-sdk", "python")]

from app import Config, Filter, check_config, threshold  # noqa: E402
from herald_sdk import Event, PluginError, drop, keep  # noqa: E402


def config(raw):
    return Config.parse(raw)


def order(total):
    return Event.example("order.created", f'{{"order":{{"total":{total}}}}}')


class Threshold(unittest.TestCase):
    def test_keeps_above_and_drops_at_or_below(self):
        c = config({"path": "data.order.total", "above": 100})
        self.assertEqual(threshold(order("150"), c), keep())
        self.assertEqual(threshold(order("100"), c), drop("data.order.total = 100 is not above 100"))
        self.assertEqual(threshold(order('"120.50"'), c), keep())
        self.assertEqual(threshold(order("80"), c), drop("data.order.total = 80 is not above 100"))
        self.assertEqual(threshold(order("99.5"), c), drop("data.order.total = 99.5 is not above 100"))

    def test_below(self):
        c = config({"path": "data.order.total", "below": 10.5})
        self.assertEqual(threshold(order("10"), c), keep())
        self.assertEqual(threshold(order("10.5"), c), drop("data.order.total = 10.5 is not below 10.5"))

    def test_missing_field_follows_config(self):
        drop_cfg = config({"path": "data.order.total", "above": 1})
        keep_cfg = config({"path": "data.order.total", "above": 1, "missing": "keep"})
        event = Event.example("order.created", '{"order":{}}')
        self.assertEqual(threshold(event, drop_cfg), drop("data.order.total is missing or not a number"))
        self.assertEqual(threshold(event, keep_cfg), keep())
        for not_a_number in ('"12x"', '"1_000"', "true", "null", "[1]", '"\u0661"'):
            self.assertTrue(threshold(order(not_a_number), drop_cfg).is_drop, not_a_number)

    def test_number_strings_as_rust_parses_them(self):
        c = config({"path": "data.order.total", "above": 1})
        for text in ('" 12.50 "', '"1e3"', '"+5"', '".5e1"', '"5."', '"inf"'):
            self.assertEqual(threshold(order(text), c), keep(), text)

    def test_config_needs_a_bound_and_a_sane_range(self):
        with self.assertRaises(PluginError):
            check_config(config({"path": "data.x"}))
        with self.assertRaises(PluginError) as e:
            check_config(config({"path": "data.x", "above": 5, "below": 5}))
        self.assertEqual(e.exception.message, "`above` (5) must be less than `below` (5): no value could pass")
        check_config(config({"path": "data.x", "below": 5}))
        with self.assertRaises(PluginError) as e:
            config({"path": "x", "abov": 1})
        self.assertEqual(
            e.exception.message, "unknown field `abov`, expected one of `path`, `above`, `below`, `missing`"
        )
        for raw, message in [
            ({}, "missing field `path`"),
            (None, "invalid type: null, expected struct Config"),
            ({"path": 1}, "invalid type: integer `1`, expected a string"),
            ({"path": "x", "above": "1"}, 'invalid type: string "1", expected f64'),
            ({"path": "x", "missing": "maybe"}, "unknown variant `maybe`, expected `drop` or `keep`"),
        ]:
            with self.assertRaises(PluginError) as e:
                config(raw)
            self.assertEqual((e.exception.kind, e.exception.message), ("invalid-config", message))

    def test_through_the_export(self):
        f = Filter()
        self.assertEqual(f.filter(order("150"), '{"path":"data.order.total","above":100}'), keep())
        with self.assertRaises(PluginError) as e:
            f.check_config('{"path":" ","above":1}')
        self.assertEqual(e.exception.message, "`path` must not be empty")
        with self.assertRaises(PluginError) as e:
            f.filter(Event.example("t", "{"), '{"path":"data.x","above":1}')
        self.assertEqual(e.exception.kind, "invalid-event")


if __name__ == "__main__":
    unittest.main()
