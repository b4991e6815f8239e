"""The acoustic (flow-matching) transformer, the masked semantic head and FSQ.

Per frame: semantic code = masked argmax of a linear head on the backbone hidden state; the 36
acoustic values come from integrating a velocity field v(x, t | h) from noise (t=0) to data (t=1)
with Euler steps and classifier-free guidance, then FSQ-quantising to `levels` levels.
The velocity field is a small bidirectional transformer over the 3 tokens [x, t, h] (no RoPE, no
mask), read out at token 0.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from pipeline.voxtral.layers import FeedForward, RMSNorm
from pipeline.voxtral.params import END_AUDIO, N_SPECIAL_AUDIO, AcousticArgs


class Attention(nn.Module):
    def __init__(self, dim: int, n_heads: int, n_kv_heads: int, head_dim: int):
        super().__init__()
        self.n_heads, self.n_kv_heads, self.head_dim = n_heads, n_kv_heads, head_dim
        self.wq = nn.Linear(dim, n_heads * head_dim, bias=False)
        self.wk = nn.Linear(dim, n_kv_heads * head_dim, bias=False)
        self.wv = nn.Linear(dim, n_kv_heads * head_dim, bias=False)
        self.wo = nn.Linear(n_heads * head_dim, dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [N, S, dim], unmasked
        n, s, _ = x.shape
        q = self.wq(x).view(n, s, self.n_heads, self.head_dim).transpose(1, 2)
        k = self.wk(x).view(n, s, self.n_kv_heads, self.head_dim).transpose(1, 2)
        v = self.wv(x).view(n, s, self.n_kv_heads, self.head_dim).transpose(1, 2)
        rep = self.n_heads // self.n_kv_heads
        if rep > 1:  # query head i uses KV head i // rep
            k = k.repeat_interleave(rep, dim=1)
            v = v.repeat_interleave(rep, dim=1)
        o = F.scaled_dot_product_attention(q, k, v)
        return self.wo(o.transpose(1, 2).reshape(n, s, self.n_heads * self.head_dim))


class Block(nn.Module):
    def __init__(self, a: AcousticArgs):
        super().__init__()
        self.attention = Attention(a.dim, a.n_heads, a.n_kv_heads, a.head_dim)
        self.feed_forward = FeedForward(a.dim, a.hidden_dim)
        self.attention_norm = RMSNorm(a.dim, a.norm_eps)
        self.ffn_norm = RMSNorm(a.dim, a.norm_eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attention(self.attention_norm(x))
        return x + self.feed_forward(self.ffn_norm(x))


class AcousticTransformer(nn.Module):
    """Parameter names follow the checkpoint's `acoustic_transformer.*` exactly."""

    def __init__(self, a: AcousticArgs):
        super().__init__()
        self.args = a
        self.input_projection = nn.Linear(a.n_acoustic_codebook, a.dim, bias=False)
        self.time_projection = nn.Linear(a.dim, a.dim, bias=False)
        self.llm_projection = nn.Linear(a.input_dim, a.dim, bias=False)
        self.layers = nn.ModuleList([Block(a) for _ in range(a.n_layers)])
        self.norm = RMSNorm(a.dim, a.norm_eps)
        self.acoustic_codebook_output = nn.Linear(a.dim, a.n_acoustic_codebook, bias=False)
        self.semantic_codebook_output = nn.Linear(a.input_dim, a.semantic_head_rows, bias=False)
        # not in the checkpoint: recomputed (persistent=False keeps it out of the state dict)
        half = a.dim // 2
        self.register_buffer("inv_freq", torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32)
                                                   / half), persistent=False)

    # -- semantic head -------------------------------------------------------------------------
    def semantic_logits(self, h: torch.Tensor) -> torch.Tensor:
        """fp32 logits [B, rows] with EMPTY (0) and the padding rows (>= size+2) masked to -inf."""
        w = self.semantic_codebook_output.weight
        logits = F.linear(h.float(), w.float())
        valid = self.args.semantic_codebook_size + N_SPECIAL_AUDIO
        logits[:, 0] = float("-inf")
        logits[:, valid:] = float("-inf")
        return logits

    def semantic_code(self, h: torch.Tensor) -> torch.Tensor:
        return self.semantic_logits(h).argmax(-1)

    # -- velocity field ------------------------------------------------------------------------
    def time_embedding(self, t: torch.Tensor) -> torch.Tensor:
        """t [N] in [0, 1] -> [N, dim] = [cos(t*f), sin(t*f)] (cos first)."""
        e = t.float()[:, None] * self.inv_freq[None].float()
        return torch.cat([e.cos(), e.sin()], dim=-1)

    def velocity(self, x: torch.Tensor, t_proj: torch.Tensor, h_proj: torch.Tensor) -> torch.Tensor:
        """x [N, 36], t_proj [N or 1, dim] (already time-projected), h_proj [N, dim] (llm-projected)."""
        xin = self.input_projection(x.to(h_proj.dtype))
        seq = torch.stack([xin, t_proj.expand_as(xin), h_proj], dim=1)
        for layer in self.layers:
            seq = layer(seq)
        return self.acoustic_codebook_output(self.norm(seq[:, 0]))

    def decode_acoustic(self, h: torch.Tensor, x0: torch.Tensor, cfg_alpha: float | torch.Tensor = 1.2,
                        n_steps: int | None = None) -> torch.Tensor:
        """Euler-integrate with CFG from x0 [B, 36] given hidden h [B, D]; returns x1 [B, 36] (float32).

        Cond and uncond run as one 2B batch; the uncond branch zeroes h (its projection is 0)."""
        n = n_steps or self.args.n_decoding_steps
        b = h.shape[0]
        dtype = self.input_projection.weight.dtype
        h_proj = self.llm_projection(h.to(dtype))
        h_both = torch.cat([h_proj, torch.zeros_like(h_proj)], dim=0)
        alpha = torch.as_tensor(cfg_alpha, dtype=torch.float32, device=h.device).reshape(-1, 1)
        x = x0.float()
        ts = torch.arange(n, device=h.device, dtype=torch.float32) / n
        t_proj_all = self.time_projection(self.time_embedding(ts).to(dtype))  # [n, dim], hoisted
        dt = 1.0 / n
        for i in range(n):
            v = self.velocity(torch.cat([x, x], 0), t_proj_all[i:i + 1], h_both).float()
            v_c, v_u = v[:b], v[b:]
            x = x + (alpha * v_c + (1 - alpha) * v_u) * dt
        return x

    def frame_codes(self, h: torch.Tensor, x0: torch.Tensor, cfg_alpha: float | torch.Tensor = 1.2,
                    n_steps: int | None = None) -> torch.Tensor:
        """One frame's 37 codes (with the +2 offset) from hidden h [B, D] and noise x0 [B, 36]."""
        sem = self.semantic_code(h)
        x1 = self.decode_acoustic(h, x0, cfg_alpha, n_steps)
        ac = fsq_quantize(x1, self.args.acoustic_codebook_size)
        ac = torch.where((sem == END_AUDIO)[:, None], torch.zeros_like(ac), ac)
        return torch.cat([sem[:, None], ac + N_SPECIAL_AUDIO], dim=1)


def fsq_quantize(x: torch.Tensor, levels: int = 21) -> torch.Tensor:
    """[-1, 1] -> {0..levels-1} (clamp, no tanh; round half to even like torch.round)."""
    return torch.round((x.float().clamp(-1, 1) + 1) / 2 * (levels - 1)).long()


def fsq_dequantize(q: torch.Tensor, levels: int = 21) -> torch.Tensor:
    return q.float() * 2 / (levels - 1) - 1
