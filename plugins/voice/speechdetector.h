/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>

#include <deque>
#include <vector>

/* Decides, frame by frame, where one speaker talks.
 *
 * A frame is loud when its level is @threshold_db above the noise floor
 * (tracked by minimum statistics over the last seconds) and above
 * @min_level_db, voiced when it is above the lower hold threshold. A span
 * opens once @min_speech of voiced frames, from a loud one on, fall within
 * a window of @min_speech plus LOOKBACK (or half @min_speech if more); its
 * start is moved back over the voiced frames of the onset, so it lands on
 * the first speech frame, not on the frame where the decision was made. It closes once @min_silence passed since the last
 * frame above the lower hold threshold; its end is the end of that frame, so
 * the hangover never enters the span. */
class SpeechDetector
{
public:
  struct Params
  {
    double threshold_db = 9.0;
    double min_level_db = -50.0;
    GstClockTime min_speech = 50 * GST_MSECOND;
    GstClockTime min_silence = 700 * GST_MSECOND;
  };

  struct Boundary
  {
    bool start;
    GstClockTime time;
  };

  /* How far before the deciding run a start may be placed, at least;
   * the pauses inside the run count against it. */
  static constexpr GstClockTime LOOKBACK = 100 * GST_MSECOND;
  /* Known silence up to this long (a lost packet or a few, audio that
   * came a little late) inside an onset is passed over: it neither counts
   * as speech nor starts the count anew, and the start may move back
   * across it. Longer, it is silence like any other. */
  static constexpr GstClockTime SHORT_GAP = 60 * GST_MSECOND;

  void set_params (const Params & params) { params_ = params; }
  const Params & params () const { return params_; }

  /* The longest time between a span's start and the end of the frame that
   * decides it: the delay a consumer must allow for the start to arrive
   * before the audio it points at. */
  GstClockTime decision_delay () const;

  void reset ();
  bool speaking () const { return speaking_; }

  void push_frame (double power, GstClockTime start, GstClockTime end,
      std::vector < Boundary > &out);

  /* Known silence (a GAP, or a jump in timestamps) from @start to @end. */
  void push_silence (GstClockTime start, GstClockTime end,
      std::vector < Boundary > &out);

  /* End of stream: closes an open span at its last speech frame. */
  void finish (std::vector < Boundary > &out);

private:
  struct HistoryFrame
  {
    GstClockTime start, end;
    bool loud, voiced;
    bool gap = false;           /* known silence, no audio */
  };

  /* how far back from the deciding frame's end a span may start */
  GstClockTime window () const;
  double noise_floor_db () const;
  void track_noise (double level_db);
  void close (std::vector < Boundary > &out);

  Params params_;
  bool speaking_ = false;

  /* silence: the frames of the last window (), a gap as one entry */
  std::deque < HistoryFrame > history_;

  /* speech: end of the last frame above the hold threshold */
  GstClockTime last_speech_end_ = GST_CLOCK_TIME_NONE;

  /* minimum statistics: the minimum of each block of frames, and the
   * least of them (asked at every frame, changed every block) */
  std::deque < double >block_mins_;
  double blocks_floor_ = G_MAXDOUBLE;
  double block_min_ = G_MAXDOUBLE;
  guint block_frames_ = 0;
};
