"""Snapshot model: round trip, validation errors that name the file and field, atomic writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evaluator.errors import InputError
from evaluator.inventory import SCHEMA, Gap, load_snapshot, save_snapshot, snapshot_filename
from tests.factories import make_snapshot


def test_round_trip(tmp_path: Path) -> None:
    snap = make_snapshot(gaps=[Gap("kube", "etcd.db_size_bytes", "metric absent")])
    path = save_snapshot(snap, tmp_path / "snap.json")
    assert load_snapshot(path) == snap
    data = json.loads(path.read_text())
    assert data["schema"] == SCHEMA
    assert list(data)[0] == "cluster"


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.update(schema="k8seval/inventory/v9"), "schema: expected 'k8seval/inventory/v1'"),
        (lambda d: d.pop("schema"), "schema: expected"),
        (lambda d: d["nodes"].update(count="ten"), "nodes.count: expected an integer, got 'ten'"),
        (lambda d: d["objects"].update(pods=1.5), "objects.pods: expected an integer"),
        (lambda d: d["cluster"].pop("name"), "cluster.name: required field is missing"),
        (lambda d: d["cluster"].update(platform="mainframe"), "cluster.platform: expected one of"),
        (lambda d: d.update(collected_at="yesterday"), "collected_at: not an RFC 3339"),
        (lambda d: d.update(gaps=[{"source": "kube"}]), "gaps[0].item: required field is missing"),
        (lambda d: d["objects"].update(pods=-1), "objects.pods: count must not be negative"),
        (lambda d: d["nodes"]["pods_per_node"].update(max=True), "nodes.pods_per_node.max: expected a number"),
    ],
)
def test_invalid_snapshot_names_file_and_field(tmp_path: Path, mutate, expected: str) -> None:
    data = make_snapshot().to_dict()
    mutate(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError) as info:
        load_snapshot(path)
    assert str(path) in str(info.value)
    assert expected in str(info.value)


def test_missing_and_non_json_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        load_snapshot(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match=r"bad\.json: not valid JSON"):
        load_snapshot(bad)
    arr = tmp_path / "arr.json"
    arr.write_text("[]")
    with pytest.raises(InputError, match=r"arr\.json: \(top level\): expected an object"):
        load_snapshot(arr)


def test_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "snap.json"
    save_snapshot(make_snapshot(), path)
    before = path.read_text()

    class Boom:
        def to_dict(self):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        save_snapshot(Boom(), path)  # type: ignore[arg-type]
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["snap.json"]


def test_snapshot_filename_is_safe() -> None:
    name = snapshot_filename(make_snapshot("a/b c"))
    assert "/" not in name and " " not in name
    assert name.startswith("self-hosted-a%2Fb%20c-")


def test_written_files_get_ordinary_permissions(tmp_path: Path) -> None:
    import os

    old = os.umask(0o022)
    try:
        path = save_snapshot(make_snapshot(), tmp_path / "snap.json")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


def test_unwritable_target_is_a_one_line_input_error(tmp_path: Path) -> None:
    folder = tmp_path / "snap.json"
    folder.mkdir()  # a folder where the file should go: the rename fails
    with pytest.raises(InputError, match=r"snap\.json: cannot write: Is a directory"):
        save_snapshot(make_snapshot(), folder)
    assert list(folder.iterdir()) == [] and [p.name for p in tmp_path.iterdir()] == ["snap.json"]
