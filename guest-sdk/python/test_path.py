"""Native tests of herald_sdk's dotted paths, ``path`` and ``PathError``
(plain CPython 3.11+, no installs):

    python3 guest-sdk/python/test_path.py

They run the dotted-path vectors the Rust SDK and Herald's runtime run
(guest-sdk/src/path_vectors.json), so the three agree on what a path means.
test_herald_sdk.py runs these tests too.
"""

import copy
import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True

from herald_sdk import PathError, log, path  # noqa: E402

VECTORS = os.path.join(HERE, "..", "src", "path_vectors.json")


class SharedPathVectors(unittest.TestCase):
    """guest-sdk/src/path.rs `the_shared_vectors_hold`, case for case."""

    @classmethod
    def setUpClass(cls):
        with open(VECTORS, encoding="utf-8") as f:
            cls.vectors = json.load(f)

    def test_there_are_vectors(self):
        self.assertGreaterEqual(len(self.vectors["check"]), 5)
        self.assertGreaterEqual(len(self.vectors["lookup"]), 10)

    def test_check(self):
        for case in self.vectors["check"]:
            with self.subTest(path=case["path"]):
                self.assertEqual(path.is_valid(case["path"]), case["valid"] is True)
                if case["valid"]:
                    path.check(case["path"])
                else:
                    with self.assertRaises(PathError):
                        path.check(case["path"])

    def test_lookup_and_for_each_match(self):
        for case in self.vectors["lookup"]:
            p = case["path"]
            absent = case.get("absent") is True
            if not absent:
                self.assertIn("expected", case, f"lookup {p!r}: expected or absent")
            with self.subTest(path=p):
                missing = object()
                found = path.lookup(case["document"], p, missing)
                if absent:
                    self.assertIs(found, missing, f"lookup {p!r}")
                    self.assertFalse(path.exists(case["document"], p))
                else:
                    self.assertEqual(found, case["expected"], f"lookup {p!r}")
                    self.assertEqual(type(found), type(case["expected"]))
                    self.assertTrue(path.exists(case["document"], p))
                # What lookup finds, for_each_match visits exactly once.
                doc = copy.deepcopy(case["document"])
                seen = []
                n = path.for_each_match(doc, p, lambda parent, key: seen.append(parent[key]))
                self.assertEqual(n, len(seen))
                self.assertEqual(seen, [] if absent else [case["expected"]], f"for_each_match {p!r}")


class PathEdits(unittest.TestCase):
    def test_check_names_the_empty_segment(self):
        self.assertEqual(str(_raises(PathError, path.check, "")), "a path must not be empty")
        e = _raises(PathError, path.check, "data..status")
        self.assertEqual(e.index, 1)
        self.assertEqual(str(e), "segment 2 of the path is empty")
        self.assertEqual(_raises(PathError, path.check, ".a").index, 0)
        self.assertEqual(_raises(PathError, path.check, "a.").index, 1)

    def test_set_creates_objects(self):
        v = {}
        self.assertTrue(path.set(v, "properties.email", "a@b.c"))
        self.assertEqual(v, {"properties": {"email": "a@b.c"}})
        self.assertTrue(path.set(v, "properties.name", "Ada"))
        self.assertEqual(v, {"properties": {"email": "a@b.c", "name": "Ada"}})

    def test_set_into_array_index_and_refuses_scalars_and_bad_paths(self):
        # path.rs set_into_array_index_and_refuses_scalars_and_bad_paths
        v = {"a": [1, 2], "s": "x"}
        self.assertTrue(path.set(v, "a.1", 9))
        self.assertEqual(v["a"], [1, 9])
        self.assertFalse(path.set(v, "a.5", 0))
        self.assertFalse(path.set(v, "a.+1", 0))
        self.assertFalse(path.set(v, "s.inner", 0))
        self.assertFalse(path.set(v, "", 0))
        self.assertFalse(path.set(v, "b..c", 0))
        self.assertEqual(v, {"a": [1, 9], "s": "x"})

    def test_set_on_a_scalar_root_fails(self):
        self.assertFalse(path.set("x", "a", 1))
        self.assertFalse(path.set(None, "a", 1))

    def test_wildcard_over_object_members(self):
        # path.rs wildcard_over_object_members
        v = {"m": {"a": {"k": 1}, "b": {"k": 2}, "c": {}}}
        seen = []
        n = path.for_each_match(v, "m.*.k", lambda parent, key: seen.append(parent[key]))
        self.assertEqual(n, 2)
        self.assertEqual(seen, [1, 2])

    def test_for_each_match_removes_like_the_rust_doc_example(self):
        v = {"cards": [{"pan": "1"}, {"pan": "2"}]}
        n = path.for_each_match(v, "cards.*.pan", lambda parent, key: parent.pop(key))
        self.assertEqual(n, 2)
        self.assertEqual(v, {"cards": [{}, {}]})

    def test_for_each_match_keys(self):
        keys = []
        path.for_each_match({"a": [10, 20]}, "a.*", lambda parent, key: keys.append(key))
        self.assertEqual(keys, [0, 1])
        path.for_each_match({"a": {"x": 1}}, "a.*", lambda parent, key: keys.append(key))
        self.assertEqual(keys, [0, 1, "x"])
        self.assertEqual(path.for_each_match({"a": 1}, "a..b", lambda p, k: None), 0)

    def test_remove(self):
        v = {"items": [{"sku": "A", "pan": 1}, {"sku": "B", "pan": 2}, {"sku": "C"}], "keep": True}
        self.assertEqual(path.remove(v, "items.*.pan"), 2)
        self.assertEqual(v["items"], [{"sku": "A"}, {"sku": "B"}, {"sku": "C"}])
        self.assertEqual(path.remove(v, "items.*"), 3)
        self.assertEqual(v, {"items": [], "keep": True})
        w = {"a": [0, 1, 2, 3]}
        self.assertEqual(path.remove(w, "a.1"), 1)
        self.assertEqual(w, {"a": [0, 2, 3]})
        self.assertEqual(path.remove(w, "a.9"), 0)
        self.assertEqual(path.remove(w, "nothing"), 0)

    def test_get_is_lookup_and_default(self):
        self.assertEqual(path.get({"a": {"b": 1}}, "a.b"), 1)
        self.assertIsNone(path.get({"a": {}}, "a.b"))
        self.assertEqual(path.lookup({"a": {}}, "a.b", "none"), "none")
        self.assertIsNone(path.lookup({"a": None}, "a", "none"))

    def test_namespaces_are_not_instantiated(self):
        with self.assertRaises(TypeError):
            path()
        with self.assertRaises(TypeError):
            log()


def _raises(kind, fn, *args):
    try:
        fn(*args)
    except kind as e:
        return e
    raise AssertionError(f"{fn.__name__}{args!r} did not raise {kind.__name__}")


if __name__ == "__main__":
    unittest.main()
