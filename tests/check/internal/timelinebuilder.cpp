/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gst/check/gstcheck.h>

#include "timelinebuilder.h"

#include <memory>
#include <string>
#include <vector>

#define MS GST_MSECOND

struct Recorded
{
  std::vector < std::string > types;
  std::vector < GstVoiceTimelineEvent > events;
  std::vector < GstVoiceSegment > segments;
  std::vector < std::string > warnings;
  /* the types of the events and "segment" for each segment, as given */
  std::vector < std::string > given;

  ~Recorded ()
  {
    for (auto & e:events)
      gst_voice_timeline_event_clear (&e);
    for (auto & s:segments)
      gst_voice_segment_clear (&s);
  }
  const GstVoiceTimelineEvent *find (const gchar * type, guint nth = 0) const
  {
    for (const auto & e:events)
      if (g_str_equal (gst_voice_event_type_to_string (e.type), type)
          && nth-- == 0)
        return &e;
    return nullptr;
  }
};

static TimelineBuilder *
builder (Recorded & rec)
{
  return new TimelineBuilder ([&rec](const GstVoiceTimelineEvent & e) {
        GstVoiceTimelineEvent copy;
        gst_voice_timeline_event_copy_into (&copy, &e);
        rec.events.push_back (copy);
        rec.types.push_back (gst_voice_event_type_to_string (e.type));
        rec.given.push_back (rec.types.back ());
      }, [&rec](const GstVoiceSegment & s) {
        GstVoiceSegment copy;
        gst_voice_segment_copy_into (&copy, &s);
        rec.segments.push_back (copy);
        rec.given.push_back ("segment");
      }, [&rec](const std::string & w) {
        rec.warnings.push_back (w);
      });
}

static const GstVoiceRole USER = GST_VOICE_ROLE_USER;
static const GstVoiceRole AGENT = GST_VOICE_ROLE_AGENT;

GST_START_TEST (test_turns_and_latency)
{
  Recorded rec;
  TimelineBuilder *tl = builder (rec);

  /* told in the order a live pipeline tells it: starts ~170 ms late, stops
   * 700 ms late */
  tl->span_start ("alice", USER, 500 * MS);
  tl->span_stop ("alice", USER, 500 * MS, 4050 * MS);
  tl->span_start ("bot", AGENT, 4813 * MS);
  tl->span_stop ("bot", AGENT, 4813 * MS, 7000 * MS);
  tl->span_start ("alice", USER, 8000 * MS);
  tl->span_stop ("alice", USER, 8000 * MS, 9000 * MS);
  tl->span_start ("bot", AGENT, 9250 * MS);
  tl->span_stop ("bot", AGENT, 9250 * MS, 10000 * MS);
  tl->finish (11 * GST_SECOND);

  std::vector < std::string > expected = {
    "user_start_speaking", "user_stop_speaking", "agent_start_speaking",
    "agent_stop_speaking", "user_start_speaking", "user_stop_speaking",
    "agent_start_speaking", "agent_stop_speaking"
  };
  fail_unless (rec.types == expected);
  const GstVoiceTimelineEvent *a0 = rec.find ("agent_start_speaking", 0);
  const GstVoiceTimelineEvent *a1 = rec.find ("agent_start_speaking", 1);
  fail_unless (a0->has_latency && a1->has_latency);
  fail_unless (G_APPROX_VALUE (a0->latency, 0.763, 1e-9));
  fail_unless (G_APPROX_VALUE (a1->latency, 0.25, 1e-9));
  fail_unless_equals_string (a0->metadata, "{\"speaker\": \"bot\"}");

  gdouble v;
  fail_unless_equals_int (gst_voice_latency_stats_get_count (tl->latency ()),
      2);
  fail_unless (gst_voice_latency_stats_get_p50 (tl->latency (), &v));
  fail_unless (G_APPROX_VALUE (v, (0.763 + 0.25) / 2, 1e-9));
  /* time to first byte: from the end of the user's first turn */
  JsonNode *node = gst_voice_latency_stats_to_json (tl->latency ());
  fail_unless (G_APPROX_VALUE (json_object_get_double_member
          (json_node_get_object (node), "time_to_first_byte"), 0.763, 1e-9));
  json_node_unref (node);

  fail_unless_equals_int (rec.segments.size (), 4);
  fail_unless_equals_int (rec.segments[1].idx, 1);
  fail_unless_equals_string (rec.segments[1].speaker, "bot");
  fail_unless_equals_float (rec.segments[1].start_time, 4.813);
  fail_if (rec.segments[1].transcript_truncated);
  delete tl;
}

