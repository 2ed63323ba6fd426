"""The Flask application: configuration, the voice webhook, recordings, the staff pages."""
from __future__ import annotations

import logging

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from .. import config as config_module
from .current import init_app
from .staff import init_staff
from .observe import Observed, use_json_logs
from .fast_path import RememberedAnswers
from .webhooks.caller import Answers


def create_app(config: dict | None = None, settings: config_module.Settings | None = None) -> Flask:
    """Build the helpline app, wired and not yet started: nothing is migrated, no thread runs, until
    `app.extensions["ivr"].start()` (app.py does it; so do the CLI and the tests that serve calls).
    `config` overrides Settings fields by name (tests, the simulator)."""
    settings = config_module.finish(
        (settings or config_module.from_environment()).with_overrides(config))
    app = Flask(__name__, instance_path=str(settings.instance_dir))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if settings.log_format == "json":
        use_json_logs()
    init_app(app, settings, Answers())      # wired only: `app.extensions["ivr"].start()` starts it
    from . import edge, health
    from .webhooks import (audio, callback_leg, callback_number, caller, hold, professional_leg, stand_in, text_status,
                           texts)
    app.register_error_handler(Exception, edge.never_fail_a_caller)
    for module in (caller, callback_number, hold, professional_leg, callback_leg, texts, text_status, audio, health,
                   stand_in):
        app.register_blueprint(module.blueprint)
    init_staff(app, settings)
    wsgi = RememberedAnswers(app, app.wsgi_app)     # answers Flask need not build (remembered.py)
    wsgi = stand_in.WitnessRequests(app, wsgi)    # `ivr twilio rehearse`'s record of its webhooks
    if settings.trust_proxy:
        # Behind an HTTPS terminator, Twilio signed https://public-host/...: rebuild that URL.
        wsgi = ProxyFix(wsgi, x_proto=1, x_host=1, x_port=1, x_prefix=1)
    # Outermost: the time a webhook takes includes everything above, ProxyFix and signature too.
    routes = {rule.rule for rule in app.url_map.iter_rules()}
    app.wsgi_app = Observed(wsgi, routes, request_lines=settings.log_format == "json")
    return app
