"""Export a trained model to ONNX with a KV cache the runtime keeps (I/O in docs/CONTRACTS.md, kv_cache
"caller"), check it, quantize it.

    python3 export.py --ckpt RUN/model.pt --tokenizer TOK/tokenizer.json --out DIR [--quantize]

Writes DIR/model.onnx (float32; or, with --quantize, 4-bit MatMulNBits weights and an int8 embedding
table), DIR/tokenizer.json, DIR/config.json and DIR/export.json (parity figures). Parity: ONNX Runtime
(CPU) against PyTorch on a prefill plus decode steps; greedy tokens must match.
"""
import argparse
import copy
import json
import os
import shutil
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import Config, Transformer, causal_bias  # noqa: E402


class Int8Embedding(nn.Module):
    """Row-wise symmetric int8 embedding: Gather + Cast + Mul, plain ONNX ops every provider runs."""

    def __init__(self, weight):
        super().__init__()
        scale = weight.abs().amax(dim=1, keepdim=True).clamp(min=1e-8) / 127.0
        self.register_buffer("q", torch.round(weight / scale).to(torch.int8))
        self.register_buffer("scale", scale.squeeze(1).float())

    def forward(self, ids):
        return F.embedding(ids, self.q).float() * F.embedding(ids, self.scale.unsqueeze(1))


