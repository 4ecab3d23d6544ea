#!/bin/bash
# Sets up everything on a fresh Debian 12 machine (packages, build), then
# runs the recorder's main job on the built-in example conversation,
# leaving the recording (segments/, full.wav, manifest.json) in ./recording
# (or in the directory given as the first argument).
set -euo pipefail
top="$(cd "$(dirname "$0")/../.." && pwd)"
# a directory given is the caller's, relative to where it was run
out="$(realpath -m "${1:-$top/recording}")"
cd "$top"

.ci/install-deps
[ -f build/build.ninja ] || meson setup build
meson compile -C build >/dev/null

export GST_PLUGIN_PATH="$top/build/plugins/voice${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
echo "The built-in conversation (tests/files/conversation-{user,agent}.wav)"
echo "through voicesegmenter, voicetimeline and voicemanifestsink, with a"
echo "tool call and transcripts; the timeline as it is decided:"
/usr/bin/python3 tests/examples/record_conversation.py --out "$out"
echo
echo "A second call, synthesized with espeak-ng on the spot, where the user"
echo "talks over the agent's second answer (an interruption):"
/usr/bin/python3 tests/examples/record_conversation.py --barge-in --out "$out-barge-in"
