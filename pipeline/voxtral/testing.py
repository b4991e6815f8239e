"""A tiny random checkpoint in the real file layout (tests, smoke runs; no download)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import torch

from pipeline.voxtral.model import VoxtralModel, expected_checkpoint
from pipeline.voxtral.params import VoxtralParams, reference_params_dict

TINY_VOICES = {"alice": 3, "bob": 5, "carol": 4}
TINY_SPECIALS = 40  # ids 0..39 special, 40..295 the 256 single bytes


def tiny_params_dict() -> dict:
    d = reference_params_dict()
    d.update({"dim": 64, "n_layers": 2, "head_dim": 24, "hidden_dim": 96, "n_heads": 4, "n_kv_heads": 2,
              "vocab_size": TINY_SPECIALS + 256})
    am = d["multimodal"]["audio_model_args"]
    am["semantic_codebook_size"] = 30
    am["acoustic_transformer_args"].update({"input_dim": 64, "dim": 64, "n_layers": 3, "head_dim": 24,
                                            "hidden_dim": 96, "n_heads": 4, "n_kv_heads": 2})
    tk = d["multimodal"]["audio_tokenizer_args"]
    tk.update({"semantic_codebook_size": 30, "semantic_dim": 8, "dim": 32, "hidden_dim": 64, "head_dim": 16,
               "n_heads": 2, "n_kv_heads": 2, "voice": {v: i for i, v in enumerate(TINY_VOICES)}})
    return d


def random_checkpoint(expected: dict[str, tuple[int, ...]], seed: int = 0,
                      device: str | torch.device = "cpu") -> dict[str, torch.Tensor]:
    """bf16 tensors (on the CPU) for every checkpoint name; drawn on `device` (a GPU draws the
    8 GB of a full-size checkpoint in moments)."""
    g = torch.Generator(device=device).manual_seed(seed)

    def randn(shape):
        return torch.randn(shape, generator=g, device=device)

    def rand(shape):
        return torch.rand(shape, generator=g, device=device)

    out = {}
    for name, shape in sorted(expected.items()):
        if name.endswith(("norm.weight",)):
            t = 1 + 0.1 * randn(shape)
        elif name.endswith("cluster_usage"):
            t = rand(shape) * 10 + 0.5
        elif name.endswith(("attention_scale", "ffn_scale")):
            t = 0.05 + 0.1 * rand(shape)
        elif name.endswith("original0"):
            t = 0.5 + rand(shape)
        elif "embeddings" in name or name.endswith("embedding_sum"):
            t = randn(shape)
        else:
            t = randn(shape) / _fan_in(shape) ** 0.5
        out[name] = t.to(torch.bfloat16).cpu()
    return out


def _fan_in(shape) -> int:
    return shape[1] * (shape[2] if len(shape) > 2 else 1) if len(shape) > 1 else 1


@torch.no_grad()
def fill_random(model: VoxtralModel, seed: int = 0, bf16_exact: bool = False) -> VoxtralModel:
    """Random weights in place, wherever the model lives (no checkpoint file): norms 1, other
    vectors (layer scales) 0.05, matrices N(0, 1/fan_in), semantic codebook N(0, 1).
    bf16_exact: round every value to bf16 first, so that a bf16 copy holds exactly the same weights
    (as with a real bf16 checkpoint loaded in fp32)."""
    g = torch.Generator(device=model.device).manual_seed(seed)
    for name, p in model.named_parameters():
        if p.dim() == 1:
            p.fill_(1.0 if "norm" in name else 0.05)
        else:
            p.normal_(0.0, 1.0 / _fan_in(p.shape) ** 0.5, generator=g)
    model.audio_tokenizer.quantizer.semantic_codebook.embedding.normal_(0.0, 1.0, generator=g)
    if bf16_exact:
        for t in model.state_dict().values():
            if t.is_floating_point():
                t.copy_(t.bfloat16())
    return model


def write_tiny_tekken(path: Path, voices: dict[str, int]) -> None:
    """A byte-level tekken v7 file (256 single-byte tokens, 40 specials) mistral-common loads."""
    from mistral_common.tokens.tokenizers.base import SpecialTokens
    from mistral_common.tokens.tokenizers.tekken import Tekkenizer

    names = {0: "<unk>", 1: "<s>", 2: "</s>", 24: "[AUDIO]", 25: "[BEGIN_AUDIO]", 26: "[OUTPUT_AUDIO]",
             35: "[REPEAT_AUDIO_TEXT]", 36: "[NEXT_AUDIO_TEXT]"}
    for t in Tekkenizer.DEPRECATED_SPECIAL_TOKENS:
        if t["rank"] not in names and t["token_str"] not in names.values():
            names[t["rank"]] = t["token_str"]
    free = [i for i in range(TINY_SPECIALS) if i not in names]
    for st in SpecialTokens:
        if st.value not in names.values() and free:
            names[free.pop(0)] = st.value
    pattern = (r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|"
               r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?"
               r"[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+")
    data = {
        "config": {"pattern": pattern, "num_vocab_tokens": 256, "default_vocab_size": TINY_SPECIALS + 256,
                   "default_num_special_tokens": TINY_SPECIALS, "version": "v7"},
        "vocab": [{"rank": i, "token_bytes": base64.b64encode(bytes([i])).decode(), "token_str": None}
                  for i in range(256)],
        "special_tokens": [{"rank": i, "token_str": names.get(i, f"<SPECIAL_{i}>"), "is_control": True}
                           for i in range(TINY_SPECIALS)],
        "version": 1, "type": "Tekken",
        "audio": {"sampling_rate": 24000, "frame_rate": 12.5,
                  "audio_encoding_config": {"num_mel_bins": 128, "hop_length": 160, "window_size": 400},
                  "voice_num_audio_tokens": dict(voices)},
    }
    path.write_text(json.dumps(data), encoding="utf-8")


def write_tiny_checkpoint(folder: str | Path, seed: int = 0, tekken: bool = True) -> Path:
    from safetensors.torch import save_file

    folder = Path(folder)
    (folder / "voice_embedding").mkdir(parents=True, exist_ok=True)
    d = tiny_params_dict()
    (folder / "params.json").write_text(json.dumps(d, indent=1), encoding="utf-8")
    params = VoxtralParams.from_dict(d)
    with torch.device("meta"):
        model = VoxtralModel(params)
    save_file(random_checkpoint(expected_checkpoint(model), seed), str(folder / "consolidated.safetensors"))
    g = torch.Generator().manual_seed(seed + 1)
    for name, n in TINY_VOICES.items():
        torch.save(torch.randn(n, params.backbone.dim, generator=g).to(torch.bfloat16),
                   folder / "voice_embedding" / f"{name}.pt")
    if tekken:
        write_tiny_tekken(folder / "tekken.json", TINY_VOICES)
    return folder
