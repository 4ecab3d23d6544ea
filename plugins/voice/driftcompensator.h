/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>

/* Keeps one input's audio on its timestamps when its sample clock drifts
 * against the clock that stamps it (a leg stamped on arrival by another
 * clock): the rate at which it is to be resampled, so that the audio
 * given out is as long as its timestamps say, without the drops and
 * inserts by which an aggregator would otherwise realign it.
 *
 * A second-order loop on the gap between the timestamps and the audio
 * given out: the estimated skew, corrected by what is left of the gap.
 * The gap is smoothed first, so that the jitter of timestamps taken on
 * arrival does not wobble the pitch. It engages only once the gap passes
 * a few milliseconds: a stream that keeps to its timestamps is never
 * resampled. */
class DriftCompensator
{
public:
  /* the rate of the audio given out */
  explicit DriftCompensator (gint rate = 0) : rate_ (rate) {}

  /* Output frames per input frame for the buffer at @pts; 1.0 while the
   * stream keeps to its timestamps. @discont starts anew (after a gap, a
   * resync or a flush: the aggregator places that buffer by its time). */
  double ratio_for (GstClockTime pts, bool discont);
  /* the @frames that the buffer became */
  void produced (guint64 frames) { produced_ += frames; }
  void reset ();

  gint rate () const { return rate_; }
  bool engaged () const { return engaged_; }
  /* the smoothed gap, in seconds: timestamps ahead of the audio */
  double gap () const { return gap_; }

private:
  gint rate_;
  bool anchored_ = false;
  bool engaged_ = false;
  GstClockTime anchor_ = 0;
  GstClockTime last_ = 0;
  guint64 produced_ = 0;
  double gap_ = 0;
  double skew_ = 0;
};
