"""The helpline's services hung on the Flask app in one place (`app.extensions["ivr"]`, as Flask
extensions do), so a view asks `services()` and a test swaps a part."""
from __future__ import annotations

from flask import current_app, request

from ..config import Settings
from ..calls.links import Links
from ..services import Services, make_services


def init_app(app, settings: Settings, answers=None) -> Services:
    services = make_services(settings, answers)
    app.extensions["ivr"] = services
    return services


def services() -> Services:
    return current_app.extensions["ivr"]


def links() -> Links:
    """Absolute URLs for what Twilio fetches on a REST-placed leg: the configured public URL, or the
    URL Twilio used to reach this request (ProxyFix has restored it behind a proxy)."""
    return services().links(request.host_url)
