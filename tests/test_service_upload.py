"""Run folders uploaded over HTTP (``PUT /zones/{zone}/run``): a zone made from an archive schedules exactly as
the same folder registered on the server; hostile, damaged and oversized archives are refused and nothing of
them is stored."""

from __future__ import annotations

import io
import socket
import sqlite3
import tarfile
import zipfile

import numpy as np
import pytest

from greenzone.service import auth, db, upload, zones
from service_helpers import Server, client, forecast_text, make_run, run_archive

STATE = {"jabrayil/battery": 7.5}


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    """Zone 'two' registered from a folder; an admin and an operator of it."""
    base = tmp_path_factory.mktemp("upload")
    run = make_run(base)
    engine = db.connect(base / "service.db")
    zones.add_zone(engine, "two", run)
    tokens = {}
    for name, role in (("admin", "admin"), ("operator", "operator")):
        tokens[name] = auth.create_token(engine, name)
        auth.grant(engine, name, "two", role)
    tokens["lonely"] = auth.create_token(engine, "lonely")  # a token with no zone
    engine.dispose()
    with Server(base / "service.db") as server:
        yield {"server": server, "run": run, "tokens": tokens, "base": base}


def _tar(members: list[tarfile.TarInfo], data: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for info in members:
            payload = (data or {}).get(info.name)
            if payload is not None:
                info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload) if payload is not None else None)
    return buffer.getvalue()


def _file(name: str, payload: bytes = b"x") -> tuple[tarfile.TarInfo, dict[str, bytes]]:
    return tarfile.TarInfo(name), {name: payload}


def _counts(base) -> tuple[int, int, int]:
    con = sqlite3.connect(base / "service.db")
    return tuple(
        con.execute(f"select count(*) from {t}").fetchone()[0] for t in ("zones", "zone_archives", "audit")
    )


def test_an_uploaded_run_folder_schedules_exactly_as_the_folder_on_the_server(service):
    run, server = service["run"], service["server"]
    body = {"state": STATE, "forecast_csv": forecast_text(run)}
    with client(server, service["tokens"]["admin"]) as c:
        made = c.put("/zones/up/run", content=run_archive(run))
        assert made.status_code == 201, made.text
        assert made.json()["created"] is True and made.json()["name"] == "two-node test zone"
        assert c.put("/zones/up/run", content=run_archive(run, top="again")).status_code == 200  # replaced
        assert [z["id"] for z in c.get("/zones").json()] == ["two", "up"]  # the uploader is its admin
        from_upload = c.post("/zones/up/schedules", json=body)
        from_folder = c.post("/zones/two/schedules", json=body)
        assert (from_upload.status_code, from_folder.status_code) == (201, 201), from_upload.text
        a, b = from_upload.json()["schedule"], from_folder.json()["schedule"]
        assert a["time"] == b["time"] and list(a["columns"]) == list(b["columns"])
        for name in a["columns"]:
            assert np.array_equal(np.array(a["columns"][name]), np.array(b["columns"][name])), name
        actions = [(e["who"], e["action"]) for e in c.get("/zones/up/audit").json()]
    assert ("admin", "add_zone") in actions and ("admin", "replace_zone") in actions
    row = (
        sqlite3.connect(service["base"] / "service.db")
        .execute(
            "select run_dir, length(archive) from zones join zone_archives on zone_archives.zone_id = zones.id"
        )
        .fetchone()
    )
    assert row[0].startswith("db:") and row[1] > 0


def test_who_may_upload(service):
    run, server, tokens = service["run"], service["server"], service["tokens"]
    archive = run_archive(run)
    with client(server, tokens["operator"]) as c:
        assert c.put("/zones/two/run", content=archive).status_code == 403  # operator, not admin
        assert c.put("/zones/new/run", content=archive).status_code == 403  # admin of no zone
    with client(server, tokens["lonely"]) as c:
        assert c.put("/zones/new/run", content=archive).status_code == 403
        assert c.put("/zones/two/run", content=archive).status_code == 404  # exists, not disclosed
    with client(server, None) as c:
        assert c.put("/zones/new/run", content=archive).status_code == 401
    with client(server, tokens["admin"]) as c:
        bad_id = c.put("/zones/Bad.Id/run", content=archive)
        assert bad_id.status_code == 422 and "zone id 'Bad.Id'" in bad_id.json()["detail"]


