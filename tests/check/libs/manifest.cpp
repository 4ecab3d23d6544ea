/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gst/check/gstcheck.h>
#include <gst/voice/voice.h>
#include <glib/gstdio.h>

#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <vector>

static std::vector < std::string > member_names (JsonObject * obj)
{
  std::vector < std::string > names;
  GList *members = json_object_get_members (obj);
  for (GList * l = members; l; l = l->next)
    names.push_back ((const gchar *) l->data);
  g_list_free (members);
  return names;
}

static JsonNode *
parse (const gchar * text)
{
  JsonParser *parser = json_parser_new ();
  fail_unless (json_parser_load_from_data (parser, text, -1, nullptr),
      "not JSON: %s", text);
  JsonNode *root = json_node_copy (json_parser_get_root (parser));
  g_object_unref (parser);
  return root;
}

GST_START_TEST (test_segment_file_names)
{
  /* the reference: f"{idx:02d}-{role}-{int(start_time * 1000):04d}ms.wav" */
  struct
  {
    guint idx;
    GstVoiceRole role;
    gdouble start;
    const gchar *ext;
    const gchar *expected;
  } cases[] = {
    {0, GST_VOICE_ROLE_USER, 0.5, "wav", "00-user-0500ms.wav"},
    {1, GST_VOICE_ROLE_AGENT, 4.813, "wav", "01-agent-4813ms.wav"},
    {7, GST_VOICE_ROLE_USER, 0.0, "opus", "07-user-0000ms.opus"},
    {123, GST_VOICE_ROLE_AGENT, 12345.678, "flac", "123-agent-12345678ms.flac"},
    /* int () truncates what the double holds: 1.001 * 1000 = 1000.99... */
    {2, GST_VOICE_ROLE_USER, 1.001, "mp3", "02-user-1000ms.mp3"},
  };
  for (const auto & c:cases) {
    gchar *name = gst_voice_segment_file_name (c.idx, c.role, c.start, c.ext);
    fail_unless_equals_string (name, c.expected);
    g_free (name);
  }
}

GST_END_TEST;

GST_START_TEST (test_latency_stats)
{
  GstVoiceLatencyStats *st = gst_voice_latency_stats_new ();
  gdouble v;
  fail_if (gst_voice_latency_stats_get_avg (st, &v));
  fail_if (gst_voice_latency_stats_get_p50 (st, &v));
  fail_if (gst_voice_latency_stats_get_p95 (st, &v));

  /* the reference: median averages the middle two; p95 takes index
   * min (n - 1, ceil (0.95 * (n - 1))) of the sorted list */
  for (gdouble m:{0.9, 0.3, 1.5, 0.6})
    gst_voice_latency_stats_add (st, m);
  fail_unless (gst_voice_latency_stats_get_avg (st, &v));
  fail_unless (G_APPROX_VALUE (v, 0.825, 1e-12));
  fail_unless (gst_voice_latency_stats_get_p50 (st, &v));
  fail_unless (G_APPROX_VALUE (v, 0.75, 1e-12));
  fail_unless (gst_voice_latency_stats_get_p95 (st, &v));
  fail_unless_equals_float (v, 1.5);    /* ceil (2.85) = 3 */
  fail_unless (gst_voice_latency_stats_get_min (st, &v));
  fail_unless_equals_float (v, 0.3);
  fail_unless (gst_voice_latency_stats_get_max (st, &v));
  fail_unless_equals_float (v, 1.5);

  /* 21 values 0..20: ceil (0.95 * 20) = 19 */
  GstVoiceLatencyStats *big = gst_voice_latency_stats_new ();
  for (int i = 20; i >= 0; i--)
    gst_voice_latency_stats_add (big, i);
  fail_unless (gst_voice_latency_stats_get_p95 (big, &v));
  fail_unless_equals_float (v, 19.0);
  fail_unless (gst_voice_latency_stats_get_p50 (big, &v));
  fail_unless_equals_float (v, 10.0);
  gst_voice_latency_stats_free (big);

  /* the reference's edge cases: one, two and twenty measurements
   * (p95 index = min (n - 1, ceil (0.95 * (n - 1)))) */
  struct
  {
    guint n;
    gdouble p50, p95;
  } edges[] = {
    {1, 0.5, 0.5},              /* a single value is every figure */
    {2, 0.75, 1.0},             /* ceil (0.95) = 1: the larger */
    {20, 5.25, 10.0},           /* ceil (18.05) = 19: the largest */
  };
  for (const auto & e:edges) {
    GstVoiceLatencyStats *x = gst_voice_latency_stats_new ();
    for (guint i = 0; i < e.n; i++)
      gst_voice_latency_stats_add (x, 0.5 + i * 0.5);
    fail_unless (gst_voice_latency_stats_get_p50 (x, &v));
    fail_unless (G_APPROX_VALUE (v, e.p50, 1e-12), "n=%u p50 %f", e.n, v);
    fail_unless (gst_voice_latency_stats_get_p95 (x, &v));
    fail_unless (G_APPROX_VALUE (v, e.p95, 1e-12), "n=%u p95 %f", e.n, v);
    gst_voice_latency_stats_free (x);
  }

  gst_voice_latency_stats_set_time_to_first_byte (st, 0.42);
  JsonNode *node = gst_voice_latency_stats_to_json (st);
  JsonObject *obj = json_node_get_object (node);
  std::vector < std::string > expected = { "measurements", "count", "avg",
    "p50", "p95", "min", "max", "time_to_first_byte",
    "interrupt_response_time"
  };
  fail_unless (member_names (obj) == expected);
  fail_unless_equals_int (json_object_get_int_member (obj, "count"), 4);
  fail_unless_equals_float (json_object_get_double_member (obj,
          "time_to_first_byte"), 0.42);
  fail_unless (json_object_get_null_member (obj, "interrupt_response_time"));
  json_node_unref (node);
  gst_voice_latency_stats_free (st);
}

