import torch

from pipeline.voxtral.generate import Generator, Request, max_frames_for_text
from pipeline.voxtral.params import END_AUDIO
from pipeline.voxtral.tokenize import prompt_from_text_ids


def _req(voices, v, n_text, seed, max_frames=4, **kw):
    return Request(prompt_from_text_ids([60 + (i * 7) % 200 for i in range(n_text)], voices[v].shape[0]),
                   voices[v], max_frames=max_frames, seed=seed, **kw)


def _no_end(sem, rows, frame):
    return torch.where(sem == END_AUDIO, torch.full_like(sem, 2), sem)


def test_natural_batch_equals_each_alone(tiny_model, voices):
    gen = Generator(tiny_model)
    reqs = [_req(voices, v, n, 20 + n, 5) for v, n in (("alice", 3), ("bob", 10), ("carol", 6), ("bob", 1))]
    for r, b in zip(reqs, gen.generate(reqs)):
        alone = gen.generate([r])[0]
        assert torch.equal(alone.codes, b.codes) and alone.ended == b.ended


def test_batch_equals_each_alone(tiny_model, voices):
    gen = Generator(tiny_model)
    reqs = [_req(voices, "alice", 3, 11, 4), _req(voices, "bob", 12, 12, 6), _req(voices, "carol", 7, 13, 3)]
    batch = gen.generate(reqs, semantic_hook=_no_end)
    for r, b in zip(reqs, batch):
        alone = gen.generate([r], semantic_hook=_no_end)[0]
        assert torch.equal(alone.codes, b.codes)
        assert torch.allclose(alone.audio, b.audio, atol=1e-4)
        assert len(b.audio) == len(b.codes) * 1920
    assert [len(b.codes) for b in batch] == [4, 6, 3]  # different stop frames in one batch


def test_seed_reproducible(tiny_model, voices):
    gen = Generator(tiny_model)
    a = gen.generate([_req(voices, "bob", 5, 1)])[0]
    b = gen.generate([_req(voices, "bob", 5, 1)])[0]
    c = gen.generate([_req(voices, "bob", 5, 2)])[0]
    assert torch.equal(a.codes, b.codes) and torch.equal(a.audio, b.audio)
    assert not torch.equal(a.codes[:, 1:], c.codes[:, 1:])
    assert not torch.allclose(a.audio, c.audio)
    assert a.codes[0, 0] == c.codes[0, 0]  # frame 0's semantic code does not depend on the noise


def test_end_audio_stops_sequences(tiny_model, voices):
    stop_at = {0: 2, 1: 0, 2: 5}  # request index -> frame emitting END

    def hook(sem, rows, frame):
        sem = sem.clone()
        sem[sem == END_AUDIO] = 2  # keep random END out of the way
        for j, r in enumerate(rows):
            if stop_at[r] == frame:
                sem[j] = END_AUDIO
        return sem

    gen = Generator(tiny_model)
    reqs = [_req(voices, "alice", 4, 1, 50), _req(voices, "bob", 6, 2, 50), _req(voices, "carol", 9, 3, 50)]
    res = gen.generate(reqs, semantic_hook=hook)
    assert [len(r.codes) for r in res] == [2, 0, 5] and all(r.ended for r in res)
    assert [len(r.audio) for r in res] == [2 * 1920, 0, 5 * 1920]
    assert (res[2].codes[:, 0] != END_AUDIO).all()


def test_frame_cap():
    assert max_frames_for_text("x" * 100) < max_frames_for_text("x" * 300) <= 2048
    assert max_frames_for_text("x" * 100000) == 2048


def test_static_cache_path_equals_dynamic(tiny_model, voices):
    reqs = [_req(voices, "alice", 3, 11, 4), _req(voices, "bob", 12, 12, 6), _req(voices, "carol", 7, 13, 3)]
    stop_at = {0: 2, 1: 9, 2: 9}

    def hook(sem, rows, frame):
        sem = _no_end(sem, rows, frame)
        for j, r in enumerate(rows):
            if stop_at[r] == frame:
                sem[j] = END_AUDIO
        return sem

    dyn = Generator(tiny_model).generate(reqs, semantic_hook=hook, trace_hidden=True)
    sta = Generator(tiny_model, static_cache=True).generate(reqs, semantic_hook=hook, trace_hidden=True)
    assert [len(r.codes) for r in sta] == [2, 6, 3]
    for a, b in zip(dyn, sta):
        assert torch.equal(a.codes, b.codes) and a.ended == b.ended
        assert torch.allclose(torch.stack(a.hidden), torch.stack(b.hidden), atol=1e-4)


def test_compiled_generator_reuses_its_static_cache(tiny_model, voices):
    # compiled, the StaticCache's tensors are static addresses: a second run of the same shape must
    # reuse (reset) the same cache, and give the same result as a fresh one
    reqs = [_req(voices, "alice", 3, 11, 4), _req(voices, "bob", 12, 12, 6)]
    gen = Generator(tiny_model, static_cache=True)
    gen.compiled = True  # the cache policy of compile=True, without compiling on the CPU
    first = gen.generate(reqs, semantic_hook=_no_end)
    cache = gen._compiled_cache[1]
    again = gen.generate(reqs, semantic_hook=_no_end)
    assert gen._compiled_cache[1] is cache
    fresh = Generator(tiny_model, static_cache=True).generate(reqs, semantic_hook=_no_end)
    for a, b, c in zip(first, again, fresh):
        assert torch.equal(a.codes, b.codes) and torch.equal(a.codes, c.codes)
        assert torch.allclose(a.audio, b.audio, atol=1e-6)
