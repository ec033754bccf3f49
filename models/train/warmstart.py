"""Warm start: a shipped (4-bit) model folder back into a checkpoint train.py can start from, so that each
lease's training adds to the last instead of starting over (issue 28).

    python3 models/train/warmstart.py --model models/treasure --out base.pt [--dtype bf16]
    python3 train.py --phase finetune --init base.pt ...            (device.sh: warm:DIR, then finetune)

Reads model.onnx in either graph the exports write -- the torch export (recontract.py's reader) or the
compact one (compact.py) -- and dequantizes: every 4-bit MatMulNBits block (low nibble first, zero point 8)
times its scale, the int8 embedding rows times their scale, the norm weights as they are; the model's
shape (config.json, ffn_hidden from the weights, rope theta and norm epsilon read from the graph). The
training model ties the output projection to the embedding (model.py); the export untied them (int8
table, 4-bit output matrix), so the tied checkpoint takes the finer of the two, the int8 table, for both
(--untied keeps the 4-bit output matrix: the graph's own function, for checks). The quantization error
washes out in a fine-tune's first steps. The checkpoint records where it came from ("lineage"), which
train.py carries forward into each run it starts.

--logits IDS --logits-out FILE writes the checkpoint's float32 logits for every position of the token ids
IDS (comma-separated) as raw float32 [T, vocab]: test/server/warmstart.test.ts compares them with the
ONNX graph's through the runtime. Needs torch and onnx (Debian's python3-torch and python3-onnx), no
onnxruntime.
"""
import argparse
import hashlib
import json
import os
import re
import sys

import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import Config, Transformer  # noqa: E402

LINEAR = re.compile(r"^/(?:mlp/)?(wq|wk|wv|wo|w1|w2|w3|lm_head)(?:_(\d+))?/MatMul_Q4$")
NORM = re.compile(r"^/(attn_norm|mlp_norm|norm)(?:_(\d+))?/Mul_1$")  # the torch export's RMSNorm weight Mul
COMPACT_NORM = re.compile(r"^(?:l(\d+)\.(attn_norm|mlp_norm)|(final_norm))$")  # compact.py's fused norms


def dequantize(packed, scales, zero_points, k, n, block):
    """MatMulNBits B [N, K/block, block/2] (4 bits, low nibble first; zero point 8 unless given) -> [N, K]."""
    q = np.empty(packed.shape[:2] + (block,), np.float32)
    q[..., 0::2] = packed & 0x0F
    q[..., 1::2] = packed >> 4
    nblk = packed.shape[1]
    if zero_points is None:
        zp = np.full((n, nblk), 8.0, np.float32)
    else:  # packed two to a byte along the blocks, low nibble first
        z = zero_points.reshape(n, -1)
        zp = np.stack([z & 0x0F, z >> 4], axis=-1).reshape(n, -1)[:, :nblk].astype(np.float32)
    w = (q - zp[..., None]) * scales.reshape(n, nblk)[..., None].astype(np.float32)
    return w.reshape(n, -1)[:, :k]


def read_graph(path):
    """{(module, layer): weight [out, in]}, {(norm, layer): weight}, (int8 table, scale), epsilon, inverse
    frequencies of the rope, from either graph."""
    m = onnx.load(path)
    g = m.graph
    inits = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    for node in g.node:  # the exporter shares equal weights (e.g. norms still at 1.0) through Identity
        if node.op_type == "Identity" and node.input[0] in inits:
            inits[node.output[0]] = inits[node.input[0]]
    consts = {n.output[0]: numpy_helper.to_array(n.attribute[0].t) for n in g.node if n.op_type == "Constant" and n.attribute and n.attribute[0].name == "value"}
    linears, norms, embed, eps = {}, {}, {}, None
    for node in g.node:
        at = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type == "MatMulNBits":
            hit = LINEAR.match(node.name)
            if not hit or at.get("bits", 4) != 4:
                raise SystemExit(f"{path}: unexpected MatMulNBits node {node.name} ({at.get('bits')} bits)")
            zp = inits[node.input[3]] if len(node.input) > 3 and node.input[3] else None
            linears[(hit[1], int(hit[2] or 0))] = dequantize(inits[node.input[1]], inits[node.input[2]], zp, at["K"], at["N"], at["block_size"])
        elif node.op_type == "Mul" and NORM.match(node.name):
            hit = NORM.match(node.name)
            (w,) = [inits[x] for x in node.input if x in inits]
            norms[(hit[1], int(hit[2] or 0))] = w
        elif node.op_type in ("SimplifiedLayerNormalization", "SkipSimplifiedLayerNormalization") and COMPACT_NORM.match(node.name):
            hit = COMPACT_NORM.match(node.name)
            w = inits[node.input[1 if node.op_type == "SimplifiedLayerNormalization" else 2]]
            norms[("norm", 0) if hit[3] else (hit[2], int(hit[1]))] = w
            eps = float(at["epsilon"])
        elif node.op_type == "Gather" and node.name.startswith("/embed/"):
            table = inits[node.input[0]]
            embed["q" if table.dtype == np.int8 else "scale"] = table
        elif node.op_type == "Add" and node.name.endswith("attn_norm/Add") and eps is None:
            vals = [consts[x] for x in node.input if x in consts] + [inits[x] for x in node.input if x in inits]
            if vals:
                eps = float(np.asarray(vals[0]).reshape(-1)[0])
    if "rope.cos" in inits:  # compact: cos/sin(position * inv_freq) for every position; row 1 holds inv_freq
        inv_freq = np.arctan2(inits["rope.sin"][1].astype(np.float64), inits["rope.cos"][1].astype(np.float64))
    else:  # the torch export: Cos(Mul(positions, inv_freq))
        producer = {o: n for n in g.node for o in n.output}
        mul = producer[next(n for n in g.node if n.op_type == "Cos").input[0]]
        (inv_freq,) = [consts[x] if x in consts else inits[x] for x in mul.input if x in consts or x in inits]
    if set(embed) != {"q", "scale"}:
        raise SystemExit(f"{path}: no int8 embedding (found {sorted(embed)}): not an export this script knows")
    return linears, norms, (embed["q"], embed["scale"].reshape(-1)), eps, np.asarray(inv_freq, np.float64).reshape(-1)


