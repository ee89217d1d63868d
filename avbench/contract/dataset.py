"""Dataset plugins: turn a folder of media into labelled clips with subjects."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar, Mapping, Sequence

from .base import Plugin, PluginKind


@dataclass(frozen=True)
class Clip:
    """One labelled recording.

    ``media`` maps a modality (``audio``, ``video``) to a file path; an
    audio-visual file may serve both. ``subject`` is the speaker or actor id every
    protocol splits on. ``meta`` holds the rest of what the file name says
    (gender, intensity, language...).
    """

    clip_id: str
    subject: str
    label: str
    media: Mapping[str, str]
    meta: Mapping[str, Any] = field(default_factory=dict)

    def path(self, modality: str) -> Path:
        """The file serving ``modality``; KeyError names the clip when it has none."""
        try:
            return Path(self.media[modality])
        except KeyError:
            raise KeyError(f"clip {self.clip_id} has no {modality} media (has: {sorted(self.media)})") from None


class Dataset(Plugin):
    """A corpus reader.

    ``labels`` lists every emotion the corpus has, in the canonical names of
    :mod:`avbench.contract.emotions` (neutral, calm, happy, sad, angry, fearful,
    disgust, surprised, boredom, contempt, frustration, excited, other); a category
    with no canonical name is declared in ``extra_labels`` (label -> a one-line
    description) and stays the corpus's own. ``embedded`` datasets
    can create their own files (see :meth:`prepare`); ``synthetic`` ones are
    labelled as such in every table.

    For ``avbench check`` a dataset provides a classmethod
    ``conformance_tree(tmp_dir: Path) -> Path`` that writes a tiny tree in its own
    naming scheme under ``tmp_dir`` and returns its root (embedded datasets may
    rely on :meth:`prepare` instead).

    A file the reader cannot use (a bad name, a symlink loop, an unreadable folder) need
    not sink the whole corpus: :meth:`clips` may leave it out and say so in ``problems``,
    one line per file, which the runner reports (and refuses under ``avbench run --strict``).
    """

    kind: ClassVar[PluginKind] = PluginKind.DATASET
    labels: ClassVar[tuple[str, ...]] = ()
    #: The corpus's own labels that have no canonical name: label -> what it means (each is also in ``labels``).
    extra_labels: ClassVar[Mapping[str, str]] = MappingProxyType({})
    modalities: ClassVar[tuple[str, ...]] = ("audio",)
    embedded: ClassVar[bool] = False
    synthetic: ClassVar[bool] = False
    # What the board says about the corpus (as MTEB's task metadata); all optional, so older plugins keep working.
    #: Spoken language(s) as BCP 47 tags, e.g. ``("en",)``; empty when unstated or not speech.
    languages: ClassVar[tuple[str, ...]] = ()
    #: Number of speakers (actors) in the complete release; None when unstated.
    speakers: ClassVar[int | None] = None
    #: Number of clips in the complete release (the reader may be asked for fewer); None when unstated.
    clip_count: ClassVar[int | None] = None
    #: The release's licence as its publishers state it (an SPDX id where there is one).
    licence: ClassVar[str] = ""
    #: Where the release can be had (a URL or repository).
    source: ClassVar[str] = ""
    #: Sample rate of the released audio in Hz; None when mixed or unstated.
    sample_rate: ClassVar[int | None] = None
    #: How the labels were obtained: acted or natural, and whether a label is the intended or a perceived emotion.
    label_origin: ClassVar[str] = ""
    #: Per-file problems of the last :meth:`clips` call, each naming its file; their clips were left out.
    problems: Sequence[str] = ()

    def prepare(self, root: Path) -> None:
        """Make ``root`` ready (an embedded dataset generates its files here); default: nothing."""

    def clips(self, root: Path) -> list[Clip]:
        """All clips under ``root`` that pass the plugin's filters.

        Files it cannot use are either left out and listed in ``self.problems`` (the rest of the
        corpus stays usable), or make it raise :class:`~avbench.contract.errors.DatasetError`
        naming every bad file. A root that is missing or holds no usable clip always raises.
        """
        raise NotImplementedError

    @classmethod
    def card(cls) -> dict[str, Any]:
        """The corpus metadata above as plain data (unset entries left out), for the board and ``describe``."""
        values = {"languages": list(cls.languages), "speakers": cls.speakers, "clips": cls.clip_count,
                  "licence": cls.licence, "source": cls.source, "sample_rate": cls.sample_rate,
                  "label_origin": cls.label_origin}
        return {k: v for k, v in values.items() if v not in (None, "", [])}
