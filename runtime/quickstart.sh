#!/usr/bin/env bash
# Runs Herald on a fresh Debian machine with only the Rust toolchain:
# installs what is missing (wasm32-wasip2 target, redis-server), builds the
# example plugins and Herald (release), runs each example plugin through the
# plugin host, then starts `herald serve` in the foreground (Ctrl-C stops it),
# with a generated operator key unless HERALD_ADMIN_TOKEN is set.
set -euo pipefail
source "$(dirname "$0")/prepare.sh"
cd "$herald_root"

ensure_toolchain_parts
ensure_redis
build_plugins
echo "==> building herald (release)"
cargo build --release -p herald

herald="$herald_root/target/release/herald"
for p in plugins/*/; do
    name=$(basename "$p")
    wasm="target/wasm32-wasip2/plugin/${name//-/_}.wasm"
    echo "==> herald plugin run $wasm (plugins/$name/example)"
    "$herald" plugin run "$wasm" --event "$p/example/event.json" --config "$p/example/config.json"
done

export HERALD_ADMIN_TOKEN="${HERALD_ADMIN_TOKEN:-$(head -c 24 /dev/urandom | base64 | tr -d '/+=')}"
export HERALD_DATA_DIR="${HERALD_DATA_DIR:-$herald_root/herald-data}"
echo "==> herald serve on http://${HERALD_LISTEN:-127.0.0.1:8080} (data in $HERALD_DATA_DIR; Ctrl-C stops it)"
echo "    operator key: $HERALD_ADMIN_TOKEN"
echo "    try: curl -s -X POST -H \"authorization: Bearer \$HERALD_ADMIN_TOKEN\" -d '{\"name\":\"acme\"}' http://${HERALD_LISTEN:-127.0.0.1:8080}/v1/orgs"
exec "$herald" serve
