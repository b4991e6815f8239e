"""Model configuration read from a Voxtral `params.json` (Mistral-native layout).

Every dimension, layer count included, comes from the file; only documented upstream defaults
(for keys the published file omits) live here.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import PipelineError

END_AUDIO = 1  # semantic code that ends a sequence (codes carry a +2 offset: 0 EMPTY, 1 END)
EMPTY_AUDIO = 0
N_SPECIAL_AUDIO = 2
DEFAULT_CFG_ALPHA = 1.2
PAPER_DECODING_STEPS = 8  # the paper's NFE count; upstream (and our default) uses 7


def _round_up(n: int, multiple: int = 128) -> int:
    return int(math.ceil(n / multiple) * multiple)


def _ints(s: str | list[int]) -> list[int]:
    if isinstance(s, str):
        return [int(x) for x in s.split(",") if x.strip()]
    return [int(x) for x in s]


@dataclass(frozen=True)
class BackboneArgs:
    dim: int
    n_layers: int
    n_heads: int
    n_kv_heads: int
    head_dim: int
    hidden_dim: int
    vocab_size: int
    rope_theta: float
    norm_eps: float
    max_seq_len: int = 8192


@dataclass(frozen=True)
class AcousticArgs:
    """The flow-matching transformer plus the codebook layout."""

    input_dim: int
    dim: int
    n_layers: int
    n_heads: int
    n_kv_heads: int
    head_dim: int
    hidden_dim: int
    norm_eps: float
    n_decoding_steps: int
    semantic_codebook_size: int
    acoustic_codebook_size: int  # FSQ levels
    n_acoustic_codebook: int

    @property
    def semantic_head_rows(self) -> int:
        return _round_up(self.semantic_codebook_size + N_SPECIAL_AUDIO)

    @property
    def n_codebooks(self) -> int:
        return 1 + self.n_acoustic_codebook

    @property
    def codebook_sizes(self) -> list[int]:
        return [self.semantic_codebook_size + N_SPECIAL_AUDIO] + [
            self.acoustic_codebook_size + N_SPECIAL_AUDIO] * self.n_acoustic_codebook

    @property
    def codebook_offsets(self) -> list[int]:
        offs, acc = [], 0
        for s in self.codebook_sizes:
            offs.append(acc)
            acc += s
        return offs

    @property
    def frame_embedding_rows(self) -> int:
        return _round_up(sum(self.codebook_sizes))


@dataclass(frozen=True)
class CodecArgs:
    sampling_rate: int
    channels: int
    patch_size: int  # pretransform_patch_size: samples per codec step
    patch_proj_kernel_size: int
    semantic_codebook_size: int
    semantic_dim: int
    acoustic_codebook_size: int
    acoustic_dim: int
    dim: int
    hidden_dim: int
    n_heads: int
    n_kv_heads: int
    head_dim: int
    norm_eps: float
    qk_norm: bool
    qk_norm_eps: float
    layer_scale: bool
    attn_sliding_window_size: int
    half_attn_window_upon_downsampling: bool
    encoder_convs_strides: list[int]
    decoder_transformer_lengths: list[int]
    decoder_convs_kernels: list[int]
    decoder_convs_strides: list[int]
    voices: dict[str, int] = field(default_factory=dict)

    @property
    def latent_dim(self) -> int:
        return self.semantic_dim + self.acoustic_dim

    @property
    def upsample(self) -> int:
        return math.prod(self.decoder_convs_strides)

    @property
    def samples_per_frame(self) -> int:
        return self.patch_size * self.upsample

    @property
    def frame_rate(self) -> float:
        return self.sampling_rate / self.samples_per_frame

    def decoder_windows(self) -> list[int]:
        """Attention window of each decoder transformer stage, derived like upstream: the encoder's
        downsampling halves the base window, each decoder upsampling doubles it again."""
        w = self.attn_sliding_window_size
        if self.half_attn_window_upon_downsampling:
            for s in self.encoder_convs_strides:
                if s > 1:
                    w //= 2
        out = []
        for s in self.decoder_convs_strides:
            if self.half_attn_window_upon_downsampling and s > 1:
                w *= 2
            out.append(w)
        return out


@dataclass(frozen=True)
class VoxtralParams:
    backbone: BackboneArgs
    acoustic: AcousticArgs
    codec: CodecArgs
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def samples_per_frame(self) -> int:
        return self.codec.samples_per_frame

    @property
    def sample_rate(self) -> int:
        return self.codec.sampling_rate

    @classmethod
    def from_file(cls, path: str | Path) -> "VoxtralParams":
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise PipelineError(f"{path}: params.json not found") from None
        except (OSError, ValueError) as exc:
            raise PipelineError(f"{path}: unreadable params.json ({exc})") from None
        try:
            return cls.from_dict(data)
        except (KeyError, TypeError, ValueError) as exc:
            raise PipelineError(f"{path}: unexpected params.json layout ({exc!r})") from None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "VoxtralParams":
        mm = d["multimodal"]
        am = mm["audio_model_args"]
        at = am["acoustic_transformer_args"]
        tk = mm["audio_tokenizer_args"]
        dim = int(d["dim"])
        n_heads = int(d["n_heads"])
        backbone = BackboneArgs(
            dim=dim, n_layers=int(d["n_layers"]), n_heads=n_heads,
            n_kv_heads=int(d.get("n_kv_heads", n_heads)),
            head_dim=int(d.get("head_dim", dim // n_heads)),
            hidden_dim=int(d["hidden_dim"]), vocab_size=int(d["vocab_size"]),
            rope_theta=float(d.get("rope_theta", 1e6)), norm_eps=float(d.get("norm_eps", 1e-5)),
            max_seq_len=int(d.get("max_seq_len", 8192)),
        )
        if "semantic_codebook_size" in am:
            sem_size = int(am["semantic_codebook_size"])
            ac_size = int(am["acoustic_codebook_size"])
            n_ac = int(am["n_acoustic_codebook"])
        else:  # "codebook_sizes": "8192,21,21,..."
            sizes = _ints(am["codebook_sizes"])
            sem_size, ac_size, n_ac = sizes[0], sizes[1], len(sizes) - 1
        a_heads = int(at["n_heads"])
        acoustic = AcousticArgs(
            input_dim=int(at.get("input_dim", dim)), dim=int(at["dim"]), n_layers=int(at["n_layers"]),
            n_heads=a_heads, n_kv_heads=int(at.get("n_kv_heads", a_heads)),
            head_dim=int(at.get("head_dim", int(at["dim"]) // a_heads)),
            hidden_dim=int(at["hidden_dim"]), norm_eps=float(at.get("norm_eps", 1e-5)),
            n_decoding_steps=int(at.get("n_decoding_steps", 7)),
            semantic_codebook_size=sem_size, acoustic_codebook_size=ac_size, n_acoustic_codebook=n_ac,
        )
        c_heads = int(tk["n_heads"])
        codec = CodecArgs(
            sampling_rate=int(tk["sampling_rate"]), channels=int(tk.get("channels", 1)),
            patch_size=int(tk["pretransform_patch_size"]),
            patch_proj_kernel_size=int(tk["patch_proj_kernel_size"]),
            semantic_codebook_size=int(tk["semantic_codebook_size"]), semantic_dim=int(tk["semantic_dim"]),
            acoustic_codebook_size=int(tk["acoustic_codebook_size"]), acoustic_dim=int(tk["acoustic_dim"]),
            dim=int(tk["dim"]), hidden_dim=int(tk["hidden_dim"]), n_heads=c_heads,
            n_kv_heads=int(tk.get("n_kv_heads", c_heads)),
            head_dim=int(tk.get("head_dim", int(tk["dim"]) // c_heads)),
            norm_eps=float(tk.get("norm_eps", 1e-2)), qk_norm=bool(tk.get("qk_norm", True)),
            qk_norm_eps=float(tk.get("qk_norm_eps", 1e-6)), layer_scale=bool(tk.get("layer_scale", True)),
            attn_sliding_window_size=int(tk["attn_sliding_window_size"]),
            half_attn_window_upon_downsampling=bool(tk.get("half_attn_window_upon_downsampling", True)),
            encoder_convs_strides=_ints(tk.get("encoder_convs_strides_str", "2,2,2,1")),
            decoder_transformer_lengths=_ints(tk.get("decoder_transformer_lengths_str", "2,2,2,2")),
            decoder_convs_kernels=_ints(tk.get("decoder_convs_kernels_str", "3,4,4,4")),
            decoder_convs_strides=_ints(tk.get("decoder_convs_strides_str", "1,2,2,2")),
            voices=dict(tk.get("voice", {}) or {}),
        )
        if acoustic.n_acoustic_codebook != codec.acoustic_dim:
            raise ValueError("n_acoustic_codebook != audio_tokenizer acoustic_dim")
        return cls(backbone=backbone, acoustic=acoustic, codec=codec, raw=d)


def reference_params_dict(n_layers: int | None = None) -> dict[str, Any]:
    """A params.json-shaped dict with the published 4B checkpoint's dimensions, for building a
    random-weight model of the real size (benchmarks, meta-device shape checks) without a download.
    A real model folder always uses its own params.json."""
    voices = ["casual_female", "casual_male", "cheerful_female", "neutral_female", "neutral_male",
              "pt_male", "pt_female", "nl_male", "nl_female", "it_male", "it_female", "fr_male",
              "fr_female", "es_male", "es_female", "de_male", "de_female", "ar_male", "hi_male", "hi_female"]
    return {
        "dim": 3072, "n_layers": 26 if n_layers is None else n_layers, "head_dim": 128, "hidden_dim": 9216,
        "n_heads": 32, "n_kv_heads": 8, "rope_theta": 1_000_000.0, "norm_eps": 1e-5,
        "vocab_size": 131072, "tied_embeddings": True,
        "multimodal": {
            "audio_model_args": {
                "semantic_codebook_size": 8192, "acoustic_codebook_size": 21, "n_acoustic_codebook": 36,
                "audio_encoding_args": {"sampling_rate": 24000, "frame_rate": 12.5},
                "acoustic_transformer_args": {
                    "input_dim": 3072, "dim": 3072, "n_layers": 3, "head_dim": 128, "hidden_dim": 9216,
                    "n_heads": 32, "n_kv_heads": 8, "use_biases": False, "rope_theta": 10000.0,
                    "sigma": 1e-5},
            },
            "audio_tokenizer_args": {
                "channels": 1, "sampling_rate": 24000, "pretransform_patch_size": 240,
                "patch_proj_kernel_size": 7, "semantic_codebook_size": 8192, "semantic_dim": 256,
                "acoustic_codebook_size": 21, "acoustic_dim": 36, "conv_weight_norm": True, "causal": True,
                "attn_sliding_window_size": 16, "half_attn_window_upon_downsampling": True,
                "dim": 1024, "hidden_dim": 4096, "head_dim": 128, "n_heads": 8, "n_kv_heads": 8,
                "qk_norm_eps": 1e-6, "qk_norm": True, "use_biases": False, "norm_eps": 0.01,
                "layer_scale": True, "layer_scale_init": 0.01,
                "encoder_transformer_lengths_str": "2,2,2,2", "encoder_convs_kernels_str": "4,4,4,3",
                "encoder_convs_strides_str": "2,2,2,1",
                "decoder_transformer_lengths_str": "2,2,2,2", "decoder_convs_kernels_str": "3,4,4,4",
                "decoder_convs_strides_str": "1,2,2,2",
                "voice": {v: i for i, v in enumerate(voices)},
            },
        },
    }
