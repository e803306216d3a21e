"""docs/metadata.json (Datasette) names only tables, columns and facets the archive really has."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from crawler.storage import Archive

METADATA = Path(__file__).resolve().parents[1] / "docs" / "metadata.json"


def test_metadata_matches_the_schema(tmp_path):
    db = tmp_path / "arshif.db"
    Archive(db).close()
    metadata = json.loads(METADATA.read_text(encoding="utf-8"))
    database = metadata["databases"][db.stem]  # Datasette names a database after its file: arshif.db → arshif
    with sqlite3.connect(db) as conn:
        tables = {name for (name,) in conn.execute("select name from sqlite_master where type = 'table'")}
        for table, settings in database["tables"].items():
            assert table in tables, table
            columns = {row[1] for row in conn.execute(f"pragma table_info([{table}])")}
            for facet in settings.get("facets", []):
                column = facet if isinstance(facet, str) else next(iter(facet.values()))
                assert column in columns, f"{table}.{column}"
            assert set(settings.get("columns", {})) <= columns
            assert settings.get("sort_desc", "id") in columns | {"id"}
        assert database["tables"]["articles"]["fts_table"] in tables
        for name, query in database["queries"].items():
            sql = query["sql"].replace(":words", "'x'")
            conn.execute(sql).fetchall()  # every canned query runs on an empty archive
