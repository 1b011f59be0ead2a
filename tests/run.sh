#!/usr/bin/env bash
# Runs every Herald test, from a fresh Debian machine with only the Rust
# toolchain: installs what is missing (wasm32-wasip2 target, redis-server),
# builds the plugins from source, checks formatting and lints, builds the
# workspace once in release, builds the Python and JavaScript plugins with
# it (plugins/tools.sh installs componentize-py and jco, cached in
# ~/.cache/herald/plugin-tools) and runs all tests (unit, end-to-end, doc, and
# each benchmark once as a test; the dashboard's browser test among them,
# in Debian's Chromium: tests/browser/tools.sh installs it and
# playwright-core), the core end-to-end tests a second time on
# a Redis Cluster (HERALD_TEST_REDIS=cluster), then the API contract test
# (tests/contract.sh: python tools cached in ~/.cache/herald), then the
# container test (deploy/test/run.sh: image, compose, Kubernetes manifests).
#
#   bash tests/run.sh               everything
#   bash tests/run.sh --build-only  only prepare and build (e.g. before `cargo bench`)
set -euo pipefail
source "$(dirname "$0")/../runtime/prepare.sh"
cd "$herald_root"

ensure_toolchain_parts
ensure_redis
ensure_tools
bash tests/browser/tools.sh
build_plugins

echo "==> cargo fmt --check"
cargo fmt --all -- --check

echo "==> cargo build --release (workspace, all targets)"
cargo build --release --workspace --all-targets
build_script_plugins
[ "${1:-}" = "--build-only" ] && exit 0

echo "==> cargo clippy -D warnings"
cargo clippy --release --workspace --all-targets -- -D warnings

echo "==> the Python and JavaScript SDKs' and example plugins' own unit tests (python3, node)"
python3 guest-sdk/python/test_herald_sdk.py
for t in plugins/*-py/test_app.py; do python3 "$t"; done
node guest-sdk/js/test-herald-sdk.mjs
for t in plugins/*-js/test.mjs; do node "$t"; done

echo "==> tests"
cargo test --release --workspace --all-targets
cargo test --release --workspace --doc

echo "==> the core end-to-end tests again, on a Redis Cluster (3 masters, 3 replicas; HERALD_TEST_REDIS=cluster)"
# (--workspace as above, so nothing is built again: selecting one
# package would unify features differently and rebuild wasmtime.)
HERALD_TEST_REDIS=cluster cargo test --release --workspace --tests -- \
  api::seed_flow api::keys_plugins_secrets delivery::retries delivery::change_feed \
  delivery::plugins_in_path delivery::signing delivery::streams_and_outcomes

echo "==> API contract (openapi-spec-validator, schemathesis against a live Herald)"
bash tests/contract.sh

echo "==> containers (deploy/test/run.sh: image, compose end to end, Kubernetes manifests)"
bash deploy/test/run.sh
echo "==> all tests passed"
