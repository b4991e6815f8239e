"""Finding, downloading and loading Voxtral checkpoints.

The weights are CC BY-NC 4.0 and are never shipped with this project: they are fetched on request
(`download_weights()`) into the standard Hugging Face cache, or read from a folder the user gives.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from pathlib import Path

import torch

from pipeline.errors import PipelineError
from pipeline.voxtral.codec import fold_weight_norm
from pipeline.voxtral.model import SEM_EMA, SEM_TABLE, VoxtralModel, expected_checkpoint
from pipeline.voxtral.backbone import interleaved_to_half_split
from pipeline.voxtral.params import VoxtralParams

REPO_ID = "mistralai/Voxtral-4B-TTS-2603"
WEIGHTS_FILE = "consolidated.safetensors"
PARAMS_FILE = "params.json"
TOKENIZER_FILE = "tekken.json"
VOICE_DIR = "voice_embedding"
ALLOW_PATTERNS = [WEIGHTS_FILE, PARAMS_FILE, TOKENIZER_FILE, f"{VOICE_DIR}/*"]
ENV_MODEL_DIR = "VOXTRAL_MODEL_DIR"
LICENCE_NOTE = ("The Voxtral weights are licensed CC BY-NC 4.0 (non-commercial use only, the voice presets "
                "included) and are not shipped with this project.")
FETCH_HINT = ("fetch them with: python -c \"from pipeline.voxtral.loading import download_weights; "
              "download_weights()\" (needs `huggingface_hub`; accept the licence on "
              f"https://huggingface.co/{REPO_ID} first), or pass model_dir / set {ENV_MODEL_DIR} to a folder "
              f"holding {', '.join(ALLOW_PATTERNS)}")


def _missing(folder: Path, need_voices: bool = True) -> list[str]:
    missing = [f for f in (WEIGHTS_FILE, PARAMS_FILE) if not (folder / f).is_file()]
    if need_voices and not any((folder / VOICE_DIR).glob("*.pt")):
        missing.append(f"{VOICE_DIR}/*.pt")
    return missing


def download_weights(cache_dir: str | None = None, revision: str | None = None,
                     local_dir: str | None = None) -> Path:
    """Download exactly the files the engine needs (into the HF cache unless `local_dir`)."""
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        raise PipelineError("downloading Voxtral weights needs `huggingface_hub` "
                            "(pip install 'audiobook-pipeline[voxtral]')") from None
    try:
        path = snapshot_download(REPO_ID, revision=revision, allow_patterns=ALLOW_PATTERNS,
                                 cache_dir=cache_dir, local_dir=local_dir)
    except Exception as exc:  # network, auth (gated repo), disk...
        raise PipelineError(f"could not download {REPO_ID}: {exc}. {LICENCE_NOTE}") from None
    return Path(path)


def resolve_model_dir(model_dir: str | os.PathLike | None = None, need_voices: bool = True) -> Path:
    """The folder holding the checkpoint: `model_dir`, else $VOXTRAL_MODEL_DIR, else the HF cache
    (offline lookup only: nothing is downloaded here). need_voices=False: the caller passes voice
    rows itself, so `voice_embedding/` may be absent."""
    given = model_dir or os.environ.get(ENV_MODEL_DIR)
    if given:
        folder = Path(given).expanduser()
        if not folder.is_dir():
            raise PipelineError(f"Voxtral model folder {folder} does not exist; {FETCH_HINT}. {LICENCE_NOTE}")
        missing = _missing(folder, need_voices)
        if missing:
            raise PipelineError(f"Voxtral model folder {folder} lacks {', '.join(missing)}; {FETCH_HINT}. "
                                f"{LICENCE_NOTE}")
        return folder
    try:
        from huggingface_hub import snapshot_download

        folder = Path(snapshot_download(REPO_ID, allow_patterns=ALLOW_PATTERNS, local_files_only=True))
    except Exception:
        folder = None
    if folder is None or _missing(folder, need_voices):
        raise PipelineError(f"Voxtral weights not found (no model_dir, no ${ENV_MODEL_DIR}, nothing in the "
                            f"Hugging Face cache for {REPO_ID}); {FETCH_HINT}. {LICENCE_NOTE}")
    return folder


def safetensors_header(path: Path) -> bytes:
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        return f.read(n)


def model_revision(folder: Path) -> str:
    """Changes when the model changes: hash of params.json and the safetensors header (names,
    shapes, dtypes, offsets) - cheap, no need to read 8 GB."""
    h = hashlib.sha256()
    h.update((folder / PARAMS_FILE).read_bytes())
    h.update(safetensors_header(folder / WEIGHTS_FILE))
    return "voxtral-" + h.hexdigest()[:16]


def list_voices(folder: Path) -> list[str]:
    return sorted(p.stem for p in (folder / VOICE_DIR).glob("*.pt"))


def load_voice(folder: Path, name: str) -> torch.Tensor:
    path = folder / VOICE_DIR / f"{name}.pt"
    if not path.is_file():
        raise PipelineError(f"unknown Voxtral voice {name!r}; presets: {', '.join(list_voices(folder))}")
    t = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(t, torch.Tensor) or t.dim() != 2:
        raise PipelineError(f"{path}: expected a [N, dim] tensor")
    return t


def default_device_dtype(device: str | torch.device | None, dtype: torch.dtype | str | None):
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(device)
    if isinstance(dtype, str):
        dtype = {"bf16": torch.bfloat16, "bfloat16": torch.bfloat16, "fp16": torch.float16,
                 "float16": torch.float16, "fp32": torch.float32, "float32": torch.float32}[dtype]
    if dtype is None:
        dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    return device, dtype


def init_buffers(model: VoxtralModel) -> None:
    """(Re)compute the non-persistent buffers (after building on the meta device + to_empty)."""
    import math

    from pipeline.voxtral.codec import alibi_slopes

    device = model.audio_embeddings.weight.device
    rot = model.backbone.rotary_emb
    model.backbone.rotary_emb = type(rot)(config=model.backbone.config).to(device)
    fm = model.acoustic_transformer
    half = fm.args.dim // 2
    fm.inv_freq = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=device) / half)
    for mod in model.audio_tokenizer.modules():
        if hasattr(mod, "slopes"):
            mod.slopes = alibi_slopes(mod.n_heads).to(device)
    model.codebook_offsets = torch.tensor(model.params.acoustic.codebook_offsets, dtype=torch.long,
                                          device=device)


def build_empty(params: VoxtralParams, device, dtype, attn_implementation: str = "sdpa") -> VoxtralModel:
    """The model with uninitialised weights on `device` (no init cost), buffers computed."""
    with torch.device("meta"):
        model = VoxtralModel(params, attn_implementation)
    model = model.to(dtype=dtype).to_empty(device=device)
    init_buffers(model)
    # semantic logits are computed in fp32 (a bf16 near-tie would flip the code)
    model.acoustic_transformer.semantic_codebook_output.float()
    return model.eval().requires_grad_(False)


def check_names(expected: dict[str, tuple[int, ...]], found: dict[str, tuple[int, ...]], where: str) -> None:
    missing = sorted(set(expected) - set(found))
    unexpected = sorted(set(found) - set(expected))
    wrong = sorted(n for n in set(expected) & set(found) if tuple(expected[n]) != tuple(found[n]))
    if missing or unexpected or wrong:
        parts = []
        for label, names, fmt in (
            ("missing", missing, lambda n: f"{n} {list(expected[n])}"),
            ("unexpected", unexpected, lambda n: f"{n} {list(found[n])}"),
            ("wrong shape", wrong, lambda n: f"{n}: file {list(found[n])}, model {list(expected[n])}"),
        ):
            if names:
                shown = "; ".join(fmt(n) for n in names[:8]) + (f"; ... ({len(names)} in all)" if len(names) > 8 else "")
                parts.append(f"{label}: {shown}")
        raise PipelineError(f"{where} does not match the model built from params.json: " + " | ".join(parts))


def _read_tensor(weights: Path, name: str) -> torch.Tensor:
    """One tensor, from its own short-lived memory map: the file's pages are unmapped again right
    away, so a load never holds the whole 8 GB file in its resident memory beside the model."""
    from safetensors import safe_open

    with safe_open(str(weights), framework="pt", device="cpu") as f:
        return f.get_tensor(name)


@torch.no_grad()
def load_state(model: VoxtralModel, weights: Path) -> None:
    """Fill `model` (built empty in its target dtype and device) from a consolidated.safetensors,
    checking every name and shape first. Each tensor is read in the file's dtype and copied straight
    into its parameter (`copy_` casts and moves): no full-size intermediate copy."""
    from safetensors import safe_open

    from pipeline.voxtral.model import WN, module_name_for

    expected = expected_checkpoint(model)
    with safe_open(str(weights), framework="pt", device="cpu") as f:
        found = {k: tuple(f.get_slice(k).get_shape()) for k in f.keys()}
    check_names(expected, found, str(weights))
    state = model.state_dict()
    head_dim = model.params.backbone.head_dim
    done: set[str] = set()
    for name in sorted(found):
        if name in done:
            continue
        target = module_name_for(name)
        if name in SEM_EMA:
            s, u = (_read_tensor(weights, n).float() for n in SEM_EMA)
            value = s / u.clamp_min(1e-5)[:, None]
            done.update(SEM_EMA)
            target = SEM_TABLE
        elif WN in name:
            base = name.split(WN)[0]
            value = fold_weight_norm(_read_tensor(weights, f"{base}{WN}0"), _read_tensor(weights, f"{base}{WN}1"))
            done.update({f"{base}{WN}0", f"{base}{WN}1"})
        else:
            value = _read_tensor(weights, name)
            if name.endswith(("attention.wq.weight", "attention.wk.weight")) and name.startswith("layers."):
                value = interleaved_to_half_split(value, head_dim)
            done.add(name)
        state[target].copy_(value)
        del value


def load_model(model_dir: str | os.PathLike | None = None, device=None, dtype=None,
               attn_implementation: str = "sdpa", need_voices: bool = True) -> tuple[VoxtralModel, Path]:
    folder = resolve_model_dir(model_dir, need_voices)
    params = VoxtralParams.from_file(folder / PARAMS_FILE)
    device, dtype = default_device_dtype(device, dtype)
    model = build_empty(params, device, dtype, attn_implementation)
    load_state(model, folder / WEIGHTS_FILE)
    return model, folder


def load_params_only(folder: Path) -> VoxtralParams:
    return VoxtralParams.from_file(folder / PARAMS_FILE)


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))
