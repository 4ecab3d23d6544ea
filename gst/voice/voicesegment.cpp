/* GStreamer voice conversation library
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/**
 * SECTION:gstvoicesegment
 * @title: Segment records
 * @short_description: one speech segment of a conversation
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "voicesegment.h"

/**
 * gst_voice_segment_init:
 * @segment: a segment to fill
 *
 * Sets every field to zero or %NULL.
 */
void
gst_voice_segment_init (GstVoiceSegment * segment)
{
  g_return_if_fail (segment != nullptr);
  *segment = GstVoiceSegment { };
}

/**
 * gst_voice_segment_clear:
 * @segment: a segment
 *
 * Frees the strings and resets @segment.
 */
void
gst_voice_segment_clear (GstVoiceSegment * segment)
{
  g_return_if_fail (segment != nullptr);

  g_free (segment->speaker);
  g_free (segment->transcript);
  g_free (segment->file);
  gst_voice_segment_init (segment);
}

/**
 * gst_voice_segment_copy_into:
 * @dest: (out caller-allocates): where to copy
 * @src: a segment
 *
 * Deep copy; clear @dest with gst_voice_segment_clear().
 */
void
gst_voice_segment_copy_into (GstVoiceSegment * dest,
    const GstVoiceSegment * src)
{
  g_return_if_fail (dest != nullptr && src != nullptr);

  *dest = *src;
  dest->speaker = g_strdup (src->speaker);
  dest->transcript = g_strdup (src->transcript);
  dest->file = g_strdup (src->file);
}

/**
 * gst_voice_segment_file_name:
 * @idx: the segment index
 * @role: the speaker role
 * @start_time: seconds from conversation time zero
 * @extension: the file extension, without dot
 *
 * The reference's segment file name: the index on two digits at least, the
 * role, and the start in whole milliseconds (truncated, as the reference's
 * `int (start_time * 1000)`) on four digits at least, e.g.
 * "01-agent-4813ms.wav".
 *
 * Returns: (transfer full): the file name
 */
gchar *
gst_voice_segment_file_name (guint idx, GstVoiceRole role, gdouble start_time,
    const gchar * extension)
{
  g_return_val_if_fail (extension != nullptr, nullptr);

  gint64 start_ms = (gint64) (start_time * 1000.0);
  return g_strdup_printf ("%02u-%s-%04" G_GINT64_FORMAT "ms.%s", idx,
      gst_voice_role_to_string (role), start_ms, extension);
}

/**
 * gst_voice_segment_to_json:
 * @segment: a segment
 *
 * The manifest entry, with the reference's members and order: `idx`,
 * `file`, `role`, `start_time`, `end_time`, `duration`, `transcript` (null
 * when unknown), `transcript_truncated` (only when true); then, added,
 * `speaker`, and `padding_before` and `padding_after` when the file holds
 * audio around the speech.
 *
 * Returns: (transfer full): a JSON object node
 */
JsonNode *
gst_voice_segment_to_json (const GstVoiceSegment * segment)
{
  g_return_val_if_fail (segment != nullptr, nullptr);

  JsonObject *obj = json_object_new ();
  json_object_set_int_member (obj, "idx", segment->idx);
  if (segment->file)
    json_object_set_string_member (obj, "file", segment->file);
  else
    json_object_set_null_member (obj, "file");
  json_object_set_string_member (obj, "role",
      gst_voice_role_to_string (segment->role));
  json_object_set_double_member (obj, "start_time", segment->start_time);
  json_object_set_double_member (obj, "end_time", segment->end_time);
  json_object_set_double_member (obj, "duration",
      segment->end_time - segment->start_time);
  if (segment->transcript && g_utf8_validate (segment->transcript, -1,
          nullptr))
    json_object_set_string_member (obj, "transcript", segment->transcript);
  else
    json_object_set_null_member (obj, "transcript");
  if (segment->transcript_truncated)
    json_object_set_boolean_member (obj, "transcript_truncated", TRUE);
  if (segment->speaker)
    json_object_set_string_member (obj, "speaker", segment->speaker);
  if (segment->padding_before > 0 || segment->padding_after > 0) {
    json_object_set_double_member (obj, "padding_before",
        segment->padding_before);
    json_object_set_double_member (obj, "padding_after",
        segment->padding_after);
  }

  JsonNode *node = json_node_init_object (json_node_alloc (), obj);
  json_object_unref (obj);
  return node;
}

/**
 * gst_voice_segment_to_structure:
 * @segment: a segment with a valid speaker name
 *
 * Returns: (transfer full): a "voice-segment" structure
 */
GstStructure *
gst_voice_segment_to_structure (const GstVoiceSegment * segment)
{
  g_return_val_if_fail (segment != nullptr, nullptr);
  g_return_val_if_fail (gst_voice_speaker_name_is_valid (segment->speaker),
      nullptr);

  GstStructure *s = gst_structure_new (GST_VOICE_SEGMENT_STRUCTURE,
      "idx", G_TYPE_UINT, segment->idx,
      "speaker", G_TYPE_STRING, segment->speaker,
      "role", G_TYPE_STRING, gst_voice_role_to_string (segment->role),
      "start-time", G_TYPE_DOUBLE, segment->start_time,
      "end-time", G_TYPE_DOUBLE, segment->end_time,
      "transcript-truncated", G_TYPE_BOOLEAN, segment->transcript_truncated,
      nullptr);
  if (segment->transcript)
    gst_structure_set (s, "transcript", G_TYPE_STRING, segment->transcript,
        nullptr);
  return s;
}

/**
 * gst_voice_segment_from_structure:
 * @s: a structure
 * @segment: (out caller-allocates): the segment; clear it after a %TRUE
 *   return
 *
 * Returns: %TRUE if @s is a valid "voice-segment" structure
 */
gboolean
gst_voice_segment_from_structure (const GstStructure * s,
    GstVoiceSegment * segment)
{
  g_return_val_if_fail (s != nullptr && segment != nullptr, FALSE);

  GstVoiceSegment tmp;
  gst_voice_segment_init (&tmp);
  const gchar *speaker = gst_structure_get_string (s, "speaker");
  const gchar *transcript = gst_structure_get_string (s, "transcript");

  if (!gst_structure_has_name (s, GST_VOICE_SEGMENT_STRUCTURE)
      || !gst_structure_get_uint (s, "idx", &tmp.idx)
      || !gst_voice_speaker_name_is_valid (speaker)
      || !gst_voice_role_from_string (gst_structure_get_string (s, "role"),
          &tmp.role)
      || !gst_structure_get_double (s, "start-time", &tmp.start_time)
      || !gst_structure_get_double (s, "end-time", &tmp.end_time)
      || !(tmp.start_time >= 0.0) || !(tmp.end_time >= tmp.start_time)
      || (gst_structure_has_field (s, "transcript") && (!transcript
              || !g_utf8_validate (transcript, -1, nullptr))))
    return FALSE;

  gst_structure_get_boolean (s, "transcript-truncated",
      &tmp.transcript_truncated);
  tmp.speaker = g_strdup (speaker);
  tmp.transcript = g_strdup (transcript);
  *segment = tmp;
  return TRUE;
}
