#!/usr/bin/env bash
# Shared by runtime/quickstart.sh and tests/run.sh: installs what a fresh
# Debian machine with only the Rust toolchain lacks, and builds the plugins.
# Source it; do not run it.

herald_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

ensure_toolchain_parts() {
    rustup target list --installed | grep -qx wasm32-wasip2 || {
        echo "==> adding the wasm32-wasip2 target (rustup)"
        rustup target add wasm32-wasip2
    }
    for c in rustfmt clippy; do
        rustup component list --installed | grep -q "^$c" || rustup component add "$c"
    done
}

ensure_redis() {
    command -v redis-server >/dev/null 2>&1 && return 0
    echo "==> installing redis-server (apt)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
    # Debian's package starts a service on 6379; Herald's tests start their own.
}

ensure_tools() {
    # What the first requests the quick start prints need: curl, jq, python3.
    local missing=()
    for tool in curl jq python3; do
        command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
    done
    [ ${#missing[@]} = 0 ] && return 0
    echo "==> installing ${missing[*]} (apt)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Prints runtime/first-requests.sh (the commands README's "First requests"
# shows) for a Herald with data in $1 listening on $2, ready to paste.
print_first_requests() {
    local data_dir="$1" listen="$2"
    sed -e "s#herald-data/admin-token#${data_dir}/admin-token#g" \
        -e "s#127\.0\.0\.1:8080#${listen}#g" \
        "$herald_root/runtime/first-requests.sh"
}

build_plugins() {
    echo "==> building the example and fixture plugins for wasm32-wasip2"
    (cd "$herald_root" && cargo build --profile plugin --target wasm32-wasip2 --workspace \
        --exclude herald --exclude herald-e2e)
}

# Builds the Python and JavaScript example and fixture plugins (every
# plugins/**/herald-plugin.json) with the freshly built herald binary, into
# target/wasm32-wasip2/plugin/ next to the Rust ones, named after their
# directory (plugins/abuse-py/loop -> abuse_py_loop.wasm). Installs the
# tools first (plugins/tools.sh, cached); skips a plugin whose .wasm is
# newer than its sources, its SDK and the WIT.
build_script_plugins() {
    bash "$herald_root/plugins/tools.sh"
    local target="${CARGO_TARGET_DIR:-$herald_root/target}"
    local out="$target/wasm32-wasip2/plugin" manifest dir rel name sdk
    mkdir -p "$out"
    echo "==> building the Python and JavaScript plugins (herald plugin build)"
    for manifest in "$herald_root"/plugins/*/herald-plugin.json "$herald_root"/plugins/*/*/herald-plugin.json; do
        [ -f "$manifest" ] || continue
        dir=$(dirname "$manifest")
        rel=${dir#"$herald_root"/plugins/}
        name=$(echo "$rel" | tr '/-' '__')
        sdk="$herald_root/guest-sdk/js"
        grep -q '"python"' "$manifest" && sdk="$herald_root/guest-sdk/python"
        if [ -f "$out/$name.wasm" ] && [ -z "$(find "$dir" "$sdk" "$herald_root/wit" -newer "$out/$name.wasm" -print -quit)" ]; then
            continue
        fi
        "$target/release/herald" plugin build "$dir" --out "$out/$name.wasm" >/dev/null ||
            { echo "building plugins/$rel failed" >&2; return 1; }
        echo "    plugins/$rel -> $name.wasm"
    done
}
