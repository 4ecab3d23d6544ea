/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>

/* One thread for the whole process that calls, every STALL_WATCH_PERIOD,
 * the check of every live stream registered with it, so that a stream
 * whose audio stopped coming is noticed without a buffer. A clock wait for
 * each stream would wake the process five times a second per stream, for
 * the rare moment that one stops. The check runs in that thread; it must
 * be quick when there is nothing to do. */
namespace stall_watch {

constexpr GstClockTime PERIOD = 50 * GST_MSECOND;

using Check = void (*) (GstObject * owner);

/* Calls @check (@owner) every period from now on (again: nothing more),
 * holding a reference to @owner. */
void watch (GstObject * owner, Check check);
/* No more calls for @owner once this returns, none running. */
void unwatch (GstObject * owner);

}                               /* namespace stall_watch */
