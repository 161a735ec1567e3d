#!/usr/bin/env bash
# Everything the tests need beyond npm packages, installed idempotently with caches outside the
# checkout: Debian's Jupyter tools (notebook validation), Chromium and code-server (a real VS Code).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-jupyter.sh
bash scripts/install-vscode.sh >/dev/null
