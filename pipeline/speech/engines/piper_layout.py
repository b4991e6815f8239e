"""Run Piper's HiFi-GAN decoder as 2-D convolutions, for onnxruntime's fastest CPU kernels.

The decoder (~85% of a run's time) is a chain of 1-D convolutions over [B, C, T]. onnxruntime's
blocked-layout ("NCHWc") convolutions, which it picks on its own at load time, apply only to 2-D
convolutions; 1-D ones go through im2col + GEMM. Read as [B, C, 1, T] with [1, k] kernels, every
convolution computes exactly the same sums, so the audio is unchanged (to float rounding, ~1e-6)
and a run is 5-10% faster on two AVX2 cores (measured on chapter I of the Wodehouse book).
"""

from __future__ import annotations

import math

import onnx
from onnx import TensorProto, helper, numpy_helper

DECODER = "/dec/"
# The decoder's other ops are element-wise, so they work on either rank unchanged.
_ELEMENTWISE = {"LeakyRelu", "Add", "Div", "Mul", "Tanh"}
_CONVOLUTIONS = {"Conv", "ConvTranspose"}
_CONV_ATTRIBUTES = {"kernel_shape", "dilations", "strides", "pads", "group", "output_padding"}


def decoder_as_2d(model: onnx.ModelProto) -> None:
    """Rewrite, in place, the nodes named /dec/... to work on [B, C, 1, T].

    The decoder must be a closed chain of convolutions and element-wise ops with one tensor in
    and one out (it is in every Piper VITS export); anything else raises ValueError, and the
    caller keeps the model as it was.
    """
    graph = model.graph
    weights = {w.name: w for w in graph.initializer}
    nodes = [n for n in graph.node if n.name.startswith(DECODER)]
    made = {o for n in nodes for o in n.output}
    outside = {i for n in graph.node if not n.name.startswith(DECODER) for i in n.input}
    outside |= {o.name for o in graph.output}
    entries = {i for n in nodes for i in n.input if i and i not in made and i not in weights}
    exits = {o for o in made if o in outside}
    if not nodes or len(entries) != 1 or len(exits) != 1:
        raise ValueError("no single-input, single-output decoder in this model")
    (entry,), (exit_,) = entries, exits
    convs = [n for n in nodes if n.op_type in _CONVOLUTIONS]
    for node in nodes:  # check everything before changing anything
        if node.op_type not in _ELEMENTWISE | _CONVOLUTIONS:
            raise ValueError(f"unexpected {node.op_type} in the decoder")
        if node.op_type in _CONVOLUTIONS and {a.name for a in node.attribute} - _CONV_ATTRIBUTES:
            raise ValueError(f"{node.name}: attributes this rewrite does not know")
        # A per-channel constant ([C, 1]) would broadcast differently against [B, C, 1, T].
        if node.op_type in _ELEMENTWISE and any(
                i in weights and math.prod(weights[i].dims) > 1 for i in node.input):
            raise ValueError(f"{node.name}: a non-scalar constant operand")
    kernels = [n.input[1] for n in convs]
    if len(set(kernels)) != len(kernels) or any(
            k not in weights or len(weights[k].dims) != 3 for k in kernels):
        raise ValueError("decoder kernels are not 1-D constants of their own")
    for node in nodes:
        if node.op_type in _CONVOLUTIONS:
            _conv_as_2d(node, weights[node.input[1]])
        node.input[:] = [f"{entry}_2d" if i == entry else i for i in node.input]
        node.output[:] = [f"{exit_}_2d" if o == exit_ else o for o in node.output]
    # Stored shapes of the decoder's tensors (3-D) would now be wrong: let the runtime infer them.
    kept = [v for v in graph.value_info if v.name not in made]
    del graph.value_info[:]
    graph.value_info.extend(kept)
    graph.initializer.append(helper.make_tensor("decoder_2d_axis", TensorProto.INT64, [1], [2]))
    # Each reshape goes right after the node that makes its input, which keeps the graph sorted.
    _insert_after(graph, f"{exit_}_2d", helper.make_node("Squeeze", [f"{exit_}_2d", "decoder_2d_axis"], [exit_]))
    _insert_after(graph, entry, helper.make_node("Unsqueeze", [entry, "decoder_2d_axis"], [f"{entry}_2d"]))


def _insert_after(graph: onnx.GraphProto, tensor: str, new: onnx.NodeProto) -> None:
    at = next((i + 1 for i, n in enumerate(graph.node) if tensor in n.output), 0)
    graph.node.insert(at, new)


def _conv_as_2d(node: onnx.NodeProto, weight: onnx.TensorProto) -> None:
    array = numpy_helper.to_array(weight)
    weight.CopyFrom(numpy_helper.from_array(array[:, :, None, :], weight.name))
    for attribute in node.attribute:
        if attribute.name in ("kernel_shape", "dilations", "strides"):
            attribute.ints[:] = [1, *attribute.ints]
        elif attribute.name == "output_padding":
            attribute.ints[:] = [0, *attribute.ints]
        elif attribute.name == "pads":  # [begin, end] -> [h_begin, w_begin, h_end, w_end]
            attribute.ints[:] = [0, attribute.ints[0], 0, attribute.ints[1]]
