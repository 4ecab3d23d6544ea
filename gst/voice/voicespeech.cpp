/* GStreamer voice conversation library
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/**
 * SECTION:gstvoicespeech
 * @title: Speech spans
 * @short_description: events and messages that open and close speech spans
 *
 * `voicesegmenter` sends a "voice-speech-start" event before the audio of a
 * span's first syllable and a "voice-speech-stop" event once it is sure the
 * span ended. Both carry the exact boundary times, so consumers use the
 * fields, not the event's position in the stream: the stop event arrives
 * after the detector's hangover, its `end` does not include it.
 *
 * The same structures are posted as element messages, with the extra
 * fields `timestamp`, `stream-time` and `running-time` of the boundary
 * (the start for a start, the end for a stop), as `level` and `cutter` do.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "voicespeech.h"

/**
 * gst_voice_speech_init:
 * @speech: a #GstVoiceSpeech
 *
 * Sets every field to its empty value (no speaker, times
 * %GST_CLOCK_TIME_NONE, no padding).
 */
void
gst_voice_speech_init (GstVoiceSpeech * speech)
{
  g_return_if_fail (speech != nullptr);

  speech->kind = GST_VOICE_SPEECH_START;
  speech->speaker = nullptr;
  speech->role = GST_VOICE_ROLE_USER;
  speech->start = GST_CLOCK_TIME_NONE;
  speech->end = GST_CLOCK_TIME_NONE;
  speech->start_running_time = GST_CLOCK_TIME_NONE;
  speech->end_running_time = GST_CLOCK_TIME_NONE;
  speech->padding = 0;
  speech->marked = FALSE;
}

/**
 * gst_voice_speech_clear:
 * @speech: a #GstVoiceSpeech
 *
 * Frees the speaker name and resets @speech with gst_voice_speech_init().
 */
void
gst_voice_speech_clear (GstVoiceSpeech * speech)
{
  g_return_if_fail (speech != nullptr);

  g_free (speech->speaker);
  gst_voice_speech_init (speech);
}

/**
 * gst_voice_speech_to_structure:
 * @speech: a span boundary with a valid speaker name and @start
 *
 * Returns: (transfer full): a "voice-speech-start" or "voice-speech-stop"
 * structure
 */
GstStructure *
gst_voice_speech_to_structure (const GstVoiceSpeech * speech)
{
  g_return_val_if_fail (speech != nullptr, nullptr);
  g_return_val_if_fail (gst_voice_speaker_name_is_valid (speech->speaker),
      nullptr);
  g_return_val_if_fail (GST_CLOCK_TIME_IS_VALID (speech->start), nullptr);

  gboolean stop = speech->kind == GST_VOICE_SPEECH_STOP;
  GstStructure *s = gst_structure_new (stop ? GST_VOICE_SPEECH_STOP_STRUCTURE :
      GST_VOICE_SPEECH_START_STRUCTURE,
      "speaker", G_TYPE_STRING, speech->speaker,
      "role", G_TYPE_STRING, gst_voice_role_to_string (speech->role),
      "start", G_TYPE_UINT64, speech->start,
      "start-running-time", G_TYPE_UINT64, speech->start_running_time,
      "padding", G_TYPE_UINT64, speech->padding,
      "marked", G_TYPE_BOOLEAN, speech->marked, nullptr);

  if (stop) {
    GstClockTime duration = GST_CLOCK_TIME_NONE;
    if (GST_CLOCK_TIME_IS_VALID (speech->end) && speech->end >= speech->start)
      duration = speech->end - speech->start;
    gst_structure_set (s,
        "end", G_TYPE_UINT64, speech->end,
        "end-running-time", G_TYPE_UINT64, speech->end_running_time,
        "duration", G_TYPE_UINT64, duration, nullptr);
  }
  return s;
}

/**
 * gst_voice_speech_from_structure:
 * @s: a structure
 * @speech: (out caller-allocates): where to store the fields; clear it with
 *   gst_voice_speech_clear() after a %TRUE return
 *
 * Missing optional fields (`padding`, `marked`, running times) take their
 * empty values; a missing or invalid speaker, role or time is refused.
 *
 * Returns: %TRUE if @s is a valid speech span boundary
 */
gboolean
gst_voice_speech_from_structure (const GstStructure * s,
    GstVoiceSpeech * speech)
{
  g_return_val_if_fail (s != nullptr, FALSE);
  g_return_val_if_fail (speech != nullptr, FALSE);

  GstVoiceSpeech tmp;
  gst_voice_speech_init (&tmp);

  if (gst_structure_has_name (s, GST_VOICE_SPEECH_STOP_STRUCTURE))
    tmp.kind = GST_VOICE_SPEECH_STOP;
  else if (!gst_structure_has_name (s, GST_VOICE_SPEECH_START_STRUCTURE))
    return FALSE;

  const gchar *name = gst_structure_get_string (s, "speaker");
  if (!gst_voice_speaker_name_is_valid (name)
      || !gst_voice_role_from_string (gst_structure_get_string (s, "role"),
          &tmp.role)
      || !gst_structure_get_uint64 (s, "start", &tmp.start)
      || !GST_CLOCK_TIME_IS_VALID (tmp.start))
    return FALSE;

  if (tmp.kind == GST_VOICE_SPEECH_STOP &&
      (!gst_structure_get_uint64 (s, "end", &tmp.end)
          || !GST_CLOCK_TIME_IS_VALID (tmp.end) || tmp.end < tmp.start))
    return FALSE;

  gst_structure_get_uint64 (s, "start-running-time", &tmp.start_running_time);
  gst_structure_get_uint64 (s, "end-running-time", &tmp.end_running_time);
  gst_structure_get_uint64 (s, "padding", &tmp.padding);
  gst_structure_get_boolean (s, "marked", &tmp.marked);

  tmp.speaker = g_strdup (name);
  *speech = tmp;
  return TRUE;
}

