#!/usr/bin/env python3
"""Books COUNT slots one after another and measures, for each, the time from the booking's
response to the arrival of its booking.confirmed event at the webhook receiver's folder.
Prints p50 and p99. Usage: webhook_latency.py BASE TOKEN RESOURCE FOLDER COUNT"""
import datetime
import glob
import json
import os
import sys
import time
import urllib.request

base, token, resource, folder, count = sys.argv[1:6]
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


seen = set(glob.glob(os.path.join(folder, "*.json")))
done = {}
for i in range(count):
    done[book(i)] = time.time()
    time.sleep(0.02)
deadline = time.time() + 30
arrived = {}
while time.time() < deadline and len(arrived) < count:
    for path in glob.glob(os.path.join(folder, "*.json")):
        if path in seen:
            continue
        seen.add(path)
        with open(path) as f:
            event = json.loads(json.load(f)["body"])
        booking = event["data"].get("booking_id")
        if event["type"] == "booking.confirmed" and booking in done:
            arrived[booking] = os.stat(path).st_mtime
    time.sleep(0.05)
lat = sorted((arrived[b] - done[b]) * 1000 for b in arrived)
if len(lat) < count:
    print(f"only {len(lat)} of {count} events arrived", file=sys.stderr)
    sys.exit(1)
print(f"{lat[len(lat) // 2]:.1f} {lat[min(len(lat) - 1, int(len(lat) * 0.99))]:.1f}")
