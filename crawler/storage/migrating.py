"""sqlite_utils loaded only when it is used: the migrations' list kept without it, the up-to-date check without it.

Why: ``import sqlite_utils`` (its 5,500-line ``db`` module, pluggy and importlib.metadata, dateutil …) cost every
process that opens an archive ~0.2 G instructions, ~2% of a 930-page ``arshif reparse`` (with Scrapy's version
read without importlib.metadata, ``crawler.provenance``: −0.28 G, −2.6%), though an archive that is up to date
needs none of it: the check is one read of ``_sqlite_migrations``, and a reparse writes its run row in plain SQL.
A pending migration, or any use of ``Archive.db`` (sqlite_utils' ``Database``), loads it as before.

- ``Migrations``: ``sqlite_utils.Migrations``' decorator, the functions collected in order; what else is asked
  of it (``apply``, ``pending``, ``applied`` …) is asked of a ``sqlite_utils.Migrations`` made from them then.
- ``Migrations.up_to_date(conn)``: True exactly when ``apply`` would do nothing (``tests/test_storage_migrating.py``
  holds it to ``apply``).
- ``sqlite_utils_module()``: ``import sqlite_utils`` with pandas and numpy hidden from it (``_hide_numpy``); the
  same for any ``import sqlite_utils`` made after ``crawler.storage`` (``install_hook``).
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable
from typing import Any


def sqlite_utils_module() -> Any:
    """``sqlite_utils``, imported on first use with pandas and numpy hidden from it (``_hide_numpy``)."""
    if "sqlite_utils" not in sys.modules:
        _hide_numpy(lambda: __import__("sqlite_utils.db"))
    return sys.modules["sqlite_utils"]


def _hide_numpy(load: Callable[[], Any]) -> None:
    """Run ``load`` (the import of sqlite_utils) with pandas and numpy hidden, then type numpy's values.

    Why: ``sqlite_utils.db`` imports pandas and numpy whenever they are installed, only to map
    ``pd.Timestamp`` to TEXT and numpy's scalar types to INTEGER/REAL when it guesses column types. With
    pandas installed (a data team's machine, the test extra) every crawl, export or reader paid ~130 MB RSS
    and ~0.3 s for it; numpy (a dependency: ``crawler.dedupe``'s MinHash) cost every command ~0.1 CPU-s of
    start-up, e.g. a 930-page reparse's 0.1 ms a page, though only a MinHash needs it. One already loaded
    costs nothing and is left as it is; afterwards ``import pandas`` / ``import numpy`` work as usual, and
    numpy's types are still typed (``_NumpyTypes``) should a numpy value ever reach sqlite_utils.
    """
    hidden = [name for name in ("pandas", "numpy") if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # `import name` raises ImportError meanwhile
    try:
        load()
    finally:
        for name in hidden:
            del sys.modules[name]
    if "numpy" in hidden:
        db = sys.modules["sqlite_utils.db"]
        db.COLUMN_TYPE_MAPPING = _NumpyTypes(db.COLUMN_TYPE_MAPPING)


class _NumpyTypes(dict):
    """sqlite_utils' column types, plus numpy's scalar types looked up when first met, as sqlite_utils maps
    them when it imports numpy itself: ``np.int64`` → INTEGER, ``np.float32`` → REAL. A numpy type can only
    be met once numpy is loaded, so looking it up never imports numpy."""

    def __missing__(self, key):
        numpy = sys.modules.get("numpy")
        if numpy is not None and isinstance(key, type):
            if issubclass(key, numpy.integer):
                return "INTEGER"
            if issubclass(key, numpy.floating):
                return "REAL"
        raise KeyError(key)

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default


class _Loader:
    """A loader that runs the real one's ``exec_module`` for ``sqlite_utils`` with numpy hidden."""

    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)

    def create_module(self, spec: Any) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        _hide_numpy(lambda: self._loader.exec_module(module))


class _Hook:
    """On ``sys.meta_path`` until sqlite_utils is imported: whoever imports it (``import sqlite_utils`` in a
    user's code after ``import crawler.storage``, as before this module) imports it with numpy hidden."""

    @classmethod
    def find_spec(cls, name: str, path: Any = None, target: Any = None) -> Any:
        if name != "sqlite_utils":
            return None
        sys.meta_path.remove(cls)  # once: the finders after it find the package itself
        from importlib.machinery import PathFinder

        spec = PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None or "numpy" in sys.modules and "pandas" in sys.modules:
            return spec
        spec.loader = _Loader(spec.loader)
        return spec


def install_hook() -> None:
    if "sqlite_utils" not in sys.modules and _Hook not in sys.meta_path:
        sys.meta_path.insert(0, _Hook)


class Migrations:
    """``sqlite_utils.Migrations("arshif")`` to its users (``@MIGRATIONS()`` on each function, ``apply``,
    ``pending`` …), sqlite_utils imported only when one of those is asked; ``up_to_date`` asks none."""

    migrations_table = "_sqlite_migrations"

    def __init__(self, name: str) -> None:
        self.name = name
        self._registered: list[tuple[str, Callable, bool]] = []
        self._real: Any = None

    def __call__(self, *, name: str | None = None, transactional: bool = True) -> Callable[[Callable], Callable]:
        def inner(func: Callable) -> Callable:
            migration_name = name or func.__name__
            if any(registered == migration_name for registered, _, _ in self._registered):
                raise ValueError(f"Migration '{migration_name}' is already registered in set '{self.name}'")
            if self._real is not None:
                self._real(name=migration_name, transactional=transactional)(func)
            self._registered.append((migration_name, func, transactional))
            return func

        return inner

    @property
    def names(self) -> list[str]:
        return [name for name, _, _ in self._registered]

    @property
    def real(self) -> Any:
        """The ``sqlite_utils.Migrations`` of the same functions, in the same order (made on first use)."""
        if self._real is None:
            real = sqlite_utils_module().Migrations(self.name)
            for name, func, transactional in self._registered:
                real(name=name, transactional=transactional)(func)
            self._real = real
        return self._real

    def __getattr__(self, name: str) -> Any:  # apply, pending, applied, ensure_migrations_table, _migrations …
        if name.startswith("__") or name in ("_real", "_registered", "name"):
            raise AttributeError(name)
        return getattr(self.real, name)

    def __repr__(self) -> str:
        return "<Migrations '{}': [{}]>".format(self.name, ", ".join(self.names))

    def up_to_date(self, conn: sqlite3.Connection) -> bool:
        """True when ``apply`` would change nothing, read as sqlite_utils reads it: the migrations table
        exists, its primary key is ``id`` (else ``apply`` rebuilds it: ``ensure_migrations_table``) and each of
        this set's migrations has its row. Read-only; False whenever in doubt (``apply`` then decides)."""
        table = self.migrations_table
        if conn.execute("select 1 from sqlite_master where type = 'table' and name = ?", [table]).fetchone() is None:
            return False
        keys = sorted((row[5], row[1]) for row in conn.execute(f"pragma table_info([{table}])") if row[5])
        if [name for _, name in keys] != ["id"]:
            return False
        applied = {row[0] for row in conn.execute(f"select name from [{table}] where migration_set = ?", [self.name])}
        return all(name in applied for name in self.names)
