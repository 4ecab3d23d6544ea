#!/usr/bin/python3
"""A voice bot that records its calls by embedding the pipeline: the user's
microphone and the bot's own TTS go in through two live appsrc elements,
timestamped from the pipeline clock; the bot marks its TTS spans, adds a
tool call and its result while the call goes on, prints the timeline live
from the bus, and hangs up by setting the pipeline to NULL.

  voice_bot.py [--out DIR] [--check]

The microphone is paced at real time, 20 ms a buffer. The TTS arrives as
the bot's TTS service gives it, a whole answer at once (a burst, faster than
real time), stamped with the times it is to be played at: the live pipeline
plays it out at real time. With --check, exits 1 unless the manifest holds
every event (the last ones, still pending when the call was hung up,
included), each latency within 30 ms of the true one, the bot's segments to
the sample, and the tool call with its result.
"""
import argparse
import json
import os
import sys
import tempfile
import threading
import time

import numpy as np

import gi
gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

FILES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "files")
sys.path.insert(0, FILES)
import speechsynth  # noqa: E402

RATE = 16000
CHUNK = 320          # 20 ms
CAPS = "audio/x-raw,format=S16LE,rate=%d,channels=1,layout=interleaved" % RATE
TOLERANCE = 0.030


def utterances(who):
    """The spoken spans of the built-in conversation, as int16 arrays."""
    audio = speechsynth.read_wav(os.path.join(
        FILES, "conversation-%s.wav" % who))[0]
    out = []
    with open(os.path.join(FILES, "conversation-spans.txt")) as f:
        for line in f:
            if line.startswith(who + " "):
                a, b = (int(x) for x in line.split()[1:])
                out.append((audio[a:b] * 32767).astype("<i2"))
    return out


class Bot:
    """The script of the call: who says what when, in running time."""

    def __init__(self):
        self.user = utterances("user")
        self.answers = [a[:int(1.2 * RATE)] for a in utterances("agent")]
        self.user_at = [0.3, 0.3 + len(self.user[0]) / RATE + 2.35]
        self.user_end = [t + len(u) / RATE
                         for t, u in zip(self.user_at, self.user)]
        self.think = [0.6, 0.45]          # the bot's response latencies
        self.answer_at = [e + d for e, d in zip(self.user_end, self.think)]
        self.hang_up_at = self.answer_at[1] + len(self.answers[1]) / RATE \
            + 0.4

    def microphone(self):
        n = int(self.hang_up_at * RATE) + RATE
        mic = np.zeros(n, "<i2")
        for t, u in zip(self.user_at, self.user):
            mic[int(t * RATE):int(t * RATE) + len(u)] = u
        return mic


def running_time(pipeline):
    clock = pipeline.get_clock()
    if clock is None:
        return None
    return clock.get_time() - pipeline.get_base_time()


def wait_until(pipeline, t, stop):
    while not stop.is_set():
        now = running_time(pipeline)
        if now is not None and now >= t:
            return True
        time.sleep(0.002)
    return False


def buffer_at(pcm, t):
    buf = Gst.Buffer.new_wrapped(pcm.tobytes())
    buf.pts = t
    buf.duration = Gst.util_uint64_scale_int(len(pcm), Gst.SECOND, RATE)
    return buf


def microphone(pipeline, src, mic, stop):
    """20 ms at a time, each pushed once captured, stamped with the clock."""
    for pos in range(0, len(mic), CHUNK):
        t = Gst.util_uint64_scale_int(pos, Gst.SECOND, RATE)
        if not wait_until(pipeline, t + 20 * Gst.MSECOND, stop):
            return
        if src.emit("push-buffer", buffer_at(mic[pos:pos + CHUNK], t)) \
                != Gst.FlowReturn.OK:
            return


def mark(speaking):
    return Gst.Event.new_custom(
        Gst.EventType.CUSTOM_DOWNSTREAM, Gst.Structure.new_from_string(
            "voice-speech-mark, speaking=(boolean)%s" % str(speaking).lower()))


def tts(pipeline, src, timeline, bot, stop):
    """Each answer: a tool call while the bot thinks, then the TTS, given
    all at once a little before it is due, marked, stamped for playout."""
    for turn, (due, answer) in enumerate(zip(bot.answer_at, bot.answers)):
        if not wait_until(pipeline, int((bot.user_end[turn] + 0.2)
                                        * Gst.SECOND), stop):
            return
        if turn == 0:
            # stamped with the bot's own running time: the timeline's "now"
            # (CLOCK_TIME_NONE) is how far its output got, the latency
            # (210 ms) behind, before the user's stop that the bot heard
            timeline.emit("tool-call", "lookup_booking", '{"name": "Smith"}',
                          "c1", running_time(pipeline))
            time.sleep(0.15)
            timeline.emit("tool-result", "lookup_booking",
                          '{"flight": "UA 100", "day": "friday"}', "c1",
                          running_time(pipeline))
        if not wait_until(pipeline, int((due - 0.2) * Gst.SECOND), stop):
            return
        start = int(round(due * RATE))
        src.send_event(mark(True))
        for pos in range(0, len(answer), CHUNK):
            t = Gst.util_uint64_scale_int(start + pos, Gst.SECOND, RATE)
            if src.emit("push-buffer", buffer_at(answer[pos:pos + CHUNK], t)) \
                    != Gst.FlowReturn.OK:
                return
        src.send_event(mark(False))


