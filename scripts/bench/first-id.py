#!/usr/bin/env python3
"""Prints the id of the first benchmark station. Usage: first-id.py DATABASE_URL"""
import subprocess
import sys

url = sys.argv[1]
SQL = "SELECT MIN(id) FROM resources WHERE name_en = 'Bench station 1'"
if url.startswith("sqlite://"):
    import sqlite3
    print(sqlite3.connect(url[len("sqlite://"):]).execute(SQL).fetchone()[0])
else:
    print(subprocess.run(["psql", "-tA", url, "-c", SQL], check=True, capture_output=True, text=True).stdout.strip())
