"""Rewrite a quantized model folder's graph with onnxruntime's fused CPU ops: the same weights bit for bit
(every 4-bit MatMulNBits blob and scale with its attributes, the int8 embedding, the norm weights) and
the same contract (docs/CONTRACTS.md: inputs, outputs, the caller's KV cache), a graph a third the size.

    python3 models/train/compact.py --model DIR --out NEW_DIR

Why: torch's export spells each layer out in ~150 small nodes (RMSNorm as Pow/ReduceMean/Sqrt/Div/Mul,
rotary as Slice/Mul/Concat, shapes computed per layer). A decoding step of one token is matrix-vector
work, so onnxruntime's per-node cost is a large share of it: on the 2-core VM the 71 MatMulNBits alone
take ~1.5 ms of a ~4 ms step. Here each layer is SimplifiedLayerNormalization (the residual add fused in:
SkipSimplifiedLayerNormalization), three MatMulNBits, RotaryEmbedding on q and k (com.microsoft; its
cos/sin table is the graph's own rope computed once for every position of the context), attention against
the caller's cache as Model.step does it (past and new scores side by side, one softmax, no copy of the
cache), and the SwiGLU MLP. Needs onnx and numpy only.
"""
import argparse
import json
import os
import re
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from carry import sha256  # noqa: E402
from compute_level import copy_beside  # noqa: E402

LINEAR = re.compile(r"^/(?:mlp/)?(wq|wk|wv|wo|w1|w2|w3|lm_head)(?:_(\d+))?/MatMul_Q4$")
NORM = re.compile(r"^/(attn_norm|mlp_norm|norm)(?:_(\d+))?/Mul_1$")
MS = "com.microsoft"


def read(model, cfg):
    """The old graph's pieces: MatMulNBits nodes by (module, layer), norm weight names, embedding nodes,
    the rope's inverse frequencies and the norms' epsilon (read from the graph, not assumed)."""
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    alias = {n.output[0]: n.input[0] for n in g.node if n.op_type == "Identity" and n.input[0] in inits}
    consts = {n.output[0]: numpy_helper.to_array(n.attribute[0].t) for n in g.node if n.op_type == "Constant" and n.attribute[0].name == "value"}
    producer = {o: n for n in g.node for o in n.output}
    linears, norms, embed = {}, {}, []
    for n in g.node:
        if n.op_type == "MatMulNBits":
            hit = LINEAR.match(n.name)
            if not hit:
                raise SystemExit(f"unexpected MatMulNBits node {n.name}")
            linears[(hit[1], int(hit[2] or 0))] = n
        elif n.op_type == "Mul" and NORM.match(n.name):
            hit = NORM.match(n.name)
            (w,) = [alias.get(x, x) for x in n.input if alias.get(x, x) in inits]
            norms[(hit[1], int(hit[2] or 0))] = w
        elif n.name.startswith("/embed/"):
            embed.append(n)
    want = cfg["n_layer"] * 7 + 1
    if len(linears) != want or len(norms) != 2 * cfg["n_layer"] + 1:
        raise SystemExit(f"found {len(linears)} of {want} 4-bit weights and {len(norms)} norms: not a graph this script knows")
    # rope: Cos(Mul(Unsqueeze(Cast(position_ids)), inv_freq)); RMSNorm: Add(ReduceMean(..), eps)
    cos = next(n for n in g.node if n.op_type == "Cos")
    mul = producer[cos.input[0]]
    (inv_freq,) = [consts[x] if x in consts else numpy_helper.to_array(inits[x]) for x in mul.input if x in consts or x in inits]
    eps_node = next(n for n in g.node if n.op_type == "Add" and n.name.endswith("attn_norm/Add"))
    (eps,) = [float(consts[x]) for x in eps_node.input if x in consts]
    return inits, alias, linears, norms, embed, inv_freq.astype(np.float32).reshape(-1), eps


