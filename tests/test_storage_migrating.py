"""crawler.storage.migrating: sqlite_utils loaded only when used. ``MIGRATIONS.up_to_date`` is True exactly when
sqlite_utils' ``apply`` would change nothing; the run rows written in plain SQL are the rows sqlite_utils'
``insert`` / ``update`` wrote; an up-to-date archive is opened, reparsed and read without importing sqlite_utils."""

from __future__ import annotations

import sqlite3

import pytest
import sqlite_utils

from crawler.storage import MIGRATIONS, Archive, RunCounts
from crawler.storage.migrating import Migrations
from tests.test_startup import python_output


def _schema(path) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("select type, name, tbl_name, sql from sqlite_master order by type, name").fetchall()
        applied = conn.execute("select migration_set, name from _sqlite_migrations order by rowid").fetchall() \
            if any(row[1] == "_sqlite_migrations" for row in rows) else []
    conn.close()
    return rows + applied


def _up_to_date(path) -> bool:
    with sqlite3.connect(path) as conn:
        answer = MIGRATIONS.up_to_date(conn)
    conn.close()
    return answer


@pytest.mark.parametrize("stop_before", [None, *MIGRATIONS.names[1::3], MIGRATIONS.names[-1]])
def test_up_to_date_exactly_when_apply_changes_nothing(tmp_path, stop_before):
    """At every stage a past arshif left an archive in: up_to_date says whether apply would write anything."""
    path = tmp_path / "a.db"
    db = sqlite_utils.Database(path)
    MIGRATIONS.apply(db, stop_before=stop_before)
    db.close()
    before = _schema(path)
    answer = _up_to_date(path)
    db = sqlite_utils.Database(path)
    assert [m.name for m in MIGRATIONS.pending(db)] == ([] if stop_before is None
                                                        else MIGRATIONS.names[MIGRATIONS.names.index(stop_before):])
    MIGRATIONS.apply(db)
    db.close()
    assert answer is (_schema(path) == before) is (stop_before is None)
    assert _up_to_date(path)


def test_up_to_date_is_false_where_apply_would_rebuild_or_record(tmp_path):
    path = tmp_path / "a.db"
    Archive(path).close()
    assert _up_to_date(path)
    with sqlite3.connect(path) as conn:  # one migration's row gone: apply runs it again
        conn.execute("delete from _sqlite_migrations where name = ?", [MIGRATIONS.names[-1]])
    conn.close()
    assert not _up_to_date(path)
    with sqlite3.connect(path) as conn:  # another set's rows, and this set's, in a table keyed otherwise
        rows = conn.execute("select migration_set, name, applied_at from _sqlite_migrations").fetchall()
        conn.execute("drop table _sqlite_migrations")
        conn.execute("create table _sqlite_migrations (migration_set text, name text, applied_at text)")
        conn.executemany("insert into _sqlite_migrations values (?, ?, ?)",
                         rows + [("arshif", MIGRATIONS.names[-1], "x"), ("other", "m1", "x")])
    conn.close()
    assert not _up_to_date(path)  # apply would give the table its id key (ensure_migrations_table)
    before = _schema(path)
    Archive(path).close()
    assert _schema(path) != before and _up_to_date(path)
    with sqlite3.connect(path) as conn:
        conn.execute("drop table _sqlite_migrations")
        assert not MIGRATIONS.up_to_date(conn)
    conn.close()


def test_the_collected_migrations_are_sqlite_utils_own_in_order():
    real = MIGRATIONS.real
    assert [(m.name, m.fn, m.transactional) for m in real._migrations] == MIGRATIONS._registered
    assert len(MIGRATIONS.names) == len(set(MIGRATIONS.names)) > 20
    assert any(not transactional for _, _, transactional in MIGRATIONS._registered)  # m202_lean_vacuum
    migrations = Migrations("t")

    @migrations()
    def one(db):
        db["t"].insert({"a": 1})

    with pytest.raises(ValueError, match="already registered"):
        migrations(name="one")(lambda db: None)
    assert migrations.names == ["one"] and "sqlite_utils" in repr(type(migrations.real))

    @migrations(name="two", transactional=False)  # after the real one was made: it has it too
    def second(db):
        db["t"].insert({"a": 2})

    db = sqlite_utils.Database(memory=True)
    migrations.apply(db)
    assert [row["a"] for row in db["t"].rows] == [1, 2] and [m.name for m in migrations.applied(db)] == ["one", "two"]


def test_run_rows_are_the_ones_sqlite_utils_wrote(tmp_path, monkeypatch):
    """start_run and finish_run in plain SQL: the row sqlite_utils' insert and update made of the same values."""
    import crawler.storage.runs as runs

    monkeypatch.setattr(runs, "utc_now", lambda: "2026-12-07T15:00:00+00:00")
    archive = Archive(tmp_path / "a.db")
    try:
        args = {"warc": "/w", "site": None, "since": "2016-01-01", "nested": {"a": [1, "ب"]}}
        ours = archive.start_run("alhadath", command="reparse", args=args, settings={"RETRY_TIMES": 3})
        archive.finish_run(ours, finish_reason="finished", status="ok",
                           counts=RunCounts(pages=930, articles_updated=2, articles_unchanged=928), stats={"x": 1.5})
        values = {key: value for key, value in archive.rows("select * from crawl_runs where id = ?", [ours])[0].items()
                  if key != "id"}
        inserted = {key: values[key] for key in ("spider", "command", "args", "started_at", "status", "pid", "host",
                                                 "arshif_version", "git_commit", "scrapy_version", "settings")}
        theirs = archive.db["crawl_runs"].insert(inserted).last_pk
        updated = {key: value for key, value in values.items() if key not in inserted and value is not None}
        archive.db["crawl_runs"].update(theirs, updated)
        archive.commit()
        rows = archive.rows("select * from crawl_runs where id in (?, ?) order by id", [ours, theirs])
        assert theirs == ours + 1 and [{**row, "id": 0} for row in rows][0] == [{**row, "id": 0} for row in rows][1]
        assert updated["pages"] == 930 and updated["finished_at"] and values["args"].startswith('{"warc": "/w"')
        with pytest.raises(sqlite_utils.db.NotFoundError):  # a run that is not there: sqlite_utils' error, as before
            archive.finish_run(ours + 10, finish_reason="finished", status="ok", counts=RunCounts())
    finally:
        archive.close()


def test_an_up_to_date_archive_is_written_reparsed_and_read_without_sqlite_utils(tmp_path):
    path = tmp_path / "a.db"
    Archive(path).close()  # migrated: sqlite_utils used
    script = (
        "import sys\n"
        "from crawler.storage import Archive, RunCounts, open_archive\n"
        "from crawler.reparse import reparse\n"
        f"archive = Archive({str(path)!r})\n"
        "run = archive.start_run('alhadath', command='t', args={})\n"
        "archive.finish_run(run, finish_reason='finished', status='ok', counts=RunCounts(pages=1))\n"
        "archive.close()\n"
        f"open_archive({str(path)!r}).close()\n"
        f"print(reparse({str(path)!r}, {str(tmp_path)!r}).rows, 'sqlite_utils' in sys.modules,"
        " 'numpy' in sys.modules, 'importlib.metadata' in sys.modules)\n")
    assert python_output(script).split() == ["0", "False", "False", "False"]
    with sqlite3.connect(path) as conn:
        runs = conn.execute("select command, status, pages, finish_reason from crawl_runs order by id").fetchall()
    conn.close()
    assert runs == [("t", "ok", 1, "finished"), ("reparse", "ok", 0, "finished")]
