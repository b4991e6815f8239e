"""Voxtral TTS generation throughput vs batch size, on a full-size model with random weights.

No download: speed does not depend on weight values. Every dimension is the published
checkpoint's, except what you reduce on purpose (--layers for the backbone depth, --vocab for the
text-embedding rows, a pure lookup that costs nothing per step).

    python bench/voxtral_bench.py                                  # GPU, bf16, 26 layers, B=1..64
    python bench/voxtral_bench.py --device cpu --layers 2 --frames 6 --batches 1,2,4,8

Prints frames/s and the aggregate real-time factor (audio seconds produced per wall second;
one frame = 80 ms) and writes JSON to bench/results/voxtral_<device>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from pipeline.voxtral.generate import Generator, Request  # noqa: E402
from pipeline.voxtral.loading import build_empty, default_device_dtype  # noqa: E402
from pipeline.voxtral.params import END_AUDIO, VoxtralParams, reference_params_dict  # noqa: E402
from pipeline.voxtral.testing import fill_random  # noqa: E402
from pipeline.voxtral.tokenize import prompt_from_text_ids  # noqa: E402


def random_model(layers: int, vocab: int | None, device, dtype, seed: int = 0):
    d = reference_params_dict(n_layers=layers)
    if vocab:
        d["vocab_size"] = vocab
    return fill_random(build_empty(VoxtralParams.from_dict(d), device, dtype), seed)


def no_end(sem, rows, frame):  # fixed frame count: random weights would stop anywhere
    return torch.where(sem == END_AUDIO, torch.full_like(sem, 2), sem)


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def run(gen: Generator, batch: int, frames: int, prompt_len: int, n_voice: int, device) -> dict:
    g = torch.Generator().manual_seed(batch)
    dim = gen.model.params.backbone.dim
    vocab = gen.model.params.backbone.vocab_size
    reqs = []
    for i in range(batch):
        n_text = max(1, prompt_len - n_voice - 5 - (i % 7))  # slightly different lengths, as in real batches
        ids = prompt_from_text_ids(torch.randint(1000 if vocab > 2000 else 40, vocab, (n_text,), generator=g).tolist(),
                                   n_voice)
        reqs.append(Request(ids, torch.randn(n_voice, dim, generator=g) * 0.02, max_frames=frames, seed=i))
    sync(device)
    t0 = time.perf_counter()
    res = gen.generate(reqs, decode_audio=False, semantic_hook=no_end)
    sync(device)
    t1 = time.perf_counter()
    gen.decode([r.codes for r in res])
    sync(device)
    t2 = time.perf_counter()
    n_frames = sum(len(r.codes) for r in res)
    audio_s = n_frames * gen.model.params.samples_per_frame / gen.model.params.sample_rate
    return {"batch": batch, "frames_per_seq": frames, "total_frames": n_frames,
            "generate_s": round(t1 - t0, 4), "codec_s": round(t2 - t1, 4),
            "frames_per_s": round(n_frames / (t1 - t0), 3),
            "rtf_generate": round(audio_s / (t1 - t0), 4),  # audio seconds per wall second, AR only
            "rtf_total": round(audio_s / (t2 - t0), 4)}  # including codec decoding


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default=None, help="cuda / cpu (default: cuda if available)")
    ap.add_argument("--dtype", default=None, help="bf16 / fp32 (default: bf16 on cuda, fp32 on cpu)")
    ap.add_argument("--layers", type=int, default=None, help="backbone layers (default 26; fewer for CPU)")
    ap.add_argument("--vocab", type=int, default=None, help="text-embedding rows (default 131072)")
    ap.add_argument("--frames", type=int, default=None, help="frames per sequence (default 64 cuda, 6 cpu)")
    ap.add_argument("--prompt", type=int, default=200, help="prompt length in tokens (voice + text + 5)")
    ap.add_argument("--voice-rows", type=int, default=150)
    ap.add_argument("--batches", default=None, help="comma list (default 1,2,4,...,64; 1,2,4,8 on cpu)")
    ap.add_argument("--steps", type=int, default=None, help="flow-matching Euler steps (default 7; paper: 8)")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)

    device, dtype = default_device_dtype(args.device, args.dtype)
    cpu = device.type == "cpu"
    if args.threads:
        torch.set_num_threads(args.threads)
    layers = args.layers if args.layers is not None else (2 if cpu else 26)
    frames = args.frames or (6 if cpu else 64)
    batches = [int(b) for b in (args.batches or ("1,2,4,8" if cpu else "1,2,4,8,16,32,64")).split(",")]
    t = time.perf_counter()
    model = random_model(layers, args.vocab, device, dtype)
    build_s = time.perf_counter() - t
    gen = Generator(model, n_steps=args.steps)
    run(gen, 1, 2, min(args.prompt, 40), min(args.voice_rows, 20), device)  # warm-up
    rows = []
    print(f"voxtral bench: device={device} dtype={dtype} backbone_layers={layers} steps={gen.n_steps} "
          f"prompt={args.prompt} frames/seq={frames} (model built in {build_s:.1f}s)")
    print(f"{'batch':>5} {'frames/s':>10} {'RTF(gen)':>9} {'RTF(total)':>10} {'gen s':>8} {'codec s':>8}")
    for b in batches:
        r = run(gen, b, frames, args.prompt, args.voice_rows, device)
        rows.append(r)
        print(f"{b:>5} {r['frames_per_s']:>10.2f} {r['rtf_generate']:>9.3f} {r['rtf_total']:>10.3f} "
              f"{r['generate_s']:>8.2f} {r['codec_s']:>8.2f}", flush=True)
    out = Path(args.out) if args.out else ROOT / "bench" / "results" / f"voxtral_{device.type}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    info = {"device": str(device), "dtype": str(dtype), "backbone_layers": layers, "flow_steps": gen.n_steps,
            "prompt_tokens": args.prompt, "frames_per_seq": frames, "torch": torch.__version__,
            "threads": torch.get_num_threads(), "platform": platform.platform(),
            "gpu": torch.cuda.get_device_name() if device.type == "cuda" else None,
            "note": "random weights; rtf = audio seconds per wall second (1 frame = 80 ms)", "results": rows}
    out.write_text(json.dumps(info, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
