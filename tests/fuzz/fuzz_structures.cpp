/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fuzz target: the custom events, messages and queries of the gstvoice
 * library as they arrive from upstream or from the application. The input
 * is text, one GstStructure a line; every line goes through every parse function of the library, as an
 * event, a message and a query, and what parses goes on as the elements
 * use it: into the timeline builder (spans, tool events, transcripts) and
 * into a manifest, whose text must then parse as JSON.
 * (The format of a line is structureline.h's.)
 */
#include "fuzzcommon.h"
#include "structureline.h"
#include "timelinebuilder.h"

#include <cstring>
#include <string>
#include <vector>

extern "C" int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_init ();
  return 0;
}

static void
parse_one (GstStructure * s, TimelineBuilder & builder,
    GstVoiceManifest * manifest, GstClockTime & last)
{
  GstEvent *event = gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM,
      gst_structure_copy (s));
  GstMessage *message = gst_message_new_element (nullptr,
      gst_structure_copy (s));
  GstQuery *query = gst_query_new_custom (GST_QUERY_CUSTOM,
      gst_structure_copy (s));

  gchar *name = nullptr;
  GstVoiceRole role;
  if (gst_voice_event_parse_speaker (event, &name, &role)) {
    if (!gst_voice_speaker_name_is_valid (name))
      abort ();
    g_free (name);
  }

  guint channel;
  if (gst_voice_channel_structure_parse (s, &channel, &name, &role)) {
    if (!gst_voice_speaker_name_is_valid (name))
      abort ();
    gst_voice_manifest_add_speaker (manifest, name, role,
        (gint) MIN (channel, (guint) G_MAXINT));
    g_free (name);
  }

  GstVoiceSpeech speech;
  if (gst_voice_message_parse_speech (message, &speech))
    gst_voice_speech_clear (&speech);
  if (gst_voice_speech_from_structure (s, &speech))
    gst_voice_speech_clear (&speech);
  if (gst_voice_event_parse_speech (event, &speech)) {
    /* as voicetimeline takes them */
    std::string who = speech.speaker;
    GstClockTime start = speech.start_running_time;
    if (speech.kind == GST_VOICE_SPEECH_START) {
      builder.span_start (who, speech.role, start);
    } else {
      GstClockTime end = speech.end_running_time;
      builder.span_stop (who, speech.role, start, MAX (start, end));
      if (GST_CLOCK_TIME_IS_VALID (end))
        start = end;
    }
    /* the builder settles up to the latest moment seen, minus a second */
    if (GST_CLOCK_TIME_IS_VALID (start) && start > GST_SECOND)
      last = MAX (last, start - GST_SECOND);
    gst_voice_speech_clear (&speech);
  }

  gboolean speaking;
  GstClockTime timestamp;
  gst_voice_event_parse_speech_mark (event, &speaking, &timestamp);

  GstVoiceTimelineEvent ev;
  if (gst_voice_message_parse_timeline_event (message, &ev))
    gst_voice_timeline_event_clear (&ev);
  if (gst_voice_timeline_event_from_structure (s, &ev)) {
    gst_voice_manifest_add_event (manifest, &ev);
    JsonNode *node = gst_voice_timeline_event_to_json (&ev);
    json_node_unref (node);
    /* what the application may send: tool calls and results */
    if (ev.type == GST_VOICE_EVENT_TOOL_CALL
        || ev.type == GST_VOICE_EVENT_TOOL_RESULT) {
      guint64 rt = 0;
      gst_structure_get_uint64 (s, "running-time", &rt);
      if (GST_CLOCK_TIME_IS_VALID (rt))
        builder.add_event (ev, rt);
    }
    GstStructure *again = gst_voice_timeline_event_to_structure (&ev);
    GstVoiceTimelineEvent ev2;
    if (!gst_voice_timeline_event_from_structure (again, &ev2))
      abort ();
    gst_voice_timeline_event_clear (&ev2);
    gst_structure_free (again);
    gst_voice_timeline_event_clear (&ev);
  }

  GstVoiceSegment seg;
  if (gst_voice_segment_from_structure (s, &seg)) {
    gst_voice_manifest_add_segment (manifest, &seg);
    gchar *file = gst_voice_segment_file_name (seg.idx, seg.role,
        seg.start_time, "wav");
    if (strchr (file, '/') || file[0] == '.')
      abort ();
    g_free (file);
    gst_voice_segment_clear (&seg);
  }

  /* as voicetimeline takes a voice-transcript event */
  if (gst_structure_has_name (s, "voice-transcript")) {
    const gchar *text = gst_structure_get_string (s, "text");
    const gchar *speaker = gst_structure_get_string (s, "speaker");
    gint idx = -1;
    guint64 rt = last;
    gst_structure_get_int (s, "idx", &idx);
    gst_structure_get_uint64 (s, "running-time", &rt);
    if (text && (idx >= 0 || gst_voice_speaker_name_is_valid (speaker))
        && GST_CLOCK_TIME_IS_VALID (rt)) {
      gchar *valid = g_utf8_make_valid (text, -1);
      builder.set_transcript (speaker ? speaker : "", idx, rt, valid);
      g_free (valid);
    }
  }

  GPtrArray *items = gst_voice_query_parse_pending (query);
  if (items)
    g_ptr_array_unref (items);

  gst_query_unref (query);
  gst_message_unref (message);
  gst_event_unref (event);
}

extern "C" int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  std::string text ((const char *) data, size);
  gchar **lines = g_strsplit (text.c_str (), "\n", 64);

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

  GstClockTime last = 0;
  for (gchar ** l = lines; *l; l++) {
    GstStructure *s = structure_from_line (*l);
    if (!s)
      continue;
    parse_one (s, builder, manifest, last);
    gst_structure_free (s);
    builder.settle (last);
  }
  builder.finish (last);
  fuzz_check_manifest (manifest);

  gst_voice_manifest_free (manifest);
  g_strfreev (lines);
  return 0;
}
