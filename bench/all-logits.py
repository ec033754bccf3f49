"""A copy of a model exported before 2026-11-22 (logits [1, vocab], the last position only) that
returns the logits of every input position ([1, T, vocab]), as the current export does, without the
PyTorch checkpoint: the graph's last-position Gather before the final norm is removed. For measuring
speculative decoding on the shipped model (bench/decode.ts) until a model is re-exported.

    /usr/bin/python3 bench/all-logits.py --model models/treasure --out build/treasure-all-logits

Writes OUT/model.onnx and copies config.json and tokenizer.json. Needs the onnx package only.
"""
import argparse
import os
import shutil

import onnx
from onnx import helper


def all_logits(model):
    g = model.graph
    producer = {o: n for n in g.node for o in n.output}
    consumers = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    # Walk back from `logits` through single-input elementwise/norm ops to the Gather that takes the
    # last position (axis 1) of the final hidden state.
    seen, stack, gather = set(), ["logits"], None
    while stack and gather is None:
        name = stack.pop()
        n = producer.get(name)
        if n is None or n.name in seen:
            continue
        seen.add(n.name)
        if n.op_type == "Gather" and any(a.name == "axis" and helper.get_attribute_value(a) == 1 for a in n.attribute):
            gather = n
            break
        stack.extend(n.input)
    if gather is None:
        raise SystemExit("no last-position Gather(axis=1) before logits: the model already returns every position, or its graph is not the Treasure export")
    src, dst = gather.input[0], gather.output[0]
    for c in consumers.get(dst, []):
        for k, i in enumerate(c.input):
            if i == dst:
                c.input[k] = src
    g.node.remove(gather)
    out = next(o for o in g.output if o.name == "logits")
    vocab = out.type.tensor_type.shape.dim[-1].dim_value
    del out.type.tensor_type.shape.dim[:]
    for d in (1, "T", vocab):
        dim = out.type.tensor_type.shape.dim.add()
        if isinstance(d, str):
            dim.dim_param = d
        else:
            dim.dim_value = d
    # Intermediate shapes inferred for the old graph are stale now.
    keep = [v for v in g.value_info if v.name not in seen]
    del g.value_info[:]
    g.value_info.extend(keep)
    return model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    m = onnx.load(os.path.join(args.model, "model.onnx"))
    onnx.save(all_logits(m), os.path.join(args.out, "model.onnx"))
    for f in ("config.json", "tokenizer.json"):
        shutil.copy(os.path.join(args.model, f), os.path.join(args.out, f))
    print(f"{args.out}/model.onnx: logits [1, T, vocab]")


if __name__ == "__main__":
    main()