/**
 * gst_voice_event_new_speech:
 * @speech: a span boundary
 *
 * Returns: (transfer full): a serialized custom downstream event
 */
GstEvent *
gst_voice_event_new_speech (const GstVoiceSpeech * speech)
{
  GstStructure *s = gst_voice_speech_to_structure (speech);
  g_return_val_if_fail (s != nullptr, nullptr);
  return gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM, s);
}

/**
 * gst_voice_event_parse_speech:
 * @event: an event
 * @speech: (out caller-allocates): see gst_voice_speech_from_structure()
 *
 * Returns: %TRUE if @event is a valid speech start or stop event
 */
gboolean
gst_voice_event_parse_speech (GstEvent * event, GstVoiceSpeech * speech)
{
  g_return_val_if_fail (GST_IS_EVENT (event), FALSE);

  if (GST_EVENT_TYPE (event) != GST_EVENT_CUSTOM_DOWNSTREAM)
    return FALSE;
  const GstStructure *s = gst_event_get_structure (event);
  return s != nullptr && gst_voice_speech_from_structure (s, speech);
}

/**
 * gst_voice_message_new_speech:
 * @src: the element posting the message
 * @speech: a span boundary
 * @segment: (nullable): the segment of the stream, to compute `stream-time`
 *
 * Returns: (transfer full): an element message
 */
GstMessage *
gst_voice_message_new_speech (GstObject * src, const GstVoiceSpeech * speech,
    const GstSegment * segment)
{
  GstStructure *s = gst_voice_speech_to_structure (speech);
  g_return_val_if_fail (s != nullptr, nullptr);

  gboolean stop = speech->kind == GST_VOICE_SPEECH_STOP;
  GstClockTime timestamp = stop ? speech->end : speech->start;
  GstClockTime running_time =
      stop ? speech->end_running_time : speech->start_running_time;
  GstClockTime stream_time = GST_CLOCK_TIME_NONE;
  if (segment && segment->format == GST_FORMAT_TIME)
    stream_time = gst_segment_to_stream_time (segment, GST_FORMAT_TIME,
        timestamp);

  gst_structure_set (s,
      "timestamp", G_TYPE_UINT64, timestamp,
      "stream-time", G_TYPE_UINT64, stream_time,
      "running-time", G_TYPE_UINT64, running_time, nullptr);
  return gst_message_new_element (src, s);
}

/**
 * gst_voice_message_parse_speech:
 * @message: a message
 * @speech: (out caller-allocates): see gst_voice_speech_from_structure()
 *
 * Returns: %TRUE if @message is a speech start or stop element message
 */
gboolean
gst_voice_message_parse_speech (GstMessage * message, GstVoiceSpeech * speech)
{
  g_return_val_if_fail (GST_IS_MESSAGE (message), FALSE);

  if (GST_MESSAGE_TYPE (message) != GST_MESSAGE_ELEMENT)
    return FALSE;
  const GstStructure *s = gst_message_get_structure (message);
  return s != nullptr && gst_voice_speech_from_structure (s, speech);
}

/**
 * gst_voice_event_new_speech_mark:
 * @speaking: %TRUE when the speaker starts, %FALSE when it stops
 * @timestamp: buffer time of the boundary, or %GST_CLOCK_TIME_NONE for "at
 *   this point of the stream"
 *
 * Returns: (transfer full): a serialized "voice-speech-mark" event
 */
GstEvent *
gst_voice_event_new_speech_mark (gboolean speaking, GstClockTime timestamp)
{
  GstStructure *s = gst_structure_new (GST_VOICE_SPEECH_MARK_STRUCTURE,
      "speaking", G_TYPE_BOOLEAN, speaking, nullptr);
  if (GST_CLOCK_TIME_IS_VALID (timestamp))
    gst_structure_set (s, "timestamp", G_TYPE_UINT64, timestamp, nullptr);
  return gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM, s);
}

/**
 * gst_voice_event_parse_speech_mark:
 * @event: an event
 * @speaking: (out) (optional): whether the speaker starts talking
 * @timestamp: (out) (optional): the boundary, or %GST_CLOCK_TIME_NONE
 *
 * Returns: %TRUE if @event is a valid "voice-speech-mark" event
 */
gboolean
gst_voice_event_parse_speech_mark (GstEvent * event, gboolean * speaking,
    GstClockTime * timestamp)
{
  g_return_val_if_fail (GST_IS_EVENT (event), FALSE);

  if (GST_EVENT_TYPE (event) != GST_EVENT_CUSTOM_DOWNSTREAM
      || !gst_event_has_name (event, GST_VOICE_SPEECH_MARK_STRUCTURE))
    return FALSE;

  const GstStructure *s = gst_event_get_structure (event);
  gboolean sp;
  if (!gst_structure_get_boolean (s, "speaking", &sp))
    return FALSE;

  GstClockTime ts = GST_CLOCK_TIME_NONE;
  if (gst_structure_has_field (s, "timestamp")
      && !gst_structure_get_uint64 (s, "timestamp", &ts))
    return FALSE;

  if (speaking)
    *speaking = sp;
  if (timestamp)
    *timestamp = ts;
  return TRUE;
}
