#!/usr/bin/python3
"""The recorder's main job: the built-in two-party conversation through
voicesegmenter, voicetimeline and voicemanifestsink into a directory (a
file per speech segment, the whole conversation, manifest.json), with a
tool call and transcripts from the application, the timeline printed live
from the bus.

  record_conversation.py [--out DIR] [--format wav|flac|ogg|opus|mp3]
                         [--layout mixed|channels] [--barge-in] [--check]

--barge-in records another conversation instead, synthesized with espeak-ng
on the spot: the user talks over the agent's second answer, and the agent
stops 0.4 s later (interruption_conversation.py's).

With --check, exits 1 unless the directory holds what a user relies on:
each segment file is exactly its speaker's samples at the manifest's times
(decoded back for the lossy formats: the right length), the full file is
the whole call, time-aligned, and the manifest has the reference's members
and every segment, event and latency.
"""
import argparse
import json
import os
import sys
import tempfile
import wave

import numpy as np

import gi
gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FILES = os.path.join(HERE, "..", "files")
sys.path.insert(0, FILES)
import speechsynth  # noqa: E402

RATE = 16000
# the reference's manifest members, in its order, then the added ones
REFERENCE_MEMBERS = ["generated_at", "duration", "segment_count", "segments",
                     "events"]
ADDED_MEMBERS = ["version", "started_at", "sample_rate", "format", "full",
                 "speakers", "latency"]
SEGMENT_MEMBERS = ["idx", "file", "role", "start_time", "end_time",
                   "duration", "transcript"]


def record(out, fmt, layout, user=None, agent=None):
    user = user or os.path.join(FILES, "conversation-user.wav")
    agent = agent or os.path.join(FILES, "conversation-agent.wav")
    pipeline = Gst.parse_launch(
        "voicetimeline name=t ! voicemanifestsink location=\"%s\" format=%s "
        "full-layout=%s "
        "filesrc location=\"%s\" ! wavparse ! voicesegmenter speaker=alice "
        "role=user ! t.sink_0 "
        "filesrc location=\"%s\" ! wavparse ! voicesegmenter speaker=bot "
        "role=agent ! t.sink_1"
        % (out, fmt, layout, user, agent))
    t = pipeline.get_by_name("t")
    # the bot looks a flight up while it answers (running times)
    t.emit("tool-call", "lookup_flight", '{"date": "friday"}', "c1",
           5 * Gst.SECOND)
    t.emit("tool-result", "lookup_flight", '[{"dep": "15:00"}]', "c1",
           6 * Gst.SECOND)
    t.emit("set-transcript", "alice", 0, speechsynth.USER_LINES[0],
           Gst.CLOCK_TIME_NONE)
    t.emit("set-transcript", "bot", -1, speechsynth.AGENT_LINES[0],
           5 * Gst.SECOND)

    bus = pipeline.get_bus()
    pipeline.set_state(Gst.State.PLAYING)
    files, final = [], None
    while True:
        msg = bus.timed_pop_filtered(
            Gst.CLOCK_TIME_NONE, Gst.MessageType.ELEMENT
            | Gst.MessageType.EOS | Gst.MessageType.ERROR
            | Gst.MessageType.WARNING)
        if msg.type == Gst.MessageType.ERROR:
            pipeline.set_state(Gst.State.NULL)
            sys.exit("error: %s" % (msg.parse_error(),))
        if msg.type == Gst.MessageType.WARNING:
            print("warning:", msg.parse_warning()[0].message)
            continue
        if msg.type == Gst.MessageType.EOS:
            break
        s = msg.get_structure()
        if s.get_name() == "voice-timeline-event":
            ok, lat = s.get_double("latency")
            print("%8.3f s  %-22s%s%s" % (
                s.get_double("time")[1], s.get_string("type"),
                "  latency %.3f s" % lat if ok else "",
                "  " + s.get_string("name") if s.has_field("name") else ""))
        elif s.get_name() == "voice-file-written":
            files.append(s.get_string("file"))
        elif s.get_name() == "voice-manifest-final":
            final = s.get_string("location")
    pipeline.set_state(Gst.State.NULL)
    return files, final