GST_END_TEST;

GST_START_TEST (test_late_stop_does_not_fake_an_overlap)
{
  Recorded rec;
  TimelineBuilder *tl = builder (rec);

  /* the bot's marked TTS start is known at once, before the user's stop
   * (decided 700 ms after the user went quiet) arrives: the relation is
   * decided only once both are known */
  tl->span_start ("alice", USER, 500 * MS);
  tl->settle (300 * MS);
  tl->span_start ("bot", AGENT, 4400 * MS);
  tl->span_stop ("alice", USER, 500 * MS, 4050 * MS);
  tl->settle (4500 * MS);

  const GstVoiceTimelineEvent *a = rec.find ("agent_start_speaking");
  fail_unless (a != nullptr);
  fail_unless (a->has_latency);
  fail_unless (G_APPROX_VALUE (a->latency, 0.35, 1e-9));
  fail_unless (rec.find ("user_interrupt") == nullptr);
  /* in time order */
  fail_unless_equals_string (rec.types[1].c_str (), "user_stop_speaking");
  delete tl;
}

GST_END_TEST;

GST_START_TEST (test_interrupt)
{
  Recorded rec;
  TimelineBuilder *tl = builder (rec);

  tl->span_start ("alice", USER, 0);
  tl->span_stop ("alice", USER, 0, 1000 * MS);
  tl->span_start ("bot", AGENT, 1500 * MS);
  /* the user talks over the bot at 3 s; the bot goes quiet at 3.4 s */
  tl->span_start ("alice", USER, 3000 * MS);
  tl->span_stop ("bot", AGENT, 1500 * MS, 3400 * MS);
  tl->span_stop ("alice", USER, 3000 * MS, 4000 * MS);
  tl->span_start ("bot", AGENT, 4600 * MS);
  tl->finish (6 * GST_SECOND);

  const GstVoiceTimelineEvent *i = rec.find ("user_interrupt");
  fail_unless (i != nullptr);
  fail_unless_equals_float (i->time, 3.0);
  /* given out once the bot went quiet, with its own response time */
  fail_unless_equals_string (i->metadata,
      "{\"speaker\": \"alice\", \"response_time\": 0.4}");
  /* the talked-over segment is truncated, the others not */
  fail_unless_equals_int (rec.segments.size (), 4);
  for (const auto & s:rec.segments)
    fail_unless_equals_int (s.transcript_truncated, s.idx == 1);
  gdouble v;
  JsonNode *node = gst_voice_latency_stats_to_json (tl->latency ());
  JsonObject *o = json_node_get_object (node);
  v = json_object_get_double_member (o, "interrupt_response_time");
  fail_unless (G_APPROX_VALUE (v, 0.4, 1e-9));
  json_node_unref (node);

  /* the answer after the interruption is measured from the user's stop;
   * the bot's open span closed at the end of the call */
  const GstVoiceTimelineEvent *a = rec.find ("agent_start_speaking", 1);
  fail_unless (G_APPROX_VALUE (a->latency, 0.6, 1e-9));
  fail_unless_equals_float (rec.segments.back ().end_time, 6.0);
  fail_unless (gst_voice_latency_stats_get_p95 (tl->latency (), &v));
  delete tl;
}

GST_END_TEST;

/* Two legs' boundaries at the very same time, told in either order (the
 * order the aggregator took the legs' events in): one timeline. */