GST_END_TEST;

GST_START_TEST (test_timeline_event_structure)
{
  GstVoiceTimelineEvent ev, out;
  gst_voice_timeline_event_init (&ev, GST_VOICE_EVENT_TOOL_CALL, 3.25);
  ev.name = g_strdup ("lookup_flight");
  ev.args = g_strdup ("{\"date\": \"friday\"}");
  ev.metadata = g_strdup ("{\"call_id\": \"c1\"}");

  GstStructure *s = gst_voice_timeline_event_to_structure (&ev);
  fail_unless (gst_structure_has_name (s, "voice-timeline-event"));
  fail_unless_equals_string (gst_structure_get_string (s, "type"),
      "tool_call");
  fail_unless (gst_voice_timeline_event_from_structure (s, &out));
  fail_unless_equals_int (out.type, GST_VOICE_EVENT_TOOL_CALL);
  fail_unless_equals_float (out.time, 3.25);
  fail_unless_equals_string (out.name, "lookup_flight");
  fail_unless_equals_string (out.args, ev.args);
  fail_if (out.has_latency);
  gst_voice_timeline_event_clear (&out);
  gst_structure_free (s);
  gst_voice_timeline_event_clear (&ev);

  const gchar *bad[] = {
    "voice-timeline-event, type=(string)dance, time=(double)1",
    "voice-timeline-event, type=(string)tool_call",
    "voice-timeline-event, type=(string)tool_call, time=(double)-1",
    "voice-timeline-event, type=(string)tool_call, time=(string)now",
    "voice-timeline-event, type=(string)tool_call, time=(double)1, "
        "args=(string)\"{not json\"",
    "voice-timeline-event, type=(string)tool_call, time=(double)1, "
        "args=(string)\"[1,2]\"",
    "voice-timeline-event, type=(string)tool_call, time=(double)1, "
        "name=(int)3",
    "voice-timeline-event, type=(string)agent_start_speaking, "
        "time=(double)1, latency=(string)fast",
  };
  for (const gchar * str:bad) {
    GstStructure *b = gst_structure_from_string (str, nullptr);
    fail_unless (b != nullptr, "%s", str);
    fail_if (gst_voice_timeline_event_from_structure (b, &out), "took %s",
        str);
    gst_structure_free (b);
  }

  /* JSON that json-glib would take but that is no JSON to keep: nested
   * deep enough to overflow a stack (a million levels crashed it), or a
   * lone surrogate escape, which json-glib turns into bytes that are not
   * UTF-8 (both found by tests/fuzz) */
  std::string deep = std::string (1000000, '[') + std::string (1000000, ']');
  const gchar *bad_json[] = {
    deep.c_str (), "{\"a\": \"x\\ud83dy\"}", "[\"\\udc00\"]",
  };
  for (const gchar * json:bad_json) {
    GstStructure *b = gst_structure_new ("voice-timeline-event",
        "type", G_TYPE_STRING, "tool_result", "time", G_TYPE_DOUBLE, 1.0,
        "result", G_TYPE_STRING, json, nullptr);
    fail_if (gst_voice_timeline_event_from_structure (b, &out), "took %.40s",
        json);
    gst_structure_free (b);
  }
  /* 64 levels are fine */
  deep = std::string (64, '[') + std::string (64, ']');
  GstStructure *b = gst_structure_new ("voice-timeline-event",
      "type", G_TYPE_STRING, "tool_result", "time", G_TYPE_DOUBLE, 1.0,
      "result", G_TYPE_STRING, deep.c_str (), nullptr);
  fail_unless (gst_voice_timeline_event_from_structure (b, &out));
  gst_voice_timeline_event_clear (&out);
  gst_structure_free (b);
}

