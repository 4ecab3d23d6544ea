#!/usr/bin/python3
"""End to end on synthesized speech: a user asks, the agent answers, the
user asks again, and while the agent answers a second time the user talks
over it; the agent stops 0.4 s later, as a bot that handles barge-in does.
Both streams go through voicesegmenter into voicetimeline.

  interruption_conversation.py [--check]

With --check, exits 1 unless every expected event is found within 30 ms of
its true time, every latency within 30 ms, the talked-over agent segment is
truncated and the interrupt response time is right within 30 ms.
"""
import argparse
import os
import sys
import tempfile

import numpy as np

import gi
gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

FILES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "files")
sys.path.insert(0, FILES)
import speechsynth  # noqa: E402

RATE = 16000
TOLERANCE = 0.030


def make(tmp):
    """Writes the two streams; returns the true events and figures."""
    say = lambda text, voice: speechsynth.synth(text, voice, RATE)  # noqa
    u1 = say(speechsynth.USER_LINES[0], speechsynth.USER_VOICE)
    a1 = say(speechsynth.AGENT_LINES[0], speechsynth.AGENT_VOICE)
    u2 = say(speechsynth.USER_LINES[1], speechsynth.USER_VOICE)
    a2 = say(speechsynth.AGENT_LINES[1], speechsynth.AGENT_VOICE)
    u3 = say(speechsynth.USER_LINES[2], speechsynth.USER_VOICE)

    s = lambda t: int(round(t * RATE))  # noqa
    t_u1 = 0.5
    t_a1 = t_u1 + len(u1) / RATE + 0.7       # answers after 700 ms
    t_u2 = t_a1 + len(a1) / RATE + 1.5
    t_a2 = t_u2 + len(u2) / RATE + 0.45      # answers after 450 ms
    t_u3 = t_a2 + 1.2                        # the user talks over it...
    a2 = a2[: s(t_u3 + 0.4 - t_a2)]          # ...and it stops 400 ms later
    total = t_u3 + len(u3) / RATE + 1.5

    user = np.zeros(s(total), np.float32)
    agent = np.zeros(s(total), np.float32)
    spans = []
    for stream, audio, t, who in ((user, u1, t_u1, "user"),
                                  (agent, a1, t_a1, "agent"),
                                  (user, u2, t_u2, "user"),
                                  (agent, a2, t_a2, "agent"),
                                  (user, u3, t_u3, "user")):
        stream[s(t):s(t) + len(audio)] = audio
        spans.append((who, s(t) / RATE, (s(t) + len(audio)) / RATE))
    speechsynth.write_wav(os.path.join(tmp, "user.wav"), user, RATE)
    speechsynth.write_wav(os.path.join(tmp, "agent.wav"), agent, RATE)

    expected = []
    for who, start, end in spans:
        expected.append((start, "%s_start_speaking" % who))
        expected.append((end, "%s_stop_speaking" % who))
    u3_start = spans[4][1]
    expected.append((u3_start, "user_interrupt"))
    latencies = [spans[1][1] - spans[0][2], spans[3][1] - spans[2][2]]
    interrupt_response = spans[3][2] - u3_start
    return sorted(expected), latencies, interrupt_response


def run(tmp):
    pipeline = Gst.parse_launch(
        "voicetimeline name=t ! fakesink "
        "filesrc location=%s ! wavparse ! voicesegmenter speaker=caller "
        "role=user ! t.sink_0 "
        "filesrc location=%s ! wavparse ! voicesegmenter speaker=bot "
        "role=agent ! t.sink_1"
        % (os.path.join(tmp, "user.wav"), os.path.join(tmp, "agent.wav")))
    bus = pipeline.get_bus()
    pipeline.set_state(Gst.State.PLAYING)
    events, segments = [], {}
    while True:
        msg = bus.timed_pop_filtered(
            Gst.CLOCK_TIME_NONE, Gst.MessageType.ELEMENT
            | Gst.MessageType.EOS | Gst.MessageType.ERROR)
        if msg.type == Gst.MessageType.ERROR:
            sys.exit("error: %s" % (msg.parse_error(),))
        if msg.type == Gst.MessageType.EOS:
            break
        s = msg.get_structure()
        if s.get_name() == "voice-timeline-event":
            lat = s.get_double("latency")
            events.append((s.get_double("time")[1], s.get_string("type"),
                           lat[1] if lat[0] else None,
                           s.get_string("metadata")))
            print("%8.3f s  %-22s %s" % (events[-1][0], events[-1][1],
                                         "" if lat[0] is False else
                                         "latency %.3f s" % lat[1]))
        elif s.get_name() == "voice-segment":
            segments[s.get_uint("idx")[1]] = (
                s.get_string("speaker"),
                s.get_boolean("transcript-truncated")[1])
    stats = pipeline.get_by_name("t").get_property("stats")
    pipeline.set_state(Gst.State.NULL)
    return sorted(events), segments, stats


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    Gst.init(None)
    with tempfile.TemporaryDirectory() as tmp:
        expected, latencies, response = make(tmp)
        events, segments, stats = run(tmp)
    if not args.check:
        return
    ok = len(events) == len(expected)
    for t, kind in expected:
        if not any(e[1] == kind and abs(e[0] - t) <= TOLERANCE
                   for e in events):
            print("MISSING %s at %.3f s" % (kind, t))
            ok = False
    found = [e[2] for e in events if e[1] == "agent_start_speaking"]
    if len(found) != 2 or any(f is None or abs(f - w) > TOLERANCE
                              for f, w in zip(found, latencies)):
        print("latencies %s, want %s" % (found, latencies))
        ok = False
    truncated = [idx for idx, (who, tr) in segments.items() if tr]
    if truncated != [3] or segments[3][0] != "bot":
        print("truncated segments:", truncated)
        ok = False
    irt = stats.get_double("interrupt-response-time")
    if not irt[0] or abs(irt[1] - response) > TOLERANCE:
        print("interrupt response %s, want %.3f" % (irt, response))
        ok = False
    print("latencies %s (true %s), interrupt response %.3f s (true %.3f)"
          % (["%.3f" % f for f in found], ["%.3f" % w for w in latencies],
             irt[1], response))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
