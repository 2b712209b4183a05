#!/usr/bin/env python3
"""Reads the Google Benchmark JSON that `./tutorial bench` wrote and prints what it means.

    bench/report.py RESULTS_DIR [--record FIGURES_DIR]

For every benchmark: the median over its repetitions, the spread (max - min, as a share of
the median), the time per item (per event, timer, callback, step: the `items` counter each
benchmark sets), the ratio to the floor (raw epoll, raw eventfd, raw coroutine resume) and to
the best peer (libevent, libuv, Boost.Asio, nginx) on the same workload. Then the issues'
targets, each met or not with its measured ratio. It writes summary.md (the same tables in Markdown) and, when
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
    # Other people's loops and servers: libuv, libevent (and its evhttp), Boost.Asio (the
    # callbacks, timers and coroutines rows' "asio", "asio-..."; the HTTP row's asio_beast),
    # and nginx.
    return impl.startswith(("libuv", "libevent", "asio")) or impl == "nginx"


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
        # ns per item, one per repetition: a repetition's own time over its own items. The
        # HTTP rows each run wrk for a fixed time, so their items (requests) vary from one
        # repetition to the next while their times barely do; dividing the median time by one
        # repetition's items would mix two repetitions.
        self.per_items = []
        self.items = 1.0
        self.counters = {}
        self.error = None

    @property
    def median(self):
        return statistics.median(self.times) if self.times else None

    @property
    def per_item(self):
        return statistics.median(self.per_items) if self.per_items else None

    @property
    def min_per_item(self):
        return min(self.per_items) if self.per_items else None

    @property
    def max_per_item(self):
        return max(self.per_items) if self.per_items else None

    @property
    def spread(self):
        # Over the time per item: for rows with a fixed number of items, the same as over the
        # time per iteration.
        if len(self.per_items) < 2:
            return None
        return (max(self.per_items) - min(self.per_items)) / self.per_item

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
            row.per_items.append(row.times[-1] / row.items)
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


MICRO = "µs"  # U+00B5, the micro sign, as the notes' tables spell it


def human(ns):
    if ns is None:
        return "-"
    for unit, scale in (("s", 1e9), ("ms", 1e6), (MICRO, 1e3)):
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

    # HTTP servers (issue 16), compared as wrk measured them: requests per second.
    if any(r.family == "BM_HTTP" for r in rows.values()):
        def rate(r):
            return 1e9 / r.per_item

        def missing(*names):
            """Why the first of `names` that has no result has none."""
            for name in names:
                r = rows.get(name)
                if r is None or not r.times:
                    return f"{name}: {r.error if r is not None and r.error else 'not run'}"
            return ""

        epoll, poll = get("BM_HTTP/ours:epoll"), get("BM_HTTP/ours:poll")
        evhttp, nginx = get("BM_HTTP/libevent_evhttp"), get("BM_HTTP/nginx")
        label = "HTTP, 32 connections: epoll no lower than poll (requests/s)"
        if epoll and poll:
            r = rate(epoll) / rate(poll)
            out.append((label, verdict(r >= 1),
                        f"{r:.2f}x poll's rate ({rate(epoll):,.0f} vs {rate(poll):,.0f} requests/s)"))
        else:
            out.append((label, "not measured", missing("BM_HTTP/ours:epoll", "BM_HTTP/ours:poll")))
        for connections in (512, 2000):
            label = f"HTTP, {connections:,} connections: epoll strictly faster than poll"
            busy_epoll = get(f"BM_HTTP_Busy/ours:epoll/connections:{connections}")
            busy_poll = get(f"BM_HTTP_Busy/ours:poll/connections:{connections}")
            if busy_epoll and busy_poll:
                r = rate(busy_epoll) / rate(busy_poll)
                out.append((label, verdict(r > 1), f"{r:.2f}x poll's rate ({rate(busy_epoll):,.0f} vs "
                                                   f"{rate(busy_poll):,.0f} requests/s)"))
            else:
                out.append((label, "not measured", missing(f"BM_HTTP_Busy/ours:epoll/connections:{connections}",
                                                           f"BM_HTTP_Busy/ours:poll/connections:{connections}")))
        # Chapter 10: the completion model (the ring does each stream's recv and send) against
        # our epoll server, both at wrk's 32 connections.
        uring = get("BM_HTTP/ours:uring")
        label = "HTTP, 32 connections: io_uring (completion) at least as fast as our epoll"
        if uring and epoll:
            r = rate(uring) / rate(epoll)
            out.append((label, verdict(r >= 1),
                        f"{r:.2f}x epoll's rate ({rate(uring):,.0f} vs {rate(epoll):,.0f} requests/s)"))
        elif rows.get("BM_HTTP/ours:uring") is not None:
            out.append((label, "not measured", missing("BM_HTTP/ours:uring", "BM_HTTP/ours:epoll")))
        label = "HTTP: our epoll at least as fast as evhttp"
        if epoll and evhttp:
            r = rate(epoll) / rate(evhttp)
            out.append((label, verdict(r >= 1),
                        f"{r:.2f}x evhttp's rate ({rate(epoll):,.0f} vs {rate(evhttp):,.0f} requests/s)"))
        else:
            out.append((label, "not measured", missing("BM_HTTP/ours:epoll", "BM_HTTP/libevent_evhttp")))
        label = "HTTP: our epoll within 1.25x of nginx"
        if epoll and nginx:
            r = rate(nginx) / rate(epoll)
            out.append((label, verdict(r <= 1.25),
                        f"nginx answers {r:.2f}x our rate ({rate(nginx):,.0f} vs {rate(epoll):,.0f} requests/s)"))
        else:
            out.append((label, "not measured", missing("BM_HTTP/ours:epoll", "BM_HTTP/nginx")))

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
    "uring": ("ours: io_uring (one-shot POLL_ADDs)", "tab:cyan", "-"),
    "libevent-select": ("libevent: select", "tab:red", ":"), "libevent-poll": ("libevent: poll", "tab:orange", ":"),
    "libevent-epoll": ("libevent: epoll", "tab:blue", ":"), "libuv": ("libuv (epoll)", "tab:green", "--"),
    "raw-epoll": ("raw epoll (floor)", "black", "-."),
}


def _plain_log_formatter():
    from matplotlib import ticker

    class PlainLog(ticker.LogFormatter):
        """LogFormatter's choice of which minor ticks to label, in plain numbers (it would
        write 0.6 as "6e-01")."""

        def __call__(self, x, pos=None):
            return f"{x:,.6g}" if super().__call__(x, pos) else ""

    return PlainLog


def PlainLogFormatter(**options):
    return _plain_log_formatter()(**options)


def plain_log_labels(ax, x=True):
    """Log axes labelled 100 and 2,000 rather than 10^2, and their 2s and 5s labelled too when
    the data spans too few decades for the powers of ten alone to be read."""
    from matplotlib import ticker
    plain = ticker.FuncFormatter(lambda v, _: f"{v:,.6g}")
    if x:
        ax.xaxis.set_major_formatter(plain)
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(PlainLogFormatter(labelOnlyBase=False, minor_thresholds=(2, 0.5)))


def poller_figure(plt, rows, family, path):
    """Time per event against N: a round divided by its A + W events, as the notes' tables."""
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
            ys = [r.per_item / 1e3 for r in line]
            lo = [y - r.min_per_item / 1e3 for y, r in zip(ys, line)]
            hi = [r.max_per_item / 1e3 - y for y, r in zip(ys, line)]
            ax.errorbar(xs, ys, yerr=[lo, hi], label=label, color=colour, linestyle=style,
                        marker="o", markersize=3, capsize=2, linewidth=1.4)
        # N counts connections, and only each one's read end is registered; but its write end
        # stays open and takes a descriptor number too (poller_scaling.cpp, fits_in_fd_set),
        # so the numbers reach FD_SETSIZE at N = 1,024 / 2, not at N = 1,024.
        wall = FD_SETSIZE // 2
        ax.axvline(wall, color="grey", linestyle="--", linewidth=0.8)
        ax.text(wall * 1.05, 0.98, f"FD_SETSIZE wall at N = {wall}: select stops here.\n"
                f"Each connection holds 2 descriptors\n(its registered read end and its write end),\n"
                f"so their numbers reach FD_SETSIZE = {FD_SETSIZE:,}\nat N = {wall}",
                transform=ax.get_xaxis_transform(), va="top", fontsize=7.5, color="dimgrey")
        ax.set_xscale("log")
        ax.set_yscale("log")
        plain_log_labels(ax)
        ax.set_xlabel("connections N (N read ends registered, 2N descriptors open)")
        ax.set_ylabel(f"{MICRO} per event (a round / its {100 + active} events)")
        ax.set_title(f"A={active} active, 100 writes: {100 + active} events per round")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=8, loc="upper left")
    what = "socketpairs" if family == "BM_PollerScaling" else "pipes"
    fig.suptitle(f"Poller scaling: {MICRO} per event (libevent's bench.c workload over {what}; "
                 f"median, bars: min-max)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# The C10K rows' implementations, drawn as their pollers are in poller_figure.
C10K_STYLE = {
    "ours:select": STYLE["select"], "ours:poll": STYLE["poll"], "ours:epoll": STYLE["epoll"],
    "ours:uring": ("ours: io_uring, completion (the ring does recv/send)", "tab:cyan", "-"),
    "ours:uring-readiness": ("ours: io_uring, readiness (POLL_ADDs; we recv/send)", "tab:cyan", "--"),
    "libevent_evhttp": ("libevent's evhttp: epoll", "tab:blue", ":"),
}


def c10k_figure(plt, rows, path):
    """Time per request against the idle keep-alive connections K the server also holds."""
    found = [r for r in rows.values() if r.family == "BM_HTTP_C10K"]
    measured = [r for r in found if r.times]
    if not measured:
        return None
    fig, ax = plt.subplots(figsize=(9, 5.4))
    for impl, (label, colour, style) in C10K_STYLE.items():
        line = sorted((r for r in measured if r.impl == impl), key=lambda r: int(r.param("idle")))
        if not line:
            continue
        xs = [int(r.param("idle")) for r in line]
        ys = [r.per_item / 1e3 for r in line]
        lo = [y - r.min_per_item / 1e3 for y, r in zip(ys, line)]
        hi = [r.max_per_item / 1e3 - y for y, r in zip(ys, line)]
        if len(line) == 1:
            label += f" (K = {xs[0]:,} only)"
        ax.errorbar(xs, ys, yerr=[lo, hi], label=label, color=colour, linestyle=style,
                    marker="o", markersize=3, capsize=2, linewidth=1.4)
    # Both ends of every idle connection are open in the benchmark's process (its client end
    # and the server's accepted end), so K idle connections take 2K descriptor numbers and
    # select, which watches only numbers below FD_SETSIZE, stops before K = 1,024 / 2.
    if any(r.impl == "ours:select" for r in found):
        wall = FD_SETSIZE // 2
        ax.axvline(wall, color="grey", linestyle="--", linewidth=0.8)
        ax.text(wall + 120, 0.98, f"FD_SETSIZE wall near K = {wall}: select stops here.\n"
                f"Each idle connection holds 2 descriptors in the\nbenchmark's process (client end, server end),\n"
                f"so their numbers reach FD_SETSIZE = {FD_SETSIZE:,} at K = {wall}",
                transform=ax.get_xaxis_transform(), va="top", fontsize=7.5, color="dimgrey")
    ax.set_yscale("log")
    plain_log_labels(ax)
    # Headroom above the slowest line, for the legend in the top right corner.
    low, high = ax.get_ylim()
    ax.set_ylim(low, high * 4)
    busy = next((int(r.counters.get("busy", 0)) for r in measured if r.counters.get("busy")), None)
    ax.set_xlabel("idle keep-alive connections K (each made one request, then waits for its next)")
    ax.set_ylabel(f"{MICRO} per request (1 / requests per second)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="upper right")
    ax.set_title(f"wrk keeps {busy or 'a few'} connections busy beside the K idle ones", fontsize=9)
    fig.suptitle(f"C10K: {MICRO} per request with K idle connections open (median, bars: min-max)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# What a bar's benchmark id stands for, as the notes' tables word it; other ids ("ours",
# "libuv", "libevent") are their own label.
BAR_LABELS = {
    "raw-eventfd": "raw eventfd (floor)",
    "raw-coroutine": "raw coroutine resume (floor)",
    "state-machine": "chapter 1's Counter",
    "std-function": "std::function call",
    "runner-done-future": "Runner round trip, done Future",
    "co_await-done-future": "co_await done Future",
    "co_await-done-future-in-a-loop": "co_await done Future, in a running loop",
    "moment": "co_await moment",
    "loop-resolved": "co_await Future the loop resolves",
    "asio-ready-awaitable": "Asio: co_await ready awaitable",
    "asio-post-awaitable": "Asio: co_await post (one turn)",
}


def colour_of(impl):
    if impl.startswith("raw"):
        return "black"
    if impl.startswith("libuv"):
        return "tab:green"
    if impl.startswith("libevent"):
        return "tab:purple"
    if impl.startswith("asio"):
        return "tab:brown"
    if impl == "nginx":
        return "tab:olive"
    if impl == "std-function":
        return "tab:gray"
    return "tab:blue"  # ours


LEGEND = {"tab:blue": "ours", "tab:green": "libuv", "tab:purple": "libevent", "tab:brown": "Boost.Asio",
          "tab:olive": "nginx", "black": "floor"}


def value_label(v):
    return f"{v:,.0f}" if v >= 100 else f"{v:.3g}"


def bar_figure(plt, rows, groups, title, ylabel, path, unit=1.0, columns=4, legend=None,
               floor=None, log=False):
    """One panel per group; one bar per implementation, time per item / unit.

    A group is (label, prefix, suffix): the benchmarks whose names start and end so. `legend`
    names the colours (floor: what the floor is); a `floor` row is also drawn as a line in
    every panel that has no bar for it."""
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
    if floor is not None and not floor.times:
        floor = None
    names = dict(LEGEND, **(legend or {}))
    ncols = min(columns, len(panels))
    nrows = (len(panels) + ncols - 1) // ncols
    width = max(2.8, 0.8 * max(len(bars) for _, bars in panels))  # per panel
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols + 1.5, 4.2 * nrows + 0.4), squeeze=False)
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    colours = []
    for ax, (label, bars) in zip(axes.flat, panels):
        impls = [r.impl for r in bars]
        values = [r.per_item / unit for r in bars]
        lows = [r.min_per_item / unit for r in bars]
        tops = [r.max_per_item / unit for r in bars]
        ax.bar(range(len(bars)), values, yerr=[[v - lo for v, lo in zip(values, lows)],
                                               [top - v for v, top in zip(values, tops)]],
               color=[colour_of(n) for n in impls], capsize=3)
        for colour in map(colour_of, impls):
            if colour not in colours:
                colours.append(colour)
        ax.set_xticks(range(len(bars)))
        ax.set_xticklabels([BAR_LABELS.get(n, n) for n in impls], rotation=30, ha="right", fontsize=8)
        # Each value sits just above its bar's top whisker, so no label crosses an error bar.
        for i, (v, top) in enumerate(zip(values, tops)):
            ax.annotate(value_label(v), (i, top), xytext=(0, 2), textcoords="offset points",
                        ha="center", va="bottom", fontsize=7)
        if floor is not None and floor not in bars:
            ax.axhline(floor.per_item / unit, color="black", linestyle=":", linewidth=1)
            ax.annotate(f"floor: {value_label(floor.per_item / unit)}", (len(bars) - 0.5, floor.per_item / unit),
                        xytext=(-2, 2), textcoords="offset points", ha="right", va="bottom", fontsize=7,
                        bbox=dict(facecolor="white", edgecolor="none", pad=1))
        if log:
            ax.set_yscale("log")
            plain_log_labels(ax, x=False)
            ax.set_ylim(min(lows + [floor.per_item / unit] if floor else lows) / 2, max(tops) * 1.8)
        else:
            ax.set_ylim(0, max(tops) * 1.12)  # room for the tallest whisker's label
        ax.set_title(label, fontsize=9)
        ax.set_ylabel(ylabel)
    fig.suptitle(title)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in colours]
    fig.legend(handles, [names[c] for c in colours], loc="lower center", ncol=len(colours),
               fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.05 / nrows, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


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
        ], f"Cross-thread ping-pong: {MICRO} per round trip (median, bars: min-max)",
            f"{MICRO} per round trip", out / "pingpong.png", unit=1e3,
            legend={"black": "floor: a raw eventfd ping-pong, no loop"}),
        bar_figure(plt, rows, [
            ("one step", "BM_Coroutines_Step/", ""),
            ("one wait (of 1,000 in one coroutine;\nin a loop: of 100,000)", "BM_Coroutines_RoundTrip/", ""),
        ], "Coroutines: ns per step (median, bars: min-max; log scale)", "ns per step",
            out / "coroutines.png", log=True, floor=rows.get(COROUTINE_FLOOR),
            legend={"black": "floor: one resume of a bare C++20 coroutine",
                    "tab:gray": "a plain call, for scale"}),
        c10k_figure(plt, rows, out / "http_c10k.png"),
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
    fd_limit = next((c["fd_limit"] for c in contexts.values() if "fd_limit" in c), "?")
    return (f"{model}, {ctx.get('num_cpus', '?')} CPUs at {ctx.get('mhz_per_cpu', '?')} MHz, "
            f"Linux {platform.release()}; libevent {ctx.get('libevent', '?')}, libuv {ctx.get('libuv', '?')}, "
            f"descriptor limit {fd_limit}")


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
        print("Targets (issues 9 and 16):")
        w = max(len(t) for t, _, _ in checks)
        for target, verdict, measured in checks:
            print(f"  {target:<{w}}  {verdict:<12}  {measured}")

    summary = [f"Machine: {machine(contexts)}", "", markdown(header, lines)]
    summary += [""] + [f"- skipped: `{name}`: {error}" for name, error in skipped]
    if checks:
        summary += ["", "| target | verdict | measured |", "|---|---|---|"]
        summary += [f"| {t} | {v} | {m} |" for t, v, m in checks]
    (args.results / "summary.md").write_text("\n".join(summary) + "\n", encoding="utf-8")

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
