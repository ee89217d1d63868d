"""Finding pretrained files (explicit path param, else the ``models`` resource folder).

Plugins declare the files they find in ``input_files()``; the runner hashes their content."""

from __future__ import annotations

from pathlib import Path

from avbench.contract import ResourceMissingError, RunContext

MODELS_ENV = "AVBENCH_MODELS"


def model_file(context: RunContext, explicit: str | None, default_name: str, param: str, owner: str) -> Path:
    """The pretrained file ``owner`` needs: ``explicit`` when given, else ``<models folder>/default_name``.

    Raises ResourceMissingError saying which file to put where and which variable or parameter to set.
    """
    how = (f"set {MODELS_ENV} (or resources.models in the benchmark config) to the folder holding "
           f"{default_name}, or give the file with the parameter {param!r}")
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ResourceMissingError(f"{owner}: {param}={explicit!r} is not a file; put {default_name} "
                                       f"there or {how}")
        return path
    folder = context.resource("models", env=MODELS_ENV)
    if folder is None:
        raise ResourceMissingError(f"{owner} needs the pretrained file {default_name}: {how}")
    path = folder / default_name
    if not path.is_file():
        raise ResourceMissingError(f"{owner} needs {path}: put {default_name} in {folder} or {how}")
    return path

