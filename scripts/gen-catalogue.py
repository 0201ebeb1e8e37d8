#!/usr/bin/env python3
"""Writes a catalogue CSV of N resources for benchmarks: the demo catalogue's rows as templates,
spread over 200 benchmark institutions in the region's cities, with varied specifications."""
import csv
import random
import sys
from pathlib import Path

CITIES = [("SH", "Shanghai"), ("JS", "Nanjing"), ("JS", "Suzhou"), ("JS", "Wuxi"), ("JS", "Kunshan"),
          ("ZJ", "Hangzhou"), ("ZJ", "Ningbo"), ("AH", "Hefei"), ("AH", "Wuhu")]


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    rng = random.Random(42)
    with open(Path(__file__).parent.parent / "data/demo/demo-catalogue.csv", newline="", encoding="utf-8") as f:
        templates = list(csv.DictReader(f))
    out = csv.DictWriter(sys.stdout, fieldnames=list(templates[0].keys()), lineterminator="\n")
    out.writeheader()
    for i in range(count):
        row = dict(templates[i % len(templates)])
        k = i % 200
        province, city = CITIES[k % len(CITIES)]
        row["institution_en"] = f"Benchmark Institute {k:03d}"
        row["institution_zh"] = f"基准测试研究所{k:03d}"
        row["province"], row["city"] = province, city
        row["name_en"] = f"{row['name_en']} #{i}"
        row["name_zh"] = f"{row['name_zh']}{i}号"
        row["value_cny"] = str(int(int(row["value_cny"]) * rng.uniform(0.5, 1.5)))
        specs = []
        for pair in row["specs"].split(";"):
            key, value = pair.split("=", 1)
            try:
                number = float(value)
                value = str(int(number * rng.choice([0.5, 0.75, 1, 1.25, 1.5])))
            except ValueError:
                pass
            specs.append(f"{key}={value}")
        row["specs"] = ";".join(specs)
        out.writerow(row)


if __name__ == "__main__":
    main()
