"""A bundle is read under declared limits: each hostile archive or file is refused in one line, cheaply."""

from __future__ import annotations

import gzip
import io
import json
import shutil
import tarfile
import tempfile
from pathlib import Path

import pytest

from avbench.exchange.bundle import BundleError, opened
from avbench.exchange.export import export_bundle
from avbench.exchange.import_bundle import import_bundle
from avbench.exchange.limits import MiB, BundleLimits
from tests.exchange.conftest import clone, reseal_manifest

GiB = 1 << 30


@pytest.fixture
def own_tmp(tmp_path, monkeypatch):
    """Temporary folders made here go under one folder the test can inspect."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def archive(path: Path, members: list[tuple[tarfile.TarInfo, bytes]], fmt=tarfile.PAX_FORMAT) -> Path:
    """A .tar.gz of headers as given, each followed by ``data`` (which may be shorter than the size declared)."""
    raw = io.BytesIO()
    for info, data in members:
        raw.write(info.tobuf(fmt, "utf-8", "surrogateescape"))
        raw.write(data + b"\0" * (-len(data) % 512))
    raw.write(b"\0" * 1024)
    with gzip.open(path, "wb") as out:
        out.write(raw.getvalue())
    return path


def member(name: str, size: int, kind: bytes = tarfile.REGTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.type, info.mode = size, kind, 0o644
    return info


def refused(path: Path, limits: BundleLimits | None = None) -> list[str]:
    with pytest.raises(BundleError) as error:  # what it cost is shown by where it stopped, not by a clock
        with opened(path, *(limits,) if limits else ()):
            pass
    return error.value.lines


def test_a_gzip_bomb_is_refused_from_its_declared_size_before_a_byte_is_unpacked(tmp_path, own_tmp):
    zeros = b"\0" * (8 * MiB)  # compresses to ~8 KB; declared 600 MB
    bomb = archive(tmp_path / "bomb.tar.gz", [(member("manifest.json", 600 * MiB), zeros)])
    assert bomb.stat().st_size < 100_000
    size = bomb.stat().st_size
    assert refused(bomb) == [f"{bomb}: members unpack to more than 64 MiB (200 times the archive's {size} bytes); "
                             "refused at 'manifest.json'"]
    lines = refused(bomb, BundleLimits(member_bytes=64 * MiB))
    assert lines == [f"{bomb}: member 'manifest.json' declares 600 MiB, above the limit of 64 MiB per file"]
    assert list(own_tmp.iterdir()) == []  # nothing written, the temporary folder removed


def test_many_members_that_add_up_past_the_total_are_refused_at_the_first_beyond_it(tmp_path, own_tmp):
    parts = [(member(f"records/e/p/seed-0/f{i}.parquet", 4 * MiB), b"\0" * (4 * MiB)) for i in range(3)]
    bomb = archive(tmp_path / "sum.tar.gz", parts)
    lines = refused(bomb, BundleLimits(total_bytes=10 * MiB, member_bytes=8 * MiB, expansion_floor=1 << 40))
    assert lines == [f"{bomb}: members unpack to more than 10 MiB (the limit); refused at "
                     "'records/e/p/seed-0/f2.parquet'"]
    assert list(own_tmp.iterdir()) == []


def test_a_sparse_member_declaring_8_gib_is_refused_without_reading_it(tmp_path, own_tmp):
    sparse = member("records/e/p/seed-0/f.parquet", 8 * GiB, tarfile.GNUTYPE_SPARSE)
    bomb = archive(tmp_path / "sparse.tar.gz", [(sparse, b"")], fmt=tarfile.GNU_FORMAT)
    lines = refused(bomb)
    assert len(lines) == 1 and lines[0].startswith(f"{bomb}: member 'records/e/p/seed-0/f.parquet' ")
    assert "sparse" in lines[0] or "8192 MiB" in lines[0]
    pax = member("records/e/p/seed-0/g.parquet", 16)
    pax.pax_headers = {"GNU.sparse.realsize": str(8 * GiB), "GNU.sparse.map": "0,16"}
    bomb = archive(tmp_path / "pax-sparse.tar.gz", [(pax, b"x" * 16)])
    assert refused(bomb) == [f"{bomb}: member 'records/e/p/seed-0/g.parquet' is a sparse file; a bundle holds "
                             "plain files only"]


def test_a_second_manifest_member_is_refused_not_silently_preferred(tmp_path, own_tmp):
    first, second = b'{"schema_version": 1}', b'{"schema_version": 1, "forged": true}'
    bundle = archive(tmp_path / "twice.tar.gz", [(member("manifest.json", len(first)), first),
                                                 (member("./manifest.json", len(second)), second)])
    assert refused(bundle) == [f"{bundle}: member './manifest.json' appears twice (one file each, expected)"]


def test_too_many_members_are_refused(tmp_path, own_tmp):
    bundle = archive(tmp_path / "many.tar.gz", [(member(f"f{i}", 0), b"") for i in range(11)])
    assert refused(bundle, BundleLimits(members=10)) == [f"{bundle}: more than 10 members (the limit)"]


def honest_copy(submitter, tmp_path) -> Path:
    config, _data = submitter
    return export_bundle(config, tmp_path / "bundle", submitter="alice").path


def import_refused(bundle: Path, config: Path) -> list[str]:
    with pytest.raises(BundleError) as error:
        import_bundle(bundle, config)
    assert not (config.parent / "runs/swap/submitted").exists()
    return error.value.lines


def test_an_oversized_manifest_is_refused_by_its_size_before_it_is_read(submitter, toy_env, tmp_path):
    bundle = honest_copy(submitter, tmp_path)
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["machine"]["padding"] = "x" * (5 * MiB)
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    assert import_refused(bundle, clone(tmp_path / "maintainer", None)) == [
        f"{bundle}/manifest.json: 5 MiB, above the limit of 4 MiB for this file"]


def test_a_machine_field_beyond_its_schema_is_refused(submitter, toy_env, tmp_path):
    bundle = honest_copy(submitter, tmp_path)
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["machine"]["cpu"] = "<script>alert(1)</script>" * 20
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    lines = import_refused(bundle, clone(tmp_path / "maintainer", None))
    assert lines == [f"{bundle}/manifest.json: machine.cpu: 500 characters, expected at most 200"]


def test_deeply_nested_json_is_one_line_not_a_traceback(submitter, toy_env, tmp_path):
    bundle = honest_copy(submitter, tmp_path)
    (bundle / "folds.json").write_text("[" * 100_000 + "]" * 100_000)
    reseal = json.loads((bundle / "manifest.json").read_text())
    assert reseal  # the manifest still reads; folds.json is refused on its own
    from avbench.storage.fold_store import file_sha256

    reseal["files"]["folds.json"] = file_sha256(bundle / "folds.json")
    (bundle / "manifest.json").write_text(json.dumps(reseal))
    assert import_refused(bundle, clone(tmp_path / "maintainer", None)) == [
        f"{bundle}/folds.json: nested deeper than 32 levels"]


def test_a_refused_archive_leaves_no_temporary_folder(submitter, toy_env, tmp_path, own_tmp):
    bundle = honest_copy(submitter, tmp_path)
    (bundle / "folds.json").write_text("{}")
    reseal_manifest(bundle)
    packed = tmp_path / "packed.tar.gz"
    from avbench.exchange.bundle import pack

    pack(bundle, packed)
    shutil.rmtree(bundle)
    import_refused(packed, clone(tmp_path / "maintainer", None))
    assert list(own_tmp.iterdir()) == []
