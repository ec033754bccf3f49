#!/usr/bin/env bash
# The device side of the two-step evaluation (eval/README.md, "Two steps"): on a machine with many
# cores and no Node.js, Java, Go, Rust or g++, make the harness's engine calls with N engines side by side
# (--generate-only) and hand the generations file back in $OUT. Runs from the repository root there (the
# model, models/treasure/, travels with the working tree), from the kit (make-device-kit.sh), as steps:
#
#   bash build/eval-kit/device.sh node            # unpack node from .node/node.xz (carried) into $EVAL_HOME
#   bash build/eval-kit/device.sh kit gen         # unpack the kit (carried build/eval-kit), make the generations
#   bash build/eval-kit/device.sh gen             # again: resumes (what the file holds is not computed again)
#
# State lives in $EVAL_HOME (default /root/treasure-eval, kept while the machine stays warm): node, the
# unpacked kit, generations.jsonl. node.xz (23 MiB) and the kit do not fit into one call next to the
# working tree (64 MiB), hence separate steps; each step skips what is already there.
# Env for gen (defaults in brackets):
#   SUITE [humanevalfix]  LANGS [python,js,java,go,cpp,rust]  LIMIT [all]  MODEL [models/treasure]
#   BASELINE [none: a folder enables the baseline mode]  WORKERS [nproc]  THREADS [1]  DEVICE [cpu]
#   GEN_SECONDS [540: the generation stops then, keeping what it made; run gen again to go on]
#   EVAL_ARGS [more harness options, e.g. "--modes none,context --variants plain"]
#   SEED [a generations file to start from when $EVAL_HOME has none]  LABEL [a name for this machine]
# Out: $OUT/generations.jsonl.xz (every entry made so far), $OUT/generate-report.{json,md}, $OUT/device.log.
set -u
REPO=${REPO:-$PWD}   # the repository root (where the run starts)
cd "$REPO" || exit 1
KIT_SRC=$(cd "$(dirname "$0")" && pwd)
EVAL_HOME=${EVAL_HOME:-/root/treasure-eval}
OUT=${OUT:-$REPO/build/eval-device-out}
mkdir -p "$EVAL_HOME" "$OUT"
exec > >(tee -a "$OUT/device.log") 2>&1
NODE=$EVAL_HOME/node/bin/node
KIT=$EVAL_HOME/kit
GEN=$EVAL_HOME/generations.jsonl
say() { printf '\n== %s (%s)\n' "$*" "$(date +%T)"; }
die() { printf '!! %s\n' "$*"; exit 1; }

step_node() {
  say "node"
  if [ -x "$NODE" ] && "$NODE" --version >/dev/null 2>&1; then echo "have $("$NODE" --version)"; return; fi
  local xzf
  if [ -x "${NODE_BIN:-/root/kit/node}" ]; then  # a node already unpacked there (the training kit's)
    mkdir -p "$EVAL_HOME/node/bin" && cp "${NODE_BIN:-/root/kit/node}" "$NODE" && "$NODE" --version && return
  fi
  for xzf in .node/node.xz "$KIT_SRC/node.xz"; do [ -f "$xzf" ] && break; done
  [ -f "$xzf" ] || die "no node: carry .node/node.xz in this call (bash $0 node)"
  mkdir -p "$EVAL_HOME/node/bin" && xz -dc "$xzf" >"$NODE.tmp" && chmod +x "$NODE.tmp" && mv "$NODE.tmp" "$NODE" || die "cannot unpack $xzf"
  "$NODE" --version || die "node does not run"
}

