#!/usr/bin/env python3
"""Draws a loop's trace (Chrome trace-event JSON, as `./tutorial trace N` writes it) as a PNG
timeline: one row per kind of slice (turns, polls, callbacks, timeouts, handlers), time
across, and the instants (coroutine steps, stream reads and writes) as ticks. For the notes;
to explore a trace, open the JSON itself in ui.perfetto.dev.

usage: trace_timeline.py TRACE.json OUT.png [--from MS] [--to MS] [--title TEXT]
"""
import argparse
import json
import sys

ROWS = ["turn", "poll", "callback", "timeout", "handler", "coroutine", "stream"]
COLOURS = {"turn": "#d9d9d9", "poll": "#9ecae1", "callback": "#fdae6b", "timeout": "#a1d99b",
           "handler": "#bcbddc", "coroutine": "#e6550d", "stream": "#3182bd"}


def slices(events):
    """Pairs each lane's B and E into (category, name, start, length); X is one already."""
    open_by_lane, found, instants = {}, [], []
    for e in events:
        lane = (e["pid"], e["tid"])
        if e["ph"] == "B":
            open_by_lane.setdefault(lane, []).append(e)
        elif e["ph"] == "E" and open_by_lane.get(lane):
            b = open_by_lane[lane].pop()
            found.append((b.get("cat", ""), b.get("name", ""), b["ts"], e["ts"] - b["ts"]))
        elif e["ph"] == "X":
            found.append((e.get("cat", ""), e.get("name", ""), e["ts"], e.get("dur", 0)))
        elif e["ph"] == "i":
            instants.append((e.get("cat", ""), e.get("name", ""), e["ts"]))
    return found, instants


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("trace")
    parser.add_argument("png")
    parser.add_argument("--from", dest="start", type=float, default=None, help="ms")
    parser.add_argument("--to", dest="end", type=float, default=None, help="ms")
    parser.add_argument("--title", default=None)
    args = parser.parse_args()
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit("matplotlib is not installed (Debian: python3-matplotlib)")

    with open(args.trace) as f:
        found, instants = slices(json.load(f))
    lo = args.start * 1000 if args.start is not None else min(s[2] for s in found)
    hi = args.end * 1000 if args.end is not None else max(s[2] + s[3] for s in found)
    rows = [r for r in ROWS if any(s[0] == r for s in found) or any(i[0] == r for i in instants)]
    fig, ax = plt.subplots(figsize=(11, 0.55 * len(rows) + 1.2))
    for category, name, start, length in found:
        if category not in rows or start + length < lo or start > hi:
            continue
        y = len(rows) - 1 - rows.index(category)
        ax.broken_barh([((start - lo) / 1000, max(length, 1) / 1000)], (y - 0.4, 0.8),
                       facecolors=COLOURS.get(category, "#cccccc"), edgecolors="black", linewidth=0.3)
        if category == "turn" and length > (hi - lo) / 60:
            ax.text((start - lo) / 1000 + 0.05, y, name.replace("turn ", "t"), va="center", fontsize=7)
    for category, name, at in instants:
        if category in rows and lo <= at <= hi:
            y = len(rows) - 1 - rows.index(category)
            ax.plot([(at - lo) / 1000] * 2, [y - 0.4, y + 0.4], color=COLOURS.get(category, "black"))
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(list(reversed(rows)))
    ax.set_xlim(0, (hi - lo) / 1000)
    ax.set_xlabel("ms since the first event shown")
    ax.set_title(args.title or args.trace, fontsize=10)
    fig.tight_layout()
    fig.savefig(args.png, dpi=120)
    print(f"wrote {args.png}")


if __name__ == "__main__":
    main()
