"""The Flask application: configuration, the voice webhook, recordings."""
from __future__ import annotations

import datetime
import logging

from flask import Flask
from twilio.request_validator import RequestValidator
from werkzeug.middleware.proxy_fix import ProxyFix

from .. import config as config_module
from ..flow.live import LiveFlows
from ..store.calls import CallRecords
from ..routing.roster import ROSTER_FILE, live_roster
from ..store.database import open_database
from ..store.presence import PresenceStore
from ..store.queue import QueueChoices
from ..twiml import Renderer
from .voice import Answers


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def create_app(config: dict | None = None, settings: config_module.Settings | None = None) -> Flask:
    """Build the helpline app. `config` overrides Settings fields by name (tests, the simulator)."""
    settings = config_module.finish(
        (settings or config_module.from_environment()).with_overrides(config))
    app = Flask(__name__, instance_path=str(settings.instance_dir))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app.config.update(
        IVR_SETTINGS=settings,
        IVR_VALIDATOR=RequestValidator(settings.twilio_auth_token),
        IVR_FLOWS=LiveFlows(settings.flows_dir, settings.audio_dir, check_every=settings.flows_check_seconds),
        IVR_RENDERER=Renderer(),
        IVR_ANSWERS=Answers(),
        IVR_CLOCK=utc_now,
    )
    database = open_database(settings.database_url)
    records = CallRecords(database, hash_key=settings.caller_hash_key)
    languages = ("en", "es")
    app.config.update(IVR_ROSTER=live_roster(settings.flows_dir / ROSTER_FILE, languages,
                                             settings.flows_check_seconds),
                      IVR_PRESENCE=PresenceStore(database), IVR_QUEUE_CHOICES=QueueChoices(database))
    records.ensure_schema()      # a database that is down now is retried later; calls play on
    app.config.update(IVR_DATABASE=database, IVR_CALLS=records)
    app.config["IVR_FLOWS"].current()     # load now, so problems show in the log at start-up
    if settings.trust_proxy:
        # Behind an HTTPS terminator, Twilio signed https://public-host/...: rebuild that URL.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_proto=1, x_host=1, x_port=1, x_prefix=1)

    from . import audio, callback, edge, hold, ringing, sms, voice
    app.register_error_handler(Exception, edge.never_fail_a_caller)
    app.register_blueprint(voice.blueprint)
    app.register_blueprint(callback.blueprint)
    app.register_blueprint(hold.blueprint)
    app.register_blueprint(ringing.blueprint)
    app.register_blueprint(sms.blueprint)
    app.register_blueprint(audio.blueprint)

    @app.get("/healthz")
    def healthz():
        flows = app.config["IVR_FLOWS"].current()
        return ({"flows": flows.version if flows else None, "ok": flows is not None},
                200 if flows else 503)

    return app
