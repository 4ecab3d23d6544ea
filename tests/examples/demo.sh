#!/bin/bash
# Sets up everything on a fresh Debian 12 machine (packages, build), then
# runs the recorder's main job on the built-in example conversation,
# leaving the dual-channel recording in ./recording/call.wav (or in the
# directory given as the first argument).
set -euo pipefail
top="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$top"

.ci/install-deps
[ -f build/build.ninja ] || meson setup build
meson compile -C build >/dev/null

export GST_PLUGIN_PATH="$top/build/plugins/voice${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
out="${1:-$top/recording}"
mkdir -p "$out"
echo "The built-in conversation (tests/files/conversation-{user,agent}.wav)"
echo "through voicesegmenter and voicetimeline, with two tool events and"
echo "transcripts, the timeline as it is decided:"
/usr/bin/python3 tests/examples/timeline_conversation.py --out "$out/call.wav"
