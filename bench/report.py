#!/usr/bin/env python3
"""Reads the Google Benchmark JSON that `./tutorial bench` wrote and prints what it means.

    bench/report.py RESULTS_DIR [--record FIGURES_DIR]

For every benchmark: the median over its repetitions, the spread (max - min, as a share of
the median), the time per item (per event, timer, callback, step: the `items` counter each
benchmark sets), the ratio to the floor (raw epoll, raw eventfd, raw coroutine resume) and to
the best peer (libevent or libuv) on the same workload. Then the issue's targets, each met or
not with its measured ratio. It writes summary.md (the same tables in Markdown) and, when
matplotlib is installed, the figures into RESULTS_DIR/figures; --record copies the figures
into FIGURES_DIR (notes/figures) as well.
"""
import argparse
import json
import re
import shutil
import statistics
import sys
from pathlib import Path

PROGRAMS = ["poller_scaling", "timers", "callbacks", "coroutines", "http_servers"]
TO_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
FD_SETSIZE = 1024

# Which row is the floor for a group, and which rows are peers.
FLOORS = {"BM_PollerScaling": "raw-epoll", "BM_PollerScalingPipes": "raw-epoll",
          "BM_Callbacks_PingPong": "raw-eventfd"}
COROUTINE_FLOOR = "BM_Coroutines_Step/raw-coroutine"


def is_peer(impl):
    return impl.startswith("libuv") or impl.startswith("libevent")


class Row:
    """One benchmark: its repetitions, reduced to a median and a spread."""

    def __init__(self, name):
        self.name = name
        parts = name.split("/")
        self.family = parts[0]
        self.impl = parts[1] if len(parts) > 1 else ""
        self.params = parts[2:]
        self.group = "/".join([self.family] + self.params)
        self.times = []  # ns per iteration, one per repetition
        self.items = 1.0
        self.counters = {}
        self.error = None

    @property
    def median(self):
        return statistics.median(self.times) if self.times else None

    @property
    def per_item(self):
        return self.median / self.items if self.times else None

    @property
    def spread(self):
        if len(self.times) < 2:
            return None
        return (max(self.times) - min(self.times)) / self.median

    def param(self, key):
        for p in self.params:
            if p.startswith(key + ":"):
                return p.split(":", 1)[1]
        return None


def load(results):
    rows, contexts = {}, {}
    for program in PROGRAMS:
        path = results / f"{program}.json"
        if not path.exists() or path.stat().st_size == 0:
            continue
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            print(f"note: {path} is not complete JSON ({e}); skipped", file=sys.stderr)
            continue
        contexts[program] = data.get("context", {})
        for b in data.get("benchmarks", []):
            if b.get("run_type") == "aggregate":
                continue
            # Google Benchmark appends how it ran a benchmark; the report names the workload.
            name = re.sub(r"(/iterations:\d+)?(/(manual_time|real_time))?$", "", b.get("run_name", b["name"]))
            row = rows.setdefault(name, Row(name))
            if b.get("error_occurred"):
                row.error = b.get("error_message", "error")
                continue
            row.times.append(b["real_time"] * TO_NS[b.get("time_unit", "ns")])
            row.items = float(b.get("items", 1.0)) or 1.0
            row.counters = b
    return rows, contexts


def floor_of(row, rows):
    if row.family in ("BM_Coroutines_Step", "BM_Coroutines_RoundTrip"):
        return rows.get(COROUTINE_FLOOR)
    floor_impl = FLOORS.get(row.family)
    if floor_impl is None:
        return None
    return rows.get("/".join([row.family, floor_impl] + row.params))


def best_peer(row, rows):
    peers = [r for r in rows.values() if r.group == row.group and is_peer(r.impl) and r.times]
    return min(peers, key=lambda r: r.per_item) if peers else None


def human(ns):
    if ns is None:
        return "-"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def ratio(a, b):
    if a is None or b is None or b.per_item is None or a.per_item is None:
        return None
    return a.per_item / b.per_item


def fmt_ratio(r):
    return "-" if r is None else f"{r:.2f}x"