GST_START_TEST (test_equal_times_in_either_order)
{
  std::vector < std::string > given[2];
  std::vector < std::string > names[2];
  for (guint order = 0; order < 2; order++) {
    Recorded rec;
    TimelineBuilder *tl = builder (rec);
    tl->span_start ("alice", USER, 100 * MS);
    tl->span_stop ("alice", USER, 100 * MS, 400 * MS);
    if (order == 0) {
      tl->span_start ("alice", USER, 600 * MS);
      tl->span_start ("bot", AGENT, 600 * MS);
    } else {
      tl->span_start ("bot", AGENT, 600 * MS);
      tl->span_start ("alice", USER, 600 * MS);
    }
    tl->span_stop ("alice", USER, 600 * MS, 900 * MS);
    tl->span_stop ("bot", AGENT, 600 * MS, 900 * MS);
    tl->finish (2 * GST_SECOND);
    given[order] = rec.given;
    for (const auto & seg:rec.segments)
      names[order].push_back (std::to_string (seg.idx) + seg.speaker +
          (seg.transcript_truncated ? " truncated" : ""));
    /* the user's start first: the bot does not answer the pause, nor is it
     * interrupted */
    fail_unless (rec.find ("user_interrupt") == nullptr);
    fail_unless_equals_string (names[order][1].c_str (), "1alice");
    fail_unless_equals_string (names[order][2].c_str (), "2bot");
    delete tl;
  }
  fail_unless (given[0] == given[1]);
  fail_unless (names[0] == names[1]);
}

GST_END_TEST;

GST_START_TEST (test_overlap_is_not_an_answer)
{
  Recorded rec;
  TimelineBuilder *tl = builder (rec);

  /* the agent starts while the user still speaks: no latency for it; it
   * is not an interruption by the user either */
  tl->span_start ("alice", USER, 0);
  tl->span_start ("bot", AGENT, 500 * MS);
  tl->span_stop ("alice", USER, 0, 1000 * MS);
  tl->span_stop ("bot", AGENT, 500 * MS, 2000 * MS);
  tl->finish (3 * GST_SECOND);

  fail_if (rec.find ("agent_start_speaking")->has_latency);
  fail_unless (rec.find ("user_interrupt") == nullptr);
  fail_unless_equals_int (gst_voice_latency_stats_get_count (tl->latency ()),
      0);
  delete tl;
}

GST_END_TEST;

GST_START_TEST (test_several_users_one_answer_per_turn)
{
  Recorded rec;
  TimelineBuilder *tl = builder (rec);

  /* a conference: the turn ends when the last user stops; one latency per
   * user turn even if the agent pauses and resumes */
  tl->span_start ("alice", USER, 0);
  tl->span_start ("carol", USER, 800 * MS);
  tl->span_stop ("alice", USER, 0, 1000 * MS);
  tl->span_stop ("carol", USER, 800 * MS, 1500 * MS);
  tl->span_start ("bot", AGENT, 2000 * MS);
  tl->span_stop ("bot", AGENT, 2000 * MS, 3000 * MS);
  tl->span_start ("bot", AGENT, 4000 * MS);
  tl->span_stop ("bot", AGENT, 4000 * MS, 5000 * MS);
  tl->finish (6 * GST_SECOND);

  fail_unless (G_APPROX_VALUE (rec.find ("agent_start_speaking")->latency,
          0.5, 1e-9));
  fail_if (rec.find ("agent_start_speaking", 1)->has_latency);
  fail_unless_equals_int (gst_voice_latency_stats_get_count (tl->latency ()),
      1);
  fail_unless_equals_string (rec.find ("user_start_speaking", 1)->metadata,
      "{\"speaker\": \"carol\"}");
  delete tl;
}

GST_END_TEST;

