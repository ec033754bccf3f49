#!/usr/bin/env bash
# Installs, from Debian's own repositories, whatever the evaluation harness (eval/, `npm run eval`)
# needs to run HumanEvalPack's tests and is not already here:
#   python3, node            (always present for this project)
#   java:  javac + java      -> default-jdk-headless
#   cpp:   g++, boost::any (CPP/22, 38, 137), openssl md5 (CPP/162) -> g++, libboost-dev, libssl-dev
#   go:    go + testify (offline, GOPATH from /usr/share/gocode) -> golang-go, golang-github-stretchr-testify-dev
#   rust:  rustc + cargo, crates rand/regex/md5 (every Rust task `use`s all three)
#          -> rustc, cargo (only when no rustc/cargo is on PATH, e.g. a rustup install), librust-{rand,regex,md5}-dev
# Idempotent: checks first and installs only what is missing; with nothing missing it runs no apt command.
# Waits for the dpkg lock (another apt-get may be running) up to 15 minutes.
# Usage: sudo scripts/install-eval-toolchains.sh [--dry-run] [LANG...]   (LANG: java cpp go rust; default all)
set -euo pipefail

dry=0
langs=()
for a in "$@"; do
  case "$a" in
    --dry-run) dry=1 ;;
    java|cpp|go|rust|python|js) langs+=("$a") ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "unknown argument: $a" >&2; exit 2 ;;
  esac
done
[ ${#langs[@]} -eq 0 ] && langs=(java cpp go rust)

want() { local l; for l in "${langs[@]}"; do [ "$l" = "$1" ] && return 0; done; return 1; }
have() { command -v "$1" >/dev/null 2>&1; }
pkgs=()
need() { pkgs+=("$@"); }

if want java; then
  have javac && have java || need default-jdk-headless
fi
if want cpp; then
  have g++ || need g++
  [ -f /usr/include/boost/any.hpp ] || need libboost-dev
  [ -f /usr/include/openssl/md5.h ] || need libssl-dev
fi
if want go; then
  have go || need golang-go
  [ -d /usr/share/gocode/src/github.com/stretchr/testify/assert ] || need golang-github-stretchr-testify-dev
fi
if want rust; then
  have rustc || need rustc
  have cargo || need cargo
  reg=/usr/share/cargo/registry
  for crate in rand regex md5; do
    ls -d "$reg/$crate"-[0-9]* >/dev/null 2>&1 || need "librust-$crate-dev"
  done
fi

if [ ${#pkgs[@]} -eq 0 ]; then
  echo "install-eval-toolchains: everything for ${langs[*]} is present"
  exit 0
fi
echo "install-eval-toolchains: installing ${pkgs[*]}"
[ "$dry" = 1 ] && exit 0
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# apt-get update only when the package lists are missing (a fresh container).
if ! apt-cache show "${pkgs[0]}" >/dev/null 2>&1; then $SUDO apt-get -o DPkg::Lock::Timeout=900 update; fi
$SUDO apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends "${pkgs[@]}"
