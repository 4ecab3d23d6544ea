/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "frameanalyzer.h"

#include <cmath>

/* Speech has next to no energy below 150 Hz, mains hum and DC have all of
 * theirs there. */
static const double HIGHPASS_HZ = 150.0;

bool
FrameAnalyzer::configure (gint rate, GstAudioFormat format)
{
  if (rate < 100 || (format != GST_AUDIO_FORMAT_S16LE
          && format != GST_AUDIO_FORMAT_F32LE))
    return false;

  rate_ = rate;
  format_ = format;

  /* RBJ cookbook high-pass, Q = 1/sqrt(2) */
  double w0 = 2.0 * G_PI * HIGHPASS_HZ / rate;
  double alpha = std::sin (w0) / (2.0 * (1.0 / G_SQRT2));
  double cosw = std::cos (w0);
  double a0 = 1.0 + alpha;
  b0_ = (float) ((1.0 + cosw) / 2.0 / a0);
  b1_ = (float) (-(1.0 + cosw) / a0);
  b2_ = b0_;
  a1_ = (float) (-2.0 * cosw / a0);
  a2_ = (float) ((1.0 - alpha) / a0);

  reset ();
  return true;
}

void
FrameAnalyzer::reset ()
{
  x1_ = x2_ = y1_ = y2_ = 0;
  origin_ = GST_CLOCK_TIME_NONE;
  frame_ = sample_ = frame_start_sample_ = 0;
  energy_ = 0;
}

void
FrameAnalyzer::set_origin (GstClockTime origin)
{
  origin_ = origin;
  frame_ = sample_ = frame_start_sample_ = 0;
  energy_ = 0;
}

GstClockTime
FrameAnalyzer::position () const
{
  if (!has_origin ())
    return GST_CLOCK_TIME_NONE;
  return sample_time (sample_);
}

FrameAnalyzer::Frame
FrameAnalyzer::take_frame ()
{
  guint64 n = sample_ - frame_start_sample_;
  Frame f;
  f.power = n > 0 ? energy_ / n : 0.0;
  f.start = sample_time (frame_start_sample_);
  f.end = sample_time (sample_);

  energy_ = 0;
  frame_start_sample_ = sample_;
  frame_++;
  return f;
}
