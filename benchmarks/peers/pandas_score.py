#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The pandas peer of `bulkscore score INPUT --db DB`: what a data analyst would write instead.

Reads the native CSV in chunks with `read_csv`, computes SCORING.md's `opportunity-v1` score
vectorised with numpy (default configuration), and appends each chunk to a `scores` table of
the same columns and primary key as bulkscore's with `DataFrame.to_sql` through SQLAlchemy,
with the same SQLite settings as bulkscore's store (WAL, synchronous NORMAL, 64 MiB cache,
in-memory temp store, 16000-page autocheckpoint). All chunks go into one transaction, as the
sqlite3 shell's `.import` does: the fastest way for the peer (bulkscore commits every second
instead, so that a crash loses at most a second), at the cost of a WAL as large as the data.

Limitation: it validates nothing (no rejections table, no check that clicks <= impressions and
so on), keeps no checkpoint and cannot resume; so it does less work than bulkscore. On the
generated sites every row is valid, so its scores must equal bulkscore's; `benchmarks/run`
checks that on the smallest size.

Usage: pandas_score.py INPUT.csv DB [--chunksize N]
"""

import argparse
import json
import sys
import time

import numpy as np
import pandas as pd
import sqlalchemy

# SCORING.md, default configuration.
CTR_POSITIONS = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 15, 20, 30, 50, 100], dtype=float)
CTR_RATES = np.array([.276, .158, .110, .084, .063, .049, .039, .033, .027, .024, .010, .008,
                      .006, .003, .001, 0.0])
STRIKING_POSITIONS = np.array([1, 3, 4, 10, 20, 30, 50, 100], dtype=float)
STRIKING_VALUES = np.array([0.2, 0.5, 1.0, 1.0, 0.7, 0.35, 0.1, 0.0])
TARGET_POSITION = 3.0
WEIGHTS = {"upside": 0.30, "striking": 0.20, "ctr_gap": 0.10, "demand": 0.10, "decay": 0.10,
           "ease": 0.10, "staleness": 0.04, "thinness": 0.03, "link_need": 0.03}
COMPONENTS = list(WEIGHTS)
COLUMNS = ["id", "url", "score", "potential_clicks", "action", *COMPONENTS, "scorer_version",
           "job"]
DTYPES = {"id": str, "url": str, "impressions": "int64", "clicks": "int64",
          "position": "float64", "search_volume": "float64", "difficulty": "float64",
          "prev_clicks": "float64", "word_count": "float64", "inlinks": "float64",
          "days_since_update": "float64"}
SCHEMA = """CREATE TABLE IF NOT EXISTS scores(
    id TEXT PRIMARY KEY, url TEXT, score REAL, potential_clicks REAL, action TEXT,
    upside REAL, striking REAL, ctr_gap REAL, demand REAL, decay REAL, ease REAL,
    staleness REAL, thinness REAL, link_need REAL, scorer_version TEXT, job TEXT)"""
PRAGMAS = ["PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL",
           "PRAGMA cache_size = -65536", "PRAGMA temp_store = MEMORY",
           "PRAGMA wal_autocheckpoint = 16000"]


def piecewise(p, xs, ys):
    """SCORING.md's table evaluation: e0 + (e1 - e0) * (p - p0) / (p1 - p0), in that order,
    the point's own value at a point, 0 beyond the last point (and for p = +inf)."""
    index = np.searchsorted(xs, p, side="left")
    inside = index < len(xs)
    safe = np.clip(index, 1, len(xs) - 1)
    p0, p1, e0, e1 = xs[safe - 1], xs[safe], ys[safe - 1], ys[safe]
    with np.errstate(invalid="ignore"):
        value = e0 + (e1 - e0) * (p - p0) / (p1 - p0)
    at_point = inside & (xs[np.minimum(index, len(xs) - 1)] == p)
    value = np.where(at_point, ys[np.minimum(index, len(xs) - 1)], value)
    return np.where(inside, value, 0.0)


