/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "timelinebuilder.h"

#include <algorithm>
#include <cmath>
#include <numeric>

/* how long after its end a segment can still get its transcript */
#define TRANSCRIPT_WINDOW_S 60.0
/* how long after the end of the call an event of the application is still
 * taken as part of it (the output trails the clock by the latency) */
#define LATE_APP_EVENT (60 * GST_SECOND)

/* on equal times a stop comes before a start: an answer that starts on the
 * very sample the question ended has a latency of 0, not an overlap */
enum
{
  ORDER_STOP = 0,
  ORDER_START = 1,
  ORDER_APP = 2,
};

static gdouble
duration_s (GstClockTime t)
{
  return (gdouble) t / GST_SECOND;
}

gdouble
TimelineBuilder::seconds (GstClockTime t) const
{
  return t > origin_ ? duration_s (t - origin_) : 0.0;
}

TimelineBuilder::TimelineBuilder (EventFunc on_event, SegmentFunc on_segment,
    WarningFunc on_warning)
:  on_event_ (std::move (on_event)), on_segment_ (std::move (on_segment)),
    on_warning_ (std::move (on_warning)),
    stats_ (gst_voice_latency_stats_new ())
{
}

TimelineBuilder::~TimelineBuilder ()
{
  for (auto & s:segments_)
    gst_voice_segment_clear (&s.second);
  gst_voice_latency_stats_free (stats_);
}

void
TimelineBuilder::set_transcript (const std::string & speaker, gint idx,
    GstClockTime time, const std::string & text)
{
  Boundary b = { time, false, speaker, GST_VOICE_ROLE_USER, nullptr, true,
    idx, text
  };
  pending_.insert ({PendingKey (time, ORDER_APP, 0, ""), b});
}

void
TimelineBuilder::process_transcript (const Boundary & b)
{
  gint idx = b.idx;
  if (idx < 0) {
    auto open = open_.find (b.speaker);
    if (open != open_.end ())
      idx = open->second.idx;
    else if (last_idx_of_.count (b.speaker))
      idx = last_idx_of_[b.speaker];
  }
  if (idx < 0) {
    if (on_warning_)
      on_warning_ ("transcript for " + (b.idx < 0 ? "the current segment of "
              + b.speaker : "segment " + std::to_string (b.idx)) +
          ", which does not exist, dropped");
    return;
  }
  /* a finished segment is kept a while for its transcript, not forever */
  const gchar *owner = nullptr;
  for (const auto & o:open_)
    if ((gint) o.second.idx == idx)
      owner = o.first.c_str ();
  auto finished = segments_.find (idx);
  if (finished != segments_.end ())
    owner = finished->second.speaker ? finished->second.speaker : "";
  if (idx < (gint) next_idx_ && !owner) {
    if (on_warning_)
      on_warning_ ("transcript for segment " + std::to_string (idx) +
          " came more than a minute after it ended, dropped");
    return;
  }
  /* the speaker named, if any, must be the segment's */
  if (!b.speaker.empty () && owner && b.speaker != owner) {
    if (on_warning_)
      on_warning_ ("transcript of " + b.speaker + " for segment " +
          std::to_string (idx) + ", which is " + owner + "'s, dropped");
    return;
  }
  /* a given index may belong to a segment still to come: the speaker the
   * text names is checked when it starts */
  if (!owner) {
    awaited_[idx].push_back ({b.speaker, b.text});
    return;
  }
  append_transcript (idx, b.text);
  if (segments_.count (idx))
    emit_segment (idx);
}

void
TimelineBuilder::append_transcript (guint idx, const std::string & text)
{
  std::string & t = transcripts_[idx];
  t = t.empty ()? text : t + " " + text;
}

void
TimelineBuilder::add_cue (const std::string & speaker, GstClockTime start,
    GstClockTime end, const std::string & text)
{
  Boundary b = { start, false, speaker, GST_VOICE_ROLE_USER, nullptr, false,
    -1, text, MAX (start, end)
  };
  pending_.insert ({PendingKey (start, ORDER_APP, 0, ""), b});
}

static bool
overlaps (GstClockTime a_start, GstClockTime a_end, GstClockTime b_start,
    GstClockTime b_end)
{
  /* an instant counts as one nanosecond */
  return a_start < MAX (b_end, b_start + 1) && b_start < MAX (a_end,
      a_start + 1);
}

/* Swept at its start: the segments that ended since are already out and
 * get it late; the open one and those to come take it when they close. */
