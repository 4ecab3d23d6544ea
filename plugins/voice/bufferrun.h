/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>

#include <vector>

/* Consecutive buffers of one audio stream joined into one. Without a live
 * source nothing waits for the audio, and every buffer pushed into an
 * aggregator costs two thread hand-offs: fewer, larger buffers cost less. */
class BufferRun
{
public:
  BufferRun () = default;
  BufferRun (const BufferRun &) = delete;
  BufferRun & operator= (const BufferRun &) = delete;
  ~BufferRun () { clear (); }

  bool empty () const { return buffers_.empty (); }
  /* where the run starts and ends, from its buffers' sample counts */
  GstClockTime start () const { return start_; }
  GstClockTime end () const { return end_; }
  /* whether audio starting at @start goes on from audio ending at @end:
   * the same time but for a rounding */
  static bool joins (GstClockTime end, GstClockTime start);

  /* whether @buffer, starting at @start, goes on where the run ends: no
   * gap, no discontinuity and no gap flag */
  bool continues (GstBuffer * buffer, GstClockTime start) const;
  /* takes @buffer, the audio from @start to @end */
  void add (GstBuffer * buffer, GstClockTime start, GstClockTime end);
  /* the run as one buffer, with the first buffer's flags and metadata;
   * the run is empty afterwards */
  GstBuffer *take ();
  void clear ();

private:
  std::vector < GstBuffer * > buffers_;
  gsize size_ = 0;
  GstClockTime start_ = GST_CLOCK_TIME_NONE;
  GstClockTime end_ = GST_CLOCK_TIME_NONE;
};
