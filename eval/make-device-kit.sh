#!/usr/bin/env bash
# Builds build/eval-kit/: what a machine with only a node binary (no node_modules, no toolchains) needs
# to make the harness's engine calls (--generate-only): eval/README.md, "Two steps".
#   bash eval/make-device-kit.sh [--grammars hep|all] [--tasks DIR] [--data DIR]
#     --grammars hep   tree-sitter grammars of the HumanEvalPack languages only (default; markers/tail need all)
#     --tasks DIR      also pack the held-out shards DIR/test-*.jsonl[.xz] (markers, tail suites)
#     --data DIR       HumanEvalPack folder (default eval/data/humanevalpack, in the repository)
# Contents: eval.js + eval-worker.js (eval bundled with the product's engine; onnxruntime-node left out),
# device.sh (the device side), kit.json (engine source hash, commit), the installation files the engine
# reads (models/markers.json, grammars/*.json, grammars/queries/), and, packed: grammars/wasm, HumanEvalPack,
# onnxruntime-node + onnxruntime-common for linux-x64 (from .node/ort-*.tar.xz when present, else node_modules).
# Not in it: node (.node/node.xz, carried on its own: see the README) and the model (tracked: it travels
# with the working tree).
set -euo pipefail
cd "$(dirname "$0")/../.."
KIT=build/eval-kit
GRAMMARS=hep
TASKS=
DATA=eval/data/humanevalpack
while [ $# -gt 0 ]; do
  case $1 in
    --grammars) GRAMMARS=$2; shift 2 ;;
    --tasks) TASKS=$2; shift 2 ;;
    --data) DATA=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -f "$DATA/python.jsonl" ] || { echo "no HumanEvalPack at $DATA (--data DIR)" >&2; exit 2; }

node scripts/build.mjs --grammars-only
rm -rf "$KIT"
mkdir -p "$KIT/models" "$KIT/grammars"
npx tsx eval/kit.ts "$KIT"
cp eval/device.sh "$KIT/"
# repoRoot() of the bundle is the kit: the files the engine reads from the installation
cp models/markers.json "$KIT/models/"
cp grammars/grammars.json grammars/domains.json grammars/error-types.json "$KIT/grammars/"
cp -r grammars/queries "$KIT/grammars/"
if [ "$GRAMMARS" = all ]; then
  wasm=$(cd grammars/wasm && ls *.wasm)
else
  wasm="web-tree-sitter.wasm python.wasm javascript.wasm java.wasm go.wasm cpp.wasm rust.wasm"
fi
# shellcheck disable=SC2086
tar -cJf "$KIT/grammars-wasm.tar.xz" -C grammars/wasm $wasm
tar -cJf "$KIT/humanevalpack.tar.xz" -C "$DATA" $(cd "$DATA" && ls *.jsonl LICENSE 2>/dev/null)
if [ -n "$TASKS" ]; then
  shards=$(cd "$TASKS" && ls test-*.jsonl test-*.jsonl.xz 2>/dev/null || true)
  [ -n "$shards" ] || { echo "no test-*.jsonl[.xz] in $TASKS" >&2; exit 2; }
  # shellcheck disable=SC2086
  tar -cf "$KIT/tasks.tar" -C "$TASKS" $shards
fi
# onnxruntime-node for linux-x64: package.json, dist/, the binding and libonnxruntime (not the other platforms)
if [ -f .node/ort-node.tar.xz ] && [ -f .node/ort-common.tar.xz ]; then
  cp .node/ort-node.tar.xz .node/ort-common.tar.xz "$KIT/"
else
  ort=node_modules/onnxruntime-node
  [ -f "$ort/bin/napi-v6/linux/x64/onnxruntime_binding.node" ] || { echo "no $ort/bin/napi-v6/linux/x64: npm ci" >&2; exit 2; }
  tar -cJf "$KIT/ort-node.tar.xz" -C "$ort" package.json dist bin/napi-v6/linux/x64
  common=$(node -p "require('path').dirname(require.resolve('onnxruntime-common/package.json', { paths: ['$ort'] }))" 2>/dev/null || echo node_modules/onnxruntime-common)
  tar -cJf "$KIT/ort-common.tar.xz" -C "$common" package.json dist
fi
du -sb "$KIT" | awk '{ printf "%s: %.1f MiB\n", $2, $1 / 1048576 }'
ls -la "$KIT"
