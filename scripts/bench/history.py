#!/usr/bin/env python3
"""Writes N past, finished half-hour bookings for one resource straight into the database, so that
a benchmark can compare availability on a resource with a long history against a new one.
Usage: history.py DATABASE_URL RESOURCE_ID N"""
import datetime
import subprocess
import sys

url, resource, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
end = datetime.datetime.now(datetime.timezone.utc).replace(minute=0, second=0, microsecond=0, tzinfo=None)
first = end - datetime.timedelta(minutes=30 * count)
COLUMNS = ("resource_id, booker_id, organization_id, state, blocking, exclusive, start_at, end_at, block_start, "
           "block_end, quantity, purpose, wants_waitlist, operator_assisted, version, created_at, updated_at")
if url.startswith("sqlite://"):
    import sqlite3
    db = sqlite3.connect(url[len("sqlite://"):])
    booker, org = db.execute("SELECT id, organization_id FROM users WHERE email = 'booker@acme.demo.test'").fetchone()
    fmt = "%Y-%m-%d %H:%M:%S"

    def rows():
        for i in range(count):
            s = first + datetime.timedelta(minutes=30 * i)
            a, b = s.strftime(fmt), (s + datetime.timedelta(minutes=30)).strftime(fmt)
            yield (resource, booker, org, "completed", 1, 0, a, b, a, b, 1, "history", 0, 0, 1, a, a)

    db.executemany(f"INSERT INTO bookings ({COLUMNS}) VALUES ({','.join('?' * 17)})", rows())
    db.execute("UPDATE resources SET longest_block_min = MAX(longest_block_min, 30) WHERE id = ?", (resource,))
    db.commit()
    db.execute("ANALYZE bookings")
    db.commit()
else:
    sql = f"""
    INSERT INTO bookings ({COLUMNS})
    SELECT {resource}, u.id, u.organization_id, 'completed', true, false, s, s + interval '30 minutes',
           s, s + interval '30 minutes', 1, 'history', false, false, 1, s, s
    FROM users u, generate_series(timestamp '{first:%Y-%m-%d %H:%M:%S}', timestamp '{end:%Y-%m-%d %H:%M:%S}' - interval '30 minutes',
                                  interval '30 minutes') AS s
    WHERE u.email = 'booker@acme.demo.test';
    UPDATE resources SET longest_block_min = GREATEST(longest_block_min, 30) WHERE id = {resource};
    ANALYZE bookings;"""
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", sql], check=True)
