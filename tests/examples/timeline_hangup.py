#!/usr/bin/python3
"""A call hung up the way applications usually do it: the pipeline is set
to NULL in the middle, without EOS. voicetimeline decides what was still
pending with what it received, posts it, and keeps the final figures in its
"stats" property; voicemanifestsink asks it for the same when it goes down
first, so the recording holds everything the timeline posted.

  timeline_hangup.py [--queue] [--check]
"""
import argparse
import json
import os
import sys
import tempfile
import time

import gi
gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

FILES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "files")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--queue", action="store_true",
                    help="a queue between the timeline and the sink, which "
                    "holds what the timeline gave out when it is hung up")
    args = ap.parse_args()
    Gst.init(None)
    # the sink keeps real time, so the call is at 6 s when we hang up
    tmp = tempfile.TemporaryDirectory()
    out = os.path.join(tmp.name, "call")
    pipeline = Gst.parse_launch(
        "voicetimeline name=t ! %s voicemanifestsink sync=true location=%s "
        "filesrc location=%s ! wavparse ! voicesegmenter role=user ! t.sink_0 "
        "filesrc location=%s ! wavparse ! voicesegmenter role=agent ! t.sink_1"
        % ("queue !" if args.queue else "", out,
           os.path.join(FILES, "conversation-user.wav"),
           os.path.join(FILES, "conversation-agent.wav")))
    seen = []

    def sync_handler(bus, msg):
        s = msg.get_structure()
        if msg.type == Gst.MessageType.ELEMENT and s.get_name() in (
                "voice-timeline-event", "voice-latency-summary"):
            seen.append(s.get_name() if s.get_name() != "voice-timeline-event"
                        else s.get_string("type"))
        return Gst.BusSyncReply.PASS
    pipeline.get_bus().set_sync_handler(sync_handler)
    pipeline.set_state(Gst.State.PLAYING)
    time.sleep(6)
    pipeline.set_state(Gst.State.NULL)          # hang up, no EOS
    stats = pipeline.get_by_name("t").get_property("stats")
    print("seen:", seen)
    print("stats:", stats.to_string() if stats else None)
    if not args.check:
        return
    # the answer at 4.65 s was still pending (settle-time 1.5 s) when the
    # call was hung up at 6 s: it must be in, with its latency
    ok = stats is not None and stats.get_uint("count")[1] == 1 \
        and abs(stats.get_double("p50")[1] - 0.6) < 1e-6 \
        and "agent_start_speaking" in seen \
        and seen[-1] == "voice-latency-summary"

    # the recording: every event posted, the agent's open segment closed at
    # the hang-up, the figures final
    with open(os.path.join(out, "manifest.json")) as f:
        m = json.load(f)
    types = [e["type"] for e in m["events"]]
    print("manifest events:", types)
    print("segments:", [(x["file"], x["end_time"]) for x in m["segments"]])
    posted = [x for x in seen if x != "voice-latency-summary"]
    segs = m["segments"]
    ok = ok and types == posted and len(segs) == 2 \
        and segs[0]["file"] == "segments/00-user-0500ms.wav" \
        and segs[1]["file"] == "segments/01-agent-4650ms.wav" \
        and abs(segs[1]["end_time"] - m["full"]["duration"]) < 0.05 \
        and m["latency"]["measurements"] == [0.6] \
        and m["latency"]["time_to_first_byte"] == 0.6 \
        and all(os.path.exists(os.path.join(out, x["file"])) for x in segs)
    tmp.cleanup()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
