"""`create_app` only wires the helpline: building one touches no database and starts no thread, so
anything may build it cheaply; `start()` is the one step that migrates and starts the writer."""
from __future__ import annotations

import threading

from ivr.store.database import open_database, schema_revision
from ivr.web import create_app


#: The helpline's own threads: the call records' writer, the notices, call control's pool and tick.
HELPLINE_THREADS = ("call-records", "notices", "call-control")


def helpline_threads() -> list:
    """Those alive now (another test's app, closed, may still be winding down: only new ones count)."""
    return [thread for thread in threading.enumerate() if thread.name.startswith(HELPLINE_THREADS)]


def test_building_the_app_touches_no_database_and_starts_no_thread_until_it_is_started(settings_for, tmp_path):
    before = set(helpline_threads())
    app = create_app(settings_for(database_url=f"sqlite:///{tmp_path / 'fresh.db'}"))
    try:
        assert not (tmp_path / "fresh.db").exists()
        assert set(helpline_threads()) <= before

        app.extensions["ivr"].start()

        engine = open_database(f"sqlite:///{tmp_path / 'fresh.db'}")
        assert schema_revision(engine) is not None          # migrated by the start, not the build
        engine.dispose()
        response = app.test_client().get("/healthz")
        assert response.status_code == 200
    finally:
        app.extensions["ivr"].close()