void
TimelineBuilder::process_cue (const Boundary & b)
{
  for (auto & s:segments_) {
    const GstVoiceSegment & seg = s.second;
    GstClockTime start = origin_ + (GstClockTime) llround (seg.start_time *
        GST_SECOND);
    GstClockTime end = origin_ + (GstClockTime) llround (seg.end_time *
        GST_SECOND);
    if (b.speaker == seg.speaker && overlaps (start, end, b.time, b.cue_end)) {
      append_transcript (s.first, b.text);
      emit_segment (s.first);
    }
  }
  cues_[b.speaker].push_back ({b.time, b.cue_end, b.text});
}

void
TimelineBuilder::take_cues (const std::string & speaker, guint idx,
    GstClockTime start, GstClockTime end)
{
  auto it = cues_.find (speaker);
  if (it == cues_.end ())
    return;
  for (const auto & c:it->second)
    if (overlaps (start, end, c.start, c.end))
      append_transcript (idx, c.text);
}

/* Past @time no segment can start: a cue that ended before it is needed
 * only by a segment still open since before its end. */
void
TimelineBuilder::forget_cues_before (GstClockTime time)
{
  for (auto it = cues_.begin (); it != cues_.end ();) {
    auto open = open_.find (it->first);
    GstClockTime open_since = open != open_.end ()? open->second.start :
        GST_CLOCK_TIME_NONE;
    auto & cues = it->second;
    cues.erase (std::remove_if (cues.begin (), cues.end (),
            [&](const Cue & c) {
              return c.end <= time && (!GST_CLOCK_TIME_IS_VALID (open_since)
                  || open_since >= c.end);
            }), cues.end ());
    it = cues.empty ()? cues_.erase (it) : std::next (it);
  }
}

/* Forgets the segments that ended long enough before @time: a long call
 * keeps only its last minute of them, for late transcripts. */
void
TimelineBuilder::forget_before (GstClockTime time)
{
  gdouble limit = seconds (time) - TRANSCRIPT_WINDOW_S;
  if (limit <= earliest_end_)
    return;
  earliest_end_ = G_MAXDOUBLE;
  for (auto it = segments_.begin (); it != segments_.end ();) {
    if (it->second.end_time >= limit) {
      earliest_end_ = MIN (earliest_end_, it->second.end_time);
      ++it;
      continue;
    }
    transcripts_.erase (it->first);
    gst_voice_segment_clear (&it->second);
    it = segments_.erase (it);
  }
}

void
TimelineBuilder::emit_segment (guint idx)
{
  GstVoiceSegment & seg = segments_[idx];
  auto t = transcripts_.find (idx);
  if (t != transcripts_.end ()) {
    g_free (seg.transcript);
    seg.transcript = g_strdup (t->second.c_str ());
  }
  on_segment_ (seg);
}

void
TimelineBuilder::span_start (const std::string & speaker, GstVoiceRole role,
    GstClockTime start)
{
  pending_.insert ({PendingKey (start, ORDER_START, role, speaker),
        {start, true, speaker, role, nullptr, false, -1, ""}});
}

void
TimelineBuilder::span_stop (const std::string & speaker, GstVoiceRole role,
    GstClockTime start, GstClockTime end)
{
  /* a stop whose start was never told (it came before a flush, or from an
   * upstream that only sends stops) brings its start along */
  bool start_known = open_.count (speaker) > 0;
  for (const auto & p:pending_)
    start_known |= p.second.start && p.second.speaker == speaker;
  if (!start_known)
    span_start (speaker, role, start);
  pending_.insert ({PendingKey (end, ORDER_STOP, role, speaker),
        {end, false, speaker, role, nullptr, false, -1, ""}});
}

void
TimelineBuilder::add_event (const GstVoiceTimelineEvent & event,
    GstClockTime time)
{
  auto copy = std::shared_ptr < GstVoiceTimelineEvent > (
      new GstVoiceTimelineEvent,[](GstVoiceTimelineEvent * e) {
        gst_voice_timeline_event_clear (e);
        delete e;
      });
  gst_voice_timeline_event_copy_into (copy.get (), &event);
  Boundary b = { time, false, "", GST_VOICE_ROLE_USER, copy, false, -1, "" };
  pending_.insert ({PendingKey (time, ORDER_APP, 0, ""), b});
}

