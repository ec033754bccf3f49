#!/usr/bin/env bash
# Builds the kit that bench/cuda-device.sh needs on a GPU machine without Node.js to run onnxruntime-node
# on CUDA, from npm packages (nothing from GitHub or NuGet, which onnxruntime-node's own install script
# would use):
#   - onnxruntime-node and onnxruntime-common $ORT_VERSION (default 1.29.0; linux/x64 only);
#   - onnxruntime's CUDA provider of that same version, built for CUDA 13 and cuDNN 9, from the npm
#     package com.github.asus4.onnxruntime.linux-x64-gpu $ASUS4_VERSION (0.4.9 carries onnxruntime
#     1.29.0's libonnxruntime_providers_cuda.so and libonnxruntime_providers_shared.so), the provider
#     slimmed by bench/cuda-slim.py to sm_$SM cubins (H100/H200: 90) without the kernel families in
#     $DROP (default flash,moe,mem_eff_attn: attention/MoE contrib ops that Treasure's model does not
#     have; DROP= keeps every sm_90 kernel, 20 MB more);
#   - this machine's node, stripped; dist/cli.js and dist/bench.js (npm run build), the Python grammar
#     and HumanEvalPack's python.jsonl (the benchmark's functions).
# The members are packed into one tar, cut into pieces that each fit one device call next to the
# working tree (64 MiB minus the tracked files, minus a margin), in .cuda/b01, .cuda/b02, ... by
# models/train/carry.py pack (pieces and a sha256, as the training data travels); each piece folder also
# holds cuda-device.sh and cuda-check.mjs.
#
#   bash bench/make-cuda-kit.sh          # then the calls it prints (bench/cuda-device.sh's header)
#
# Env: ORT_VERSION, ASUS4_VERSION, SM, DROP, PACK_CACHE (npm packs and the slow xz results, default
# /tmp/treasure-cuda-pack), NO_BUILD=1 (use dist/ as it is), MARGIN_MIB (default 1).
set -euo pipefail
cd "$(dirname "$0")/.."
ORT_VERSION=${ORT_VERSION:-1.29.0}
ASUS4_VERSION=${ASUS4_VERSION:-0.4.9}
SM=${SM:-90}
DROP=${DROP-flash,moe,mem_eff_attn}
CACHE=${PACK_CACHE:-/tmp/treasure-cuda-pack}
MARGIN_MIB=${MARGIN_MIB:-1}
XZ=(xz --x86 --lzma2=preset=9e -T1)   # the BCJ filter: machine code packs ~8% smaller
mkdir -p "$CACHE"
say() { printf '== %s\n' "$*"; }

npm_pack() { # name version -> path of the .tgz in the cache
  local f="$CACHE/$1-$2.tgz"
  [ -f "$f" ] || (cd "$CACHE" && npm pack --silent "$1@$2" >/dev/null)
  [ -f "$f" ] || { echo "npm pack $1@$2 made no $f" >&2; exit 1; }
  echo "$f"
}

say "npm packages"
ORT_TGZ=$(npm_pack onnxruntime-node "$ORT_VERSION")
COMMON_TGZ=$(npm_pack onnxruntime-common "$ORT_VERSION")
GPU_TGZ=$(npm_pack com.github.asus4.onnxruntime.linux-x64-gpu "$ASUS4_VERSION")
ls -la "$ORT_TGZ" "$COMMON_TGZ" "$GPU_TGZ"

W=$CACHE/work-$ORT_VERSION-$ASUS4_VERSION
STAGE=$W/stage
rm -rf "$STAGE" && mkdir -p "$STAGE" "$W"
if [ ! -d "$W/ort-node/package" ]; then
  mkdir -p "$W/ort-node" "$W/ort-common" "$W/gpu"
  tar -xzf "$ORT_TGZ" -C "$W/ort-node"
  tar -xzf "$COMMON_TGZ" -C "$W/ort-common"
  tar -xzf "$GPU_TGZ" -C "$W/gpu" package/Plugins/Linux/x64/libonnxruntime_providers_cuda.so package/Plugins/Linux/x64/libonnxruntime_providers_shared.so
fi
CORE=$W/ort-node/package/bin/napi-v6/linux/x64/libonnxruntime.so.1
PROV=$W/gpu/package/Plugins/Linux/x64/libonnxruntime_providers_cuda.so
SHARED=$W/gpu/package/Plugins/Linux/x64/libonnxruntime_providers_shared.so

say "versions: the provider must be the core's own onnxruntime version"
grep -q -a "VERS_$ORT_VERSION" "$CORE" || { echo "$CORE is not onnxruntime $ORT_VERSION" >&2; exit 1; }
python3 - "$PROV" "$ORT_VERSION" <<'EOF'
import sys
data = open(sys.argv[1], 'rb').read()
if b'\0' + sys.argv[2].encode() + b'\0' not in data:
    sys.exit(f'{sys.argv[1]} does not carry onnxruntime {sys.argv[2]}: pick the asus4 package of that version')
print(f'{sys.argv[1]}: onnxruntime {sys.argv[2]}')
EOF
readelf -d "$PROV" 2>/dev/null | grep NEEDED | grep -E 'cu|nv' || true

say "the CUDA provider for sm_$SM${DROP:+, without $DROP}"
KEY=$(echo "$ASUS4_VERSION-$SM-$DROP" | tr ',' '_')
if [ ! -f "$CACHE/providers-$KEY.tar.xz" ]; then
  mkdir -p "$W/prov"
  python3 bench/cuda-slim.py "$PROV" "$W/prov/libonnxruntime_providers_cuda.so" --keep-arch "$SM" ${DROP:+--drop "$DROP"} --report "$W/slim-report.json"
  cp "$SHARED" "$W/prov/"
  tar -cf - -C "$W/prov" libonnxruntime_providers_cuda.so libonnxruntime_providers_shared.so | "${XZ[@]}" > "$CACHE/providers-$KEY.tar.xz.tmp"
  mv "$CACHE/providers-$KEY.tar.xz.tmp" "$CACHE/providers-$KEY.tar.xz"
  cp "$W/slim-report.json" "$CACHE/providers-$KEY.json"
