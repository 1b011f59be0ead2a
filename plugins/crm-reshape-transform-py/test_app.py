"""Native tests of the Python CRM reshape transform (plain CPython 3.11+):

    python3 plugins/crm-reshape-transform-py/test_app.py

The same cases as the Rust plugin's unit tests; the shared end-to-end cases
are plugins/crm-reshape-transform/example/cases.json (`herald plugin test`).
"""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path[:0] = [HERE, os.path.join(HERE, "..", "..", "guest-sdk", "python")]

from app import Config, Transform, check_config, crm_reshape  # noqa: E402
from herald_sdk import Event, PluginError, Request  # noqa: E402


def config(raw):
    return Config.parse(raw)


class CrmReshape(unittest.TestCase):
    def test_maps_nested_targets_constants_and_headers(self):
        c = config(
            {
                "mapping": {"properties.dealname": "data.order.id", "properties.amount": "data.order.total", "kind": "type"},
                "constants": {"properties.pipeline": "webshop"},
                "headers": {"x-crm-object": "deal"},
            }
        )
        event = Event.example("order.created", '{"order":{"id":"o1","total":5}}')
        out = crm_reshape(event, Request(), c)
        self.assertEqual(
            out.json_body(),
            {"kind": "order.created", "properties": {"dealname": "o1", "amount": 5, "pipeline": "webshop"}},
        )
        self.assertEqual(out.header("x-crm-object"), "deal")
        self.assertEqual(out.header("content-type"), "application/json")
        # Byte for byte what the Rust plugin writes: keys sorted, compact.
        self.assertEqual(
            out.body, b'{"kind":"order.created","properties":{"amount":5,"dealname":"o1","pipeline":"webshop"}}'
        )

    def test_the_example(self):
        import json

        root = os.path.join(HERE, "..", "crm-reshape-transform", "example")
        with open(os.path.join(root, "config.json")) as f:
            c = config(json.load(f))
        with open(os.path.join(root, "event.json")) as f:
            e = json.load(f)
        event = Event("evt_4001", e["type"], e["timestamp"], "org", None, "wh", json.dumps(e["data"]))
        out = crm_reshape(event, Request([("content-type", "application/json")], b"{}"), c)
        self.assertEqual(
            out.body,
            b'{"properties":{"amount":199.0,"currency":"EUR","dealname":"ord_42",'
            b'"email":"grace@example.com","pipeline":"webshop"}}',
        )

    def test_required_and_missing(self):
        c = config({"mapping": {"email": "data.email"}, "required": ["data.id"]})
        event = Event.example("t", '{"email":"x"}')
        with self.assertRaises(PluginError) as e:
            crm_reshape(event, Request(), c)
        self.assertEqual(
            (e.exception.kind, e.exception.message, e.exception.permanent),
            ("invalid-event", "required field data.id is missing", True),
        )
        c = config({"mapping": {"email": "data.email", "phone": "data.phone"}, "missing": "null"})
        self.assertEqual(crm_reshape(event, Request(), c).json_body(), {"email": "x", "phone": None})
        c = config({"mapping": {"email": "data.email", "phone": "data.phone"}})
        self.assertEqual(crm_reshape(event, Request(), c).json_body(), {"email": "x"})

    def test_a_present_null_counts_as_present(self):
        c = config({"mapping": {"a": "data.a"}, "required": ["data.a"]})
        self.assertEqual(crm_reshape(Event.example("t", '{"a":null}'), Request(), c).body, b'{"a":null}')

    def test_copies_do_not_change_the_event(self):
        c = config({"mapping": {"a": "data.o", "a.b": "data.x"}})  # refused by check_config, still safe
        event = Event.example("t", '{"o":{"k":1},"x":2}')
        self.assertEqual(crm_reshape(event, Request(), c).json_body(), {"a": {"k": 1, "b": 2}})
        self.assertEqual(event.data_json(), {"o": {"k": 1}, "x": 2})

    def test_conflicting_targets_are_rejected(self):
        with self.assertRaises(PluginError) as e:
            check_config(config({"mapping": {"a": "data.x", "a.b": "data.y"}}))
        self.assertEqual(e.exception.message, 'target "a" conflicts with "a.b"')
        with self.assertRaises(PluginError) as e:
            check_config(config({"mapping": {}, "constants": {"x..y": 1}}))
        self.assertEqual(e.exception.message, 'target "x..y" has an empty segment')
        with self.assertRaises(PluginError) as e:
            check_config(config({"mapping": {}}))
        self.assertEqual(e.exception.message, "`mapping` or `constants` must have an entry")
        check_config(config({"mapping": {"ab": "data.x", "a.b": "data.y"}}))

    def test_config_is_refused_as_serde_would(self):
        for raw, message in [
            ({}, "missing field `mapping`"),
            ({"mapping": {}, "extra": 1}, "unknown field `extra`, expected one of `mapping`, `constants`, `required`, `headers`, `missing`"),
            ({"mapping": {"a": 1}}, "invalid type: integer `1`, expected a string"),
            ({"mapping": [], "missing": "skip"}, "invalid type: sequence, expected a map"),
            ({"mapping": {}, "missing": "zero"}, "unknown variant `zero`, expected `skip` or `null`"),
        ]:
            with self.assertRaises(PluginError) as e:
                config(raw)
            self.assertEqual((e.exception.kind, e.exception.message), ("invalid-config", message))

    def test_through_the_export(self):
        t = Transform()
        out = t.transform(Event.example("order.created", '{"id":7}'), Request(), '{"mapping":{"deal.id":"data.id"}}')
        self.assertEqual(out.body, b'{"deal":{"id":7}}')
        with self.assertRaises(PluginError) as e:
            t.check_config('{"mapping":{"a":"x","a.b":"y"}}')
        self.assertEqual(e.exception.kind, "invalid-config")
        # A missing required field is permanent through the export too.
        with self.assertRaises(PluginError) as e:
            t.transform(Event.example("t", "{}"), Request(), '{"mapping":{},"required":["data.id"]}')
        self.assertEqual(e.exception, PluginError.invalid_event("required field data.id is missing", permanent=True))


if __name__ == "__main__":
    unittest.main()