GST_START_TEST (test_settle_holds_back_the_unsure)
{
  Recorded rec;
  TimelineBuilder *tl = builder (rec);

  tl->span_start ("alice", USER, 1000 * MS);
  tl->settle (1000 * MS);
  fail_unless_equals_int (rec.events.size (), 0);
  tl->settle (1001 * MS);
  fail_unless_equals_int (rec.events.size (), 1);
  /* a stop without its start (e.g. after a flush) still makes a segment */
  tl->span_stop ("bob", AGENT, 2000 * MS, 2500 * MS);
  tl->finish (3 * GST_SECOND);
  fail_unless_equals_int (rec.segments.size (), 2);
  delete tl;
}

GST_END_TEST;

GST_START_TEST (test_tool_events)
{
  Recorded rec;
  std::vector < std::string > warnings;
  TimelineBuilder tl ([&rec](const GstVoiceTimelineEvent & e) {
        GstVoiceTimelineEvent copy;
        gst_voice_timeline_event_copy_into (&copy, &e);
        rec.events.push_back (copy);
        rec.types.push_back (gst_voice_event_type_to_string (e.type));
      },[&rec](const GstVoiceSegment &) {
      },[&warnings](const std::string & w) {
        warnings.push_back (w);
      });
  tl.set_origin (GST_SECOND);

  GstVoiceTimelineEvent call, result, orphan;
  gst_voice_timeline_event_init (&call, GST_VOICE_EVENT_TOOL_CALL, 99);
  call.name = g_strdup ("lookup");
  call.args = g_strdup ("{\"q\": 1}");
  call.metadata = g_strdup ("{\"call_id\": \"c1\"}");
  gst_voice_timeline_event_init (&result, GST_VOICE_EVENT_TOOL_RESULT, 99);
  result.name = g_strdup ("lookup");
  result.result = g_strdup ("42");
  result.metadata = g_strdup ("{\"call_id\": \"c1\"}");
  gst_voice_timeline_event_init (&orphan, GST_VOICE_EVENT_TOOL_RESULT, 99);
  orphan.name = g_strdup ("other");
  orphan.metadata = g_strdup ("{\"call_id\": \"zz\"}");

  /* told out of order; swept in time order, times from the origin */
  tl.add_event (result, 3 * GST_SECOND);
  tl.span_start ("alice", USER, 1500 * MS);
  tl.add_event (call, 2 * GST_SECOND);
  tl.add_event (orphan, 4 * GST_SECOND);
  /* a clock's time where a running time belongs: long after the call;
   * and one just after its end, as the output trails the clock: kept */
  tl.add_event (call, 1000 * GST_SECOND);
  tl.add_event (call, 7 * GST_SECOND);
  tl.finish (5 * GST_SECOND);

  /* the one kept after the end comes after the stop that closes the
   * call: the events are in time order */
  std::vector < std::string > expected = { "user_start_speaking",
    "tool_call", "tool_result", "tool_result", "user_stop_speaking",
    "tool_call"
  };
  fail_unless (rec.types == expected);
  fail_unless_equals_float (rec.find ("tool_call")->time, 1.0);
  fail_unless_equals_float (rec.find ("tool_result")->time, 2.0);
  fail_unless_equals_string (rec.find ("tool_result")->result, "42");
  fail_unless_equals_int (warnings.size (), 2);
  fail_unless_equals_string (warnings[0].c_str (), "tool_call at 999.000 s, "
      "after the end of the call at 4.000 s, dropped: is its time a running "
      "time?");
  fail_unless (warnings[1].find ("zz") != std::string::npos);

  gst_voice_timeline_event_clear (&call);
  gst_voice_timeline_event_clear (&result);
  gst_voice_timeline_event_clear (&orphan);
}

GST_END_TEST;

/* What the end of the call decides is given in time order: the stops that
 * close the spans still open, and an application event after the end. A
 * leg ahead of the others (a hang-up) may have given boundaries after the
 * end: a span stopping after it ends at it, one starting after it is not
 * in the recording. */
