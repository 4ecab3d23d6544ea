#!/usr/bin/python3
"""What one live call costs, counted in instructions: a figure that does
not move with the machine's load, unlike live_capacity.py's CPU time.

One call as live_capacity.py makes it (two live 8 kHz legs with 20 ms
buffers, segmented, aligned, recorded to WAV with a manifest), and the
stock audiointerleave ! wavenc ! filesink, each run by gst-launch-1.0
under valgrind's callgrind for --seconds of audio and again for a tenth of
a second: the difference is what the call itself executed, without
gst-launch-1.0 starting and stopping. Printed: both counts, per second of
the call, and their ratio. The registry is brought up to date first and
left alone during the runs, so that no run scans plugins.

  meson devenv -C build /usr/bin/python3 ../tests/benchmarks/live_instructions.py \\
      [--seconds 30] [--stock-buffer-ms 0]

User space only: the kernel's share (waking threads, switching between
them) is about the same for both pipelines and is not counted.
--check (the suite) runs a short call and only checks that it runs.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

import live_capacity as lc
from gi.repository import Gst  # noqa: E402

SHORT_BUFFERS = 5


def description(kind, out, buffers, stock_buffer):
    desc, _ = lc.call(kind, 0, out, 100 * Gst.MSECOND, stock_buffer)
    return desc.replace("audiotestsrc ",
                        "audiotestsrc num-buffers=%d " % buffers)


def instructions(kind, tmp, buffers, stock_buffer):
    out = tempfile.mkdtemp(dir=tmp)
    cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
           "gst-launch-1.0", "-q"] + description(
               kind, out, buffers, stock_buffer).split()
    env = dict(os.environ, GST_REGISTRY_UPDATE="no")
    p = subprocess.run(cmd, env=env, stderr=subprocess.PIPE, text=True)
    shutil.rmtree(out)
    m = re.search(r"I\s+refs:\s+([\d,]+)", p.stderr)
    if p.returncode != 0 or not m:
        sys.exit("%s under callgrind failed:\n%s" % (kind, p.stderr[-2000:]))
    return int(m.group(1).replace(",", ""))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=30)
    lc.add_stock_buffer_argument(ap)
    ap.add_argument("--check", action="store_true",
                    help="a short call, only to see that it runs")
    args = ap.parse_args()
    if not shutil.which("valgrind"):
        print("valgrind is not installed: nothing measured")
        sys.exit(77 if args.check else 1)
    Gst.init(None)
    # the registry now, so that no run under valgrind scans plugins
    subprocess.run(["gst-inspect-1.0", "voicetimeline"], check=True,
                   stdout=subprocess.DEVNULL)

    buffers = max(SHORT_BUFFERS + 1,
                  int(args.seconds * 1000 / lc.BUFFER_MS))
    seconds = buffers * lc.BUFFER_MS / 1000
    stock_buffer = args.stock_buffer_ms * Gst.MSECOND
    counts = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("ours", "stock"):
            whole = instructions(kind, tmp, buffers, stock_buffer)
            start = instructions(kind, tmp, SHORT_BUFFERS, stock_buffer)
            counts[kind] = whole - start
    print("| one live call, %g s | instructions | per second of the call "
          "| ours / stock |" % seconds)
    print("|---|---|---|---|")
    for kind in ("ours", "stock"):
        print("| %s | %.1f M | %.2f M | %.2f |" % (
            kind, counts[kind] / 1e6, counts[kind] / seconds / 1e6,
            counts[kind] / counts["stock"]))


if __name__ == "__main__":
    main()
