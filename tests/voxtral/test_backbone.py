import torch
import torch.nn.functional as F

from pipeline.voxtral.backbone import Backbone, interleaved_to_half_split, rope_half_split, rope_interleaved


def test_rope_interleaved_vs_half_split_with_permutation():
    g = torch.Generator().manual_seed(0)
    hd, nh, din, s = 16, 3, 20, 7
    wq, wk = torch.randn(nh * hd, din, generator=g, dtype=torch.float64), torch.randn(nh * hd, din, generator=g, dtype=torch.float64)
    x = torch.randn(s, din, generator=g, dtype=torch.float64)
    pos = torch.arange(s) + 3

    def scores(wq, wk, rope):
        q = rope((x @ wq.T).view(s, nh, hd).transpose(0, 1), pos, 1e6)
        k = rope((x @ wk.T).view(s, nh, hd).transpose(0, 1), pos, 1e6)
        return q @ k.transpose(-1, -2)

    ref = scores(wq, wk, rope_interleaved)
    perm = scores(interleaved_to_half_split(wq, hd), interleaved_to_half_split(wk, hd), rope_half_split)
    assert torch.allclose(ref, perm, atol=1e-9)
    assert not torch.allclose(ref, scores(wq, wk, rope_half_split), atol=1e-3)  # the silent bug
    # position 0 is the identity; dim 0 rotates into dim 1 (interleaved pairs)
    v = torch.zeros(1, 1, hd, dtype=torch.float64)
    v[..., 0] = 1
    assert torch.equal(rope_interleaved(v, torch.tensor([0]), 1e6), v)
    r = rope_interleaved(v, torch.tensor([1]), 1e6)
    assert r[..., 1].abs() > 0.5 and r[..., 2:].abs().max() == 0


def _reference_forward(model, ckpt, emb):
    """Independent Mistral-native forward (interleaved RoPE, raw checkpoint weights)."""
    a = model.params.backbone
    s = emb.shape[0]
    pos = torch.arange(s)

    def rms(x, w):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + a.norm_eps) * w

    x = emb.double()
    for i in range(a.n_layers):
        p = lambda n: ckpt[f"layers.{i}.{n}"].double()
        h = rms(x, p("attention_norm.weight"))
        q = rope_interleaved((h @ p("attention.wq.weight").T).view(s, a.n_heads, a.head_dim).transpose(0, 1), pos, a.rope_theta)
        k = rope_interleaved((h @ p("attention.wk.weight").T).view(s, a.n_kv_heads, a.head_dim).transpose(0, 1), pos, a.rope_theta)
        v = (h @ p("attention.wv.weight").T).view(s, a.n_kv_heads, a.head_dim).transpose(0, 1)
        rep = a.n_heads // a.n_kv_heads
        k, v = k.repeat_interleave(rep, 0), v.repeat_interleave(rep, 0)
        att = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + att.transpose(0, 1).reshape(s, -1) @ p("attention.wo.weight").T
        h = rms(x, p("ffn_norm.weight"))
        x = x + (F.silu(h @ p("feed_forward.w1.weight").T) * (h @ p("feed_forward.w3.weight").T)) @ p("feed_forward.w2.weight").T
    return rms(x, ckpt["norm.weight"].double())


def test_backbone_matches_independent_interleaved_reference(tiny_dir, tiny_model, voices):
    from safetensors.torch import load_file

    from pipeline.voxtral.check import prefill_hidden_all
    from pipeline.voxtral.tokenize import prompt_from_text_ids

    ckpt = {k: v.float() for k, v in load_file(str(tiny_dir / "consolidated.safetensors")).items()}
    ids = prompt_from_text_ids([100, 120, 140, 160, 180], 3)
    emb = tiny_model.embed_prompt(torch.tensor(ids), voices["alice"])
    ours = prefill_hidden_all(tiny_model, ids, voices["alice"])
    ref = _reference_forward(tiny_model, ckpt, emb.detach())
    assert torch.allclose(ours.double(), ref, atol=1e-4), (ours.double() - ref).abs().max()


def _frames(model, n, seed=0):
    g = torch.Generator().manual_seed(seed)
    a = model.params.acoustic
    sem = torch.randint(2, a.semantic_codebook_size + 2, (n, 1), generator=g)
    ac = torch.randint(2, a.acoustic_codebook_size + 2, (n, a.n_acoustic_codebook), generator=g)
    return torch.cat([sem, ac], 1)


def test_kv_cache_equals_full_causal_forward(tiny_model, voices):
    from pipeline.voxtral.check import backbone_hiddens
    from pipeline.voxtral.tokenize import prompt_from_text_ids

    ids = prompt_from_text_ids([90, 91, 92, 93], 5)
    codes = _frames(tiny_model, 6)
    inc = backbone_hiddens(tiny_model, ids, voices["bob"], codes)
    emb = torch.cat([tiny_model.embed_prompt(torch.tensor(ids), voices["bob"]), tiny_model.frame_embedding(codes)])
    with torch.inference_mode():
        full = tiny_model.backbone(inputs_embeds=emb[None], use_cache=False).last_hidden_state[0]
    assert torch.allclose(inc, full[len(ids) - 1:], atol=2e-4)
    # causality: a truncated input leaves earlier outputs unchanged
    with torch.inference_mode():
        part = tiny_model.backbone(inputs_embeds=emb[None, :-3], use_cache=False).last_hidden_state[0]
    assert torch.allclose(part, full[:-3], atol=1e-5)


def test_left_padded_batch_equals_single(tiny_model, voices):
    from pipeline.voxtral.tokenize import prompt_from_text_ids

    bb = Backbone(tiny_model.backbone)
    prompts = [(prompt_from_text_ids([70 + i for i in range(n)], voices[v].shape[0]), voices[v])
               for n, v in ((2, "alice"), (9, "bob"), (5, "carol"))]
    embs = [tiny_model.embed_prompt(torch.tensor(ids), vo) for ids, vo in prompts]
    lmax = max(e.shape[0] for e in embs)
    x = torch.zeros(len(embs), lmax, embs[0].shape[1])
    mask = torch.zeros(len(embs), lmax, dtype=torch.long)
    for i, e in enumerate(embs):
        x[i, lmax - len(e):] = e
        mask[i, lmax - len(e):] = 1
    codes = _frames(tiny_model, 3)
    with torch.inference_mode():
        hb, cache = bb.prefill(x, mask)
        steps_b = [hb[:, -1]]
        for f in range(3):
            mask = torch.cat([mask, torch.ones(len(embs), 1, dtype=torch.long)], 1)
            h, cache = bb.step(tiny_model.frame_embedding(codes[f:f + 1].expand(len(embs), -1))[:, None], mask, cache)
            steps_b.append(h)
        assert torch.isfinite(hb[mask[:, :lmax].bool()]).all()
        for i, e in enumerate(embs):
            hs, c1 = bb.prefill(e[None], torch.ones(1, len(e), dtype=torch.long))
            assert torch.allclose(hs[0], hb[i, lmax - len(e):], atol=1e-4)
            m1 = torch.ones(1, len(e), dtype=torch.long)
            for f in range(3):
                m1 = torch.cat([m1, torch.ones(1, 1, dtype=torch.long)], 1)
                h1, c1 = bb.step(tiny_model.frame_embedding(codes[f:f + 1])[:, None], m1, c1)
                assert torch.allclose(h1[0], steps_b[f + 1][i], atol=1e-4)
