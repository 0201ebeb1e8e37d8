#!/usr/bin/env python3
"""Writes a year of recorded use for every resource straight into the database, for the reports
benchmark. Instruments and facilities: two three-hour uses each weekday (the morning by the owner,
the afternoon by Acme, every fourth afternoon paid half by Acme's voucher), with a no-show and a
late cancellation among every twenty. Computing resources: one approved allocation to Acme and ten
finished jobs of 8 units a day. The year is the 365 days before yesterday. The server's monthly
report totals are marked unbuilt, so that it builds them from these rows when it next starts.
Usage: region.py DATABASE_URL"""
import datetime
import subprocess
import sys

url = sys.argv[1]
today = datetime.date.today()
first_day = today - datetime.timedelta(days=366)
DAYS = 365

B_COLUMNS = ("resource_id, booker_id, organization_id, state, blocking, exclusive, start_at, end_at, block_start, "
             "block_end, quantity, purpose, wants_waitlist, operator_assisted, version, created_at, updated_at, "
             "check_in_at, check_out_at, used_unit_minutes, final_gross_fen, voucher_id, final_voucher_fen")
A_COLUMNS = ("resource_id, organization_id, requester_id, project, account, state, starts_on, ends_on, "
             "requested_unit_hours, granted_unit_hours, customer_category, rate_fen, purpose_kind, created_at, updated_at")
U_COLUMNS = ("import_id, line, resource_id, allocation_id, job_id, account, user_name, started_at, ended_at, units, "
             "unit_minutes, overage_minutes, fee_fen")


def sqlite():
    import sqlite3
    db = sqlite3.connect(url[len("sqlite://"):])
    one = lambda sql: db.execute(sql).fetchone()
    booker, acme = one("SELECT id, organization_id FROM users WHERE email = 'booker@acme.demo.test'")
    operator = one("SELECT id FROM users WHERE email = 'operator@fudan.demo.test'")[0]
    voucher = one("SELECT id FROM vouchers ORDER BY id LIMIT 1")[0]
    slots = db.execute("SELECT id, organization_id FROM resources WHERE kind <> 'computing'").fetchall()
    gpus = [r[0] for r in db.execute("SELECT id FROM resources WHERE kind = 'computing'")]
    fmt = "%Y-%m-%d %H:%M:%S"

    def bookings():
        for day in range(DAYS):
            d = first_day + datetime.timedelta(days=day)
            if d.weekday() >= 5:
                continue
            base = datetime.datetime.combine(d, datetime.time(1, 0))
            for resource, owner in slots:
                for slot in (0, 1):
                    s = base + datetime.timedelta(hours=5 * slot)
                    e = s + datetime.timedelta(hours=3)
                    a, b = s.strftime(fmt), e.strftime(fmt)
                    turn = (day * 2 + slot + resource) % 20
                    who = (operator, owner) if slot == 0 else (booker, acme)
                    paid = voucher if slot == 1 and day % 4 == 0 else None
                    if turn == 0:
                        yield (resource, *who, "no_show", 1, 0, a, b, a, b, 1, "bench", 0, 0, 1, a, a,
                               None, None, None, None, paid, None)
                    elif turn == 1:
                        late = (s - datetime.timedelta(hours=2)).strftime(fmt)
                        yield (resource, *who, "cancelled", 0, 0, a, b, a, b, 1, "bench", 0, 0, 1, a, late,
                               None, None, None, None, paid, None)
                    else:
                        yield (resource, *who, "completed", 1, 0, a, b, a, b, 1, "bench", 0, 0, 1, a, b,
                               a, b, 180, 30000, paid, 15000 if paid else None)

    db.executemany(f"INSERT INTO bookings ({B_COLUMNS}) VALUES ({','.join('?' * 23)})", bookings())
    start = datetime.datetime.combine(first_day, datetime.time(0, 0)).strftime(fmt)
    for gpu in gpus:
        db.execute(f"INSERT INTO allocations ({A_COLUMNS}) VALUES (?, ?, ?, 'bench', 'bench', 'approved', ?, ?, "
                   "100000000, 100000000, 'enterprise', 1400, 'research', ?, ?)",
                   (gpu, acme, booker, first_day.isoformat(), today.isoformat(), start, start))
        allocation = db.execute("SELECT last_insert_rowid()").fetchone()[0]
        db.execute("INSERT INTO usage_imports (resource_id, digest, source, records, skipped_duplicates, "
                   "imported_by, at) VALUES (?, 'bench', 'api', 0, 0, ?, ?)", (gpu, operator, start))
        imported = db.execute("SELECT last_insert_rowid()").fetchone()[0]

        def jobs():
            for day in range(DAYS):
                base = datetime.datetime.combine(first_day + datetime.timedelta(days=day), datetime.time(0, 0))
                for j in range(10):
                    s = base + datetime.timedelta(hours=2 * j)
                    e = s + datetime.timedelta(minutes=90)
                    yield (imported, day * 10 + j + 2, gpu, allocation, None, "bench", f"user{j % 4}",
                           s.strftime(fmt), e.strftime(fmt), 8, 720, 0, 16800)

        db.executemany(f"INSERT INTO usage_records ({U_COLUMNS}) VALUES ({','.join('?' * 13)})", jobs())
    # Written around the server: its monthly totals are rebuilt when it next starts.
    db.execute("DELETE FROM rollup_state")
    db.commit()
    db.execute("ANALYZE")
    db.commit()


