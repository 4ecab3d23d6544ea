/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fuzz target: the custom events, messages and queries of the gstvoice
 * library as they arrive from upstream or from the application. The input
 * is text, one GstStructure a line (as gst_structure_from_string() reads
 * it); every line goes through every parse function of the library, as an
 * event, a message and a query, and what parses goes on as the elements
 * use it: into the timeline builder (spans, tool events, transcripts) and
 * into a manifest, whose text must then parse as JSON.
 *
 * The input is not GStreamer's structure syntax (its parser, under fuzzing,
 * leaks and warns by itself in 1.22) but a plain one, a structure a line:
 *
 *   voice-speaker;name:s=alice;role:s=user
 *
 * with types s (string), u (guint64), U (uint), i (int), d (double,
 * "nan" and "inf" too), b (boolean), a (an array of one structure of that
 * name); \xHH in a value is a byte. Any name, field or value may be
 * missing, mistyped or hostile: that is the point.
 */
#include "fuzzcommon.h"
#include "timelinebuilder.h"

#include <cstring>
#include <string>
#include <vector>

/* Structure and field names: the library's, and one other. Names are
 * quarks, which GLib keeps for the life of the process (and, past 2048 of
 * them, leaks the old table on purpose): names made up by the fuzzer would
 * fill memory, and are all one to the parsers anyway. */
static const gchar *known_names[] = {
  "voice-speaker", "voice-channel", "voice-speech-start", "voice-speech-stop",
  "voice-speech-mark", "voice-timeline-event", "voice-segment",
  "voice-transcript", "voice-pending", "name", "role", "speaker", "channel",
  "padding", "start", "end", "start-running-time", "end-running-time",
  "duration", "marked", "speaking", "timestamp", "type", "time", "latency",
  "args", "result", "metadata", "running-time", "idx", "start-time",
  "end-time", "transcript", "transcript-truncated", "text", "items",
};

static const gchar *
known_name (const gchar * name)
{
  for (const gchar * k:known_names)
    if (g_str_equal (k, name))
      return k;
  return "x-other";
}

static gchar *
unescape (const gchar * value)
{
  GString *out = g_string_new (nullptr);
  for (const gchar * p = value; *p; p++) {
    if (p[0] == '\\' && p[1] == 'x' && g_ascii_isxdigit (p[2])
        && g_ascii_isxdigit (p[3])) {
      g_string_append_c (out, (gchar) (g_ascii_xdigit_value (p[2]) * 16 +
              g_ascii_xdigit_value (p[3])));
      p += 3;
    } else {
      g_string_append_c (out, *p);
    }
  }
  return g_string_free (out, FALSE);
}

static void
set_field (GstStructure * s, const gchar * spec)
{
  const gchar *colon = strchr (spec, ':');
  if (!colon || colon[1] == '\0' || colon[2] != '=')
    return;
  gchar *name = g_strndup (spec, colon - spec);
  const gchar *field = known_name (name);
  g_free (name);
  gchar *value = unescape (colon + 3);
  {
    switch (colon[1]) {
      case 's':
        gst_structure_set (s, field, G_TYPE_STRING, value, nullptr);
        break;
      case 'u':
        gst_structure_set (s, field, G_TYPE_UINT64,
            g_ascii_strtoull (value, nullptr, 0), nullptr);
        break;
      case 'U':
        gst_structure_set (s, field, G_TYPE_UINT,
            (guint) g_ascii_strtoull (value, nullptr, 0), nullptr);
        break;
      case 'i':
        gst_structure_set (s, field, G_TYPE_INT,
            (gint) g_ascii_strtoll (value, nullptr, 0), nullptr);
        break;
      case 'd':
        gst_structure_set (s, field, G_TYPE_DOUBLE,
            g_ascii_strtod (value, nullptr), nullptr);
        break;
      case 'b':
        gst_structure_set (s, field, G_TYPE_BOOLEAN, value[0] == 't',
            nullptr);
        break;
      case 'a':
        {
          GValue arr = G_VALUE_INIT, item = G_VALUE_INIT;
          g_value_init (&arr, GST_TYPE_ARRAY);
          g_value_init (&item, GST_TYPE_STRUCTURE);
          g_value_take_boxed (&item,
              gst_structure_new_empty (known_name (value)));
          gst_value_array_append_and_take_value (&arr, &item);
          gst_structure_take_value (s, field, &arr);
        }
        break;
      default:
        break;
    }
  }
  g_free (value);
}

static GstStructure *
structure_from_line (const gchar * line)
{
  gchar **parts = g_strsplit (line, ";", 32);
  GstStructure *s = nullptr;
  if (parts[0]) {
    s = gst_structure_new_empty (known_name (parts[0]));
    for (gchar ** p = parts + 1; *p; p++)
      set_field (s, *p);
  }
  g_strfreev (parts);
  return s;
}

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
