"""A book keeps its narrator: another voice is refused (naming both voices and --repin), --repin
re-renders everything, and a registry voice drives a remote engine end to end."""

from __future__ import annotations

import io
import json

import pytest
import soundfile as sf

from pipeline.voices import registry
from tests.conftest import run_cli, write_book
from tests.engines.contract_server import ContractServer


def _alias(root, name="joe-alias"):
    """A registry voice without a clip: the embedded voice under another name (another identity)."""
    refs = {"piper": "joe"}
    record = registry.VoiceRecord(name=name, engine="piper", refs=refs, languages=["en"],
                                  hash=registry.content_hash(None, None, ["en"], refs))
    (root / name).mkdir(parents=True)
    (root / name / "voice.json").write_text(record.model_dump_json())
    return record


def _report(out):
    return json.loads(next(out.glob("*/report.json")).read_text())


@pytest.mark.slow  # four CLI runs of a one-chapter book (~20 s each on two busy cores)
def test_pin_refusal_and_repin(tmp_path, voices_dir):
    book = write_book(tmp_path, chapters={"Chapter 1: Morning": ["The kettle sang at seven."]})
    out = tmp_path / "out"
    env = {"AUDIOBOOK_VOICES_DIR": str(voices_dir)}
    quick = {**env, "AUDIOBOOK_VOICE_CHECK": "0"}  # the check itself is asserted on the first run only
    args = ["produce", str(book), "--output", str(out), "--format", "mp3"]
    first = run_cli(*args, env=env)
    assert first.returncode == 0, first.stderr
    check = _report(out)["voice_consistency"]
    assert check["reference"].startswith("book centroid") and len(check["files"]) == len(_report(out)["files"])
    assert all(set(r) == {"file", "similarity", "flagged"} for r in check["files"])
    assert "## Voice consistency" in next(out.glob("*/report.md")).read_text()

    alias = _alias(voices_dir)
    refused = run_cli(*args, "--voice", "joe-alias", env=quick)
    assert refused.returncode == 1
    message = refused.stderr
    assert "error: " in message and "'joe'" in message and "'joe-alias'" in message and "--repin" in message

    repinned = run_cli(*args, "--voice", "joe-alias", "--repin", env=quick)
    assert repinned.returncode == 0, repinned.stderr
    report = _report(out)
    assert report["synthesis"]["reused"] == 0 and report["synthesis"]["synthesized"] == report["synthesis"]["chunks"]
    manifest = json.loads(next(out.glob("*/manifest.json")).read_text())
    assert manifest["voice"] == {"name": "joe-alias", "engine": "piper", "hash": alias.hash}

    back = run_cli(*args, env=quick)  # the default voice again: now that is the other voice
    assert back.returncode == 1 and "'joe-alias'" in back.stderr and "--repin" in back.stderr


@pytest.mark.slow  # two CLI runs against the local contract server
def test_registry_voice_on_mistral_end_to_end(tmp_path, voices_dir, speech, speech_wav):
    rate, _, b = speech
    wav = io.BytesIO()
    sf.write(wav, b, rate, format="WAV", subtype="PCM_16")
    book = write_book(tmp_path, chapters={"Chapter 1: Morning": ["The kettle sang at seven."]})
    out = tmp_path / "out"
    with ContractServer(wav.getvalue(), key="sk-contract-test") as server:
        env = {"AUDIOBOOK_VOICES_DIR": str(voices_dir), "MISTRAL_API_KEY": "sk-contract-test",
               "MISTRAL_BASE_URL": server.url}
        registry.enroll("narrator", speech_wav)  # in-process (the CLI enroll is covered in test_enroll)
        assert registry.load("narrator").refs == {}  # local only: nothing uploaded yet
        made = run_cli("produce", str(book), "--voice", "narrator", "--engine", "mistral", "--output", str(out),
                       "--format", "mp3", env=env)
        assert made.returncode == 0, made.stderr
        record = registry.load("narrator")
        uploads = [r for r in server.requests if r["path"] == "/v1/audio/voices"]
        assert len(uploads) == 1 and record.refs == {"mistral": next(iter(server.voices))}
        assert {r["body"]["voice_id"] for r in server.speech_requests()} == {record.refs["mistral"]}
        manifest = json.loads(next(out.glob("*/manifest.json")).read_text())
        assert manifest["voice"] == {"name": "narrator", "engine": "mistral", "hash": record.hash}
        check = _report(out)["voice_consistency"]
        assert check["reference"] == "enrolled clip" and check["voice_hash"] == record.hash
        again = run_cli("produce", str(book), "--voice", "narrator", "--engine", "mistral", "--output", str(out),
                        "--format", "mp3", env={**env, "AUDIOBOOK_VOICE_CHECK": "0"})
        assert again.returncode == 0, again.stderr
        assert len([r for r in server.requests if r["path"] == "/v1/audio/voices"]) == 1  # uploaded once
    for path in list(voices_dir.rglob("*")) + list(out.rglob("*")):
        if path.is_file():
            assert b"sk-contract-test" not in path.read_bytes(), path
