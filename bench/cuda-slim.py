#!/usr/bin/env python3
"""Shrinks onnxruntime's CUDA provider library (libonnxruntime_providers_cuda.so) for one GPU
architecture, so that it fits the GPU machine's per-call carry (bench/make-cuda-kit.sh).

  python3 bench/cuda-slim.py SRC DST [--keep-arch 90] [--drop flash,moe,mem_eff_attn] [--report FILE]

The library's .nv_fatbin section holds one fatbin per CUDA source file, each with a cubin per
architecture (onnxruntime 1.29.0's: sm_75, 80, 86, 89, 90a, 120; zstd-compressed, no PTX). An entry
that is dropped keeps its header and its place (every offset in the file stays valid), its payload is
zeroed (so xz shrinks it to nothing) and its architecture is relabelled sm_35, which no GPU that CUDA 13
runs on can take: the driver never picks or decompresses it, and a kernel that only lived there fails
at launch with "no kernel image is available for execution on the device", not silently.

--keep-arch: the architectures kept whole (H100/H200: 90). Every other architecture is dropped.
--drop: kernel families whose sm_<keep> cubins are dropped as well, when every kernel of a cubin
  belongs to them (read from the cubin's .text.<kernel> sections; needs the zstd command):
    flash         onnxruntime::flash (FlashAttention: the Attention/MultiHeadAttention/
                  GroupQueryAttention contrib ops, which Treasure's plain-op model does not use)
    moe           mixture-of-experts GEMMs and routing (MoE/QMoE contrib ops)
    mem_eff_attn  cutlass memory-efficient attention (the attention contrib ops again)
    fpA_intB      fpA_intB GEMV/GEMM (MatMulNBits with float16/bfloat16 inputs; not used by float32 models)
The library is otherwise unchanged (host code, every other kernel).
"""
import argparse
import json
import re
import struct
import subprocess
import sys

FATBIN_MAGIC = 0xBA55ED50
MAGIC_BYTES = struct.pack('<I', FATBIN_MAGIC)
DEAD_ARCH = 35
FAMILIES = {
    'flash': re.compile(r'11onnxruntime5flash'),
    'moe': re.compile(r'Moe|moe_|MoE|Expert|expert'),
    'mem_eff_attn': re.compile(r'attention_kernel_batched_impl|AttentionKernel'),
    'fpA_intB': re.compile(r'fpA_intB'),
}
NEUTRAL = re.compile(r'EmptyKernel')  # cub's placeholder kernel, in many cubins


def sections(data):
    """ELF64 little-endian section headers: name -> (offset, size)."""
    if data[:4] != b'\x7fELF' or data[4] != 2 or data[5] != 1:
        raise SystemExit('not a 64-bit little-endian ELF file')
    shoff, = struct.unpack_from('<Q', data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from('<HHH', data, 0x3A)
    hdrs = [struct.unpack_from('<IIQQQQIIQQ', data, shoff + i * shentsize) for i in range(shnum)]
    stroff = hdrs[shstrndx][4]
    out = {}
    for h in hdrs:
        name = data[stroff + h[0]: data.index(b'\0', stroff + h[0])].decode()
        out[name] = (h[4], h[5])
    return out


def entries(data, off, size):
    """Yields (entry offset, header size, payload size, compressed size, arch, kind) of every fatbin entry."""
    pos, end = off, off + size
    while pos + 16 <= end:
        magic, _ver, hsz, fsz = struct.unpack_from('<IHHQ', data, pos)
        if magic != FATBIN_MAGIC:  # padding between two fatbins
            nxt = data.find(MAGIC_BYTES, pos + 1, end)
            if nxt < 0:
                return
            pos = nxt
            continue
        e, eend = pos + hsz, pos + hsz + fsz
        while e < eend:
            kind, _u, ehs, psz, csz = struct.unpack_from('<HHIQI', data, e)
            arch, = struct.unpack_from('<I', data, e + 28)
            yield e, ehs, psz, csz, arch, kind
            e += ehs + psz
        pos = eend


def kernel_names(payload):
    """The kernels of one zstd-compressed cubin (its .text.<name> sections)."""
    raw = subprocess.run(['zstd', '-dc'], input=payload, capture_output=True, check=True).stdout
    if raw[:4] != b'\x7fELF':
        return None
    return [n[6:] for n in sections(raw) if n.startswith('.text.')]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('src')
    ap.add_argument('dst')
    ap.add_argument('--keep-arch', default='90')
    ap.add_argument('--drop', default='')
    ap.add_argument('--report')
    a = ap.parse_args()
    keep = {int(x) for x in a.keep_arch.split(',') if x}
    drop = [f for f in a.drop.split(',') if f]
    for f in drop:
        if f not in FAMILIES:
            raise SystemExit(f'unknown family {f} (one of {", ".join(FAMILIES)})')
    data = bytearray(open(a.src, 'rb').read())
    secs = sections(data)
    if '.nv_fatbin' not in secs:
        raise SystemExit('no .nv_fatbin section: not a CUDA library')
    off, size = secs['.nv_fatbin']
    rep = {'src': a.src, 'keep_arch': sorted(keep), 'drop': drop, 'bytes': {}, 'entries': {}, 'kernels_dropped': 0, 'kept_arch_entries': 0}

    def count(key, n):
        rep['bytes'][key] = rep['bytes'].get(key, 0) + n
        rep['entries'][key] = rep['entries'].get(key, 0) + 1

    for e, ehs, psz, csz, arch, kind in list(entries(data, off, size)):
        reason = None
        if arch not in keep:
            reason = f'arch sm_{arch}'
        elif drop:
            names = kernel_names(bytes(data[e + ehs: e + ehs + (csz or psz)])) if csz else None
            if names:
                fams = set()
                for n in names:
                    if NEUTRAL.search(n):
                        continue
                    f = next((f for f in drop if FAMILIES[f].search(n)), None)
                    fams.add(f)
                if fams and None not in fams:
                    reason = '+'.join(sorted(fams))
                    rep['kernels_dropped'] += len(names)
        if reason is None:
            count(f'kept sm_{arch}', psz)
            rep['kept_arch_entries'] += 1
            continue
        count(f'dropped {reason}', psz)
        data[e + ehs: e + ehs + psz] = bytes(psz)
        struct.pack_into('<I', data, e + 28, DEAD_ARCH)
    if rep['kept_arch_entries'] == 0:
        raise SystemExit(f'no cubin for {sorted(keep)} in {a.src}')
    open(a.dst, 'wb').write(data)
    for k in sorted(rep['bytes']):
        print(f'{k:<32} {rep["entries"][k]:>5} cubins {rep["bytes"][k] / 1e6:8.1f} MB')
    if a.report:
        with open(a.report, 'w') as f:
            json.dump(rep, f, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
