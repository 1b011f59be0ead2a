"""Drives the compose scenario of deploy/test/run.sh from the host, with
only Python's standard library: creates an org, a key and a webhook to the
demo receiver, publishes numbered events, and verifies what the receiver
got (every event, each with a valid Standard Webhooks signature).

    scenario.py setup    API TOKEN STATE
    scenario.py publish  API STATE FIRST LAST
    scenario.py wait     API RECEIVER STATE COUNT SECONDS [--at-least N]
    scenario.py persisted API STATE COUNT
"""
import base64
import hashlib
import hmac
import json
import sys
import time
import urllib.error
import urllib.request


def call(method, url, token, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def must(status, answer, what):
    if status >= 300:
        sys.exit(f"{what}: HTTP {status}: {answer}")
    return answer


def setup(api, token, state_file):
    org = must(*call("POST", f"{api}/v1/orgs", token, {"name": "compose-test"}), "create org")["id"]
    key = must(*call("POST", f"{api}/v1/orgs/{org}/api-keys", token, {
        "name": "compose-test",
        "permissions": ["webhooks:read", "webhooks:write", "events:write", "logs:read"],
    }), "create key")["key"]
    hook = must(*call("POST", f"{api}/v1/orgs/{org}/webhooks", key, {
        "name": "demo receiver",
        "url": "http://receiver:9000/hook",
        "active": True,
        "triggers": [{"event": "order.created"}],
    }), "create webhook")
    state = {"org": org, "key": key, "hook": hook["id"], "secret": hook["secret"]}
    with open(state_file, "w") as f:
        json.dump(state, f)
    print(f"org {org}, webhook {hook['id']}")


def publish(api, state, first, last):
    url = f"{api}/v1/orgs/{state['org']}/events/batch"
    for start in range(first, last + 1, 100):
        events = [
            {"type": "order.created", "id": f"compose-{n}", "data": {"n": n}}
            for n in range(start, min(start + 100, last + 1))
        ]
        must(*call("POST", url, state["key"], {"events": events}), f"publish from {start}")


def verified(receiver, secret):
    """Event numbers that arrived with a valid signature; and bad entries."""
    with urllib.request.urlopen(f"{receiver}/received", timeout=30) as resp:
        entries = json.loads(resp.read())
    key = base64.b64decode(secret.removeprefix("whsec_"))
    good, bad = set(), []
    for e in entries:
        signed = f"{e['id']}.{e['timestamp']}.{e['body']}".encode()
        want = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        if want not in (e["signature"] or "").split(" "):
            bad.append(e)
            continue
        good.add(json.loads(e["body"])["data"]["n"])
    return good, bad, len(entries)


def wait(receiver, state, count, seconds, at_least=None):
    target = at_least if at_least is not None else count
    deadline = time.monotonic() + seconds
    while True:
        good, bad, total = verified(receiver, state["secret"])
        if bad:
            sys.exit(f"{len(bad)} deliveries with a bad signature, e.g. {bad[0]}")
        if len(good) >= target:
            print(f"{len(good)} events arrived, all signed ({total} requests)")
            return
        if time.monotonic() > deadline:
            missing = sorted(set(range(1, count + 1)) - good)
            sys.exit(f"after {seconds}s: {len(good)} of {target} arrived; missing e.g. {missing[:10]}")
        time.sleep(0.5)


def persisted(api, state, count):
    org, key, hook = state["org"], state["key"], state["hook"]
    must(*call("GET", f"{api}/v1/orgs/{org}/webhooks/{hook}", key), "read webhook")
    succeeded, cursor = set(), None
    while True:
        url = f"{api}/v1/orgs/{org}/webhooks/{hook}/deliveries?limit=100"
        if cursor:
            url += f"&cursor={cursor}"
        page = must(*call("GET", url, key), "delivery log")
        for d in page["items"]:
            if d["status"] == "succeeded":
                succeeded.add(d["event_id"])
        cursor = page.get("next_cursor")
        if not cursor:
            break
    if len(succeeded) < count:
        sys.exit(f"after down/up the log holds {len(succeeded)} succeeded deliveries, not {count}")
    print(f"after down/up: the webhook and {len(succeeded)} succeeded deliveries are still there")


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "setup":
        setup(*args)
        return
    state = json.load(open(args[2] if cmd == "wait" else args[1]))
    if cmd == "publish":
        publish(args[0], state, int(args[2]), int(args[3]))
    elif cmd == "wait":
        at_least = int(args[6]) if len(args) > 6 and args[5] == "--at-least" else None
        wait(args[1], state, int(args[3]), float(args[4]), at_least)
    elif cmd == "persisted":
        persisted(args[0], state, int(args[2]))
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
