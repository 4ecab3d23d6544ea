/* GStreamer voice conversation library
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_VOICE_SPEECH_H__
#define __GST_VOICE_SPEECH_H__

#include <gst/voice/voice-prelude.h>
#include <gst/voice/voicespeaker.h>

G_BEGIN_DECLS

/**
 * GST_VOICE_SPEECH_START_STRUCTURE:
 *
 * Name of the serialized custom downstream event (and of the element
 * message) that opens a speech span.
 */
#define GST_VOICE_SPEECH_START_STRUCTURE "voice-speech-start"

/**
 * GST_VOICE_SPEECH_STOP_STRUCTURE:
 *
 * Name of the serialized custom downstream event (and of the element
 * message) that closes a speech span.
 */
#define GST_VOICE_SPEECH_STOP_STRUCTURE "voice-speech-stop"

/**
 * GST_VOICE_SPEECH_MARK_STRUCTURE:
 *
 * Name of the serialized custom downstream event with which an application
 * says that its speaker starts or stops talking (for instance a voice bot
 * around its own TTS audio). Fields: `speaking` (boolean), and optionally
 * `timestamp` (guint64, buffer time of the boundary; when absent the mark
 * takes effect at the start of the next buffer, or the end of the last one
 * when `speaking` is %FALSE).
 */
#define GST_VOICE_SPEECH_MARK_STRUCTURE "voice-speech-mark"

/**
 * GstVoiceSpeechKind:
 * @GST_VOICE_SPEECH_START: a span opens
 * @GST_VOICE_SPEECH_STOP: a span closes
 */
typedef enum {
  GST_VOICE_SPEECH_START,
  GST_VOICE_SPEECH_STOP,
} GstVoiceSpeechKind;

/**
 * GstVoiceSpeech:
 * @kind: whether the span opens or closes
 * @speaker: the speaker name
 * @role: the speaker role
 * @start: buffer timestamp of the span's first speech sample (detected spans:
 *   the start of the 10 ms frame that holds it)
 * @end: for a stop, the buffer timestamp just after the span's last speech
 *   sample (detected spans: the end of its 10 ms frame); otherwise
 *   %GST_CLOCK_TIME_NONE
 * @start_running_time: @start as running time
 * @end_running_time: @end as running time, or %GST_CLOCK_TIME_NONE
 * @padding: audio that the segmenter asks consumers to keep on each side of
 *   the span when they cut it out; never included in @start or @end
 * @marked: %TRUE if the application marked the span, %FALSE if detected
 *
 * One boundary of a speech span. As a structure (event or message) the
 * fields are `speaker` (string), `role` (string), `start`,
 * `start-running-time`, `padding` (guint64 nanoseconds), `marked`
 * (boolean), and for stops also `end`, `end-running-time` and `duration`
 * (guint64 nanoseconds).
 */
typedef struct {
  GstVoiceSpeechKind kind;
  gchar *speaker;
  GstVoiceRole role;
  GstClockTime start;
  GstClockTime end;
  GstClockTime start_running_time;
  GstClockTime end_running_time;
  GstClockTime padding;
  gboolean marked;
} GstVoiceSpeech;

GST_VOICE_API
void gst_voice_speech_init (GstVoiceSpeech * speech);

GST_VOICE_API
void gst_voice_speech_clear (GstVoiceSpeech * speech);

GST_VOICE_API
GstStructure * gst_voice_speech_to_structure (const GstVoiceSpeech * speech);

GST_VOICE_API
gboolean gst_voice_speech_from_structure (const GstStructure * s,
    GstVoiceSpeech * speech);

GST_VOICE_API
GstEvent * gst_voice_event_new_speech (const GstVoiceSpeech * speech);

GST_VOICE_API
gboolean gst_voice_event_parse_speech (GstEvent * event,
    GstVoiceSpeech * speech);

GST_VOICE_API
GstMessage * gst_voice_message_new_speech (GstObject * src,
    const GstVoiceSpeech * speech, const GstSegment * segment);

GST_VOICE_API
gboolean gst_voice_message_parse_speech (GstMessage * message,
    GstVoiceSpeech * speech);

GST_VOICE_API
GstEvent * gst_voice_event_new_speech_mark (gboolean speaking,
    GstClockTime timestamp);

GST_VOICE_API
gboolean gst_voice_event_parse_speech_mark (GstEvent * event,
    gboolean * speaking, GstClockTime * timestamp);

G_END_DECLS

#endif /* __GST_VOICE_SPEECH_H__ */