def postgres():
    sql = f"""
    WITH who AS (
      SELECT (SELECT id FROM users WHERE email = 'booker@acme.demo.test') AS booker,
             (SELECT organization_id FROM users WHERE email = 'booker@acme.demo.test') AS acme,
             (SELECT id FROM users WHERE email = 'operator@fudan.demo.test') AS operator,
             (SELECT MIN(id) FROM vouchers) AS voucher),
    slots AS (
      SELECT r.id AS resource, r.organization_id AS owner, d AS day, k AS slot,
             timestamp '{first_day} 01:00' + (d || ' days')::interval + (5 * k || ' hours')::interval AS s,
             (d * 2 + k + r.id) % 20 AS turn
      FROM resources r, generate_series(0, {DAYS - 1}) d, generate_series(0, 1) k
      WHERE r.kind <> 'computing' AND extract(isodow FROM date '{first_day}' + d) < 6)
    INSERT INTO bookings ({B_COLUMNS})
    SELECT resource, CASE WHEN slot = 0 THEN operator ELSE booker END, CASE WHEN slot = 0 THEN owner ELSE acme END,
           CASE turn WHEN 0 THEN 'no_show' WHEN 1 THEN 'cancelled' ELSE 'completed' END, turn <> 1, false,
           s, s + interval '3 hours', s, s + interval '3 hours', 1, 'bench', false, false, 1, s,
           CASE turn WHEN 1 THEN s - interval '2 hours' ELSE s + interval '3 hours' END,
           CASE WHEN turn > 1 THEN s END, CASE WHEN turn > 1 THEN s + interval '3 hours' END,
           CASE WHEN turn > 1 THEN 180 END, CASE WHEN turn > 1 THEN 30000 END,
           CASE WHEN slot = 1 AND day % 4 = 0 THEN voucher END,
           CASE WHEN slot = 1 AND day % 4 = 0 AND turn > 1 THEN 15000 END
    FROM slots, who;
    INSERT INTO allocations ({A_COLUMNS})
    SELECT r.id, u.organization_id, u.id, 'bench', 'bench', 'approved', date '{first_day}', date '{today}',
           100000000, 100000000, 'enterprise', 1400, 'research', timestamp '{first_day}', timestamp '{first_day}'
    FROM resources r, users u WHERE r.kind = 'computing' AND u.email = 'booker@acme.demo.test';
    INSERT INTO usage_imports (resource_id, digest, source, records, skipped_duplicates, imported_by, at)
    SELECT r.id, 'bench', 'api', 0, 0, u.id, timestamp '{first_day}'
    FROM resources r, users u WHERE r.kind = 'computing' AND u.email = 'operator@fudan.demo.test';
    INSERT INTO usage_records ({U_COLUMNS})
    SELECT i.id, d * 10 + j + 2, a.resource_id, a.id, NULL, 'bench', 'user' || (j % 4),
           timestamp '{first_day}' + (d || ' days')::interval + (2 * j || ' hours')::interval,
           timestamp '{first_day}' + (d || ' days')::interval + (2 * j || ' hours')::interval + interval '90 minutes',
           8, 720, 0, 16800
    FROM allocations a JOIN usage_imports i ON i.resource_id = a.resource_id AND i.digest = 'bench',
         generate_series(0, {DAYS - 1}) d, generate_series(0, 9) j
    WHERE a.project = 'bench';
    DELETE FROM rollup_state;
    ANALYZE;"""
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", sql], check=True)


sqlite() if url.startswith("sqlite://") else postgres()
