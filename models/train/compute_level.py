"""Set how onnxruntime computes the 4-bit MatMulNBits of a model folder: the weights stay bit for bit, only
the nodes' accuracy_level attribute changes (0 or 1: float32 activations; 4: the activations quantized to
int8 per block on the fly, int8 dot products: AVX512-VNNI / AVX-VNNI on x86, i8mm on ARM).

    python3 models/train/compute_level.py --model DIR --out NEW_DIR --level 4

Why: on CPU a decoding step is matrix-vector work over 4-bit weights; with int8 activations MLAS uses its
integer kernels (measured on the 2-core VM: eval/README.md, "How long a full run takes"). The cost is
a small change in the logits, measured end to end with the HumanEvalFix suite before a model ships with it.
Needs onnx only.
"""
import argparse
import json
import os
import shutil
import sys

import onnx
from onnx import helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from carry import sha256  # noqa: E402


def copy_beside(src, dst):
    """A new model folder: the files beside model.onnx (config, tokenizer) copied; the graph, its export
    report and the card are the caller's to write."""
    os.makedirs(dst, exist_ok=True)
    for f in os.listdir(src):
        if f not in ("model.onnx", "export.json", "MODEL.json", "MODEL.md") and os.path.isfile(os.path.join(src, f)):
            shutil.copy2(os.path.join(src, f), os.path.join(dst, f))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--level", type=int, choices=[0, 1, 2, 3, 4], required=True)
    args = ap.parse_args()
    src = os.path.join(args.model, "model.onnx")
    model = onnx.load(src)
    n = 0
    for node in model.graph.node:
        if node.op_type != "MatMulNBits":
            continue
        for a in [a for a in node.attribute if a.name == "accuracy_level"]:
            node.attribute.remove(a)
        node.attribute.append(helper.make_attribute("accuracy_level", args.level))
        n += 1
    if n == 0:
        raise SystemExit(f"{src} has no MatMulNBits node: nothing to set")
    copy_beside(args.model, args.out)
    onnx.save(model, os.path.join(args.out, "model.onnx"))
    with open(os.path.join(args.model, "export.json")) as f:
        export = json.load(f)
    export.setdefault("quantized", {})["accuracy_level"] = args.level
    export["compute_level"] = {"from_sha256": sha256(src), "nodes": n, "level": args.level,
                               "note": "accuracy_level set by models/train/compute_level.py; weights unchanged"}
    with open(os.path.join(args.out, "export.json"), "w") as f:
        json.dump(export, f, indent=1)
    print(f"{n} MatMulNBits nodes -> accuracy_level {args.level}: {args.out}/model.onnx")


if __name__ == "__main__":
    main()