def table(rows):
    """The compact table: one line per benchmark, in the order the programs ran them."""
    header = ["benchmark", "median", "spread", "per item", "x floor", "x best peer"]
    lines = []
    for row in rows.values():
        if row.error or not row.times:
            continue
        floor = floor_of(row, rows)
        peer = best_peer(row, rows)
        lines.append([
            row.name,
            human(row.median),
            "-" if row.spread is None else f"{100 * row.spread:.0f}%",
            human(row.per_item),
            "-" if floor is row else fmt_ratio(ratio(row, floor)),
            "-" if is_peer(row.impl) else fmt_ratio(ratio(row, peer)),
        ])
    return header, lines


def print_table(header, lines):
    if not lines:
        print("no results")
        return
    widths = [max(len(str(x)) for x in col) for col in zip(header, *lines)]
    fmt = "  ".join(("{:<%d}" if i == 0 else "{:>%d}") % w for i, w in enumerate(widths))
    print(fmt.format(*header))
    print("  ".join("-" * w for w in widths))
    for line in lines:
        print(fmt.format(*line))


def markdown(header, lines):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["--:"] * (len(header) - 1)) + "|"]
    for line in lines:
        out.append("| " + " | ".join(f"`{line[0]}`" if i == 0 else str(x) for i, x in enumerate(line)) + " |")
    return "\n".join(out)


# ---------------------------------------------------------------------------- targets

def largest(rows, family, impl, active):
    """The row of `impl` at the largest fds measured with `active`."""
    found = [r for r in rows.values() if r.family == family and r.impl == impl
             and r.param("active") == str(active) and r.times]
    return max(found, key=lambda r: int(r.param("fds"))) if found else None


def pooled(rows, impl, other, active):
    """The median over every N of impl's time per event / other's: epoll's cost does not
    depend on N, so every size is another measurement of the same ratio."""
    found = []
    for r in rows.values():
        if r.family == "BM_PollerScaling" and r.impl == impl and r.param("active") == str(active) and r.times:
            o = rows.get(f"BM_PollerScaling/{other}/active:{active}/fds:{r.param('fds')}")
            if o is not None and o.times:
                found.append(r.per_item / o.per_item)
    return statistics.median(found) if found else None


