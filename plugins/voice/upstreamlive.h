/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>

/* Whether what feeds @sinkpad comes in real time, by a LATENCY query
 * upstream; TRUE when nothing answers, the safe guess for an element that
 * would otherwise hold audio back. @min_latency, if given, gets the
 * answer's minimum latency (0 when nothing answers). */
gboolean upstream_is_live (GstPad * sinkpad,
    GstClockTime * min_latency = nullptr);