GST_START_TEST (test_finish_in_time_order)
{
  Recorded rec;
  std::unique_ptr < TimelineBuilder > tl (builder (rec));
  GstVoiceTimelineEvent call;
  gst_voice_timeline_event_init (&call, GST_VOICE_EVENT_TOOL_CALL, 0);
  call.name = g_strdup ("lookup");
  call.args = g_strdup ("{}");

  tl->span_start ("alice", USER, 1 * GST_SECOND);
  tl->span_stop ("alice", USER, 1 * GST_SECOND, 2 * GST_SECOND);
  tl->span_start ("bot", AGENT, 3 * GST_SECOND);
  tl->span_stop ("bot", AGENT, 3 * GST_SECOND, 6 * GST_SECOND);
  tl->span_start ("alice", USER, 5 * GST_SECOND);
  tl->span_start ("carol", USER, 7 * GST_SECOND);
  tl->add_event (call, 5500 * MS);
  tl->finish (5 * GST_SECOND);

  /* each segment between its start and its stop */
  std::vector < std::string > expected = { "user_start_speaking",
    "segment", "user_stop_speaking", "agent_start_speaking", "segment",
    "agent_stop_speaking", "tool_call"
  };
  fail_unless (rec.given == expected);
  fail_unless_equals_float (rec.find ("agent_stop_speaking")->time, 5.0);
  for (gsize i = 1; i < rec.events.size (); i++)
    fail_unless (rec.events[i - 1].time <= rec.events[i].time,
        "%s at %f before %s at %f", rec.types[i - 1].c_str (),
        rec.events[i - 1].time, rec.types[i].c_str (), rec.events[i].time);
  gst_voice_timeline_event_clear (&call);
}

GST_END_TEST;

GST_START_TEST (test_transcripts)
{
  Recorded rec;
  std::unique_ptr < TimelineBuilder > built (builder (rec));
  TimelineBuilder & tl = *built;
  std::vector < std::string > &warnings = rec.warnings;

  tl.span_start ("alice", USER, 0);
  tl.span_stop ("alice", USER, 0, 1000 * MS);
  tl.span_start ("bot", AGENT, 1500 * MS);
  tl.span_stop ("bot", AGENT, 1500 * MS, 3000 * MS);
  /* by index, before its segment is out; twice: joined */
  tl.set_transcript ("", 0, 500 * MS, "Hello");
  tl.set_transcript ("", 0, 600 * MS, "there.");
  /* the bot's segment open at 2 s, by speaker and time */
  tl.set_transcript ("bot", -1, 2000 * MS, "Hi!");
  tl.settle (2500 * MS);
  fail_unless_equals_int (rec.segments.size (), 1);
  fail_unless_equals_string (rec.segments[0].transcript, "Hello there.");

  tl.finish (4 * GST_SECOND);
  fail_unless_equals_int (rec.segments.size (), 2);
  fail_unless_equals_string (rec.segments[1].transcript, "Hi!");

  /* after its segment is out: it is given out again, with the text; the
   * last segment of a speaker counts when none is open */
  tl.set_transcript ("alice", -1, 5 * GST_SECOND, "(late)");
  tl.set_transcript ("carol", -1, 5 * GST_SECOND, "nobody");
  tl.finish (6 * GST_SECOND);
  fail_unless_equals_int (rec.segments.size (), 3);
  fail_unless_equals_int (rec.segments[2].idx, 0);
  fail_unless_equals_string (rec.segments[2].transcript,
      "Hello there. (late)");
  fail_unless_equals_int (warnings.size (), 1);
}

GST_END_TEST;

/* A transcript that names a speaker goes to that speaker's segment or
 * nowhere, with a warning; one for a segment that never comes is not
 * dropped silently. */
