#!/bin/bash
# The recorder from gst-launch-1.0: the built-in conversation's two WAV
# files into a recording directory (segments, full file, manifest), once
# as WAV with the speakers mixed, once as Ogg Opus with one channel per
# speaker (the dual-channel recording of telephony), once with the
# transcripts of two SRT files read by subparse.
#
#   launch_recording.sh [DIR] [--check]
#
# With --check, exits 1 unless each directory holds the four segments,
# the full file and a manifest that lists them (with their transcripts).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
files="$here/../files"
out="${1:-recordings}"
check="${2:-}"

record () {   # record DIR [voicemanifestsink properties...]
  local dir="$1"; shift
  gst-launch-1.0 -q voicetimeline name=t ! voicemanifestsink location="$dir" "$@" \
      filesrc location="$files/conversation-user.wav" ! wavparse ! voicesegmenter role=user speaker=caller ! t.sink_0 \
      filesrc location="$files/conversation-agent.wav" ! wavparse ! voicesegmenter role=agent speaker=bot ! t.sink_1
}

record "$out/wav"
record "$out/opus" format=opus full-layout=channels

# text_0 holds sink_0's words, text_1 sink_1's
gst-launch-1.0 -q voicetimeline name=t ! voicemanifestsink location="$out/transcribed" \
    filesrc location="$files/conversation-user.wav" ! wavparse ! voicesegmenter role=user speaker=caller ! t.sink_0 \
    filesrc location="$files/conversation-agent.wav" ! wavparse ! voicesegmenter role=agent speaker=bot ! t.sink_1 \
    filesrc location="$files/conversation-user.srt" ! subparse ! t.text_0 \
    filesrc location="$files/conversation-agent.srt" ! subparse ! t.text_1
echo "recorded into $out/wav, $out/opus and $out/transcribed"

if [ "$check" = "--check" ]; then
  /usr/bin/python3 - "$out/transcribed" <<'PY'
import json, os, sys
m = json.load(open(os.path.join(sys.argv[1], "manifest.json")))
got = [(s["speaker"], s["transcript"]) for s in m["segments"]]
want = [("caller", "Hi, I would like to change my flight to Boston, please."),
        ("bot", "Of course. Which flight would you like to change?"),
        ("caller", "It is the one on Friday morning, at nine thirty."),
        ("bot", "I found your booking. There are two flights on Friday afternoon.")]
assert got == want, got
print(sys.argv[1], "ok: the transcripts of both SRT files")
PY
  for d in wav opus; do
    /usr/bin/python3 - "$out/$d" "$d" <<'PY'
import json, os, sys
d, ext = sys.argv[1], sys.argv[2]
m = json.load(open(os.path.join(d, "manifest.json")))
files = [s["file"] for s in m["segments"]]
want = ["segments/00-user-0500ms", "segments/01-agent-4650ms",
        "segments/02-user-8390ms", "segments/03-agent-11720ms"]
assert files == [w + "." + ext for w in want], files
for f in files + [m["full"]["file"]]:
    assert os.path.getsize(os.path.join(d, f)) > 1000, f
assert m["full"]["layout"] == ("mixed" if ext == "wav" else "channels")
assert [s["name"] for s in m["speakers"]] == ["caller", "bot"]
assert m["latency"]["count"] == 2
print(d, "ok:", len(files), "segments,", m["full"]["file"])
PY
  done
fi
