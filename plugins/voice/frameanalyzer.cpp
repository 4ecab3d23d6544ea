/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "frameanalyzer.h"
#include "sse2.h"

#include <algorithm>
#include <cmath>
#include <cstring>

/* Speech has next to no energy below 150 Hz, mains hum and DC have all of
 * theirs there. */
static const double HIGHPASS_HZ = 150.0;

bool
FrameAnalyzer::configure (gint rate, GstAudioFormat format)
{
  /* the cut-off must be under half the rate (the caps ask 8 kHz) */
  if (rate <= 2 * HIGHPASS_HZ || (format != GST_AUDIO_FORMAT_S16LE
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

  /* the recursive part four outputs a step: p and q are its responses
   * to y[-1] and y[-2] over eight outputs (for a step of eight), and its
   * response to an impulse is p from y[-1] on. Near DC y[-1] and y[-2]
   * are almost equal and p and q almost opposite: the step takes y[-1]
   * and y[-1] - y[-2] instead, with p + q and -q, which rounds far less
   * (the powers' error with mains hum at 48 kHz: 2e-4 became 3e-5) */
  double a1 = a1_, a2 = a2_;
  double p[10], q[10];
  p[0] = 0;
  p[1] = 1;                     /* p[k + 2] is output k */
  q[0] = 1;
  q[1] = 0;
  for (int k = 0; k < 8; k++) {
    p[k + 2] = -a1 * p[k + 1] - a2 * p[k];
    q[k + 2] = -a1 * q[k + 1] - a2 * q[k];
  }
  for (int k = 0; k < 4; k++) {
    p_[k] = (float) (p[k + 2] + q[k + 2]);
    q_[k] = (float) -q[k + 2];
    p8_[k] = (float) (p[k + 6] + q[k + 6]);
    q8_[k] = (float) -q[k + 6];
    for (int j = 0; j < 4; j++)
      h_[j][k] = k >= j ? (float) p[k - j + 1] : 0.0f;
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

namespace
{
  /* four floats, and the few operations of the filter on them */
#ifdef VOICE_SSE2
  typedef __m128 Quad;
  inline Quad add (Quad a, Quad b) { return _mm_add_ps (a, b); }
  inline Quad mul (Quad a, Quad b) { return _mm_mul_ps (a, b); }
  inline Quad sub (Quad a, Quad b) { return _mm_sub_ps (a, b); }
  inline Quad load (const float *p) { return _mm_loadu_ps (p); }
  inline Quad splat (float v) { return _mm_set1_ps (v); }
  template < int k > inline Quad lane (Quad v)
  {
    return _mm_shuffle_ps (v, v, _MM_SHUFFLE (k, k, k, k));
  }
  inline float first (Quad v) { return _mm_cvtss_f32 (v); }
  inline void to_floats (float *p, Quad v) { _mm_storeu_ps (p, v); }
#else
  /* the same operations in the same order, one lane after the other */
  struct Quad
  {
    float f[4];
  };
  inline Quad add (Quad a, Quad b)
  {
    return Quad { { a.f[0] + b.f[0], a.f[1] + b.f[1], a.f[2] + b.f[2],
        a.f[3] + b.f[3] } };
  }
  inline Quad mul (Quad a, Quad b)
  {
    return Quad { { a.f[0] * b.f[0], a.f[1] * b.f[1], a.f[2] * b.f[2],
        a.f[3] * b.f[3] } };
  }
  inline Quad sub (Quad a, Quad b)
  {
    return Quad { { a.f[0] - b.f[0], a.f[1] - b.f[1], a.f[2] - b.f[2],
        a.f[3] - b.f[3] } };
  }
  inline Quad load (const float *p)
  {
    return Quad { { p[0], p[1], p[2], p[3] } };
  }
  inline Quad splat (float v) { return Quad { { v, v, v, v } }; }
  template < int k > inline Quad lane (Quad v) { return splat (v.f[k]); }
  inline float first (Quad v) { return v.f[0]; }
  inline void to_floats (float *p, Quad v) { std::copy (v.f, v.f + 4, p); }
#endif

  /* four outputs of the high-pass, in two parts */
  struct Step
  {
    Quad b0, b1, b2, h0, h1, h2, h3;

    /* the direct part of x[0..3], whose zero at DC is exact in float */
    Quad direct (const float *x) const
    {
      return add (add (mul (b0, load (x)), mul (b1, load (x - 1))),
          mul (b2, load (x - 2)));
    }
    /* the recursive part's response to @v alone */
    Quad recursive (Quad v) const
    {
      return add (add (mul (h0, lane < 0 > (v)), mul (h1, lane < 1 > (v))),
          add (mul (h2, lane < 2 > (v)), mul (h3, lane < 3 > (v))));
    }
  };
}

double
FrameAnalyzer::filter_frame (gsize n)
{
  /* Sample by sample, each output waits for the one before it through a
   * multiply and a subtraction. From the two outputs before them,
   * eight at a time, the wait is an eighth as long, and the rest is work
   * for the vector unit (an hour of a call: 18 instructions a sample
   * became 12, the conversion included, and perf's samples in the filter
   * 511 became about 190). The operations do not depend on where buffers
   * begin, so a frame's power is the same to the bit however the stream
   * is cut. */
  const float *x = x_.data () + 2;
  const Step step = { splat (b0_), splat (b1_), splat (b2_), load (h_[0]),
    load (h_[1]), load (h_[2]), load (h_[3])
  };
  const Quad p = load (p_), q = load (q_);
  const Quad p8 = load (p8_), q8 = load (q8_);
  Quad last = splat (y1_), before = splat (y2_);
  Quad change = sub (last, before);
  Quad squares = splat (0.0f);
  gsize j = 0;
  for (; j + 8 <= n; j += 8) {
    Quad in = step.recursive (step.direct (x + j));
    /* the second four from their own inputs and the first four's */
    Quad in_last = lane < 3 > (in);
    Quad in2 = add (step.recursive (step.direct (x + j + 4)),
        add (mul (p, in_last), mul (q, sub (in_last, lane < 2 > (in)))));
    Quad y = add (in, add (mul (p, last), mul (q, change)));
    Quad y2 = add (in2, add (mul (p8, last), mul (q8, change)));
    squares = add (squares, add (mul (y, y), mul (y2, y2)));
    last = lane < 3 > (y2);
    before = lane < 2 > (y2);
    change = sub (last, before);
  }
  if (j + 4 <= n) {
    Quad y = add (step.recursive (step.direct (x + j)),
        add (mul (p, last), mul (q, change)));
    squares = add (squares, mul (y, y));
    last = lane < 3 > (y);
    before = lane < 2 > (y);
    j += 4;
  }
  float s[4];
  to_floats (s, squares);
  double energy = ((double) s[0] + s[1]) + ((double) s[2] + s[3]);
  float y1 = first (last), y2 = first (before);

  /* the last few samples one by one, as the plain direct form I */
  for (; j < n; j++) {
    float y = (b0_ * x[j] + b1_ * x[j - 1] + b2_ * x[j - 2] - a2_ * y2)
        - a1_ * y1;
    energy += y * y;
    y2 = y1;
    y1 = y;
  }
  y1_ = y1;
  y2_ = y2;
  float before_last = x[(gssize) n - 2], last_x = x[n - 1];
  x_[0] = before_last;
  x_[1] = last_x;
  return energy;
}

/* 120 dB over full scale: the filter's outputs still square in float */
static const float LARGEST_SAMPLE = 1e6f;

void
FrameAnalyzer::repair (gsize n)
{
  for (float *x = x_.data () + 2, *end = x + n; x < end; x++) {
    if (!std::isfinite (*x))
      *x = 0.0f;
    else
      *x = CLAMP (*x, -LARGEST_SAMPLE, LARGEST_SAMPLE);
  }
}

FrameAnalyzer::Frame
FrameAnalyzer::take_frame ()
{
  guint64 n = sample_ - frame_start_sample_;
  Frame f;
  f.repaired = false;
  f.power = 0.0;
  if (n > 0) {
    float y1 = y1_, y2 = y2_, x0 = x_[0], x1 = x_[1];
    double energy = filter_frame (n);
    /* a NaN or an infinity would stay in the filter's state for good, and
     * no speech be found after it: the frame is filtered again, repaired.
     * Checked once a frame, not at every sample: float input only. */
    if (!std::isfinite (energy)) {
      y1_ = y1;
      y2_ = y2;
      x_[0] = x0;
      x_[1] = x1;
      repair (n);
      energy = filter_frame (n);
      f.repaired = true;
    }
    f.power = energy / n;
  }
  f.start = sample_time (frame_start_sample_);
  f.end = sample_time (sample_);

  frame_start_sample_ = sample_;
  frame_++;
  return f;
}
