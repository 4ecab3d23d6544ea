#!/usr/bin/python3
"""A live call in which one leg never sends anything (the agent's line is
up but silent, or lost): voicetimeline must keep the recording going in real
time, the absent speaker's channel silent, and end when both legs end.

  live_absent_speaker.py [--check]
"""
import argparse
import sys
import threading
import time

import gi
gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

CAPS = "audio/x-raw,format=S16LE,rate=16000,channels=1,layout=interleaved"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    Gst.init(None)

    pipeline = Gst.parse_launch(
        "voicetimeline name=t ! fakesink name=out sync=true "
        "appsrc name=mic is-live=true format=time min-latency=20000000 "
        "caps=%s ! voicesegmenter role=user ! t.sink_0 "
        "appsrc name=tts is-live=true format=time min-latency=20000000 "
        "caps=%s ! voicesegmenter role=agent mode=marked ! t.sink_1"
        % (CAPS, CAPS))
    out = [0]

    def count(pad, info):
        buf = info.get_buffer()
        out[0] += buf.get_size() // 4 * Gst.SECOND // 16000
        return Gst.PadProbeReturn.OK
    pipeline.get_by_name("out").get_static_pad("sink").add_probe(
        Gst.PadProbeType.BUFFER, count)
    pipeline.set_state(Gst.State.PLAYING)

    mic = pipeline.get_by_name("mic")

    def feed():
        for i in range(100):                # 2 s of the user, then hang up
            buf = Gst.Buffer.new_wrapped(bytes(640))
            buf.pts = i * 20 * Gst.MSECOND
            buf.duration = 20 * Gst.MSECOND
            mic.emit("push-buffer", buf)
        mic.emit("end-of-stream")
    feeder = threading.Thread(target=feed)
    feeder.start()
    time.sleep(3)
    at_3s = out[0] / Gst.SECOND
    print("output after 3 s of wall time, the agent absent: %.2f s" % at_3s)
    pipeline.get_by_name("tts").emit("end-of-stream")
    msg = pipeline.get_bus().timed_pop_filtered(
        10 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    feeder.join()
    pipeline.set_state(Gst.State.NULL)
    print("ended with", msg.type.first_value_nick if msg else "nothing")

    # real time, less the pipeline latency (230 ms) and the start-up; had
    # the absent leg stopped the recording, nothing would have come out
    if args.check and not (2.0 <= at_3s <= 3.0 and msg
                           and msg.type == Gst.MessageType.EOS):
        sys.exit(1)


if __name__ == "__main__":
    main()
