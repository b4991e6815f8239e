"""Checking entry points: stage-by-stage access for number-for-number comparison against an
independent implementation (CPU, fp32 by default, no tokenizer file and no voice folder needed:
prompt ids and voice rows are given directly).

    model = load_reference(model_dir)                   # every dimension from params.json
    out = generate(model, prompt_ids, voice, noise, cfg_alpha=1.2, max_frames=K)
    out.codes, out.wave, out.hidden                     # [F, 37], [F*1920], [F+1, D]
    h = backbone_hiddens(model, prompt_ids, voice, out.codes)   # teacher forced: equals out.hidden
    c = frame_codes(model, h[0], noise[0])              # [37]
    x = frame_latent(model, h[0], noise[0])             # [36] flow output before clamp and FSQ rounding
    w = decode_codes(model, out.codes)                  # [F*1920]
    stages = codec_stages(model, out.codes)             # {name: [C, L]} after each decoder block
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from pipeline.voxtral.backbone import Backbone
from pipeline.voxtral.generate import HARD_FRAME_CAP, Generator, Request, cut_at_end
from pipeline.voxtral.loading import load_model
from pipeline.voxtral.model import VoxtralModel
from pipeline.voxtral.params import DEFAULT_CFG_ALPHA


class Generated(NamedTuple):
    codes: torch.Tensor  # [F, 37] long, +2 offset, END frame excluded
    wave: torch.Tensor  # [F * 1920] float32
    hidden: torch.Tensor  # [F+1, D] float32: final-normed backbone state after prefill, after each frame
    ended: bool  # stopped on END_AUDIO (False: stopped by max_frames or the noise length)


def load_reference(model_dir: str, device: str = "cpu", dtype: torch.dtype = torch.float32) -> VoxtralModel:
    """The model from a folder with consolidated.safetensors and params.json (voice_embedding/ is
    not needed: the check functions take the voice rows directly)."""
    return load_model(model_dir, device=device, dtype=dtype, need_voices=False)[0]


def generate(model: VoxtralModel, prompt_ids, voice: torch.Tensor, noise: torch.Tensor,
             cfg_alpha: float = DEFAULT_CFG_ALPHA, n_steps: int | None = None,
             max_frames: int = HARD_FRAME_CAP) -> Generated:
    """Free-running generation. Frame f starts its flow at noise[f] (no internal random draw); stops
    at END_AUDIO or after min(max_frames, len(noise)) frames."""
    res = Generator(model, n_steps=n_steps).generate(
        [Request(prompt_ids=prompt_ids, voice=voice, noise=torch.as_tensor(noise), cfg_alpha=cfg_alpha,
                 max_frames=max_frames)], trace_hidden=True)[0]
    return Generated(res.codes, res.audio, torch.stack(res.hidden), res.ended)


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


def _hidden_row(model: VoxtralModel, hidden: torch.Tensor) -> torch.Tensor:
    return torch.as_tensor(hidden)[None].to(model.device, model.dtype)


@torch.inference_mode()
def semantic_logits(model: VoxtralModel, hidden: torch.Tensor) -> torch.Tensor:
    """The masked fp32 semantic logits [rows] of one hidden state [D] (argmax = the semantic code)."""
    return model.acoustic_transformer.semantic_logits(_hidden_row(model, hidden))[0].cpu()


@torch.inference_mode()
def frame_latent(model: VoxtralModel, hidden: torch.Tensor, noise: torch.Tensor,
                 cfg_alpha: float = DEFAULT_CFG_ALPHA, n_steps: int | None = None) -> torch.Tensor:
    """One frame's flow output [36] (float32) before the clamp and FSQ rounding: where two
    implementations round differently, this shows how close to a level boundary the value was."""
    x0 = torch.as_tensor(noise)[None].to(model.device, torch.float32)
    return model.acoustic_transformer.decode_acoustic(_hidden_row(model, hidden), x0, cfg_alpha, n_steps)[0].cpu()


@torch.inference_mode()
def frame_codes(model: VoxtralModel, hidden: torch.Tensor, noise: torch.Tensor,
                cfg_alpha: float = DEFAULT_CFG_ALPHA, n_steps: int | None = None) -> torch.Tensor:
    """One frame's 37 codes (+2 offset) from a hidden state [D] and flow noise [36]."""
    x0 = torch.as_tensor(noise)[None].to(model.device, torch.float32)
    return model.acoustic_transformer.frame_codes(_hidden_row(model, hidden), x0, cfg_alpha, n_steps)[0].cpu()


@torch.inference_mode()
def decode_codes(model: VoxtralModel, codes: torch.Tensor) -> torch.Tensor:
    """Codec decode of [T, 37] codes (+2 offset; cut at the first END) -> float32 waveform."""
    return Generator(model).decode([torch.as_tensor(codes)])[0]


@torch.inference_mode()
def codec_stages(model: VoxtralModel, codes: torch.Tensor) -> dict[str, torch.Tensor]:
    """Codec intermediates for [T, 37] codes (+2 offset; cut at the first END), float32 [C, L] each:
    'quantizer' (the latent), 'decoder_blocks.0' ... 'decoder_blocks.7', 'output_proj' (before the
    unpatch to the waveform)."""
    trace: list[tuple[str, torch.Tensor]] = []
    model.audio_tokenizer(cut_at_end(codes)[None].to(model.device), trace=trace)
    return {name: t[0].cpu() for name, t in trace}
