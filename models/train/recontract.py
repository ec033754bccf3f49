"""Re-export a quantized model folder in the current ONNX contract without its checkpoint: the same
weights bit for bit (the int8 embedding rows and scales, every 4-bit MatMulNBits block and scale, the
norm weights are copied from the old model.onnx), only the graph around them is new.

    python3 models/train/recontract.py --model OLD_DIR --out NEW_DIR

Made for the cache change of 2026-12-04 (docs/CONTRACTS.md): exports before it returned the whole KV cache
(present.*, past + new, copied every step); the current graph reads the caller's cache buffer and returns
only the new positions. Needs torch and onnx (Debian's python3-torch and python3-onnx do), no onnxruntime:
the runtime's test compares the two graphs' logits and tokens on the tiny fixture (test/server/speculate-onnx.test.ts).
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import sys

import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export import Int8Embedding, export_onnx, write_config  # noqa: E402
from model import Config, Transformer  # noqa: E402
from nbits import swap_matmuls  # noqa: E402

LINEAR = re.compile(r"^/(?:mlp/)?(wq|wk|wv|wo|w1|w2|w3|lm_head)(?:_(\d+))?/MatMul_Q4$")
NORM = re.compile(r"^/(attn_norm|mlp_norm|norm)(?:_(\d+))?/Mul_1$")


def dequantize(packed, scales, k, n, block):
    """MatMulNBits B [N, K/block, block/2] (low nibble first, zero point 8) -> a Linear weight [N, K]."""
    q = np.empty(packed.shape[:2] + (block,), np.int16)
    q[..., 0::2] = packed & 0x0F
    q[..., 1::2] = packed >> 4
    w = (q.astype(np.float32) - 8.0) * scales.reshape(n, -1)[..., None]
    return w.reshape(n, -1)[:, :k]


def key(a):
    return hashlib.sha256(np.ascontiguousarray(a, np.float32).tobytes()).hexdigest()


def read_old(path, cfg):
    """The old graph's weights: {(module, layer): (linear weight, MatMulNBits initializers)}, norms, embedding."""
    m = onnx.load(path)
    inits = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    for node in m.graph.node:  # the exporter shares equal weights (e.g. norms still at 1.0) through Identity
        if node.op_type == "Identity" and node.input[0] in inits:
            inits[node.output[0]] = inits[node.input[0]]
    linears, norms, embed = {}, {}, {}
    for node in m.graph.node:
        if node.op_type == "MatMulNBits":
            hit = LINEAR.match(node.name)
            if not hit:
                raise SystemExit(f"unexpected MatMulNBits node {node.name}")
            at = {a.name: helper.get_attribute_value(a) for a in node.attribute}
            if at.get("bits") != 4 or len(node.input) > 3:
                raise SystemExit(f"{node.name}: only 4-bit symmetric MatMulNBits is supported")
            packed, scales = inits[node.input[1]], inits[node.input[2]]
            w = dequantize(packed, scales, at["K"], at["N"], at["block_size"])
            linears[(hit[1], int(hit[2] or 0))] = (w, packed, scales, at)
        elif node.op_type == "Mul" and NORM.match(node.name):
            hit = NORM.match(node.name)
            (w,) = [inits[x] for x in node.input if x in inits]
            norms[(hit[1], int(hit[2] or 0))] = w
        elif node.op_type == "Gather" and node.name.startswith("/embed/"):
            table = inits[node.input[0]]
            embed["q" if table.dtype == np.int8 else "scale"] = table
    want = cfg.n_layer * 7 + 1
    if len(linears) != want or len(norms) != 2 * cfg.n_layer + 1 or set(embed) != {"q", "scale"}:
        raise SystemExit(f"{path}: found {len(linears)} of {want} 4-bit weights, {len(norms)} norms, embedding {sorted(embed)}")
    return linears, norms, embed


def rebuild(cfg, linears, norms, embed):
    """A torch model holding the dequantized weights, its embedding the old int8 table itself."""
    model = Transformer(Config(**{**cfg.to_dict(), "tie_embeddings": False})).float().eval()
    with torch.no_grad():
        for i, b in enumerate(model.blocks):
            for name, lin in (("wq", b.attn.wq), ("wk", b.attn.wk), ("wv", b.attn.wv), ("wo", b.attn.wo),
                              ("w1", b.mlp.w1), ("w2", b.mlp.w2), ("w3", b.mlp.w3)):
                lin.weight.copy_(torch.from_numpy(linears[(name, i)][0]))
            b.attn_norm.weight.copy_(torch.from_numpy(norms[("attn_norm", i)]))
            b.mlp_norm.weight.copy_(torch.from_numpy(norms[("mlp_norm", i)]))
        model.norm.weight.copy_(torch.from_numpy(norms[("norm", 0)]))
        model.lm_head.weight.copy_(torch.from_numpy(linears[("lm_head", 0)][0]))
        emb = Int8Embedding(torch.zeros(cfg.vocab_size, cfg.d_model))
        emb.q.copy_(torch.from_numpy(embed["q"]))
        emb.scale.copy_(torch.from_numpy(embed["scale"].reshape(-1)))
        model.embed = emb
    return model


def requantize(path, linears):
    """Each MatMul of the new float graph back to the old MatMulNBits initializers (found by value)."""
    by_value = {key(w.T): (packed, scales, at) for w, packed, scales, at in linears.values()}
    m = onnx.load(path)
    reused = swap_matmuls(m, lambda w: by_value.get(key(w)))
    if reused != len(linears):
        raise SystemExit(f"reused {reused} of {len(linears)} 4-bit weights: the new graph does not hold them all")
    return m, reused


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True, help="the old model folder (model.onnx, config.json, tokenizer.json)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    c = json.load(open(os.path.join(args.model, "config.json")))
    cfg = Config(vocab_size=c["vocab_size"], context_length=c["context_length"], d_model=c["d_model"], n_layer=c["n_layer"],
                 n_head=c["n_head"], n_kv_head=c["n_kv_head"])
    linears, norms, embed = read_old(os.path.join(args.model, "model.onnx"), cfg)
    cfg.ffn_hidden = linears[("w1", 0)][0].shape[0]
    model = rebuild(cfg, linears, norms, embed)
    os.makedirs(args.out, exist_ok=True)
    tmp = os.path.join(args.out, "model.float.onnx")
    export_onnx(model, cfg, tmp, int8_embedding=False)
    new, reused = requantize(tmp, linears)
    os.remove(tmp)
    onnx.save(new, os.path.join(args.out, "model.onnx"))
    shutil.copy(os.path.join(args.model, "tokenizer.json"), os.path.join(args.out, "tokenizer.json"))
    write_config(cfg, args.out)
    old_export = os.path.join(args.model, "export.json")
    report = json.load(open(old_export)) if os.path.exists(old_export) else {}
    report["recontract"] = {"from": os.path.relpath(os.path.join(args.model, "model.onnx")), "weights_reused": reused,
                            "sha256_old": hashlib.sha256(open(os.path.join(args.model, "model.onnx"), "rb").read()).hexdigest(),
                            "note": "the old export's weights bit for bit in the current graph (models/train/recontract.py)"}
    with open(os.path.join(args.out, "export.json"), "w") as f:
        json.dump(report, f, indent=1)
    print(f"{args.out}: {reused} 4-bit weights, the int8 embedding and {len(norms)} norms carried over")


if __name__ == "__main__":
    main()
