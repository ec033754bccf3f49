"""The ranking fine-tune (issue 28): teach the model to score the true fix above the other candidates the
product proposes, with the very score the product ranks by.

The tested path proposes many single edits of a buggy function (repair/propose-semantic.ts) and asks the
model which one is the fix: each candidate's edit window (its first changed line to one line past its last,
as the CodeFix answer after the prompt) scored by log-probability, minus the original's over the same lines
(repair/rank.ts lineEditPlan / scoreLineEdits). models/data/ranking/build.ts writes examples as exactly
those token ids: a corpus function with a slip made by one of the operators, the candidate that restores it
(doc 0) and K other candidates. The loss is the listwise cross-entropy of doc 0 among the example's scores,
plus --lm-weight times the true fix's own window loss (per token), so that the model keeps writing fixes.

    python3 rank_train.py --init base.pt --train train.jsonl.xz --valid valid.jsonl.xz --hef hef.jsonl.xz \
        --out DIR --steps 1200 [--eval-only] [--minutes 8] [--cheap]

--cheap (the syntax search's data, models/data/ranking/syntax.ts): the product ranks by the model's score
plus cheap terms (repair/syntax.ts rankAccepted), and asks the model only about the candidates near the
cheap leader; the loss is then the listwise cross-entropy of that total among those candidates, so the
model learns only what the cheap terms get wrong.

--hef: the evaluation's ranking dump of HumanEvalFix (npm run eval -- --suite ranking --score none --dump F):
top-1 / top-5 / MRR of the true fix by the model's score and by model + prior (the product's order), per
language, before and after. Writes DIR/model.pt (train.py's format: export.py reads it), DIR/rank.json.
"""
import argparse
import json
import lzma
import math
import os
import random
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import Config, Transformer  # noqa: E402
from train import autocast  # noqa: E402

SEMANTIC_PRIOR_WEIGHT = 1.0  # language-server/src/repair/semantic.ts
HEF_SELECT_BELOW = 82  # HumanEvalFix problems 0-81: the half a checkpoint may be chosen on


def read_jsonl(path):
    if not path:
        return []
    opener = lzma.open if path.endswith(".xz") else open
    with opener(path, "rt") as f:
        return [json.loads(line) for line in f if line.strip()]


def sequences_of(ex):
    """The example's (ids, window start, window length) per answer and base, and per doc its (answer, base) row.
    Both example layouts: the fine-tune's (one prefix, each group's length) and the dump's (a prefix per group)."""
    seqs, docs = [], {}
    for g in ex["groups"]:
        prefix = g["prefix"] if "prefix" in g else ex["prefix"][: g["plen"]]
        first = len(seqs)
        for w in g["answers"] + g["bases"]:
            seqs.append((prefix + w, len(prefix), len(w)))
        n_ans = len(g["answers"])
        for m in g["members"]:
            doc, a, b = (m["doc"], m["answer"], m["base"]) if isinstance(m, dict) else m
            docs[doc] = (first + a, first + n_ans + b)
    return seqs, docs


def with_offsets(ex):
    """--cheap: the example as the product ranks it, the model's score added to each doc's cheap terms
    (syntax search: repair/syntax.ts rankAccepted), among the docs the product's model reads; None when the
    model could not change the outcome there (doc 0 not read, or read alone)."""
    asked, cheap = ex.get("modelAsked"), ex.get("cheap")
    if not asked or not cheap:
        return None
    keep = [d for d in range(len(cheap)) if asked[d] and cheap[d] is not None]
    if not keep or keep[0] != 0 or len(keep) < 2:
        return None
    g = ex["groups"][0]
    if len(ex["groups"]) != 1 or len(g["bases"]) != 1:
        return None  # the syntax layout only: one group, one shared base
    answers = [g["answers"][d] for d in keep]
    out = dict(ex)
    out["groups"] = [{**g, "answers": answers, "members": [[i, i, 0] for i in range(len(keep))]}]
    out["offsets"] = [cheap[d] for d in keep]
    return out


def offsets_of(ex, device):
    """Per doc the value the model's score is added to (0 without --cheap)."""
    o = ex.get("offsets")
    return None if o is None else torch.tensor(o, dtype=torch.float32, device=device)


