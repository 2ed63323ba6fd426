"""Entry point: `python app.py` for development, `gunicorn app:app` in production."""
import os

from ivr.web import create_app

app = create_app()

if __name__ == "__main__":
    app.run(host=os.environ.get("IVR_HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "5000")))
