"""Ports for servers a test starts in another process (gunicorn, `make run`).

Binding port 0 and handing the number on leaves a moment in which anything else may take it: another
xdist worker, or a client's outgoing connection (those get ports from the kernel's ephemeral range,
32768-60999 on Linux). So each worker takes ports from a block of its own below that range, and
skips any port something is listening on or still holds.
"""
from __future__ import annotations

import itertools
import os
import socket
import threading

FIRST, BLOCK = 20000, 1500          # worker N's ports: FIRST + N*BLOCK … FIRST + (N+1)*BLOCK - 1

_lock = threading.Lock()


def _worker_index() -> int:
    name = os.environ.get("PYTEST_XDIST_WORKER", "gw0")          # "gw3"; absent without xdist
    digits = "".join(ch for ch in name if ch.isdigit())
    return int(digits or 0) % 8


_block = FIRST + _worker_index() * BLOCK
_next = itertools.cycle(range(_block, _block + BLOCK))


def free_port() -> int:
    """A port on 127.0.0.1 nothing holds now, from this worker's own block."""
    with _lock:
        for _ in range(BLOCK):
            port = next(_next)
            with socket.socket() as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise RuntimeError(f"no free port in {_block}-{_block + BLOCK - 1}")
