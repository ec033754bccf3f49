#!/usr/bin/env bash
# Packs what bench/gpu-device.sh needs from the build into one small ignored file, so that a GPU
# machine gets it with .node/: dist/cli.js, dist/bench.js and the Python grammar (the benchmark's
# HumanEvalFix functions are Python by default).   Usage: bash bench/make-kit.sh  -> .node/bench-kit.tar.xz
set -eu
cd "$(dirname "$0")/.."
node scripts/build.mjs
mkdir -p .node
tar cJf .node/bench-kit.tar.xz dist/cli.js dist/bench.js grammars/wasm/web-tree-sitter.wasm grammars/wasm/python.wasm
ls -la .node/bench-kit.tar.xz