def targets(rows):
    """The issue's targets, each as (target, verdict, measured)."""
    out = []

    def get(name):
        r = rows.get(name)
        return r if r is not None and r.times else None

    def verdict(ok):
        return "met" if ok else "NOT met"

    # Poller scaling, epoll, largest N (when that program ran).
    ran_scaling = any(r.family == "BM_PollerScaling" for r in rows.values())
    for active in (1, 100) if ran_scaling else ():
        ours = largest(rows, "BM_PollerScaling", "epoll", active)
        if ours is None:
            out.append((f"epoll, largest N, A={active}", "not measured", ""))
            continue
        n = ours.param("fds")
        same = lambda impl: get(f"BM_PollerScaling/{impl}/active:{active}/fds:{n}")
        floor, uv, ev = same("raw-epoll"), same("libuv"), same("libevent-epoll")
        if active == 1 and floor:
            r = ratio(ours, floor)
            out.append((f"epoll, N={n}, A=1: per event <= 1.05x raw epoll", verdict(r <= 1.05),
                        f"{r:.3f}x ({human(ours.per_item)} vs {human(floor.per_item)}; "
                        f"{ours.per_item - floor.per_item:+.0f} ns/event; median over all N "
                        f"{pooled(rows, 'epoll', 'raw-epoll', 1):.3f}x)"))
        for peer, label in ((uv, "libuv"), (ev, "libevent-epoll")):
            if peer is None:
                out.append((f"epoll, N={n}, A={active}: vs {label}", "not measured", "peer not installed"))
                continue
            r = ratio(ours, peer)
            word = "below" if active == 1 else "no slower than"
            ok = r < 1 if active == 1 else r <= 1
            extra = ""
            if floor:
                extra = (f"; over the floor: ours {ours.per_item - floor.per_item:+.0f} ns/event, "
                         f"{label} {peer.per_item - floor.per_item:+.0f} ns/event")
            all_n = pooled(rows, "epoll", peer.impl, active)
            extra += f"; median over all N {all_n:.3f}x" if all_n else ""
            out.append((f"epoll, N={n}, A={active}: {word} {label}", verdict(ok), f"{r:.3f}x{extra}"))

    # select and poll grow with N.
    for impl in ("select", "poll") if ran_scaling else ():
        for active in (1, 100):
            found = sorted((r for r in rows.values() if r.family == "BM_PollerScaling" and r.impl == impl
                            and r.param("active") == str(active) and r.times), key=lambda r: int(r.param("fds")))
            if len(found) < 2:
                out.append((f"{impl}, A={active}: time per round grows with N", "not measured", ""))
                continue
            small, big = found[0], found[-1]
            grows = big.median > small.median
            out.append((f"{impl}, A={active}: time per round grows with N", verdict(grows),
                        f"{human(small.median)} at N={small.param('fds')} -> {human(big.median)} at "
                        f"N={big.param('fds')} ({big.median / small.median:.1f}x)"))

    # Timers.
    for count in ("1000000", "100000"):
        ours_fire = rows.get(f"BM_Timers_ScheduleAndFire/ours/deadlines:random/timers:{count}")
        if ours_fire is None:
            continue
        label = f"timers, {int(count):,} random"
        if ours_fire.error or not ours_fire.times:
            out.append((f"{label}: fire >= 2x faster than the faster peer", "not measured",
                        ours_fire.error or ""))
        else:
            peers = [get(f"BM_Timers_ScheduleAndFire/{p}/deadlines:random/timers:{count}") for p in ("libuv", "libevent")]
            peers = [p for p in peers if p]
            if peers:
                best = min(peers, key=lambda p: p.per_item)
                r = best.per_item / ours_fire.per_item
                out.append((f"{label}: fire >= 2x faster than the faster peer", verdict(r >= 2),
                            f"{r:.2f}x faster ({human(ours_fire.per_item)} vs {best.impl} {human(best.per_item)} per timer)"))
        ours_cancel = rows.get(f"BM_Timers_ScheduleAndCancel/ours/deadlines:random/timers:{count}")
        ev = get(f"BM_Timers_ScheduleAndCancel/libevent/deadlines:random/timers:{count}")
        if ours_cancel is not None and (ours_cancel.error or not ours_cancel.times):
            out.append((f"{label}: cancel no slower than libevent", "not measured", ours_cancel.error or ""))
        elif ours_cancel is not None and ev:
            r = ratio(ours_cancel, ev)
            out.append((f"{label}: cancel no slower than libevent", verdict(r <= 1),
                        f"{r:.2f}x ({human(ours_cancel.per_item)} vs {human(ev.per_item)} per timer)"))

    # Callbacks.
    same = get("BM_Callbacks_SameThread/ours/batch:1000")
    if same:
        for peer in ("libuv", "libevent"):
            p = get(f"BM_Callbacks_SameThread/{peer}/batch:1000")
            if p:
                r = ratio(same, p)
                out.append((f"same-thread add_callback faster than {peer}", verdict(r < 1),
                            f"{r:.2f}x ({human(same.per_item)} vs {human(p.per_item)} per callback)"))
    flood, uv_flood = get("BM_Callbacks_CrossThreadFlood/ours/callbacks:100000"), get("BM_Callbacks_CrossThreadFlood/libuv/callbacks:100000")
    if flood and uv_flood:
        r = ratio(flood, uv_flood)
        out.append(("cross-thread flood no slower than uv_async_send", verdict(r <= 1),
                    f"{r:.2f}x ({human(flood.per_item)} vs {human(uv_flood.per_item)} per callback)"))
    pp, raw = get("BM_Callbacks_PingPong/ours/cores:1"), get("BM_Callbacks_PingPong/raw-eventfd/cores:1")
    if pp and raw:
        r = ratio(pp, raw)
        out.append(("ping-pong on one core within 1.5x raw eventfd", verdict(r <= 1.5),
                    f"{r:.2f}x ({human(pp.per_item)} vs {human(raw.per_item)} per round trip)"))

    # Coroutines.
    floor = get(COROUTINE_FLOOR)
    for name, label in (("BM_Coroutines_RoundTrip/runner-done-future/steps:1000", "Runner round trip through a done Future"),
                        ("BM_Coroutines_RoundTrip/co_await-done-future/steps:1000", "co_await of a done Future (no Runner)")):
        r_row = get(name)
        if r_row and floor:
            r = ratio(r_row, floor)
            out.append((f"{label} within 3x a raw coroutine resume", verdict(r <= 3),
                        f"{r:.1f}x ({human(r_row.per_item)} vs {human(floor.per_item)})"))
    return out


