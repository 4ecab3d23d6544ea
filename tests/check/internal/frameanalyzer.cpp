/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The segmenter's frame analysis against the plain direct-form-I high-pass
 * it stands for; the same to the bit however the stream is cut into
 * buffers; what the filter is there for: speech-band tones pass, hum
 * does not; and float samples that are not numbers do not stop it.
 */
#include <gst/check/gstcheck.h>

#include "frameanalyzer.h"

#include <cmath>
#include <vector>

struct Frame
{
  double power;
  GstClockTime start, end;
  bool repaired;
};

/* the filter of frameanalyzer.cpp, one sample after the other, computed
 * in double */
static std::vector < Frame >
plain_frames (const std::vector < float >&x, gint rate)
{
  double w0 = 2.0 * G_PI * 150.0 / rate;
  double alpha = std::sin (w0) / (2.0 * (1.0 / G_SQRT2));
  double cosw = std::cos (w0);
  double a0 = 1.0 + alpha;
  float b0 = (float) ((1.0 + cosw) / 2.0 / a0);
  float b1 = (float) (-(1.0 + cosw) / a0);
  float b2 = b0;
  float a1 = (float) (-2.0 * cosw / a0);
  float a2 = (float) ((1.0 - alpha) / a0);
  double x1 = 0, x2 = 0, y1 = 0, y2 = 0;

  std::vector < Frame > frames;
  guint64 start = 0;
  for (guint64 k = 0;; k++) {
    guint64 end = MIN ((k + 1) * rate / 100, (guint64) x.size ());
    if (end <= start)
      break;
    double energy = 0;
    for (guint64 i = start; i < end; i++) {
      double y = ((double) b0 * x[i] + (double) b1 * x1 + (double) b2 * x2
          - (double) a2 * y2) - (double) a1 * y1;
      x2 = x1;
      x1 = x[i];
      y2 = y1;
      y1 = y;
      energy += y * y;
    }
    frames.push_back ({energy / (end - start),
          gst_util_uint64_scale_int (start, GST_SECOND, rate),
          gst_util_uint64_scale_int (end, GST_SECOND, rate), false});
    start = end;
  }
  return frames;
}

/* @x given to the analyzer @chunk samples at a time, as @format */
static std::vector < Frame >
analyzed_frames (const std::vector < float >&x, gint rate,
    GstAudioFormat format, gsize chunk)
{
  FrameAnalyzer analyzer;
  fail_unless (analyzer.configure (rate, format));
  analyzer.set_origin (0);

  std::vector < gint16 > s16 (x.size ());
  for (gsize i = 0; i < x.size (); i++)
    s16[i] = GINT16_TO_LE ((gint16) std::lrint (x[i] * 32768.0f));
  const guint8 *data = format == GST_AUDIO_FORMAT_S16LE ?
      reinterpret_cast < const guint8 *>(s16.data ()) :
      reinterpret_cast < const guint8 *>(x.data ());
  gsize sample_size = format == GST_AUDIO_FORMAT_S16LE ? 2 : 4;

  std::vector < Frame > frames;
  auto on_frame =[&](const FrameAnalyzer::Frame & f) {
    frames.push_back ({f.power, f.start, f.end, f.repaired});
  };
  for (gsize i = 0; i < x.size (); i += chunk)
    analyzer.process (data + i * sample_size, MIN (chunk, x.size () - i),
        on_frame);
  analyzer.finish_frame (on_frame);
  return frames;
}

enum Signal
{
  SPEECH_LIKE,                  /* tones, a step, quiet and loud parts */
  HUM,                          /* loud mains hum, a faint tone over it */
};

/* exact in S16 */
static std::vector < float >
test_signal (Signal signal, gint rate, gsize n)
{
  std::vector < float >x (n);
  for (gsize i = 0; i < n; i++) {
    double t = (double) i / rate;
    double v = signal == SPEECH_LIKE ?
        0.3 * std::sin (2 * G_PI * 440 * t) * (1 + std::sin (t * 7))
        + 0.2 * std::sin (2 * G_PI * 1234 * t) + (i / 997 % 2 ? 0.1 : -0.1)
        : 0.9 * std::sin (2 * G_PI * 50 * t)
        + 0.001 * std::sin (2 * G_PI * 700 * t);
    x[i] = (float) std::lrint (CLAMP (v, -1.0, 1.0) * 32767) / 32768.0f;
  }
  return x;
}

/* The analyzer computes eight outputs at a time and rounds otherwise than
 * the plain filter in float does: on these signals that one is up to
 * 4e-5 off the powers computed in double (mains hum at 48 kHz), the
 * analyzer up to 2.8e-5. A coefficient wrong by 1e-5 is off by more. */
static bool
close_power (double got, double want)
{
  return std::fabs (got - want) <= 1e-4 * want + 1e-12;
}

