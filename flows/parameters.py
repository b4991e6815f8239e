"""The flows' parameters with what the deployment's run form shows: a description for each, and a
choice list (enum) for the engine and the formats.

The flows keep plain keyword parameters (`produce_audiobook(manuscript=...)` stays callable as a
function); each parameter's default is the matching `Field` of these models, which Prefect reads
into the deployment's parameter schema.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from pipeline.produce import ALL_FORMATS, FORMATS
from pipeline.speech.engines import DEFAULT_ENGINE, ENGINES

EngineName = Literal[tuple(ENGINES)]  # type: ignore[valid-type]  # the registry's names, as a choice list
Format = Literal[ALL_FORMATS]  # type: ignore[valid-type]
IpaFallback = Literal["alias", "refuse"]


class ProduceParameters(BaseModel):
    """`produce-audiobook`: one manuscript in, one audiobook out (mirrors `ProduceOptions`)."""

    manuscript: str = Field(description="Manuscript to read: an .epub, .txt or .md file, e.g. "
                                        "books/the-lighthouse-keepers-cat.md (relative to the repository).")
    output_root: str | None = Field(None, description="Folder the book is written to, as <output_root>/<slug>/. "
                                                      "Empty: $AUDIOBOOK_OUTPUT_ROOT, else ./output.")
    engine: EngineName = Field(DEFAULT_ENGINE, description="Speech engine. piper runs on the CPU; voxtral needs "
                                                           "a GPU; mistral and vllm-omni call a speech server.")
    voice: str | None = Field(None, description="Narrator voice (see `audiobook voices list`). Empty: the voice "
                                                "the book is pinned to, or the engine's default.")
    formats: list[Format] = Field(list(FORMATS), description="Files to write: m4b (one chaptered audiobook) "
                                                             "and/or mp3 (one file per chapter, with captions) and/or epub (read-along "
                                                             "EPUB 3 with Media Overlays).")
    seed: int = Field(0, description="Base seed of stochastic engines; the same seed gives the same audio.")
    speed: float = Field(1.0, description="Speaking rate; 1.0 is the voice's own pace.")
    repin: bool = Field(False, description="Allow a different voice or engine than the book was produced with.")
    qa: bool = Field(True, description="Check every chunk (length, silences, level, speech recognition) and "
                                       "retake the ones that fail.")
    engine_options: dict[str, str | int | float] | None = Field(
        None, description="Engine-specific settings, e.g. {\"base_url\": \"http://gpu:8000\"} for vllm-omni.")
    lexicons: list[str] | None = Field(None, description="Pronunciation lexicons (.pls or .lexicon.toml), later "
                                                         "ones win; added to those found beside the manuscript, in "
                                                         "the voice's and in the book's folder.")
    ipa_fallback: IpaFallback = Field("alias", description="For engines without phoneme input: say an IPA-only "
                                                          "entry's alias ('alias') or refuse the book ('refuse').")


class BatchParameters(BaseModel):
    """`nightly-batch`: every new or changed manuscript of a folder."""

    folder: str = Field("books", description="Folder of manuscripts (.epub, .txt, .md) to produce.")
    output_root: str | None = ProduceParameters.model_fields["output_root"]
    engine: EngineName = ProduceParameters.model_fields["engine"]
    voice: str | None = ProduceParameters.model_fields["voice"]
    formats: list[Format] = ProduceParameters.model_fields["formats"]
    dispatch: Literal["auto", "deployment", "in-process"] = Field(
        "auto", description="How books run: 'deployment' as runs of the deployment below (shared by the "
                            "workers), 'in-process' one after the other inside this run, 'auto' the first "
                            "when the server has that deployment.")
    deployment: str = Field("produce-audiobook/manuscript",
                            description="Deployment that produces one manuscript (flow/deployment name).")
    retry_failed: bool = Field(False, description="Try again manuscripts that failed as unusable input even "
                                                  "though the file has not changed.")


# The `Field`s to use as the flows' parameter defaults (Any: they stand in for any annotation).
PRODUCE: dict[str, Any] = dict(ProduceParameters.model_fields)
BATCH: dict[str, Any] = dict(BatchParameters.model_fields)
