"""Tokenizer training and tokenization of the data build (build/data, see docs/CONTRACTS.md).

    python3 models/train/prepare.py tokenizer --data DIR --out tokenizer.json [--vocab 16384] [--sample-mb 200]
    python3 models/train/prepare.py corpus    --data DIR --tokenizer tokenizer.json --out DIR
    python3 models/train/prepare.py tasks     --data DIR --tokenizer tokenizer.json --out DIR [--seed 1234] [--drop-error-types none] [--drop-origins exec]
    python3 models/train/prepare.py sample    --data DIR --out DIR --max-train N --fix-share F --lang-alpha A --max-valid M

Outputs (numpy):
  corpus: {split}.bin      uint16 stream of "<|file|>" + text + "<|end|>" documents
  tasks:  {split}-{variant}.tokens uint16 [N, ctx] rows + {split}-{variant}.mask uint8 [N, ctx]
          (variant "markers": Treasure Hunt layout with prompt-side dropout; "plain": the no-marker
          baseline on the same examples). Loss is on the completion only (mask = 1).
"""
import argparse
import glob
import hashlib
import json
import lzma
import os
import random
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import markers as M  # noqa: E402


def read_jsonl_xz(pattern):
    for path in sorted(glob.glob(pattern)):
        with lzma.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    yield json.loads(line)


def package_bucket(package):
    return int(hashlib.sha256(package.encode()).hexdigest()[:8], 16) % 100


def split_rows(data, kind, split):
    """Rows of one split. A build that wrote only train shards (an early, partial build) is split
    here by package: bucket 0 is valid, bucket 1 test, the rest train — never by file."""
    if glob.glob(os.path.join(data, kind, "valid-*.jsonl.xz")):
        yield from read_jsonl_xz(os.path.join(data, kind, f"{split}-*.jsonl.xz"))
        return
    want = {"valid": {0}, "test": {1}}.get(split)
    for r in read_jsonl_xz(os.path.join(data, kind, "train-*.jsonl.xz")):
        b = package_bucket(r.get("package", ""))
        if (want is None and b > 1) or (want is not None and b in want):
            yield r


def train_tokenizer(args):
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers

    budget = args.sample_mb * 1024 * 1024

    def texts():
        used = 0
        # Every language and the task answers take part, so markers, values and prompts tokenize well.
        rows = list(split_rows(args.data, "corpus", "train"))
        random.Random(0).shuffle(rows)
        for r in rows:
            if used > budget:
                break
            used += len(r["text"])
            yield r["text"]
        for i, ex in enumerate(split_rows(args.data, "tasks", "train")):
            if i >= 20000:
                break
            p, c = M.render(ex)
            yield p + c

    tags = M.tags()
    specials = M.special_tokens()
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=args.vocab - len(tags),
        min_frequency=2,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    t0 = time.time()
    tok.train_from_iterator(texts(), trainer)
    # Marker tags are ordinary (non-special) tokens: they are written by the model and decoded as text.
    tok.add_tokens([AddedToken(t, normalized=False, special=False, single_word=False) for t in tags])
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    tok.save(args.out)
    print(f"tokenizer: {tok.get_vocab_size()} entries in {time.time() - t0:.0f}s -> {args.out}")


def load_tokenizer(path, out_dir):
    """Loads a tokenizer; a foreign one (a Hugging Face base model's) gets our format tokens and marker
    tags added. The tokenizer used is saved beside the tokens, so training and export use the same."""
    from tokenizers import AddedToken, Tokenizer

    tok = Tokenizer.from_file(path)
    missing = [t for t in M.special_tokens() + M.tags() if tok.token_to_id(t) is None]
    if missing:
        tok.add_tokens([AddedToken(t, normalized=False, special=False) for t in missing])
        print(f"added {len(missing)} format/marker tokens to {path}")
    os.makedirs(out_dir, exist_ok=True)
    tok.save(os.path.join(out_dir, "tokenizer.json"))
    return tok


def tokenize_corpus(args):
    tok = load_tokenizer(args.tokenizer, args.out)
    for split in ("train", "valid", "test"):
        rows = split_rows(args.data, "corpus", split)
        out_path = os.path.join(args.out, f"{split}.bin")
        n_tok = n_doc = 0
        t0 = time.time()
        with open(out_path + ".tmp", "wb") as f:
            batch = []
            for r in rows:
                batch.append(M.file_text(r["text"]))
                if len(batch) == 2048:
                    n_tok += write_ids(f, tok.encode_batch(batch))
                    n_doc += len(batch)
                    batch = []
            if batch:
                n_tok += write_ids(f, tok.encode_batch(batch))
                n_doc += len(batch)
        os.replace(out_path + ".tmp", out_path)
        print(f"corpus {split}: {n_doc} files, {n_tok} tokens in {time.time() - t0:.0f}s")


