#!/usr/bin/env bash
# onnxruntime-node on CUDA, on a Linux x64 machine with an NVIDIA GPU (H100/H200: sm_90), PyTorch for
# CUDA 13 (its nvidia-* packages hold the CUDA 13 runtime, cuBLAS, cuRAND, cuFFT and cuDNN 9) and no
# Node.js. The kit comes from bench/make-cuda-kit.sh in pieces, .cuda/b01, .cuda/b02, ... (each within one
# call's carry, next to the working tree); this script is copied into each piece, so it runs from the
# piece's folder whatever the checkout holds. From the repository root there:
#
#   call 1, carry [".cuda/b01"]:   bash .cuda/b01/cuda-device.sh receive
#   call 2, carry [".cuda/b02"]:   bash .cuda/b02/cuda-device.sh receive all
#   (right after each other: the pieces wait in $TREASURE_CUDA_HOME, /root/treasure-cuda, only while
#    the machine stays warm, 30 s after a call; call 2 says which pieces are missing if it was not)
#
# Steps (in the order given; `all` = unpack libs check doctor bench):
#   receive   the carried pieces into $TREASURE_CUDA_HOME/inbox (models/train/carry.py receive: kept until
#             kit.tar is complete, then joined and its sha256 checked)
#   unpack    unpack the joined kit: node, onnxruntime-node 1.29.0 and -common
#             into ./node_modules, the CUDA provider libraries into onnxruntime-node's bin folder,
#             dist/cli.js, dist/bench.js and the Python grammar (HumanEvalPack is tracked: eval/data/)
#   libs      where each CUDA library comes from (LD_LIBRARY_PATH: PyTorch's nvidia/*/lib first), ldd of
#             the provider, cuobjdump's list of its cubins (the slimmed fatbin must still parse), the GPU
#   check     bench/cuda-check.mjs: a session on ['cuda'], the profile's node placement (RAN ON CUDA or
#             not), TTFT and decode ms/token on CPU and CUDA, CPU/CUDA parity -> $OUT/cuda-check.json
#   doctor    treasure doctor --device gpu (device.ts's preflight and choice) -> $OUT/doctor-gpu.json
#   bench     dist/bench.js on CPU and GPU, BENCH_N HumanEvalFix functions (default 10) -> $OUT/bench-cuda.json
# Every step prints what fails and the next one still runs. Env: TREASURE_CUDA_HOME, OUT (default
# build/cuda-out), BENCH_N, BENCH_ARGS, ORT_LOG (onnxruntime log level for check: 0 verbose .. 3).
set -u
REPO=${REPO:-$PWD}
cd "$REPO" || exit 1
HERE=$(cd "$(dirname "$0")" && pwd)
H=${TREASURE_CUDA_HOME:-/root/treasure-cuda}
OUT=${OUT:-$REPO/build/cuda-out}
mkdir -p "$H" "$OUT"
exec > >(tee -a "$OUT/cuda-device.log") 2>&1
NODE=$H/node/bin/node
ORTBIN=$REPO/node_modules/onnxruntime-node/bin/napi-v6/linux/x64
say() { printf '\n== %s (%s)\n' "$*" "$(date +%T)"; }
fail() { printf '!! %s\n' "$*"; }
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1

step_receive() {
  say "receive"
  python3 "$REPO/models/train/carry.py" receive --src "$REPO/.cuda" --dst "$H/inbox"
}

step_unpack() {
  say "unpack"
  if [ -f "$H/inbox/kit.tar" ]; then  # a newly completed kit replaces an unpacked one
    rm -rf "$H/kit" && mkdir -p "$H/kit" && tar -xf "$H/inbox/kit.tar" -C "$H/kit" && rm -f "$H/inbox/kit.tar"
  fi
  [ -f "$H/kit/MANIFEST.txt" ] || { fail "no complete kit yet (pieces so far: $(ls "$H/inbox.spool" 2>/dev/null | grep -c '\.p[0-9]')): the machine was not warm any more: carry every .cuda/b* again, one call each, right after each other"; return 1; }
  cat "$H/kit/MANIFEST.txt" 2>/dev/null | head -40
  if ! "$NODE" --version >/dev/null 2>&1; then
    mkdir -p "$H/node/bin" && xz -dc "$H/kit/node.xz" > "$NODE" && chmod +x "$NODE"
  fi
  echo "node $("$NODE" --version)"
  rm -rf "$REPO/node_modules/onnxruntime-node" "$REPO/node_modules/onnxruntime-common"
  mkdir -p "$REPO/node_modules/onnxruntime-node" "$REPO/node_modules/onnxruntime-common"
  tar -xJf "$H/kit/ort-node.tar.xz" -C "$REPO/node_modules/onnxruntime-node" || fail "cannot unpack ort-node.tar.xz"
  tar -xJf "$H/kit/ort-common.tar.xz" -C "$REPO/node_modules/onnxruntime-common" || fail "cannot unpack ort-common.tar.xz"
  tar -xJf "$H/kit/providers-cuda.tar.xz" -C "$ORTBIN" || fail "cannot unpack providers-cuda.tar.xz"
  tar -xJf "$H/kit/bench-kit.tar.xz" -C "$REPO" || fail "cannot unpack bench-kit.tar.xz"
  ls -la "$ORTBIN"
  "$NODE" -e "const o=require('onnxruntime-node'); console.log('onnxruntime-node', o.env.versions.node, JSON.stringify(o.listSupportedBackends()))" || fail "onnxruntime-node does not load"
}

