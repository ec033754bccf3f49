"""Write the model card (models/treasure/MODEL.json + MODEL.md) from recorded facts, never by hand.

    python3 models/train/card.py --model models/treasure --runs RUNS.json [--eval EVAL.json ...]
(without --eval: the evaluations listed in RUNS.json under "card_evals", repo-relative)

RUNS.json (results/runs.json) is the log of every training run, failed ones too; export.json comes
from export.py; eval files are the harness's JSON outputs (npm run eval -- --out FILE.json).
"""
import argparse
import json
import os


def load(path):
    with open(path) as f:
        return json.load(f)


def load_any(path):
    if path.endswith(".xz"):
        import lzma
        with lzma.open(path, "rt") as f:
            return json.load(f)
    return load(path)


def table(rows, headers):
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for r in rows:
        # None: not known (a lost run's figures that never came home)
        out.append("| " + " | ".join("–" if r.get(h) is None and h in r else str(r.get(h, "")) for h in headers) + " |")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--runs", required=True)
    ap.add_argument("--eval", nargs="*", default=None)
    args = ap.parse_args()
    runs = load(args.runs)
    config = load(os.path.join(args.model, "config.json"))
    export = load(os.path.join(args.model, "export.json"))
    # Each eval: the harness's JSON (per-problem records stay there, out of models/) and its Markdown
    # report beside it (FILE.md); the card keeps the run's meta and the report.
    evals = []
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    paths = args.eval if args.eval is not None else [os.path.join(root, p) for p in runs.get("card_evals", [])]
    for p in paths:
        e = load_any(p)
        base = p[:-3] if p.endswith(".xz") else p
        md_path = (base[:-5] if base.endswith(".json") else base) + ".md"
        evals.append({"file": os.path.relpath(os.path.abspath(p), root), "meta": e.get("meta"), "selfCheck": e.get("selfCheck"),
                      "markdown": e.get("markdown") or (open(md_path).read() if os.path.exists(md_path) else None)})
    shipped = next((r for r in runs["runs"] if r.get("shipped")), None)
    card = {
        "name": runs.get("name", "treasure"),
        "architecture": "decoder-only transformer, RMSNorm, rotary positions, SwiGLU, tied embeddings (models/train/model.py)",
        "config": config,
        "parameters": export.get("params"),
        "files": {f: os.path.getsize(os.path.join(args.model, f)) for f in sorted(os.listdir(args.model))},
        "export": export,
        "data": runs.get("data"),
        "runs": runs["runs"],
        "shipped_run": shipped and shipped["id"],
        "evaluation": evals,
        "quality_bars": runs.get("quality_bars"),
        "rebuild": runs.get("rebuild"),
    }
    # an eval's meta names the folders it ran with: repo-relative in the card (it travels with the repo)
    # (and where the results folder is now: test/eval/results/ moved to results/eval/)
    card["evaluation"] = json.loads(json.dumps(card["evaluation"]).replace(root + os.sep, "").replace("test/eval/results/", "results/eval/"))
    with open(os.path.join(args.model, "MODEL.json"), "w") as f:
        json.dump(card, f, indent=1)

    md = [f"# {card['name']} — model card", "",
          "A small code model trained with Treasure Hunt markers (../../README.md, ../../docs/CONTRACTS.md).", "",
          "## Model", "",
          f"- {card['architecture']}",
          f"- {config['n_layer']} layers, d_model {config['d_model']}, {config['n_head']} heads, context {config['context_length']}, vocabulary {config['vocab_size']}",
          f"- parameters: {card['parameters'] / 1e6:.1f}M" if card["parameters"] else "",
          f"- shipped files: " + ", ".join(f"{k} ({v / 2**20:.1f} MiB)" for k, v in card["files"].items()),
          f"- export: float32 ONNX vs PyTorch max |Δlogit| {export['fp32']['max_abs_logit_diff_prefill']:.2e}, greedy tokens equal: {export['fp32']['greedy_tokens_match']}",
          ]
    if "quantized" in export:
        q = export["quantized"]
        md.append(f"- quantization: {q['matmul']}, embedding {q['embedding']}; max |Δlogit| vs float {q['max_abs_logit_diff_prefill']:.3f}, "
                  f"greedy prefix equal for {q['greedy_match_prefix']}/24 tokens")
    md.append(f"- KV cache: kv_cache \"{config.get('kv_cache', 'present')}\" (docs/CONTRACTS.md)")
    if "recontract" in export:
        r = export["recontract"]
        md.append(f"- re-exported by models/train/recontract.py from {r['from']} (sha256 {r['sha256_old'][:12]}...): {r['note']}; "
                  f"{r['weights_reused']} 4-bit weights reused" + (f"; {r['checked']}" if r.get("checked") else ""))
    if "compute_level" in export:
        c = export["compute_level"]
        md.append(f"- MatMulNBits accuracy_level {c['level']} (models/train/compute_level.py, {c['nodes']} nodes, from sha256 {c['from_sha256'][:12]}...): {c['note']}")
    if "compact" in export:
        c = export["compact"]
        md.append(f"- graph compacted by models/train/compact.py (from sha256 {c['from_sha256'][:12]}...): {c['nodes_before']} -> {c['nodes_after']} nodes, "
                  f"{c['matmul_nbits']} MatMulNBits as they were; {c['note']}" + (f"; {c['checked']}" if c.get("checked") else ""))
    if export.get("lineage"):  # the runs these weights went through (train.py; a warm start's first entry is warmstart.py's)
        md.append(f"- lineage ({export.get('tokens_in_all', 0) / 1e6:.1f}M training tokens in all): " + " -> ".join(
            f"{x.get('run') or x.get('name') or x.get('from')} ({int(x.get('tokens') or 0) / 1e6:.1f}M tokens)" for x in export["lineage"]))
    md += ["", "## Data", "", runs.get("data", {}).get("summary", "see models/data/DATA.md"), "",
           "## Training runs (every run, failed ones too)", "",
           "`init`: the run or model a run started from (a warm start: the weights of that model, dequantized); `tokens_in_all`: its tokens plus those of its lineage.", "",
           table(runs["runs"], ["id", "phase", "variant", "init", "hardware", "minutes", "tokens", "tokens_in_all", "steps", "final_valid_loss", "status", "notes"]), ""]
    if runs.get("quality_bars"):
        md += ["## Quality bars (the model issue's)", "", table(runs["quality_bars"], ["bar", "status", "measured", "tried"]), ""]
    for e in evals:
        if e.get("markdown"):
            body = e["markdown"].replace("\n# ", "\n### ").lstrip("# ").split("\n", 1)
            rest = ("\n" + body[1]).replace("\n## ", "\n### ").lstrip("\n") if len(body) > 1 else ""
            md += [f"## Evaluation ({e['file']}): {body[0]}", "", rest, ""]
    if runs.get("rebuild"):
        md += ["## Rebuild", "", "```", *runs["rebuild"], "```", ""]
    with open(os.path.join(args.model, "MODEL.md"), "w") as f:
        f.write("\n".join(line for line in md if line is not None) + "\n")
    print(f"wrote {args.model}/MODEL.json and MODEL.md")


if __name__ == "__main__":
    main()
