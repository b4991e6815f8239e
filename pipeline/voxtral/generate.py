"""Batched autoregressive generation: prompts -> code frames -> waveforms.

A batch of prompts with different lengths is left-padded and prefilled together; every step the
still-running sequences produce one frame each (semantic argmax + CFG flow matching + FSQ), which
is embedded and fed back. A sequence leaves the batch (and its KV-cache rows are dropped) when it
emits END_AUDIO or reaches its frame cap. The only randomness is the flow's starting noise, drawn
from a per-sequence torch.Generator (or given explicitly), so a (prompt, seed) pair is reproducible
whatever else is in the batch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

import torch

from pipeline.voxtral.backbone import Backbone
from pipeline.voxtral.flow_matching import fsq_quantize
from pipeline.voxtral.model import VoxtralModel
from pipeline.voxtral.params import DEFAULT_CFG_ALPHA, END_AUDIO, N_SPECIAL_AUDIO

FRAMES_PER_CHAR = 1.5  # natural speech is ~0.7 frames per character; the cap leaves 2x headroom
FRAME_MARGIN = 40
HARD_FRAME_CAP = 2048  # upstream serving cap (~164 s)


def max_frames_for_text(text: str, frames_per_char: float = FRAMES_PER_CHAR, margin: int = FRAME_MARGIN,
                        hard_cap: int = HARD_FRAME_CAP) -> int:
    """Frame budget proportional to text length, so a runaway sequence cannot loop forever."""
    return max(1, min(hard_cap, int(math.ceil(len(text) * frames_per_char)) + margin))


def cut_at_end(codes) -> torch.Tensor:
    """[T, 37] code frames up to (not including) the first END_AUDIO frame."""
    codes = torch.as_tensor(codes, dtype=torch.long)
    end = (codes[:, 0] == END_AUDIO).nonzero()
    return codes[: int(end[0])] if len(end) else codes


@dataclass
class Request:
    prompt_ids: Sequence[int] | torch.Tensor
    voice: torch.Tensor | None  # [N, dim] preset rows for the N [AUDIO] placeholders
    max_frames: int = HARD_FRAME_CAP
    seed: int | None = None
    noise: torch.Tensor | None = None  # [K, 36]: frame f starts its flow at noise[f]; caps frames at K
    cfg_alpha: float = DEFAULT_CFG_ALPHA


@dataclass
class Result:
    codes: torch.Tensor  # [F, 37] long, +2 offset, END frame excluded
    ended: bool  # True if the sequence emitted END_AUDIO (False: hit its frame cap)
    audio: torch.Tensor | None = None  # [F * samples_per_frame] float32
    hidden: list[torch.Tensor] = field(default_factory=list)  # trace_hidden: F+1 backbone states


SemanticHook = Callable[[torch.Tensor, list[int], int], torch.Tensor]


class Generator:
    def __init__(self, model: VoxtralModel, n_steps: int | None = None, codec_batch_size: int = 16,
                 static_cache: bool = False, compile: bool = False):
        """static_cache: preallocated KV cache (transformers StaticCache) with explicit 4-D masks and a
        fixed batch (finished rows keep their slot and are ignored): fixed shapes, so the decode
        step can be captured. compile: torch.compile(mode="reduce-overhead") the backbone forward
        (CUDA graphs on GPU); implies static_cache."""
        self.model = model
        self.backbone = Backbone(model.backbone)
        self.n_steps = n_steps or model.params.acoustic.n_decoding_steps
        self.codec_batch_size = codec_batch_size
        self.static_cache = static_cache or compile
        self.compiled = compile
        self._forward = model.backbone.forward
        self._compiled_cache: tuple[tuple[int, int], object] | None = None  # compile: reused StaticCache
        if compile:
            self._forward = torch.compile(model.backbone.forward, mode="reduce-overhead", fullgraph=False)

    def _static_cache_for(self, batch: int, max_len: int):
        """A new StaticCache; when compiled, the previous one again (reset) if its shape fits: its
        tensors are marked as static addresses, so a new one would force a recompilation."""
        from transformers import StaticCache

        key = (batch, max_len)
        if self._compiled_cache is not None and self._compiled_cache[0] == key:
            cache = self._compiled_cache[1]
            cache.reset()
            return cache
        cache = StaticCache(config=self.model.backbone.config, max_cache_len=max_len)
        if self.compiled:
            self._compiled_cache = (key, cache)
        return cache

    # ------------------------------------------------------------------------------------------
    def _noise(self, reqs: list[Request], gens: list[torch.Generator | None], rows: list[int], frame: int,
               dim: int) -> torch.Tensor:
        out = []
        for r in rows:
            req = reqs[r]
            if req.noise is not None:
                out.append(req.noise[frame].float().cpu())
            else:
                out.append(torch.randn(dim, generator=gens[r]))
        return torch.stack(out).to(self.model.device)

    @torch.inference_mode()
    def generate(self, reqs: list[Request], decode_audio: bool = True, trace_hidden: bool = False,
                 semantic_hook: SemanticHook | None = None) -> list[Result]:
        """Run all requests as one batch. `semantic_hook(codes, rows, frame)` may rewrite the semantic
        codes (tests and diagnostics: e.g. force END_AUDIO at a given frame). `trace_hidden` keeps
        each row's F+1 final-normed backbone states (after prefill and after each of its F frames;
        a row stopped by its cap takes one extra backbone step for the last one)."""
        model = self.model
        fm = model.acoustic_transformer
        dev, n_ac = model.device, model.params.acoustic.n_acoustic_codebook
        b = len(reqs)
        if b == 0:
            return []
        caps = [min(r.max_frames, len(r.noise)) if r.noise is not None else r.max_frames for r in reqs]
        gens = []
        for r in reqs:
            g = None
            if r.noise is None:
                g = torch.Generator()
                g.manual_seed(int(r.seed) if r.seed is not None else int(torch.randint(0, 2**62, ()).item()))
            gens.append(g)

        # prefill, left-padded
        embs = [model.embed_prompt(torch.as_tensor(r.prompt_ids, dtype=torch.long), r.voice) for r in reqs]
        lmax = max(e.shape[0] for e in embs)
        x = torch.zeros(b, lmax, embs[0].shape[1], dtype=model.dtype, device=dev)
        mask = torch.zeros(b, lmax, dtype=torch.long, device=dev)
        for i, e in enumerate(embs):
            x[i, lmax - e.shape[0]:] = e
            mask[i, lmax - e.shape[0]:] = 1
        static = self.static_cache
        if static:
            max_len = -(-(lmax + max(caps)) // 256) * 256  # rounded: fewer distinct shapes to capture
            cache = self._static_cache_for(b, max_len)
            valid = torch.zeros(b, max_len, dtype=torch.bool, device=dev)
            valid[:, :lmax] = mask.bool()
            causal = torch.arange(max_len, device=dev)[None, :] <= torch.arange(lmax, device=dev)[:, None]
            pos = Backbone.positions(mask)
            m4 = valid[:, None, None, :] & causal[None, None]
            m4 |= torch.eye(lmax, max_len, dtype=torch.bool, device=dev)[None, None]  # no fully-masked pad row
            hidden = model.backbone(inputs_embeds=x, attention_mask=m4,
                                   position_ids=pos, cache=cache, use_cache=True).last_hidden_state
            pos = pos[:, -1:]
            slot = torch.arange(b, device=dev)  # batch slot of each running row
        else:
            hidden, cache = self.backbone.prefill(x, mask)
        h = hidden[:, -1]

        frames: list[list[torch.Tensor]] = [[] for _ in range(b)]
        traces: list[list[torch.Tensor]] = [[] for _ in range(b)]
        ended = [False] * b
        rows = list(range(b))
        alpha_all = torch.tensor([r.cfg_alpha for r in reqs], dtype=torch.float32, device=dev)
        frame = 0
        closing: set[int] = set()  # trace_hidden: capped rows stepped once more for their final hidden
        while rows:
            if trace_hidden:
                for j, r in enumerate(rows):
                    traces[r].append(h[j].float().cpu())
            sem = fm.semantic_code(h)
            if semantic_hook is not None:
                sem = semantic_hook(sem, list(rows), frame)
            codes = torch.zeros(len(rows), 1 + n_ac, dtype=torch.long, device=dev)
            codes[:, 0] = sem
            codes[:, 1:] = N_SPECIAL_AUDIO  # END frames: EMPTY acoustic codes (+2 offset)
            live = (sem != END_AUDIO).nonzero().flatten()
            if closing:
                live = live[torch.tensor([rows[j] not in closing for j in live.tolist()], dtype=torch.bool, device=dev)]
            if len(live):
                x0 = self._noise(reqs, gens, [rows[j] for j in live.tolist()], frame, n_ac)
                alpha = alpha_all[torch.tensor(rows, device=dev)[live]]
                x1 = fm.decode_acoustic(h[live], x0, alpha, self.n_steps)
                codes[live, 1:] = fsq_quantize(x1, model.params.acoustic.acoustic_codebook_size) + N_SPECIAL_AUDIO
            sem_cpu = sem.tolist()
            codes_cpu = codes.cpu()
            keep = []
            for j, r in enumerate(rows):
                if r in closing:  # its final hidden was traced above: no frame
                    continue
                if sem_cpu[j] == END_AUDIO:
                    ended[r] = True
                    continue
                frames[r].append(codes_cpu[j])
                if len(frames[r]) < caps[r]:
                    keep.append(j)
                elif trace_hidden:
                    keep.append(j)
                    closing.add(r)
            frame += 1
            if not keep:
                break
            if static:  # fixed batch: finished rows stay in their slot, their output is ignored
                full = torch.full((b, 1 + n_ac), N_SPECIAL_AUDIO, dtype=torch.long, device=dev)
                full[slot] = codes
                idx = torch.tensor(keep, device=dev)
                rows, slot = [rows[j] for j in keep], slot[idx]
                valid[:, lmax + frame - 1] = True
                pos = pos + 1
                emb = model.frame_embedding(full)[:, None].to(model.dtype)
                out = self._forward(inputs_embeds=emb, attention_mask=valid[:, None, None, :], position_ids=pos,
                                    cache=cache, use_cache=True).last_hidden_state
                h = out[slot, -1]
                continue
            if len(keep) < len(rows):  # finished sequences leave the batch
                idx = torch.tensor(keep, device=dev)
                cache.batch_select_indices(idx)
                mask, codes = mask[idx], codes[idx]
                rows = [rows[j] for j in keep]
            emb = model.frame_embedding(codes)[:, None].to(model.dtype)
            mask = torch.cat([mask, mask.new_ones(len(rows), 1)], dim=1)
            h, cache = self.backbone.step(emb, mask, cache)
        del cache

        results = []
        for i in range(b):
            c = torch.stack(frames[i]) if frames[i] else torch.zeros(0, 1 + n_ac, dtype=torch.long)
            results.append(Result(codes=c, ended=ended[i], hidden=traces[i]))
        if decode_audio:
            audios = self.decode([r.codes for r in results])
            for r, a in zip(results, audios):
                r.audio = a
        return results

    # ------------------------------------------------------------------------------------------
    @torch.inference_mode()
    def decode(self, code_list: list[torch.Tensor]) -> list[torch.Tensor]:
        """Batched codec decoding: [F_i, 37] code frames -> float32 waveforms [F_i * 1920] (cpu).
        Frames are cut at the first END; batches are built from length-sorted sequences and
        right-padded (exact: the decoder is causal)."""
        spf = self.model.params.samples_per_frame
        cut = [cut_at_end(c) for c in code_list]
        out: list[torch.Tensor | None] = [None] * len(cut)
        order = sorted(range(len(cut)), key=lambda i: len(cut[i]))
        for i in order:
            if len(cut[i]) == 0:
                out[i] = torch.zeros(0, dtype=torch.float32)
        nonempty = [i for i in order if len(cut[i])]
        for s in range(0, len(nonempty), self.codec_batch_size):
            group = nonempty[s: s + self.codec_batch_size]
            t = max(len(cut[i]) for i in group)
            batch = torch.full((len(group), t, cut[group[0]].shape[1]), N_SPECIAL_AUDIO, dtype=torch.long)
            for j, i in enumerate(group):
                batch[j, : len(cut[i])] = cut[i]
            wav = self.model.audio_tokenizer(batch.to(self.model.device)).cpu()
            for j, i in enumerate(group):
                out[i] = wav[j, : len(cut[i]) * spf].contiguous()
        return out  # type: ignore[return-value]
