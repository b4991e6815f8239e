"""Pauses between chunks (pipeline/mastering/layout.py): a parent's heading is followed by the longer pause."""

from __future__ import annotations

from pipeline.mastering.layout import _pause_after
from pipeline.mastering.spec import MasteringSettings
from pipeline.plan import PlannedChunk


def _chunk(text: str, role: str = "title", scene_break: bool = False, ends: bool = True) -> PlannedChunk:
    return PlannedChunk(id=text, key=text, seed=0, text=text, role=role, paragraph=-1, ends_paragraph=ends,
                        scene_break_before=scene_break)


def test_parent_heading_then_own_title_then_text() -> None:
    settings = MasteringSettings()
    act, scene, text = _chunk("Act One"), _chunk("Scene One", scene_break=True), _chunk("Elsinore.", role="text")
    assert _pause_after(act, scene, settings) == settings.scene_pause_s  # the act, then a longer pause
    assert _pause_after(scene, text, settings) == settings.title_pause_s
    assert _pause_after(_chunk("Scene", ends=False), scene, settings) == settings.scene_pause_s
    assert _pause_after(text, None, settings) == settings.paragraph_pause_s
