#!/usr/bin/python3
"""How many live calls one process records in real time on this machine.

A call: two live legs (audiotestsrc is-live=true, 8 kHz, 20 ms buffers,
tone bursts with pauses that the segmenter takes for speech), each through
voicesegmenter, into voicetimeline, into voicemanifestsink (WAV: segment
files, the full file, the manifest). The stock baseline records the same
legs with audiointerleave ! wavenc ! filesink. N calls run together in this
process, for --seconds, in one pipeline or in one pipeline per call
(--layout); both aggregators (voicetimeline, audiointerleave) get the same
latency property (--slack-ms, 100 ms: with hundreds of threads on two
cores a source thread can be scheduled that late, and a server sets it
so; 0 is the default of both elements). Each aggregator keeps its own
output buffers (voicetimeline 20 ms live, audiointerleave 10 ms);
--stock-buffer-ms gives the baseline others. A run keeps real time when
no aggregator pad dropped late
audio (QoS messages, qos-messages=true on every pad, counted from two
seconds in: starting N pipelines one after the other is not the steady
state), every call's full
file is as long as the run within 1 %, and the process used under 80 % of
the machine's cores (user + system time over wall time, from two seconds
in to the end of the audio).

  meson devenv -C build /usr/bin/python3 ../tests/benchmarks/live_capacity.py \
      [--calls 25 50 100 200 300] [--seconds 60] [--layout many|one] \
      [--repeat 1] [--together] [--sink-props PROPS]

With --together, ours and the stock baseline run at the same time, each N
calls in a process of its own (2N calls on the machine): the load of the
machine, which moves one run's CPU by a tenth or more, is then the same
for both, and the ratio of their CPU per call is measured under it. It
measures that ratio, not the capacity: N is for how many calls the
machine holds at once, and the real-time column is under both loads.
--sink-props gives voicemanifestsink of every call more properties (for
instance "manifest-interval=5000000000", to see what the rewrites of the
manifest cost).

It prints, for every N, ours and the stock baseline: CPU (% of all cores),
CPU per call, the ratio of the two, dropped audio, the worst error of a
full file's length, threads; and the largest N that kept real time. With
--repeat R each N runs R times, ours and the stock baseline in turn: the
CPU figures are the medians, the ratio the median of the R runs' ratios
(each printed too), dropped audio and errors the worst, and real time
means in every run.
--check (the suite) runs a few seconds of small N and only checks that
the recordings are whole.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import wave

import gi
gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

RATE = 8000
BUFFER_MS = 20
CPU_LIMIT = 0.80
LENGTH_TOLERANCE = 0.01
LEGS = (("user", 300, 400, 3000), ("agent", 500, 800, 3700))


def leg(freq, periods, interval_ms):
    return ("audiotestsrc is-live=true wave=ticks freq=%d "
            "sine-periods-per-tick=%d tick-interval=%d samplesperbuffer=%d "
            "volume=0.3 ! audio/x-raw,format=S16LE,rate=%d,channels=1"
            % (freq, periods, interval_ms * Gst.MSECOND,
               RATE * BUFFER_MS // 1000, RATE))


def call(kind, i, out, slack, stock_buffer=0, sink_props=""):
    """The launch description of call @i and the file that holds its full
    recording; @sink_props are more properties of voicemanifestsink."""
    if kind == "ours":
        desc = ("voicetimeline name=t%d latency=%d sink_0::qos-messages=true "
                "sink_1::qos-messages=true ! voicemanifestsink %s location=%s"
                % (i, slack, sink_props, os.path.join(out, "call-%d" % i)))
        full = os.path.join(out, "call-%d" % i, "full.wav")
        for k, (role, freq, periods, interval) in enumerate(LEGS):
            desc += " %s ! voicesegmenter role=%s ! t%d.sink_%d" % (
                leg(freq, periods, interval), role, i, k)
    else:
        full = os.path.join(out, "call-%d.wav" % i)
        desc = ("audiointerleave name=t%d latency=%d %s"
                "sink_0::qos-messages=true sink_1::qos-messages=true ! "
                "wavenc ! filesink location=%s"
                % (i, slack, "output-buffer-duration=%d " % stock_buffer
                   if stock_buffer else "", full))
        for k, (role, freq, periods, interval) in enumerate(LEGS):
            desc += " %s ! t%d.sink_%d" % (leg(freq, periods, interval), i, k)
    return desc, full


def add_stock_buffer_argument(ap):
    """--stock-buffer-ms, for every benchmark that runs call()"""
    ap.add_argument("--stock-buffer-ms", type=int, default=0,
                    help="the stock audiointerleave's output-buffer-duration "
                    "(0: its default, 10 ms; voicetimeline's live default "
                    "is 20 ms)")


def threads():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return 0


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run(kind, n, seconds, layout, tmp, slack=0, stock_buffer=0,
        sink_props=""):
    out = tempfile.mkdtemp(dir=tmp)
    descs, fulls = zip(*[call(kind, i, out, slack, stock_buffer, sink_props)
                         for i in range(n)])
    if layout == "one":
        pipelines = [Gst.parse_launch(" ".join(descs))]
    else:
        pipelines = [Gst.parse_launch(d) for d in descs]
    # one clock for all, as in one pipeline
    clock = Gst.SystemClock.obtain()
    for p in pipelines:
        p.use_clock(clock)
    buses = [p.get_bus() for p in pipelines]
    qos = [0]
    errors = []

    def pump(timeout):
        for bus in buses:
            while True:
                msg = bus.timed_pop_filtered(
                    timeout, Gst.MessageType.QOS | Gst.MessageType.ERROR)
                timeout = 0
                if not msg:
                    break
                if msg.type == Gst.MessageType.ERROR:
                    errors.append(msg.parse_error()[0].message)
                else:
                    qos[0] += 1

    start = time.monotonic()
    started = []
    for p in pipelines:
        p.set_state(Gst.State.PLAYING)
        started.append(time.monotonic())
    # measured from two seconds in: starting N pipelines is not the steady
    # state
    while time.monotonic() < start + 2:
        pump(50 * Gst.MSECOND)
    qos[0] = 0
    cpu0, wall0, n_threads = cpu_seconds(), time.monotonic(), threads()
    while time.monotonic() < start + seconds:
        pump(50 * Gst.MSECOND)
    cpu = (cpu_seconds() - cpu0) / (time.monotonic() - wall0)
    dropped = qos[0]
    ended = []
    for p in pipelines:
        p.send_event(Gst.Event.new_eos())
        ended.append(time.monotonic())
    for bus in buses:
        msg = bus.timed_pop_filtered(30 * Gst.SECOND, Gst.MessageType.EOS
                                     | Gst.MessageType.ERROR)
        if not msg or msg.type == Gst.MessageType.ERROR:
            errors.append("no EOS" if not msg else
                          msg.parse_error()[0].message)
    pump(0)
    for p in pipelines:
        p.set_state(Gst.State.NULL)
    # each call as long as it ran: from its pipeline's PLAYING to its EOS
    # (or the one pipeline's)
    worst = 0.0
    for i, f in enumerate(fulls):
        k = i if len(pipelines) > 1 else 0
        wall = ended[k] - started[k]
        try:
            with wave.open(f, "rb") as w:
                length = w.getnframes() / w.getframerate()
        except (OSError, EOFError, wave.Error):
            length = 0.0
        worst = max(worst, abs(length - wall) / wall)
    cores = os.cpu_count()
    return {"cpu": cpu / cores, "per_call": cpu / n, "qos": dropped,
            "length_error": worst, "threads": n_threads, "errors": errors,
            "ok": (not errors and dropped == 0 and worst <= LENGTH_TOLERANCE
                   and cpu / cores < CPU_LIMIT)}


def run_together(n, args, tmp):
    """Ours and the stock baseline at the same time, each in a process of
    its own that records under @tmp; their results. When one fails, the
    other is stopped at once."""
    common = ["--calls", str(n), "--seconds", str(args.seconds), "--layout",
              args.layout, "--slack-ms", str(args.slack_ms),
              "--stock-buffer-ms", str(args.stock_buffer_ms),
              "--sink-props", args.sink_props, "--tmp", tmp]
    children = {k: subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "--one", k] + common,
        stdout=subprocess.PIPE, text=True) for k in ("ours", "stock")}
    while any(c.poll() is None for c in children.values()):
        failed = [k for k, c in children.items()
                  if c.returncode not in (None, 0)]
        if failed:
            for c in children.values():
                if c.poll() is None:
                    c.terminate()
                    c.wait()
            sys.exit("%s, %d calls: the run failed" % (failed[0], n))
        time.sleep(0.2)
    results = {}
    for k, child in children.items():
        out, _ = child.communicate()
        if child.returncode != 0:
            sys.exit("%s, %d calls: the run failed" % (k, n))
        results[k] = json.loads(out.splitlines()[-1])
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, nargs="+",
                    default=[25, 50, 100, 200, 300])
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--layout", choices=("many", "one"), default="many",
                    help="one pipeline per call, or all calls in one")
    ap.add_argument("--slack-ms", type=int, default=100,
                    help="the aggregators' latency property, the same for "
                    "ours and the stock baseline: how late a leg's buffer "
                    "may come before its audio is dropped")
    add_stock_buffer_argument(ap)
    ap.add_argument("--repeat", type=int, default=1,
                    help="runs of each N, ours and the stock baseline in "
                    "turn: the medians are printed (this shared machine "
                    "moves one run's CPU by a tenth or more)")
    ap.add_argument("--together", action="store_true",
                    help="ours and the stock baseline at the same time, "
                    "each in a process of its own: their ratio under the "
                    "same load")
    ap.add_argument("--check", action="store_true",
                    help="exit 1 unless every recording is whole")
    ap.add_argument("--sink-props", default="",
                    help="more properties of voicemanifestsink, as "
                    "gst-launch-1.0 takes them (\"manifest-interval=...\")")
    ap.add_argument("--one", choices=("ours", "stock"),
                    help=argparse.SUPPRESS)
    ap.add_argument("--tmp", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    Gst.init(None)
    slack = args.slack_ms * Gst.MSECOND
    if args.one:
        # a process of --together: one run in the parent's directory
        # (removed by the parent, even if this one is stopped), its result
        # as JSON
        print(json.dumps(run(args.one, args.calls[0], args.seconds,
                             args.layout, args.tmp, slack,
                             args.stock_buffer_ms * Gst.MSECOND,
                             args.sink_props)))
        return
    layout = args.layout + (", together" if args.together else "")

    print("| calls | layout | ours CPU | stock CPU | CPU per call ours / "
          "stock | ratio, each run | ours dropped | stock dropped | ours "
          "worst length error | threads (ours) | real time |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    best = {"ours": 0, "stock": 0}
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.calls:
            runs = {"ours": [], "stock": []}
            for i in range(args.repeat):
                if args.together:
                    for k, x in run_together(n, args, tmp).items():
                        runs[k].append(x)
                    continue
                # in turn, each first every other time
                for k in (("ours", "stock") if i % 2 == 0
                          else ("stock", "ours")):
                    runs[k].append(run(k, n, args.seconds, args.layout, tmp,
                                       slack,
                                       args.stock_buffer_ms * Gst.MSECOND,
                                       args.sink_props))
            r = {}
            for k, rs in runs.items():
                r[k] = {
                    "cpu": statistics.median(x["cpu"] for x in rs),
                    "qos": max(x["qos"] for x in rs),
                    "length_error": max(x["length_error"] for x in rs),
                    "threads": max(x["threads"] for x in rs),
                    "ok": all(x["ok"] for x in rs),
                }
                if r[k]["ok"]:
                    best[k] = max(best[k], n)
                for x in rs:
                    for e in x["errors"]:
                        print("%s, %d calls: error: %s" % (k, n, e))
                        failed = True
            ratios = [o["per_call"] / max(1e-9, st["per_call"])
                      for o, st in zip(runs["ours"], runs["stock"])]
            print("| %d | %s | %.0f %% | %.0f %% | %.2f | %s | %d | %d | "
                  "%.2f %% | %d | %s |" % (
                      n, layout, 100 * r["ours"]["cpu"],
                      100 * r["stock"]["cpu"], statistics.median(ratios),
                      ", ".join("%.2f" % x for x in ratios),
                      r["ours"]["qos"], r["stock"]["qos"],
                      100 * r["ours"]["length_error"], r["ours"]["threads"],
                      "yes" if r["ours"]["ok"] else "no"))
            sys.stdout.flush()
            if args.check and r["ours"]["length_error"] > 0.2:
                failed = True
    print("largest N in real time under %d %% CPU: ours %d, stock %d "
          "(of those tried)" % (100 * CPU_LIMIT, best["ours"],
                                best["stock"]))
    if args.check and failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
