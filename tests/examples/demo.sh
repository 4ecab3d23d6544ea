#!/bin/bash
# Sets up everything on a fresh Debian 12 machine (packages, build), then
# runs the recorder's main job on the built-in example conversation.
set -euo pipefail
top="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$top"

.ci/install-deps
[ -f build/build.ninja ] || meson setup build
meson compile -C build >/dev/null

export GST_PLUGIN_PATH="$top/build/plugins/voice${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
echo "Speech spans of the built-in conversation (tests/files/conversation-*.wav):"
/usr/bin/python3 tests/examples/segment_conversation.py "$@"
