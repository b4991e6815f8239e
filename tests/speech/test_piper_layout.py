"""The decoder rewritten as 2-D convolutions computes the same audio as the 1-D original."""

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from pipeline.speech.engines.piper import _model_files
from pipeline.speech.engines.piper_layout import decoder_as_2d
from pipeline.speech.engines.piper_seeding import NoiseBank, prepared_graph, seeded_model


def _session(model: onnx.ModelProto) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.log_severity_level = 3
    return ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])


def _toy_decoder(extra_op: str | None = None, divisor: np.ndarray | None = None) -> onnx.ModelProto:
    """x -> /dec/ [dilated conv, LeakyRelu, strided transposed conv with output padding, Add,
    Div, Tanh] -> y: every attribute the rewrite touches, at toy size."""
    rng = np.random.default_rng(0)
    weights = [numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)
               for name, shape in [("w1", (6, 4, 5)), ("b1", (6,)), ("w2", (6, 3, 4)), ("b2", (3,))]]
    weights.append(numpy_helper.from_array(np.array(2.0, dtype=np.float32) if divisor is None else divisor, "two"))
    nodes = [
        helper.make_node("Relu", ["x"], ["pre"], name="/enc/Relu"),
        helper.make_node("Conv", ["pre", "w1", "b1"], ["c1"], name="/dec/conv", kernel_shape=[5],
                         dilations=[2], pads=[4, 4], strides=[1]),
        helper.make_node("LeakyRelu", ["c1"], ["a1"], name="/dec/act", alpha=0.1),
        helper.make_node("ConvTranspose", ["a1", "w2", "b2"], ["u1"], name="/dec/up", kernel_shape=[4],
                         strides=[2], pads=[1, 1], output_padding=[1]),
        helper.make_node("Add", ["u1", "u1"], ["s1"], name="/dec/add"),
        helper.make_node("Div", ["s1", "two"], ["d1"], name="/dec/div"),
        helper.make_node(extra_op or "Tanh", ["d1"], ["y"], name="/dec/out"),
    ]
    graph = helper.make_graph(nodes, "toy", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, "T"])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, "U"])], weights)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_toy_decoder_gives_the_same_output_in_2d():
    original = _toy_decoder()
    rewritten = _toy_decoder()
    decoder_as_2d(rewritten)
    onnx.checker.check_model(rewritten)
    assert all(len(w.dims) == 4 for w in rewritten.graph.initializer if w.name in ("w1", "w2"))
    x = np.random.default_rng(1).standard_normal((1, 4, 37)).astype(np.float32)
    [expected] = _session(original).run(None, {"x": x})
    [got] = _session(rewritten).run(None, {"x": x})
    assert got.shape == expected.shape == (1, 3, 75)
    np.testing.assert_allclose(got, expected, atol=1e-5)


@pytest.mark.parametrize("model,why", [
    (_toy_decoder(extra_op="Softsign"), "Softsign"),
    # [C, 1] per-channel: it would broadcast over the wrong axes of [B, C, 1, T]
    (_toy_decoder(divisor=np.full((3, 1), 2.0, dtype=np.float32)), "non-scalar constant"),
], ids=["unknown-op", "per-channel-constant"])
def test_a_decoder_the_rewrite_does_not_know_is_left_untouched(model, why):
    before = model.SerializeToString()
    with pytest.raises(ValueError, match=why):
        decoder_as_2d(model)
    assert model.SerializeToString() == before


def test_prepared_piper_model_sounds_the_same_as_the_seeded_original(piper_engine):
    model_path = _model_files()[0]
    original, noise_inputs = seeded_model(model_path)
    prepared = prepared_graph(model_path)
    decoder = [n for n in prepared.graph.node if n.name.startswith("/dec/") and n.op_type == "Conv"]
    weights = {w.name: w for w in prepared.graph.initializer}
    assert decoder and all(len(weights[n.input[1]].dims) == 4 for n in decoder)
    [(_, ids)] = piper_engine._sentence_ids("The hens came running across the yard at feeding time.")
    feeds = {"input": ids, "input_lengths": np.array([ids.shape[1]], dtype=np.int64),
             "scales": np.array([0.667, 1.0, 0.8], dtype=np.float32), **NoiseBank(noise_inputs).feeds(4)}
    [expected] = _session(original).run(None, feeds)
    [got] = _session(prepared).run(None, feeds)
    assert got.shape == expected.shape and expected.size > 22050  # over a second of speech
    np.testing.assert_allclose(got, expected, atol=1e-4)
