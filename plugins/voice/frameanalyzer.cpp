/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "frameanalyzer.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#ifdef __SSE2__
#include <xmmintrin.h>
#endif

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

  /* the recursive part four outputs a step: h is its response to an
   * impulse, p and q its responses to y[-1] and y[-2] */
  double a1 = a1_, a2 = a2_;
  double h[4], p[6], q[6];
  h[0] = 1;
  h[1] = -a1;
  p[0] = 0;
  p[1] = 1;                     /* p[k + 2] is output k */
  q[0] = 1;
  q[1] = 0;
  for (int k = 0; k < 4; k++) {
    if (k >= 2)
      h[k] = -a1 * h[k - 1] - a2 * h[k - 2];
    p[k + 2] = -a1 * p[k + 1] - a2 * p[k];
    q[k + 2] = -a1 * q[k + 1] - a2 * q[k];
    p_[k] = (float) p[k + 2];
    q_[k] = (float) q[k + 2];
    for (int j = 0; j < 4; j++)
      h_[j][k] = k >= j ? (float) h[k - j] : 0.0f;
  }

  x_.assign (rate / 100 + 4, 0.0f);
  reset ();
  return true;
}

void
FrameAnalyzer::reset ()
{
  y1_ = y2_ = 0;
  std::fill (x_.begin (), x_.end (), 0.0f);
  origin_ = GST_CLOCK_TIME_NONE;
  frame_ = sample_ = frame_start_sample_ = 0;
}

void
FrameAnalyzer::set_origin (GstClockTime origin)
{
  origin_ = origin;
  frame_ = sample_ = frame_start_sample_ = 0;
}

GstClockTime
FrameAnalyzer::position () const
{
  if (!has_origin ())
    return GST_CLOCK_TIME_NONE;
  return sample_time (sample_);
}

/* GCC 12's -O2 vectorises a loop only when its trip count is a multiple
 * of the vector width: the conversion runs in lanes of 8 */
static const gsize LANES = 8;

void
FrameAnalyzer::store (const guint8 * data, gsize n)
{
  float *x = x_.data () + 2 + (sample_ - frame_start_sample_);
  if (format_ == GST_AUDIO_FORMAT_S16LE) {
    const gint16 *s16 = reinterpret_cast < const gint16 *>(data);
    gsize vectorised = n / LANES * LANES;
    for (gsize j = 0; j < vectorised; j += LANES)
      for (gsize k = 0; k < LANES; k++)
        x[j + k] = GINT16_FROM_LE (s16[j + k]) * (1.0f / 32768.0f);
    for (gsize k = vectorised; k < n; k++)
      x[k] = GINT16_FROM_LE (s16[k]) * (1.0f / 32768.0f);
  } else {
    memcpy (x, data, n * sizeof (gfloat));
  }
}

double
FrameAnalyzer::filter_frame (gsize n)
{
  /* Sample by sample, each output waits for the one before it through
   * two multiplies and subtractions. Four at a time, from the two outputs
   * before them, the wait is a quarter as long, and the rest is work for
   * the vector unit (an hour of a call: 18 instructions a sample became
   * 12 with the conversion, and perf's samples in the filter 511 became
   * 237). The operations do not depend on where buffers begin, so a
   * frame's power is the same to the bit however the stream is cut. */
  const float *x = x_.data () + 2;
  float y1 = y1_, y2 = y2_;
  double energy = 0;
  gsize steps = n / 4 * 4;
#ifdef __SSE2__
  if (steps > 0) {
    const __m128 b0 = _mm_set1_ps (b0_), b1 = _mm_set1_ps (b1_);
    const __m128 b2 = _mm_set1_ps (b2_);
    const __m128 h0 = _mm_loadu_ps (h_[0]), h1 = _mm_loadu_ps (h_[1]);
    const __m128 h2 = _mm_loadu_ps (h_[2]), h3 = _mm_loadu_ps (h_[3]);
    const __m128 p = _mm_loadu_ps (p_), q = _mm_loadu_ps (q_);
    __m128 last = _mm_set1_ps (y1), before = _mm_set1_ps (y2);
    __m128 squares = _mm_setzero_ps ();
    for (gsize j = 0; j < steps; j += 4) {
      /* the direct part, whose zero at DC is exact in float */
      __m128 v = _mm_add_ps (_mm_add_ps (_mm_mul_ps (b0,
                  _mm_loadu_ps (x + j)), _mm_mul_ps (b1,
                  _mm_loadu_ps (x + j - 1))), _mm_mul_ps (b2,
              _mm_loadu_ps (x + j - 2)));
#define LANE(v, k) _mm_shuffle_ps (v, v, _MM_SHUFFLE (k, k, k, k))
      __m128 in = _mm_add_ps (_mm_add_ps (_mm_mul_ps (h0, LANE (v, 0)),
              _mm_mul_ps (h1, LANE (v, 1))), _mm_add_ps (_mm_mul_ps (h2,
                  LANE (v, 2)), _mm_mul_ps (h3, LANE (v, 3))));
      __m128 y = _mm_add_ps (in, _mm_add_ps (_mm_mul_ps (p, last),
              _mm_mul_ps (q, before)));
      squares = _mm_add_ps (squares, _mm_mul_ps (y, y));
      last = LANE (y, 3);
      before = LANE (y, 2);
#undef LANE
    }
    float s[4];
    _mm_storeu_ps (s, squares);
    energy = ((double) s[0] + s[1]) + ((double) s[2] + s[3]);
    y1 = _mm_cvtss_f32 (last);
    y2 = _mm_cvtss_f32 (before);
  }
#else
  if (steps > 0) {
    /* the same operations in the same order, one lane after the other */
    float squares[4] = { };
    for (gsize j = 0; j < steps; j += 4) {
      float v[4], y[4];
      for (int k = 0; k < 4; k++)
        v[k] = (b0_ * x[j + k] + b1_ * x[j + k - 1]) + b2_ * x[j + k - 2];
      for (int k = 0; k < 4; k++) {
        float in = (h_[0][k] * v[0] + h_[1][k] * v[1])
            + (h_[2][k] * v[2] + h_[3][k] * v[3]);
        y[k] = in + (p_[k] * y1 + q_[k] * y2);
        squares[k] += y[k] * y[k];
      }
      y1 = y[3];
      y2 = y[2];
    }
    energy = ((double) squares[0] + squares[1])
        + ((double) squares[2] + squares[3]);
  }
#endif
  /* the last few samples one by one, as the plain direct form I */
  for (gsize k = steps; k < n; k++) {
    float y = (b0_ * x[k] + b1_ * x[k - 1] + b2_ * x[k - 2] - a2_ * y2)
        - a1_ * y1;
    energy += y * y;
    y2 = y1;
    y1 = y;
  }
  y1_ = y1;
  y2_ = y2;
  float before_last = x[(gssize) n - 2], last = x[n - 1];
  x_[0] = before_last;
  x_[1] = last;
  return energy;
}

FrameAnalyzer::Frame
FrameAnalyzer::take_frame ()
{
  guint64 n = sample_ - frame_start_sample_;
  Frame f;
  f.power = n > 0 ? filter_frame (n) / n : 0.0;
  f.start = sample_time (frame_start_sample_);
  f.end = sample_time (sample_);

  frame_start_sample_ = sample_;
  frame_++;
  return f;
}
