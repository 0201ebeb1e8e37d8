#!/usr/bin/env python3
"""Books COUNT slots one after another and measures, for each, the time from the booking's
response to the arrival of its confirmation at the SMTP sink's folder. Prints p50 and p99.
Usage: outbox_latency.py BASE TOKEN RESOURCE DATABASE_URL MAIL_FOLDER COUNT"""
import datetime
import glob
import json
import os
import re
import subprocess
import sys
import time
import urllib.request

base, token, resource, url, folder, count = sys.argv[1:7]
count = int(count)
day = datetime.datetime.now(datetime.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
day += datetime.timedelta(days=100)


def book(i):
    start = day + datetime.timedelta(minutes=30 * i)
    body = json.dumps({"resource_id": int(resource), "start": start.isoformat(),
                       "end": (start + datetime.timedelta(minutes=30)).isoformat(), "purpose": "latency"}).encode()
    req = urllib.request.Request(f"{base}/api/v1/bookings", data=body, method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)["id"]


def booking_of(keys):
    """The booking of each message, by the key its Message-ID is made of."""
    quoted = ",".join(f"'{k}'" for k in keys)
    sql = f"SELECT message_key, booking_id FROM outbox WHERE message_key IN ({quoted})"
    if url.startswith("sqlite://"):
        import sqlite3
        return dict(sqlite3.connect(url[len("sqlite://"):]).execute(sql).fetchall())
    out = subprocess.run(["psql", "-tA", "-F", " ", url, "-c", sql], check=True, capture_output=True, text=True).stdout
    return {a: int(b) for a, b in (line.split() for line in out.split("\n") if line.strip())}


seen = set(glob.glob(os.path.join(folder, "*.eml")))
done = {}
for i in range(count):
    done[book(i)] = time.time()
    time.sleep(0.02)
deadline = time.time() + 30
arrived = {}
while time.time() < deadline and len(arrived) < count:
    for path in glob.glob(os.path.join(folder, "*.eml")):
        if path in seen:
            continue
        seen.add(path)
        with open(path, encoding="utf-8", errors="replace") as f:
            m = re.search(r"^Message-ID: <([0-9a-f]+)@", f.read(), re.M)
        if m:
            arrived[m.group(1)] = os.stat(path).st_mtime
    time.sleep(0.05)
bookings = booking_of(list(arrived)) if arrived else {}
lat = sorted((arrived[o] - done[b]) * 1000 for o, b in bookings.items() if b in done)
if len(lat) < count:
    print(f"only {len(lat)} of {count} confirmations arrived", file=sys.stderr)
    sys.exit(1)
print(f"{lat[len(lat) // 2]:.1f} {lat[min(len(lat) - 1, int(len(lat) * 0.99))]:.1f}")
