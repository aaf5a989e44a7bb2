"""The floor for benchmarks/national.py: read a panel into dicts, write as many result rows.

    python floor_national.py PANEL OUT ROWS

What any plain-Python script handling a national panel has to do: read every line with
the csv module into a dict keyed by variable, municipality and year, then write ROWS
rows of a long result table (municipality, year, measure, basis, value, unit, status,
reason) with the csv module. It computes nothing, so benchdsl's time over it is the
cost of checking, binding, evaluating and explaining.
"""

import csv
import sys


def main(panel: str, out: str, rows: int) -> None:
    values: dict[tuple[str, str, int], float] = {}
    units: dict[str, str] = {}
    with open(panel, encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            values[(r["variable"], r["municipality"], int(r["year"]))] = float(r["value"])
            units[r["variable"]] = r["unit"]
    places = sorted({(m, y) for (_, m, y) in values})
    variables = sorted(units)
    with open(out, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["municipality", "year", "measure", "basis", "saving", "unit", "status", "reason"])
        written = 0
        while written < rows:
            for variable in variables:
                for m, y in places:
                    if written == rows:
                        break
                    v = values.get((variable, m, y))
                    w.writerow([m, y, variable, "mean_others", repr(v) if v is not None else "", "MNOK",
                                "saving" if v else "not computed", ""])
                    written += 1


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