GST_END_TEST;

static void
add_segment (GstVoiceManifest * m, guint idx, const gchar * speaker,
    GstVoiceRole role, gdouble start, gdouble end, const gchar * transcript,
    gboolean truncated)
{
  GstVoiceSegment seg;
  gst_voice_segment_init (&seg);
  seg.idx = idx;
  seg.speaker = g_strdup (speaker);
  seg.role = role;
  seg.start_time = start;
  seg.end_time = end;
  seg.transcript = g_strdup (transcript);
  seg.transcript_truncated = truncated;
  gchar *name = gst_voice_segment_file_name (idx, role, start, "wav");
  seg.file = g_strconcat ("segments/", name, nullptr);
  g_free (name);
  gst_voice_manifest_add_segment (m, &seg);
  gst_voice_segment_clear (&seg);
}

GST_START_TEST (test_manifest_matches_reference)
{
  GstVoiceManifest *m = gst_voice_manifest_new ();

  /* added out of order: the manifest orders segments by start and events
   * by time, as the reference does */
  add_segment (m, 1, "bot", GST_VOICE_ROLE_AGENT, 4.813, 7.5, "Sure thing",
      TRUE);
  add_segment (m, 0, "alice", GST_VOICE_ROLE_USER, 0.5, 4.05, nullptr, FALSE);

  GstVoiceTimelineEvent ev;
  gst_voice_timeline_event_init (&ev, GST_VOICE_EVENT_AGENT_START_SPEAKING,
      4.813);
  ev.has_latency = TRUE;
  ev.latency = 0.763;
  gst_voice_manifest_add_event (m, &ev);
  gst_voice_timeline_event_clear (&ev);
  gst_voice_timeline_event_init (&ev, GST_VOICE_EVENT_USER_START_SPEAKING,
      0.5);
  gst_voice_manifest_add_event (m, &ev);
  gst_voice_timeline_event_clear (&ev);
  gst_voice_timeline_event_init (&ev, GST_VOICE_EVENT_TOOL_RESULT, 6.0);
  ev.name = g_strdup ("lookup");
  ev.result = g_strdup ("[1, \"two\", {\"three\": 3}]");
  ev.metadata = g_strdup ("{\"call_id\": \"c1\"}");
  gst_voice_manifest_add_event (m, &ev);
  gst_voice_timeline_event_clear (&ev);

  gst_voice_manifest_add_speaker (m, "alice", GST_VOICE_ROLE_USER, 0);
  gst_voice_manifest_add_speaker (m, "bot", GST_VOICE_ROLE_AGENT, 1);
  gst_voice_manifest_set_sample_rate (m, 16000);
  gst_voice_manifest_set_format (m, "wav");
  gst_voice_manifest_set_full (m, "full.wav", "channels", 9.0);
  gst_voice_latency_stats_add (gst_voice_manifest_get_latency (m), 0.763);
  GDateTime *t0 = g_date_time_new_utc (2026, 11, 26, 9, 30, 15.25);
  gst_voice_manifest_set_started_at (m, t0);

  gchar *text = gst_voice_manifest_to_string (m, t0);
  JsonNode *root = parse (text);
  JsonObject *obj = json_node_get_object (root);

  std::vector < std::string > top = { "generated_at", "duration",
    "segment_count", "segments", "events",
    "version", "started_at", "sample_rate", "format", "full", "speakers",
    "latency"
  };
  fail_unless (member_names (obj) == top, "%s", text);
  fail_unless_equals_string (json_object_get_string_member (obj,
          "generated_at"), "2026-11-26T09:30:15.250000+00:00");
  /* the reference's duration: the end of the last segment */
  fail_unless_equals_float (json_object_get_double_member (obj, "duration"),
      7.5);
  fail_unless_equals_int (json_object_get_int_member (obj, "segment_count"),
      2);

  JsonArray *segs = json_object_get_array_member (obj, "segments");
  JsonObject *s0 = json_array_get_object_element (segs, 0);
  JsonObject *s1 = json_array_get_object_element (segs, 1);
  std::vector < std::string > seg0 = { "idx", "file", "role", "start_time",
    "end_time", "duration", "transcript", "speaker"
  };
  std::vector < std::string > seg1 = { "idx", "file", "role", "start_time",
    "end_time", "duration", "transcript", "transcript_truncated", "speaker"
  };
  fail_unless (member_names (s0) == seg0);
  fail_unless (member_names (s1) == seg1);
  fail_unless_equals_int (json_object_get_int_member (s0, "idx"), 0);
  fail_unless_equals_string (json_object_get_string_member (s0, "file"),
      "segments/00-user-0500ms.wav");
  fail_unless_equals_string (json_object_get_string_member (s1, "file"),
      "segments/01-agent-4813ms.wav");
  fail_unless (json_object_get_null_member (s0, "transcript"));
  fail_unless (json_object_get_boolean_member (s1, "transcript_truncated"));
  fail_unless (G_APPROX_VALUE (json_object_get_double_member (s0,
              "duration"), 3.55, 1e-12));

  JsonArray *evs = json_object_get_array_member (obj, "events");
  fail_unless_equals_int (json_array_get_length (evs), 3);
  JsonObject *e0 = json_array_get_object_element (evs, 0);
  JsonObject *e1 = json_array_get_object_element (evs, 1);
  JsonObject *e2 = json_array_get_object_element (evs, 2);
  std::vector < std::string > ev0 = { "time", "type" };
  std::vector < std::string > ev1 = { "time", "type", "latency" };
  std::vector < std::string > ev2 = { "time", "type", "name", "result",
    "metadata"
  };
  fail_unless (member_names (e0) == ev0);
  fail_unless (member_names (e1) == ev1);
  fail_unless (member_names (e2) == ev2);
  fail_unless_equals_string (json_object_get_string_member (e0, "type"),
      "user_start_speaking");
  fail_unless_equals_float (json_object_get_double_member (e1, "latency"),
      0.763);
  /* JSON fields are JSON, not strings holding JSON */
  JsonNode *result = json_object_get_member (e2, "result");
  fail_unless (JSON_NODE_HOLDS_ARRAY (result));
  fail_unless_equals_int (json_array_get_length (json_node_get_array
          (result)), 3);

  JsonObject *full = json_object_get_object_member (obj, "full");
  fail_unless_equals_string (json_object_get_string_member (full, "layout"),
      "channels");
  JsonArray *speakers = json_object_get_array_member (obj, "speakers");
  JsonObject *bot = json_array_get_object_element (speakers, 1);
  fail_unless_equals_string (json_object_get_string_member (bot, "name"),
      "bot");
  fail_unless_equals_int (json_object_get_int_member (bot, "channel"), 1);

  json_node_unref (root);
  g_free (text);
  g_date_time_unref (t0);
  gst_voice_manifest_free (m);
}