def run(out, bot):
    pipeline = Gst.parse_launch(
        "voicetimeline name=t ! voicemanifestsink name=rec location=\"%s\" "
        "full-layout=channels "
        "appsrc name=mic is-live=true format=time min-latency=20000000 "
        "caps=%s ! voicesegmenter speaker=caller role=user ! t.sink_0 "
        "appsrc name=tts is-live=true format=time min-latency=20000000 "
        "max-bytes=1000000 caps=%s ! voicesegmenter mode=marked speaker=bot "
        "role=agent ! t.sink_1" % (out, CAPS, CAPS))
    timeline = pipeline.get_by_name("t")
    loop = GLib.MainLoop()
    errors = []

    def on_message(bus, msg):
        if msg.type == Gst.MessageType.ERROR:
            errors.append(msg.parse_error())
            loop.quit()
        elif msg.type == Gst.MessageType.ELEMENT:
            s = msg.get_structure()
            if s.get_name() == "voice-timeline-event":
                ok, lat = s.get_double("latency")
                print("%7.3f s  %-21s%s" % (
                    s.get_double("time")[1], s.get_string("type"),
                    "  latency %.3f s" % lat if ok else ""), flush=True)
        return True

    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)
    stop = threading.Event()
    pipeline.set_state(Gst.State.PLAYING)
    threads = [
        threading.Thread(target=microphone, args=(
            pipeline, pipeline.get_by_name("mic"), bot.microphone(), stop)),
        threading.Thread(target=tts, args=(
            pipeline, pipeline.get_by_name("tts"), timeline, bot, stop)),
    ]
    for t in threads:
        t.start()

    def hang_up():
        now = running_time(pipeline)
        if now is None or now < bot.hang_up_at * Gst.SECOND:
            return True
        print("%7.3f s  (hang up)" % (now / Gst.SECOND), flush=True)
        loop.quit()
        return False
    GLib.timeout_add(10, hang_up)
    loop.run()
    stop.set()
    pipeline.set_state(Gst.State.NULL)      # no EOS: the usual hang-up
    for t in threads:
        t.join()
    bus.remove_signal_watch()
    if errors:
        sys.exit("error: %s" % (errors[0],))


def check(out, bot):
    with open(os.path.join(out, "manifest.json")) as f:
        m = json.load(f)
    ok = True

    def bad(*what):
        nonlocal ok
        print("check:", *what)
        ok = False

    types = [e["type"] for e in m["events"]]
    want = ["user_start_speaking", "user_stop_speaking", "tool_call",
            "tool_result", "agent_start_speaking", "agent_stop_speaking",
            "user_start_speaking", "user_stop_speaking",
            "agent_start_speaking", "agent_stop_speaking"]
    if types != want:
        bad("events", types)
        return False
    call, result = m["events"][2], m["events"][3]
    if call["args"] != {"name": "Smith"} or result["result"] != {
            "flight": "UA 100", "day": "friday"} or \
            call["metadata"] != {"call_id": "c1"}:
        bad("tools", call, result)
    answers = [e for e in m["events"] if e["type"] == "agent_start_speaking"]
    for e, at, think in zip(answers, bot.answer_at, bot.think):
        if abs(e["time"] - at) > 1e-4 or "latency" not in e \
                or abs(e["latency"] - think) > TOLERANCE:
            bad("answer at %.3f s, latency %s; spoken at %.3f s after %.3f s"
                % (e["time"], e.get("latency"), at, think))
    lat = m["latency"]
    if lat["count"] != 2 or lat["measurements"] != [e["latency"]
                                                    for e in answers]:
        bad("latency", lat)
    segs = m["segments"]
    if [s["role"] for s in segs] != ["user", "agent", "user", "agent"]:
        bad("segments", segs)
        return False
    for seg, at, answer in zip(segs[1::2], bot.answer_at, bot.answers):
        with open(os.path.join(out, seg["file"]), "rb") as f:
            data = f.read()
        n = (len(data) - 44) // 2
        if abs(seg["start_time"] - at) > 1e-4 or n != len(answer) or \
                not np.array_equal(np.frombuffer(data[44:], "<i2"), answer):
            bad("%s: %d samples from %.4f s, the answer has %d from %.4f s"
                % (seg["file"], n, seg["start_time"], len(answer), at))
    for seg, at, end in zip(segs[0::2], bot.user_at, bot.user_end):
        if abs(seg["start_time"] - at) > TOLERANCE or \
                abs(seg["end_time"] - end) > TOLERANCE:
            bad("user segment %.3f-%.3f, spoken %.3f-%.3f" % (
                seg["start_time"], seg["end_time"], at, end))
    if m["full"]["layout"] != "channels" or \
            abs(m["full"]["duration"] - bot.hang_up_at) > 0.5:
        bad("full", m["full"])
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", help="the recording's directory")
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    Gst.init(None)
    bot = Bot()
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.abspath(args.out) if args.out else \
            os.path.join(tmp, "call")
        run(out, bot)
        print("recording in", out if args.out else "(temporary)")
        if args.check and not check(out, bot):
            sys.exit(1)


if __name__ == "__main__":
    main()
