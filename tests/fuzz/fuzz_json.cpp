/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fuzz target: the text that the application hands the recorder, any
 * bytes: tool call arguments and results and event metadata (JSON text,
 * checked by the library's JSON parser), transcripts (made valid UTF-8 as
 * voicetimeline does, joined by the timeline builder) and speaker names.
 * Whatever is taken must come out in a manifest that parses; whatever is
 * refused must be refused without a crash.
 */
#include "fuzzcommon.h"
#include "timelinebuilder.h"
#include "voicejson.h"

#include <string>

extern "C" int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_init ();
  return 0;
}

/* the library's own JSON parser and writer: what it writes parses again */
static void
json_round_trip (const gchar * text)
{
  for (gboolean want_object:{(gboolean) FALSE, (gboolean) TRUE}) {
    JsonNode *node = voice_json_parse (text, want_object);
    if (!node)
      continue;
    if (want_object && !JSON_NODE_HOLDS_OBJECT (node))
      abort ();
    gchar *out = voice_json_to_text (node);
    JsonNode *again = voice_json_parse (out, want_object);
    if (!again) {
      g_printerr ("written JSON does not parse:\n%s\n", out);
      abort ();
    }
    json_node_unref (again);
    g_free (out);
    json_node_unref (node);
  }
}

extern "C" int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  /* text as C hands it over: up to the first NUL */
  std::string input ((const char *) data, size);
  const gchar *text = input.c_str ();

  json_round_trip (text);

  GstVoiceManifest *manifest = gst_voice_manifest_new ();
  auto on_event =[manifest](const GstVoiceTimelineEvent & e) {
    gst_voice_manifest_add_event (manifest, &e);
  };
  auto on_segment =[manifest](const GstVoiceSegment & s) {
    gst_voice_manifest_add_segment (manifest, &s);
  };
  auto on_warning =[](const std::string &) {
  };
  TimelineBuilder builder (on_event, on_segment, on_warning);

  /* a tool call and its result, with the text in every JSON field */
  static const gchar *fields[] = { "args", "result", "metadata", "name" };
  for (const gchar * field:fields) {
    for (const gchar * type:{"tool_call", "tool_result"}) {
      GstStructure *s = gst_structure_new (GST_VOICE_TIMELINE_EVENT_STRUCTURE,
          "type", G_TYPE_STRING, type, "time", G_TYPE_DOUBLE, 0.0,
          "metadata", G_TYPE_STRING, "{\"call_id\": \"c1\"}", nullptr);
      gst_structure_set (s, field, G_TYPE_STRING, text, nullptr);
      GstVoiceTimelineEvent ev;
      if (gst_voice_timeline_event_from_structure (s, &ev)) {
        builder.add_event (ev, GST_SECOND);
        gst_voice_timeline_event_clear (&ev);
      }
      gst_structure_free (s);
    }
  }

  /* a speaker of that name, and a segment of theirs with the text as its
   * transcript */
  gboolean valid_name = gst_voice_speaker_name_is_valid (text);
  const gchar *speaker = valid_name ? text : "alice";
  GstStructure *ch = gst_voice_channel_structure_new (0, speaker,
      GST_VOICE_ROLE_USER);
  gst_structure_set (ch, "name", G_TYPE_STRING, text, nullptr);
  guint channel;
  gchar *name;
  GstVoiceRole role;
  if (gst_voice_channel_structure_parse (ch, &channel, &name, &role)) {
    /* (GStreamer does not set a string that is not UTF-8) */
    if (!gst_voice_speaker_name_is_valid (name))
      abort ();
    gst_voice_manifest_add_speaker (manifest, name, role, channel);
    g_free (name);
  }
  gst_structure_free (ch);

  builder.span_start (speaker, GST_VOICE_ROLE_USER, 0);
  builder.span_stop (speaker, GST_VOICE_ROLE_USER, 0, 2 * GST_SECOND);
  gchar *valid = g_utf8_make_valid (text, -1);
  builder.set_transcript (speaker, -1, GST_SECOND, valid);
  builder.set_transcript (speaker, 0, GST_SECOND, valid);
  g_free (valid);

  GstVoiceSegment seg;
  gst_voice_segment_init (&seg);
  seg.speaker = (gchar *) speaker;
  seg.end_time = 1.0;
  seg.transcript = (gchar *) text;
  GstStructure *s = gst_voice_segment_to_structure (&seg);
  GstVoiceSegment parsed;
  if (gst_voice_segment_from_structure (s, &parsed)) {
    gst_voice_manifest_add_segment (manifest, &parsed);
    gst_voice_segment_clear (&parsed);
  }
  gst_structure_free (s);

  builder.finish (3 * GST_SECOND);
  fuzz_check_manifest (manifest);
  gst_voice_manifest_free (manifest);
  return 0;
}
