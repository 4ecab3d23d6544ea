/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "driftcompensator.h"

#include <cmath>

/* smoothing of the gap: jitter of a few ms on each buffer averages out */
static const double SMOOTHING = 0.3;
/* the loop, critically damped: it takes up a 1 % drift within a few
 * seconds, the gap staying under about 10 ms (the aggregator realigns at
 * 20 ms) */
static const double GAIN = 2.0;
static const double SKEW_GAIN = GAIN * GAIN / 4;
/* a gap smaller than this is jitter, not drift */
static const double ENGAGE = 0.005;
/* a gap larger than this is a jump, not drift: the aggregator places
 * the audio by its time, and the loop starts anew from there */
static const double JUMP = 0.040;
/* no clock is off by more than this */
static const double MAX_SKEW = 0.02;
/* what the gap may add to the skew: bursts of jitter that get through
 * the smoothing bend the pitch by no more than this */
static const double MAX_CORRECTION = 0.005;

void
DriftCompensator::reset ()
{
  anchored_ = engaged_ = false;
  produced_ = 0;
  gap_ = skew_ = 0;
}

double
DriftCompensator::ratio_for (GstClockTime pts, bool discont)
{
  if (!GST_CLOCK_TIME_IS_VALID (pts) || rate_ <= 0)
    return engaged_ ? 1.0 + skew_ : 1.0;

  double gap = anchored_ ? (double) GST_CLOCK_DIFF (anchor_, pts) /
      GST_SECOND - (double) produced_ / rate_ : 0;
  if (!anchored_ || discont || std::fabs (gap) > JUMP) {
    anchored_ = true;
    anchor_ = last_ = pts;
    produced_ = 0;
    gap_ = 0;
    return engaged_ ? 1.0 + skew_ : 1.0;
  }

  double dt = MAX (0.0, (double) GST_CLOCK_DIFF (last_, pts) / GST_SECOND);
  last_ = MAX (last_, pts);
  gap_ += (gap - gap_) * dt / (SMOOTHING + dt);
  if (!engaged_ && std::fabs (gap_) < ENGAGE)
    return 1.0;
  engaged_ = true;
  skew_ = CLAMP (skew_ + SKEW_GAIN * gap_ * dt, -MAX_SKEW, MAX_SKEW);
  return 1.0 + skew_ + CLAMP (GAIN * gap_, -MAX_CORRECTION, MAX_CORRECTION);
}