/* the call id of a tool event, from its metadata */
static std::string
call_id_of (const GstVoiceTimelineEvent * e)
{
  std::string id;
  if (!e->metadata)
    return id;
  JsonParser *parser = json_parser_new ();
  if (json_parser_load_from_data (parser, e->metadata, -1, nullptr)) {
    JsonNode *root = json_parser_get_root (parser);
    if (JSON_NODE_HOLDS_OBJECT (root)) {
      JsonObject *o = json_node_get_object (root);
      if (json_object_has_member (o, "call_id")) {
        JsonNode *n = json_object_get_member (o, "call_id");
        if (JSON_NODE_HOLDS_VALUE (n)
            && json_node_get_value_type (n) == G_TYPE_STRING)
          id = json_node_get_string (n);
      }
    }
  }
  g_object_unref (parser);
  return id;
}

void
TimelineBuilder::process_app_event (const Boundary & b)
{
  /* the queued event is shared with copies of this builder: given out
   * with its time from a copy of it */
  GstVoiceTimelineEvent given;
  gst_voice_timeline_event_copy_into (&given, b.event.get ());
  given.time = seconds (b.time);
  const GstVoiceTimelineEvent *e = &given;

  if (e->type == GST_VOICE_EVENT_TOOL_CALL) {
    open_calls_.insert (call_id_of (e));
  } else if (e->type == GST_VOICE_EVENT_TOOL_RESULT) {
    std::string id = call_id_of (e);
    auto it = open_calls_.find (id);
    if (it != open_calls_.end ())
      open_calls_.erase (it);
    else if (on_warning_)
      on_warning_ ("tool_result " + (e->name ? std::string (e->name) : "")
          + " (call_id \"" + id + "\") has no matching tool_call");
  }
  on_event_ (given);
  gst_voice_timeline_event_clear (&given);
}

void
TimelineBuilder::settle (GstClockTime time)
{
  while (!pending_.empty () && std::get < 0 > (pending_.begin ()->first) < time) {
    Boundary b = pending_.begin ()->second;
    pending_.erase (pending_.begin ());
    process (b);
  }
  if (GST_CLOCK_TIME_IS_VALID (time)) {
    forget_before (time);
    forget_cues_before (time);
  }
}

void
TimelineBuilder::finish (GstClockTime end)
{
  /* the application's events long after the end of the call are not of
   * it (a clock's time given for a running time, say) */
  for (auto it = pending_.begin (); it != pending_.end ();) {
    const Boundary & b = it->second;
    if (!b.event || !GST_CLOCK_TIME_IS_VALID (end) || end == 0
        || b.time <= end + LATE_APP_EVENT) {
      ++it;
      continue;
    }
    if (on_warning_) {
      gchar *text = g_strdup_printf ("%s at %.3f s, after the end of the "
          "call at %.3f s, dropped: is its time a running time?",
          gst_voice_event_type_to_string (b.event->type), seconds (b.time),
          seconds (end));
      on_warning_ (text);
      g_free (text);
    }
    it = pending_.erase (it);
  }
  /* a leg's boundary comes before its audio, so a hang-up can leave some
   * past the last audio recorded: the recording ends there, spans still
   * open close at @end below, and one that started after it is not in it */
  if (GST_CLOCK_TIME_IS_VALID (end) && end > 0) {
    for (auto it = pending_.begin (); it != pending_.end ();) {
      const Boundary & b = it->second;
      if (b.is_span () && (b.time > end || (b.start && b.time == end)))
        it = pending_.erase (it);
      else
        ++it;
    }
  }
  /* what is decided now (the spans still open closing at the end, the
   * application's events after it, the boundaries left) is given in time
   * order, as the manifest lists it: a segment keeps its place before the
   * stop that ends it, and an interruption, told mid-call at the agent's
   * stop, comes at its own time here */
  struct Decided
  {
    gdouble time;
    bool is_segment;
    GstVoiceTimelineEvent event;
    GstVoiceSegment segment;
  };
  std::vector < Decided > decided;
  EventFunc give_event = std::move (on_event_);
  SegmentFunc give_segment = std::move (on_segment_);
  on_event_ =[&decided](const GstVoiceTimelineEvent & e) {
    decided.push_back ({e.time, false, {}, {}});
    gst_voice_timeline_event_copy_into (&decided.back ().event, &e);
  };
  on_segment_ =[&decided](const GstVoiceSegment & seg) {
    decided.push_back ({seg.end_time, true, {}, {}});
    gst_voice_segment_copy_into (&decided.back ().segment, &seg);
  };
  settle (GST_CLOCK_TIME_NONE);
  /* what never stopped stops with the conversation */
  std::vector < Boundary > closing;
  for (const auto & o:open_)
    closing.push_back ({MAX (end, o.second.start), false, o.first,
            o.second.role, nullptr, false, -1, ""});
  for (const auto & b:closing)
    process (b);
  on_event_ = std::move (give_event);
  on_segment_ = std::move (give_segment);
  std::stable_sort (decided.begin (), decided.end (),
      [](const Decided & a, const Decided & b) {
        return a.time < b.time;
      });
  for (auto & d:decided) {
    if (d.is_segment) {
      on_segment_ (d.segment);
      gst_voice_segment_clear (&d.segment);
    } else {
      on_event_ (d.event);
      gst_voice_timeline_event_clear (&d.event);
    }
  }
  /* given for segments that never came */
  for (const auto & a:awaited_)
    if (on_warning_)
      on_warning_ ("transcript for segment " + std::to_string (a.first) +
          ", which never came, dropped");
  awaited_.clear ();
}

