#!/usr/bin/env python3
"""Plots the samples of a soak (the t=... lines TestSoak or `ipamd bench soak` print) as an SVG.

Usage: soakplot.py samples.txt > soak.svg
"""
import re
import sys

LINE = re.compile(r"t=\s*([\d.]+)s rss=\s*([\d.]+) MiB goroutines=\s*(\d+) fds=\s*(\d+) sessions=\s*(\d+) load=(\w+)(?: db_in_use=(\d+) db_open=(\d+))?")
SERIES = [("resident memory (MiB)", 1), ("goroutines", 2), ("open descriptors", 3), ("live sessions", 4)]
DB_SERIES = [("database connections in use", 6), ("open database connections", 7)]
W, H, PAD = 720, 150, 48


def main():
    rows = []
    for line in open(sys.argv[1]):
        m = LINE.search(line)
        if m:
            db = [float(m.group(7)), float(m.group(8))] if m.group(7) is not None else []
            rows.append([float(m.group(i)) for i in range(1, 6)] + [m.group(6) == "true"] + db)
    if not rows:
        sys.exit("no samples")
    series = SERIES + (DB_SERIES if all(len(r) == 8 for r in rows) else [])  # older logs have no db_ fields
    tmax = max(r[0] for r in rows) or 1
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">' % (W, H * len(series))]
    for k, (name, col) in enumerate(series):
        y0 = k * H
        vals = [r[col] for r in rows]
        lo, hi = 0.0, max(vals) * 1.1 or 1
        def x(t):
            return PAD + (W - 2 * PAD) * t / tmax
        def y(v):
            return y0 + H - 24 - (H - 44) * (v - lo) / (hi - lo)
        out.append('<text x="%d" y="%d" font-weight="bold">%s</text>' % (PAD, y0 + 14, name))
        out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#999"/>' % (PAD, y(lo), W - PAD, y(lo)))
        out.append('<text x="4" y="%.1f">%.0f</text><text x="4" y="%.1f">%.0f</text>' % (y(lo), lo, y(hi) + 10, hi))
        pts = " ".join("%.1f,%.1f" % (x(r[0]), y(r[col])) for r in rows)
        out.append('<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="%s"/>' % pts)
        for r in rows:
            if not r[5]:
                out.append('<circle cx="%.1f" cy="%.1f" r="3" fill="#d62728"/>' % (x(r[0]), y(r[col])))
        out.append('<text x="%d" y="%d">%.0f s</text>' % (W - PAD - 20, y0 + H - 8, tmax))
    out.append('<text x="%d" y="%d">red: idle samples (before and after the load)</text>' % (PAD, H * len(series) - 2))
    out.append("</svg>")
    print("\n".join(out))


main()
