"""Entry point: `python app.py` for development, `gunicorn app:app` in production."""
import os

from ivr.web import create_app
from ivr.yamlfile.live import out_of_the_collectors_way

app = create_app()
app.extensions["ivr"].start()        # each gunicorn worker imports this after the fork
out_of_the_collectors_way()          # what it loaded lives as long as the process: never scanned again

if __name__ == "__main__":
    from ivr.sim.dev_twilio import serve_beside

    # `make run`: the development account's simulated Twilio lives as long as the helpline does.
    serve_beside(app.extensions["ivr"].settings)
    app.run(host=os.environ.get("IVR_HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "5000")))