GstVoiceLatencyStats *
TimelineBuilder::preview_finish (GstClockTime end,
    const std::function < void (TimelineBuilder &) > &prepare,
    EventFunc on_event, SegmentFunc on_segment) const
{
  TimelineBuilder copy (std::move (on_event), std::move (on_segment));
  copy.open_calls_ = open_calls_;
  for (const auto & s:segments_)
    gst_voice_segment_copy_into (&copy.segments_[s.first], &s.second);
  copy.earliest_end_ = earliest_end_;
  copy.transcripts_ = transcripts_;
  copy.awaited_ = awaited_;
  copy.last_idx_of_ = last_idx_of_;
  copy.cues_ = cues_;
  /* application events are shared, never changed once queued */
  copy.pending_ = pending_;
  copy.open_ = open_;
  copy.next_idx_ = next_idx_;
  copy.last_user_stop_ = last_user_stop_;
  copy.turn_answered_ = turn_answered_;
  copy.interrupts_ = interrupts_;
  copy.interrupt_responses_ = interrupt_responses_;
  copy.agent_spoke_ = agent_spoke_;
  copy.stats_version_ = stats_version_;
  gst_voice_latency_stats_free (copy.stats_);
  copy.stats_ = gst_voice_latency_stats_copy (stats_);
  copy.origin_ = origin_;
  if (prepare)
    prepare (copy);
  copy.finish (end);
  return gst_voice_latency_stats_copy (copy.stats_);
}

bool
TimelineBuilder::role_speaking (GstVoiceRole role) const
{
  for (const auto & o:open_)
    if (o.second.role == role)
      return true;
  return false;
}

void
TimelineBuilder::emit (GstVoiceEventType type, GstClockTime time,
    bool has_latency, GstClockTime latency, const std::string & speaker,
    GstClockTime response)
{
  GstVoiceTimelineEvent ev;
  gst_voice_timeline_event_init (&ev, type, seconds (time));
  ev.has_latency = has_latency;
  ev.latency = duration_s (latency);
  /* names are validated upstream: safe to put in JSON as they are */
  if (gst_voice_speaker_name_is_valid (speaker.c_str ())) {
    if (GST_CLOCK_TIME_IS_VALID (response)) {
      /* the shortest text that reads back as the same number */
      gchar num[G_ASCII_DTOSTR_BUF_SIZE];
      for (const gchar * fmt:{"%.15g", "%.16g", "%.17g"}) {
        g_ascii_formatd (num, sizeof (num), fmt, duration_s (response));
        if (g_ascii_strtod (num, nullptr) == duration_s (response))
          break;
      }
      ev.metadata = g_strdup_printf ("{\"speaker\": \"%s\", "
          "\"response_time\": %s}", speaker.c_str (), num);
    } else {
      ev.metadata = g_strdup_printf ("{\"speaker\": \"%s\"}",
          speaker.c_str ());
    }
  }
  on_event_ (ev);
  gst_voice_timeline_event_clear (&ev);
}

/* An agent went quiet: the interruptions it was part of may be over. Each
 * is given out then, at its own time, with its response time. */
