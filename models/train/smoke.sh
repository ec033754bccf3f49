#!/usr/bin/env bash
# A tiny end-to-end run of the training path (data -> tokenizer -> pretrain -> finetune x2 -> export,
# and marker-tuning a Hugging Face checkpoint), on real code from the machine's Python standard library.
set -euo pipefail
S=${SMOKE_DIR:-/tmp/treasure-smoke}
T=models/train
rm -rf "$S"; mkdir -p "$S/data/corpus" "$S/data/tasks"
python3 - "$S/data" <<'PY'
import glob, json, lzma, os, random, sys, sysconfig
sys.path.insert(0, "models/train")
import markers as M
out = sys.argv[1]
files = sorted(glob.glob(os.path.join(sysconfig.get_paths()["stdlib"], "*.py")))[:200]
rng = random.Random(0)
for split, chunk in (("train", files[:160]), ("valid", files[160:180]), ("test", files[180:])):
    with lzma.open(f"{out}/corpus/{split}-00000.jsonl.xz", "wt") as f, lzma.open(f"{out}/tasks/{split}-00000.jsonl.xz", "wt") as g:
        for p in chunk:
            text = open(p, encoding="utf-8", errors="replace").read()[:20000]
            f.write(json.dumps({"text": text, "code_type": "python", "package": "stdlib", "path": p, "license": "PSF", "domain": "General", "quality_bucket": "2", "source_kind": "debian"}) + "\n")
            lines = text.splitlines()
            if len(lines) < 20:
                continue
            answer = "\n".join(lines[10:20])
            bug = answer.replace("==", "!=", 1)
            n = len(answer.splitlines())
            mk = {"task": "CodeGeneration", "code_type": "python", "domain": "General", "length_bucket": M.length_bucket(n), "length_lines": n, "quality_bucket": "2", "source": "Human"}
            g.write(json.dumps({"task": "CodeGeneration", "code": "\n".join(lines[:10]), "answer": answer, "markers": mk, "package": "stdlib", "split": split}) + "\n")
            if bug != answer:
                mk = dict(mk, task="CodeFix", error_type="operator_misuse", source="Synthetic")
                g.write(json.dumps({"task": "CodeFix", "code": bug, "answer": answer, "markers": mk, "package": "stdlib", "split": split}) + "\n")
PY
TINY='{"d_model":64,"n_layer":2,"n_head":4,"n_kv_head":2,"ffn_hidden":128,"vocab_size":2048}'
python3 $T/prepare.py tokenizer --data "$S/data" --out "$S/tok/tokenizer.json" --vocab 2048 --sample-mb 5
python3 $T/prepare.py corpus --data "$S/data" --tokenizer "$S/tok/tokenizer.json" --out "$S/tok" --context 256
python3 $T/prepare.py tasks --data "$S/data" --tokenizer "$S/tok/tokenizer.json" --out "$S/tok" --context 256
python3 $T/train.py --phase pretrain --data "$S/tok" --out "$S/base" --max-steps 30 --minutes 2 --batch 8 --context 256 --config "$TINY" --eval-every 15 --warmup-steps 5
python3 $T/train.py --phase pretrain --data "$S/tok" --out "$S/base" --resume --max-steps 40 --minutes 2 --batch 8 --context 256 --config "$TINY" --eval-every 15
for v in markers plain; do
  python3 $T/train.py --phase finetune --variant $v --data "$S/tok" --init "$S/base/model.pt" --out "$S/ft-$v" --max-steps 20 --batch 8 --context 256 --mix-corpus 0.2 --eval-every 10 --warmup-steps 5
done
python3 $T/export.py --ckpt "$S/ft-markers/model.pt" --tokenizer "$S/tok/tokenizer.json" --out "$S/export" --quantize --block-size 32
# The scale path: marker-tune a Hugging Face causal LM from local disk (here a tiny random Llama).
python3 - "$S" <<'PY'
import sys
from transformers import LlamaConfig, LlamaForCausalLM
from tokenizers import Tokenizer
S = sys.argv[1]
vocab = Tokenizer.from_file(f"{S}/tok/tokenizer.json").get_vocab_size()
cfg = LlamaConfig(vocab_size=vocab, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512)
LlamaForCausalLM(cfg).save_pretrained(f"{S}/hf-tiny")
PY
python3 $T/train.py --phase finetune --variant markers --data "$S/tok" --hf-init "$S/hf-tiny" --out "$S/ft-hf" --max-steps 10 --batch 4 --context 256 --eval-every 5 --warmup-steps 2
echo "SMOKE OK"
