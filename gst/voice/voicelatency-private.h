/* GStreamer voice conversation library
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "voicelatency.h"

/* How many times @stats changed since it was made: text written of it
 * stays right while this stays the same. */
guint64 voice_latency_stats_changes (const GstVoiceLatencyStats * stats);