void
TimelineBuilder::agent_quiet (const std::string & agent, GstClockTime time)
{
  for (auto it = interrupts_.begin (); it != interrupts_.end ();) {
    if (!it->agents.erase (agent)) {
      ++it;
      continue;
    }
    it->quiet_at = MAX (it->quiet_at, time);
    if (!it->agents.empty ()) {
      ++it;
      continue;
    }
    GstClockTime response = it->quiet_at - MIN (it->at, it->quiet_at);
    emit (GST_VOICE_EVENT_USER_INTERRUPT, it->at, false, 0, it->speaker,
        response);
    interrupt_responses_.push_back (duration_s (response));
    gst_voice_latency_stats_set_interrupt_response_time (stats_,
        std::accumulate (interrupt_responses_.begin (),
            interrupt_responses_.end (), 0.0) / interrupt_responses_.size ());
    stats_version_++;
    it = interrupts_.erase (it);
  }
}

void
TimelineBuilder::process (const Boundary & b)
{
  if (b.event) {
    process_app_event (b);
    return;
  }
  if (b.transcript) {
    process_transcript (b);
    return;
  }
  if (GST_CLOCK_TIME_IS_VALID (b.cue_end)) {
    process_cue (b);
    return;
  }

  const bool user = b.role == GST_VOICE_ROLE_USER;

  if (b.start) {
    if (open_.count (b.speaker))
      return;                   /* already speaking: a repeated start */

    if (user) {
      emit (GST_VOICE_EVENT_USER_START_SPEAKING, b.time, false, 0, b.speaker);
      Interrupt in = { b.time, b.speaker, {}, b.time };
      for (auto & o:open_) {
        if (o.second.role == GST_VOICE_ROLE_AGENT) {
          o.second.truncated = true;
          in.agents.insert (o.first);
        }
      }
      /* given out once the agents went quiet, with the response time */
      if (!in.agents.empty ())
        interrupts_.push_back (in);
      turn_answered_ = false;
    } else {
      /* an answer: the agent starts after the users all went quiet */
      bool answers = !turn_answered_ && GST_CLOCK_TIME_IS_VALID
          (last_user_stop_) && !role_speaking (GST_VOICE_ROLE_USER);
      GstClockTime latency = answers ? b.time - last_user_stop_ : 0;
      if (answers) {
        gst_voice_latency_stats_add (stats_, duration_s (latency));
        turn_answered_ = true;
        stats_version_++;
      }
      /* the agent's first audio: from the end of the user's first turn,
       * or from time zero if the agent speaks first */
      if (!agent_spoke_) {
        agent_spoke_ = true;
        gst_voice_latency_stats_set_time_to_first_byte (stats_,
            GST_CLOCK_TIME_IS_VALID (last_user_stop_) ?
            duration_s (b.time - MIN (last_user_stop_, b.time)) :
            seconds (b.time));
        stats_version_++;
      }
      emit (GST_VOICE_EVENT_AGENT_START_SPEAKING, b.time, answers, latency,
          b.speaker);
    }
    guint idx = next_idx_++;
    auto awaited = awaited_.find (idx);
    if (awaited != awaited_.end ()) {
      for (const auto & a:awaited->second) {
        if (a.first.empty () || a.first == b.speaker)
          append_transcript (idx, a.second);
        else if (on_warning_)
          on_warning_ ("transcript of " + a.first + " for segment " +
              std::to_string (idx) + ", which is " + b.speaker +
              "'s, dropped");
      }
      awaited_.erase (awaited);
    }
    open_[b.speaker] = {idx, b.role, b.time, false};
    return;
  }

  auto it = open_.find (b.speaker);
  if (it == open_.end ())
    return;                     /* a stop without a start */
  OpenSpan span = it->second;
  open_.erase (it);

  GstVoiceSegment & seg = segments_[span.idx];
  gst_voice_segment_init (&seg);
  seg.idx = span.idx;
  seg.speaker = g_strdup (b.speaker.c_str ());
  seg.role = span.role;
  seg.start_time = seconds (span.start);
  seg.end_time = seconds (MAX (b.time, span.start));
  earliest_end_ = MIN (earliest_end_, seg.end_time);
  seg.transcript_truncated = span.truncated;
  last_idx_of_[b.speaker] = span.idx;
  take_cues (b.speaker, span.idx, span.start, MAX (b.time, span.start));
  emit_segment (span.idx);

  emit (user ? GST_VOICE_EVENT_USER_STOP_SPEAKING :
      GST_VOICE_EVENT_AGENT_STOP_SPEAKING, b.time, false, 0, b.speaker);
  if (!user)
    agent_quiet (b.speaker, b.time);
  if (user && !role_speaking (GST_VOICE_ROLE_USER))
    last_user_stop_ = b.time;
}
