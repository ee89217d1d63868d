"""Where the VGGish weights and PCA parameters are, and what to tell the user when they are not.

Nothing is ever downloaded: the user puts the files in the models folder
(``AVBENCH_MODELS`` or ``resources.models`` in the benchmark config) or names them
with a parameter. A parameter value with a directory part (``/x/w.pth``,
``./w.pth``, ``~/w.pth``) is a path; a bare file name is looked up in the models folder.
"""

from __future__ import annotations

from pathlib import Path

from avbench.contract import ResourceMissingError, RunContext

MODELS_ENV = "AVBENCH_MODELS"
DEFAULT_WEIGHTS = "vggish-10086976.pth"
DEFAULT_PCA = "vggish_pca_params.npz"

WEIGHTS_ORIGIN = ("the AudioSet VGGish weights (Hershey et al. 2017) as a torch state dict in the layout of the "
                  "harritaylor/torchvggish port: its release file vggish-10086976.pth "
                  "(github.com/harritaylor/torchvggish/releases, v0.1), or a conversion of the release's "
                  "vggish_model.ckpt to that layout")
PCA_ORIGIN = ("the PCA/whitening parameters of the AudioSet VGGish release (tensorflow/models "
              "research/audioset/vggish: storage.googleapis.com/audioset/vggish_pca_params.npz)")


def resolve(context: RunContext, value: str, param: str, owner: str, origin: str) -> Path:
    """The file named by parameter ``param`` = ``value``; ResourceMissingError saying what to put where."""
    named = Path(value).expanduser()
    is_path = named.is_absolute() or len(Path(value).parts) > 1 or value.startswith("~")
    nothing_fetched = "avbench downloads nothing"
    if is_path:
        if named.is_file():
            return named
        raise ResourceMissingError(f"{owner}: {param}={value!r} is not a file. Put {named.name} ({origin}) "
                                   f"there, or set {param} to the file's path; {nothing_fetched}")
    folder = context.resource("models", env=MODELS_ENV)
    if folder is None:
        raise ResourceMissingError(f"{owner} needs {value} ({origin}): set {MODELS_ENV} (or resources.models in "
                                   f"the benchmark config) to the folder holding {value}, or set the parameter "
                                   f"{param} to the file's path; {nothing_fetched}")
    path = folder / value
    if not path.is_file():
        raise ResourceMissingError(f"{owner} needs {path}: put {value} ({origin}) in {folder} (the {MODELS_ENV} / "
                                   f"resources.models folder), or set the parameter {param} to the file's path; "
                                   f"{nothing_fetched}")
    return path
