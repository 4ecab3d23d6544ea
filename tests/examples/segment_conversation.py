#!/usr/bin/python3
"""Finds who speaks when in a two-party call, reading the spans live from
the bus, as an application embedding the pipeline would.

  segment_conversation.py [USER.wav AGENT.wav] [--check SPANS.txt]

Without files it uses the built-in example conversation from tests/files.
With --check it compares the spans with the known ones (tolerance: one 10 ms
frame) and exits 1 if they differ.
"""
import argparse
import os
import sys

import gi
gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

FILES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "files")


def segment(user_wav, agent_wav):
    pipeline = Gst.parse_launch(
        "filesrc location=%s ! wavparse ! audioconvert ! audioresample ! "
        "voicesegmenter speaker=user role=user ! fakesink sync=false "
        "filesrc location=%s ! wavparse ! audioconvert ! audioresample ! "
        "voicesegmenter speaker=agent role=agent ! fakesink sync=false"
        % (user_wav, agent_wav))
    bus = pipeline.get_bus()
    pipeline.set_state(Gst.State.PLAYING)
    spans = []
    while True:
        msg = bus.timed_pop_filtered(
            Gst.CLOCK_TIME_NONE, Gst.MessageType.ELEMENT
            | Gst.MessageType.EOS | Gst.MessageType.ERROR)
        if msg.type == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            sys.exit("error: %s (%s)" % (err.message, dbg))
        if msg.type == Gst.MessageType.EOS:
            break
        s = msg.get_structure()
        if s.get_name() == "voice-speech-stop":
            start = s.get_uint64("start")[1] / Gst.SECOND
            end = s.get_uint64("end")[1] / Gst.SECOND
            who = s.get_string("speaker")
            print("%-6s %8.2f s - %8.2f s  (%.2f s)"
                  % (who, start, end, end - start), flush=True)
            spans.append((who, start, end))
    pipeline.set_state(Gst.State.NULL)
    return spans


def check(spans, truth_file):
    truth = []
    with open(truth_file) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            who, a, b = line.split()
            truth.append((who, int(a) / 16000, int(b) / 16000))
    ok = len(spans) == len(truth)
    for who, a, b in truth:
        match = [s for s in spans if s[0] == who
                 and abs(s[1] - a) <= 0.01 and abs(s[2] - b) <= 0.01]
        if len(match) != 1:
            print("MISSING: %s %.3f - %.3f" % (who, a, b))
            ok = False
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="*")
    ap.add_argument("--check")
    args = ap.parse_args()
    Gst.init(None)
    user, agent = args.files or (
        os.path.join(FILES, "conversation-user.wav"),
        os.path.join(FILES, "conversation-agent.wav"))
    spans = segment(user, agent)
    print("%d spans" % len(spans))
    if args.check and not check(spans, args.check):
        sys.exit(1)


if __name__ == "__main__":
    main()
