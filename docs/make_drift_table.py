"""Build the tables of docs/drift.md from the results.json files of the drift runs.

Usage: ``python docs/make_drift_table.py DIR...`` (each DIR holds one run's results.json;
the directory name is the column title). Prints Markdown to stdout.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

ORIGINAL = ("naive", "validation", "ab-test", "epsilon-greedy", "ucb", "thompson")
DRIFT_AWARE = ("sw-ucb", "discounted-thompson", "change-detection")
SUFFIXES = ("", "+shaped", "+guardrail", "+shaped+guardrail")


def cell(mean: float | None, ci: list[float | None]) -> str:
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "-"
    lo, hi = ci
    if lo is None or hi is None:
        return f"{mean:.1f}"
    return f"{mean:.1f} [{lo:.1f}, {hi:.1f}]"


def main(dirs: list[str]) -> None:
    runs = {Path(d).name: json.loads((Path(d) / "results.json").read_text()) for d in dirs}
    present = next(iter(runs.values()))["strategies"]
    order = [b + x for b in ORIGINAL + DRIFT_AWARE for x in SUFFIXES]
    names = [n for n in order if n in present] + [n for n in present if n not in order]
    print("| strategy | " + " | ".join(runs) + " |")
    print("| --- |" + " --- |" * len(runs))
    for name in names:
        cells = [cell(r["strategies"][name]["regret"], r["strategies"][name]["regret_ci95"])
                 for r in runs.values()]  # fmt: skip
        print(f"| {name} | " + " | ".join(cells) + " |")
    print()
    print("Post-drift regret (sum over the window after each drift point), mean [95% CI]:")
    print()
    drifted = {k: r for k, r in runs.items() if r.get("drift", {}).get("points")}
    print("| strategy | " + " | ".join(drifted) + " |")
    print("| --- |" + " --- |" * len(drifted))
    for name in names:
        cells = []
        for r in drifted.values():
            s = r["strategies"][name]
            cells.append(
                cell(
                    s.get("post_drift_regret_total"),
                    s.get("post_drift_regret_total_ci95", [None, None]),
                )
            )
        print(f"| {name} | " + " | ".join(cells) + " |")
    print()
    print("Target check (regret; best drift-aware strategy vs best of the six originals):")
    print()
    for key, r in runs.items():
        s = r["strategies"]
        originals = [n for n in ORIGINAL if n in s]
        best_orig = min(originals, key=lambda n: s[n]["regret"])
        aware = [n for n in s if n.split("+")[0] in DRIFT_AWARE]
        best_aware = min(aware, key=lambda n: s[n]["regret"])
        hi_aware = s[best_aware]["regret_ci95"][1]
        lo_orig = min(s[n]["regret_ci95"][0] for n in originals)
        separated = hi_aware is not None and lo_orig is not None and hi_aware < lo_orig
        aware_txt = cell(s[best_aware]["regret"], s[best_aware]["regret_ci95"])
        orig_txt = cell(s[best_orig]["regret"], s[best_orig]["regret_ci95"])
        print(
            f"- {key}: best drift-aware {best_aware} {aware_txt}; best original {best_orig} "
            f"{orig_txt}; below all six with non-overlapping 95% intervals: "
            + ("yes" if separated else "no")
        )
    for key, r in runs.items():
        drift = r.get("drift", {})
        if not drift.get("broken_versions"):
            continue
        print()
        print(f"Skew `{key}`: broken versions {drift['broken_versions']} (release chunk "
              f"{drift['points']}); share of rows served by them and chunks until less than half "
              "of a chunk's traffic went to them:")  # fmt: skip
        print()
        print("| strategy | broken share | exit chunks | recovery chunks |")
        print("| --- | --- | --- | --- |")
        for name, s in r["strategies"].items():
            exits = ", ".join(
                "never" if e["never"] == len(r["seeds"]) else cell(e["mean"], e["ci95"])
                for e in s.get("exit_chunks", [])
            )
            rec = ", ".join(
                cell(x["mean"], x["ci95"])
                + (f" ({x['not_recovered']} seeds never)" if x["not_recovered"] else "")
                for x in s.get("recovery_chunks", [])
            )
            print(f"| {name} | {s['broken_share']:.3f} | {exits} | {rec} |")


if __name__ == "__main__":
    main(sys.argv[1:])
