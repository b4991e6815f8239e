import json
from pathlib import Path

import pytest
import torch

from pipeline.errors import PipelineError
from pipeline.voxtral.codec import alibi_slopes, fold_weight_norm
from pipeline.voxtral.loading import load_model, model_revision, resolve_model_dir
from pipeline.voxtral.model import VoxtralModel, expected_checkpoint
from pipeline.voxtral.params import VoxtralParams, reference_params_dict

MANIFEST = Path(__file__).resolve().parents[2].parent / "shared/voxtral/CKPT_MANIFEST.json"


def _meta_model(d):
    with torch.device("meta"):
        return VoxtralModel(VoxtralParams.from_dict(d))


def test_full_size_model_matches_manifest():
    if not MANIFEST.is_file():
        pytest.skip(f"{MANIFEST} not available")
    manifest = json.loads(MANIFEST.read_text())
    want = {k: tuple(v["shape"]) for k, v in manifest.items()}
    got = expected_checkpoint(_meta_model(reference_params_dict()))
    assert sorted(set(want) - set(got)) == [] and sorted(set(got) - set(want)) == []
    assert {k: v for k, v in got.items() if want[k] != v} == {}
    assert len(got) == len(manifest)


def test_layer_count_comes_from_params():
    got = expected_checkpoint(_meta_model(reference_params_dict(n_layers=2)))
    assert sum(1 for k in got if k.startswith("layers.")) == 2 * 9
    p = VoxtralParams.from_dict(reference_params_dict())
    assert p.acoustic.semantic_head_rows == 8320 and p.acoustic.frame_embedding_rows == 9088
    assert p.samples_per_frame == 1920 and p.codec.frame_rate == 12.5
    assert p.codec.decoder_windows() == [2, 4, 8, 16]
    assert p.acoustic.n_decoding_steps == 7


def test_alibi_slopes():
    assert torch.allclose(alibi_slopes(8), torch.tensor([2.0 ** -h for h in range(8)]))


def test_weight_norm_fold():
    g = torch.rand(6, 1, 1) + 0.5
    for v in (torch.randn(6, 4, 3), torch.randn(6, 5, 4)):  # Conv1d [out,in,k]; ConvTranspose1d [in,out,k]
        w = fold_weight_norm(g, v)
        assert torch.allclose(w.flatten(1).norm(dim=1), g.flatten(), atol=1e-5)
        assert torch.allclose(w / w.flatten(1).norm(dim=1)[:, None, None], v / v.flatten(1).norm(dim=1)[:, None, None], atol=1e-5)


def test_tiny_checkpoint_loads(tiny_dir, tiny_model):
    from safetensors import safe_open

    with safe_open(str(tiny_dir / "consolidated.safetensors"), "pt") as f:
        s = f.get_tensor("audio_tokenizer.quantizer.semantic_codebook.embedding_sum").float()
        u = f.get_tensor("audio_tokenizer.quantizer.semantic_codebook.cluster_usage").float()
        g = f.get_tensor("audio_tokenizer.output_proj.conv.parametrizations.weight.original0").float()
    table = tiny_model.audio_tokenizer.quantizer.semantic_codebook.embedding
    assert torch.allclose(table, s / u.clamp_min(1e-5)[:, None])
    w = tiny_model.audio_tokenizer.output_proj.conv.weight
    assert torch.allclose(w.flatten(1).norm(dim=1), g.flatten(), atol=1e-4)
    fm = tiny_model.acoustic_transformer
    assert torch.isfinite(fm.inv_freq).all() and fm.inv_freq[0] == 1.0
    assert model_revision(tiny_dir).startswith("voxtral-")


def _copy_with(tiny_dir, tmp_path, edit):
    from safetensors.torch import load_file, save_file
    import shutil

    dst = tmp_path / "ckpt"
    shutil.copytree(tiny_dir, dst)
    sd = load_file(str(dst / "consolidated.safetensors"))
    edit(sd)
    save_file(sd, str(dst / "consolidated.safetensors"))
    return dst


def test_loader_names_mismatches(tiny_dir, tmp_path):
    def edit(sd):
        sd["layers.0.attention.wq.weightX"] = sd.pop("layers.0.attention.wq.weight")
        sd["norm.weight"] = torch.ones(7)
        sd["audio_tokenizer.input_proj.conv.weight"] = torch.ones(1)

    d = _copy_with(tiny_dir, tmp_path, edit)
    with pytest.raises(PipelineError) as e:
        load_model(d, "cpu", torch.float32)
    msg = str(e.value)
    assert "missing: layers.0.attention.wq.weight" in msg
    assert "unexpected: audio_tokenizer.input_proj.conv.weight" in msg and "layers.0.attention.wq.weightX" in msg
    assert "wrong shape: norm.weight" in msg


def test_missing_weights_error(tmp_path, monkeypatch):
    with pytest.raises(PipelineError, match="does not exist.*download_weights.*CC BY-NC"):
        resolve_model_dir(tmp_path / "nope")
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "params.json").write_text("{}")
    with pytest.raises(PipelineError, match="lacks consolidated.safetensors"):
        resolve_model_dir(tmp_path / "half")
    monkeypatch.delenv("VOXTRAL_MODEL_DIR", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hfcache"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hfhome"))
    with pytest.raises(PipelineError, match="Voxtral weights not found.*download_weights.*CC BY-NC"):
        resolve_model_dir(None)
