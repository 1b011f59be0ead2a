#!/usr/bin/env bash
# Installs what the dashboard's browser tests need, when missing: Debian's
# Chromium (apt), Node.js and npm (apt), and playwright-core (npm, pinned by
# package-lock.json) into ~/.cache/herald/browser, kept between runs and
# reinstalled only when the lock file changes. playwright-core drives the
# system Chromium; it downloads no browser of its own.
#
#   bash tests/browser/tools.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../../runtime/prepare.sh"
tools="${HERALD_TOOLS_DIR:-$HOME/.cache/herald}/browser"

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} != 0 ]; then
    echo "==> installing ${missing[*]} (apt)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! cmp -s "$here/package-lock.json" "$tools/package-lock.json" 2>/dev/null \
    || [ ! -d "$tools/node_modules/playwright-core" ]; then
    echo "==> installing playwright-core into $tools (cached between runs)"
    rm -rf "$tools"
    mkdir -p "$tools"
    cp "$here/package.json" "$here/package-lock.json" "$tools/"
    (cd "$tools" && npm ci --no-audit --no-fund --loglevel=error)
fi