def rope_theta(inv_freq, head_dim):
    """theta from inv_freq[j] = theta ** (-2j / head_dim), fitted over j (a round number when it is one)."""
    j = np.arange(len(inv_freq))[1:]
    theta = float(np.exp(np.median(-np.log(inv_freq[1:]) * head_dim / (2 * j))))
    return float(round(theta)) if abs(theta - round(theta)) < 1e-3 * theta else theta


def load_folder(model_dir, untied=False):
    """A Transformer (float32) holding the folder's dequantized weights, and its Config."""
    c = json.load(open(os.path.join(model_dir, "config.json")))
    linears, norms, (q, scale), eps, inv_freq = read_graph(os.path.join(model_dir, "model.onnx"))
    want = c["n_layer"] * 7 + 1
    if len(linears) != want or len(norms) != 2 * c["n_layer"] + 1:
        raise SystemExit(f"{model_dir}: found {len(linears)} of {want} 4-bit weights and {len(norms)} of {2 * c['n_layer'] + 1} norms")
    cfg = Config(vocab_size=c["vocab_size"], context_length=c["context_length"], d_model=c["d_model"], n_layer=c["n_layer"],
                 n_head=c["n_head"], n_kv_head=c["n_kv_head"], ffn_hidden=linears[("w1", 0)].shape[0],
                 rope_theta=rope_theta(inv_freq, c["head_dim"]), norm_eps=float(f"{eps:.6g}") if eps is not None else Config.norm_eps,
                 tie_embeddings=not untied)
    model = Transformer(cfg).float().eval()
    t = lambda a: torch.from_numpy(np.array(a, dtype=np.float32))  # noqa: E731
    with torch.no_grad():
        for i, b in enumerate(model.blocks):
            for name, lin in (("wq", b.attn.wq), ("wk", b.attn.wk), ("wv", b.attn.wv), ("wo", b.attn.wo),
                              ("w1", b.mlp.w1), ("w2", b.mlp.w2), ("w3", b.mlp.w3)):
                lin.weight.copy_(t(linears[(name, i)]))
            b.attn_norm.weight.copy_(t(norms[("attn_norm", i)]))
            b.mlp_norm.weight.copy_(t(norms[("mlp_norm", i)]))
        model.norm.weight.copy_(t(norms[("norm", 0)]))
        # tied: the int8 table (the finer copy) is the output projection too
        model.embed.weight.copy_(t(q.astype(np.float32) * scale.astype(np.float32)[:, None]))
        if untied:
            model.lm_head.weight.copy_(t(linears[("lm_head", 0)]))
    return model, cfg


def lineage_of(model_dir):
    """Where the weights came from: the folder, its graph's hash and the card's name and shipped run."""
    path = os.path.join(model_dir, "model.onnx")
    entry = {"from": model_dir, "model_onnx_sha256": hashlib.sha256(open(path, "rb").read()).hexdigest(),
             "how": "dequantized by models/train/warmstart.py (4-bit MatMulNBits, int8 embedding)"}
    card = os.path.join(model_dir, "MODEL.json")
    if os.path.exists(card):
        m = json.load(open(card))
        entry.update({"name": m.get("name"), "run": m.get("shipped_run")})
    return entry


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True, help="a model folder (model.onnx, config.json)")
    ap.add_argument("--out", help="the checkpoint to write (train.py --init)")
    ap.add_argument("--dtype", choices=["bf16", "fp32"], default="fp32")
    ap.add_argument("--tokens", type=float, default=0, help="training tokens the model has seen (the lineage's count; 0: unknown)")
    ap.add_argument("--untied", action="store_true", help="keep the 4-bit output projection apart (the graph's own function)")
    ap.add_argument("--logits", help="token ids (comma-separated): write the logits of every position")
    ap.add_argument("--logits-out", help="file for --logits: raw float32 [T, vocab]")
    args = ap.parse_args()
    model, cfg = load_folder(args.model, untied=args.untied)
    if args.logits:
        ids = torch.tensor([[int(x) for x in args.logits.split(",")]])
        with torch.no_grad():
            logits = model(ids)[0].float().numpy()
        logits.astype(np.float32).tofile(args.logits_out)
        print(json.dumps({"positions": logits.shape[0], "vocab": logits.shape[1], "config": cfg.to_dict()}))
    if args.out:
        dt = torch.bfloat16 if args.dtype == "bf16" else torch.float32
        state = {k: v.detach().to(dt) for k, v in model.state_dict().items()}
        lineage = [{**lineage_of(args.model), "tokens": int(args.tokens)}]
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        torch.save({"model": state, "config": cfg.to_dict(), "lineage": lineage}, args.out)
        print(f"{args.out}: {sum(p.numel() for p in model.parameters()) / 1e6:.1f}M parameters ({args.dtype}) from {args.model}; config {json.dumps(cfg.to_dict())}")


if __name__ == "__main__":
    main()
