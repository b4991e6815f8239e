from __future__ import annotations

import sys
from pathlib import Path

import pytest

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:  # the project may not be pip-installed in the venv
    sys.path.insert(0, _ROOT)

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("safetensors")
torch.set_num_threads(1)  # tiny models: threads only add contention on a shared machine


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory):
    from pipeline.voxtral.testing import write_tiny_checkpoint

    return write_tiny_checkpoint(tmp_path_factory.mktemp("voxtral_tiny"))


@pytest.fixture(scope="session")
def tiny_model(tiny_dir):
    from pipeline.voxtral.loading import load_model

    torch.manual_seed(0)
    return load_model(tiny_dir, device="cpu", dtype=torch.float32)[0]


@pytest.fixture(scope="session")
def voices(tiny_dir):
    from pipeline.voxtral.loading import list_voices, load_voice

    return {v: load_voice(tiny_dir, v) for v in list_voices(tiny_dir)}
