"""The whole Voxtral TTS network and the checkpoint-name <-> module-name mapping."""

from __future__ import annotations

import re

import torch
from torch import nn

from pipeline.errors import PipelineError
from pipeline.voxtral.backbone import build_backbone
from pipeline.voxtral.codec import CodecDecoder
from pipeline.voxtral.flow_matching import AcousticTransformer
from pipeline.voxtral.params import VoxtralParams

AUDIO_TOKEN_ID = 24  # [AUDIO] placeholder, overwritten by the voice preset rows


class VoxtralModel(nn.Module):
    def __init__(self, params: VoxtralParams, attn_implementation: str = "sdpa"):
        super().__init__()
        self.params = params
        a = params.acoustic
        self.backbone = build_backbone(params.backbone, attn_implementation)
        self.audio_embeddings = nn.Embedding(a.frame_embedding_rows, params.backbone.dim)
        self.acoustic_transformer = AcousticTransformer(a)
        self.audio_tokenizer = CodecDecoder(params.codec)
        self.register_buffer("codebook_offsets", torch.tensor(a.codebook_offsets, dtype=torch.long),
                             persistent=False)

    @property
    def device(self) -> torch.device:
        return self.audio_embeddings.weight.device

    @property
    def dtype(self) -> torch.dtype:
        return self.audio_embeddings.weight.dtype

    def embed_prompt(self, ids: torch.Tensor, voice: torch.Tensor | None) -> torch.Tensor:
        """ids [L] -> [L, D]: token embeddings with the [AUDIO] positions overwritten, in order,
        by the voice preset rows [N, D]."""
        emb = self.backbone.embed_tokens(ids.to(self.device))
        slots = (ids == AUDIO_TOKEN_ID).nonzero().flatten().to(self.device)
        n_voice = 0 if voice is None else voice.shape[0]
        if len(slots) != n_voice:
            raise PipelineError(
                f"prompt has {len(slots)} [AUDIO] placeholders but the voice preset has {n_voice} rows "
                "(a prompt built for one voice cannot be used with another)")
        if n_voice:
            emb = emb.clone()
            emb[slots] = voice.to(device=emb.device, dtype=emb.dtype)
        return emb

    def frame_embedding(self, codes: torch.Tensor) -> torch.Tensor:
        """codes [B, 37] (with the +2 offset) -> [B, D]: the sum of the 37 rows at code + offset."""
        return self.audio_embeddings(codes.to(self.device) + self.codebook_offsets).sum(dim=-2)


# ---------------------------------------------------------------------------------------------
# checkpoint naming
# ---------------------------------------------------------------------------------------------
_BACKBONE_LAYER = {
    "attention.wq.weight": "self_attn.q_proj.weight",
    "attention.wk.weight": "self_attn.k_proj.weight",
    "attention.wv.weight": "self_attn.v_proj.weight",
    "attention.wo.weight": "self_attn.o_proj.weight",
    "attention_norm.weight": "input_layernorm.weight",
    "ffn_norm.weight": "post_attention_layernorm.weight",
    "feed_forward.w1.weight": "mlp.gate_proj.weight",
    "feed_forward.w2.weight": "mlp.down_proj.weight",
    "feed_forward.w3.weight": "mlp.up_proj.weight",
}
_BACKBONE_LAYER_REV = {v: k for k, v in _BACKBONE_LAYER.items()}
_FIXED = {
    "norm.weight": "backbone.norm.weight",
    "mm_audio_embeddings.tok_embeddings.weight": "backbone.embed_tokens.weight",
    "mm_audio_embeddings.audio_codebook_embeddings.embeddings.weight": "audio_embeddings.weight",
}
_FIXED_REV = {v: k for k, v in _FIXED.items()}
WN = ".parametrizations.weight.original"
SEM_EMA = ("audio_tokenizer.quantizer.semantic_codebook.embedding_sum",
           "audio_tokenizer.quantizer.semantic_codebook.cluster_usage")
SEM_TABLE = "audio_tokenizer.quantizer.semantic_codebook.embedding"


def module_name_for(ckpt_name: str) -> str | None:
    """The model state-dict entry a checkpoint tensor feeds (None if unknown)."""
    if ckpt_name in _FIXED:
        return _FIXED[ckpt_name]
    m = re.fullmatch(r"layers\.(\d+)\.(.+)", ckpt_name)
    if m and m.group(2) in _BACKBONE_LAYER:
        return f"backbone.layers.{m.group(1)}.{_BACKBONE_LAYER[m.group(2)]}"
    if ckpt_name.startswith("acoustic_transformer."):
        return ckpt_name
    if ckpt_name.startswith("audio_tokenizer."):
        if ckpt_name in SEM_EMA:
            return SEM_TABLE
        if WN in ckpt_name:
            return ckpt_name.split(WN)[0] + ".weight"
        return ckpt_name
    return None


def expected_checkpoint(model: nn.Module) -> dict[str, tuple[int, ...]]:
    """Checkpoint tensor names and shapes the model expects, derived from its own state dict."""
    out: dict[str, tuple[int, ...]] = {}
    for name, t in model.state_dict().items():
        shape = tuple(t.shape)
        if name in _FIXED_REV:
            out[_FIXED_REV[name]] = shape
            continue
        m = re.fullmatch(r"backbone\.layers\.(\d+)\.(.+)", name)
        if m:
            out[f"layers.{m.group(1)}.{_BACKBONE_LAYER_REV[m.group(2)]}"] = shape
        elif name == SEM_TABLE:
            out[SEM_EMA[0]] = shape
            out[SEM_EMA[1]] = shape[:1]
        elif name.startswith("audio_tokenizer.") and name.endswith(".conv.weight"):
            base = name[: -len(".weight")]
            out[f"{base}{WN}0"] = (shape[0], 1, 1)
            out[f"{base}{WN}1"] = shape
        elif name.startswith(("acoustic_transformer.", "audio_tokenizer.")):
            out[name] = shape
        else:
            raise AssertionError(f"unmapped model tensor {name}")
    return out
