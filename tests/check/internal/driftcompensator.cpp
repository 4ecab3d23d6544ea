/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The drift compensator of voicetimeline's pads, on its own: it leaves a
 * stream that keeps to its timestamps alone, jitter included, and takes up
 * a drifting one's skew exactly, keeping it within a few milliseconds of
 * its timestamps all the while.
 */
#include <gst/check/gstcheck.h>

#include "driftcompensator.h"

#include <cmath>
#include <initializer_list>

#define RATE 16000
#define CHUNK 320               /* 20 ms */

/* @seconds of 20 ms chunks stamped @skew times 20 ms apart, each with
 * @jitter_ms of jitter (a fixed pattern), through @dc; the worst gap
 * between the timestamps and the audio given out, from @settle seconds
 * on, in seconds; the last ratio in @ratio */
static double
run (DriftCompensator & dc, double skew, double jitter_ms, double seconds,
    double settle, double &ratio)
{
  double worst = 0, given = 0;
  guint n = (guint) (seconds * 50);
  for (guint k = 0; k < n; k++) {
    double jitter = jitter_ms * (((k * 7) % 11) / 5.0 - 1.0) / 1000;
    double stamp = k * 0.020 * skew;
    GstClockTime pts = (GstClockTime) ((stamp + jitter + 1.0) * GST_SECOND);
    ratio = dc.ratio_for (pts, k == 0);
    /* what a resampler at that ratio gives, to the frame */
    double out = CHUNK * ratio;
    guint64 frames = (guint64) std::floor (given + out) -
        (guint64) std::floor (given);
    given += out;
    dc.produced (frames);
    if (k * 0.020 >= settle)
      worst = MAX (worst, std::fabs (stamp - std::floor (given - out) /
              RATE));
  }
  return worst;
}

GST_START_TEST (test_steady_stream_left_alone)
{
  for (double jitter:{0.0, 3.0}) {
    DriftCompensator dc (RATE);
    double ratio;
    run (dc, 1.0, jitter, 120, 0, ratio);
    fail_if (dc.engaged (), "engaged with %.0f ms of jitter", jitter);
    fail_unless_equals_float (ratio, 1.0);
  }
}

GST_END_TEST;

GST_START_TEST (test_drift_taken_up)
{
  for (double skew:{0.99, 1.01, 1.0001}) {
    for (double jitter:{0.0, 3.0}) {
      DriftCompensator dc (RATE);
      double ratio;
      double worst = run (dc, skew, jitter, 600, 0, ratio);
      GST_INFO ("skew %f, jitter %.0f ms: %.1f ms off at worst", skew,
          jitter, worst * 1000);
      /* never near the 20 ms at which the aggregator would realign it;
       * the drift of a telephone's clock (100 ppm) stays within jitter
       * for a long time, and is taken up once it is not */
      fail_unless (worst < 0.015, "skew %f, jitter %.0f ms: %.1f ms off",
          skew, jitter, worst * 1000);
      fail_unless (dc.engaged ());
      fail_unless (std::fabs (ratio - skew) < 0.0005,
          "skew %f: ratio %f", skew, ratio);
      /* once taken up, within the jitter and a little more */
      DriftCompensator again (RATE);
      worst = run (again, skew, jitter, 600, 60, ratio);
      fail_unless (worst < 0.001 + jitter / 1000, "skew %f, jitter %.0f ms: "
          "%.1f ms off once settled", skew, jitter, worst * 1000);
    }
  }
}

GST_END_TEST;

/* A jump (a gap in the stream, a resync) is not drift: the loop starts
 * anew from there, its skew kept. */
GST_START_TEST (test_jump_restarts)
{
  DriftCompensator dc (RATE);
  double ratio;
  run (dc, 1.01, 0, 30, 0, ratio);
  fail_unless (dc.engaged ());
  double before = ratio;
  /* 0.5 s later than the audio says */
  ratio = dc.ratio_for (40 * GST_SECOND, FALSE);
  fail_unless (std::fabs (ratio - before) < 0.001);
  fail_unless_equals_float (dc.gap (), 0.0);
}

GST_END_TEST;

/* A burst of late timestamps (taken on arrival, 15 ms late for a second)
 * cannot be told from the start of a drift of 1 %, which must be taken up
 * within a second or two: it bends the pitch, by no more than the
 * compensator allows (2.5 %), and the stream comes back to its timestamps
 * and its own rate. */
GST_START_TEST (test_jitter_burst)
{
  DriftCompensator dc (RATE);
  double given = 0, worst = 0, ratio = 1;
  for (guint k = 0; k < 50 * 60; k++) {
    double late = (k >= 500 && k < 550) ? 0.015 : 0;
    GstClockTime pts = (GstClockTime) ((k * 0.020 + late) * GST_SECOND);
    ratio = dc.ratio_for (pts, k == 0);
    worst = MAX (worst, std::fabs (ratio - 1.0));
    double out = CHUNK * ratio;
    dc.produced ((guint64) std::floor (given + out) -
        (guint64) std::floor (given));
    given += out;
  }
  fail_unless (worst <= 0.025, "ratio off by %f", worst);
  fail_unless (std::fabs (ratio - 1.0) < 0.0005, "ratio %f", ratio);
  fail_unless (std::fabs (dc.gap ()) < 0.001, "%f s off", dc.gap ());
}

GST_END_TEST;

static Suite *
driftcompensator_suite (void)
{
  Suite *s = suite_create ("driftcompensator");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_steady_stream_left_alone);
  tcase_add_test (tc, test_drift_taken_up);
  tcase_add_test (tc, test_jitter_burst);
  tcase_add_test (tc, test_jump_restarts);
  return s;
}

GST_CHECK_MAIN (driftcompensator);