class StepModule(nn.Module):
    """ONNX-facing wrapper: flat past/new tensors, names as in the contract."""

    def __init__(self, model, all_logits):
        super().__init__()
        self.model, self.all_logits = model, all_logits

    def forward(self, input_ids, position_ids, attention_bias, *past_flat):
        past = [(past_flat[2 * i], past_flat[2 * i + 1]) for i in range(len(past_flat) // 2)]
        logits, news = self.model.step(input_ids, position_ids, past, attention_bias, all_logits=self.all_logits)
        flat = [t for kv in news for t in kv]
        return (logits, *flat)


def load(ckpt_path):
    ck = torch.load(ckpt_path, map_location="cpu")
    cfg = Config(**{k: v for k, v in ck["config"].items() if k in Config.__dataclass_fields__})
    model = Transformer(cfg)
    model.load_state_dict(ck["model"])
    return model.float().eval(), cfg, ck


def names(cfg):
    past = [f"past_key_values.{i}.{kv}" for i in range(cfg.n_layer) for kv in ("key", "value")]
    new = [f"new_key_values.{i}.{kv}" for i in range(cfg.n_layer) for kv in ("key", "value")]
    return past, new


def export_onnx(model, cfg, path, int8_embedding, all_logits=True):
    """all_logits: every input position's logits [1, T, vocab] (the contract since 2026-11-22); False
    gives the older last-position output, kept for the runtime's test of such models."""
    if int8_embedding:
        # Untie first: the output projection keeps the float weight (quantized to 4-bit later).
        model.lm_head.weight = nn.Parameter(model.embed.weight.detach().clone())
        model.embed = Int8Embedding(model.embed.weight.detach())
    wrapper = StepModule(model, all_logits).eval()
    past_names, new_names = names(cfg)
    # Traced with B=2 rows, S=5 cache slots (3 in use), T=2 new tokens, so no size is taken for a constant.
    B, S, P, T = 2, 5, 3, 2
    ids = torch.randint(0, cfg.vocab_size, (B, T))
    pos = torch.arange(P, P + T).unsqueeze(0).expand(B, T).contiguous()
    bias = causal_bias(P, T, S).expand(B, 1, T, S + T).contiguous()
    past = [torch.zeros(B, cfg.n_kv_head, S, cfg.head_dim) for _ in past_names]
    axes = {"input_ids": {0: "B", 1: "T"}, "position_ids": {0: "B", 1: "T"}, "attention_bias": {0: "B", 2: "T", 3: "S_plus_T"},
            "logits": {0: "B", 1: "T"} if all_logits else {0: "B"}}
    axes.update({n: {0: "B", 2: "S"} for n in past_names})
    axes.update({n: {0: "B", 2: "T"} for n in new_names})
    kwargs = dict(input_names=["input_ids", "position_ids", "attention_bias", *past_names], output_names=["logits", *new_names],
                  dynamic_axes=axes, opset_version=17, do_constant_folding=True)
    if "dynamo" in torch.onnx.export.__code__.co_varnames:
        kwargs["dynamo"] = False  # the TorchScript exporter: plain ops, stable names
    with torch.no_grad():
        torch.onnx.export(wrapper, (ids, pos, bias, *past), path, **kwargs)


def write_config(cfg, out_dir):
    """config.json, what the runtime reads beside model.onnx (docs/CONTRACTS.md)."""
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump({"n_layer": cfg.n_layer, "n_head": cfg.n_head, "n_kv_head": cfg.n_kv_head, "head_dim": cfg.head_dim,
                   "d_model": cfg.d_model, "vocab_size": cfg.vocab_size, "context_length": cfg.context_length,
                   "eos_token": "<|end|>", "dtype": "float32", "kv_cache": "caller"}, f, indent=1)


def quantize_4bit(src, dst, block_size, accuracy_level=None):
    import onnx
    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

    model = onnx.load(src)
    # accuracy_level 4: int8 activations on CPU (models/train/compute_level.py says why); None: the default
    q = MatMulNBitsQuantizer(model, block_size=block_size, is_symmetric=True, accuracy_level=accuracy_level)
    q.process()
    q.model.save_model_to_file(dst, use_external_data_format=False)


def greedy(step, cfg, prompt_ids, n_new):
    """Greedy decoding the way the runtime does it: a cache buffer of slots the model only reads, the
    new positions' k, v written into it after each step. step(ids, pos, bias, past) -> (logits [1, T, V],
    news). Returns the tokens, the prefill's last logits and seconds per step."""
    S = len(prompt_ids) + n_new
    cache = [np.zeros((1, cfg.n_kv_head, S, cfg.head_dim), np.float32) for _ in range(2 * cfg.n_layer)]
    ids, out, first_logits, length = list(prompt_ids), [], None, 0
    t0 = time.time()
    for _ in range(n_new):
        T = len(ids)
        pos = np.arange(length, length + T, dtype=np.int64)[None]
        bias = causal_bias(length, T, S).numpy()
        logits, news = step(np.array([ids], np.int64), pos, bias, cache)
        for c, n in zip(cache, news):
            c[:, :, length:length + T] = n
        length += T
        last = logits[:, -1, :]
        if first_logits is None:
            first_logits = last
        ids = [int(last.argmax(-1)[0])]
        out.append(ids[0])
    return out, first_logits, (time.time() - t0) / n_new


def torch_greedy(model, cfg, prompt_ids, n_new):
    def step(ids, pos, bias, cache):
        past = [(torch.from_numpy(cache[2 * i]), torch.from_numpy(cache[2 * i + 1])) for i in range(cfg.n_layer)]
        with torch.no_grad():
            logits, news = model.step(torch.from_numpy(ids), torch.from_numpy(pos), past, torch.from_numpy(bias), all_logits=True)
        return logits.numpy(), [t.numpy() for kv in news for t in kv]
    out, first, _ = greedy(step, cfg, prompt_ids, n_new)
    return out, first


def ort_greedy(path, cfg, prompt_ids, n_new):
    import onnxruntime as ort

    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    past_names, _ = names(cfg)

    def step(ids, pos, bias, cache):
        res = sess.run(None, {"input_ids": ids, "position_ids": pos, "attention_bias": bias, **dict(zip(past_names, cache))})
        return res[0], res[1:]
    return greedy(step, cfg, prompt_ids, n_new)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--quantize", action="store_true")
    ap.add_argument("--block-size", type=int, default=32)
    ap.add_argument("--keep-fp32", action="store_true", help="keep model.fp32.onnx beside the quantized model")
    ap.add_argument("--accuracy-level", type=int, default=None, help="MatMulNBits accuracy_level (4: int8 activations on CPU)")
    ap.add_argument("--prompt", default="<|prompt|>Fix the bug in this code.\ndef add(a, b):\n    return a - b\n<|completion|>")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    model, cfg, ck = load(args.ckpt)
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(args.tokenizer)
    prompt_ids = tok.encode(args.prompt).ids
    ref_tokens, ref_logits = torch_greedy(model, cfg, prompt_ids, 24)

    # 1. float32 export: must reproduce PyTorch (parity).
    fp32_path = os.path.join(args.out, "model.fp32.onnx")
    export_onnx(copy.deepcopy(model), cfg, fp32_path, int8_embedding=False)
    tokens, logits, sec = ort_greedy(fp32_path, cfg, prompt_ids, 24)
    report = {
        "params": sum(p.numel() for p in model.parameters()),
        "fp32": {"max_abs_logit_diff_prefill": float(np.abs(logits - ref_logits).max()),
                 "greedy_tokens_match": tokens == ref_tokens, "ort_cpu_ms_per_token": round(sec * 1000, 2),
                 "bytes": os.path.getsize(fp32_path)},
        "greedy_text_torch": tok.decode(ref_tokens, skip_special_tokens=False),
    }
    final = os.path.join(args.out, "model.onnx")
    if args.quantize:
        # 2. shipped export: int8 embedding table + 4-bit MatMulNBits weights (quality is measured by the eval).
        tmp = os.path.join(args.out, "model.int8emb.onnx")
        export_onnx(copy.deepcopy(model), cfg, tmp, int8_embedding=True)
        quantize_4bit(tmp, final, args.block_size, args.accuracy_level)
        os.remove(tmp)
        tokens, logits, sec = ort_greedy(final, cfg, prompt_ids, 24)
        report["quantized"] = {"matmul": f"MatMulNBits 4-bit symmetric, block {args.block_size}", "embedding": "int8 per row",
                               "max_abs_logit_diff_prefill": float(np.abs(logits - ref_logits).max()),
                               "greedy_match_prefix": next((i for i, (a, b) in enumerate(zip(tokens, ref_tokens)) if a != b), len(tokens)),
                               "ort_cpu_ms_per_token": round(sec * 1000, 2), "bytes": os.path.getsize(final)}
        if args.accuracy_level is not None:
            report["quantized"]["accuracy_level"] = args.accuracy_level
        if not args.keep_fp32:
            os.remove(fp32_path)
    else:
        os.replace(fp32_path, final)
    if ck.get("lineage"):  # the runs these weights went through (train.py), for the card
        report["lineage"] = ck["lineage"]
        report["tokens_in_all"] = sum(int(x.get("tokens") or 0) for x in ck["lineage"])
    shutil.copy(args.tokenizer, os.path.join(args.out, "tokenizer.json"))
    write_config(cfg, args.out)
    with open(os.path.join(args.out, "export.json"), "w") as f:
        json.dump(report, f, indent=1)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
