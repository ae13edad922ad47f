"""Statistics and plain-text tables: what every section prints its figures with."""
from __future__ import annotations

import math
import statistics


def median(values):
    values = [value for value in values if value is not None]
    return statistics.median(values) if values else None


def percentile(values, fraction: float):
    """Nearest-rank percentile (no interpolation): a value that was actually measured."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def summary(samples_ns: list[int]) -> dict:
    """Median and p99 of per-call timings, in microseconds."""
    return {"n": len(samples_ns), "median_us": median(samples_ns) / 1e3,
            "p99_us": percentile(samples_ns, 0.99) / 1e3}


def ratio(numerator, denominator):
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def fmt(value, unit: str = "", digits: int = 1) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, str):
        return value
    return f"{value:,.{digits}f}{unit}"


def table(title: str, headers: list[str], rows: list[list], notes: list[str] = (), *,
          numbers: bool = True) -> str:
    """A titled table: first column left-aligned, the others right-aligned (figures) or,
    with numbers=False, left-aligned too."""
    cells = [[str(cell) for cell in headers]] + [[str(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row):
        return "  ".join(cell.ljust(width) if i == 0 or not numbers else cell.rjust(width)
                         for i, (cell, width) in enumerate(zip(row, widths))).rstrip()

    out = [f"\n== {title} ==", line(cells[0]), "  ".join("-" * width for width in widths)]
    out += [line(row) for row in cells[1:]]
    out += [f"  * {note}" for note in notes]
    return "\n".join(out)
