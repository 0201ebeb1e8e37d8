#!/usr/bin/env python3
"""A real SMTP server on loopback for the tests (aiosmtpd). Every message it accepts is written to
FOLDER as a numbered .eml file, the envelope recipients first in an X-Envelope-To header. Prints
"ready" once it listens, and runs until it is killed.

Usage: smtp-sink.py PORT FOLDER [--delay SECONDS] [--silent]
  --delay SECONDS  answer each message's data only after SECONDS (a slow relay)
  --silent         accept connections and never answer (a stuck relay)
"""
import asyncio
import os
import socket
import signal
import sys
import threading

from aiosmtpd.controller import Controller


class Save:
    def __init__(self, folder, delay):
        self.folder = folder
        self.delay = delay
        self.lock = threading.Lock()
        self.count = len([f for f in os.listdir(folder) if f.endswith(".eml")])

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            self.count += 1
            n = self.count
        path = os.path.join(self.folder, f"{n:06d}.eml")
        with open(path + ".part", "wb") as f:
            f.write(b"X-Envelope-To: " + ",".join(envelope.rcpt_tos).encode() + b"\r\n")
            f.write(envelope.original_content or envelope.content)
        # Whole files only: a reader never sees a message half written.
        os.rename(path + ".part", path)
        return "250 OK"


def silent(port, stop):
    """Accepts connections and holds them open without a word, until stopped."""
    listener = socket.create_server(("127.0.0.1", port), reuse_port=False)
    listener.settimeout(0.2)
    held = []
    print("ready", flush=True)
    while not stop.is_set():
        try:
            held.append(listener.accept()[0])
        except socket.timeout:
            pass


def main():
    port, folder = int(sys.argv[1]), sys.argv[2]
    options = sys.argv[3:]
    delay = float(options[options.index("--delay") + 1]) if "--delay" in options else 0
    os.makedirs(folder, exist_ok=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    if "--silent" in options:
        silent(port, stop)
        return
    controller = Controller(Save(folder, delay), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
