#!/usr/bin/env bash
# The same plugin logic in Rust, Python and JavaScript, measured through
# Herald's real host (BENCHMARKS.md, "Plugins in three languages"): the
# threshold filter and the CRM transform of plugins/, on a 2 KB event and
# on an 800 KB one. Prints a markdown table: component size, build time
# (herald plugin build, Python and JS; cargo for Rust is not comparable),
# compile, cached load (herald plugin check, without and with --cache-dir),
# instantiate and call (herald plugin run, median of 5), peak linear memory.
# Needs `bash tests/run.sh --build-only` first.
#
#   bash tests/bench/languages.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
herald="$target/release/herald"
plugins="$target/wasm32-wasip2/plugin"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
items = lambda n: [{"sku": f"sku-{i}", "qty": i % 7, "price": i * 1.25, "name": f"item number {i} with some text"} for i in range(n)]
for name, n in (("small", 24), ("large", 9000)):
    event = {"id": "evt_1", "type": "order.created", "timestamp": "2026-01-01T00:00:00Z",
             "data": {"order": {"id": "ord_42", "total": 199.0, "currency": "EUR", "items": items(n)},
                      "customer": {"email": "grace@example.com"}}}
    open(f"{work}/{name}.json", "w").write(json.dumps(event))
PY
echo "events: $(stat -c %s "$work/small.json") and $(stat -c %s "$work/large.json") bytes"

median_run() { # WASM CONFIG EVENT -> "call_us instantiate_us peak_bytes"
    for _ in 1 2 3 4 5; do
        "$herald" plugin run "$1" --config "$2" --event "$3" --deadline-ms 10000 --memory-mib 256
    done | python3 -c '
import json, sys
runs = [json.loads(d) for d in sys.stdin.read().replace("}\n{", "}\x00{").split("\x00")]
key = lambda k: sorted(r["stats"][k] for r in runs)[len(runs) // 2]
print(round(key("call_us")), round(key("instantiate_us")), key("peak_memory_bytes"))'
}

echo
echo "| plugin | language | size | build | compile | cached load | instantiate | call, 2 KB | peak, 2 KB | call, 800 KB | peak, 800 KB |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for logic in threshold-filter crm-reshape-transform; do
    config="$root/plugins/$logic/example/config.json"
    for lang in rust py js; do
        dir="$logic"; [ "$lang" = rust ] || dir="$logic-$lang"
        wasm="$plugins/${dir//-/_}.wasm"
        build="-"
        if [ "$lang" != rust ]; then
            start=$(date +%s.%N)
            "$herald" plugin build "$root/plugins/$dir" --out "$work/$dir.wasm" >/dev/null 2>&1
            build="$(python3 -c "print(f'{$(date +%s.%N) - $start:.1f} s')")"
        fi
        compile=$("$herald" plugin check "$wasm" | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["compile_ms"]))')
        "$herald" plugin check "$wasm" --cache-dir "$work/cache" >/dev/null
        cached=$("$herald" plugin check "$wasm" --cache-dir "$work/cache" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["from_cache"]; print(round(d["compile_ms"], 1))')
        read -r call inst peak <<<"$(median_run "$wasm" "$config" "$work/small.json")"
        read -r lcall _ lpeak <<<"$(median_run "$wasm" "$config" "$work/large.json")"
        size=$(stat -c %s "$wasm")
        python3 -c "
print(f'| {\"$logic\"} | {\"$lang\"} | {$size/1e6:.2f} MB | $build | {$compile} ms | {$cached} ms | {$inst/1e3:.2f} ms | {$call/1e3:.2f} ms | {$peak/2**20:.1f} MiB | {$lcall/1e3:.1f} ms | {$lpeak/2**20:.1f} MiB |')"
    done
done
