#!/usr/bin/env bash
# The API contract test: Herald's OpenAPI document is checked with an
# OpenAPI validator (openapi-spec-validator), then schemathesis exercises
# every operation against a live Herald on its own redis-server: examples,
# boundary values, random and invalid data, and stateful sequences along
# the document's links (create an org -> its webhooks -> read, patch,
# delete). It fails on any 5xx, any response that does not match its
# documented status, content type or schema, any 4xx without the error
# body, accepted invalid input, or auth that is not enforced.
#
#   bash tests/contract.sh [seconds]   (default budget: 150 s of fuzzing)
#
# Needs a release build (tests/run.sh builds one first) and python3.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
budget="${1:-150}"
tools="${HERALD_TOOLS_DIR:-$HOME/.cache/herald}"
requirements="$root/tests/contract-requirements.txt"
venv="$tools/venv"
target="${CARGO_TARGET_DIR:-$root/target}"
herald="$target/release/herald"

if ! cmp -s "$requirements" "$venv/requirements.txt" 2>/dev/null; then
    echo "==> installing the contract test's tools into $venv (cached between runs)"
    rm -rf "$venv"
    mkdir -p "$tools"
    if ! python3 -m venv "$venv" 2>/dev/null; then
        echo "==> installing python3-venv (apt)"
        source "$root/runtime/prepare.sh"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
        rm -rf "$venv"
        python3 -m venv "$venv"
    fi
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$venv/requirements.txt"
fi

work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

redis_port="$(free_port)"
redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$work" --save "" --appendonly no \
    --logfile "$work/redis.log" &
pids+=($!)

api_port="$(free_port)"
token="contract-test-operator-token-0123"
HERALD_REDIS_URL="redis://127.0.0.1:$redis_port/" HERALD_LISTEN="127.0.0.1:$api_port" \
    HERALD_ADMIN_TOKEN="$token" HERALD_DATA_DIR="$work/data" HERALD_LOG=warn \
    HERALD_MASTER_KEY="$("$herald" secrets new-key)" "$herald" serve >"$work/herald.log" 2>&1 &
pids+=($!)
base="http://127.0.0.1:$api_port"
for _ in $(seq 1 300); do
    curl -sf "$base/readyz" >/dev/null 2>&1 && break
    sleep 0.2
done
curl -sf "$base/readyz" >/dev/null || { echo "Herald did not become ready:"; cat "$work/herald.log"; exit 1; }

echo "==> openapi-spec-validator"
curl -sf "$base/openapi.json" >"$work/openapi.json"
"$venv/bin/openapi-spec-validator" "$work/openapi.json"

echo "==> schemathesis (every operation; budget ${budget}s)"
status=0
"$venv/bin/st" run "$base/openapi.json" \
    --header "Authorization: Bearer $token" \
    --checks all \
    --exclude-checks positive_data_acceptance \
    --max-time "$budget" \
    --workers 2 \
    --request-timeout 10 \
    --suppress-health-check too_slow,filter_too_much \
    --seed 1 || status=$?
if grep -q "panicked" "$work/herald.log"; then
    echo "Herald panicked during the contract test:"; grep -A5 panicked "$work/herald.log"; status=1
fi
if [ "$status" != 0 ]; then
    echo "--- Herald's log (last 50 lines) ---"; tail -50 "$work/herald.log"
fi
exit "$status"
