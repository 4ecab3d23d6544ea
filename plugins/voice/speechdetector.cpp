/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "speechdetector.h"

#include <algorithm>
#include <cmath>

/* The noise floor is the lowest frame level of the last NOISE_BLOCKS blocks
 * of NOISE_BLOCK_FRAMES frames (4 s): long enough to always hold a pause
 * between words, short enough to follow a change of background. */
static const guint NOISE_BLOCK_FRAMES = 50;
static const guint NOISE_BLOCKS = 8;

/* Frames that keep an open span alive, or that an onset is moved back over,
 * only need half the threshold above the noise floor. */
static const double HOLD_RATIO = 0.5;

/* Lowest level considered at all: digital silence is -inf dB. */
static const double LEVEL_FLOOR_DB = -120.0;

static const GstClockTime FRAME = 10 * GST_MSECOND;

GstClockTime
SpeechDetector::window () const
{
  /* the pauses inside speech grow with how much of it is asked for: a
   * second of it holds several between syllables */
  return params_.min_speech + MAX (LOOKBACK, params_.min_speech / 2);
}

GstClockTime
SpeechDetector::decision_delay () const
{
  /* the window, plus a partial frame of input not yet analysed and a frame
   * of rounding at rates that are not multiples of 100 Hz */
  return window () + 2 * FRAME;
}

void
SpeechDetector::reset ()
{
  speaking_ = false;
  history_.clear ();
  last_speech_end_ = GST_CLOCK_TIME_NONE;
  block_mins_.clear ();
  blocks_floor_ = G_MAXDOUBLE;
  block_min_ = G_MAXDOUBLE;
  block_frames_ = 0;
}

double
SpeechDetector::noise_floor_db () const
{
  double floor = std::min (block_min_, blocks_floor_);
  return floor == G_MAXDOUBLE ? LEVEL_FLOOR_DB : floor;
}

void
SpeechDetector::track_noise (double level_db)
{
  block_min_ = std::min (block_min_, level_db);
  if (++block_frames_ < NOISE_BLOCK_FRAMES)
    return;
  block_mins_.push_back (block_min_);
  if (block_mins_.size () > NOISE_BLOCKS)
    block_mins_.pop_front ();
  blocks_floor_ = *std::min_element (block_mins_.begin (), block_mins_.end ());
  block_min_ = G_MAXDOUBLE;
  block_frames_ = 0;
}

void
SpeechDetector::close (std::vector < Boundary > &out)
{
  out.push_back ({false, last_speech_end_});
  speaking_ = false;
  history_.clear ();
}

void
SpeechDetector::push_frame (double power, GstClockTime start, GstClockTime end,
    std::vector < Boundary > &out)
{
  double level_db = power > 0 ? 10.0 * std::log10 (power) : LEVEL_FLOOR_DB;
  level_db = std::max (level_db, LEVEL_FLOOR_DB);

  double floor_db = noise_floor_db ();
  double loud_db = std::max (floor_db + params_.threshold_db,
      params_.min_level_db);
  double hold_db = std::max (floor_db + HOLD_RATIO * params_.threshold_db,
      params_.min_level_db);
  track_noise (level_db);

  if (speaking_) {
    if (level_db >= hold_db)
      last_speech_end_ = end;
    else if (GST_CLOCK_DIFF (last_speech_end_, end) >=
        (GstClockTimeDiff) params_.min_silence)
      close (out);
    return;
  }

  /* A span opens once its voiced frames (at the hold level or above) make
   * min-speech, from a loud one on, all within the window: the quieter
   * frames of speech (between syllables, a stop's closure) do not start
   * the count anew, and the window bounds the decision delay. Its start
   * moves back over the voiced frames that lead into the loud one. */
  history_.push_back ({start, end, level_db >= loud_db, level_db >= hold_db});
  while (GST_CLOCK_DIFF (history_.front ().start, end) >
      (GstClockTimeDiff) window ())
    history_.pop_front ();

  GstClockTime voiced = 0;
  auto first_loud = history_.end ();
  for (auto it = history_.begin (); it != history_.end (); ++it) {
    if (first_loud == history_.end () && it->loud)
      first_loud = it;
    if (first_loud != history_.end () && it->voiced)
      voiced += it->end - it->start;
  }
  if (first_loud == history_.end () || voiced < params_.min_speech)
    return;

  auto onset = first_loud;
  while (onset != history_.begin () && (std::prev (onset)->voiced
          || std::prev (onset)->gap))
    --onset;
  /* a start on the audio, not in a gap */
  while (onset->gap)
    ++onset;
  out.push_back ({true, onset->start});
  speaking_ = true;
  last_speech_end_ = end;
  history_.clear ();
}

void
SpeechDetector::push_silence (GstClockTime start, GstClockTime end,
    std::vector < Boundary > &out)
{
  if (speaking_ && GST_CLOCK_DIFF (last_speech_end_, end) >=
      (GstClockTimeDiff) params_.min_silence)
    close (out);
  if (speaking_ || !GST_CLOCK_TIME_IS_VALID (start) || end <= start)
    return;
  if (!history_.empty () && history_.back ().gap
      && history_.back ().end >= start)
    history_.back ().end = MAX (history_.back ().end, end);
  else
    history_.push_back ({start, end, false, false, true});
  /* a long one is silence: nothing before it leads into an onset */
  if (history_.back ().end - history_.back ().start > SHORT_GAP) {
    HistoryFrame gap = history_.back ();
    history_.clear ();
    history_.push_back (gap);
  }
}

void
SpeechDetector::finish (std::vector < Boundary > &out)
{
  if (speaking_)
    close (out);
  history_.clear ();
}
