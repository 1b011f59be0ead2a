#!/usr/bin/env bash
# Runs Herald on a fresh Debian machine with only the Rust toolchain:
# installs what is missing (wasm32-wasip2 target, redis-server), builds the
# example plugins and Herald (release), runs each example plugin through the
# plugin host, then starts `herald serve` in the foreground (Ctrl-C stops it)
# when the server is part of this build.
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

if "$herald" --help | grep -q '^  serve'; then
    echo "==> herald serve (data in ./herald-data; Ctrl-C to stop)"
    exec "$herald" serve
fi
