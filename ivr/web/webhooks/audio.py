"""Serves the recorded prompts that TwiML <Play> points at, with headers that let Twilio cache them."""
from flask import Blueprint, abort, current_app, send_from_directory

blueprint = Blueprint("audio", __name__)
ONE_DAY = 24 * 3600


@blueprint.get("/audio/<language>/<path:name>")
def recording(language: str, name: str):
    if "/" in name or not language.isalpha():
        abort(404)
    directory = current_app.extensions["ivr"].settings.audio_dir / language
    return send_from_directory(directory, name, max_age=ONE_DAY)
