#!/usr/bin/env bash
# Installs what `herald plugin build` needs for Python and JavaScript
# plugins, when missing, into ~/.cache/herald/plugin-tools (or
# $HERALD_TOOLS_DIR/plugin-tools), kept between runs and reinstalled only
# when the pins change:
#   python/  a venv with componentize-py (pinned by tools/requirements.txt)
#   js/      jco with its QuickJS backend (pinned by tools/package-lock.json)
# Python 3 with venv, Node.js and npm come from apt when absent.
# `herald plugin build` finds the tools there (or on PATH) by itself.
#
#   bash plugins/tools.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../runtime/prepare.sh"
tools="${HERALD_TOOLS_DIR:-$HOME/.cache/herald}/plugin-tools"

missing=()
command -v python3 >/dev/null 2>&1 || missing+=(python3)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} != 0 ]; then
    echo "==> installing ${missing[*]} (apt)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! cmp -s "$here/tools/requirements.txt" "$tools/python/requirements.txt" 2>/dev/null \
    || [ ! -x "$tools/python/bin/componentize-py" ]; then
    echo "==> installing componentize-py into $tools/python (cached between runs)"
    rm -rf "$tools/python"
    mkdir -p "$tools"
    python3 -m venv "$tools/python"
    "$tools/python/bin/pip" install -q --disable-pip-version-check -r "$here/tools/requirements.txt"
    cp "$here/tools/requirements.txt" "$tools/python/"
fi

if ! cmp -s "$here/tools/package-lock.json" "$tools/js/package-lock.json" 2>/dev/null \
    || [ ! -x "$tools/js/node_modules/.bin/jco" ]; then
    echo "==> installing jco into $tools/js (cached between runs)"
    rm -rf "$tools/js"
    mkdir -p "$tools/js"
    cp "$here/tools/package.json" "$here/tools/package-lock.json" "$tools/js/"
    (cd "$tools/js" && npm ci --no-audit --no-fund --loglevel=error)
fi
