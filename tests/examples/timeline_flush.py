#!/usr/bin/python3
"""A flushing seek in the middle of a recorded call: voicetimeline forgets
what it had and starts a new conversation at the seek position, whose time
zero is the first output after the flush; voicemanifestsink writes that
conversation in place of the first.

  timeline_flush.py [--check]

With --check, exits 1 unless, after a seek to 8 s, the timeline and the
recording hold exactly the second exchange of the built-in conversation,
timed from 8 s, with its latency.
"""
import argparse
import json
import os
import sys
import tempfile

import gi
gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

FILES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "files")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    Gst.init(None)
    tmp = tempfile.TemporaryDirectory()
    out = os.path.join(tmp.name, "call")
    pipeline = Gst.parse_launch(
        "voicetimeline name=t ! voicemanifestsink location=%s "
        "filesrc location=%s ! wavparse ! voicesegmenter role=user ! t.sink_0 "
        "filesrc location=%s ! wavparse ! voicesegmenter role=agent ! t.sink_1"
        % (out, os.path.join(FILES, "conversation-user.wav"),
           os.path.join(FILES, "conversation-agent.wav")))
    pipeline.set_state(Gst.State.PAUSED)
    pipeline.get_state(Gst.CLOCK_TIME_NONE)
    assert pipeline.seek_simple(Gst.Format.TIME, Gst.SeekFlags.FLUSH
                                | Gst.SeekFlags.ACCURATE, 8 * Gst.SECOND)
    pipeline.set_state(Gst.State.PLAYING)
    bus = pipeline.get_bus()
    events = []
    while True:
        msg = bus.timed_pop_filtered(
            30 * Gst.SECOND, Gst.MessageType.ELEMENT | Gst.MessageType.EOS
            | Gst.MessageType.ERROR)
        if not msg or msg.type != Gst.MessageType.ELEMENT:
            break
        s = msg.get_structure()
        if s.get_name() == "voice-timeline-event":
            lat = s.get_double("latency")
            events.append((s.get_string("type"), s.get_double("time")[1],
                           lat[1] if lat[0] else None))
            print("%8.3f s  %s" % (events[-1][1], events[-1][0]))
    pipeline.set_state(Gst.State.NULL)
    if not args.check:
        return

    # the second exchange: user 8.39-11.13 s, agent from 11.72 s
    want = [("user_start_speaking", 0.39), ("user_stop_speaking", 3.13),
            ("agent_start_speaking", 3.72), ("agent_stop_speaking", 7.54)]
    ok = msg is not None and msg.type == Gst.MessageType.EOS \
        and [e[0] for e in events] == [w[0] for w in want] \
        and all(abs(e[1] - w[1]) < 1e-6 for e, w in zip(events, want)) \
        and abs(events[2][2] - 0.59) < 1e-6
    with open(os.path.join(out, "manifest.json")) as f:
        m = json.load(f)
    files = sorted(os.listdir(os.path.join(out, "segments")))
    print("recording:", files, "full %.3f s" % m["full"]["duration"])
    ok = ok and [s["file"] for s in m["segments"]] == [
        "segments/00-user-0390ms.wav", "segments/01-agent-3720ms.wav"] \
        and files == ["00-user-0390ms.wav", "01-agent-3720ms.wav"] \
        and abs(m["full"]["duration"] - (17.435 - 8)) < 1e-6 \
        and m["latency"]["measurements"] == [0.59]
    tmp.cleanup()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
