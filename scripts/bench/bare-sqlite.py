#!/usr/bin/env python3
"""The bare booking transaction straight on SQLite, the ceiling a booking over HTTP is measured
against: one writer in WAL mode, each transaction BEGIN IMMEDIATE, a read of the resource, the sum
of what overlaps the slot, the booking and its message. Prints transactions per second.
Usage: bare-sqlite.py PATH SECONDS RESOURCES SYNCHRONOUS"""
import random
import sqlite3
import sys
import time

path, seconds, resources, synchronous = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
db = sqlite3.connect(path, isolation_level=None)
db.execute("PRAGMA journal_mode = WAL")
db.execute(f"PRAGMA synchronous = {synchronous}")
db.executescript("""
CREATE TABLE IF NOT EXISTS bare_resources (id INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS bare_bookings (
  id INTEGER PRIMARY KEY, resource_id INTEGER NOT NULL, start_slot INTEGER NOT NULL,
  end_slot INTEGER NOT NULL, quantity INTEGER NOT NULL, purpose TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS bare_bookings_overlap ON bare_bookings (resource_id, start_slot);
CREATE TABLE IF NOT EXISTS bare_outbox (
  id INTEGER PRIMARY KEY, booking_id INTEGER NOT NULL, recipient TEXT NOT NULL, body TEXT NOT NULL,
  created_at TEXT NOT NULL);
""")
db.executemany("INSERT OR IGNORE INTO bare_resources VALUES (?)", [(i,) for i in range(1, resources + 1)])
body = "x" * 2048
done = 0
end = time.monotonic() + seconds
while time.monotonic() < end:
    r, slot = random.randint(1, resources), random.randint(1, 1000000)
    db.execute("BEGIN IMMEDIATE")
    db.execute("SELECT id FROM bare_resources WHERE id = ?", (r,)).fetchone()
    db.execute("SELECT COALESCE(SUM(quantity), 0) FROM bare_bookings "
               "WHERE resource_id = ? AND start_slot >= ? AND start_slot < ? AND end_slot > ?",
               (r, slot - 1, slot + 1, slot)).fetchone()
    cur = db.execute("INSERT INTO bare_bookings (resource_id, start_slot, end_slot, quantity, purpose, created_at) "
                     "VALUES (?, ?, ?, 1, 'benchmark', datetime('now'))", (r, slot, slot + 1))
    db.execute("INSERT INTO bare_outbox (booking_id, recipient, body, created_at) "
               "VALUES (?, 'booker@example.org', ?, datetime('now'))", (cur.lastrowid, body))
    db.execute("COMMIT")
    done += 1
print(round(done / seconds))
