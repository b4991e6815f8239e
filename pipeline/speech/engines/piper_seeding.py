"""Make a Piper (VITS) ONNX model reproducible per chunk.

Piper's graph draws its noise with RandomNormalLike ops whose generator is seeded once per
session, so the same sentence sounds different on every call and a resumed run could never match
an uninterrupted one. We replace each random op with a slice of a noise *input* that we feed from
a seeded bank, which makes the audio a pure function of (text, seed).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np

from pipeline.model_cache import prepared

# onnx (0.8 s to import) is only needed to prepare the model, once per machine: it is imported there.

# Frames of noise available to one sentence. A VITS frame is `hop_length` (256) samples, so
# 16384 frames is ~190 s of audio at 22.05 kHz: far more than any chunk produces.
BANK_FRAMES = 16384
# Offsets into the bank come from the seed; the bank is this much longer than one window.
BANK_SPAN = 4096
MAX_CHANNELS = 256
MODEL_FORMAT = 2  # bump whenever `prepared_graph` changes the graph: names the cached model


def prepared_model(model_path: Path, revision: str, options):
    """An onnxruntime session of `prepared_graph`. The prepared, graph-optimised model is kept in
    the user's cache (see `pipeline.model_cache`), so later runs load it in ~0.25 s instead of
    ~2 s of rewriting and optimising."""
    import onnxruntime as ort

    def save(path: Path) -> None:
        saving = ort.SessionOptions()
        # Extended, not all: the saved graph stays portable; CPU-specific layouts are applied on load.
        saving.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
        saving.optimized_model_filepath = str(path)
        saving.log_severity_level = 3
        ort.InferenceSession(prepared_graph(model_path).SerializeToString(), sess_options=saving,
                             providers=["CPUExecutionProvider"])

    def load(path: str):
        return ort.InferenceSession(path, sess_options=options, providers=["CPUExecutionProvider"])

    return prepared(f"piper-{revision}-prepared{MODEL_FORMAT}-ort{ort.__version__}.onnx", save, load)


def prepared_graph(model_path: Path) -> onnx.ModelProto:
    """The seeded model, its decoder as 2-D convolutions where the export allows (see
    `piper_layout`; the same audio, faster)."""
    from pipeline.speech.engines.piper_layout import decoder_as_2d

    model, _ = seeded_model(model_path)
    with contextlib.suppress(ValueError):  # an export the rewrite does not know runs as it is
        decoder_as_2d(model)
    return model


def seeded_model(model_path: Path) -> tuple[onnx.ModelProto, list[tuple[str, int]]]:
    """The model with each RandomNormalLike replaced by a slice of a new [1, T, C] input.

    Returns the model and, per new input, (name, channels).
    """
    import onnx
    from onnx import TensorProto, helper

    model = onnx.load(str(model_path))
    graph = model.graph
    shapes = _infer_channels(model)
    noise_inputs: list[tuple[str, int]] = []
    nodes = []
    for node in graph.node:
        if node.op_type != "RandomNormalLike":
            nodes.append(node)
            continue
        like = node.input[0]
        channels = shapes[like]
        name = f"noise_{len(noise_inputs)}"
        noise_inputs.append((name, channels))
        graph.input.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, [1, "T", channels]))
        # Cut [1, T, C] to the mirrored tensor's [B, C, T] read as [B, T, C], then transpose:
        # slicing first keeps the per-call work proportional to the sentence, not the bank.
        nodes += [
            helper.make_node("Shape", [like], [f"{name}_shape"]),
            helper.make_node("Constant", [], [f"{name}_order"],
                             value=helper.make_tensor(f"{name}_o", TensorProto.INT64, [3], [0, 2, 1])),
            helper.make_node("Gather", [f"{name}_shape", f"{name}_order"], [f"{name}_ends"]),
            helper.make_node("Constant", [], [f"{name}_zeros"],
                             value=helper.make_tensor(f"{name}_z", TensorProto.INT64, [3], [0, 0, 0])),
            helper.make_node("Slice", [name, f"{name}_zeros", f"{name}_ends"], [f"{name}_cut"]),
            helper.make_node("Transpose", [f"{name}_cut"], [node.output[0]], perm=[0, 2, 1]),
        ]
    del graph.node[:]
    graph.node.extend(nodes)
    return model, noise_inputs


def _infer_channels(model: onnx.ModelProto) -> dict[str, int]:
    """Channel count (axis 1) of each RandomNormalLike input, from ONNX shape inference.

    Where inference cannot tell (a shape computed at run time), MAX_CHANNELS is used: the slice
    cuts the noise to the real channel count anyway.
    """
    import onnx

    inferred = onnx.shape_inference.infer_shapes(model)
    wanted = {n.input[0] for n in model.graph.node if n.op_type == "RandomNormalLike"}
    channels: dict[str, int] = {}
    for info in list(inferred.graph.value_info) + list(inferred.graph.output):
        if info.name in wanted:
            dims = info.type.tensor_type.shape.dim
            if len(dims) == 3 and dims[1].HasField("dim_value"):
                channels[info.name] = dims[1].dim_value
    return {name: channels.get(name, MAX_CHANNELS) for name in wanted}


class NoiseBank:
    """Fixed standard-normal banks, one per noise input; a seed picks a window in each.

    Slicing a window of a pre-drawn bank costs nothing per call, unlike drawing fresh noise.
    """

    def __init__(self, inputs: list[tuple[str, int]], bank_seed: int = 0x5EED):
        rng = np.random.default_rng(bank_seed)
        self.banks = {name: rng.standard_normal((1, BANK_FRAMES + BANK_SPAN, ch), dtype=np.float32)
                      for name, ch in inputs}

    def feeds(self, seed: int) -> dict[str, np.ndarray]:
        offset = (seed * 2654435761) % BANK_SPAN  # Knuth's multiplicative hash spreads seeds apart
        return {name: bank[:, offset:offset + BANK_FRAMES] for name, bank in self.banks.items()}
