#!/usr/bin/env python3
"""Converts Vietnam's administrative register into the CSV files crvs-sync ships as data.

Writes, into OUT_DIR (deploy/reference in the repository):
  communes.csv              commune_code,province_code,name
                            the 3,321 communes of the register in force since 2025-07-01
                            (34 provinces, codes of the national statistics office)
  communes-before-2025.csv  old_commune_code,old_province_code,old_name,commune_code,
                            province_code,counted_here,note
                            every pre-2025 commune (63 provinces) and the commune(s) of today
                            it became part of; counted_here = 1 on the one row per old commune
                            where records carrying the old code are counted (rule below)

Sources (both named in deploy/reference/README.md, with their dates):
  --divisions   nested-divisions.json of the VietnamProvinces project, the statistics office's
                register (danhmuchanhchinh.nso.gov.vn, retrieved 2026-02-21), repository
                github.com/sunshine-tech/VietnamProvinces, commit 809e91b,
                path vietnam_provinces/data/nested-divisions.json
  --conversion  the statistics office's old-to-new conversion table as that project keeps it:
                dev/seed-data/2025-07/BangChuyendoiĐVHCmoi_cu_khong_merge.csv, same commit

Where an old commune was split between several communes of today, its records count in ONE of
them, chosen in this order (docs/indicators.md, "Records from before the 2025 reorganisation"):
  1. the successor the table says took the whole of it or its whole population ("Nhập toàn
     bộ", "Giữ nguyên", "Đổi tên", "Đổi loại hình", "... toàn bộ dân số");
  2. else the successor that carries the old commune's name;
  3. else the successor with the smallest code.
Only the standard library is used; the output is sorted, so a re-run gives the same bytes.
"""
import argparse
import collections
import csv
import io
import json
import re
import sys
import unicodedata

WHOLE = ("nhập toàn bộ", "giữ nguyên", "đổi tên", "đổi loại hình", "toàn bộ dân số")
UNIT_TYPES = ("phuong", "xa", "thi tran", "dac khu")


def fold(name):
    """A name without tone marks, unit type, apostrophe variants or repeated spaces."""
    s = unicodedata.normalize("NFD", name.strip().lower().replace("’", "'"))
    s = " ".join("".join(c for c in s if unicodedata.category(c) != "Mn").replace("đ", "d").split())
    for t in UNIT_TYPES:  # folded too: the table once writes "Xa" for "Xã"
        if s.startswith(t + " "):
            return s[len(t) + 1:]
    return s


def code_in(text, what, line):
    m = re.search(r"\((\d+)\)\s*$", text.strip())
    if not m:
        sys.exit(f"conversion table line {line}: no ({what} code) in {text!r}")
    return m.group(1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--divisions", required=True, help="nested-divisions.json")
    ap.add_argument("--conversion", required=True, help="the old-to-new conversion table CSV")
    ap.add_argument("--out", required=True, help="output directory (deploy/reference)")
    args = ap.parse_args()

    provinces = json.load(open(args.divisions, encoding="utf-8"))
    communes = {}  # code -> (province code, name)
    for p in provinces:
        for w in p["wards"]:
            communes["%05d" % w["code"]] = ("%02d" % p["code"], " ".join(w["name"].split()))
    if len(provinces) != 34:
        sys.exit(f"expected 34 provinces, found {len(provinces)}")

    pairs = {}  # (old, new) -> row; the table lists a pair once per old district at most
    with open(args.conversion, encoding="utf-8", newline="") as f:
        for line, r in enumerate(csv.reader(f), start=1):
            if line <= 2 or len(r) < 8 or not r[2].strip():
                continue  # the two header lines and the province title lines
            new, old = r[2].strip(), r[4].strip()
            if not re.fullmatch(r"\d{5}", old):
                continue  # island districts that had no commune (Bạch Long Vĩ, Cồn Cỏ, ...)
            if new not in communes:
                sys.exit(f"conversion table line {line}: commune {new} is not in the register")
            province = code_in(r[0], "province", line)
            if communes[new][0] != province:
                sys.exit(f"conversion table line {line}: {new} is in province "
                         f"{communes[new][0]}, the table says {province}")
            if fold(communes[new][1]) != fold(r[1]):
                sys.exit(f"conversion table line {line}: {new} is {communes[new][1]!r} in the "
                         f"register, {r[1]!r} in the table")
            pairs[(old, new)] = {
                "old": old, "old_province": code_in(r[7], "old province", line),
                "old_name": " ".join(r[3].split()), "new": new, "province": province,
                "note": " ".join(r[5].split())}

    by_old = collections.defaultdict(list)
    for row in pairs.values():
        by_old[row["old"]].append(row)
    rules = collections.Counter()
    for old, rows in by_old.items():
        whole = [r for r in rows if any(w in r["note"].lower() for w in WHOLE)]
        named = [r for r in rows if fold(communes[r["new"]][1]) == fold(r["old_name"])]
        if len(whole) == 1:
            chosen, rule = whole[0], "whole"
        elif len(named) == 1:
            chosen, rule = named[0], "name"
        else:
            chosen, rule = min(rows, key=lambda r: r["new"]), "smallest code"
        rules[rule if len(rows) > 1 else "single"] += 1
        for r in rows:
            r["counted_here"] = "1" if r is chosen else "0"

    def write(name, header, rows):
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
        with open(f"{args.out}/{name}", "w", encoding="utf-8", newline="") as f:
            f.write(out.getvalue())

    write("communes.csv", ["commune_code", "province_code", "name"],
          [[c, p, n] for c, (p, n) in sorted(communes.items())])
    write("communes-before-2025.csv",
          ["old_commune_code", "old_province_code", "old_name", "commune_code", "province_code",
           "counted_here", "note"],
          [[r["old"], r["old_province"], r["old_name"], r["new"], r["province"],
            r["counted_here"], r["note"]]
           for r in sorted(pairs.values(), key=lambda r: (r["old"], r["new"]))])
    print(f"{len(communes)} communes in {len(provinces)} provinces; {len(by_old)} old communes, "
          f"{len(pairs)} old-to-new pairs; where records of an old commune count: "
          + ", ".join(f"{k} {v}" for k, v in sorted(rules.items())))


if __name__ == "__main__":
    main()
