#!/usr/bin/env bash
# Runs Herald on a fresh Debian machine with only the Rust toolchain:
# installs what is missing (wasm32-wasip2 target, redis-server, curl, jq,
# python3), builds the example plugins and Herald (release), runs each example
# plugin through the plugin host, then starts `herald serve` in the foreground
# (Ctrl-C stops it) for local development: an operator key kept in the data
# directory (unless HERALD_ADMIN_TOKEN is set), delivery to plain http:// and
# loopback receivers allowed (unless set otherwise). Before it starts, it
# prints the first requests to paste into another shell (README, "First
# requests").
set -euo pipefail
source "$(dirname "$0")/prepare.sh"
cd "$herald_root"

ensure_toolchain_parts
ensure_redis
ensure_tools
build_plugins
echo "==> building herald (release)"
cargo build --release -p herald

herald="${CARGO_TARGET_DIR:-$herald_root/target}/release/herald"
for p in plugins/*/Cargo.toml; do   # the Rust examples
    p=$(dirname "$p")
    name=$(basename "$p")
    wasm="${CARGO_TARGET_DIR:-target}/wasm32-wasip2/plugin/${name//-/_}.wasm"
    echo "==> herald plugin run $wasm (plugins/$name/example)"
    "$herald" plugin run "$wasm" --event "$p/example/event.json" --config "$p/example/config.json"
done

export HERALD_DATA_DIR="${HERALD_DATA_DIR:-$herald_root/herald-data}"
export HERALD_LISTEN="${HERALD_LISTEN:-127.0.0.1:8080}"
export HERALD_ALLOW_HTTP="${HERALD_ALLOW_HTTP:-true}"
export HERALD_ALLOW_PRIVATE_NETS="${HERALD_ALLOW_PRIVATE_NETS:-127.0.0.0/8}"
mkdir -p "$HERALD_DATA_DIR"
token_file="$HERALD_DATA_DIR/admin-token"
if [ -z "${HERALD_ADMIN_TOKEN:-}" ] && [ -s "$token_file" ]; then
    HERALD_ADMIN_TOKEN="$(cat "$token_file")"
fi
export HERALD_ADMIN_TOKEN="${HERALD_ADMIN_TOKEN:-$(head -c 24 /dev/urandom | base64 | tr -d '/+=')}"
(umask 077 && printf '%s\n' "$HERALD_ADMIN_TOKEN" > "$token_file")

echo "==> herald serve on http://$HERALD_LISTEN (its files in $HERALD_DATA_DIR; it says which Redis holds the data; Ctrl-C stops it)"
echo "    operator key: $HERALD_ADMIN_TOKEN (kept in $token_file)"
echo "    local development: delivery to http:// and to $HERALD_ALLOW_PRIVATE_NETS is allowed"
echo "    dashboard: http://$HERALD_LISTEN/ui/ (sign in with the operator key)"
echo "==> first requests: paste these into another shell"
echo
print_first_requests "$HERALD_DATA_DIR" "$HERALD_LISTEN"
echo
exec "$herald" serve
