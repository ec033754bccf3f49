"""Train the Treasure model: 1 GPU (python3 train.py ...) or N GPUs (torchrun --nproc_per_node N train.py ...).

Two phases, one script:
  pretrain  next-token loss on plain code documents (prepare.py corpus -> train.bin/valid.bin)
  finetune  loss on completions only (prepare.py tasks -> {split}-{variant}.tokens/.mask), variant
            "markers" (Treasure Hunt: markers appended to the prompt with dropout, always prepended to
            the completion) or "plain" (the no-marker baseline: same examples, same steps).
The learning-rate schedule runs on wall-clock time (--minutes), so a run fits a lease exactly; the
elapsed time is checkpointed, so --resume continues the same schedule. bf16 autocast, AdamW.

    python3 train.py --phase pretrain --data TOK --out RUN --minutes 9
    python3 train.py --phase finetune --variant markers --data TOK --init RUN/model.pt --out FT --minutes 4
    python3 train.py --phase finetune --variant markers --data TOK --hf-init HF_DIR --out FT --minutes 4
"""
import argparse
import contextlib
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import Config, Transformer  # noqa: E402


def parse_args(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--phase", choices=["pretrain", "finetune"], required=True)
    ap.add_argument("--variant", choices=["markers", "plain"], default="markers")
    ap.add_argument("--data", required=True, help="folder written by prepare.py")
    ap.add_argument("--out", required=True)
    ap.add_argument("--init", help="weights (model.pt) to start from")
    ap.add_argument("--hf-init", help="a local Hugging Face causal-LM folder to marker-tune instead of our model")
    ap.add_argument("--resume", action="store_true", help="continue from OUT/last.pt (weights, optimizer, clock)")
    ap.add_argument("--minutes", type=float, default=5.0, help="wall-clock budget of this run's schedule")
    ap.add_argument("--stop-after", type=float, default=0, help="end this call after MIN minutes, checkpointed, schedule unchanged (0: at the schedule's end)")
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0: time only)")
    ap.add_argument("--steps", type=int, default=0, help="schedule on steps instead of wall-clock (equal compute for runs sharing a GPU); --minutes stays a safety stop")
    ap.add_argument("--batch", type=int, default=32, help="sequences per GPU per step")
    ap.add_argument("--context", type=int, default=2048)
    ap.add_argument("--lr", type=float, default=1.5e-3)
    ap.add_argument("--min-lr-frac", type=float, default=0.1)
    ap.add_argument("--warmup-steps", type=int, default=200)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--mix-corpus", type=float, default=0.0, help="finetune: share of batches of plain code")
    ap.add_argument("--eval-every", type=int, default=250)
    ap.add_argument("--save-every", type=float, default=3.0, help="minutes between resumable checkpoints (last.pt)")
    ap.add_argument("--compile", action="store_true")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--config", default="{}", help="JSON overrides of model.Config for a fresh model")
    return ap.parse_args(argv)


class CorpusBatches:
    """Random windows of context+1 tokens from a uint16 token stream."""

    def __init__(self, path, context, batch, rng):
        self.data = np.memmap(path, dtype=np.uint16, mode="r")
        self.context, self.batch, self.rng = context, batch, rng

    def next(self):
        starts = self.rng.integers(0, len(self.data) - self.context - 1, self.batch)
        x = np.stack([self.data[s:s + self.context + 1] for s in starts]).astype(np.int64)
        return torch.from_numpy(x[:, :-1]), torch.from_numpy(x[:, 1:]), None


class TaskBatches:
    """Packed rows of examples; the loss mask marks completion tokens."""

    def __init__(self, base, context, batch, rng):
        self.tokens = np.memmap(base + ".tokens", dtype=np.uint16, mode="r").reshape(-1, context)
        self.mask = np.memmap(base + ".mask", dtype=np.uint8, mode="r").reshape(-1, context)
        self.batch, self.rng = batch, rng
        self.order, self.pos = rng.permutation(len(self.tokens)), 0

    def next(self):
        if self.pos + self.batch > len(self.order):
            self.order, self.pos = self.rng.permutation(len(self.tokens)), 0
        idx = np.sort(self.order[self.pos:self.pos + self.batch])
        self.pos += self.batch
        t = torch.from_numpy(self.tokens[idx].astype(np.int64))
        m = torch.from_numpy(self.mask[idx].astype(np.float32))
        # Predict token i+1 from tokens <= i; the last position has no target.
        y = torch.roll(t, -1, dims=1)
        w = torch.roll(m, -1, dims=1)
        w[:, -1] = 0
        return t, y, w


