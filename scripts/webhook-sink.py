#!/usr/bin/env python3
"""A real HTTP receiver on loopback for the webhook tests. Each POST is verified with the
published `standardwebhooks` library under the secret in FOLDER/secret; a verified delivery is
written to FOLDER as a numbered .json file (its headers and body) and answered 204, one that
fails verification is answered 400 and written as .rejected. Prints "ready" once it listens,
and runs until it is killed.

Usage: webhook-sink.py PORT FOLDER [--status CODE] [--clock-offset SECONDS]
  --status CODE          answer every request CODE without keeping it (a failing endpoint)
  --clock-offset SECONDS the library checks timestamps against the wall clock moved by SECONDS,
                         for tests that move the server's clock
"""
import json
import os
import signal
import sys
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import standardwebhooks.webhooks
from standardwebhooks import Webhook


def move_clock(seconds):
    """The library reads datetime.now for its 5-minute tolerance; it reads ours instead."""
    base = standardwebhooks.webhooks.datetime

    class Moved(base):
        @classmethod
        def now(cls, tz=None):
            return base.now(tz) + timedelta(seconds=seconds)

    standardwebhooks.webhooks.datetime = Moved


class Receiver(BaseHTTPRequestHandler):
    lock = threading.Lock()
    folder = "."
    status = None

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
        if self.status:
            self.answer(self.status)
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        with open(os.path.join(self.folder, "secret")) as f:
            secret = f.read().strip()
        try:
            Webhook(secret).verify(body, headers)
            verified = True
        except Exception as e:  # the library raises WebhookVerificationError
            verified = False
            headers["x-verification-error"] = str(e)
        self.save(headers, body, "json" if verified else "rejected")
        self.answer(204 if verified else 400)

    def save(self, headers, body, ext):
        with self.lock:
            n = len(os.listdir(self.folder)) + 1
            path = os.path.join(self.folder, f"{n:06d}.{ext}")
            with open(path + ".part", "w") as f:
                json.dump({"headers": headers, "body": body}, f)
            # Whole files only: a reader never sees a delivery half written.
            os.rename(path + ".part", path)

    def answer(self, code):
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()


class Server(ThreadingHTTPServer):
    # The standard library's backlog of 5 makes a burst of connections wait a second for SYN
    # retransmission: a receiver's flaw that would be counted against the sender.
    request_queue_size = 128
    daemon_threads = True


def main():
    port, folder = int(sys.argv[1]), sys.argv[2]
    options = sys.argv[3:]
    os.makedirs(folder, exist_ok=True)
    Receiver.folder = folder
    if "--status" in options:
        Receiver.status = int(options[options.index("--status") + 1])
    if "--clock-offset" in options:
        move_clock(float(options[options.index("--clock-offset") + 1]))
    server = Server(("127.0.0.1", port), Receiver)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
