"""A tiny randomly initialised Treasure model for trying the benchmark and the device code without
the shipped model (its answers are noise; only the op set and the I/O match the shipped export).

    /usr/bin/python3 bench/tiny-model.py --tokenizer TOKENIZER.json --out DIR [--d-model 64 --layers 2]

Exports through models/train/export.py (int8 embedding), then rewrites every MatMul with a constant
weight into a 4-bit symmetric MatMulNBits node (com.microsoft), as the shipped export does, with
numpy only (no onnxruntime Python package needed).
"""
import argparse
import json
import os
import shutil
import sys

import numpy as np
import onnx
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models", "train"))
from export import export_onnx, write_config  # noqa: E402
from nbits import swap_matmuls  # noqa: E402
from model import Config, Transformer  # noqa: E402


def to_matmul_nbits(model, block_size=32):
    def quantize(b):  # [K, N]
        k, n = b.shape
        if k % block_size:
            return None
        blocks = b.astype(np.float32).T.reshape(n, k // block_size, block_size)
        scale = np.abs(blocks).max(axis=2) / 7.0
        scale[scale == 0] = 1.0
        q = np.clip(np.round(blocks / scale[..., None]), -8, 7).astype(np.int32) + 8
        packed = (q[..., 0::2] | (q[..., 1::2] << 4)).astype(np.uint8)  # low nibble first
        return packed, scale.reshape(-1).astype(np.float32), dict(K=k, N=n, bits=4, block_size=block_size)
    swap_matmuls(model, quantize)
    return model


def write_model_dir(model, cfg, out, tokenizer, all_logits=True):
    """A model folder as the runtime reads it: model.onnx (int8 embedding, 4-bit MatMulNBits),
    config.json, and a copy of `tokenizer` unless it is None."""
    os.makedirs(out, exist_ok=True)
    tmp = os.path.join(out, "model.int8emb.onnx")
    export_onnx(model, cfg, tmp, int8_embedding=True, all_logits=all_logits)
    onnx.save(to_matmul_nbits(onnx.load(tmp)), os.path.join(out, "model.onnx"))
    os.remove(tmp)
    if tokenizer:
        shutil.copy(tokenizer, os.path.join(out, "tokenizer.json"))
    write_config(cfg, out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--d-model", type=int, default=64)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--context", type=int, default=2048)
    args = ap.parse_args()
    tok = json.load(open(args.tokenizer))
    vocab = max([*tok["model"]["vocab"].values(), *(t["id"] for t in tok["added_tokens"])]) + 1
    vocab = (vocab + 31) // 32 * 32
    torch.manual_seed(0)
    cfg = Config(vocab_size=vocab, context_length=args.context, d_model=args.d_model, n_layer=args.layers,
                 n_head=4, n_kv_head=4, ffn_hidden=args.d_model * 2)
    model = Transformer(cfg).float().eval()
    write_model_dir(model, cfg, args.out, args.tokenizer)
    print(f"tiny model (random, vocab {vocab}, d_model {args.d_model}, {args.layers} layers) in {args.out}")


if __name__ == "__main__":
    main()
