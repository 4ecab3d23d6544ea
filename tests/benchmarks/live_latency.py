#!/usr/bin/python3
"""The latency that voicesegmenter, voicetimeline and voicemanifestsink add
to a live call, as they report it (LATENCY query) and as measured on the
buffers.

One call: two live legs (audiotestsrc is-live=true, 8 kHz, 20 ms buffers,
tone bursts with pauses that the segmenter takes for speech), each through
a voicesegmenter (detect mode) into voicetimeline, into voicemanifestsink
(WAV). Reported: the LATENCY answer at each source, after each segmenter
and after the timeline; what the three elements add is the timeline's
answer less the sources'. Measured: for every output buffer, when its
first sample reached the manifest sink less when the same sample left its
source (arrival at the segmenter), both on the pipeline clock; the median
and the maximum over the run. The target: no more than the segmenter's
decision window plus one output buffer (voicetimeline's
output-buffer-duration, 20 ms live). The window, as README documents it:
the hold-back (min-speech + 120 ms by default) and, live, 40 ms within
which the audio held back leaves when a leg stops sending (20 ms of slack
and a period of the stall watch).

  meson devenv -C build /usr/bin/python3 ../tests/benchmarks/live_latency.py \
      [--seconds 20] [--check]

--check exits 1 if the reported latency is over the target (the measured
delay is printed, never judged: it is wall-clock).
"""
import argparse
import bisect
import os
import statistics
import sys
import tempfile
import time

import gi
gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

RATE = 8000
BUFFER_MS = 20
# a leg "speaks" in tone bursts: 1.3-1.6 s on, the rest of the interval off
LEGS = (("user", 300, 400, 3000), ("agent", 500, 800, 3700))


def source(name, freq, periods, interval_ms):
    return ("audiotestsrc name=%s is-live=true wave=ticks freq=%d "
            "sine-periods-per-tick=%d tick-interval=%d samplesperbuffer=%d "
            "volume=0.3 ! audio/x-raw,format=S16LE,rate=%d,channels=1"
            % (name, freq, periods, interval_ms * Gst.MSECOND,
               RATE * BUFFER_MS // 1000, RATE))


def query_latency(pad):
    q = Gst.Query.new_latency()
    if not pad.query(q):
        return None
    live, lo, hi = q.parse_latency()
    return lo if live else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--check", action="store_true",
                    help="exit 1 if the reported latency is over the target")
    args = ap.parse_args()
    Gst.init(None)

    with tempfile.TemporaryDirectory() as tmp:
        desc = "voicetimeline name=t ! voicemanifestsink name=sink location=%s" \
            % os.path.join(tmp, "call")
        for k, (role, freq, periods, interval) in enumerate(LEGS):
            desc += (" %s ! voicesegmenter name=seg%d role=%s ! t.sink_%d"
                     % (source("src%d" % k, freq, periods, interval), k,
                        role, k))
        pipeline = Gst.parse_launch(desc)

        # when each input buffer reached its segmenter, by pts (running
        # time: the sources start at 0 with the pipeline)
        arrivals = [[], []]

        def on_input(pad, info, k):
            buf = info.get_buffer()
            now = pipeline.get_clock().get_time() - pipeline.get_base_time()
            arrivals[k].append((buf.pts, buf.pts + buf.duration, now))
            return Gst.PadProbeReturn.OK

        delays = []

        def on_output(pad, info):
            buf = info.get_buffer()
            now = pipeline.get_clock().get_time() - pipeline.get_base_time()
            t = buf.pts
            # the latest of the legs' arrivals of the sample at t
            came = []
            for leg in arrivals:
                starts = [a[0] for a in leg]
                i = bisect.bisect_right(starts, t) - 1
                if i >= 0 and leg[i][1] > t:
                    came.append(leg[i][2])
            if len(came) == len(arrivals):
                delays.append(now - max(came))
            return Gst.PadProbeReturn.OK

        for k in range(len(LEGS)):
            pipeline.get_by_name("seg%d" % k).get_static_pad(
                "sink").add_probe(Gst.PadProbeType.BUFFER, on_input, k)
        pipeline.get_by_name("sink").get_static_pad("sink").add_probe(
            Gst.PadProbeType.BUFFER, on_output)

        pipeline.set_state(Gst.State.PLAYING)
        bus = pipeline.get_bus()
        deadline = time.monotonic() + args.seconds
        while time.monotonic() < deadline:
            msg = bus.timed_pop_filtered(100 * Gst.MSECOND,
                                         Gst.MessageType.ERROR)
            if msg:
                sys.exit("error: %s" % (msg.parse_error(),))

        src = [query_latency(pipeline.get_by_name("src%d" % k)
                             .get_static_pad("src")) for k in range(2)]
        seg = [query_latency(pipeline.get_by_name("seg%d" % k)
                             .get_static_pad("src")) for k in range(2)]
        tl = query_latency(pipeline.get_by_name("t").get_static_pad("src"))
        seg_el = pipeline.get_by_name("seg0")
        min_speech = seg_el.get_property("min-speech")
        window = (min_speech + max(100 * Gst.MSECOND, min_speech // 2)
                  + 20 * Gst.MSECOND + 40 * Gst.MSECOND)
        output_buffer = pipeline.get_by_name("t").get_property(
            "output-buffer-duration")
        pipeline.send_event(Gst.Event.new_eos())
        bus.timed_pop_filtered(10 * Gst.SECOND, Gst.MessageType.EOS)
        pipeline.set_state(Gst.State.NULL)

    ms = 1e6
    target = window + output_buffer
    added_query = tl - max(src)
    print("| what | latency |")
    print("|---|---|")
    print("| sources (20 ms buffers), LATENCY query | %.0f ms |"
          % (max(src) / ms))
    print("| after voicesegmenter, LATENCY query | %.0f ms |" % (max(seg) / ms))
    print("| after voicetimeline, LATENCY query | %.0f ms |" % (tl / ms))
    print("| added by the three elements, LATENCY query | %.0f ms |"
          % (added_query / ms))
    if delays:
        steady = delays[len(delays) // 10:]     # past the start
        print("| added, measured: median of %d output buffers | %.1f ms |"
              % (len(steady), statistics.median(steady) / ms))
        print("| added, measured: maximum | %.1f ms |" % (max(steady) / ms))
    print("| target: decision window %.0f ms + one output buffer %d ms | "
          "%.0f ms |" % (window / ms, output_buffer / ms, target / ms))
    ok = added_query <= target
    print("reported latency %s the target" % ("within" if ok else "OVER"))
    if args.check and not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
