#!/usr/bin/python3
"""A telephony bridge records a call: the two legs arrive as RTP (G.711
u-law, 8 kHz, 20 ms packets) on loopback UDP ports, one of them with packet
loss and jitter, and are recorded through udpsrc ! rtpjitterbuffer !
rtppcmudepay ! mulawdec, voicesegmenter, voicetimeline and
voicemanifestsink into a dual-channel recording with segments and a
manifest. A second pipeline plays the two sides of the built-in
conversation into the ports, at real time.

  telephony_bridge.py [--out DIR] [--repeat N] [--check]

--repeat plays the conversation N times in a row (N=35 is a 10-minute
call). With --check, exits 1 unless the recording lasts as long as the
call, every segment is where it was spoken relative to the first one
(the two legs aligned within 20 ms, from the first minute to the last:
no drift), and the manifest has each leg's speaker on its channel.
"""
import argparse
import json
import os
import random
import socket
import sys
import tempfile
import wave

import numpy as np

import gi
gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

FILES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "files")
sys.path.insert(0, FILES)
import speechsynth  # noqa: E402

RATE = 16000
ALIGNMENT = 0.020
RTP_CAPS = ("application/x-rtp,media=audio,clock-rate=8000,"
            "encoding-name=PCMU,payload=0")


def free_ports(n):
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
             for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def make_legs(tmp, repeat):
    """The two sides of the conversation, `repeat` times; the true spans."""
    spans = []
    with open(os.path.join(FILES, "conversation-spans.txt")) as f:
        for line in f:
            if not line.startswith("#"):
                who, a, b = line.split()
                spans.append((int(a), int(b), who))
    paths = {}
    for who in ("user", "agent"):
        audio, rate = speechsynth.read_wav(os.path.join(
            FILES, "conversation-%s.wav" % who))
        paths[who] = os.path.join(tmp, "%s.wav" % who)
        speechsynth.write_wav(paths[who], np.tile(audio, repeat), rate)
    n = len(audio)
    truth = sorted((a + k * n, b + k * n, who) for k in range(repeat)
                   for a, b, who in spans)
    return paths, [(a / RATE, b / RATE, who) for a, b, who in truth], \
        repeat * n / RATE


