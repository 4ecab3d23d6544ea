/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

#include <vector>

/* The last few seconds of an interleaved S16 stream, addressed by absolute
 * frame number, so that one channel's samples can be cut out after the
 * fact: a segment's start is only known some time after it happened. */
class AudioHistory
{
public:
  void reset (guint channels, guint64 capacity);
  /* keeps what is held */
  void grow (guint64 capacity);
  void append (const gint16 * frames, guint64 n_frames);

  /* the frame after the last one appended */
  guint64 end () const { return end_; }
  /* the oldest frame still held */
  guint64 begin () const { return end_ - MIN (end_, capacity_); }
  guint64 capacity () const { return capacity_; }

  /* frames [@from, @from + @n) of @channel, within [begin (), end ()) */
  void copy_channel (guint channel, guint64 from, guint64 n,
      gint16 * out) const;

private:
  std::vector < gint16 > data_;
  guint channels_ = 1;
  guint64 capacity_ = 0;
  guint64 end_ = 0;
};