def _hostile() -> dict[str, bytes]:
    link = tarfile.TarInfo("run/plan.nc")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    hard = tarfile.TarInfo("run/plan.nc")
    hard.type, hard.linkname = tarfile.LNKTYPE, "/etc/passwd"
    device = tarfile.TarInfo("run/plan.nc")
    device.type = tarfile.CHRTYPE
    fifo = tarfile.TarInfo("run/fifo")
    fifo.type = tarfile.FIFOTYPE
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as z:
        info = zipfile.ZipInfo("run/plan.nc")
        info.external_attr = 0o120777 << 16  # a symbolic link
        z.writestr(info, "/etc/passwd")
    return {
        "absolute": _tar([_file("/etc/cron.d/x")[0]], _file("/etc/cron.d/x")[1]),
        "parent": _tar([_file("run/../../escape")[0]], _file("run/../../escape")[1]),
        "backslash": _tar([_file("..\\escape")[0]], _file("..\\escape")[1]),
        "symlink": _tar([link]),
        "hardlink": _tar([hard]),
        "device": _tar([device]),
        "fifo": _tar([fifo]),
        "zip symlink": zipped.getvalue(),
        "not an archive": b"plan.nc and friends, honestly",
        "empty": _tar([]),
    }


@pytest.mark.parametrize("kind", list(_hostile()))
def test_hostile_archives_are_refused_and_nothing_is_written(kind, tmp_path):
    data = _hostile()[kind]
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(upload.UploadError, match="run folder archive: "):
        upload.unpack_run_archive(data, dest)
    assert not (tmp_path / "escape").exists()
    assert not any(p.is_symlink() or not (p.is_file() or p.is_dir()) for p in dest.rglob("*"))


def test_hostile_and_broken_uploads_over_http(service, tmp_path):
    run, server = service["run"], service["server"]
    before = _counts(service["base"])
    with client(server, service["tokens"]["admin"]) as c:
        for kind, data in _hostile().items():
            answer = c.put("/zones/evil/run", content=data)
            assert answer.status_code == 422, (kind, answer.text)
            assert answer.json()["detail"].startswith("run folder archive: "), kind
        # a run folder whose plan was edited after 'greenzone run' wrote it: read_run's own message
        edited = tmp_path / "edited"
        import shutil

        shutil.copytree(run, edited)
        with open(edited / "plan.nc", "ab") as f:
            f.write(b"\0")
        answer = c.put("/zones/evil/run", content=run_archive(edited))
        assert answer.status_code == 422 and "was changed after greenzone wrote it" in answer.json()["detail"]
        missing = tmp_path / "missing"
        shutil.copytree(run, missing)
        (missing / "profiles.nc").unlink()
        answer = c.put("/zones/evil/run", content=run_archive(missing))
        assert answer.status_code == 422 and "profiles.nc not found" in answer.json()["detail"]
        assert "/tmp" not in answer.text or "greenzone-upload-" in answer.text
    assert _counts(service["base"]) == before  # nothing of a refused upload is stored


def test_an_archive_past_the_limits_is_413(service, monkeypatch, tmp_path):
    monkeypatch.setattr(upload, "MAX_UNPACKED_BYTES", 1000)
    big = _tar([_file("run/plan.nc")[0]], {"run/plan.nc": b"\0" * 5000})
    with pytest.raises(upload.UploadTooLarge, match="unpacks to more than"):
        upload.unpack_run_archive(big, tmp_path)
    monkeypatch.setattr(upload, "MAX_MEMBERS", 3)
    many = _tar([_file(f"run/{i}")[0] for i in range(5)], {f"run/{i}": b"x" for i in range(5)})
    with pytest.raises(upload.UploadError, match="more than 3 members"):
        upload.unpack_run_archive(many, tmp_path / "m")
    # over the upload limit (64 MiB) by its Content-Length: refused before the body is read
    host, port = "127.0.0.1", service["server"].port
    with socket.create_connection((host, port), timeout=10) as s:
        s.sendall(
            b"PUT /zones/two/run HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
            + service["tokens"]["admin"].encode()
            + b"\r\nContent-Length: 100000000\r\n\r\n"
        )
        assert s.recv(100).startswith(b"HTTP/1.1 413")
