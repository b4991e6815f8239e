import shutil

import torch

from pipeline.voxtral.check import (backbone_hiddens, codec_stages, decode_codes, frame_codes, frame_latent,
                                    generate, load_reference, semantic_logits)
from pipeline.voxtral.flow_matching import fsq_quantize
from pipeline.voxtral.generate import Generator, Request
from pipeline.voxtral.tokenize import prompt_from_text_ids

IDS = prompt_from_text_ids([100, 101, 102, 103, 104, 105], 5)


def _noise(k, seed=9):
    return torch.randn(k, 36, generator=torch.Generator().manual_seed(seed))


def test_stage_entry_points_agree_with_free_running(tiny_model, voices):
    noise = _noise(5)
    out = generate(tiny_model, IDS, voices["bob"], noise, cfg_alpha=1.2)
    codes, wave = out.codes, out.wave
    assert codes.shape[1] == 37 and 0 < len(codes) <= 5 and wave.dtype == torch.float32
    assert wave.shape == (len(codes) * 1920,)
    # F+1 hiddens, whether the run stopped on END or on the noise length
    assert out.hidden.shape == (len(codes) + 1, 64)
    hs = backbone_hiddens(tiny_model, IDS, voices["bob"], codes)
    assert torch.allclose(out.hidden, hs, atol=1e-5)
    for f in range(len(codes)):  # stage by stage, teacher forced
        assert torch.equal(frame_codes(tiny_model, hs[f], noise[f]), codes[f])
        assert torch.equal(fsq_quantize(frame_latent(tiny_model, hs[f], noise[f])) + 2, codes[f, 1:])
        assert int(semantic_logits(tiny_model, hs[f]).argmax()) == int(codes[f, 0])
    assert torch.allclose(decode_codes(tiny_model, codes), wave, atol=1e-5)
    # the same noise gives the same codes whatever the batch
    res = Generator(tiny_model).generate([Request(IDS, voices["bob"], noise=noise),
                                          Request(IDS[:3] + IDS[6:], voices["carol"][:2], max_frames=7, seed=4)],
                                         trace_hidden=True)
    assert torch.equal(res[0].codes, codes)
    assert torch.allclose(torch.stack(res[0].hidden), hs, atol=1e-4)
    assert len(res[1].hidden) == len(res[1].codes) + 1


def test_max_frames_caps_and_hiddens_follow(tiny_model, voices):
    noise = _noise(8, seed=3)
    full = generate(tiny_model, IDS, voices["bob"], noise)
    for cap in (1, 3):
        out = generate(tiny_model, IDS, voices["bob"], noise, max_frames=cap)
        n = min(cap, len(full.codes))
        assert len(out.codes) == n and out.hidden.shape[0] == n + 1
        assert torch.equal(out.codes, full.codes[:n])
        assert torch.allclose(out.hidden, full.hidden[: n + 1], atol=1e-5)
        assert out.wave.shape == (n * 1920,)
        assert not out.ended or n < cap
    assert torch.allclose(out.hidden, backbone_hiddens(tiny_model, IDS, voices["bob"], out.codes), atol=1e-5)


def test_ended_run_reports_the_end_hidden(tiny_model, voices):
    # find a noise seed whose free run ends on END_AUDIO inside 30 frames (tiny codebook: 1 in 30 per frame)
    for seed in range(40):
        out = generate(tiny_model, IDS, voices["bob"], _noise(30, seed))
        if out.ended:
            break
    assert out.ended and len(out.codes) < 30
    hs = backbone_hiddens(tiny_model, IDS, voices["bob"], out.codes)
    assert torch.allclose(out.hidden, hs, atol=1e-5)
    assert int(semantic_logits(tiny_model, hs[-1]).argmax()) == 1  # the last hidden is the one that said END


def test_codec_stages_end_in_the_waveform(tiny_model, voices):
    codes = generate(tiny_model, IDS, voices["bob"], _noise(4)).codes
    stages = codec_stages(tiny_model, codes)
    assert list(stages) == ["quantizer"] + [f"decoder_blocks.{i}" for i in range(8)] + ["output_proj"]
    t = len(codes)
    assert stages["quantizer"].shape[-1] == t and stages["decoder_blocks.7"].shape[-1] == 8 * t
    wave = stages["output_proj"].transpose(0, 1).reshape(-1)
    assert torch.allclose(wave, decode_codes(tiny_model, codes), atol=1e-6)


def test_load_reference_needs_no_voice_folder(tiny_dir, tiny_model, voices, tmp_path):
    bare = tmp_path / "bare"
    bare.mkdir()
    for name in ("params.json", "consolidated.safetensors"):
        shutil.copy(tiny_dir / name, bare / name)
    model = load_reference(str(bare))
    noise = _noise(3)
    a = generate(model, IDS, voices["bob"], noise)
    b = generate(tiny_model, IDS, voices["bob"], noise)
    assert torch.equal(a.codes, b.codes) and torch.equal(a.hidden, b.hidden)
