#!/usr/bin/python3
"""A ten-minute call in which the agent's clock drifts 1 % against the
caller's: its 20 ms chunks are stamped 19.8 ms apart (its clock fast) or
20.2 ms apart (slow), as a leg timestamped on arrival by another clock
is. Recorded through the three elements as fast as the machine allows.

  clock_drift.py [--minutes M] [--check]

The timeline must not drift: at the end of the call as at its start,
every utterance of either leg is one segment (a drifting leg's speech is
not cut up), starting within 30 ms of the time it was stamped with, and
its audio sits in the full file within 30 ms of that time too. And it
keeps the drifting leg on its time by resampling it, not by dropping or
inserting audio: a faint steady hum under that leg has no break in it
anywhere in the full file.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import threading

import numpy as np

import gi
gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

from calllegs import (CAPS, CHUNK, HUM_HZ, RATE, Leg, channels_of,
                      read_utterance)

TOLERANCE = 0.030
HUM = 100                          # -50 dBFS: below what the segmenter hears


def record(out, legs, skews, minutes):
    desc = ("voicetimeline name=t ! voicemanifestsink location=\"%s\" "
            "full-layout=channels " % out)
    for i, leg in enumerate(legs):
        desc += ("appsrc name=%s format=time block=true max-bytes=64000 "
                 "caps=%s ! voicesegmenter speaker=%s role=%s ! t.sink_%d "
                 % (leg.name, CAPS, leg.name,
                    "agent" if leg.name == "agent" else "user", i))
    pipeline = Gst.parse_launch(desc)
    pipeline.set_state(Gst.State.PLAYING)
    n_chunks = int(minutes * 60 * RATE) // CHUNK

    def feed(leg, skew):
        src = pipeline.get_by_name(leg.name)
        spacing = int(CHUNK * skew * Gst.SECOND / RATE)
        for k in range(n_chunks):
            buf = Gst.Buffer.new_wrapped(leg.chunk(k * CHUNK))
            buf.pts = k * spacing
            buf.duration = spacing
            src.emit("push-buffer", buf)
        src.emit("end-of-stream")
    feeders = [threading.Thread(target=feed, args=(leg, skew))
               for leg, skew in zip(legs, skews)]
    for f in feeders:
        f.start()
    for f in feeders:
        f.join()
    msg = pipeline.get_bus().timed_pop_filtered(
        300 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipeline.set_state(Gst.State.NULL)
    return msg and msg.type == Gst.MessageType.EOS


def onset(channel, around, utterance):
    """Where @utterance starts in @channel, searched near @around."""
    a = max(0, int((around - 0.2) * RATE))
    window = np.asarray(channel[a:a + int(0.9 * RATE)], dtype=float)
    ref = utterance[:int(0.5 * RATE)]
    return (a + int(np.argmax(np.correlate(window, ref, "valid")))) / RATE


def check(out, legs, skews, utterance, minutes):
    failures = []
    with open(os.path.join(out, "manifest.json")) as f:
        m = json.load(f)
    chans, _ = channels_of(os.path.join(out, m["full"]["file"]))
    speakers = [s["name"] for s in m["speakers"]]
    ref = np.frombuffer(utterance, dtype="<i2").astype(float)
    for leg, skew in zip(legs, skews):
        got = [s["start_time"] for s in m["segments"]
               if s["speaker"] == leg.name]
        if len(got) != len(leg.speech):
            failures.append("%s: %d segments for %d utterances"
                            % (leg.name, len(got), len(leg.speech)))
            continue
        worst_seg = worst_audio = 0.0
        for sent, seg in zip(leg.speech, got):
            stamped = sent * skew
            at = onset(chans[speakers.index(leg.name)], stamped, ref)
            worst_seg = max(worst_seg, abs(seg - stamped))
            worst_audio = max(worst_audio, abs(at - stamped))
        print("%-6s clock x%.2f: %d utterances; segments within %.1f ms, "
              "audio within %.1f ms of their time (last at %.1f s)"
              % (leg.name, skew, len(got), worst_seg * 1000,
                 worst_audio * 1000, got[-1]))
        if worst_seg > TOLERANCE or worst_audio > TOLERANCE:
            failures.append("%s drifted: %.1f ms, %.1f ms"
                            % (leg.name, worst_seg * 1000,
                               worst_audio * 1000))
        if leg.hum:
            breaks = hum_breaks(chans[speakers.index(leg.name)], leg, skew,
                                minutes)
            print("%-6s hum: %d breaks" % (leg.name, breaks))
            if breaks:
                failures.append("%s: %d breaks in the hum (audio dropped or "
                                "inserted)" % (leg.name, breaks))
    return failures


def hum_breaks(channel, leg, skew, minutes):
    """Breaks in the hum under @leg, away from its speech: the hum fitted
    (least squares, its frequency give or take the 1 % of resampling) in
    windows of 40 ms every 20 ms keeps its amplitude in every window; a
    piece of silence inserted, or a piece dropped (a jump of its phase),
    takes a quarter of it or more away in the windows around it."""
    x = np.asarray(channel, dtype=float)
    win, hop = RATE // 25, RATE // 50
    t = np.arange(win) / RATE
    basis = np.stack([np.cos(2 * np.pi * HUM_HZ * t),
                      np.sin(2 * np.pi * HUM_HZ * t), np.ones(win)])
    fit = np.linalg.pinv(basis.T)             # 3 x win
    speech = len(leg.utterance) / 2 / RATE
    end = (minutes * 60 * skew - 0.5) * RATE  # (where the leg ends)
    weak = []
    for start in range(0, len(x) - win, hop):
        at = start / RATE
        if start + win > end or any(
                s * skew - 0.5 < at + win / RATE and at < s * skew + speech
                + 0.5 for s in leg.speech):
            continue
        c = fit @ x[start:start + win]
        if np.hypot(c[0], c[1]) < 0.75 * leg.hum:
            weak.append(at)
    # a break weakens the windows around it: count runs of weak windows
    runs = [w for i, w in enumerate(weak) if i == 0 or w - weak[i - 1] > 0.1]
    if runs:
        print("  breaks at (s):", " ".join("%.2f" % w for w in runs[:20]))
    return len(runs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    Gst.init(None)

    utterance = read_utterance()
    n = int(args.minutes)
    failures = []
    for skew in (0.99, 1.01):
        legs = [Leg("caller", [0.5 + 60 * i for i in range(n)], utterance),
                Leg("agent", [30.0 + 60 * i for i in range(n)], utterance,
                    hum=HUM)]
        skews = (1.0, skew)
        out = tempfile.mkdtemp(prefix="clock-drift-")
        if not record(out, legs, skews, args.minutes):
            failures.append("the recording in %s did not end with EOS" % out)
            continue
        found = check(out, legs, skews, utterance, args.minutes)
        failures += found
        # a failed recording is kept to be looked at
        if found:
            print("recorded into", out)
        else:
            shutil.rmtree(out)
    for f in failures:
        print("FAIL:", f)
    if args.check and failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