def window_logprobs(model, seqs, device, max_len):
    """Sum of log-probabilities of each sequence's window tokens (the logits only where a window is read)."""
    T = min(max_len, max(len(s) for s, _, _ in seqs))
    B = len(seqs)
    idx = torch.zeros(B, T, dtype=torch.long)
    rows, cols, tgt = [], [], []
    for i, (s, start, n) in enumerate(seqs):
        cut = len(s) - T if len(s) > T else 0  # too long: keep the end (the window), lose the prompt's start
        s = s[cut:]
        start -= cut
        idx[i, : len(s)] = torch.tensor(s)
        for p in range(max(start, 1), start + n):
            rows.append(i)
            cols.append(p - 1)
            tgt.append(s[p])
    with autocast(device):
        h = model.hidden(idx.to(device))[torch.tensor(rows, device=device), torch.tensor(cols, device=device)]
        logits = model.lm_head(h).float()
    lp = torch.log_softmax(logits, -1).gather(1, torch.tensor(tgt, device=device).unsqueeze(1)).squeeze(1)
    sums = torch.zeros(B, device=device).index_add(0, torch.tensor(rows, device=device), lp)
    return sums


def doc_scores(model, ex, device, max_len, token_budget=60000):
    """Every doc's score as the product computes it (answer window minus the original's), in chunks."""
    seqs, docs = sequences_of(ex)
    lps = []
    i = 0
    while i < len(seqs):
        j, tokens = i, 0
        while j < len(seqs) and (j == i or tokens + min(max_len, len(seqs[j][0])) <= token_budget):
            tokens += min(max_len, len(seqs[j][0]))
            j += 1
        lps.append(window_logprobs(model, seqs[i:j], device, max_len))
        i = j
    lp = torch.cat(lps)
    n = max(docs) + 1
    a = torch.tensor([docs[d][0] for d in range(n)], device=device)
    b = torch.tensor([docs[d][1] for d in range(n)], device=device)
    return lp[a] - lp[b], lp[a]


@torch.no_grad()
def evaluate_hef(model, hef, device, max_len):
    model.eval()
    per = {}
    for ex in hef:
        s, _ = doc_scores(model, ex, device, max_len)
        s = s.float().cpu().tolist()
        hit = ex["hit"]
        n = len(s)
        prior = ex.get("priors") or [0.0] * n
        size = ex.get("sizes") or [0] * n

        def rank(key):
            order = sorted(range(n), key=lambda k: (key(k), k))
            return order.index(hit) + 1

        r_model = rank(lambda k: -s[k])
        r_prod = rank(lambda k: (-(s[k] + SEMANTIC_PRIOR_WEIGHT * prior[k]), size[k]))
        d = per.setdefault(ex["language"], {"n": 0, "model": [], "product": []})
        d["n"] += 1
        d["model"].append(r_model)
        d["product"].append(r_prod)
        # halves by problem number: 0-81 may choose a checkpoint (--keep-best), 82-163 stay unseen by the choice
        half = "select" if int(ex["taskId"].split("/")[-1]) < HEF_SELECT_BELOW else "heldout"
        h = per.setdefault(half, {"n": 0, "model": [], "product": [], "half": True})
        h["n"] += 1
        h["model"].append(r_model)
        h["product"].append(r_prod)
    out = {}
    for lang, d in per.items():
        out[lang] = {"in_set": d["n"]}
        for k in ("model", "product"):
            r = d[k]
            out[lang][k] = {"top1": sum(x == 1 for x in r), "top5": sum(x <= 5 for x in r), "mrr": round(sum(1 / x for x in r) / len(r), 3)}
    allr = {k: [x for d in per.values() if not d.get("half") for x in d[k]] for k in ("model", "product")}
    out["all"] = {"in_set": len(allr["model"])}
    for k, r in allr.items():
        if r:
            out["all"][k] = {"top1": sum(x == 1 for x in r), "top5": sum(x <= 5 for x in r), "mrr": round(sum(1 / x for x in r) / len(r), 3)}
    model.train()
    return out


