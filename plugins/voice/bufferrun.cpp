/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "bufferrun.h"

/* timestamps computed from sample counts may differ by a rounding */
#define JOIN_TOLERANCE GST_USECOND

bool
BufferRun::continues (GstBuffer * buffer, GstClockTime start) const
{
  if (empty ())
    return true;
  if (GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DISCONT)
      || GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_RESYNC)
      || GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_GAP)
      || GST_BUFFER_FLAG_IS_SET (buffers_.front (), GST_BUFFER_FLAG_GAP))
    return false;
  return joins (end_, start);
}

bool
BufferRun::joins (GstClockTime end, GstClockTime start)
{
  GstClockTimeDiff diff = GST_CLOCK_DIFF (end, start);
  return ABS (diff) <= (GstClockTimeDiff) JOIN_TOLERANCE;
}

void
BufferRun::add (GstBuffer * buffer, GstClockTime start, GstClockTime end)
{
  g_return_if_fail (continues (buffer, start));
  if (empty ())
    start_ = start;
  end_ = end;
  size_ += gst_buffer_get_size (buffer);
  buffers_.push_back (buffer);
}

GstBuffer *
BufferRun::take ()
{
  g_return_val_if_fail (!empty (), nullptr);

  GstBuffer *first = buffers_.front ();
  if (buffers_.size () == 1) {
    buffers_.clear ();
    size_ = 0;
    return first;
  }

  /* one copy into one memory: the aggregator would map a buffer of many
   * memories by copying it anyway */
  GstBuffer *out = gst_buffer_new_allocate (nullptr, size_, nullptr);
  GstMapInfo map;
  gst_buffer_map (out, &map, GST_MAP_WRITE);
  gsize offset = 0;
  for (GstBuffer * b:buffers_)
    offset += gst_buffer_extract (b, 0, map.data + offset, size_ - offset);
  gst_buffer_unmap (out, &map);

  gst_buffer_copy_into (out, first, (GstBufferCopyFlags)
      (GST_BUFFER_COPY_FLAGS | GST_BUFFER_COPY_TIMESTAMPS |
          GST_BUFFER_COPY_META), 0, -1);
  GST_BUFFER_DURATION (out) = end_ - start_;
  GST_BUFFER_OFFSET_END (out) = GST_BUFFER_OFFSET_END (buffers_.back ());

  clear ();
  return out;
}

void
BufferRun::clear ()
{
  for (GstBuffer * b:buffers_)
    gst_buffer_unref (b);
  buffers_.clear ();
  size_ = 0;
}