def build_model(args, device):
    if args.hf_init:
        from transformers import AutoModelForCausalLM

        model = AutoModelForCausalLM.from_pretrained(args.hf_init, torch_dtype=torch.float32)
        tok_path = os.path.join(args.data, "tokenizer.json")
        if os.path.exists(tok_path):
            from tokenizers import Tokenizer

            model.resize_token_embeddings(Tokenizer.from_file(tok_path).get_vocab_size())
        return model.to(device), {"hf_init": args.hf_init, **model.config.to_dict()}
    if args.init:
        ck = torch.load(args.init, map_location="cpu")
        cfg = Config(**ck["config"])
        model = Transformer(cfg)
        model.load_state_dict({k: v.float() for k, v in ck["model"].items()})
        args.lineage = ck.get("lineage") or [{"from": args.init, "tokens": 0}]
    else:
        cfg = Config(context_length=args.context, **json.loads(args.config))
        model = Transformer(cfg)
    return model.to(device), cfg.to_dict()


def autocast(device):
    return torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else contextlib.nullcontext()


def loss_of(model, x, y, w):
    out = model(x)
    logits = (out if torch.is_tensor(out) else out.logits).float()  # Hugging Face models return an output object
    ce = F.cross_entropy(logits.view(-1, logits.size(-1)), y.reshape(-1), reduction="none")
    if w is None:
        return ce.mean()
    w = w.reshape(-1)
    return (ce * w).sum() / w.sum().clamp(min=1)


@torch.no_grad()
def evaluate(model, batches, device, n=20):
    model.eval()
    total = 0.0
    for _ in range(n):
        x, y, w = batches.next()
        with autocast(device):
            total += loss_of(model, x.to(device), y.to(device), None if w is None else w.to(device)).item()
    model.train()
    return total / n


def lr_at(args, step, frac):
    if step < args.warmup_steps:
        return args.lr * (step + 1) / args.warmup_steps
    cos = 0.5 * (1 + math.cos(math.pi * min(1.0, frac)))
    return args.lr * (args.min_lr_frac + (1 - args.min_lr_frac) * cos)


def save_last(model, opt, step, elapsed, tokens_seen, history, cfg, last):
    """The resumable checkpoint (weights, optimizer, clock), written under a temporary name first."""
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    torch.save({"model": state, "optimizer": opt.state_dict(), "step": step, "elapsed": elapsed,
                "tokens": tokens_seen, "history": history, "config": cfg}, last + ".tmp")
    os.replace(last + ".tmp", last)
    return state


