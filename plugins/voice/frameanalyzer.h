/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>
#include <gst/audio/audio.h>

#include <vector>

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
    /* it held float samples that are not numbers or infinite, analysed
     * as silence, or too large to square, as the largest value */
    bool repaired;
  };

  bool configure (gint rate, GstAudioFormat format);
  void reset ();

  /* Starts a new frame grid at @origin, dropping any partial frame (its
   * samples never reach the filter: finish_frame () first keeps them). */
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
  /* Appends @n samples to the current frame's input. */
  void store (const guint8 * data, gsize n);
  /* Filters the current frame's @n samples; returns the sum of the
   * squares of the results. */
  double filter_frame (gsize n);
  /* Makes the current frame's @n samples numbers that filter_frame ()
   * can square. */
  void repair (gsize n);
  Frame take_frame ();

  gint rate_ = 0;
  GstAudioFormat format_ = GST_AUDIO_FORMAT_UNKNOWN;

  /* second-order Butterworth high-pass, direct form I */
  float b0_ = 1, b1_ = 0, b2_ = 0, a1_ = 0, a2_ = 0;
  float y1_ = 0, y2_ = 0;
  /* its recursive part four outputs a step: output k of a step is the
   * sum of its inputs v[j] times h_[j][k], plus p_[k] times y[-1] and
   * q_[k] times y[-1] - y[-2] */
  float h_[4][4] = { };
  float p_[4] = { }, q_[4] = { };
  /* and outputs 4 to 7 of a step of eight, from the same two */
  float p8_[4] = { }, q8_[4] = { };
  /* the two inputs before the current frame, then the frame's own */
  std::vector < float > x_;

  GstClockTime origin_ = GST_CLOCK_TIME_NONE;
  guint64 frame_ = 0;           /* index of the frame being filled */
  guint64 sample_ = 0;          /* samples since the origin */
  guint64 frame_start_sample_ = 0;
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
    /* a frame is filtered whole, so its power is the same to the bit
     * however the stream is cut into buffers */
    store (data + i * sample_size, n);
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