def score_chunk(frame, job):
    impressions = frame["impressions"].to_numpy(dtype=float)
    clicks = frame["clicks"].to_numpy(dtype=float)
    position = frame["position"].to_numpy(dtype=float)
    # Empty or 0 with no impressions means not ranking.
    position = np.where(np.isnan(position) | (position == 0), np.inf, position)
    search_volume = np.nan_to_num(frame["search_volume"].to_numpy(dtype=float), nan=0.0)
    difficulty = frame["difficulty"].to_numpy(dtype=float)
    prev_clicks = frame["prev_clicks"].to_numpy(dtype=float)
    word_count = frame["word_count"].to_numpy(dtype=float)
    inlinks = frame["inlinks"].to_numpy(dtype=float)
    days = frame["days_since_update"].to_numpy(dtype=float)

    expected = piecewise(position, CTR_POSITIONS, CTR_RATES)
    with np.errstate(divide="ignore", invalid="ignore"):
        actual = np.where(impressions > 0, clicks / impressions, 0.0)
        demand_clicks = np.maximum(impressions, search_volume)
        target_ctr = piecewise(np.minimum(position, TARGET_POSITION), CTR_POSITIONS, CTR_RATES)
        potential = np.maximum(0.0, demand_clicks * target_ctr - clicks)
        c = {}
        c["upside"] = np.minimum(1.0, np.log(1 + potential) / np.log(1 + 10000.0))
        c["striking"] = np.where(np.isinf(position), 0.0,
                                 piecewise(position, STRIKING_POSITIONS, STRIKING_VALUES))
        c["ctr_gap"] = np.where((impressions >= 100) & (expected > 0),
                                np.maximum(0.0, expected - actual) / expected, 0.0)
        c["demand"] = np.minimum(1.0, np.log(1 + demand_clicks) / np.log(1 + 1000000.0))
        c["decay"] = np.where(prev_clicks > 0,
                              np.clip((prev_clicks - clicks) / prev_clicks, 0.0, 1.0), 0.0)
        c["ease"] = np.where(np.isnan(difficulty), 0.5, (1 - difficulty / 100) ** 2)
        c["staleness"] = np.where(np.isnan(days), 0.0, np.minimum(1.0, days / 365))
        c["thinness"] = np.where(np.isnan(word_count), 0.0,
                                 np.clip((1500 - word_count) / 1200, 0.0, 1.0))
        c["link_need"] = np.where(np.isnan(inlinks), 0.0,
                                  1 - np.minimum(1.0, np.log(1 + inlinks) / np.log(1 + 100.0)))
    weighted = sum(WEIGHTS[name] * c[name] for name in COMPONENTS)
    score = 100 * weighted / sum(WEIGHTS.values())

    action = np.select(
        [(position <= 10) & (impressions >= 100) & (c["ctr_gap"] >= 0.5),
         (position >= 4) & (position <= 20) & (potential >= 10),
         (c["decay"] >= 0.3) | ((c["staleness"] >= 1) & (impressions > 0)),
         c["thinness"] >= 0.5,
         c["link_need"] >= 0.8],
        ["fix_ctr", "push_to_top", "refresh", "expand", "build_links"], "monitor")

    if "url" in frame:
        url = frame["url"].where(frame["url"].notna() & (frame["url"] != ""), frame["id"])
    else:
        url = frame["id"]
    out = pd.DataFrame({"id": frame["id"], "url": url, "score": score,
                        "potential_clicks": potential, "action": action, **c})
    out["scorer_version"] = "opportunity-v1"
    out["job"] = job
    return out[COLUMNS]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input")
    parser.add_argument("db")
    parser.add_argument("--chunksize", type=int, default=100_000)
    parser.add_argument("--job", default="pandas")
    args = parser.parse_args()

    start = time.monotonic()
    engine = sqlalchemy.create_engine(f"sqlite:///{args.db}")

    @sqlalchemy.event.listens_for(engine, "connect")
    def configure(connection, _record):
        cursor = connection.cursor()
        for pragma in PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    rows = 0
    with engine.begin() as connection:
        connection.exec_driver_sql(SCHEMA)
        for chunk in pd.read_csv(args.input, chunksize=args.chunksize, dtype=DTYPES,
                                 keep_default_na=False, na_values=[""]):
            scored = score_chunk(chunk, args.job)
            scored.to_sql("scores", connection, if_exists="append", index=False)
            rows += len(scored)
    engine.dispose()
    print(json.dumps({"mode": "pandas", "rows": rows, "seconds": time.monotonic() - start}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