# ---------------------------------------------------------------------------- figures

STYLE = {  # impl -> (label, colour, line style)
    "select": ("ours: select", "tab:red", "-"), "poll": ("ours: poll", "tab:orange", "-"),
    "epoll": ("ours: epoll", "tab:blue", "-"),
    "libevent-select": ("libevent: select", "tab:red", ":"), "libevent-poll": ("libevent: poll", "tab:orange", ":"),
    "libevent-epoll": ("libevent: epoll", "tab:blue", ":"), "libuv": ("libuv (epoll)", "tab:green", "--"),
    "raw-epoll": ("raw epoll (floor)", "black", "-."),
}


def poller_figure(plt, rows, family, path):
    found = [r for r in rows.values() if r.family == family and r.times]
    if not found:
        return None
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8), sharey=False)
    for ax, active in zip(axes, (1, 100)):
        for impl, (label, colour, style) in STYLE.items():
            line = sorted((r for r in found if r.impl == impl and r.param("active") == str(active)),
                          key=lambda r: int(r.param("fds")))
            if not line:
                continue
            xs = [int(r.param("fds")) for r in line]
            ys = [r.median / 1e3 for r in line]
            lo = [y - min(r.times) / 1e3 for y, r in zip(ys, line)]
            hi = [max(r.times) / 1e3 - y for y, r in zip(ys, line)]
            ax.errorbar(xs, ys, yerr=[lo, hi], label=label, color=colour, linestyle=style,
                        marker="o", markersize=3, capsize=2, linewidth=1.4)
        ax.axvline(FD_SETSIZE / 2, color="grey", linestyle="--", linewidth=0.8)
        ax.text(FD_SETSIZE / 2 * 1.05, 0.98, "FD_SETSIZE wall:\nselect stops here", transform=ax.get_xaxis_transform(),
                va="top", fontsize=8, color="grey")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("connections N (registered descriptors)")
        ax.set_ylabel("time per round (us)")
        events = 100 + active
        ax.set_title(f"A={active} active, 100 writes: {events} events per round")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=8)
    what = "socketpairs" if family == "BM_PollerScaling" else "pipes"
    fig.suptitle(f"Poller scaling (libevent's bench.c workload over {what}; median, bars: min-max)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def bar_figure(plt, rows, groups, title, ylabel, path, unit=1.0, columns=4):
    """One panel per group; one bar per implementation, time per item / unit.

    A group is (label, prefix, suffix): the benchmarks whose names start and end so."""
    panels = []
    for label, prefix, suffix in groups:
        matching = [r for r in rows.values() if r.name.startswith(prefix) and r.name.endswith(suffix)]
        bars = [r for r in matching if r.times]
        missing = [r.impl for r in matching if r.error]
        if missing:
            label += "\n(not measured: " + ", ".join(missing) + ")"
        if bars:
            panels.append((label, bars))
    if not panels:
        return None
    ncols = min(columns, len(panels))
    nrows = (len(panels) + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.8 * ncols + 1.5, 4.2 * nrows), squeeze=False)
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    for ax, (label, bars) in zip(axes.flat, panels):
        names = [r.impl for r in bars]
        values = [r.per_item / unit for r in bars]
        lows = [v - min(r.times) / r.items / unit for v, r in zip(values, bars)]
        highs = [max(r.times) / r.items / unit - v for v, r in zip(values, bars)]
        ax.bar(range(len(bars)), values, yerr=[lows, highs], color=[colour_of(n) for n in names], capsize=3)
        ax.set_xticks(range(len(bars)))
        ax.set_xticklabels(names, rotation=30, ha="right", fontsize=8)
        for i, v in enumerate(values):
            ax.text(i, v, f"{v:.0f}" if v >= 100 else f"{v:.3g}", ha="center", va="bottom", fontsize=7)
        ax.set_title(label, fontsize=9)
        ax.set_ylabel(ylabel)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def colour_of(impl):
    if impl.startswith("raw"):
        return "black"
    if impl.startswith("libuv"):
        return "tab:green"
    if impl.startswith("libevent"):
        return "tab:purple"
    return "tab:blue"  # ours