def record(out, paths, ports):
    # the caller's leg crosses a bad network: 2 % loss, 0-30 ms of jitter
    # (netsim; the loss is seeded, below); the timeline waits 100 ms more
    # for a leg whose thread a loaded host schedules late, as a server does
    receiver = Gst.parse_launch(
        "voicetimeline name=t latency=100000000 ! audio/x-raw,rate=8000 ! "
        "voicemanifestsink location=\"%s\" full-layout=channels "
        "udpsrc port=%d caps=\"%s\" ! rtpjitterbuffer latency=60 "
        "do-lost=true ! rtppcmudepay ! mulawdec ! "
        "voicesegmenter speaker=caller role=user ! t.sink_0 "
        "udpsrc port=%d caps=\"%s\" ! rtpjitterbuffer latency=60 "
        "do-lost=true ! rtppcmudepay ! mulawdec ! "
        "voicesegmenter speaker=callee role=agent ! t.sink_1"
        % (out, ports[0], RTP_CAPS, ports[1], RTP_CAPS))
    sender = Gst.parse_launch(
        "filesrc location=\"%s\" ! wavparse ! audioresample ! "
        "audio/x-raw,rate=8000 ! mulawenc ! rtppcmupay name=lossy "
        "min-ptime=20000000 max-ptime=20000000 ! netsim "
        "delay-distribution=uniform min-delay=0 max-delay=30 ! "
        "udpsink host=127.0.0.1 port=%d "
        "filesrc location=\"%s\" ! wavparse ! audioresample ! "
        "audio/x-raw,rate=8000 ! mulawenc ! rtppcmupay min-ptime=20000000 "
        "max-ptime=20000000 ! udpsink host=127.0.0.1 port=%d"
        % (paths["user"], ports[0], paths["agent"], ports[1]))
    # 2 % of the caller's packets lost, the same ones every run
    rng = random.Random(7)
    sender.get_by_name("lossy").get_static_pad("src").add_probe(
        Gst.PadProbeType.BUFFER, lambda pad, info: Gst.PadProbeReturn.DROP
        if rng.random() < 0.02 else Gst.PadProbeReturn.OK)
    receiver.set_state(Gst.State.PLAYING)
    receiver.get_state(Gst.CLOCK_TIME_NONE)
    sender.set_state(Gst.State.PLAYING)
    msg = sender.get_bus().timed_pop_filtered(
        Gst.CLOCK_TIME_NONE, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    if msg.type == Gst.MessageType.ERROR:
        sys.exit("sender: %s" % (msg.parse_error(),))
    sender.set_state(Gst.State.NULL)
    # the last packets cross the jitter buffers; then the bridge hangs up
    err = receiver.get_bus().timed_pop_filtered(
        Gst.SECOND, Gst.MessageType.ERROR)
    if err:
        sys.exit("receiver: %s" % (err.parse_error(),))
    receiver.set_state(Gst.State.NULL)


def check(out, truth, duration):
    with open(os.path.join(out, "manifest.json")) as f:
        m = json.load(f)
    ok = True

    def bad(*what):
        nonlocal ok
        print("check:", *what)
        ok = False

    if [(s["name"], s["role"], s["channel"]) for s in m["speakers"]] != [
            ("caller", "user", 0), ("callee", "agent", 1)]:
        bad("speakers", m["speakers"])
    if m["sample_rate"] != 8000 or m["full"]["layout"] != "channels":
        bad("full", m["sample_rate"], m["full"])
    # the recording runs from PLAYING (time zero is the first output, and
    # the receiver plays before the first packet) to the hang-up
    if not duration - 0.1 <= m["full"]["duration"] <= duration + 1.5:
        bad("full file %.3f s, the call %.3f s" % (m["full"]["duration"],
                                                   duration))
    # one clock: where each utterance is in the recording, found by
    # correlating the recorded channel with what was sent; every leg must
    # be at one offset, the same for both, from the first minute to the last
    with wave.open(os.path.join(out, m["full"]["file"])) as w:
        rec = np.frombuffer(w.readframes(w.getnframes()),
                            "<i2").reshape(-1, 2).astype(np.float64)
    sent = {who: speechsynth.read_wav(os.path.join(
        FILES, "conversation-%s.wav" % who))[0][::2].astype(np.float64)
        for who in ("user", "agent")}
    offsets = []
    for a, b, who in truth:
        ch = 0 if who == "user" else 1
        k = int(round(a * 8000)) % len(sent[who])
        ref = sent[who][k:k + 8000]
        at = int(round(a * 8000))
        lo = max(0, at - 4000)
        win = rec[lo:at + 12000, ch]
        corr = np.correlate(win, ref, "valid")
        offsets.append((lo + int(np.argmax(corr)) - at) / 8000)
    spread = max(offsets) - min(offsets)
    print("%d utterances over %.0f s: the legs sit at %.1f to %.1f ms, "
          "a spread of %.1f ms" % (len(truth), duration, min(offsets) * 1000,
                                   max(offsets) * 1000, spread * 1000))
    if spread > ALIGNMENT:
        bad("the legs are not on one clock", offsets)

    # the segments: each where it was spoken (detection after a lost
    # packet can move a boundary by one packet)
    segs = m["segments"]
    if [s["role"] for s in segs] != [w for _, _, w in truth]:
        bad("segments", [(s["role"], s["start_time"]) for s in segs])
        return False
    offset = float(np.median(offsets))
    for s, (a, b, who) in zip(segs, truth):
        if abs(s["start_time"] - offset - a) > 0.045:
            bad("%s segment at %.3f s, spoken at %.3f s (offset %.3f s)"
                % (who, s["start_time"], a, offset))
    for s in segs:
        if not os.path.getsize(os.path.join(out, s["file"])) > 44:
            bad("empty", s["file"])
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", help="the recording's directory")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    Gst.init(None)
    with tempfile.TemporaryDirectory() as tmp:
        paths, truth, duration = make_legs(tmp, args.repeat)
        out = os.path.abspath(args.out) if args.out else \
            os.path.join(tmp, "call")
        record(out, paths, free_ports(2))
        print("recording in", out if args.out else "(temporary)")
        if args.check and not check(out, truth, duration):
            sys.exit(1)


if __name__ == "__main__":
    main()
