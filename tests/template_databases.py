"""Test databases made from a template: the helpline's tables are migrated once per test process
and copied for each test (conftest.py's sqlite_template and postgres_template)."""
from __future__ import annotations

import shutil
from pathlib import Path


def sqlite_copy(template: Path, folder: Path) -> str:
    """A SQLite database in `folder` with the helpline's tables, copied from the migrated template."""
    path = folder / "helpline.db"
    if not path.exists():
        shutil.copyfile(template, path)
    return f"sqlite:///{path}"