GST_START_TEST (test_transcripts_for_the_wrong_segment)
{
  Recorded rec;
  std::unique_ptr < TimelineBuilder > built (builder (rec));
  TimelineBuilder & tl = *built;
  std::vector < std::string > &warnings = rec.warnings;

  /* for segments to come: each text checked when its segment starts,
   * whatever came before or after it for the same segment */
  tl.set_transcript ("bot", 0, 100 * MS, "not his");
  tl.set_transcript ("alice", 0, 100 * MS, "Hello");
  tl.set_transcript ("", 0, 100 * MS, "there");
  tl.set_transcript ("bot", 1, 100 * MS, "Hi");
  tl.set_transcript ("alice", 1, 100 * MS, "not hers");
  tl.set_transcript ("bot", 9, 100 * MS, "never said");
  tl.span_start ("alice", USER, 200 * MS);
  tl.span_stop ("alice", USER, 200 * MS, 1000 * MS);
  tl.span_start ("bot", AGENT, 1500 * MS);
  /* for an open segment and a finished one, not theirs */
  tl.set_transcript ("nobody", 0, 1600 * MS, "misfiled");
  tl.set_transcript ("alice", 1, 1600 * MS, "misfiled too");
  tl.set_transcript ("bot", 1, 1700 * MS, "there!");
  tl.span_stop ("bot", AGENT, 1500 * MS, 3000 * MS);
  tl.finish (4 * GST_SECOND);

  fail_unless_equals_int (rec.segments.size (), 2);
  fail_unless_equals_string (rec.segments[0].transcript, "Hello there");
  fail_unless_equals_string (rec.segments[1].transcript, "Hi there!");
  std::vector < std::string > want = {
    "transcript of bot for segment 0, which is alice's, dropped",
    "transcript of alice for segment 1, which is bot's, dropped",
    "transcript of nobody for segment 0, which is alice's, dropped",
    "transcript of alice for segment 1, which is bot's, dropped",
    "transcript for segment 9, which never came, dropped",
  };
  fail_unless_equals_int (warnings.size (), want.size ());
  for (gsize i = 0; i < want.size (); i++)
    fail_unless_equals_string (warnings[i].c_str (), want[i].c_str ());
}

GST_END_TEST;

/* A long call keeps its segments a minute after they end, for their
 * transcripts, not longer. */
GST_START_TEST (test_old_segments_are_forgotten)
{
  Recorded rec;
  std::unique_ptr < TimelineBuilder > built (builder (rec));
  TimelineBuilder & tl = *built;
  std::vector < std::string > &warnings = rec.warnings;

  tl.span_start ("alice", USER, 0);
  tl.span_stop ("alice", USER, 0, 1000 * MS);
  tl.span_start ("alice", USER, 100 * GST_SECOND);
  tl.span_stop ("alice", USER, 100 * GST_SECOND, 101 * GST_SECOND);
  tl.settle (50 * GST_SECOND);
  /* 49 s after its end: still given again with its transcript */
  tl.set_transcript ("", 0, 50 * GST_SECOND, "Hello");
  tl.settle (51 * GST_SECOND);
  fail_unless_equals_int (rec.segments.size (), 2);
  fail_unless_equals_string (rec.segments[1].transcript, "Hello");
  fail_unless (warnings.empty ());

  /* 79 s after: forgotten, a warning */
  tl.settle (80 * GST_SECOND);
  tl.set_transcript ("", 0, 80 * GST_SECOND, "again");
  tl.settle (81 * GST_SECOND);
  fail_unless_equals_int (rec.segments.size (), 2);
  fail_unless_equals_int (warnings.size (), 1);
  fail_unless (warnings[0].find ("segment 0") != std::string::npos);
  tl.finish (102 * GST_SECOND);
  fail_unless_equals_int (rec.segments.size (), 3);
}

GST_END_TEST;

/* Each segment is forgotten a minute after its own end, not before and
 * not with the first one: the one ending later is kept until its turn. */