GST_END_TEST;

GST_START_TEST (test_manifest_empty_and_hostile_text)
{
  GstVoiceManifest *m = gst_voice_manifest_new ();
  gchar *text = gst_voice_manifest_to_string (m, nullptr);
  JsonNode *root = parse (text);
  JsonObject *obj = json_node_get_object (root);
  fail_unless_equals_float (json_object_get_double_member (obj, "duration"),
      0.0);
  fail_unless_equals_int (json_object_get_int_member (obj, "segment_count"),
      0);
  fail_unless (json_object_get_null_member (obj, "started_at"));
  json_node_unref (root);
  g_free (text);

  /* quotes, newlines and control characters stay valid JSON; text that is
   * not UTF-8 is left out rather than written broken */
  add_segment (m, 0, "alice", GST_VOICE_ROLE_USER, 0.0, 1.0,
      "she said \"hi\"\n\tand \x01left", FALSE);
  add_segment (m, 1, "alice", GST_VOICE_ROLE_USER, 2.0, 3.0, "bad \xff\xfe",
      FALSE);
  text = gst_voice_manifest_to_string (m, nullptr);
  root = parse (text);
  obj = json_node_get_object (root);
  JsonArray *segs = json_object_get_array_member (obj, "segments");
  fail_unless_equals_string (json_object_get_string_member
      (json_array_get_object_element (segs, 0), "transcript"),
      "she said \"hi\"\n\tand \x01left");
  fail_unless (json_object_get_null_member (json_array_get_object_element
          (segs, 1), "transcript"));
  json_node_unref (root);
  g_free (text);
  gst_voice_manifest_free (m);
}

