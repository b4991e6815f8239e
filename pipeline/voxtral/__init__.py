"""In-process PyTorch inference for Mistral's Voxtral TTS (`mistralai/Voxtral-4B-TTS-2603`).

Modules (torch is imported by the submodules, not here):
- params: VoxtralParams.from_file(params.json) -> backbone / acoustic (flow matching) / codec args
- backbone: transformers MistralModel (SDPA) + the interleaved->half-split RoPE row permutation
- flow_matching: AcousticTransformer (masked semantic head, CFG Euler flow, FSQ)
- codec: CodecDecoder (codes -> 24 kHz; sliding-window ALiBi transformers, folded weight norm)
- model: VoxtralModel (voice splice, frame embedding) and checkpoint-name mapping
- loading: resolve_model_dir / download_weights / load_model / list_voices / model_revision
- tokenize: mistral-common speech prompts (TekkenPromptTokenizer), prompt_from_text_ids
- generate: Generator (batched AR generation + batched codec decoding), Request, Result
- check: stage-by-stage entry points for parity checks (generate, backbone_hiddens, semantic_logits,
  frame_latent, frame_codes, decode_codes, codec_stages)
- testing: tiny random checkpoint in the real layout
"""
