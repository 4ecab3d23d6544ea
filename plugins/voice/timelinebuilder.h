/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>
#include <gst/voice/voice.h>

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

/* Turns the speech spans of all speakers of one conversation into its
 * timeline: speaking events, the agent's response latency, interruptions
 * and segment records.
 *
 * Spans arrive per speaker and late: a start some time after it happened
 * (the segmenter's decision delay), a stop once the silence after it is
 * long enough. The builder keeps the boundaries it was told about and,
 * when told that every stream is settled up to a time (no boundary before
 * it can still arrive), sweeps them in time order. So every relation
 * (who spoke first, who was still speaking) is decided on complete
 * knowledge, and events come out in time order. Times are nanoseconds of
 * running time; events and segments are given in seconds from the origin,
 * conversation time zero (earlier times count as zero). */
class TimelineBuilder
{
public:
  using EventFunc = std::function < void (const GstVoiceTimelineEvent &) >;
  using SegmentFunc = std::function < void (const GstVoiceSegment &) >;
  using WarningFunc = std::function < void (const std::string &) >;

  TimelineBuilder (EventFunc on_event, SegmentFunc on_segment,
      WarningFunc on_warning = nullptr);
  ~TimelineBuilder ();

  void span_start (const std::string & speaker, GstVoiceRole role,
      GstClockTime start);
  void span_stop (const std::string & speaker, GstVoiceRole role,
      GstClockTime start, GstClockTime end);

  /* An event from the application (tool_call, tool_result) at running time
   * @time; its own `time` field is ignored. A tool_result must follow a
   * tool_call with the same `call_id` in its metadata, or it is reported
   * as a warning (and still kept). */
  void add_event (const GstVoiceTimelineEvent & event, GstClockTime time);

  /* What @speaker said, for segment @idx, or when @idx < 0 for the segment
   * of @speaker that is open at running time @time (else the last one
   * before it; if there is none, a warning). Texts given for one segment
   * are joined with a space. A segment already given out is given out
   * again, with its transcript, up to a minute after it ended (later, a
   * warning). */
  void set_transcript (const std::string & speaker, gint idx,
      GstClockTime time, const std::string & text);
  /* Timed text for @speaker from @start to @end (a subtitle cue, a
   * speech-to-text result): given to every segment of @speaker that it
   * overlaps, after what was given before it. Text that overlaps none
   * is dropped once no segment can still overlap it. */
  void add_cue (const std::string & speaker, GstClockTime start,
      GstClockTime end, const std::string & text);

  /* Nothing before @time can still arrive: process up to it. */
  void settle (GstClockTime time);
  /* End of the conversation: process everything, close what is open at
   * @end (the last sample). */
  void finish (GstClockTime end);
  /* What finish (@end) would give out, on a copy of this builder that
   * @prepare may first add to; this one is left as it is. Returns the
   * final latency figures, transfer full. */
  GstVoiceLatencyStats *preview_finish (GstClockTime end,
      const std::function < void (TimelineBuilder &) > &prepare,
      EventFunc on_event, SegmentFunc on_segment) const;

  void set_origin (GstClockTime origin) { origin_ = origin; }
  /* how many cues are kept, for the tests */
  gsize held_cues () const
  {
    gsize n = 0;
    for (const auto & c:cues_)
      n += c.second.size ();
    return n;
  }
  const GstVoiceLatencyStats *latency () const { return stats_; }
  /* changes whenever the latency figures do */
  guint latency_version () const { return stats_version_; }

private:
  struct Boundary
  {
    GstClockTime time;
    bool start;
    std::string speaker;
    GstVoiceRole role;
    /* an application event instead of a span boundary */
    std::shared_ptr < GstVoiceTimelineEvent > event;
    /* or a transcript for a segment of @speaker */
    bool transcript;
    gint idx;
    std::string text;
    /* a cue: the end of its time (it starts at @time) */
    GstClockTime cue_end = GST_CLOCK_TIME_NONE;

    /* a speaker's start or stop, none of the above */
    bool is_span () const
    {
      return !event && !transcript && !GST_CLOCK_TIME_IS_VALID (cue_end);
    }
  };
  struct Cue
  {
    GstClockTime start, end;
    std::string text;
  };
  struct OpenSpan
  {
    guint idx;
    GstVoiceRole role;
    GstClockTime start;
    bool truncated;
  };
  /* a user talking over agents, until they all went quiet */
  struct Interrupt
  {
    GstClockTime at;
    std::string speaker;
    std::set < std::string > agents;
    GstClockTime quiet_at;
  };

  void process (const Boundary & b);
  void process_app_event (const Boundary & b);
  void process_transcript (const Boundary & b);
  void process_cue (const Boundary & b);
  void take_cues (const std::string & speaker, guint idx,
      GstClockTime start, GstClockTime end);
  void forget_cues_before (GstClockTime time);
  void append_transcript (guint idx, const std::string & text);
  void forget_before (GstClockTime time);
  void emit_segment (guint idx);
  void emit (GstVoiceEventType type, GstClockTime time, bool has_latency =
      false, GstClockTime latency = 0, const std::string & speaker = "",
      GstClockTime response = GST_CLOCK_TIME_NONE);
  void agent_quiet (const std::string & agent, GstClockTime time);
  bool role_speaking (GstVoiceRole role) const;
  gdouble seconds (GstClockTime t) const;

  EventFunc on_event_;
  SegmentFunc on_segment_;
  WarningFunc on_warning_;
  std::set < std::string > open_calls_;
  /* segments given out, by index, to give them out again with a late
   * transcript; and transcripts waiting for their segment */
  std::map < guint, GstVoiceSegment > segments_;
  /* the earliest end of those: until it is a minute old, forgetting has
   * nothing to do (it is asked at every output buffer) */
  gdouble earliest_end_ = G_MAXDOUBLE;
  std::map < guint, std::string > transcripts_;
  /* transcripts for segments still to come, in order: the speaker each
   * names ("" for none) and its text; checked when the segment starts */
  std::map < guint, std::vector < std::pair < std::string,
      std::string > > > awaited_;
  std::map < std::string, guint > last_idx_of_;
  /* cues that a segment to come may still overlap, by speaker */
  std::map < std::string, std::vector < Cue > > cues_;

  /* not yet processed, ordered by time, stops first on ties, then the
   * user's, then by speaker: never by which leg's event the aggregator
   * happened to take first */
  using PendingKey = std::tuple < GstClockTime, int, int, std::string >;
  std::multimap < PendingKey, Boundary > pending_;

  std::map < std::string, OpenSpan > open_;
  guint next_idx_ = 0;
  GstClockTime last_user_stop_ = GST_CLOCK_TIME_NONE;
  bool turn_answered_ = true;
  std::vector < Interrupt > interrupts_;
  std::vector < gdouble > interrupt_responses_;
  bool agent_spoke_ = false;
  guint stats_version_ = 0;
  GstVoiceLatencyStats *stats_;
  GstClockTime origin_ = 0;
};
