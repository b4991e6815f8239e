"""bench/voxtral_device.sh: the one-shot GPU check, run here on its CPU path with a tiny model."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_device_check_cpu_tiny(tmp_path):
    out = tmp_path / "vx"
    env = dict(os.environ, PYTHON=sys.executable)
    proc = subprocess.run(["bash", str(ROOT / "bench/voxtral_device.sh"), "--device", "cpu", "--tiny",
                           "--out", str(out)], capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "== parity" in proc.stdout and "done in" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr
    res = json.loads((out / "results.json").read_text())
    assert "tracebacks" not in res, res.get("tracebacks")
    assert (out / "log.txt").read_text().count("\n") >= 10

    par = res["parity"]
    assert par["fp32_free_run"]["frames"] >= 1
    assert par["hidden"]["steps"] == par["fp32_free_run"]["frames"] + 1
    assert 0 < par["hidden"]["rel_err"]["max"] < 0.05  # bf16 differs from fp32, but only by rounding
    fc = par["frame_codes"]
    assert fc["frames"] == par["fp32_free_run"]["frames"] and fc["acoustic_max_abs_code_diff"] <= 1
    assert fc["fp32_replay_mismatches"] == 0
    assert 0.9 <= fc["acoustic_agree"] <= 1 and fc["semantic_agree"] == 1
    codec = par["codec"]
    assert codec["pcc"] > 0.999 and 0 < codec["rel_l2"] < 0.05
    assert set(codec["stage_rel_l2"]) >= {"quantizer", "decoder_blocks.7", "output_proj"}

    rows = res["speed"]["rows"]
    assert [(r["mode"], r["batch"]) for r in rows] == [(m, b) for m in ("eager", "static") for b in (1, 8, 32, 64)]
    for r in rows:
        assert r["total_frames"] == 3 * r["batch"] and r["frames_per_s"] > 0 and r["rtf_generate"] > 0
    assert any("compiled mode skipped" in n for n in res["notes"])
    assert res["speed"]["summary"]["batch"] == 64 and set(res["speed"]["summary"]["rtf_generate"]) == {"eager", "static"}

    (load,) = res["load"]["runs"]
    assert load["device"] == "cpu" and load["dtype"] == "fp32" and load["load_s"] > 0 and load["peak_rss_gib"] > 0


def test_device_check_respects_its_budget(tmp_path):
    sys.path.insert(0, str(ROOT))
    from bench.voxtral_device import main

    assert main(["--device", "cpu", "--tiny", "--budget", "0", "--out", str(tmp_path)]) == 0
    res = json.loads((tmp_path / "results.json").read_text())
    assert [n.split(":")[0] for n in res["notes"]] == ["parity", "speed", "load"]
    assert all("time budget" in n for n in res["notes"]) and "speed" not in res
