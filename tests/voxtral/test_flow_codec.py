import math

import torch

from pipeline.voxtral.codec import banded_alibi_attention
from pipeline.voxtral.flow_matching import fsq_dequantize, fsq_quantize
from pipeline.voxtral.params import END_AUDIO


def test_fsq_round_trip_and_mapping():
    assert fsq_quantize(torch.tensor([-2.0, -1.0, 0.0, 1.0, 2.0])).tolist() == [0, 0, 10, 20, 20]
    q = torch.arange(21)
    assert torch.equal(fsq_quantize(fsq_dequantize(q)), q)


def test_semantic_head_masks_empty_and_padding(tiny_model):
    fm = tiny_model.acoustic_transformer
    rows, valid = fm.args.semantic_head_rows, fm.args.semantic_codebook_size + 2
    assert rows == 128 and valid == 32
    h = torch.randn(4, tiny_model.params.backbone.dim)
    w = fm.semantic_codebook_output.weight
    saved = w.clone()
    try:
        with torch.no_grad():
            w[0] = h[0] * 100
            w[valid + 5] = h[1] * 100
        codes = fm.semantic_code(h)
        assert codes[0] not in (0,) and codes[1] < valid and (codes >= 1).all()
        with torch.no_grad():
            w[END_AUDIO] = h[2] * 100
        assert fm.semantic_code(h)[2] == END_AUDIO
    finally:
        with torch.no_grad():
            w.copy_(saved)


def test_flow_cfg_and_steps(tiny_model):
    fm = tiny_model.acoustic_transformer
    g = torch.Generator().manual_seed(1)
    h = torch.randn(3, 64, generator=g)
    x0 = torch.randn(3, 36, generator=g)
    with torch.inference_mode():
        x1 = fm.decode_acoustic(h, x0, 1.0, n_steps=1)
        v = fm.velocity(x0, fm.time_projection(fm.time_embedding(torch.zeros(1))), fm.llm_projection(h))
        assert torch.allclose(x1, x0 + v, atol=1e-5)
        a = fm.decode_acoustic(h, x0, 1.2)
        b = fm.decode_acoustic(h, x0, 1.0)
        assert not torch.allclose(a, b)
        # rows are independent (per-row alpha, batch of 3 == singles)
        single = torch.cat([fm.decode_acoustic(h[i:i + 1], x0[i:i + 1], 1.2) for i in range(3)])
        assert torch.allclose(a, single, atol=1e-5)
        # bidirectional: h (token 2) changes token 0's velocity
        v2 = fm.velocity(x0, fm.time_projection(fm.time_embedding(torch.zeros(1))), fm.llm_projection(h * 2))
        assert not torch.allclose(v, v2)
    assert fm.args.n_decoding_steps == 7


def test_frame_codes_end_frame_and_embedding(tiny_model):
    from pipeline.voxtral.check import frame_codes

    g = torch.Generator().manual_seed(5)
    for _ in range(20):
        h, x0 = torch.randn(64, generator=g), torch.randn(36, generator=g)
        c = frame_codes(tiny_model, h, x0)
        if c[0] == END_AUDIO:
            assert (c[1:] == 2).all()  # END frame: EMPTY acoustic codes
        else:
            break
    assert c.shape == (37,) and 2 <= c[0] < 32 and ((c[1:] >= 2) & (c[1:] <= 22)).all()
    assert torch.equal(frame_codes(tiny_model, h, x0), c)
    table = tiny_model.audio_embeddings.weight
    offs = tiny_model.params.acoustic.codebook_offsets
    want = sum(table[int(c[i]) + offs[i]] for i in range(37))
    assert torch.allclose(tiny_model.frame_embedding(c[None])[0], want, atol=1e-5)
    assert offs[1] == 32 and offs[-1] == 32 + 23 * 35


def _dense_alibi(q, k, v, window, slopes):
    L = q.shape[2]
    i = torch.arange(L)[:, None]
    j = torch.arange(L)[None]
    bias = slopes.view(-1, 1, 1) * (j - i).float()
    bias = bias.masked_fill(~((j <= i) & (j >= i - window)), float("-inf"))
    return torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]) + bias, -1) @ v


def test_banded_attention_equals_dense():
    from pipeline.voxtral.codec import alibi_slopes

    for L, w, block in ((1, 2, 64), (37, 4, 8), (100, 16, 64), (50, 16, 7)):
        q, k, v = (torch.randn(2, 4, L, 8) for _ in range(3))
        s = alibi_slopes(4)
        assert torch.allclose(banded_alibi_attention(q, k, v, w, s, block), _dense_alibi(q, k, v, w, s), atol=1e-5)


def test_codec_lengths_causality_and_batching(tiny_model):
    from pipeline.voxtral.generate import Generator

    g = torch.Generator().manual_seed(3)
    codes = torch.cat([torch.randint(2, 32, (24, 1), generator=g), torch.randint(2, 23, (24, 36), generator=g)], 1)
    dec = tiny_model.audio_tokenizer
    with torch.inference_mode():
        full = dec(codes[None])[0]
        assert full.shape == (24 * 1920,) and full.dtype == torch.float32
        for t in (1, 4, 13):
            part = dec(codes[None, :t])[0]
            assert part.shape == (t * 1920,)
            assert torch.allclose(part, full[: t * 1920], atol=1e-5)
    gen = Generator(tiny_model, codec_batch_size=2)
    cut = torch.cat([codes[:5], torch.tensor([[END_AUDIO] + [2] * 36]), codes[5:]])
    outs = gen.decode([codes[:3], codes, codes[:10], cut])
    assert [len(o) for o in outs] == [3 * 1920, 24 * 1920, 10 * 1920, 5 * 1920]
    assert torch.allclose(outs[1], full, atol=1e-5) and torch.allclose(outs[2], full[: 10 * 1920], atol=1e-5)
    assert torch.allclose(outs[3], full[: 5 * 1920], atol=1e-5)
