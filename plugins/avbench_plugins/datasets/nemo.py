"""``nemo``: nEMO (Christop 2024), Polish emotional speech, 9 actors, 6 emotions, 24 kHz.

Layout followed (the public release, ``amu-cai/nEMO``)::

    <root>/data.tsv                          file_id, emotion, raw_text, normalized_text, speaker_id, gender, age
    <root>/samples/<speaker>_<emotion>_<n>.wav   e.g. samples/WR0_surprised_64.wav

Files are found recursively and matched to the table by stem (a flac copy reads the same).
Speaker and emotion come from the file name and must agree with the table; gender, age and
the transcript come from the table. A file without a row, a row without a file and a row that
disagrees with its file name are problems, one line each, and left out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, ClassVar, Literal

from pydantic import Field

from avbench import hookimpl
from avbench.contract import Clip, Dataset, DatasetError, Params

from .media_params import AUDIO_EXTENSIONS_HELP, CLASSES_HELP, Exclude, Extensions, known_classes
from .naming.nemo_names import LABELS, NemoNameError, NemoTableError, parse_nemo_name, read_nemo_table
from .tree import no_clips_error, nothing_usable_error, read_named_takes, relative, require_root

ENV_VAR = "AVBENCH_NEMO_ROOT"
TABLE = "data.tsv"
LAYOUT = "data.tsv at the root and samples/<speaker>_<emotion>_<n>.wav (e.g. samples/WR0_surprised_64.wav)"
Speaker = Literal["EB0", "IC0", "KD0", "KS0", "MK0", "MP0", "SM0", "TP0", "WR0"]


class NemoParams(Params):
    classes: Annotated[list[str], known_classes(LABELS, "nEMO")] = Field([], description=CLASSES_HELP)
    speakers: list[Speaker] = Field([], description="speaker ids (EB0, WR0, ...); empty = all")
    audio_extensions: Extensions = Field(["wav", "flac"], min_length=1, description=AUDIO_EXTENSIONS_HELP)
    exclude: Exclude = []


class Nemo(Dataset):
    """nEMO: 9 Polish actors (4 female, 5 male), 6 emotions, 4481 wav clips at 24 kHz."""

    name = "nemo"
    version = "1.0"
    cites = ('Christop 2024, "nEMO: Dataset of Emotional Speech in Polish", LREC-COLING 2024')
    labels: ClassVar[tuple[str, ...]] = LABELS
    modalities: ClassVar[tuple[str, ...]] = ("audio",)
    languages: ClassVar[tuple[str, ...]] = ("pl",)
    speakers: ClassVar[int | None] = 9
    clip_count: ClassVar[int | None] = 4481
    licence: ClassVar[str] = "CC-BY-NC-SA-4.0"
    source: ClassVar[str] = "https://github.com/amu-cai/nEMO"
    sample_rate: ClassVar[int | None] = 24000
    label_origin: ClassVar[str] = "acted; the intended emotion of each recording (no perceptual labels)"
    Params = NemoParams

    @classmethod
    def conformance_tree(cls, tmp_dir: Path) -> Path:
        """A tiny nEMO tree for ``avbench check``: two speakers x 6 emotions of wav and their table."""
        from avbench.testing.media import speech_like, write_wav

        root = Path(tmp_dir) / "nemo"
        (root / "samples").mkdir(parents=True)
        lines = ["file_id\temotion\traw_text\tnormalized_text\tspeaker_id\tgender\tage"]
        for speaker, gender in (("EB0", "female"), ("WR0", "male")):
            for i, emotion in enumerate(("anger", "fear", "happiness", "neutral", "sadness", "surprised")):
                write_wav(root / "samples" / f"{speaker}_{emotion}_1.wav", speech_like(0.3, seed=i))
                lines.append(f"{speaker}_{emotion}_1.wav\t{emotion}\tTak.\ttak\t        {speaker}\t{gender}\t25")
        (root / TABLE).write_text("\n".join(lines) + "\n", encoding="utf-8")
        return root

    def clips(self, root: Path) -> list[Clip]:
        p: NemoParams = self.params  # type: ignore[assignment]
        root = require_root(root, corpus="nEMO", layout=LAYOUT, env_var=ENV_VAR, data_name="nemo")
        table_path = next(iter(sorted(root.rglob(TABLE))), None) if not (root / TABLE).is_file() else root / TABLE
        if table_path is None:
            raise DatasetError(root, [f"no {TABLE} under this folder; expected {LAYOUT}"])
        try:
            table, problems = read_nemo_table(table_path)
        except NemoTableError as exc:
            raise DatasetError(table_path, [str(exc)]) from None
        takes, names, file_problems = read_named_takes(root, p.audio_extensions, p.exclude,
                                                       lambda path: parse_nemo_name(path.stem), NemoNameError)
        problems = problems + file_problems
        for clip_id in sorted(set(takes) - set(table)):
            problems.append(f"{relative(next(iter(takes[clip_id].values())), root)}: no row in {TABLE}; left out")
        for clip_id in sorted(set(table) - set(takes)):
            problems.append(f"{TABLE}: {clip_id} has no audio file under the root")
        self.problems = problems
        usable = [c for c in takes if c in table]
        if not usable:
            raise nothing_usable_error(root, problems, corpus="nEMO", layout=LAYOUT, extensions=p.audio_extensions,
                                       env_var=ENV_VAR, data_name="nemo")
        clips = []
        for clip_id in usable:
            name, row, files = names[clip_id], table[clip_id], takes[clip_id]
            if (p.classes and name.label not in p.classes) or (p.speakers and name.speaker not in p.speakers):
                continue
            audio = next(files[e] for e in p.audio_extensions if e in files)
            meta = {"speaker": name.speaker, "gender": row.gender, "age": row.age, "text": row.text}
            clips.append(Clip(clip_id, name.speaker, name.label, {"audio": str(audio)}, meta))
        if not clips:
            raise no_clips_error(root, len(usable), self.get_params())
        return clips


@hookimpl
def avbench_plugins() -> list[type[Dataset]]:
    return [Nemo]
