"""gunicorn settings for the `web` process (Procfile: gunicorn -c python:bot.gunicorn_conf ...).

Sized for the 2-core target: two processes (one per core), each with a few threads. A request
only verifies, acks and hands the work to Bolt's listener threads, so threads are busy for
milliseconds. gunicorn's gthread worker parks idle connections in its poller rather than in a
thread; `SlackWorker` below adds what it lacks: a read timeout, so a client that sends half a
request and stalls loses its connection after READ_TIMEOUT seconds instead of holding a thread.
Every number can be overridden from the environment.
"""

from __future__ import annotations

import logging
import os
import socket

from gunicorn.workers import gthread

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '3000')}"
worker_class = "bot.gunicorn_conf.SlackWorker"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))  # one per core
threads = int(os.environ.get("WEB_THREADS", "8"))
timeout = 30  # a worker process silent this long is restarted
graceful_timeout = 20
keepalive = 5  # seconds an idle kept-alive connection is held (Slack reuses connections)
worker_connections = 500  # open connections per process, most of them idle in the poller
backlog = 1024
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190
accesslog = None  # one line per request costs time and says nothing Slack doesn't
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()

#: Seconds a thread waits for the next bytes of a request it has started reading.
# Slack (or the proxy in front) sends a request whole in milliseconds; a client that has sent
# part of one and stalls holds a thread until this runs out, so it is short: 20 such clients
# on 16 threads delay everyone else by two of these, not ten seconds.
READ_TIMEOUT = float(os.environ.get("WEB_READ_TIMEOUT", "2"))
#: Seconds a new connection may stay silent before it is parked in the poller (gunicorn: 5).
FIRST_BYTE_WAIT = 0.25


class _TimedConn(gthread.TConn):
    def init(self) -> None:
        super().init()
        # Runs before every request on the connection (handle() makes the socket blocking,
        # which clears any timeout, then calls init()).
        self.sock.settimeout(READ_TIMEOUT)


class _QuietTimeouts(logging.Filter):
    """A stalled client is routine: one warning line, not a traceback in the error log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], TimeoutError):
            record.msg, record.args = "closed a connection that stalled mid-request", ()
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info = record.exc_text = None
        return True


class SlackWorker(gthread.ThreadWorker):
    """gthread with a per-read timeout on client sockets."""

    def init_process(self) -> None:
        gthread.DEFAULT_WORKER_DATA_TIMEOUT = FIRST_BYTE_WAIT
        logging.getLogger("gunicorn.error").addFilter(_QuietTimeouts())
        super().init_process()

    def accept(self, listener: socket.socket) -> None:
        try:
            client_sock, client_addr = listener.accept()
        except BlockingIOError:
            return
        except ConnectionAbortedError:
            return
        self.nr_conns += 1
        client_sock.setblocking(True)
        self.enqueue_req(_TimedConn(self.cfg, client_sock, client_addr, listener.getsockname()))



#: Seconds a thread may keep the GIL while another waits (CPython's default is 0.005). A thread
#: holding the database's write turn gives up the GIL at every statement; at 5 ms it can wait
#: that long each time to get it back from threads rendering answers, and every other writer
#: waits behind it.
SWITCH_INTERVAL = float(os.environ.get("WEB_SWITCH_INTERVAL", "0.0005"))


def post_fork(server: object, worker: object) -> None:
    """In each worker process, before it loads the app."""
    import sys

    sys.setswitchinterval(SWITCH_INTERVAL)
