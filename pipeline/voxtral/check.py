"""Checking entry points: stage-by-stage access for number-for-number comparison against an
independent implementation (CPU, fp32, no tokenizer file needed: prompt ids are given directly).

    model = load_reference(model_dir)                   # every dimension from params.json
    codes, wave = generate(model, prompt_ids, voice, noise, cfg_alpha=1.2)
    h = backbone_hiddens(model, prompt_ids, voice, codes)   # [K+1, D]: after prefill, after each frame
    c = frame_codes(model, h[0], noise[0])              # [37]
    w = decode_codes(model, codes)                      # [K*1920]
"""

from __future__ import annotations

import torch

from pipeline.voxtral.backbone import Backbone
from pipeline.voxtral.generate import Generator, Request
from pipeline.voxtral.loading import load_model
from pipeline.voxtral.model import VoxtralModel
from pipeline.voxtral.params import DEFAULT_CFG_ALPHA


def load_reference(model_dir: str, device: str = "cpu", dtype: torch.dtype = torch.float32) -> VoxtralModel:
    return load_model(model_dir, device=device, dtype=dtype)[0]


def generate(model: VoxtralModel, prompt_ids, voice: torch.Tensor, noise: torch.Tensor,
             cfg_alpha: float = DEFAULT_CFG_ALPHA, n_steps: int | None = None):
    """Frame f starts its flow at noise[f] (no internal random draw); stops at END_AUDIO or after
    K = len(noise) frames. Returns (codes [F, 37] long with the +2 offset, waveform float32 [F*1920])."""
    res = Generator(model, n_steps=n_steps).generate(
        [Request(prompt_ids=prompt_ids, voice=voice, noise=torch.as_tensor(noise), cfg_alpha=cfg_alpha)])[0]
    return res.codes, res.audio


@torch.inference_mode()
def backbone_hiddens(model: VoxtralModel, prompt_ids, voice: torch.Tensor,
                     codes: torch.Tensor | None = None) -> torch.Tensor:
    """Final-normed backbone hidden state after prefill (last prompt position), then after each
    teacher-forced frame of `codes` [K, 37]: returns [K+1, D] (float32)."""
    bb = Backbone(model.backbone)
    emb = model.embed_prompt(torch.as_tensor(prompt_ids, dtype=torch.long), voice)[None]
    mask = torch.ones(1, emb.shape[1], dtype=torch.long, device=model.device)
    hidden, cache = bb.prefill(emb, mask)
    out = [hidden[0, -1].float().cpu()]
    for row in ([] if codes is None else torch.as_tensor(codes)):
        e = model.frame_embedding(row[None])[:, None].to(model.dtype)
        mask = torch.cat([mask, mask.new_ones(1, 1)], 1)
        h, cache = bb.step(e, mask, cache)
        out.append(h[0].float().cpu())
    return torch.stack(out)


@torch.inference_mode()
def prefill_hidden_all(model: VoxtralModel, prompt_ids, voice: torch.Tensor) -> torch.Tensor:
    """Final-normed hidden states for every prompt position [P, D] (float32)."""
    emb = model.embed_prompt(torch.as_tensor(prompt_ids, dtype=torch.long), voice)[None]
    out = model.backbone(inputs_embeds=emb, use_cache=False).last_hidden_state
    return out[0].float().cpu()


@torch.inference_mode()
def frame_codes(model: VoxtralModel, hidden: torch.Tensor, noise: torch.Tensor,
                cfg_alpha: float = DEFAULT_CFG_ALPHA, n_steps: int | None = None) -> torch.Tensor:
    """One frame's 37 codes (+2 offset) from a hidden state [D] and flow noise [36]."""
    h = torch.as_tensor(hidden)[None].to(model.device, model.dtype)
    x0 = torch.as_tensor(noise)[None].to(model.device, torch.float32)
    return model.acoustic_transformer.frame_codes(h, x0, cfg_alpha, n_steps)[0].cpu()


@torch.inference_mode()
def decode_codes(model: VoxtralModel, codes: torch.Tensor) -> torch.Tensor:
    """Codec decode of [T, 37] codes (+2 offset; cut at the first END) -> float32 waveform."""
    return Generator(model).decode([torch.as_tensor(codes)])[0]
