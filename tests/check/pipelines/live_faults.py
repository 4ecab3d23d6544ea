#!/usr/bin/python3
"""A live call with faults, recorded through the three elements: one leg
stalls for 30 s and then resumes, another disappears mid-call (no EOS,
nothing more), and the application hangs up by setting the pipeline to
NULL. The recording must go on in real time through both faults and lose
nothing that came in.

  live_faults.py [--stall SECONDS] [--check]

Three live appsrc legs at 16 kHz, fed in real time from the pipeline
clock with real speech (tests/files/utterance-16k.wav) at known times:
  caller  speaks at 0.5 s, 14 s and 28 s, never stops sending;
  agent   speaks at 4.6 s, stalls from 9 s for --stall seconds (nothing is
          sent), then resumes and speaks 0.5 s later;
  third   speaks at 6.5 s and disappears at 8 s, mid-word.
With --check, exits 1 unless: the full file is as long as the call (the
wall time from PLAYING to the hang-up, within 1 %); every utterance is a segment of its speaker starting
within 30 ms of when it was sent, the one after the stall too (no offset,
no drift); the agent's channel is silent during the stall and the third's
after it left, and holds the last 200 ms that the third sent (the audio a
segmenter held back when its leg stopped is not dropped as late);
manifest.json parses and lists only complete files.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import time

import gi
gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

import numpy as np

from calllegs import CAPS, CHUNK, RATE, Leg, channels_of, read_utterance

TOLERANCE = 0.030


def run(out, legs, duration):
    Gst.init(None)
    desc = ("voicetimeline name=t ! voicemanifestsink location=\"%s\" "
            "full-layout=channels " % out)
    for i, leg in enumerate(legs):
        desc += ("appsrc name=%s is-live=true format=time min-latency=%d "
                 "caps=%s ! voicesegmenter speaker=%s role=%s ! t.sink_%d "
                 % (leg.name, 20 * Gst.MSECOND, CAPS, leg.name,
                    "agent" if leg.name == "agent" else "user", i))
    pipeline = Gst.parse_launch(desc)
    srcs = [pipeline.get_by_name(leg.name) for leg in legs]
    pipeline.set_state(Gst.State.PLAYING)
    pipeline.get_state(Gst.CLOCK_TIME_NONE)
    clock = pipeline.get_pipeline_clock()
    base = pipeline.get_base_time()

    # one feeder for all legs: each 20 ms of running time, every leg that
    # is sending gets its chunk, stamped with that time
    wall_start = time.monotonic()
    n_chunks = int(duration * RATE) // CHUNK
    for k in range(n_chunks):
        t = k * CHUNK / RATE
        while clock.get_time() - base < int(t * Gst.SECOND):
            time.sleep(0.002)
        for leg, src in zip(legs, srcs):
            if leg.sending(t):
                buf = Gst.Buffer.new_wrapped(leg.chunk(k * CHUNK))
                buf.pts = int(t * Gst.SECOND)
                buf.duration = 20 * Gst.MSECOND
                src.emit("push-buffer", buf)
    # let the last audio through the pipeline's latency, then hang up
    time.sleep(0.5)
    wall = time.monotonic() - wall_start
    pipeline.set_state(Gst.State.NULL)
    return wall


def check(out, legs, duration, stall, wall):
    failures = []
    with open(os.path.join(out, "manifest.json")) as f:
        m = json.load(f)
    for s in m["segments"]:
        p = os.path.join(out, s["file"])
        if not os.path.exists(p):
            failures.append("listed but missing: " + s["file"])
    chans, n = channels_of(os.path.join(out, m["full"]["file"]))
    length = n / RATE
    print("call %.2f s of wall time (fed %.1f s), full file %.2f s"
          % (wall, duration, length))
    # the recording runs from PLAYING to the hang-up, whatever came in
    if abs(length - wall) > 0.01 * wall:
        failures.append("full file %.2f s, the call %.2f s" % (length, wall))

    for leg in legs:
        # what was sent before the call ended
        leg.speech = [t for t in leg.speech if t < duration]
        got = [s["start_time"] for s in m["segments"]
               if s["speaker"] == leg.name]
        print("%-6s sent speech at %s; segments start at %s"
              % (leg.name, leg.speech, ["%.3f" % g for g in got]))
        if len(got) != len(leg.speech):
            failures.append("%s: %d segments for %d utterances"
                            % (leg.name, len(got), len(leg.speech)))
            continue
        for want, g in zip(leg.speech, got):
            if abs(g - want) > TOLERANCE:
                failures.append("%s: segment at %.3f s, sent at %.3f s"
                                % (leg.name, g, want))

    speakers = [s["name"] for s in m["speakers"]]
    for leg in legs:
        ch = chans[speakers.index(leg.name)]
        quiet = []
        if leg.stall:
            quiet.append(leg.stall)
        if leg.leaves is not None:
            quiet.append((leg.leaves, length))
        for lo, hi in quiet:
            a, b = int(lo * RATE) + 160, int(hi * RATE) - 160
            loud = max((abs(v) for v in ch[a:b]), default=0)
            print("%-6s channel from %.1f s to %.1f s: peak %d"
                  % (leg.name, lo, hi, loud))
            if loud:
                failures.append("%s: sound while it sent nothing" % leg.name)
        if leg.leaves is not None:
            failures += check_last_words(leg, ch)
    return failures


def check_last_words(leg, ch):
    """The last 200 ms a leg sent before it left are in its channel, to the
    sample (placed where the correlation with what it sent says)."""
    end = int(leg.leaves * RATE)
    sent = np.frombuffer(b"".join(leg.chunk(k) for k in range(
        end - 2 * RATE, end, CHUNK)), "<i2").astype(np.float64)
    got = np.asarray(ch, np.float64)
    # where the leg's last two seconds are, within 50 ms of their time
    lo = end - 2 * RATE - 800
    corr = np.correlate(got[lo:end + 800], sent, "valid")
    shift = int(np.argmax(corr)) - 800
    tail, at = sent[-3200:], end - 3200 + shift
    err = np.sqrt(np.mean((got[at:at + 3200] - tail) ** 2))
    level = np.sqrt(np.mean(tail ** 2))
    print("%-6s last 200 ms before it left: level %.0f, recorded off by "
          "%.0f (shift %d samples)" % (leg.name, level, err, shift))
    if level < 500 or err > 0.01 * level:
        return ["%s: its last 200 ms are not in the recording (level %.0f, "
                "off by %.0f)" % (leg.name, level, err)]
    return []


def main():
    ap = argparse.ArgumentParser()
    # under AddressSanitizer (the CI's second run) a shorter stall: the
    # memory checks do not need the long wait, and CI time is counted
    asan = "libasan" in os.environ.get("LD_PRELOAD", "")
    ap.add_argument("--stall", type=float, default=10.0 if asan else 30.0)
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--out")
    args = ap.parse_args()

    utterance = read_utterance()
    stall = (9.0, 9.0 + args.stall)
    legs = [
        Leg("caller", [0.5, 14.0, 28.0], utterance),
        Leg("agent", [4.6, stall[1] + 0.5], utterance, stall=stall),
        Leg("third", [6.5], utterance, leaves=8.0),
    ]
    duration = stall[1] + 0.5 + len(utterance) / 2 / RATE + 1.5
    out = args.out or tempfile.mkdtemp(prefix="live-faults-")
    wall = run(out, legs, duration)
    failures = check(out, legs, duration, stall, wall)
    for f in failures:
        print("FAIL:", f)
    # a failed recording, or one asked for, is kept
    if failures or args.out:
        print("recorded into", out)
    else:
        shutil.rmtree(out)
    if args.check and failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
