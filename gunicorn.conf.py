"""How gunicorn serves the helpline. gunicorn reads this file from the directory it starts in, and a
flag on its command line wins over any value here (`gunicorn -w 2 -b 0.0.0.0:8000 app:app` works).

A stopping worker writes the call records it still holds (`worker_exit`), and the access log never
shows a caller's number (`MaskingLogger`).
"""
import multiprocessing
import os
import re
import shutil
import tempfile
import time
from urllib.parse import unquote

from gunicorn.glogging import Logger, SafeAtoms

from ivr.privacy import mask_number

# `gunicorn` with no arguments serves the helpline.
wsgi_app = "app:app"

# All interfaces on $PORT when a platform sets it (its router is outside the container), as gunicorn
# does by default; otherwise only this machine, where the HTTPS proxy runs beside the helpline.
bind = ["0.0.0.0:" + os.environ["PORT"] if "PORT" in os.environ else "127.0.0.1:8000"]

# Each sync worker answers one request at a time, and a few requests wait on the database or on
# Twilio's REST API: gunicorn's (2 x cores) + 1 keeps the cores busy meanwhile. WEB_CONCURRENCY
# overrides it, as it does gunicorn's own default (a container's CPU quota is not seen by cpu_count).
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * multiprocessing.cpu_count() + 1)

# The worker class the README's webhook benchmark measures; with it `timeout` bounds each request.
worker_class = "sync"

# Twilio gives up on a webhook after 15 s (and plays the number's fallback URL, the backup line):
# a worker stuck longer than this is killed and replaced, since its answer would reach nobody. The
# slowest legitimate waits fit inside it: a REST request to Twilio (5 s) or a locked SQLite (5 s).
timeout = 10

# Time a stopping worker has to finish its request and then write what it still holds before it
# is killed: a request may itself wait 5 s (a locked SQLite, a slow REST request), then the flush
# up to 5 s more before what is left goes to the spool; PostgreSQL gives up on a connection after
# 3 s. Listening stops at once, so no caller waits for this.
graceful_timeout = 15

# Used only by a worker class that keeps connections open (`-k gthread`; sync closes each one after
# its answer): longer than a proxy's idle timeout (nginx's and AWS ALB's 60 s), so the proxy closes
# an idle connection first and never sends a request on one gunicorn has just closed (a 502).
keepalive = 75

# Each worker builds the app itself: its database pool, the call-records writer thread and call
# control's thread pool must be made after the fork, never shared with the master.
preload_app = False

# One line per request, on stdout. gunicorn's atoms hold no request body (Twilio's form, with
# `From`, is never logged); our URLs carry step names, languages and ids, never a number — the
# logger masks one all the same (a webhook set to GET in the console puts `From` in the query).
accesslog = "-"
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'

#: A caller's number as it may appear in a request line: 7 or more digits, perhaps after '+' or
#: '(' (or their URL encodings), with the separators people type between them (or theirs); never
#: part of a longer word, so CallSids, offer ids and the time of day stay as they are.
PHONE_NUMBER = re.compile(
    r"(?<![0-9A-Za-z%])(?:\+|%2[Bb]|\(|%28)*\d(?:(?:[-() +]|%2[0-9A-Fa-f]){0,3}\d){6,}(?![0-9A-Za-z])")
#: Access log atoms that are never anything a client sent: left as they are.
NOT_FROM_THE_CLIENT = frozenset("htsmHbBTDMLpl")


def mask_numbers(text: str) -> str:
    """Every phone number in `text`, masked as the helpline's own logs mask them (+*******4567)."""
    return PHONE_NUMBER.sub(lambda found: mask_number(unquote(found.group())), text)


def _masked(args) -> tuple:
    return tuple(mask_numbers(arg) if isinstance(arg, str) else arg for arg in args)


class MaskedAtoms(SafeAtoms):
    """The access log's values, masked as the line is written (only the atoms the format uses)."""

    def __getitem__(self, key):
        value = super().__getitem__(key)
        return mask_numbers(value) if isinstance(value, str) and key not in NOT_FROM_THE_CLIENT else value


class MaskingLogger(Logger):
    """gunicorn's logger, with numbers masked in the access log and in the error log's lines that
    quote a request ("Invalid request from ip=…: <request line>", "Error handling request <uri>")."""

    atoms_wrapper_class = MaskedAtoms

    def warning(self, msg, *args, **kwargs):
        super().warning(mask_numbers(str(msg)), *_masked(args), **kwargs)

    def exception(self, msg, *args, **kwargs):
        super().exception(mask_numbers(str(msg)), *_masked(args), **kwargs)


logger_class = MaskingLogger


def worker_exit(server, worker):
    """A stopping worker (SIGTERM, SIGINT/SIGQUIT, max_requests) writes the call records it still
    holds: to the database, or to the spool on disk while it is unavailable. (After a timeout's
    SIGABRT, gunicorn sends SIGKILL about a second later, whatever is left.)"""
    services = getattr(getattr(worker, "wsgi", None), "extensions", {}).get("ivr")
    if services is None:
        return              # the app never loaded: nothing was recorded
    began = time.monotonic()
    services.close()
    kept = services.calls.waiting_records()
    server.log.info("worker %s wrote its call records in %.2f s%s", worker.pid, time.monotonic() - began,
                    f"; {kept} wait on disk for the database" if kept else "")


# -- /metrics: every worker's counters (ivr/metrics.py) --------------------------------------------
METRICS_PREFIX = "helpline-metrics-"


def on_starting(server):
    # prometheus_client shares counters between processes through files in this folder, read when a
    # worker imports it: set before any worker starts, fresh for each start (old counts would add up).
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix=METRICS_PREFIX)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess
        multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    # Only a folder this file made, and not while a new master started by USR2 still uses it.
    if os.path.basename(folder).startswith(METRICS_PREFIX) and not server.reexec_pid and not server.master_pid:
        shutil.rmtree(folder, ignore_errors=True)
