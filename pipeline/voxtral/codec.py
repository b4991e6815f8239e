"""The codec decoder: 37 codes per 80 ms frame -> 24 kHz mono waveform.

Quantizer decode (semantic table lookup + FSQ arithmetic) -> causal conv -> [transformer, upsampling
transposed conv]... -> output conv -> unpatch. All convolutions are causal, all attention is causal
sliding-window with ALiBi, so decoding a prefix gives exactly the prefix of the full decode (this
is what makes right-padded batch decoding exact).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from pipeline.voxtral.layers import FeedForward, RMSNorm
from pipeline.voxtral.params import N_SPECIAL_AUDIO, CodecArgs


def fold_weight_norm(g: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """W = g * v / ||v||, the norm taken over every axis but 0 (torch weight_norm, dim=0)."""
    vf = v.float()
    norm = vf.flatten(1).norm(dim=1).clamp_min(1e-12).view(-1, *([1] * (v.dim() - 1)))
    return (g.float().view(-1, *([1] * (v.dim() - 1))) * vf / norm)


class CausalConv1d(nn.Module):
    def __init__(self, cin: int, cout: int, kernel: int, pad_mode: str):
        super().__init__()
        self.pad = kernel - 1
        self.pad_mode = pad_mode
        self.conv = nn.Conv1d(cin, cout, kernel, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [B, C, L]
        if self.pad:
            length = x.shape[-1]
            if self.pad_mode == "reflect" and length <= self.pad:
                x = F.pad(x, (0, self.pad + 1 - length))  # reflect needs a longer input; trimmed below
                y = self.conv(F.pad(x, (self.pad, 0), mode="reflect"))
                return y[..., :length]
            x = F.pad(x, (self.pad, 0), mode=self.pad_mode)
        return self.conv(x)


class CausalConvTranspose1d(nn.Module):
    def __init__(self, cin: int, cout: int, kernel: int, stride: int):
        super().__init__()
        self.trim = kernel - stride
        self.conv = nn.ConvTranspose1d(cin, cout, kernel, stride=stride, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        return y[..., : y.shape[-1] - self.trim] if self.trim else y


def alibi_slopes(n_heads: int) -> torch.Tensor:
    """m_h = r**h with r = 2**(-8/n_heads): [1, 1/2, ..., 1/128] for 8 heads (first slope 1)."""
    r = 2.0 ** (-8.0 / n_heads)
    return torch.tensor([r ** h for h in range(n_heads)], dtype=torch.float32)


def banded_alibi_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, window: int,
                           slopes: torch.Tensor, block: int = 64) -> torch.Tensor:
    """Causal sliding-window attention with ALiBi on [B, H, L, D]: query i sees keys i-window..i.

    Computed block by block (each block of queries against its block plus `window` earlier keys),
    so memory is O(L * (block + window)) instead of O(L^2)."""
    b, h, length, d = q.shape
    bs = max(1, min(block, length))
    nb = math.ceil(length / bs)
    lp = nb * bs
    if lp != length:
        q, k, v = (F.pad(t, (0, 0, 0, lp - length)) for t in (q, k, v))
    kp = F.pad(k, (0, 0, window, 0)).unfold(2, bs + window, bs)  # [B, H, nb, D, bs+W]
    vp = F.pad(v, (0, 0, window, 0)).unfold(2, bs + window, bs)
    qb = q.reshape(b, h, nb, bs, d)
    scores = torch.einsum("bhnqd,bhndk->bhnqk", qb.float(), kp.float()) / math.sqrt(d)
    dev = q.device
    qi = torch.arange(bs, device=dev)[:, None]
    kj = torch.arange(bs + window, device=dev)[None, :]
    rel = (kj - window) - qi  # j - i
    bias = slopes.to(dev).view(1, h, 1, 1, 1) * rel.float()
    allowed = (rel <= 0) & (rel >= -window)  # [bs, bs+W]
    key_pos = torch.arange(nb, device=dev)[:, None] * bs - window + torch.arange(bs + window, device=dev)[None]
    allowed = allowed[None] & (key_pos >= 0)[:, None, :]  # [nb, bs, bs+W]
    scores = (scores + bias).masked_fill(~allowed[None, None], float("-inf"))
    attn = scores.softmax(-1)
    out = torch.einsum("bhnqk,bhndk->bhnqd", attn, vp.float()).to(q.dtype)
    return out.reshape(b, h, lp, d)[:, :, :length]


class CodecAttention(nn.Module):
    def __init__(self, c: CodecArgs, window: int):
        super().__init__()
        self.n_heads, self.n_kv_heads, self.head_dim, self.window = c.n_heads, c.n_kv_heads, c.head_dim, window
        self.wq = nn.Linear(c.dim, c.n_heads * c.head_dim, bias=False)
        self.wk = nn.Linear(c.dim, c.n_kv_heads * c.head_dim, bias=False)
        self.wv = nn.Linear(c.dim, c.n_kv_heads * c.head_dim, bias=False)
        self.wo = nn.Linear(c.n_heads * c.head_dim, c.dim, bias=False)
        self.qk_norm = c.qk_norm
        if c.qk_norm:  # over the full projection width, before the head split
            self.q_norm = RMSNorm(c.n_heads * c.head_dim, c.qk_norm_eps)
            self.k_norm = RMSNorm(c.n_kv_heads * c.head_dim, c.qk_norm_eps)
        self.register_buffer("slopes", alibi_slopes(c.n_heads), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [B, L, C]
        b, length, _ = x.shape
        q, k, v = self.wq(x), self.wk(x), self.wv(x)
        if self.qk_norm:
            q, k = self.q_norm(q), self.k_norm(k)
        q = q.view(b, length, self.n_heads, self.head_dim).transpose(1, 2)
        k = k.view(b, length, self.n_kv_heads, self.head_dim).transpose(1, 2)
        v = v.view(b, length, self.n_kv_heads, self.head_dim).transpose(1, 2)
        rep = self.n_heads // self.n_kv_heads
        if rep > 1:
            k, v = k.repeat_interleave(rep, 1), v.repeat_interleave(rep, 1)
        o = banded_alibi_attention(q, k, v, self.window, self.slopes)
        return self.wo(o.transpose(1, 2).reshape(b, length, -1))


class CodecTransformerLayer(nn.Module):
    def __init__(self, c: CodecArgs, window: int):
        super().__init__()
        self.attention = CodecAttention(c, window)
        self.feed_forward = FeedForward(c.dim, c.hidden_dim)
        self.attention_norm = RMSNorm(c.dim, c.norm_eps)
        self.ffn_norm = RMSNorm(c.dim, c.norm_eps)
        self.layer_scale = c.layer_scale
        if c.layer_scale:
            self.attention_scale = nn.Parameter(torch.full((c.dim,), 0.01))
            self.ffn_scale = nn.Parameter(torch.full((c.dim,), 0.01))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.attention(self.attention_norm(x))
        x = x + (self.attention_scale * a if self.layer_scale else a)
        f = self.feed_forward(self.ffn_norm(x))
        return x + (self.ffn_scale * f if self.layer_scale else f)


class CodecTransformer(nn.Module):
    def __init__(self, c: CodecArgs, n_layers: int, window: int):
        super().__init__()
        self.window = window
        self.layers = nn.ModuleList([CodecTransformerLayer(c, window) for _ in range(n_layers)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [B, C, L] in and out
        x = x.transpose(1, 2)
        for layer in self.layers:
            x = layer(x)
        return x.transpose(1, 2)


class SemanticCodebook(nn.Module):
    def __init__(self, size: int, dim: int):
        super().__init__()
        # usable table; the checkpoint stores EMA statistics (embedding_sum / cluster_usage),
        # converted by the loader
        self.register_buffer("embedding", torch.zeros(size, dim))


class Quantizer(nn.Module):
    def __init__(self, c: CodecArgs):
        super().__init__()
        self.semantic_codebook = SemanticCodebook(c.semantic_codebook_size, c.semantic_dim)
        self.levels = c.acoustic_codebook_size

    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        """codes [B, T, 37] *without* the +2 offset -> latent [B, semantic_dim + acoustic_dim, T]."""
        table = self.semantic_codebook.embedding
        sem = table[codes[..., 0].clamp(0, table.shape[0] - 1)]
        ac = codes[..., 1:].float() * 2 / (self.levels - 1) - 1
        return torch.cat([sem, ac.to(sem.dtype)], dim=-1).transpose(1, 2)


class CodecDecoder(nn.Module):
    """Parameter names follow the checkpoint's `audio_tokenizer.*` (weight norm already folded)."""

    def __init__(self, c: CodecArgs):
        super().__init__()
        self.args = c
        self.quantizer = Quantizer(c)
        blocks: list[nn.Module] = []
        windows = c.decoder_windows()
        cin = c.latent_dim
        for i, (k, s, n) in enumerate(zip(c.decoder_convs_kernels, c.decoder_convs_strides,
                                          c.decoder_transformer_lengths)):
            if s == 1:
                blocks.append(CausalConv1d(cin, c.dim, k, pad_mode="replicate"))
            else:
                blocks.append(CausalConvTranspose1d(cin, c.dim, k, s))
            blocks.append(CodecTransformer(c, n, windows[i]))
            cin = c.dim
        self.decoder_blocks = nn.ModuleList(blocks)
        self.output_proj = CausalConv1d(c.dim, c.patch_size * c.channels, c.patch_proj_kernel_size,
                                        pad_mode="reflect")

    def forward(self, codes: torch.Tensor, trace: list[tuple[str, torch.Tensor]] | None = None) -> torch.Tensor:
        """codes [B, T, 37] with the +2 offset (END already cut) -> waveform [B, T * samples_per_frame].
        `trace` (diagnostics) receives (name, [B, C, L] float32) for the latent and each block's output."""
        dtype = self.output_proj.conv.weight.dtype

        def note(name: str, x: torch.Tensor) -> torch.Tensor:
            if trace is not None:
                trace.append((name, x.float()))
            return x

        x = note("quantizer", self.quantizer.decode(codes.long() - N_SPECIAL_AUDIO).to(dtype))
        for i, block in enumerate(self.decoder_blocks):
            x = note(f"decoder_blocks.{i}", block(x))
        x = note("output_proj", self.output_proj(x))  # [B, patch, 8T]
        b = x.shape[0]
        return x.transpose(1, 2).reshape(b, -1).float()
