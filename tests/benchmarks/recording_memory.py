#!/usr/bin/python3
"""Peak memory of a whole recording process against the length of the call:
gst-launch-1.0 records the built-in conversation, repeated, through
voicesegmenter, voicetimeline and voicemanifestsink (WAV, every segment
file, the full file, the manifest), once for a short call and once for a
long one; the ratio of their peak resident memory is the figure (1.0:
memory does not grow with the call).

  recording_memory.py [--short-minutes 10] [--long-minutes 600]

The input loops over raw copies of tests/files/conversation-*.wav with
multifilesrc, so that the input itself costs nothing however long.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FILES = os.path.join(HERE, "..", "files")
CONVERSATION_S = 17.435


def record(tmp, loops):
    out = os.path.join(tmp, "call-%d" % loops)
    legs = []
    for n, (who, opts) in enumerate((("user", "role=user"),
                                     ("agent", "role=agent speaker=bot"))):
        raw = os.path.join(tmp, "%s.raw" % who)
        legs += ["multifilesrc", "location=" + raw, "loop=true",
                 "num-buffers=%d" % loops,
                 "blocksize=%d" % os.path.getsize(raw), "!", "rawaudioparse",
                 "format=pcm", "pcm-format=s16le", "sample-rate=16000",
                 "num-channels=1", "!", "voicesegmenter"] + opts.split() + [
                 "!", "t.sink_%d" % n]
    cmd = ["gst-launch-1.0", "-q", "voicetimeline", "name=t", "!",
           "voicemanifestsink", "location=" + out] + legs
    start = time.monotonic()
    p = subprocess.Popen(cmd)
    # this child's own peak resident memory
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.monotonic() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("gst-launch failed")
    segments = len(os.listdir(os.path.join(out, "segments")))
    shutil.rmtree(out)
    return usage.ru_maxrss / 1024, wall, segments


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--short-minutes", type=float, default=10)
    ap.add_argument("--long-minutes", type=float, default=600)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for who in ("user", "agent"):
            with open(os.path.join(FILES, "conversation-%s.wav" % who),
                      "rb") as f:
                data = f.read()
            with open(os.path.join(tmp, "%s.raw" % who), "wb") as f:
                f.write(data[44:])
        rows = []
        for minutes in (args.short_minutes, args.long_minutes):
            loops = max(1, round(minutes * 60 / CONVERSATION_S))
            rss, wall, segments = record(tmp, loops)
            rows.append((loops * CONVERSATION_S / 60, rss, wall, segments))
    print("| call | segments | peak RSS | wall time |")
    print("|---|---|---|---|")
    for minutes, rss, wall, segments in rows:
        print("| %.0f min | %d | %.1f MB | %.1f s |" % (minutes, segments, rss,
                                                     wall))
    print("peak memory, long call / short call: %.2f" % (rows[1][1]
                                                        / rows[0][1]))


if __name__ == "__main__":
    main()
