#!/usr/bin/env bash
# The CPU/GPU benchmark on a Linux machine with an NVIDIA GPU and no Node.js, from the repository
# root (the working tree plus the ignored models/treasure/, .node/ and .gl/; dist/ and grammars/wasm/
# too, or .node/bench-kit.tar.xz from bench/make-kit.sh in their place):
#
#   bash bench/gpu-device.sh            # results in $OUT (default build/bench-out)
#
# Unpacks .node/node.xz (a node 20 binary), .node/ort-node.tar.xz and .node/ort-common.tar.xz into
# node_modules/onnxruntime-{node,common}, the Vulkan loader from .gl/libvulkan1_*.deb (dpkg -x into /
# when libvulkan.so.1 is missing), points the loader at NVIDIA's Vulkan driver manifest when the
# standard folders lack one, then runs `treasure doctor` (auto, gpu, cpu) and dist/bench.js.
# Every step prints what fails and the script goes on (the CPU figures come out regardless).
# Env: BENCH_N (HumanEvalFix functions, default 30), BENCH_ARGS (more bench options).
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-build/bench-out}
mkdir -p "$OUT"
exec > >(tee "$OUT/gpu-device.log") 2>&1
step() { printf '\n== %s\n' "$*"; }
fail() { printf '!! %s\n' "$*"; }

step "node"
if ! command -v node >/dev/null 2>&1; then
  if [ -f .node/node.xz ]; then
    mkdir -p .node/bin && xz -dc .node/node.xz > .node/bin/node && chmod +x .node/bin/node || fail "cannot unpack .node/node.xz"
    export PATH="$PWD/.node/bin:$PATH"
  else
    fail "no node and no .node/node.xz"
  fi
fi
node --version || { fail "node does not run: nothing more to do"; exit 1; }

step "onnxruntime-node"
if [ ! -f node_modules/onnxruntime-node/package.json ]; then
  mkdir -p node_modules/onnxruntime-node && tar xJf .node/ort-node.tar.xz -C node_modules/onnxruntime-node || fail "cannot unpack .node/ort-node.tar.xz"
fi
if [ ! -f node_modules/onnxruntime-common/package.json ]; then
  # onnxruntime-node's dist requires onnxruntime-common (a plain JS package)
  mkdir -p node_modules/onnxruntime-common && tar xJf .node/ort-common.tar.xz -C node_modules/onnxruntime-common || fail "cannot unpack .node/ort-common.tar.xz"
fi
node -e "const o=require('onnxruntime-node'); console.log('onnxruntime-node', o.env.versions.node, JSON.stringify(o.listSupportedBackends()))" || fail "onnxruntime-node does not load"

step "Vulkan loader and NVIDIA driver"
# The device README's recipe: the Vulkan loader AND the glvnd libraries (libGLX_nvidia.so.0, the
# NVIDIA Vulkan driver, needs libGLdispatch/libGLX from glvnd), unpacked into / with ldconfig, and the
# loader pointed at NVIDIA's driver manifests. With libvulkan1 alone the driver did not start (session 1).
debs=$(ls .gl/*.deb 2>/dev/null)
if [ -n "$debs" ]; then
  for deb in $debs; do dpkg -x "$deb" / 2>/dev/null || fail "cannot unpack $deb into /"; done
  ldconfig 2>/dev/null && echo "unpacked $(echo $debs | wc -w) packages from .gl into /"
elif ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1 '; then
  fail "libvulkan.so.1 is missing and there is no .gl/*.deb: WebGPU will not start"
fi
ldconfig -p 2>/dev/null | grep -E 'libvulkan.so.1 |libGLdispatch.so.0 |libGLX.so.0 ' || true
if [ -z "${VK_DRIVER_FILES:-}" ]; then
  for f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.x86_64.json; do
    if [ -f "$f" ]; then export VK_DRIVER_FILES="$f"; echo "VK_DRIVER_FILES=$f"; break; fi
  done
  [ -n "${VK_DRIVER_FILES:-}" ] || fail "no NVIDIA Vulkan driver manifest (nvidia_icd.json) found"
fi
egl=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
[ -f "$egl" ] && export __EGL_VENDOR_LIBRARY_FILENAMES="$egl"
for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
  [ -d "$d" ] && export LD_LIBRARY_PATH="$d:${LD_LIBRARY_PATH:-}"
done
nvidia-smi -L 2>/dev/null || fail "nvidia-smi not found or no GPU"
ls /dev/nvidia* /dev/dri 2>/dev/null | tr '\n' ' '; echo

step "files"
if [ ! -f dist/bench.js ] && [ -f .node/bench-kit.tar.xz ]; then
  tar xJf .node/bench-kit.tar.xz && echo "unpacked .node/bench-kit.tar.xz (dist/cli.js, dist/bench.js, the Python grammar)" || fail "cannot unpack .node/bench-kit.tar.xz"
fi
for f in dist/cli.js dist/bench.js grammars/wasm/python.wasm models/treasure/model.onnx models/treasure/tokenizer.json models/treasure/config.json; do
  [ -f "$f" ] && echo "ok $f" || fail "missing $f (bench/make-kit.sh, or carry dist/, grammars/wasm/; and models/treasure/)"
done

step "treasure doctor (auto)"
timeout 180 node dist/cli.js doctor || fail "doctor (auto) exit $?"
step "treasure doctor --device gpu --json"
timeout 180 node dist/cli.js doctor --device gpu --json > "$OUT/doctor-gpu.json"; rc=$?
cat "$OUT/doctor-gpu.json"; [ $rc = 0 ] || fail "doctor --device gpu exit $rc (no GPU provider works: see its reasons)"
timeout 120 node dist/cli.js doctor --device cpu --json > "$OUT/doctor-cpu.json" || fail "doctor --device cpu exit $?"

step "benchmark: CPU and GPU (${BENCH_N:-30} HumanEvalFix functions)"
# shellcheck disable=SC2086
timeout 420 node dist/bench.js --n "${BENCH_N:-30}" --out "$OUT/bench-gpu.json" ${BENCH_ARGS:-} || fail "benchmark exit $?"
if ! grep -q '"gpu": true' "$OUT/bench-gpu.json" 2>/dev/null || grep -q '"error"' "$OUT/bench-gpu.json" 2>/dev/null; then
  step "benchmark again on the GPU with the KV cache through the CPU (TREASURE_GPU_KV=0, 10 functions)"
  TREASURE_GPU_KV=0 timeout 240 node dist/bench.js --n 10 --devices gpu --out "$OUT/bench-gpu-kvcpu.json" || fail "benchmark (TREASURE_GPU_KV=0) exit $?"
fi
step "done: $OUT"
ls -la "$OUT"
