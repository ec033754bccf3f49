"""The Treasure model: a small decoder-only transformer (Llama-style: RMSNorm, rotary positions, SwiGLU).

One file, two entry points:
- forward(idx) for training (full sequences, causal attention through PyTorch's SDPA);
- step(input_ids, position_ids, past, bias) for inference/export (a KV cache the caller keeps and
  only the new positions' keys and values returned, plain ops that onnxruntime runs on CPU and GPU
  providers; the last position's logits, or every input position's when the caller verifies several
  drafted tokens at once).
"""
import math
from dataclasses import dataclass, asdict

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class Config:
    vocab_size: int = 16384
    context_length: int = 2048
    d_model: int = 512
    n_layer: int = 10
    n_head: int = 8
    n_kv_head: int = 8
    ffn_hidden: int = 1408
    rope_theta: float = 10000.0
    norm_eps: float = 1e-5
    tie_embeddings: bool = True

    @property
    def head_dim(self):
        return self.d_model // self.n_head

    def to_dict(self):
        return asdict(self)


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        # Computed in float32 for stability under bf16 autocast.
        xf = x.float()
        xf = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)
        return (xf * self.weight.float()).type_as(x)


def rope_cos_sin(position_ids, head_dim, theta, dtype):
    """position_ids [B, T] -> cos, sin [B, 1, T, head_dim/2]."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, device=position_ids.device, dtype=torch.float32) / head_dim))
    freqs = position_ids.to(torch.float32).unsqueeze(-1) * inv_freq  # [B, T, hd/2]
    return freqs.cos().unsqueeze(1).to(dtype), freqs.sin().unsqueeze(1).to(dtype)


def apply_rope(x, cos, sin):
    # Rotate pairs (first half, second half) of each head's vector.
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((x1 * cos - x2 * sin, x2 * cos + x1 * sin), dim=-1)


class Attention(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg = cfg
        hd = cfg.head_dim
        self.wq = nn.Linear(cfg.d_model, cfg.n_head * hd, bias=False)
        self.wk = nn.Linear(cfg.d_model, cfg.n_kv_head * hd, bias=False)
        self.wv = nn.Linear(cfg.d_model, cfg.n_kv_head * hd, bias=False)
        self.wo = nn.Linear(cfg.n_head * hd, cfg.d_model, bias=False)

    def _qkv(self, x, cos, sin):
        B, T, _ = x.shape
        hd = self.cfg.head_dim
        q = self.wq(x).view(B, T, self.cfg.n_head, hd).transpose(1, 2)
        k = self.wk(x).view(B, T, self.cfg.n_kv_head, hd).transpose(1, 2)
        v = self.wv(x).view(B, T, self.cfg.n_kv_head, hd).transpose(1, 2)
        return apply_rope(q, cos, sin), apply_rope(k, cos, sin), v

    def forward(self, x, cos, sin):
        B, T, _ = x.shape
        q, k, v = self._qkv(x, cos, sin)
        if self.cfg.n_kv_head != self.cfg.n_head:
            rep = self.cfg.n_head // self.cfg.n_kv_head
            k, v = k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1)
        if hasattr(F, "scaled_dot_product_attention"):
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:  # PyTorch < 2.0 (e.g. a distribution's CPU build, used for quick checks)
            causal = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()
            att = (q @ k.transpose(-2, -1)) / math.sqrt(self.cfg.head_dim)
            y = att.masked_fill(~causal, float("-inf")).softmax(-1) @ v
        return self.wo(y.transpose(1, 2).reshape(B, T, -1))

    def step(self, x, cos, sin, past_k, past_v, bias):
        """Attention against a KV cache the caller keeps (the export's contract, docs/CONTRACTS.md):
        past_k/v [B, Hkv, S, hd] is the caller's cache buffer as it stands (S slots, unused ones too) and
        bias [B, 1, T, S+T] (0 or -inf) says which slots and which new positions each query sees. The past
        is only read -- no concat, no present copy, the cost of a step does not grow with copies of the
        cache -- and the new positions' k, v [B, Hkv, T, hd] come back for the caller to store."""
        B, T, _ = x.shape
        q, k, v = self._qkv(x, cos, sin)
        rep = self.cfg.n_head // self.cfg.n_kv_head
        kp, vp, kn, vn = (t.repeat_interleave(rep, dim=1) if rep > 1 else t for t in (past_k, past_v, k, v))
        scale = 1.0 / math.sqrt(self.cfg.head_dim)
        att = torch.cat([(q @ kp.transpose(-2, -1)) * scale, (q @ kn.transpose(-2, -1)) * scale], dim=-1) + bias
        att = att.softmax(dim=-1)
        S = past_k.shape[2]
        y = att[..., :S] @ vp + att[..., S:] @ vn
        return self.wo(y.transpose(1, 2).reshape(B, T, -1)), k, v


class MLP(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.w1 = nn.Linear(cfg.d_model, cfg.ffn_hidden, bias=False)
        self.w3 = nn.Linear(cfg.d_model, cfg.ffn_hidden, bias=False)
        self.w2 = nn.Linear(cfg.ffn_hidden, cfg.d_model, bias=False)

    def forward(self, x):
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class Block(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.attn_norm = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.attn = Attention(cfg)
        self.mlp_norm = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.mlp = MLP(cfg)

    def forward(self, x, cos, sin):
        x = x + self.attn(self.attn_norm(x), cos, sin)
        return x + self.mlp(self.mlp_norm(x))

    def step(self, x, cos, sin, past_k, past_v, bias):
        a, k, v = self.attn.step(self.attn_norm(x), cos, sin, past_k, past_v, bias)
        x = x + a
        return x + self.mlp(self.mlp_norm(x)), k, v


class Transformer(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.norm = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.lm_head = nn.Linear(cfg.d_model, cfg.vocab_size, bias=False)
        if cfg.tie_embeddings:
            self.lm_head.weight = self.embed.weight
        self.apply(self._init)
        # Scaled init of the residual projections (GPT-2 style) keeps early training stable.
        for name, p in self.named_parameters():
            if name.endswith("wo.weight") or name.endswith("w2.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * cfg.n_layer))

    @staticmethod
    def _init(m):
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, mean=0.0, std=0.02)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, mean=0.0, std=0.02)

    def num_params(self):
        return sum(p.numel() for p in self.parameters())

    def forward(self, idx):
        """idx [B, T] -> logits [B, T, V]."""
        return self.lm_head(self.hidden(idx))

    def hidden(self, idx):
        """idx [B, T] -> the final normed states [B, T, d_model] (rank_train.py projects only the positions it scores)."""
        B, T = idx.shape
        pos = torch.arange(T, device=idx.device).unsqueeze(0).expand(B, T)
        x = self.embed(idx)
        cos, sin = rope_cos_sin(pos, self.cfg.head_dim, self.cfg.rope_theta, x.dtype)
        for block in self.blocks:
            x = block(x, cos, sin)
        return self.norm(x)

    def step(self, input_ids, position_ids, past, bias, all_logits=False):
        """One decoding step (or a prefill) of B rows against the caller's KV cache: past is a list of
        (k, v) per layer, each [B, Hkv, S, hd], bias [B, 1, T, S+T] (see Attention.step). Returns (logits,
        the new positions' (k, v) per layer [B, Hkv, T, hd]): logits of the last position [B, V], or
        with all_logits every input position's [B, T, V] (the export: drafted tokens checked in one step)."""
        x = self.embed(input_ids)
        cos, sin = rope_cos_sin(position_ids, self.cfg.head_dim, self.cfg.rope_theta, x.dtype)
        news = []
        for block, (pk, pv) in zip(self.blocks, past):
            x, k, v = block.step(x, cos, sin, pk, pv, bias)
            news.append((k, v))
        logits = self.lm_head(self.norm(x if all_logits else x[:, -1, :]))
        return logits, news


def causal_bias(past_len, T, S, dtype=torch.float32):
    """The bias of one row whose cache holds past_len positions in slots 0..past_len-1 of S slots and
    whose T new tokens follow: [1, 1, T, S+T], 0 where a query may look, -inf elsewhere."""
    slots = torch.arange(S).unsqueeze(0) < past_len  # [1, S]
    causal = torch.ones(T, T, dtype=torch.bool).tril()
    allowed = torch.cat([slots.expand(T, S), causal], dim=1)
    return torch.zeros(allowed.shape, dtype=dtype).masked_fill(~allowed, float("-inf"))[None, None]