/* @signal at @rate, against the plain filter and cut every way */
static void
check_signal (Signal signal, gint rate)
{
  const gsize chunks[] = { 1, 7, 8, 9, 160, 255, 256, 257, 441, 100000 };
  const GstAudioFormat formats[] =
      { GST_AUDIO_FORMAT_S16LE, GST_AUDIO_FORMAT_F32LE };
  const gchar *name = signal == SPEECH_LIKE ? "speech-like" : "hum";

  /* a second and a bit: the last frame is partial */
  std::vector < float >x = test_signal (signal, rate, rate + rate / 300);
  std::vector < Frame > plain = plain_frames (x, rate);
  fail_unless (plain.size () == 101);
  for (GstAudioFormat format:formats) {
    std::vector < Frame > whole = analyzed_frames (x, rate, format, x.size ());
    fail_unless_equals_int (whole.size (), plain.size ());
    for (gsize k = 0; k < whole.size (); k++) {
      if (!close_power (whole[k].power, plain[k].power))
        fail ("%s, %d Hz, %s: frame %" G_GSIZE_FORMAT " has power %.17g, "
            "the plain filter %.17g", name, rate,
            gst_audio_format_to_string (format), k, whole[k].power,
            plain[k].power);
      fail_unless_equals_uint64 (whole[k].start, plain[k].start);
      fail_unless_equals_uint64 (whole[k].end, plain[k].end);
    }
    /* to the bit, however the stream is cut */
    for (gsize chunk:chunks) {
      std::vector < Frame > got = analyzed_frames (x, rate, format, chunk);
      fail_unless_equals_int (got.size (), whole.size ());
      for (gsize k = 0; k < got.size (); k++) {
        if (got[k].power != whole[k].power)
          fail ("%s, %d Hz, %s, %" G_GSIZE_FORMAT "-sample buffers: frame %"
              G_GSIZE_FORMAT " has power %.17g, not %.17g", name, rate,
              gst_audio_format_to_string (format), chunk, k, got[k].power,
              whole[k].power);
        fail_unless_equals_uint64 (got[k].start, whole[k].start);
        fail_unless_equals_uint64 (got[k].end, whole[k].end);
      }
    }
  }
}

GST_START_TEST (test_same_as_plain_filter)
{
  /* frames of 80 to 480 samples, 110/111, 220/221 and 441 among them */
  for (Signal signal:{
        SPEECH_LIKE, HUM})
    for (gint rate:{
          8000, 11025, 16000, 22050, 44100, 48000})
      check_signal (signal, rate);
}

GST_END_TEST;

static double
mean_power_of_tone (double hz, gint rate)
{
  std::vector < float >x (rate);
  for (gint i = 0; i < rate; i++)
    x[i] = (float) (0.5 * std::sin (2 * G_PI * hz * i / rate));
  std::vector < Frame > frames =
      analyzed_frames (x, rate, GST_AUDIO_FORMAT_F32LE, 160);
  /* after the filter has settled */
  double sum = 0;
  for (gsize k = 10; k < frames.size (); k++)
    sum += frames[k].power;
  return sum / (frames.size () - 10);
}

GST_START_TEST (test_speech_band_passes_hum_does_not)
{
  /* a sine of amplitude 0.5 has a power of 0.125 */
  for (gint rate:{
        8000, 16000, 48000}) {
    double voice = mean_power_of_tone (1000, rate);
    double hum = mean_power_of_tone (50, rate);
    fail_unless (voice > 0.12 && voice < 0.13, "%d Hz: 1 kHz power %g", rate,
        voice);
    fail_unless (hum < 0.125 / 50, "%d Hz: 50 Hz power %g", rate, hum);
  }
}

GST_END_TEST;

GST_START_TEST (test_bad_float_samples)
{
  /* a NaN, infinities, floats too large to square: each frame that holds
   * one is analysed as if it held silence there (or the largest value),
   * every frame after it as before, not lost to the filter's state */
  const gint rate = 16000;
  const struct
  {
    gsize at;
    float value, as;
  } bad_samples[] = {
    {5 * 160 + 3, NAN, 0.0f},
    {10 * 160 + 100, INFINITY, 0.0f},
    {10 * 160 + 101, -INFINITY, 0.0f},
    {20 * 160 + 100, -1e30f, -1e6f},
    {30 * 160, 1e30f, 1e6f},
  };
  std::vector < float >bad = test_signal (SPEECH_LIKE, rate, rate);
  std::vector < float >repaired = bad;
  for (const auto & b:bad_samples) {
    bad[b.at] = b.value;
    repaired[b.at] = b.as;
  }
  for (gsize chunk:{
        7, 160, 16000}) {
    std::vector < Frame > got = analyzed_frames (bad, rate,
        GST_AUDIO_FORMAT_F32LE, chunk);
    std::vector < Frame > want = analyzed_frames (repaired, rate,
        GST_AUDIO_FORMAT_F32LE, chunk);
    fail_unless_equals_int (got.size (), 100);
    fail_unless_equals_int (want.size (), 100);
    for (gsize k = 0; k < got.size (); k++) {
      fail_unless (std::isfinite (got[k].power));
      fail_unless (got[k].power == want[k].power, "%" G_GSIZE_FORMAT
          "-sample buffers: frame %" G_GSIZE_FORMAT " has power %.17g, "
          "not %.17g", chunk, k, got[k].power, want[k].power);
      fail_unless_equals_int (got[k].repaired, k == 5 || k == 10 || k == 20
          || k == 30);
      fail_unless (!want[k].repaired);
    }
  }
}

GST_END_TEST;

static Suite *
frameanalyzer_suite (void)
{
  Suite *s = suite_create ("frameanalyzer");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_same_as_plain_filter);
  tcase_add_test (tc, test_speech_band_passes_hum_does_not);
  tcase_add_test (tc, test_bad_float_samples);
  return s;
}

GST_CHECK_MAIN (frameanalyzer);
