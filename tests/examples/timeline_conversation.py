#!/usr/bin/python3
"""Two speakers of the built-in conversation through voicesegmenter into
voicetimeline, written as a dual-channel WAV; the timeline read live from
the bus.

  timeline_conversation.py [--check]

With --check, exits 1 unless the recording holds each speaker's audio in
its channel to the sample, and the timeline has every turn at its known
time with the right response latencies.
"""
import argparse
import datetime
import os
import sys
import tempfile

import numpy as np

import gi
gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FILES = os.path.join(HERE, "..", "files")
sys.path.insert(0, FILES)
import speechsynth  # noqa: E402


def record(out_wav):
    pipeline = Gst.parse_launch(
        "voicetimeline name=t ! wavenc ! filesink location=%s "
        "filesrc location=%s ! wavparse ! voicesegmenter speaker=alice "
        "role=user ! t.sink_0 "
        "filesrc location=%s ! wavparse ! voicesegmenter speaker=bot "
        "role=agent ! t.sink_1"
        % (out_wav, os.path.join(FILES, "conversation-user.wav"),
           os.path.join(FILES, "conversation-agent.wav")))
    # the bot's tools, at known running times (None would mean "now")
    t = pipeline.get_by_name("t")
    assert t.emit("tool-call", "lookup_flight", '{"date": "friday"}', "c1",
                  5 * Gst.SECOND)
    assert t.emit("tool-result", "lookup_flight", '[{"dep": "15:00"}]', "c1",
                  6 * Gst.SECOND)
    assert not t.emit("tool-call", "broken", "{not json", "c2",
                      Gst.CLOCK_TIME_NONE)
    assert t.emit("tool-result", "orphan", "1", "c9", 7 * Gst.SECOND)
    # transcripts: by segment index, and by speaker at a time
    assert t.emit("set-transcript", None, 0, speechsynth.USER_LINES[0],
                  Gst.CLOCK_TIME_NONE)
    assert t.emit("set-transcript", "bot", -1, speechsynth.AGENT_LINES[0],
                  5 * Gst.SECOND)
    assert t.emit("set-transcript", "bot", -1, b"caf\xe9 \xff".decode(
        "latin-1"), 12 * Gst.SECOND)
    bus = pipeline.get_bus()
    pipeline.set_state(Gst.State.PLAYING)
    events, segments, summary, warnings, started = [], [], None, [], []
    before = datetime.datetime.now(datetime.timezone.utc)
    while True:
        msg = bus.timed_pop_filtered(
            Gst.CLOCK_TIME_NONE, Gst.MessageType.ELEMENT
            | Gst.MessageType.EOS | Gst.MessageType.ERROR
            | Gst.MessageType.WARNING)
        if msg.type == Gst.MessageType.ERROR:
            sys.exit("error: %s" % (msg.parse_error(),))
        if msg.type == Gst.MessageType.WARNING:
            warnings.append(msg.parse_warning()[0].message)
            print("warning:", warnings[-1])
            continue
        if msg.type == Gst.MessageType.EOS:
            break
        s = msg.get_structure()
        if s.get_name() == "voice-timeline-event":
            lat = s.get_double("latency")
            ev = (s.get_string("type"), s.get_double("time")[1],
                  lat[1] if lat[0] else None, s.get_string("name"),
                  s.get_string("args") or s.get_string("result"))
            print("%8.3f s  %-22s%s" % (ev[1], ev[0], "" if ev[2] is None
                                       else "  latency %.3f s" % ev[2]))
            events.append(ev)
        elif s.get_name() == "voice-segment":
            # a segment given out again (with its transcript) replaces it
            idx = s.get_uint("idx")[1]
            segments[:] = [x for x in segments if x[3] != idx]
            segments.append((s.get_string("speaker"),
                             s.get_double("start-time")[1],
                             s.get_double("end-time")[1], idx,
                             s.get_string("transcript")))
        elif s.get_name() == "voice-latency-summary":
            summary = s
        elif s.get_name() == "voice-conversation-start":
            started.append(s.get_string("started-at"))
    pipeline.set_state(Gst.State.NULL)
    # the figures stay readable after the call
    stats = t.get_property("stats")
    assert stats is not None and stats.get_uint("count")[1] == 2, stats
    # the wall-clock time of time zero, once, from this run
    assert len(started) == 1, started
    t0 = datetime.datetime.fromisoformat(started[0].replace("Z", "+00:00"))
    assert before <= t0 <= datetime.datetime.now(datetime.timezone.utc), t0
    return events, segments, summary, warnings


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--out", help="keep the dual-channel recording here")
    args = ap.parse_args()
    Gst.init(None)
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.abspath(args.out) if args.out else \
            os.path.join(tmp, "call.wav")
        events, segments, summary, warnings = record(out)
        if summary is not None:
            print("latency: %d answers, p50 %.3f s, p95 %.3f s; recording: %s"
                  % (summary.get_uint("count")[1],
                     summary.get_double("p50")[1],
                     summary.get_double("p95")[1],
                     out if args.out else "(temporary)"))
        if not args.check:
            return
        import wave
        with wave.open(out) as w:
            assert w.getnchannels() == 2 and w.getframerate() == 16000
            pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2")
        pcm = pcm.reshape(-1, 2)
    ok = True
    for ch, name in ((0, "user"), (1, "agent")):
        src = np.round(speechsynth.read_wav(os.path.join(
            FILES, "conversation-%s.wav" % name))[0] * 32768).astype(int)
        if len(src) != len(pcm) or not np.array_equal(src, pcm[:, ch]):
            print("channel %d is not the %s's audio, sample for sample"
                  % (ch, name))
            ok = False

    truth = {"user": [], "agent": []}
    with open(os.path.join(FILES, "conversation-spans.txt")) as f:
        for line in f:
            if not line.startswith("#"):
                who, a, b = line.split()
                truth[who].append((int(a) / 16000, int(b) / 16000))
    frame = 0.01
    tools = [(e[0], e[1], e[3], e[4]) for e in events if e[0].startswith("tool")]
    if tools != [("tool_call", 5.0, "lookup_flight", '{"date": "friday"}'),
                 ("tool_result", 6.0, "lookup_flight", '[{"dep": "15:00"}]'),
                 ("tool_result", 7.0, "orphan", "1")]:
        print("tools:", tools)
        ok = False
    if not any("orphan" in w and "no matching tool_call" in w
               for w in warnings) or not any("broken" in w for w in warnings):
        print("warnings:", warnings)
        ok = False
    types = [e[0] for e in events if not e[0].startswith("tool")]
    if types != ["user_start_speaking", "user_stop_speaking",
                 "agent_start_speaking", "agent_stop_speaking"] * 2:
        print("timeline:", types)
        ok = False
    starts = [e for e in events if e[0] == "agent_start_speaking"]
    for i, e in enumerate(starts):
        want = truth["agent"][i][0] - truth["user"][i][1]
        if e[2] is None or abs(e[2] - want) > 2 * frame:
            print("latency of answer %d: %s, want %.3f" % (i, e[2], want))
            ok = False
    transcripts = {x[3]: x[4] for x in segments}
    if len(segments) != 4 or transcripts != {
            0: speechsynth.USER_LINES[0], 1: speechsynth.AGENT_LINES[0],
            2: None, 3: "caf\u00e9 \u00ff"}:
        print("segments:", segments)
        ok = False
    if summary is None or summary.get_uint("count")[1] != 2:
        print("summary:", summary)
        ok = False
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
