/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "audiohistory.h"
#include "s16loops.h"

#include <algorithm>
#include <cstring>

void
AudioHistory::reset (guint channels, guint64 capacity)
{
  channels_ = MAX (1, channels);
  capacity_ = MAX (1, capacity);
  end_ = 0;
  data_.assign (capacity_ * channels_, 0);
}

void
AudioHistory::grow (guint64 capacity)
{
  if (capacity <= capacity_)
    return;
  std::vector < gint16 > bigger (capacity * channels_, 0);
  /* frame f lives at f % capacity: move what is held to its new place */
  for (guint64 f = begin (); f < end_; f++)
    std::memcpy (&bigger[(f % capacity) * channels_],
        &data_[(f % capacity_) * channels_], channels_ * sizeof (gint16));
  data_.swap (bigger);
  capacity_ = capacity;
}

void
AudioHistory::append (const gint16 * frames, guint64 n_frames)
{
  /* only the newest capacity_ frames can be kept */
  if (n_frames > capacity_) {
    frames += (n_frames - capacity_) * channels_;
    end_ += n_frames - capacity_;
    n_frames = capacity_;
  }
  while (n_frames > 0) {
    guint64 pos = end_ % capacity_;
    guint64 n = std::min (n_frames, capacity_ - pos);
    std::memcpy (&data_[pos * channels_], frames,
        n * channels_ * sizeof (gint16));
    frames += n * channels_;
    n_frames -= n;
    end_ += n;
  }
}

void
AudioHistory::copy_channel (guint channel, guint64 from, guint64 n,
    gint16 * out) const
{
  g_return_if_fail (channel < channels_);
  g_return_if_fail (from >= begin () && from + n <= end_);

  /* in at most two runs, where the ring wraps: no division per sample */
  while (n > 0) {
    guint64 pos = from % capacity_;
    guint64 run = std::min (n, capacity_ - pos);
    s16loops::copy_strided (out, 1, &data_[pos * channels_ + channel],
        channels_, run);
    out += run;
    from += run;
    n -= run;
  }
}
