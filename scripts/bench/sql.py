#!/usr/bin/env python3
"""Prints the first column of the first row a query returns. Usage: sql.py DATABASE_URL SQL"""
import subprocess
import sys

url, sql = sys.argv[1], sys.argv[2]
if url.startswith("sqlite://"):
    import sqlite3
    print(sqlite3.connect(url[len("sqlite://"):]).execute(sql).fetchone()[0])
else:
    print(subprocess.run(["psql", "-tA", url, "-c", sql], check=True, capture_output=True, text=True).stdout.strip())
