"""The autoregressive backbone: a stock Mistral decoder (transformers' MistralModel, SDPA attention).

The checkpoint uses Mistral-native *interleaved-pair* RoPE; transformers uses the half-split
(rotate_half) convention. The two agree once the rows of wq and wk are permuted within each head
(`interleaved_to_half_split`), which the loader applies.
"""

from __future__ import annotations

import torch
from torch import nn

from pipeline.voxtral.params import BackboneArgs


def hf_config(args: BackboneArgs, attn_implementation: str = "sdpa"):
    from transformers import MistralConfig

    cfg = MistralConfig(
        vocab_size=args.vocab_size, hidden_size=args.dim, intermediate_size=args.hidden_dim,
        num_hidden_layers=args.n_layers, num_attention_heads=args.n_heads,
        num_key_value_heads=args.n_kv_heads, head_dim=args.head_dim, hidden_act="silu",
        max_position_embeddings=max(args.max_seq_len, 4096), rms_norm_eps=args.norm_eps,
        rope_parameters={"rope_type": "default", "rope_theta": args.rope_theta},
        sliding_window=None, tie_word_embeddings=False, pad_token_id=None,
    )
    cfg._attn_implementation = attn_implementation
    return cfg


def build_backbone(args: BackboneArgs, attn_implementation: str = "sdpa") -> nn.Module:
    from transformers import MistralModel

    return MistralModel(hf_config(args, attn_implementation))


def interleaved_to_half_split(w: torch.Tensor, head_dim: int) -> torch.Tensor:
    """Permute the output rows of a q/k projection [n_heads*head_dim, in] so that half-split RoPE
    applied to the result equals interleaved RoPE applied with the original weight.
    Within each head the new row order is [0, 2, 4, ..., head_dim-2, 1, 3, ..., head_dim-1]."""
    out, inp = w.shape
    n = out // head_dim
    return w.reshape(n, head_dim // 2, 2, inp).transpose(1, 2).reshape(out, inp)


def rope_interleaved(x: torch.Tensor, pos: torch.Tensor, theta: float) -> torch.Tensor:
    """Reference Mistral-native RoPE on [..., S, head_dim] with positions [S]: pairs (2j, 2j+1)."""
    d = x.shape[-1]
    freqs = theta ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    ang = pos.to(torch.float64)[:, None] * freqs[None]
    cos, sin = ang.cos().to(x.dtype), ang.sin().to(x.dtype)
    a, b = x[..., 0::2], x[..., 1::2]
    return torch.stack([a * cos - b * sin, a * sin + b * cos], dim=-1).flatten(-2)


def rope_half_split(x: torch.Tensor, pos: torch.Tensor, theta: float) -> torch.Tensor:
    """Reference half-split (rotate_half) RoPE, the convention transformers implements."""
    d = x.shape[-1]
    freqs = theta ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    ang = pos.to(torch.float64)[:, None] * freqs[None]
    cos = torch.cat([ang.cos(), ang.cos()], -1).to(x.dtype)
    sin = torch.cat([ang.sin(), ang.sin()], -1).to(x.dtype)
    x1, x2 = x[..., : d // 2], x[..., d // 2:]
    return x * cos + torch.cat([-x2, x1], -1) * sin


class Backbone:
    """Thin functional wrapper: prefill a left-padded batch, then one frame per step."""

    def __init__(self, model: nn.Module):
        self.model = model

    @staticmethod
    def positions(mask: torch.Tensor) -> torch.Tensor:
        return (mask.long().cumsum(-1) - 1).clamp(min=0)

    def new_cache(self):
        from transformers import DynamicCache

        return DynamicCache(config=self.model.config)

    def prefill(self, embeds: torch.Tensor, mask: torch.Tensor, cache=None):
        """embeds [B, L, D] (left-padded), mask [B, L] (1 = real). Returns normed hidden [B, L, D]."""
        cache = self.new_cache() if cache is None else cache
        out = self.model(inputs_embeds=embeds, attention_mask=mask, position_ids=self.positions(mask),
                         cache=cache, use_cache=True)
        return out.last_hidden_state, cache

    def step(self, embeds: torch.Tensor, mask: torch.Tensor, cache):
        """embeds [B, 1, D]; mask [B, L_total] covering the cache plus this step."""
        pos = self.positions(mask)[:, -1:]
        out = self.model(inputs_embeds=embeds, attention_mask=mask, position_ids=pos,
                         cache=cache, use_cache=True)
        return out.last_hidden_state[:, -1], cache