GST_END_TEST;

/* An event that comes late (a tool call given with a past time) is
 * listed at its time. */
GST_START_TEST (test_manifest_events_in_time_order)
{
  GstVoiceManifest *m = gst_voice_manifest_new ();
  const struct
  {
    GstVoiceEventType type;
    gdouble time;
  } added[] = {
    {GST_VOICE_EVENT_USER_START_SPEAKING, 0.5},
    {GST_VOICE_EVENT_USER_STOP_SPEAKING, 2.0},
    {GST_VOICE_EVENT_AGENT_START_SPEAKING, 2.5},
    {GST_VOICE_EVENT_TOOL_CALL, 1.0},
    {GST_VOICE_EVENT_TOOL_RESULT, 2.5},
  };
  for (const auto & a:added) {
    GstVoiceTimelineEvent ev;
    gst_voice_timeline_event_init (&ev, a.type, a.time);
    gst_voice_manifest_add_event (m, &ev);
    gst_voice_timeline_event_clear (&ev);
  }
  gchar *text = gst_voice_manifest_to_string (m, nullptr);
  JsonNode *root = parse (text);
  JsonArray *events = json_object_get_array_member (json_node_get_object
      (root), "events");
  const gchar *want[] = { "user_start_speaking", "tool_call",
    "user_stop_speaking", "agent_start_speaking", "tool_result"
  };
  fail_unless_equals_int (json_array_get_length (events), 5);
  for (guint i = 0; i < 5; i++)
    fail_unless_equals_string (json_object_get_string_member
        (json_array_get_object_element (events, i), "type"), want[i]);
  json_node_unref (root);
  g_free (text);
  gst_voice_manifest_free (m);
}

GST_END_TEST;

static void
add_event (GstVoiceManifest * m, GstVoiceEventType type, gdouble time,
    const gchar * metadata)
{
  GstVoiceTimelineEvent ev;
  gst_voice_timeline_event_init (&ev, type, time);
  ev.metadata = g_strdup (metadata);
  gst_voice_manifest_add_event (m, &ev);
  gst_voice_timeline_event_clear (&ev);
}

/* Each write keeps the entries' and the latency figures' text for the next
 * one: what changed in between (a segment given again with its transcript,
 * an event that sorts between others, new entries, a new measurement or
 * figure) is written as it is now, the same text as a manifest never
 * written before. */
