#!/usr/bin/python3
"""Soak: many live calls recorded continuously in one process, calls
starting and ending every few seconds, for a long time. Memory and open
file descriptors must stay flat, and every call must leave a complete
recording.

  soak.py [--minutes 30] [--calls 50] [--check]

Each call is its own pipeline: two live appsrc legs at 16 kHz, fed in real
time with real speech (the built-in conversation, from a random point),
through voicesegmenter into voicetimeline and voicemanifestsink (WAV). A
call lasts 10 to 60 s, ends with EOS (or, one call in four, is hung up by
setting it to NULL), its recording is checked (manifest.json parses and
lists only files that are on disk with their full length) and removed,
and a new call takes its place.

With --check, exits 1 unless every call's recording was complete, over the
second half of the run resident memory grew by at most 10 % (in a run of
5 minutes or more), and once the last call ended the process had the file
descriptors it had before the first began.
"""
import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
import wave

import gi
gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

from calllegs import CAPS, CHUNK, FILES, RATE

CHUNK_NS = CHUNK * Gst.SECOND // RATE


def read_leg(name):
    with wave.open(os.path.join(FILES, "conversation-%s.wav" % name)) as w:
        return w.readframes(w.getnframes())


class Call:
    def __init__(self, root, audio, rng, serial):
        self.dir = os.path.join(root, "call-%05d" % serial)
        self.audio = audio
        self.offset = rng.randrange(0, len(audio[0]) // (2 * CHUNK))
        self.chunks = int(rng.uniform(10, 60) * RATE) // CHUNK
        self.hang_up = rng.random() < 0.25
        self.pipeline = Gst.parse_launch(
            "voicetimeline name=t ! voicemanifestsink location=\"%s\" "
            "appsrc name=a is-live=true format=time min-latency=%d caps=%s "
            "! voicesegmenter role=user ! t.sink_0 "
            "appsrc name=b is-live=true format=time min-latency=%d caps=%s "
            "! voicesegmenter role=agent speaker=bot ! t.sink_1"
            % (self.dir, CHUNK_NS, CAPS, CHUNK_NS, CAPS))
        self.srcs = [self.pipeline.get_by_name(n) for n in ("a", "b")]
        self.sent = 0
        self.ended = False
        self.pipeline.set_state(Gst.State.PLAYING)

    def feed(self, now):
        """Sends the chunks due by system clock time @now."""
        base = self.pipeline.get_base_time()
        if now < base:
            return
        due = min(self.chunks, (now - base) // CHUNK_NS + 1)
        while self.sent < due:
            n = len(self.audio[0]) // (2 * CHUNK)
            k = (self.offset + self.sent) % n
            for src, leg in zip(self.srcs, self.audio):
                buf = Gst.Buffer.new_wrapped(
                    leg[k * CHUNK * 2:(k + 1) * CHUNK * 2])
                buf.pts = self.sent * CHUNK_NS
                buf.duration = CHUNK_NS
                src.emit("push-buffer", buf)
            self.sent += 1
        if self.sent == self.chunks and not self.ended:
            self.ended = True
            if not self.hang_up:
                for src in self.srcs:
                    src.emit("end-of-stream")

    def done(self):
        if not self.ended:
            return False
        if self.hang_up:
            return True
        msg = self.pipeline.get_bus().pop_filtered(
            Gst.MessageType.EOS | Gst.MessageType.ERROR)
        if msg and msg.type == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            raise RuntimeError("%s: %s" % (err.message, dbg))
        return msg is not None

    def finish(self):
        """Stops the call; returns what is wrong with its recording."""
        self.pipeline.set_state(Gst.State.NULL)
        self.pipeline = self.srcs = None
        problems = []
        try:
            with open(os.path.join(self.dir, "manifest.json")) as f:
                m = json.load(f)
            for s in m["segments"]:
                if s["file"] is None:
                    continue    # began after the last sample that came in
                path = os.path.join(self.dir, s["file"])
                with wave.open(path) as w:
                    frames = w.getnframes()
                want = round((s["end_time"] - s["start_time"]) * RATE)
                if abs(frames - want) > 1:
                    problems.append("%s: %d frames, %d expected"
                                    % (s["file"], frames, want))
        except (OSError, ValueError, KeyError, wave.Error) as e:
            problems.append("%s: %s" % (self.dir, e))
        shutil.rmtree(self.dir, ignore_errors=True)
        return problems


def rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def open_fds():
    return len(os.listdir("/proc/self/fd"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--calls", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    Gst.init(None)

    rng = random.Random(args.seed)
    audio = (read_leg("user"), read_leg("agent"))
    root = tempfile.mkdtemp(prefix="soak-")
    clock = Gst.SystemClock.obtain()
    calls, serial, finished, problems = [], 0, 0, []
    samples = []                # (elapsed s, rss kB, fds)
    fds_before = open_fds()
    start = time.monotonic()
    end = start + args.minutes * 60
    next_sample = start
    # start the calls a little apart, as they would come in
    while time.monotonic() < end:
        if len(calls) < args.calls:
            calls.append(Call(root, audio, rng, serial))
            serial += 1
        now = clock.get_time()
        for c in calls:
            c.feed(now)
        for c in [c for c in calls if c.done()]:
            calls.remove(c)
            problems += c.finish()
            finished += 1
        t = time.monotonic()
        if t >= next_sample:
            samples.append((t - start, rss_kb(), open_fds()))
            print("%6.0f s: %3d calls running, %4d finished, RSS %6d kB, "
                  "%4d fds" % (t - start, len(calls), finished,
                               samples[-1][1], samples[-1][2]), flush=True)
            next_sample += max(5.0, args.minutes * 60 / 30)
        time.sleep(0.005)
    for c in calls:
        c.hang_up = True
        c.ended = True
        problems += c.finish()
        finished += 1
    calls = []
    shutil.rmtree(root, ignore_errors=True)
    fds_after = open_fds()

    half = [s for s in samples if s[0] >= samples[-1][0] / 2]
    growth = half[-1][1] / half[0][1]
    print("%d calls recorded; RSS over the second half x%.3f (%d -> %d kB); "
          "open fds %d before the first call, %d after the last; "
          "%d problems" % (finished, growth, half[0][1], half[-1][1],
                           fds_before, fds_after, len(problems)))
    for p in problems[:20]:
        print("PROBLEM:", p)
    # AddressSanitizer's quarantine holds on to freed memory on purpose,
    # and a short run is all warm-up
    asan = "libasan" in os.environ.get("LD_PRELOAD", "")
    if asan or args.minutes < 5:
        print("resident memory not checked (%s)" % (
            "AddressSanitizer" if asan else "a run of less than 5 minutes"))
    grew = growth > 1.10 and not asan and args.minutes >= 5
    if args.check and (problems or grew or fds_after > fds_before):
        sys.exit(1)


if __name__ == "__main__":
    main()