def summary(out):
    with open(os.path.join(out, "manifest.json")) as f:
        m = json.load(f)
    lat = m["latency"]
    interruptions = sum(e["type"] == "user_interrupt" for e in m["events"])
    print("%d segments, %d events, %.2f s; latency p50 %s, p95 %s; "
          "%d interruptions" % (
              m["segment_count"], len(m["events"]), m["full"]["duration"],
              "%.3f s" % lat["p50"] if lat["p50"] is not None else "n/a",
              "%.3f s" % lat["p95"] if lat["p95"] is not None else "n/a",
              interruptions))
    print("recording in %s: manifest.json, %s, segments/" % (
        out, m["full"]["file"]))
    return m


def decode(path, rate=RATE):
    """A file decoded back to S16 frames (16 kHz), every channel."""
    pipeline = Gst.parse_launch(
        "filesrc location=\"%s\" ! decodebin ! audioconvert ! audioresample "
        "! audio/x-raw,format=S16LE,rate=%d ! appsink name=out sync=false"
        % (path, rate))
    sink = pipeline.get_by_name("out")
    pipeline.set_state(Gst.State.PLAYING)
    chunks, channels = [], 1
    while True:
        sample = sink.emit("pull-sample")
        if sample is None:
            break
        channels = sample.get_caps().get_structure(0).get_int("channels")[1]
        buf = sample.get_buffer()
        chunks.append(np.frombuffer(buf.extract_dup(0, buf.get_size()),
                                    "<i2"))
    pipeline.set_state(Gst.State.NULL)
    if not chunks:
        return np.zeros((0, channels), "<i2")
    return np.concatenate(chunks).reshape(-1, channels)


def read_pcm_wav(path):
    with wave.open(path) as w:
        assert w.getframerate() == RATE and w.getsampwidth() == 2
        n = w.getnchannels()
        return np.frombuffer(w.readframes(w.getnframes()),
                             "<i2").reshape(-1, n)


def check(out, m, fmt, layout, files):
    ok = True

    def bad(*what):
        nonlocal ok
        print("check:", *what)
        ok = False

    inputs = {
        "alice": np.round(speechsynth.read_wav(os.path.join(
            FILES, "conversation-user.wav"))[0] * 32768).astype(int),
        "bot": np.round(speechsynth.read_wav(os.path.join(
            FILES, "conversation-agent.wav"))[0] * 32768).astype(int),
    }
    members = list(m)
    if members != REFERENCE_MEMBERS + ADDED_MEMBERS:
        bad("manifest members", members)
    if m["format"] != fmt or m["sample_rate"] != RATE:
        bad("format", m["format"], m["sample_rate"])
    if [(s["name"], s["role"], s["channel"]) for s in m["speakers"]] != [
            ("alice", "user", 0), ("bot", "agent", 1)]:
        bad("speakers", m["speakers"])

    # segments: the true spans (the segmenter is within 20 ms of them)
    truth = []
    with open(os.path.join(FILES, "conversation-spans.txt")) as f:
        for line in f:
            if not line.startswith("#"):
                who, a, b = line.split()
                truth.append((int(a) / RATE, int(b) / RATE, who))
    truth.sort()
    segs = m["segments"]
    if m["segment_count"] != len(truth) or len(segs) != len(truth):
        bad("segment count", m["segment_count"])
        return False
    lossless = fmt in ("wav", "flac")
    for i, (seg, (a, b, role)) in enumerate(zip(segs, truth)):
        if list(seg)[:7] != SEGMENT_MEMBERS or seg["idx"] != i \
                or seg["role"] != role:
            bad("segment", seg)
        if abs(seg["start_time"] - a) > 0.02 or abs(seg["end_time"] - b) > 0.02:
            bad("segment %d at %.3f-%.3f, spoken %.3f-%.3f" % (
                i, seg["start_time"], seg["end_time"], a, b))
        name = "segments/%02d-%s-%04dms.%s" % (
            i, role, int(seg["start_time"] * 1000), fmt)
        if seg["file"] != name or name not in files:
            bad("segment file", seg["file"], "not", name)
            continue
        s0, s1 = (int(round(seg[k] * RATE)) for k in ("start_time",
                                                      "end_time"))
        want = inputs[seg["speaker"]][s0:s1]
        got = decode(os.path.join(out, name))[:, 0]
        if lossless and not np.array_equal(got, want):
            bad("%s is not the %s's samples %d-%d" % (name, seg["speaker"],
                                                     s0, s1))
        # lamemp3enc writes no gapless header: the decoder adds the encoder
        # delay and the last frame's padding, under three 576-sample frames
        slack = 0 if fmt != "mp3" else 1728
        if abs(len(got) - len(want)) > slack:
            bad("%s has %d frames, not %d" % (name, len(got), len(want)))
    if segs[0]["transcript"] != speechsynth.USER_LINES[0] or \
            segs[1]["transcript"] != speechsynth.AGENT_LINES[0]:
        bad("transcripts", [s["transcript"] for s in segs])

    # the full file: the whole call on one clock
    full = decode(os.path.join(out, m["full"]["file"]))
    n = len(inputs["alice"])
    if abs(m["full"]["duration"] - n / RATE) > 1e-9:
        bad("full duration", m["full"]["duration"])
    slack = 0 if fmt != "mp3" else 1728
    if abs(len(full) - n) > slack:
        bad("full file has %d frames, not %d" % (len(full), n))
    elif lossless:
        if layout == "channels":
            want = np.stack([inputs["alice"], inputs["bot"]], axis=1)
        else:
            want = np.clip(inputs["alice"] + inputs["bot"], -32768,
                           32767)[:, None]
        if not np.array_equal(full, want):
            bad("the full file is not the conversation, sample for sample")

    # the timeline and the figures
    types = [e["type"] for e in m["events"]]
    if types.count("tool_call") != 1 or types.count("tool_result") != 1:
        bad("events", types)
    call = next(e for e in m["events"] if e["type"] == "tool_call")
    if call["time"] != 5.0 or call["args"] != {"date": "friday"}:
        bad("tool call", call)
    answers = [e for e in m["events"] if e["type"] == "agent_start_speaking"]
    lat = m["latency"]
    if [e["latency"] for e in answers] != lat["measurements"] or \
            lat["count"] != 2:
        bad("latency", lat)
    for e, (a, b) in zip(answers, [(truth[0][1], truth[1][0]),
                                   (truth[2][1], truth[3][0])]):
        if abs(e["latency"] - (b - a)) > 0.02:
            bad("answer latency %.3f, spoken %.3f" % (e["latency"], b - a))
    return ok


