/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>

/* A property flagged GST_PARAM_MUTABLE_READY is read as a call starts.
 * Set while @element runs, it is kept for the next call: this says so on
 * the bus, naming it, so that the change is not taken for one that
 * applies now. Call it before taking any lock a bus handler may need. */
void next_call_property_check (GstElement * element, const GParamSpec * pspec);