GST_START_TEST (test_manifest_rewritten_after_changes)
{
  GDateTime *when = g_date_time_new_utc (2026, 11, 26, 12, 0, 0);
  GstVoiceManifest *rewritten = gst_voice_manifest_new ();
  add_segment (rewritten, 0, "alice", GST_VOICE_ROLE_USER, 0.5, 2.0, nullptr,
      FALSE);
  add_segment (rewritten, 1, "bot", GST_VOICE_ROLE_AGENT, 2.5, 4.0, nullptr,
      FALSE);
  add_event (rewritten, GST_VOICE_EVENT_USER_START_SPEAKING, 0.5, nullptr);
  add_event (rewritten, GST_VOICE_EVENT_AGENT_START_SPEAKING, 2.5, nullptr);
  gst_voice_latency_stats_add (gst_voice_manifest_get_latency (rewritten),
      0.5);
  g_free (gst_voice_manifest_to_string (rewritten, when));

  add_segment (rewritten, 0, "alice", GST_VOICE_ROLE_USER, 0.5, 2.0,
      "book a flight", FALSE);
  add_event (rewritten, GST_VOICE_EVENT_TOOL_CALL, 1.0, "{\"id\": 7}");
  add_segment (rewritten, 2, "alice", GST_VOICE_ROLE_USER, 5.0, 6.0, "yes",
      FALSE);
  gst_voice_latency_stats_add (gst_voice_manifest_get_latency (rewritten),
      0.75);
  g_free (gst_voice_manifest_to_string (rewritten, when));
  gst_voice_latency_stats_set_time_to_first_byte
      (gst_voice_manifest_get_latency (rewritten), 0.25);
  gchar *second = gst_voice_manifest_to_string (rewritten, when);

  GstVoiceManifest *fresh = gst_voice_manifest_new ();
  add_segment (fresh, 0, "alice", GST_VOICE_ROLE_USER, 0.5, 2.0,
      "book a flight", FALSE);
  add_segment (fresh, 1, "bot", GST_VOICE_ROLE_AGENT, 2.5, 4.0, nullptr,
      FALSE);
  add_segment (fresh, 2, "alice", GST_VOICE_ROLE_USER, 5.0, 6.0, "yes",
      FALSE);
  add_event (fresh, GST_VOICE_EVENT_USER_START_SPEAKING, 0.5, nullptr);
  add_event (fresh, GST_VOICE_EVENT_TOOL_CALL, 1.0, "{\"id\": 7}");
  add_event (fresh, GST_VOICE_EVENT_AGENT_START_SPEAKING, 2.5, nullptr);
  GstVoiceLatencyStats *stats = gst_voice_manifest_get_latency (fresh);
  gst_voice_latency_stats_add (stats, 0.5);
  gst_voice_latency_stats_add (stats, 0.75);
  gst_voice_latency_stats_set_time_to_first_byte (stats, 0.25);
  gchar *expected = gst_voice_manifest_to_string (fresh, when);
  fail_unless_equals_string (second, expected);
  fail_unless (strstr (second, "book a flight") != nullptr);
  fail_unless (strstr (second, "\"time_to_first_byte\": 0.25") != nullptr);

  g_free (second);
  g_free (expected);
  gst_voice_manifest_free (rewritten);
  gst_voice_manifest_free (fresh);
  g_date_time_unref (when);
}

GST_END_TEST;

GST_START_TEST (test_manifest_write_is_atomic)
{
  gchar *dir = g_dir_make_tmp ("voicemanifest-XXXXXX", nullptr);
  gchar *path = g_build_filename (dir, "manifest.json", nullptr);
  GstVoiceManifest *m = gst_voice_manifest_new ();

  for (guint i = 0; i < 3; i++) {
    add_segment (m, i, "alice", GST_VOICE_ROLE_USER, i, i + 0.5, "x", FALSE);
    fail_unless (gst_voice_manifest_write (m, path, nullptr));
    gchar *text;
    fail_unless (g_file_get_contents (path, &text, nullptr, nullptr));
    JsonNode *root = parse (text);
    fail_unless_equals_int (json_object_get_int_member (json_node_get_object
            (root), "segment_count"), i + 1);
    json_node_unref (root);
    g_free (text);
  }
  /* no temporary file is left beside it */
  GDir *d = g_dir_open (dir, 0, nullptr);
  guint n = 0;
  while (g_dir_read_name (d))
    n++;
  g_dir_close (d);
  fail_unless_equals_int (n, 1);

  /* a path that cannot be written is an error, not a crash */
  gchar *bad = g_build_filename (dir, "missing", "manifest.json", nullptr);
  GError *err = nullptr;
  fail_if (gst_voice_manifest_write (m, bad, &err));
  fail_unless (err != nullptr);
  g_clear_error (&err);
  g_free (bad);

  g_unlink (path);
  g_rmdir (dir);
  g_free (path);
  g_free (dir);
  gst_voice_manifest_free (m);
}

GST_END_TEST;

/* Archived entries leave memory, not the manifest: the text is the same
 * as if everything had been kept. */
