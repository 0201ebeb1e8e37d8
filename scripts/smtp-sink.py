#!/usr/bin/env python3
"""A real SMTP server on loopback for the tests (aiosmtpd). Every message it accepts is written to
FOLDER as a numbered .eml file, the envelope recipients first in an X-Envelope-To header. Prints
"ready" once it listens, and runs until it is killed.

Usage: smtp-sink.py PORT FOLDER
"""
import os
import signal
import sys
import threading

from aiosmtpd.controller import Controller


class Save:
    def __init__(self, folder):
        self.folder = folder
        self.lock = threading.Lock()
        self.count = len([f for f in os.listdir(folder) if f.endswith(".eml")])

    async def handle_DATA(self, server, session, envelope):
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


def main():
    port, folder = int(sys.argv[1]), sys.argv[2]
    os.makedirs(folder, exist_ok=True)
    controller = Controller(Save(folder), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