step_kit() {
  say "kit"
  [ -x "$NODE" ] || die "no node in $EVAL_HOME: run the node step first (carry .node/node.xz)"
  [ -f "$KIT_SRC/eval.js" ] || die "no kit at $KIT_SRC: carry build/eval-kit"
  if [ -f "$KIT/kit.json" ] && cmp -s "$KIT/kit.json" "$KIT_SRC/kit.json" && [ -f "$KIT/node_modules/onnxruntime-node/package.json" ]; then
    echo "have the kit ($(cat "$KIT/kit.json" | tr -d '\n '))"; return
  fi
  rm -rf "$KIT" && mkdir -p "$KIT"
  cp -r "$KIT_SRC"/. "$KIT"/ || die "cannot copy the kit"
  mkdir -p "$KIT/grammars/wasm" "$KIT/humanevalpack" "$KIT/node_modules/onnxruntime-node" "$KIT/node_modules/onnxruntime-common"
  tar -xJf "$KIT/grammars-wasm.tar.xz" -C "$KIT/grammars/wasm" || die "grammars"
  tar -xJf "$KIT/humanevalpack.tar.xz" -C "$KIT/humanevalpack" || die "humanevalpack"
  tar -xJf "$KIT/ort-node.tar.xz" -C "$KIT/node_modules/onnxruntime-node" || die "onnxruntime-node"
  tar -xJf "$KIT/ort-common.tar.xz" -C "$KIT/node_modules/onnxruntime-common" || die "onnxruntime-common"
  if [ -f "$KIT/tasks.tar" ]; then mkdir -p "$KIT/tasks" && tar -xf "$KIT/tasks.tar" -C "$KIT/tasks"; fi
  rm -f "$KIT"/*.tar.xz "$KIT/tasks.tar"
  (cd "$KIT" && "$NODE" -e "const o=require('onnxruntime-node'); console.log('onnxruntime-node', o.env.versions.node)") || die "onnxruntime-node does not load"
  cat "$KIT/kit.json"
}

step_gen() {
  say "generate"
  [ -x "$NODE" ] || die "no node: run the node step first"
  [ -f "$KIT/eval.js" ] || die "no kit: run the kit step first"
  if [ ! -f "$GEN" ] && [ -n "${SEED:-}" ] && [ -f "$SEED" ]; then cp "$SEED" "$GEN" && echo "seeded from $SEED ($(wc -l <"$GEN") entries)"; fi
  local workers=${WORKERS:-$(nproc)} threads=${THREADS:-1} model=${MODEL:-models/treasure}
  [ -f "$model/model.onnx" ] || die "no model at $model (MODEL=DIR)"
  local args=(--generate-only --generations "$GEN" --suite "${SUITE:-humanevalfix}" --languages "${LANGS:-python,js,java,go,cpp,rust}"
    --model "$(cd "$model" && pwd)" --data "$KIT/humanevalpack" --device "${DEVICE:-cpu}"
    --gen-workers "$workers" --threads "$threads" --gen-label "${LABEL:-$(hostname) $(nproc) cores}" --out "$OUT/generate-report.json")
  [ -n "${LIMIT:-}" ] && args+=(--limit "$LIMIT")
  [ -n "${BASELINE:-}" ] && args+=(--baseline "$(cd "$BASELINE" && pwd)")
  [ -d "$KIT/tasks" ] && args+=(--tasks "$KIT/tasks")
  echo "entries before: $( [ -f "$GEN" ] && wc -l <"$GEN" || echo 0)"
  # shellcheck disable=SC2086
  echo "$NODE $KIT/eval.js ${args[*]} ${EVAL_ARGS:-}"
  # shellcheck disable=SC2086
  timeout "${GEN_SECONDS:-540}" "$NODE" "$KIT/eval.js" "${args[@]}" ${EVAL_ARGS:-}
  local rc=$?
  [ $rc = 124 ] && echo "stopped after ${GEN_SECONDS:-540} s: what was made is kept; run the gen step again to go on"
  echo "entries now: $( [ -f "$GEN" ] && wc -l <"$GEN" || echo 0) (exit $rc)"
  if [ -f "$GEN" ]; then xz -T0 -c "$GEN" >"$OUT/generations.jsonl.xz" && ls -la "$OUT/generations.jsonl.xz"; fi
  return $rc
}

[ $# -gt 0 ] || set -- node kit gen
for s in "$@"; do
  case $s in
    node) step_node ;;
    kit) step_kit ;;
    gen) step_gen ;;
    *) die "unknown step $s (node, kit, gen)" ;;
  esac
done