def build(model, cfg):
    inits, alias, linears, norms, embed, inv_freq, eps = read(model, cfg)
    g = model.graph
    H, D, L = cfg["n_head"], cfg["head_dim"], cfg["n_layer"]
    if cfg["n_kv_head"] != H:
        raise SystemExit("compact.py writes multi-head attention only (n_kv_head == n_head)")
    nodes, used, extra = [], set(), []

    def node(op, ins, outs, name, domain="", **attrs):
        nodes.append(helper.make_node(op, ins, outs, name=name, domain=domain, **attrs))
        named = [o for o in outs if o]
        return named[0] if len(named) == 1 else named

    def const(name, array):
        extra.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def matmul(key, x, out):
        old = linears[key]
        for i in old.input[1:]:
            used.add(alias.get(i, i))
        attrs = {a.name: helper.get_attribute_value(a) for a in old.attribute}
        return node("MatMulNBits", [x, *[alias.get(i, i) for i in old.input[1:]]], [out], old.name, MS, **attrs)

    def norm_w(key):
        used.add(norms[key])
        return norms[key]

    # the embedding as exported (int8 rows x per-row scale), nodes copied as they are
    for n in embed:
        nodes.append(n)
        for i in n.input:
            if alias.get(i, i) in inits:
                used.add(alias.get(i, i))
    h = next(o for n in embed for o in n.output if n.op_type == "Mul")
    # the graph's own rope for every position: cos/sin of position * inv_freq, in float32 as the graph did
    pos = np.arange(cfg["context_length"], dtype=np.float32)[:, None] * inv_freq[None, :]
    cos_cache = const("rope.cos", np.cos(pos).astype(np.float32))
    sin_cache = const("rope.sin", np.sin(pos).astype(np.float32))
    heads = const("shape.heads", np.array([0, 0, H, D], np.int64))
    flat = const("shape.flat", np.array([0, 0, H * D], np.int64))
    zero, axis3, big = const("i.zero", np.array([0], np.int64)), const("i.axis3", np.array([3], np.int64)), const("i.big", np.array([2**62], np.int64))
    # S, the caller's cache slots (every layer's buffer has the same), read once
    S = node("Shape", ["past_key_values.0.key"], ["slots"], "slots", start=2, end=3)
    scale = 1.0 / float(np.sqrt(D))
    x, delta = None, None
    for i in range(L):
        if delta is None:
            x = node("SimplifiedLayerNormalization", [h, norm_w(("attn_norm", i))], [f"l{i}.attn_in"], f"l{i}.attn_norm", axis=-1, epsilon=eps)
        else:
            x, h = node("SkipSimplifiedLayerNormalization", [h, delta, norm_w(("attn_norm", i))], [f"l{i}.attn_in", "", "", f"l{i}.h"], f"l{i}.attn_norm", MS, epsilon=eps)
        q = matmul(("wq", i), x, f"l{i}.q")
        k = matmul(("wk", i), x, f"l{i}.k")
        v = matmul(("wv", i), x, f"l{i}.v")
        q = node("RotaryEmbedding", [q, "position_ids", cos_cache, sin_cache], [f"l{i}.q_rot"], f"l{i}.q_rope", MS, interleaved=0, num_heads=H)
        k = node("RotaryEmbedding", [k, "position_ids", cos_cache, sin_cache], [f"l{i}.k_rot"], f"l{i}.k_rope", MS, interleaved=0, num_heads=H)
        to_heads = lambda t, out: node("Transpose", [node("Reshape", [t, heads], [out + ".bthd"], out + ".reshape")], [out], out + ".transpose", perm=[0, 2, 1, 3])  # noqa: E731
        q4 = to_heads(q, f"l{i}.q4")
        k4 = to_heads(k, f"new_key_values.{i}.key")
        v4 = to_heads(v, f"new_key_values.{i}.value")
        past_k, past_v = f"past_key_values.{i}.key", f"past_key_values.{i}.value"
        s_past = node("FusedMatMul", [q4, past_k], [f"l{i}.s_past"], f"l{i}.s_past", MS, transB=1, alpha=scale)
        s_new = node("FusedMatMul", [q4, k4], [f"l{i}.s_new"], f"l{i}.s_new", MS, transB=1, alpha=scale)
        s = node("Concat", [s_past, s_new], [f"l{i}.s"], f"l{i}.s", axis=-1)
        p = node("Softmax", [node("Add", [s, "attention_bias"], [f"l{i}.s_bias"], f"l{i}.s_bias")], [f"l{i}.p"], f"l{i}.softmax", axis=-1)
        p_past = node("Slice", [p, zero, S, axis3], [f"l{i}.p_past"], f"l{i}.p_past")
        p_new = node("Slice", [p, S, big, axis3], [f"l{i}.p_new"], f"l{i}.p_new")
        y = node("Add", [node("MatMul", [p_past, past_v], [f"l{i}.y_past"], f"l{i}.y_past"),
                         node("MatMul", [p_new, v4], [f"l{i}.y_new"], f"l{i}.y_new")], [f"l{i}.y"], f"l{i}.y")
        y = node("Reshape", [node("Transpose", [y], [f"l{i}.y_bthd"], f"l{i}.y_t", perm=[0, 2, 1, 3]), flat], [f"l{i}.y_flat"], f"l{i}.y_flat")
        a = matmul(("wo", i), y, f"l{i}.attn_out")
        x, h = node("SkipSimplifiedLayerNormalization", [h, a, norm_w(("mlp_norm", i))], [f"l{i}.mlp_in", "", "", f"l{i}.h_mid"], f"l{i}.mlp_norm", MS, epsilon=eps)
        g1 = matmul(("w1", i), x, f"l{i}.gate")
        g3 = matmul(("w3", i), x, f"l{i}.up")
        silu = node("Mul", [g1, node("Sigmoid", [g1], [f"l{i}.sig"], f"l{i}.sig")], [f"l{i}.silu"], f"l{i}.silu")
        delta = matmul(("w2", i), node("Mul", [silu, g3], [f"l{i}.swiglu"], f"l{i}.swiglu"), f"l{i}.mlp_out")
    x = node("SkipSimplifiedLayerNormalization", [h, delta, norm_w(("norm", 0))], ["final"], "final_norm", MS, epsilon=eps)
    matmul(("lm_head", 0), x, "logits")
    keep = [inits[n] for n in sorted(used)] + extra
    graph = helper.make_graph(nodes, g.name or "treasure", list(g.input), list(g.output), keep)
    out = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(MS, 1)], producer_name="treasure-compact")
    out.ir_version = model.ir_version
    return out, len([n for n in nodes if n.op_type == "MatMulNBits"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    src = os.path.join(args.model, "model.onnx")
    cfg = json.load(open(os.path.join(args.model, "config.json")))
    if cfg.get("kv_cache") != "caller":
        raise SystemExit(f"{args.model}: compact.py writes the caller-cache contract; run recontract.py first")
    old = onnx.load(src)
    new, n_mm = build(old, cfg)
    copy_beside(args.model, args.out)
    onnx.save(new, os.path.join(args.out, "model.onnx"))
    export_path = os.path.join(args.model, "export.json")
    export = json.load(open(export_path)) if os.path.exists(export_path) else {}
    export["compact"] = {"from_sha256": sha256(src), "nodes_before": len(old.graph.node), "nodes_after": len(new.graph.node),
                         "matmul_nbits": n_mm, "note": "graph rewritten with onnxruntime's fused CPU ops by models/train/compact.py; weights unchanged"}
    with open(os.path.join(args.out, "export.json"), "w") as f:
        json.dump(export, f, indent=1)
    print(f"{src}: {len(old.graph.node)} nodes -> {len(new.graph.node)} ({n_mm} MatMulNBits, weights as they were): {args.out}/model.onnx")


if __name__ == "__main__":
    main()