# LD_LIBRARY_PATH: PyTorch's CUDA 13 libraries (site-packages/nvidia/*/lib: cu13/lib holds cudart,
# cublas(Lt), curand, cufft in the CUDA 13 wheels; cudnn/lib cuDNN 9), the driver's folder, the toolkit.
cuda_env() {
  local dirs="" d nv
  for nv in $(python3 -c 'import nvidia; print("\n".join(nvidia.__path__))' 2>/dev/null) \
            $(python3 -c 'import site; print("\n".join(p + "/nvidia" for p in site.getsitepackages()))' 2>/dev/null); do
    for d in "$nv"/*/lib "$nv"/*/lib64; do
      [ -d "$d" ] && case ":$dirs:" in *":$d:"*) ;; *) dirs="$dirs:$d" ;; esac
    done
  done
  for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib; do
    [ -d "$d" ] && case ":$dirs:" in *":$d:"*) ;; *) dirs="$dirs:$d" ;; esac
  done
  export LD_LIBRARY_PATH="${dirs#:}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export CUDA_MODULE_LOADING=${CUDA_MODULE_LOADING:-LAZY}
}

step_libs() {
  say "CUDA libraries, the provider, the GPU"
  echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
  local lib d found
  for lib in libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libcurand.so.10 libcufft.so.12 libcudnn.so.9 libnvrtc.so.13 libcuda.so.1; do
    found=""
    for d in $(echo "$LD_LIBRARY_PATH" | tr ':' ' '); do [ -e "$d/$lib" ] && { found="$d/$lib"; break; }; done
    [ -n "$found" ] || found=$(ldconfig -p 2>/dev/null | awk -v l="$lib" '$1 == l {print $NF; exit}')
    printf '  %-20s %s\n' "$lib" "${found:-NOT FOUND}"
  done
  python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version(), torch.cuda.get_device_name(0), torch.cuda.get_device_capability(0))' 2>&1 | tail -1
  nvidia-smi --query-gpu=name,compute_cap,driver_version,memory.total --format=csv,noheader 2>&1 | head -2
  echo "-- ldd libonnxruntime_providers_cuda.so (not found: a library missing from LD_LIBRARY_PATH)"
  ldd "$ORTBIN/libonnxruntime_providers_cuda.so" 2>&1 | grep -E 'cu|not found' || true
  if command -v cuobjdump >/dev/null 2>&1; then
    echo "-- cuobjdump --list-elf (kept cubins by architecture; dropped ones are relabelled sm_35)"
    timeout 120 cuobjdump --list-elf "$ORTBIN/libonnxruntime_providers_cuda.so" > "$H/cuobjdump.txt" 2>&1; echo "exit $?"
    grep -o -E 'sm_[0-9]+a?' "$H/cuobjdump.txt" | sort | uniq -c
    grep -v -E '^ELF file' "$H/cuobjdump.txt" | head -5
  fi
}

step_check() {
  say "cuda-check: a session on CUDA, where its nodes ran, CPU vs CUDA timing"
  local script=bench/cuda-check.mjs
  [ -f "$script" ] || script=$HERE/cuda-check.mjs
  timeout 300 "$NODE" "$script" --providers cpu,cuda --out "$OUT/cuda-check.json" || fail "cuda-check exit $?"
}

step_doctor() {
  say "treasure doctor --device gpu"
  timeout 180 "$NODE" dist/cli.js doctor --device gpu || fail "doctor exit $?"
  timeout 180 "$NODE" dist/cli.js doctor --device gpu --json > "$OUT/doctor-gpu.json" 2>/dev/null || true
}

step_bench() {
  say "benchmark: CPU and GPU (CUDA first), ${BENCH_N:-10} HumanEvalFix functions"
  # shellcheck disable=SC2086
  timeout "${BENCH_TIMEOUT:-300}" "$NODE" dist/bench.js --n "${BENCH_N:-10}" --devices cpu,gpu --out "$OUT/bench-cuda.json" ${BENCH_ARGS:-} || fail "benchmark exit $?"
}

[ $# -gt 0 ] || set -- receive all
cuda_env
for s in "$@"; do
  case $s in
    receive) step_receive ;;
    unpack) step_unpack ;;
    libs) step_libs ;;
    check) step_check ;;
    doctor) step_doctor ;;
    bench) step_bench ;;
    all) step_unpack && { step_libs; step_check; step_doctor; step_bench; } ;;
    *) fail "unknown step $s" ;;
  esac
done
say "done: $OUT"
ls -la "$OUT"