def write_ids(f, encodings):
    n = 0
    for e in encodings:
        a = np.asarray(e.ids, dtype=np.uint16)
        f.write(a.tobytes())
        n += len(a)
    return n


def encode_ids(tok, texts, chunk=20000):
    """Token ids as uint16 arrays, encoded in chunks: a tokenizers Encoding is large (offsets, strings),
    and a million of them at once ran a 128 GB machine out of memory."""
    out = []
    for i in range(0, len(texts), chunk):
        out.extend(np.asarray(e.ids, dtype=np.uint16) for e in tok.encode_batch(texts[i:i + chunk]))
    return out


def take(examples, k, alpha):
    """k of the (shuffled) examples. alpha > 0: languages (code_type) in proportion to count**alpha, as in
    multilingual sampling: the rare languages get a larger share than their natural one (alpha 1), a language
    with too few examples gives all it has and the rest goes to the others."""
    if alpha <= 0 or len(examples) <= k:
        return examples[:k]
    by_lang = {}
    for ex in examples:
        by_lang.setdefault(ex["markers"].get("code_type", "?"), []).append(ex)
    quota, left, open_ = {}, k, dict(by_lang)
    while open_ and left > 0:
        weight = {l: len(xs) ** alpha for l, xs in open_.items()}
        total = sum(weight.values())
        full = {l for l, xs in open_.items() if len(xs) - quota.get(l, 0) <= left * weight[l] / total}
        if not full:  # every open language can give its share
            for l in open_:
                quota[l] = quota.get(l, 0) + int(left * weight[l] / total)
            break
        for l in full:  # these give all they have; share the rest among the others
            left -= len(open_[l]) - quota.get(l, 0)
            quota[l] = len(open_[l])
            del open_[l]
    out = [ex for l, xs in by_lang.items() for ex in xs[:quota.get(l, 0)]]
    print("  sample by language: " + ", ".join(f"{l} {quota.get(l, 0)}/{len(xs)}" for l, xs in sorted(by_lang.items(), key=lambda x: -len(x[1]))))
    return out


def sample_tasks(args):
    """A sample of a tasks build small enough to carry (the GPU machine then tokenizes all of it): up to
    --max-train training examples with CodeFix at --fix-share, languages by --lang-alpha (as tokenize_tasks
    draws them), up to --max-valid validation examples; written as a tasks build, OUT/tasks/{split}-00000.jsonl.xz."""
    os.makedirs(os.path.join(args.out, "tasks"), exist_ok=True)
    for split, cap in (("train", args.max_train), ("valid", args.max_valid)):
        examples = list(split_rows(args.data, "tasks", split))
        random.Random(args.seed).shuffle(examples)
        if cap and len(examples) > cap:
            fix = take([ex for ex in examples if ex["task"] == "CodeFix"], int(args.fix_share * cap), args.lang_alpha) if args.fix_share else []
            rest = take([ex for ex in examples if not (args.fix_share and ex["task"] == "CodeFix")], cap - len(fix), args.lang_alpha)
            examples = fix + rest
            random.Random(args.seed + 1).shuffle(examples)
        path = os.path.join(args.out, "tasks", f"{split}-00000.jsonl.xz")
        with lzma.open(path, "wt", encoding="utf-8", preset=6) as f:
            for ex in examples:
                f.write(json.dumps(ex, ensure_ascii=False) + "\n")
        counts = {}
        for ex in examples:
            k = ex["task"] + ("/" + ex["markers"].get("error_type", "") if ex["task"] == "CodeFix" else "")
            counts[k] = counts.get(k, 0) + 1
        print(f"sample {split}: {len(examples)} examples -> {path} ({os.path.getsize(path) / 2**20:.1f} MiB): {json.dumps(dict(sorted(counts.items())))}")