GST_START_TEST (test_segments_forgotten_in_turn)
{
  Recorded rec;
  std::unique_ptr < TimelineBuilder > built (builder (rec));
  TimelineBuilder & tl = *built;
  std::vector < std::string > &warnings = rec.warnings;

  tl.span_start ("alice", USER, 0);
  tl.span_stop ("alice", USER, 0, 1 * GST_SECOND);
  tl.span_start ("bob", AGENT, 20 * GST_SECOND);
  tl.span_stop ("bob", AGENT, 20 * GST_SECOND, 30 * GST_SECOND);
  tl.settle (31 * GST_SECOND);
  fail_unless_equals_int (rec.segments.size (), 2);

  /* 61 s after the first ends: it is gone, the second (31 s old) not */
  tl.settle (62 * GST_SECOND);
  tl.set_transcript ("", 0, 62 * GST_SECOND, "late");
  tl.set_transcript ("", 1, 62 * GST_SECOND, "in time");
  tl.settle (63 * GST_SECOND);
  fail_unless_equals_int (warnings.size (), 1);
  fail_unless (warnings[0].find ("segment 0") != std::string::npos);
  fail_unless_equals_int (rec.segments.size (), 3);
  fail_unless_equals_int (rec.segments[2].idx, 1);
  fail_unless_equals_string (rec.segments[2].transcript, "in time");

  /* until 60 s after its own end */
  tl.settle (89 * GST_SECOND);
  tl.set_transcript ("", 1, 89 * GST_SECOND, ", still");
  tl.settle (90 * GST_SECOND);
  fail_unless_equals_int (rec.segments.size (), 4);
  tl.settle (91 * GST_SECOND);
  tl.set_transcript ("", 1, 91 * GST_SECOND, "too late");
  tl.settle (92 * GST_SECOND);
  fail_unless_equals_int (rec.segments.size (), 4);
  fail_unless_equals_int (warnings.size (), 2);
  fail_unless (warnings[1].find ("segment 1") != std::string::npos);
}

GST_END_TEST;

/* Timed text (subtitles, speech-to-text) goes to every segment of its
 * speaker that it overlaps, whenever it arrives. */
GST_START_TEST (test_cues)
{
  Recorded rec;
  std::unique_ptr < TimelineBuilder > built (builder (rec));
  TimelineBuilder & tl = *built;

  /* ahead of the audio, as subparse reads a file: two cues in alice's
   * first segment, one across both of hers, one of the bot's, one that
   * overlaps nothing, one for nobody */
  tl.add_cue ("alice", 100 * MS, 400 * MS, "Hello");
  tl.add_cue ("alice", 500 * MS, 900 * MS, "there.");
  tl.add_cue ("alice", 1800 * MS, 2600 * MS, "Still me.");
  tl.add_cue ("bot", 1100 * MS, 1900 * MS, "Hi!");
  tl.add_cue ("bot", 5000 * MS, 5500 * MS, "(silence)");
  tl.add_cue ("carol", 0, 9 * GST_SECOND, "nobody");

  tl.span_start ("alice", USER, 0);
  tl.span_stop ("alice", USER, 0, 2000 * MS);
  tl.span_start ("bot", AGENT, 1000 * MS);
  tl.span_stop ("bot", AGENT, 1000 * MS, 1800 * MS);
  tl.span_start ("alice", USER, 2500 * MS);
  tl.settle (3 * GST_SECOND);
  fail_unless_equals_int (rec.segments.size (), 2);
  fail_unless_equals_int (rec.segments[0].idx, 1);
  fail_unless_equals_string (rec.segments[0].transcript, "Hi!");
  fail_unless_equals_int (rec.segments[1].idx, 0);
  fail_unless_equals_string (rec.segments[1].transcript,
      "Hello there. Still me.");

  /* late, as speech-to-text gives it: the segment that is out is given
   * again; the open one takes it when it ends */
  tl.add_cue ("alice", 1900 * MS, 2700 * MS, "(late)");
  tl.span_stop ("alice", USER, 2500 * MS, 3500 * MS);
  tl.finish (6 * GST_SECOND);
  fail_unless_equals_int (rec.segments.size (), 4);
  fail_unless_equals_int (rec.segments[2].idx, 0);
  fail_unless_equals_string (rec.segments[2].transcript,
      "Hello there. Still me. (late)");
  fail_unless_equals_int (rec.segments[3].idx, 2);
  fail_unless_equals_string (rec.segments[3].transcript, "Still me. (late)");
  fail_unless (rec.warnings.empty ());
}

