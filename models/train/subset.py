"""A language-capped subset of the corpus build, small enough to carry to a GPU machine.

    python3 models/train/subset.py --corpus build/data/corpus --out build/select/corpus \
        --caps python=350,c=100,java=150,... [--default-cap 60] [--shard-mb 50]

Whole packages are kept or dropped (a package's hash against the language's kept fraction), so the
train/valid/test split by package survives; valid and test shards are copied whole. Caps are MB of
source text per language; a language under its cap is kept entirely. Deterministic.
"""
import argparse
import glob
import hashlib
import json
import lzma
import os
import shutil
import subprocess
import sys


def rows(path):
    with lzma.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield line


def keep_score(package):
    return int(hashlib.sha256(("select:" + package).encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


class ShardWriter:
    """xz shards of about shard_mb compressed MB (estimated from the text at ratio 0.2)."""

    def __init__(self, out, shard_mb):
        self.out, self.limit, self.n, self.proc, self.size = out, shard_mb * 1024 * 1024 / 0.2, 0, None, 0

    def write(self, line):
        if self.proc is None:
            self.path = os.path.join(self.out, f"train-{self.n:05d}.jsonl.xz")
            self.f = open(self.path + ".tmp", "wb")
            self.proc = subprocess.Popen(["xz", "-6", "-T2", "-c"], stdin=subprocess.PIPE, stdout=self.f)
        data = line.encode()
        self.proc.stdin.write(data)
        self.size += len(data)
        if self.size >= self.limit:
            self.close()

    def close(self):
        if self.proc is None:
            return
        self.proc.stdin.close()
        self.proc.wait()
        self.f.close()
        os.replace(self.path + ".tmp", self.path)
        print(f"wrote {self.path} ({os.path.getsize(self.path) / 2**20:.1f} MiB)", flush=True)
        self.proc, self.size, self.n = None, 0, self.n + 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--caps", default="")
    ap.add_argument("--default-cap", type=float, default=60)
    ap.add_argument("--shard-mb", type=float, default=50)
    a = ap.parse_args()
    caps = {k: float(v) for k, v in (kv.split("=") for kv in a.caps.split(",") if kv)}
    train = sorted(glob.glob(os.path.join(a.corpus, "train-*.jsonl.xz")))
    # Pass 1: MB per language, to turn caps into kept fractions.
    total = {}
    for p in train:
        for line in rows(p):
            r = json.loads(line)
            total[r["code_type"]] = total.get(r["code_type"], 0) + len(r["text"]) / 1e6
    frac = {k: min(1.0, caps.get(k, a.default_cap) / v) for k, v in total.items()}
    os.makedirs(a.out, exist_ok=True)
    w = ShardWriter(a.out, a.shard_mb)
    kept = {}
    for p in train:
        for line in rows(p):
            r = json.loads(line)
            if keep_score(r["package"]) < frac[r["code_type"]]:
                w.write(line)
                kept[r["code_type"]] = kept.get(r["code_type"], 0) + len(r["text"]) / 1e6
    w.close()
    for p in glob.glob(os.path.join(a.corpus, "valid-*.jsonl.xz")) + glob.glob(os.path.join(a.corpus, "test-*.jsonl.xz")):
        shutil.copy(p, a.out)
    summary = {"caps_mb": caps, "default_cap_mb": a.default_cap, "total_mb": {k: round(v, 1) for k, v in sorted(total.items())},
               "kept_mb": {k: round(v, 1) for k, v in sorted(kept.items())}, "kept_total_mb": round(sum(kept.values()), 1)}
    with open(os.path.join(a.out, "selection.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(json.dumps(summary), file=sys.stderr)


if __name__ == "__main__":
    main()
