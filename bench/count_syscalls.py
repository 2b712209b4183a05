#!/usr/bin/env python3
"""How many system calls does one HTTP request cost our server, on each backend?

Runs bench's hello_server (chapter 9's HTTP server, alone in its process) under `perf stat`,
counting every system call it enters (the kernel's syscalls:sys_enter_* tracepoints), while
wrk drives it over 32 keep-alive connections; then divides each count by the requests wrk
completed. perf counts in the kernel and barely slows the server, which matters: how many
requests one wait returns (and so how many waits a request costs) depends on the speed.
Without perf (or without permission for tracepoints) it falls back to `strace -c -f`, which
counts the same calls but slows the server so much that every wait returns a full batch.

    bench/count_syscalls.py BUILD_DIR [--seconds S] [--connections C] [--moment] [--markdown]

--moment makes the handler yield to the loop once before it answers, as any handler that
waits for something does: the connection then sits idle, with no read pending, for a turn.

The backends are select, poll, epoll, and chapter 10's two on io_uring: "uring" (the
completion model: the ring does each stream's recv and send, so they show up inside
io_uring_enter, the one call that submits and waits) and "uring-readiness" (the ring only
answers POLL_ADDs; the streams call recv and send themselves). Where io_uring is refused,
their columns say so and the others are still counted.

`./tutorial bench syscalls` runs it on the release build. The 32 connections' accepts and
set-up are counted too; over thousands of requests they add well under 0.01 per request.
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BACKENDS = ("select", "poll", "epoll", "uring", "uring-readiness")


def pinned(core):
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        return []
    return ["taskset", "-c", str(cores[core])]


def count(build, backend, seconds, connections, tool, moment):
    with tempfile.TemporaryDirectory() as tmp:
        port_file, trace = Path(tmp) / "port", Path(tmp) / "counts.txt"
        server = [str(Path(build) / "bench" / "hello_server"), backend, str(port_file)] + (["--moment"] if moment else [])
        if tool == "perf":
            counter = ["perf", "stat", "-x,", "-e", "syscalls:sys_enter_*", "-o", str(trace), "--"]
        else:
            counter = ["strace", "-f", "-c", "-o", str(trace), "--"]
        tracer = subprocess.Popen(pinned(0) + counter + server)
        for _ in range(200):
            if port_file.exists() and port_file.read_text().strip():
                break
            if tracer.poll() is not None:  # exited before listening: io_uring refused here
                return None
            time.sleep(0.05)
        else:
            tracer.kill()
            sys.exit(f"hello_server ({backend}) did not start")
        port = port_file.read_text().strip()
        wrk = subprocess.run(pinned(1) + ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
                                          f"http://127.0.0.1:{port}/"], capture_output=True, text=True)
        # Ask the server (the counter's child) to stop; the counter writes its table then.
        server = subprocess.run(["pgrep", "-P", str(tracer.pid)], capture_output=True, text=True).stdout.split()
        for pid in server:
            os.kill(int(pid), signal.SIGTERM)
        tracer.wait(timeout=30)
        found = re.search(r"^\s*(\d+) requests in", wrk.stdout, re.M)
        if not found:
            sys.exit(f"wrk gave no count:\n{wrk.stdout}{wrk.stderr}")
        requests = int(found.group(1))
        calls = {}
        for line in trace.read_text().splitlines():
            if tool == "perf":  # count,unit,syscalls:sys_enter_NAME,...
                fields = line.split(",")
                if len(fields) > 2 and fields[0].isdigit() and fields[2].startswith("syscalls:sys_enter_"):
                    if int(fields[0]):
                        calls[fields[2][len("syscalls:sys_enter_"):]] = int(fields[0])
            else:  # % time, seconds, usecs/call, calls, [errors,] syscall
                fields = line.split()
                if len(fields) >= 5 and fields[3].isdigit() and not fields[-1].startswith("total"):
                    calls[fields[-1]] = int(fields[3])
        return requests, calls


def perf_works():
    try:
        probe = subprocess.run(["perf", "stat", "-x,", "-e", "syscalls:sys_enter_getpid", "--", "true"],
                               capture_output=True, text=True)
    except FileNotFoundError:
        return False
    return probe.returncode == 0 and "sys_enter_getpid" in probe.stderr


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build")
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--moment", action="store_true", help="the handler yields to the loop once per request")
    parser.add_argument("--markdown", action="store_true", help="print a table for notes/benchmarks.md")
    args = parser.parse_args()
    tool = "perf" if perf_works() else "strace"
    results = {}
    for backend in BACKENDS:
        counted = count(args.build, backend, args.seconds, args.connections, tool, args.moment)
        if counted is None:
            print(f"note: hello_server {backend} did not start (its message is above); column left out",
                  file=sys.stderr)
        else:
            results[backend] = counted
    backends = list(results)
    # The calls any backend makes at least once per 100 requests, most frequent first.
    names = sorted({name for _, calls in results.values() for name in calls},
                   key=lambda name: -max(calls.get(name, 0) / requests for requests, calls in results.values()))
    names = [n for n in names if max(c.get(n, 0) / r for r, c in results.values()) >= 0.01]
    rows = [[name] + [f"{calls.get(name, 0) / requests:.2f}" for requests, calls in results.values()] for name in names]
    rows.append(["**all**" if args.markdown else "all"] +
                [f"{sum(calls.values()) / requests:.2f}" for requests, calls in results.values()])
    header = ["system call per request"] + backends
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" + "---:|" * len(backends))
        for row in rows:
            print("| " + " | ".join(row) + " |")
    else:
        width = max(len(r[0]) for r in rows + [header])
        cell = max([9] + [len(h) + 2 for h in header[1:]])
        print(f"{header[0]:<{width}}" + "".join(f"{h:>{cell}}" for h in header[1:]))
        for row in rows:
            print(f"{row[0]:<{width}}" + "".join(f"{v:>{cell}}" for v in row[1:]))
    print("(requests counted: " + ", ".join(f"{b} {r}" for b, (r, _) in results.items()) +
          f"; {args.connections} connections, wrk for {args.seconds} s each, counted by {tool}" +
          ("; the handler yields once" if args.moment else "") + ")")


if __name__ == "__main__":
    main()