GST_END_TEST;

/* Cues that no segment can still overlap leave memory. */
GST_START_TEST (test_cues_are_forgotten)
{
  Recorded rec;
  std::unique_ptr < TimelineBuilder > built (builder (rec));
  TimelineBuilder & tl = *built;

  tl.span_start ("alice", USER, 0);
  for (guint i = 0; i < 1000; i++)
    tl.add_cue ("alice", i * GST_SECOND, i * GST_SECOND + 500 * MS, "word");
  /* the open segment keeps what it overlaps, up to its end */
  tl.span_stop ("alice", USER, 0, 1200 * MS);
  tl.settle (900200 * MS);
  fail_unless_equals_int (rec.segments.size (), 1);
  fail_unless_equals_string (rec.segments[0].transcript, "word word");
  /* only the one at 900 s may still meet a segment (the later ones wait
   * for their time) */
  fail_unless_equals_int (tl.held_cues (), 1);
  tl.span_start ("alice", USER, 950 * GST_SECOND);
  tl.span_stop ("alice", USER, 950 * GST_SECOND, 951 * GST_SECOND);
  tl.finish (1000 * GST_SECOND);
  fail_unless_equals_int (rec.segments.size (), 2);
  fail_unless_equals_string (rec.segments[1].transcript, "word");
}

GST_END_TEST;

GST_START_TEST (test_agent_speaks_first)
{
  Recorded rec;
  TimelineBuilder *tl = builder (rec);
  tl->set_origin (500 * MS);
  /* a bot that greets: time to first byte from time zero, no latency */
  tl->span_start ("bot", AGENT, 1700 * MS);
  tl->span_stop ("bot", AGENT, 1700 * MS, 3000 * MS);
  tl->span_start ("alice", USER, 3500 * MS);
  tl->span_stop ("alice", USER, 3500 * MS, 4000 * MS);
  tl->span_start ("bot", AGENT, 4300 * MS);
  tl->finish (5 * GST_SECOND);

  JsonNode *node = gst_voice_latency_stats_to_json (tl->latency ());
  JsonObject *o = json_node_get_object (node);
  fail_unless (G_APPROX_VALUE (json_object_get_double_member (o,
              "time_to_first_byte"), 1.2, 1e-9));
  fail_unless_equals_int (json_object_get_int_member (o, "count"), 1);
  fail_unless (G_APPROX_VALUE (json_object_get_double_member (o, "p95"),
          0.3, 1e-9));
  json_node_unref (node);
  fail_if (rec.find ("agent_start_speaking", 0)->has_latency);
  delete tl;
}

GST_END_TEST;

static Suite *
timelinebuilder_suite (void)
{
  Suite *s = suite_create ("timelinebuilder");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_turns_and_latency);
  tcase_add_test (tc, test_late_stop_does_not_fake_an_overlap);
  tcase_add_test (tc, test_interrupt);
  tcase_add_test (tc, test_equal_times_in_either_order);
  tcase_add_test (tc, test_overlap_is_not_an_answer);
  tcase_add_test (tc, test_several_users_one_answer_per_turn);
  tcase_add_test (tc, test_settle_holds_back_the_unsure);
  tcase_add_test (tc, test_tool_events);
  tcase_add_test (tc, test_finish_in_time_order);
  tcase_add_test (tc, test_transcripts);
  tcase_add_test (tc, test_transcripts_for_the_wrong_segment);
  tcase_add_test (tc, test_old_segments_are_forgotten);
  tcase_add_test (tc, test_segments_forgotten_in_turn);
  tcase_add_test (tc, test_agent_speaks_first);
  tcase_add_test (tc, test_cues);
  tcase_add_test (tc, test_cues_are_forgotten);
  return s;
}

GST_CHECK_MAIN (timelinebuilder);