@torch.no_grad()
def evaluate_valid(model, valid, device, max_len):
    model.eval()
    hits, mrr, per, cheap_hits = 0, 0.0, {}, 0
    for ex in valid:
        s, _ = doc_scores(model, ex, device, max_len)
        off = offsets_of(ex, s.device)
        if off is not None:
            cheap_hits += int((off[1:] > off[0]).sum()) == 0
            s = s.float() + off
        r = 1 + int((s[1:] > s[0]).sum())
        hits += r == 1
        mrr += 1 / r
        d = per.setdefault(ex["lang"], [0, 0])
        d[0] += r == 1
        d[1] += 1
    model.train()
    out = {"top1": round(hits / max(1, len(valid)), 4), "mrr": round(mrr / max(1, len(valid)), 4), "per_lang": {k: f"{a}/{b}" for k, (a, b) in per.items()}}
    if valid and "offsets" in valid[0]:
        out["cheap_alone_top1"] = round(cheap_hits / len(valid), 4)  # the cheap terms without the model (ties to doc 0)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--init", required=True, help="model.pt to start from (warmstart.py's dequantized shipped model, or a run's)")
    ap.add_argument("--train")
    ap.add_argument("--valid")
    ap.add_argument("--hef")
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--minutes", type=float, default=8.0, help="the training's wall-clock budget (evaluations aside): the schedule ends at the steps or the minutes")
    ap.add_argument("--batch", type=int, default=16, help="examples per step")
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--lm-weight", type=float, default=0.5)
    ap.add_argument("--rank-weight", type=float, default=1.0, help="0: the likelihood of the true fix alone (the control: is plain likelihood training enough?)")
    ap.add_argument("--temperature", type=float, default=1.0)
    ap.add_argument("--max-len", type=int, default=1024)
    ap.add_argument("--eval-every", type=int, default=400)
    ap.add_argument("--eval-only", action="store_true")
    ap.add_argument("--skip-first-eval", action="store_true", help="no evaluation before training (a second run from the same start)")
    ap.add_argument("--hef-limit", type=int, default=0)
    ap.add_argument("--cheap", action="store_true", help="syntax data: rank by the model's score plus each doc's cheap terms, among the docs the product's model reads (the model learns its part of the product's total)")
    ap.add_argument("--seed", type=int, default=28)
    ap.add_argument("--keep-best", action="store_true", help="model.pt = the evaluated checkpoint with the best product MRR on HumanEvalFix problems 0-81 (step 0 included); 82-163 judge it; last.pt = the last")
    args = ap.parse_args(argv)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    ck = torch.load(args.init, map_location="cpu")
    cfg = Config(**ck["config"])
    model = Transformer(cfg)
    model.load_state_dict({k: v.float() for k, v in ck["model"].items()})
    model.to(device).train()
    lineage = ck.get("lineage") or [{"from": args.init, "tokens": 0}]
    os.makedirs(args.out, exist_ok=True)
    hef = read_jsonl(args.hef)
    if args.hef_limit:
        hef = hef[: args.hef_limit]
    valid = read_jsonl(args.valid)
    if args.cheap:
        n = len(valid)
        valid = [x for x in map(with_offsets, valid) if x is not None]
        print(f"--cheap: {len(valid)} of {n} valid examples where the model can change the product's choice", flush=True)
    report = {"args": vars(args), "history": []}
    t0 = time.time()

    best = {"score": None, "step": None}

    def evaluate(step):
        rec = {"step": step, "minutes": round((time.time() - t0) / 60, 2)}
        if valid:
            rec["valid"] = evaluate_valid(model, valid, device, args.max_len)
        if hef:
            rec["hef"] = evaluate_hef(model, hef, device, args.max_len)
            sel = rec["hef"].get("select", {}).get("product")
            if args.keep_best and sel and (best["score"] is None or sel["mrr"] > best["score"]):
                best.update(score=sel["mrr"], step=step)
                torch.save({k: v.detach().cpu().clone() for k, v in model.state_dict().items()}, os.path.join(args.out, "best-state.pt"))
                rec["best"] = True
        report["history"].append(rec)
        print(json.dumps(rec), flush=True)
        with open(os.path.join(args.out, "rank.json"), "w") as f:
            json.dump(report, f, indent=1)

    if not args.skip_first_eval:
        evaluate(0)
    if args.eval_only:
        return
    train = read_jsonl(args.train)
    if args.cheap:
        n = len(train)
        train = [x for x in map(with_offsets, train) if x is not None]
        print(f"--cheap: {len(train)} of {n} train examples where the model can change the product's choice", flush=True)
    print(f"train {len(train)} examples", flush=True)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.95), weight_decay=0.0)
    order = []
    tokens_seen = 0
    step = 0
    t_train = time.time()
    for step in range(1, args.steps + 1):
        # the schedule runs to whichever ends first, the steps or the minutes: a run cut by the clock still cools down
        frac = min(1.0, max(step / args.steps, (time.time() - t_train) / (args.minutes * 60)))
        lr = args.lr * min(1.0, step / args.warmup) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))
        for g in opt.param_groups:
            g["lr"] = lr
        if len(order) < args.batch:
            order += rng.sample(range(len(train)), len(train))
        batch = [train[order.pop()] for _ in range(args.batch)]
        seqs, spans = [], []
        for ex in batch:
            s, docs = sequences_of(ex)
            spans.append((len(seqs), docs))
            seqs += s
        lp = window_logprobs(model, seqs, device, args.max_len)
        tokens_seen += sum(min(args.max_len, len(s)) for s, _, _ in seqs)
        rank_loss, lm_loss = 0.0, 0.0
        for (off, docs), ex in zip(spans, batch):
            n = max(docs) + 1
            a = torch.tensor([off + docs[d][0] for d in range(n)], device=device)
            b = torch.tensor([off + docs[d][1] for d in range(n)], device=device)
            scores = lp[a] - lp[b]
            shift = offsets_of(ex, device)
            if shift is not None:
                scores = scores.float() + shift
            scores = scores / args.temperature
            rank_loss = rank_loss + F.cross_entropy(scores.unsqueeze(0), torch.zeros(1, dtype=torch.long, device=device))
            pos_len = len(seqs[off + docs[0][0]][0]) - seqs[off + docs[0][0]][1]
            lm_loss = lm_loss - lp[a[0]] / max(1, pos_len)
        loss = (args.rank_weight * rank_loss + args.lm_weight * lm_loss) / len(batch)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 50 == 0:
            print(f"step {step} loss {loss.item():.4f} rank {rank_loss.item() / len(batch):.4f} lm {lm_loss.item() / len(batch):.4f} lr {lr:.2e} {(time.time() - t0) / 60:.1f} min", flush=True)
        if step % args.eval_every == 0 and step < args.steps:
            evaluate(step)
        if frac >= 1.0:
            if step < args.steps:
                print(f"time's up at step {step}", flush=True)
            break
    evaluate(step)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    lineage = lineage + [{"run": os.path.basename(args.out.rstrip("/")), "phase": "rank-finetune", "tokens": tokens_seen, "steps": step}]
    torch.save({"model": state, "config": cfg.to_dict(), "history": report["history"], "args": vars(args), "lineage": lineage}, os.path.join(args.out, "model.pt"))
    if args.keep_best and best["step"] is not None and best["step"] != step:
        # the chosen checkpoint becomes model.pt (what export reads); the last one stays as last.pt
        os.replace(os.path.join(args.out, "model.pt"), os.path.join(args.out, "last.pt"))
        chosen = torch.load(os.path.join(args.out, "best-state.pt"), map_location="cpu")
        part = [{**lineage[-1], "steps": best["step"], "tokens": int(tokens_seen * best["step"] / max(1, step)), "chosen": "best product MRR on HumanEvalFix 0-81"}]
        torch.save({"model": chosen, "config": cfg.to_dict(), "history": report["history"], "args": vars(args), "lineage": lineage[:-1] + part}, os.path.join(args.out, "model.pt"))
        print(f"kept step {best['step']} (select-half MRR {best['score']}) as model.pt; the last as last.pt", flush=True)
    report["best_step"] = best["step"]
    with open(os.path.join(args.out, "rank.json"), "w") as f:
        json.dump(report, f, indent=1)
    with open(os.path.join(args.out, "run.json"), "w") as f:
        json.dump({"args": vars(args), "config": cfg.to_dict(), "steps": step, "tokens": tokens_seen, "lineage": lineage,
                   "tokens_in_all": sum(int(x.get("tokens") or 0) for x in lineage), "history": report["history"]}, f, indent=1)
    print(f"saved {args.out}/model.pt after {step} steps, {tokens_seen / 1e6:.1f}M tokens", flush=True)


if __name__ == "__main__":
    main()
