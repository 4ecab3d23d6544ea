/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>

/* One thread for the whole process that asks, every PERIOD, every live
 * stream registered with it whether its audio is overdue, so that a stream
 * whose audio stopped coming is noticed without a buffer. A clock wait for
 * each stream would wake the process five times a second per stream, for
 * the rare moment that one stops. The question is asked in that thread and
 * must be quick; the work for a stream that is overdue runs in a pool
 * thread, so that one that blocks (a downstream that does not take the
 * audio) holds up no other stream. */
namespace stall_watch {

/* short: a live segmenter reports it in its latency, as its audio held
 * back may leave up to a period late when a stream stops */
constexpr GstClockTime PERIOD = 20 * GST_MSECOND;

/* Whether @owner has work to do: quick, called with the watch's own lock
 * held, so it takes no lock of @owner's and calls neither watch () nor
 * unwatch (). */
using Due = bool (*) (GstObject * owner);
/* The work, in a pool thread; never two at once for one @owner. */
using Check = void (*) (GstObject * owner);

/* Asks @due (@owner) every period from now on, and runs @check (@owner)
 * when it says so, at most once a period (watched again: nothing more),
 * holding a reference to @owner. */
void watch (GstObject * owner, Due due, Check check);
/* No more calls for @owner once this returns, none running (unless this
 * is called from @owner's check). */
void unwatch (GstObject * owner);

}                               /* namespace stall_watch */