def timer_groups():
    groups = []
    for count in ("100000", "1000000"):
        for question, what in (("ScheduleAndFire", "schedule+fire"), ("ScheduleAndCancel", "schedule+cancel")):
            for order in ("random", "in_order"):
                groups.append((f"{what}\n{int(count):,}, {order.replace('_', '-')}",
                               f"BM_Timers_{question}/", f"/deadlines:{order}/timers:{count}"))
    return groups


def figures(rows, out):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("note: matplotlib is not installed (Debian: python3-matplotlib); no figures drawn")
        return []
    out.mkdir(parents=True, exist_ok=True)
    made = [
        poller_figure(plt, rows, "BM_PollerScaling", out / "poller_scaling.png"),
        poller_figure(plt, rows, "BM_PollerScalingPipes", out / "poller_scaling_pipes.png"),
        bar_figure(plt, rows, timer_groups(), "Timers: ns per timer (median, bars: min-max)",
                   "ns per timer", out / "timers.png"),
        bar_figure(plt, rows, [
            ("same thread, batch of 1,000", "BM_Callbacks_SameThread/", ""),
            ("chained, one per turn", "BM_Callbacks_Chained/", ""),
            ("cross-thread flood", "BM_Callbacks_CrossThreadFlood/", ""),
        ], "Callbacks: ns per callback (median, bars: min-max)", "ns per callback", out / "callbacks.png"),
        bar_figure(plt, rows, [
            ("both threads on one core", "BM_Callbacks_PingPong/", "/cores:1"),
            ("one core each", "BM_Callbacks_PingPong/", "/cores:2"),
        ], "Cross-thread ping-pong: us per round trip (median, bars: min-max)", "us per round trip",
            out / "pingpong.png", unit=1e3),
        bar_figure(plt, rows, [
            ("one step", "BM_Coroutines_Step/", ""),
            ("one wait (1,000 per coroutine)", "BM_Coroutines_RoundTrip/", ""),
        ], "Coroutines: ns per step (median, bars: min-max)", "ns per step", out / "coroutines.png"),
    ]
    return [m for m in made if m]


# ---------------------------------------------------------------------------- main

def machine(contexts):
    ctx = next(iter(contexts.values()), {})
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import platform
    return (f"{model}, {ctx.get('num_cpus', '?')} CPUs at {ctx.get('mhz_per_cpu', '?')} MHz, "
            f"Linux {platform.release()}; libevent {ctx.get('libevent', '?')}, libuv {ctx.get('libuv', '?')}, "
            f"descriptor limit {contexts.get('poller_scaling', {}).get('fd_limit', '?')}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", type=Path)
    parser.add_argument("--record", type=Path, metavar="FIGURES_DIR",
                        help="also copy the figures there (e.g. notes/figures)")
    args = parser.parse_args()

    rows, contexts = load(args.results)
    if not rows:
        print(f"no benchmark results in {args.results}")
        return 1
    header, lines = table(rows)
    print()
    print(f"Machine: {machine(contexts)}")
    print("Time per iteration (median of the repetitions); spread = (max - min) / median;")
    print("per item = per event, timer, callback or step; ratios compare per-item times.")
    print()
    print_table(header, lines)
    skipped = [(r.name, r.error) for r in rows.values() if r.error]
    for name, error in skipped:
        print(f"skipped: {name}: {error}")

    checks = targets(rows)
    if checks:
        print()
        print("Targets (issue 9):")
        w = max(len(t) for t, _, _ in checks)
        for target, verdict, measured in checks:
            print(f"  {target:<{w}}  {verdict:<12}  {measured}")

    summary = [f"Machine: {machine(contexts)}", "", markdown(header, lines)]
    summary += [""] + [f"- skipped: `{name}`: {error}" for name, error in skipped]
    if checks:
        summary += ["", "| target | verdict | measured |", "|---|---|---|"]
        summary += [f"| {t} | {v} | {m} |" for t, v, m in checks]
    (args.results / "summary.md").write_text("\n".join(summary) + "\n")

    made = figures(rows, args.results / "figures")
    if made:
        print()
        print("Figures: " + ", ".join(str(m) for m in made))
    if args.record and made:
        args.record.mkdir(parents=True, exist_ok=True)
        for m in made:
            shutil.copy(m, args.record / m.name)
        print(f"Recorded the figures in {args.record}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