def check_barge_in(m, response):
    """The interruption: its event, the truncated answer, the figure."""
    ok = True
    events = [e for e in m["events"] if e["type"] == "user_interrupt"]
    truncated = [s for s in m["segments"] if s.get("transcript_truncated")]
    irt = m["latency"]["interrupt_response_time"]
    if len(events) != 1 or abs(events[0]["metadata"]["response_time"]
                               - response) > 0.03:
        print("check: interruptions", events, "want response", response)
        ok = False
    if len(truncated) != 1 or truncated[0]["role"] != "agent":
        print("check: truncated segments", truncated)
        ok = False
    if irt is None or abs(irt - response) > 0.03:
        print("check: interrupt_response_time", irt, "want", response)
        ok = False
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", help="the recording's directory (default: "
                    "a temporary one)")
    ap.add_argument("--format", default="wav",
                    choices=["wav", "flac", "ogg", "opus", "mp3"])
    ap.add_argument("--layout", default="mixed",
                    choices=["mixed", "channels"])
    ap.add_argument("--barge-in", action="store_true")
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    Gst.init(None)
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.abspath(args.out) if args.out else \
            os.path.join(tmp, "call")
        legs, response = (None, None), None
        if args.barge_in:
            sys.path.insert(0, HERE)
            import interruption_conversation
            response = interruption_conversation.make(tmp)[2]
            legs = (os.path.join(tmp, "user.wav"),
                    os.path.join(tmp, "agent.wav"))
        files, final = record(out, args.format, args.layout, *legs)
        m = summary(out)
        if not args.out:
            print("(a temporary directory, removed now: --out DIR keeps "
                  "the recording)")
        if final != os.path.join(out, "manifest.json"):
            sys.exit("no voice-manifest-final message")
        if args.check and args.barge_in and not check_barge_in(m, response):
            sys.exit(1)
        if args.check and not args.barge_in and \
                not check(out, m, args.format, args.layout, files):
            sys.exit(1)


if __name__ == "__main__":
    main()