def main(argv=None):
    args = parse_args(argv)
    ddp = "RANK" in os.environ
    if ddp:
        dist.init_process_group("nccl")
        rank, world = dist.get_rank(), dist.get_world_size()
        device = torch.device("cuda", int(os.environ["LOCAL_RANK"]))
        torch.cuda.set_device(device)
    else:
        rank, world = 0, 1
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    master = rank == 0
    torch.manual_seed(args.seed + rank)
    rng = np.random.default_rng([args.seed, rank, int(time.time()) if args.resume else 0])
    torch.backends.cuda.matmul.allow_tf32 = True
    os.makedirs(args.out, exist_ok=True)

    model, cfg = build_model(args, device)
    if args.phase == "pretrain":
        train = CorpusBatches(os.path.join(args.data, "train.bin"), args.context, args.batch, rng)
        valid = CorpusBatches(os.path.join(args.data, "valid.bin"), args.context, 8, np.random.default_rng(0))
        mix = None
    else:
        train = TaskBatches(os.path.join(args.data, f"train-{args.variant}"), args.context, args.batch, rng)
        valid = TaskBatches(os.path.join(args.data, f"valid-{args.variant}"), args.context, 8, np.random.default_rng(0))
        mix = CorpusBatches(os.path.join(args.data, "train.bin"), args.context, args.batch, rng) if args.mix_corpus > 0 else None

    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": args.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=args.lr, betas=(0.9, 0.95), eps=1e-8, **({"fused": True} if device.type == "cuda" else {}),
    )
    step, elapsed, tokens_seen, history = 0, 0.0, 0, []
    last = os.path.join(args.out, "last.pt")
    if args.resume and os.path.exists(last):
        ck = torch.load(last, map_location="cpu")
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        step, elapsed, tokens_seen, history = ck["step"], ck["elapsed"], ck["tokens"], ck["history"]
        if master:
            print(f"resumed at step {step}, {elapsed / 60:.1f} min, {tokens_seen / 1e6:.1f}M tokens")

    net = model
    if args.compile:
        net = torch.compile(model)
    if ddp:
        net = torch.nn.parallel.DistributedDataParallel(net, device_ids=[device.index])

    budget = args.minutes * 60
    if master:
        n_params = sum(p.numel() for p in model.parameters())
        print(f"phase={args.phase} variant={args.variant} params={n_params / 1e6:.1f}M world={world} batch={args.batch}x{args.context}")
    t_start = time.time() - elapsed
    t_call = time.time()
    t_log = time.time()
    t_saved = time.time()
    while True:
        elapsed = time.time() - t_start
        if ddp:  # one clock for every rank: the same learning rate, the same last step
            clock = torch.tensor([elapsed, time.time() - t_call], device=device, dtype=torch.float64)
            dist.all_reduce(clock, op=dist.ReduceOp.MAX)
            elapsed, since_call = clock.tolist()
        else:
            since_call = time.time() - t_call
        stop = elapsed >= budget or (args.max_steps and step >= args.max_steps) or (args.steps and step >= args.steps) or \
            (args.stop_after and since_call >= args.stop_after * 60)
        if stop:
            break
        if master and args.save_every and time.time() - t_saved >= args.save_every * 60:
            save_last(model, opt, step, elapsed, tokens_seen, history, cfg, last)  # a lost machine loses minutes, not the run
            t_saved = time.time()
        lr = lr_at(args, step, step / args.steps if args.steps else elapsed / budget)
        for g in opt.param_groups:
            g["lr"] = lr
        use_mix = mix is not None and rng.random() < args.mix_corpus
        x, y, w = (mix if use_mix else train).next()
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        w = None if w is None else w.to(device, non_blocking=True)
        with autocast(device):
            loss = loss_of(net, x, y, w)
        loss.backward()
        gnorm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        step += 1
        tokens_seen += x.numel() * world
        if master and (step % 50 == 0 or step == 1):
            dt = time.time() - t_log
            t_log = time.time()
            print(f"step {step} loss {loss.item():.4f} lr {lr:.2e} gnorm {gnorm.item():.2f} "
                  f"{elapsed / 60:.1f}/{args.minutes:.1f} min {tokens_seen / 1e6:.1f}M tok "
                  f"{(50 if step > 1 else 1) * x.numel() * world / max(dt, 1e-9) / 1e3:.0f}k tok/s", flush=True)
        if master and step % args.eval_every == 0:
            v = evaluate(model, valid, device)
            history.append({"step": step, "minutes": round(elapsed / 60, 2), "tokens": tokens_seen, "train_loss": round(loss.item(), 4), "valid_loss": round(v, 4)})
            print(f"eval step {step} valid_loss {v:.4f}", flush=True)

    # lineage: the runs these weights went through, oldest first, each with its own tokens (warmstart.py
    # starts it for a shipped model; a checkpoint of this script carries it on)
    lineage = list(getattr(args, "lineage", [])) + [{"run": os.path.basename(os.path.normpath(args.out)), "phase": args.phase,
                                                     "variant": args.variant, "init": args.init or args.hf_init, "steps": step, "tokens": tokens_seen}]
    if master:
        v = evaluate(model, valid, device, n=50)
        history.append({"step": step, "minutes": round(elapsed / 60, 2), "tokens": tokens_seen, "valid_loss": round(v, 4), "final": True})
        print(f"final step {step} valid_loss {v:.4f} tokens {tokens_seen / 1e6:.1f}M minutes {elapsed / 60:.1f}")
        state = save_last(model, opt, step, elapsed, tokens_seen, history, cfg, last)
        torch.save({"model": state, "config": cfg, "history": history, "args": vars(args), "lineage": lineage}, os.path.join(args.out, "model.pt"))
        with open(os.path.join(args.out, "run.json"), "w") as f:
            json.dump({"args": vars(args), "config": cfg, "steps": step, "tokens": tokens_seen,
                       "lineage": lineage, "tokens_in_all": sum(int(x.get("tokens") or 0) for x in lineage),
                       "minutes": round(elapsed / 60, 2), "history": history,
                       "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
                       "world": world}, f, indent=1)
    if ddp:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
