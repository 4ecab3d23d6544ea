/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>
#include <gst/audio/audio.h>

/* Cuts one mono stream into 10 ms analysis frames on a sample-exact grid and
 * measures the power of each, after a high-pass that removes mains hum and
 * DC. Frame k covers samples [k * rate / 100, (k + 1) * rate / 100) counted
 * from the grid's origin, so rates such as 22050 Hz work too. */
class FrameAnalyzer
{
public:
  struct Frame
  {
    double power;               /* mean square, full scale = 1.0 */
    GstClockTime start;
    GstClockTime end;
  };

  bool configure (gint rate, GstAudioFormat format);
  void reset ();

  /* Starts a new frame grid at @origin, dropping any partial frame. */
  void set_origin (GstClockTime origin);
  bool has_origin () const { return GST_CLOCK_TIME_IS_VALID (origin_); }

  /* Time just after the last sample analysed. */
  GstClockTime position () const;

  /* Calls @on_frame for every frame that @n_samples complete. */
  template < typename F > void process (const guint8 * data, gsize n_samples,
      F && on_frame);

  /* Calls @on_frame for the partial frame, if any, and starts a new one. */
  template < typename F > void finish_frame (F && on_frame);

private:
  GstClockTime sample_time (guint64 sample) const
  {
    return origin_ + gst_util_uint64_scale_int (sample, GST_SECOND, rate_);
  }
  guint64 frame_end_sample (guint64 frame) const
  {
    return (frame + 1) * rate_ / 100;
  }
  /* Filters @n samples (at most BLOCK) and returns @energy plus the
   * squares of the results, added one by one. */
  double filter_block (const guint8 * data, gsize n, double energy);
  static const gsize BLOCK = 256;
  Frame take_frame ();

  gint rate_ = 0;
  GstAudioFormat format_ = GST_AUDIO_FORMAT_UNKNOWN;

  /* second-order Butterworth high-pass, direct form I */
  float b0_ = 1, b1_ = 0, b2_ = 0, a1_ = 0, a2_ = 0;
  float x1_ = 0, x2_ = 0, y1_ = 0, y2_ = 0;

  GstClockTime origin_ = GST_CLOCK_TIME_NONE;
  guint64 frame_ = 0;           /* index of the frame being filled */
  guint64 sample_ = 0;          /* samples since the origin */
  guint64 frame_start_sample_ = 0;
  double energy_ = 0;           /* sum of squares of the current frame */
};

template < typename F > void
FrameAnalyzer::process (const guint8 * data, gsize n_samples, F && on_frame)
{
  const gsize sample_size = format_ == GST_AUDIO_FORMAT_S16LE ?
      sizeof (gint16) : sizeof (gfloat);

  gsize i = 0;
  while (i < n_samples) {
    guint64 end = frame_end_sample (frame_);
    gsize n = (gsize) MIN ((guint64) (n_samples - i), end - sample_);
    /* one sum per frame, sample by sample: a frame's power is the same to
     * the bit however the stream is cut into buffers */
    for (gsize done = 0; done < n; done += BLOCK)
      energy_ = filter_block (data + (i + done) * sample_size,
          MIN (BLOCK, n - done), energy_);
    sample_ += n;
    i += n;
    if (sample_ == end)
      on_frame (take_frame ());
  }
}

template < typename F > void
FrameAnalyzer::finish_frame (F && on_frame)
{
  if (sample_ > frame_start_sample_)
    on_frame (take_frame ());
  /* the next frame starts here, on a new grid */
  if (has_origin () && sample_ > 0)
    set_origin (position ());
}
