/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Writes, with gstvoice, the manifest of the segments and events described
 * in a JSON file, so that reference_parity.py can compare it with what the
 * reference implementation writes for the same data.
 *
 *   manifest_dump INPUT.json
 *
 * INPUT: {"generated_at": [y, mo, d, h, mi, s], "segments": [{"role",
 * "start_time", "end_time", "transcript", "transcript_truncated"}],
 * "events": [{"time", "type", "latency", "name", "args", "result",
 * "metadata"}]}, and optionally the members gstvoice adds: "started_at"
 * (as "generated_at"), "sample_rate", "format", "full" ({"file", "layout",
 * "duration"}), "speakers" ([{"name", "role", "channel"}]) and "latency"
 * ({"measurements", "time_to_first_byte", "interrupt_response_time"}).
 */
#include <gst/voice/voice.h>

#include <cstdio>

static GDateTime *
utc_time (JsonArray * t)
{
  return g_date_time_new_utc (json_array_get_int_element (t, 0),
      json_array_get_int_element (t, 1), json_array_get_int_element (t, 2),
      json_array_get_int_element (t, 3), json_array_get_int_element (t, 4),
      json_array_get_double_element (t, 5));
}

static void
set_added_members (GstVoiceManifest * m, JsonObject * in)
{
  if (json_object_has_member (in, "started_at")) {
    GDateTime *t = utc_time (json_object_get_array_member (in, "started_at"));
    gst_voice_manifest_set_started_at (m, t);
    g_date_time_unref (t);
  }
  if (json_object_has_member (in, "sample_rate"))
    gst_voice_manifest_set_sample_rate (m, json_object_get_int_member (in,
            "sample_rate"));
  if (json_object_has_member (in, "format"))
    gst_voice_manifest_set_format (m, json_object_get_string_member (in,
            "format"));
  if (json_object_has_member (in, "full")) {
    JsonObject *f = json_object_get_object_member (in, "full");
    gst_voice_manifest_set_full (m, json_object_get_string_member (f, "file"),
        json_object_get_string_member (f, "layout"),
        json_object_get_double_member (f, "duration"));
  }
  if (json_object_has_member (in, "speakers")) {
    JsonArray *a = json_object_get_array_member (in, "speakers");
    for (guint i = 0; i < json_array_get_length (a); i++) {
      JsonObject *o = json_array_get_object_element (a, i);
      GstVoiceRole role;
      if (!gst_voice_role_from_string (json_object_get_string_member (o,
                  "role"), &role))
        g_error ("unknown role");
      gst_voice_manifest_add_speaker (m, json_object_get_string_member (o,
              "name"), role, json_object_get_int_member (o, "channel"));
    }
  }
  if (json_object_has_member (in, "latency")) {
    JsonObject *l = json_object_get_object_member (in, "latency");
    GstVoiceLatencyStats *stats = gst_voice_manifest_get_latency (m);
    JsonArray *a = json_object_get_array_member (l, "measurements");
    for (guint i = 0; i < json_array_get_length (a); i++)
      gst_voice_latency_stats_add (stats, json_array_get_double_element (a,
              i));
    if (json_object_has_member (l, "time_to_first_byte"))
      gst_voice_latency_stats_set_time_to_first_byte (stats,
          json_object_get_double_member (l, "time_to_first_byte"));
    if (json_object_has_member (l, "interrupt_response_time"))
      gst_voice_latency_stats_set_interrupt_response_time (stats,
          json_object_get_double_member (l, "interrupt_response_time"));
  }
}

static gchar *
member_as_text (JsonObject * obj, const gchar * name)
{
  if (!json_object_has_member (obj, name))
    return nullptr;
  JsonGenerator *gen = json_generator_new ();
  json_generator_set_root (gen, json_object_get_member (obj, name));
  gchar *text = json_generator_to_data (gen, nullptr);
  g_object_unref (gen);
  return text;
}

int
main (int argc, char **argv)
{
  if (argc != 2) {
    g_printerr ("usage: %s INPUT.json\n", argv[0]);
    return 2;
  }
  JsonParser *parser = json_parser_new ();
  GError *err = nullptr;
  if (!json_parser_load_from_file (parser, argv[1], &err)) {
    g_printerr ("%s\n", err->message);
    return 1;
  }
  JsonObject *in = json_node_get_object (json_parser_get_root (parser));
  GstVoiceManifest *m = gst_voice_manifest_new ();

  /* like the reference, index and name the files in order of start */
  JsonArray *segs = json_object_get_array_member (in, "segments");
  GList *ordered = json_array_get_elements (segs);
  ordered = g_list_sort (ordered,[](gconstpointer a, gconstpointer b)->gint {
        gdouble x = json_object_get_double_member (json_node_get_object (
                (JsonNode *) a), "start_time");
        gdouble y = json_object_get_double_member (json_node_get_object (
                (JsonNode *) b), "start_time");
        return x < y ? -1 : x > y ? 1 : 0;
      });
  guint idx = 0;
  for (GList * l = ordered; l; l = l->next, idx++) {
    JsonObject *o = json_node_get_object ((JsonNode *) l->data);
    GstVoiceSegment seg;
    gst_voice_segment_init (&seg);
    seg.idx = idx;
    gst_voice_role_from_string (json_object_get_string_member (o, "role"),
        &seg.role);
    seg.start_time = json_object_get_double_member (o, "start_time");
    seg.end_time = json_object_get_double_member (o, "end_time");
    if (json_object_has_member (o, "transcript")
        && !json_object_get_null_member (o, "transcript"))
      seg.transcript = g_strdup (json_object_get_string_member (o,
              "transcript"));
    seg.transcript_truncated = json_object_has_member (o,
        "transcript_truncated")
        && json_object_get_boolean_member (o, "transcript_truncated");
    gchar *name = gst_voice_segment_file_name (idx, seg.role, seg.start_time,
        "wav");
    seg.file = g_strconcat ("segments/", name, nullptr);
    g_free (name);
    gst_voice_manifest_add_segment (m, &seg);
    gst_voice_segment_clear (&seg);
  }
  g_list_free (ordered);

  JsonArray *evs = json_object_get_array_member (in, "events");
  for (guint i = 0; i < json_array_get_length (evs); i++) {
    JsonObject *o = json_array_get_object_element (evs, i);
    GstVoiceEventType type;
    if (!gst_voice_event_type_from_string (json_object_get_string_member (o,
                "type"), &type))
      return 1;
    GstVoiceTimelineEvent ev;
    gst_voice_timeline_event_init (&ev, type,
        json_object_get_double_member (o, "time"));
    if (json_object_has_member (o, "latency")) {
      ev.has_latency = TRUE;
      ev.latency = json_object_get_double_member (o, "latency");
    }
    if (json_object_has_member (o, "name"))
      ev.name = g_strdup (json_object_get_string_member (o, "name"));
    ev.args = member_as_text (o, "args");
    ev.result = member_as_text (o, "result");
    ev.metadata = member_as_text (o, "metadata");
    gst_voice_manifest_add_event (m, &ev);
    gst_voice_timeline_event_clear (&ev);
  }

  set_added_members (m, in);
  GDateTime *when = utc_time (json_object_get_array_member (in,
          "generated_at"));
  gchar *text = gst_voice_manifest_to_string (m, when);
  fputs (text, stdout);
  g_free (text);
  g_date_time_unref (when);
  gst_voice_manifest_free (m);
  g_object_unref (parser);
  return 0;
}