GST_START_TEST (test_manifest_archive)
{
  gchar *dir = g_dir_make_tmp ("manifest-archive-XXXXXX", nullptr);
  int dir_fd = open (dir, O_RDONLY | O_DIRECTORY);
  fail_unless (dir_fd >= 0);
  GstVoiceManifest *kept = gst_voice_manifest_new ();
  GstVoiceManifest *archived = gst_voice_manifest_new ();
  fail_unless (gst_voice_manifest_set_archive (archived, dir_fd, nullptr));

  for (guint i = 0; i < 200; i++) {
    for (GstVoiceManifest * m: {kept, archived}) {
      add_segment (m, i, i % 2 ? "bot" : "alice", i % 2 ?
          GST_VOICE_ROLE_AGENT : GST_VOICE_ROLE_USER, i * 2.0, i * 2.0 + 1.5,
          i % 3 ? "words" : nullptr, FALSE);
      GstVoiceTimelineEvent ev;
      gst_voice_timeline_event_init (&ev, i % 2 ?
          GST_VOICE_EVENT_AGENT_START_SPEAKING :
          GST_VOICE_EVENT_USER_START_SPEAKING, i * 2.0);
      ev.metadata = g_strdup ("{\"speaker\": \"x\"}");
      gst_voice_manifest_add_event (m, &ev);
      gst_voice_timeline_event_clear (&ev);
    }
    /* as a recording goes: rewritten often (the entries' text is then
     * kept), and now and then what is well past archived */
    if (i % 5 == 0)
      g_free (gst_voice_manifest_to_string (archived, nullptr));
    if (i % 17 == 16)
      fail_unless (gst_voice_manifest_archive (archived, i * 2.0 - 30,
              nullptr));
  }
  /* the archive holds most of it now; the last entries are still held */
  GDateTime *when = g_date_time_new_utc (2026, 11, 26, 12, 0, 0);
  gchar *a = gst_voice_manifest_to_string (kept, when);
  gchar *b = gst_voice_manifest_to_string (archived, when);
  fail_unless_equals_string (b, a);
  fail_unless_equals_int (gst_voice_manifest_get_segment_count (archived),
      200);

  /* an archived segment can no longer change; a held one can */
  GstVoiceSegment seg;
  gst_voice_segment_init (&seg);
  seg.idx = 3;
  seg.speaker = g_strdup ("bot");
  seg.start_time = 6.0;
  seg.end_time = 7.5;
  fail_if (gst_voice_manifest_add_segment (archived, &seg));
  seg.idx = 199;
  seg.start_time = 398.0;
  seg.end_time = 399.5;
  fail_unless (gst_voice_manifest_add_segment (archived, &seg));
  gst_voice_segment_clear (&seg);

  /* written to a file, the same text */
  gchar *path = g_build_filename (dir, "manifest.json", nullptr);
  fail_unless (gst_voice_manifest_write (archived, path, nullptr));
  gchar *written;
  fail_unless (g_file_get_contents (path, &written, nullptr, nullptr));
  JsonNode *node = parse (written);
  JsonObject *root = json_node_get_object (node);
  fail_unless_equals_int (json_array_get_length (json_object_get_array_member
          (root, "segments")), 200);
  fail_unless_equals_int (json_array_get_length (json_object_get_array_member
          (root, "events")), 200);
  json_node_unref (node);
  g_free (written);

  /* the archive has no name: the directory holds only the manifest */
  GDir *d = g_dir_open (dir, 0, nullptr);
  guint n = 0;
  while (g_dir_read_name (d))
    n++;
  g_dir_close (d);
  fail_unless_equals_int (n, 1);

  g_unlink (path);
  g_free (path);
  g_free (a);
  g_free (b);
  g_date_time_unref (when);
  gst_voice_manifest_free (kept);
  gst_voice_manifest_free (archived);
  close (dir_fd);
  g_rmdir (dir);
  g_free (dir);
}

GST_END_TEST;

static Suite *
manifest_suite (void)
{
  Suite *s = suite_create ("voice manifest model");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_segment_file_names);
  tcase_add_test (tc, test_latency_stats);
  tcase_add_test (tc, test_timeline_event_structure);
  tcase_add_test (tc, test_manifest_matches_reference);
  tcase_add_test (tc, test_manifest_empty_and_hostile_text);
  tcase_add_test (tc, test_manifest_rewritten_after_changes);
  tcase_add_test (tc, test_manifest_write_is_atomic);
  tcase_add_test (tc, test_manifest_archive);
  tcase_add_test (tc, test_manifest_events_in_time_order);
  return s;
}

GST_CHECK_MAIN (manifest);