fi
cp "$CACHE/providers-$KEY.tar.xz" "$STAGE/providers-cuda.tar.xz"
cp "$CACHE/providers-$KEY.json" "$STAGE/slim-report.json"

say "onnxruntime-node $ORT_VERSION (linux/x64) and onnxruntime-common"
if [ ! -f "$CACHE/ort-node-$ORT_VERSION.tar.xz" ]; then
  tar -cf - -C "$W/ort-node/package" package.json dist bin/napi-v6/linux/x64 | "${XZ[@]}" > "$CACHE/ort-node-$ORT_VERSION.tar.xz.tmp"
  mv "$CACHE/ort-node-$ORT_VERSION.tar.xz.tmp" "$CACHE/ort-node-$ORT_VERSION.tar.xz"
fi
cp "$CACHE/ort-node-$ORT_VERSION.tar.xz" "$STAGE/ort-node.tar.xz"
tar -cf - -C "$W/ort-common/package" package.json dist | xz -9 > "$STAGE/ort-common.tar.xz"

say "node $(node --version), stripped"
NODE_VER=$(node --version)
if [ ! -f "$CACHE/node-$NODE_VER.xz" ]; then
  cp "$(command -v node)" "$W/node" && strip "$W/node"
  "${XZ[@]}" -c "$W/node" > "$CACHE/node-$NODE_VER.xz.tmp" && mv "$CACHE/node-$NODE_VER.xz.tmp" "$CACHE/node-$NODE_VER.xz"
fi
cp "$CACHE/node-$NODE_VER.xz" "$STAGE/node.xz"

say "dist/cli.js, dist/bench.js, the Python grammar"
[ -n "${NO_BUILD:-}" ] || node scripts/build.mjs
# the benchmark's HumanEvalFix functions come with the working tree (eval/data/humanevalpack, tracked)
tar -cf - dist/cli.js dist/bench.js grammars/wasm/web-tree-sitter.wasm grammars/wasm/python.wasm | xz -9 > "$STAGE/bench-kit.tar.xz"

{
  echo "Treasure CUDA kit, made $(date -u +%FT%TZ) from $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- bench language-server || echo '+changes')"
  echo "onnxruntime-node $ORT_VERSION + onnxruntime-common $ORT_VERSION (npm), linux/x64"
  echo "CUDA provider: com.github.asus4.onnxruntime.linux-x64-gpu $ASUS4_VERSION (npm) = onnxruntime $ORT_VERSION, CUDA 13, cuDNN 9; kept sm_$SM${DROP:+, dropped $DROP}"
  echo "node $NODE_VER (stripped)"
  echo "sha256 of the sources:"
  (cd "$CACHE" && sha256sum "$(basename "$ORT_TGZ")" "$(basename "$COMMON_TGZ")" "$(basename "$GPU_TGZ")")
  echo "members:"
  (cd "$STAGE" && ls -l --time-style=+ | awk 'NR > 1 {printf "  %-24s %6.1f MiB\n", $NF, $5 / 1048576}')
} > "$STAGE/MANIFEST.txt"
cat "$STAGE/MANIFEST.txt"

say "pieces for the device calls"
tar -cf "$W/kit.tar" -C "$STAGE" MANIFEST.txt slim-report.json node.xz ort-common.tar.xz bench-kit.tar.xz ort-node.tar.xz providers-cuda.tar.xz
TREE=$( (git ls-files -z; git ls-files -z -o --exclude-standard) | xargs -0 stat -c %s 2>/dev/null | awk '{s += $1} END {print s}')
SCRIPTS=$(stat -c %s bench/cuda-device.sh bench/cuda-check.mjs | awk '{s += $1} END {print s + 4096}')
BUDGET=$(( 64 * 1048576 - TREE - SCRIPTS - MARGIN_MIB * 1048576 ))
echo "working tree $((TREE / 1048576)) MiB -> at most $((BUDGET / 1048576)) MiB of kit per call"
[ "$BUDGET" -gt 1048576 ] || { echo "no room left next to the working tree" >&2; exit 1; }
rm -rf .cuda
python3 models/train/carry.py pack --max-mb "$(awk -v b="$BUDGET" 'BEGIN { printf "%.3f", b / 1048576 }')" --out .cuda "$W/kit.tar"
for b in .cuda/b*; do cp bench/cuda-device.sh bench/cuda-check.mjs "$b/"; done
rm -f "$W/kit.tar"
du -sh --apparent-size .cuda/b*
PIECES=$(cd .cuda && ls -d b*)
echo "kit: $(du -s --apparent-size --block-size=1 .cuda | cut -f1 | awk '{printf "%.1f MiB", $1 / 1048576}') in $(echo $PIECES | wc -w) pieces"
git check-ignore -q .cuda || echo "!! .cuda/ is not ignored here: it would travel with every call (echo /.cuda/ >> .git/info/exclude)"
echo
echo "On the GPU machine (device run, from the repository root), one call per piece, right after each other:"
LAST=$(echo $PIECES | tr ' ' '\n' | tail -1)
for j in $PIECES; do
  if [ "$j" != "$LAST" ]; then echo "  carry [\".cuda/$j\"]: bash .cuda/$j/cuda-device.sh receive"
  else echo "  carry [\".cuda/$j\"], timeout_s 600: bash .cuda/$j/cuda-device.sh receive all"; fi
done
