#!/usr/bin/python3
"""A voice bot's side of a call, live: the user's microphone and the bot's
own TTS arrive through two live appsrc elements; the user's speech is
detected, the bot marks its TTS spans itself with voice-speech-mark events
sent into its appsrc; voicetimeline puts both on one clock. Spans and the
timeline are printed live from the bus.

  live_bot_marks.py [--check]

With --check, exits 1 unless every span is where it was put (the user's to
the 10 ms frame, the bot's to the sample), the bot's answer has the right
latency, the output kept real time, and the pipeline's latency includes the
segmenter's decision delay.
"""
import argparse
import os
import sys
import threading

import gi
gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "files"))
import speechsynth  # noqa: E402

RATE = 16000
CHUNK = 320          # 20 ms, as a microphone or RTP would deliver
CAPS = "audio/x-raw,format=S16LE,rate=%d,channels=1,layout=interleaved" % RATE


def mark(speaking):
    s = Gst.Structure.new_from_string(
        "voice-speech-mark, speaking=(boolean)%s" % str(speaking).lower())
    return Gst.Event.new_custom(Gst.EventType.CUSTOM_DOWNSTREAM, s)


def to_pcm(samples):
    import numpy as np
    return (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()


def feed(src, pcm, marks):
    """Pushes `pcm` in 20 ms buffers; `marks` maps a sample index to the
    mark to send before that sample."""
    n = len(pcm) // 2
    for pos in range(0, n, CHUNK):
        for at, speaking in marks:
            if at == pos:
                src.send_event(mark(speaking))
        chunk = pcm[2 * pos:2 * min(n, pos + CHUNK)]
        buf = Gst.Buffer.new_wrapped(chunk)
        buf.pts = Gst.util_uint64_scale_int(pos, Gst.SECOND, RATE)
        buf.duration = Gst.util_uint64_scale_int(len(chunk) // 2,
                                                 Gst.SECOND, RATE)
        if src.emit("push-buffer", buf) != Gst.FlowReturn.OK:
            return
    for at, speaking in marks:
        if at >= n:
            src.send_event(mark(speaking))
    src.emit("end-of-stream")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    Gst.init(None)

    import numpy as np
    utt = speechsynth.read_wav(os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "files",
        "utterance-16k.wav"))[0]
    user = np.zeros(int(7.0 * RATE), np.float32)
    user_at = int(0.5 * RATE) + 37            # anywhere inside a frame
    user[user_at:user_at + len(utt)] = utt
    # the bot's TTS: it knows where its speech is, from 4.6 s to 6 s
    bot = np.zeros(len(user), np.float32)
    tts_from, tts_to = int(4.6 * RATE), int(6.0 * RATE)
    bot[tts_from:tts_to] = 0.3 * np.sin(np.arange(tts_to - tts_from) * 0.05)

    pipeline = Gst.parse_launch(
        "voicetimeline name=t ! fakesink name=out sync=true "
        "appsrc name=mic is-live=true format=time min-latency=20000000 caps=%s ! "
        "voicesegmenter speaker=caller role=user ! t.sink_0 "
        "appsrc name=tts is-live=true format=time min-latency=20000000 caps=%s ! "
        "voicesegmenter mode=marked speaker=bot role=agent ! t.sink_1"
        % (CAPS, CAPS))
    spans, latency, timeline, out = [], [], [], [0]

    def count(pad, info):
        out[0] += info.get_buffer().duration
        return Gst.PadProbeReturn.OK
    pipeline.get_by_name("out").get_static_pad("sink").add_probe(
        Gst.PadProbeType.BUFFER, count)
    loop = GLib.MainLoop()
    eos_count = [0]

    def on_message(bus, msg):
        if msg.type == Gst.MessageType.ELEMENT:
            s = msg.get_structure()
            if s.get_name() in ("voice-speech-start", "voice-speech-stop"):
                print("%-18s %-6s %.6f s" % (
                    s.get_name(), s.get_string("speaker"),
                    s.get_uint64("timestamp")[1] / Gst.SECOND), flush=True)
            if s.get_name() == "voice-speech-stop":
                spans.append((s.get_string("speaker"),
                              s.get_uint64("start")[1],
                              s.get_uint64("end")[1]))
            if s.get_name() == "voice-timeline-event":
                lat = s.get_double("latency")
                timeline.append((s.get_string("type"), s.get_double("time")[1],
                                 lat[1] if lat[0] else None))
                print("  timeline %.3f s %s%s" % (
                    timeline[-1][1], timeline[-1][0],
                    "" if lat[0] is False else " latency %.3f s" % lat[1]),
                    flush=True)
        elif msg.type == Gst.MessageType.ERROR:
            print(msg.parse_error())
            loop.quit()
        elif msg.type == Gst.MessageType.EOS:
            loop.quit()
        return True

    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)
    pipeline.set_state(Gst.State.PLAYING)
    threads = [
        threading.Thread(target=feed, args=(pipeline.get_by_name("mic"),
                                            to_pcm(user), [])),
        threading.Thread(target=feed, args=(pipeline.get_by_name("tts"),
                                            to_pcm(bot),
                                            [(tts_from, True),
                                             (tts_to, False)])),
    ]
    for t in threads:
        t.start()
    loop.run()
    for t in threads:
        t.join()
    # asked while the pipeline still runs: its configured latency
    q = Gst.Query.new_latency()
    if pipeline.query(q):
        latency.append(q.parse_latency())
    pipeline.set_state(Gst.State.NULL)

    if not args.check:
        return
    ok = True
    ns = lambda s: Gst.util_uint64_scale_int(s, Gst.SECOND, RATE)  # noqa
    frame = 10 * Gst.MSECOND
    want = [
        ("caller", ns(user_at) // frame * frame,
         (ns(user_at + len(utt) - 1) // frame + 1) * frame),
        ("bot", ns(tts_from), ns(tts_to)),
    ]
    for w in want:
        if w not in spans:
            print("MISSING", w, "in", spans)
            ok = False
    if len(spans) != 2:
        print("expected 2 spans, got", spans)
        ok = False
    # the microphone's 20 ms, the segmenter's 210 ms decision window (its
    # 170 ms hold-back and 40 ms for a live leg that stops sending), the
    # timeline's 20 ms output buffer and the sink's 20 ms processing deadline
    if not latency or not latency[0][0] \
            or latency[0][1] != 270 * Gst.MSECOND \
            or latency[0][2] < latency[0][1]:
        print("latency query:", latency)
        ok = False
    else:
        print("pipeline latency: %.0f ms" % (latency[0][1] / Gst.MSECOND))
    answer = [e for e in timeline if e[0] == "agent_start_speaking"]
    user_end = want[0][2]
    expected = tts_from / RATE - user_end / Gst.SECOND
    if len(answer) != 1 or answer[0][2] is None \
            or abs(answer[0][2] - expected) > 1e-6:
        print("answer:", answer, "want latency", expected)
        ok = False
    # every sample of the call came out: 7 s of output (and at most one
    # more 20 ms buffer: live, a leg whose EOS comes after its deadline is
    # given one buffer of silence first)
    call = len(user) * Gst.SECOND // RATE
    if not call <= out[0] <= call + 20 * Gst.MSECOND:
        print("output: %d ns" % out[0])
        ok = False
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