def tokenize_tasks(args):
    tok = load_tokenizer(args.tokenizer, args.out)
    ctx = args.context
    pad = tok.token_to_id("<|pad|>")
    os.makedirs(args.out, exist_ok=True)
    stats = {}
    for split in ("train", "valid", "test"):
        examples = list(split_rows(args.data, "tasks", split))
        if args.drop_error_types:  # e.g. "none": the same data without its no-fix examples (a control run)
            drop = set(args.drop_error_types.split(","))
            examples = [ex for ex in examples if ex["markers"].get("error_type") not in drop]
        if args.drop_origins:  # e.g. "exec": the same data without its failure-conditioned examples (a control run)
            drop = set(args.drop_origins.split(","))
            examples = [ex for ex in examples if ex.get("origin") not in drop]
        random.Random(args.seed).shuffle(examples)
        if split == "train" and args.max_train and len(examples) > args.max_train:
            # A fine-tune sees only so many tokens: a random sample, the same for both variants, with
            # CodeFix (the product's task) at --fix-share of it when the data has that many.
            fix = take([ex for ex in examples if ex["task"] == "CodeFix"], int(args.fix_share * args.max_train), args.lang_alpha) if args.fix_share else []
            rest = take([ex for ex in examples if not (args.fix_share and ex["task"] == "CodeFix")], args.max_train - len(fix), args.lang_alpha)
            examples = fix + rest
            random.Random(args.seed + 1).shuffle(examples)
            print(f"tasks train sample: {len(examples)} examples, {sum(ex['task'] == 'CodeFix' for ex in examples)} CodeFix")
        # length_tokens describes the answer under this tokenizer, so it is filled in here.
        for ex, ids in zip(examples, encode_ids(tok, [ex["answer"] for ex in examples])):
            ex["markers"]["length_tokens"] = max(1, len(ids))
        for variant in args.variants.split(","):
            rng = random.Random(args.seed)
            pairs = [M.render(ex, rng=rng, use_markers=(variant == "markers")) for ex in examples]
            prompts = encode_ids(tok, [p for p, _ in pairs])
            completions = encode_ids(tok, [c for _, c in pairs])
            del pairs
            # Greedy packing: examples never cross a row; the rest of a row is padding without loss.
            lengths = [len(pe) + len(ce) for pe, ce in zip(prompts, completions)]
            place, n_rows, used, dropped = [], 0, ctx, 0
            for n in lengths:
                if n > ctx:
                    place.append(None)
                    dropped += 1
                    continue
                if used + n > ctx:
                    n_rows += 1
                    used = 0
                place.append((n_rows - 1, used))
                used += n
            tokens = np.full((n_rows, ctx), pad, dtype=np.uint16)
            loss = np.zeros((n_rows, ctx), dtype=np.uint8)
            for pe, ce, at in zip(prompts, completions, place):
                if at is None:
                    continue
                r, c = at
                np_ = len(pe)
                nc = len(ce)
                tokens[r, c:c + np_] = pe
                tokens[r, c + np_:c + np_ + nc] = ce
                loss[r, c + np_:c + np_ + nc] = 1
            base = os.path.join(args.out, f"{split}-{variant}")
            tokens.tofile(base + ".tokens")
            loss.tofile(base + ".mask")
            stats[f"{split}-{variant}"] = {"examples": len(examples) - dropped, "dropped_too_long": dropped, "rows": n_rows}
            print(f"tasks {split}/{variant}: {len(examples) - dropped} examples ({dropped} too long) in {n_rows} rows")
        if split == "test":
            # The held-out examples with their tokenizer-filled markers, for the marker-accuracy suite.
            with lzma.open(os.path.join(args.out, "test-examples.jsonl.xz"), "wt", encoding="utf-8") as f:
                for ex in examples:
                    f.write(json.dumps(ex) + "\n")
    with open(os.path.join(args.out, "tasks-stats.json"), "w") as f:
        json.dump(stats, f, indent=1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["tokenizer", "corpus", "tasks", "sample"])
    ap.add_argument("--data", required=True)
    ap.add_argument("--tokenizer")
    ap.add_argument("--out", required=True)
    ap.add_argument("--vocab", type=int, default=16384)
    ap.add_argument("--sample-mb", type=int, default=200)
    ap.add_argument("--context", type=int, default=2048)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--max-train", type=int, default=0, help="tasks: use at most N training examples (0: all)")
    ap.add_argument("--fix-share", type=float, default=0, help="tasks: CodeFix share of the --max-train sample (0: as in the data)")
    ap.add_argument("--lang-alpha", type=float, default=0, help="tasks: languages in the --max-train sample in proportion to count**alpha (0: as in the data)")
    ap.add_argument("--variants", default="markers,plain", help="tasks: the layouts to write (a run of one variant needs only its own)")
    ap.add_argument("--max-valid", type=int, default=0, help="sample: at most N validation examples (0: all)")
    ap.add_argument("--drop-origins", default="", help="tasks: leave out examples of these origins (comma-separated; exec: models/data/failcond)")
    ap.add_argument("--drop-error-types", default="", help="tasks: leave out CodeFix examples of these error_type values (comma-separated)")
    args = ap.parse_args()
    {"tokenizer": train_tokenizer, "corpus": tokenize_corpus, "tasks": tokenize_tasks, "sample": sample_tasks}[args.cmd](args)


if __name__ == "__main__":
    main()
