#!/usr/bin/python3
"""kill -9 of a recording process at random moments: whatever the moment,
every segment file that has its name is complete, manifest.json parses and
lists only complete files with exactly their samples, and the full file
is readable up to at most 2 s before the kill.

  crash_safety.py [--runs N] [--seed S]

Each run records the built-in conversation in a child process, paced at
ten times real time (identity sleep-time) so that a kill can land
anywhere in the call, and kills it with SIGKILL after a random delay.
"""
import argparse
import json
import os
import random
import signal
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FILES = os.path.join(HERE, "..", "..", "files")
RATE = 16000


def child(out, interval):
    import gi
    gi.require_version("Gst", "1.0")
    from gi.repository import Gst
    Gst.init(None)
    pipeline = Gst.parse_launch(
        "voicetimeline name=t ! identity sleep-time=1000 ! "
        "voicemanifestsink name=rec location=\"%s\" manifest-interval=%d "
        "filesrc location=\"%s\" ! wavparse ! voicesegmenter role=user ! "
        "t.sink_0 filesrc location=\"%s\" ! wavparse ! voicesegmenter "
        "speaker=bot role=agent ! t.sink_1"
        % (out, interval, os.path.join(FILES, "conversation-user.wav"),
           os.path.join(FILES, "conversation-agent.wav")))
    rec = pipeline.get_by_name("rec")
    pipeline.set_state(Gst.State.PLAYING)
    bus = pipeline.get_bus()
    while True:
        msg = bus.timed_pop_filtered(
            20 * Gst.MSECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
        if msg:
            print("end", flush=True)
            break
        ok, pos = rec.query_position(Gst.Format.TIME)
        if ok:
            print("pos", pos, flush=True)
    pipeline.set_state(Gst.State.NULL)


def wav_frames(path, complete):
    """Frames of a 16-bit WAV; a complete one must have exact sizes."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE", path
    pos = 12
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:
                                                            pos + 8])[0]
        if cid == b"data":
            body = len(data) - pos - 8
            if complete:
                assert size == body, "%s: header says %d bytes, has %d" % (
                    path, size, body)
                assert struct.unpack("<I", data[4:8])[0] == len(data) - 8
            return min(size, body) // 2
        pos += 8 + size
    raise AssertionError("%s has no data chunk" % path)


def check(out, position):
    """Raises unless the directory is sound; returns what it holds."""
    manifest = os.path.join(out, "manifest.json")
    if not os.path.exists(manifest):
        # killed between the first audio and the first manifest: nothing
        # can have been finished yet
        assert position is None or position < 2e9, \
            "no manifest %.3f s into the call" % (position / 1e9)
        seg_dir = os.path.join(out, "segments")
        assert not os.path.isdir(seg_dir) or not [
            n for n in os.listdir(seg_dir) if not n.startswith(".part-")], \
            "unlisted segments"
        return 0, 0.0
    with open(manifest) as f:
        m = json.load(f)
    listed = set()
    for seg in m["segments"]:
        path = os.path.join(out, seg["file"])
        want = round(seg["end_time"] * RATE) - round(seg["start_time"] * RATE)
        got = wav_frames(path, True)
        assert got == want, "%s: %d frames, not %d" % (seg["file"], got, want)
        listed.add(os.path.basename(seg["file"]))
    for name in os.listdir(os.path.join(out, "segments")):
        if not name.startswith(".part-"):
            wav_frames(os.path.join(out, "segments", name), True)
    held = wav_frames(os.path.join(out, "full.wav"), False) / RATE
    if position is not None:
        assert held >= position / 1e9 - 2.0, \
            "full.wav holds %.3f s, %.3f s were written" % (held,
                                                            position / 1e9)
    return len(listed), held


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    print("seed", seed)
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            out = os.path.join(tmp, "run%d" % run)
            interval = rng.choice([0, 1000000000])
            delay = rng.uniform(0.1, 2.2)
            proc = subprocess.Popen(
                [sys.executable, __file__, "--child", out, str(interval)],
                stdout=subprocess.PIPE, text=True)
            position, ended = None, False
            start = time.monotonic()
            for line in proc.stdout:
                if line.startswith("pos"):
                    position = int(line.split()[1])
                elif line.startswith("end"):
                    ended = True
                if time.monotonic() - start >= delay:
                    break
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            try:
                n, held = check(out, position)
                print("run %2d: killed after %.2f s%s, %s written: %d "
                      "segments listed, full.wav %.2f s" % (
                          run, delay, " (ended)" if ended else "",
                          "%.2f s" % (position / 1e9) if position else
                          "nothing", n, held))
            except (AssertionError, ValueError, OSError) as e:
                failures += 1
                print("run %2d: killed after %.2f s: FAILED: %s" % (
                    run, delay, e))
    print("%d runs, %d failed (seed %d)" % (args.runs, failures, seed))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
