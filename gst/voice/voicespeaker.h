/* GStreamer voice conversation library
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_VOICE_SPEAKER_H__
#define __GST_VOICE_SPEAKER_H__

#include <gst/voice/voice-prelude.h>

G_BEGIN_DECLS

/**
 * GstVoiceRole:
 * @GST_VOICE_ROLE_USER: a person (the caller, the user of a voice bot)
 * @GST_VOICE_ROLE_AGENT: the voice agent (a bot, or the callee)
 *
 * The part a speaker plays in a conversation. In structures the role travels
 * as its nick, the string "user" or "agent".
 */
typedef enum {
  GST_VOICE_ROLE_USER = 0,
  GST_VOICE_ROLE_AGENT = 1,
} GstVoiceRole;

#define GST_TYPE_VOICE_ROLE (gst_voice_role_get_type ())
GST_VOICE_API
GType gst_voice_role_get_type (void);

GST_VOICE_API
const gchar * gst_voice_role_to_string (GstVoiceRole role);

GST_VOICE_API
gboolean gst_voice_role_from_string (const gchar * str, GstVoiceRole * role);

/**
 * GST_VOICE_SPEAKER_NAME_MAX_LENGTH:
 *
 * The longest speaker name accepted, in bytes.
 */
#define GST_VOICE_SPEAKER_NAME_MAX_LENGTH 64

GST_VOICE_API
gboolean gst_voice_speaker_name_is_valid (const gchar * name);

/**
 * GST_VOICE_SPEAKER_STRUCTURE:
 *
 * Name of the sticky custom downstream event that says whose stream this is.
 * Fields: `name` (string), `role` (string, "user" or "agent").
 */
#define GST_VOICE_SPEAKER_STRUCTURE "voice-speaker"

GST_VOICE_API
GstEvent * gst_voice_event_new_speaker (const gchar * name, GstVoiceRole role);

GST_VOICE_API
gboolean gst_voice_event_parse_speaker (GstEvent * event, gchar ** name,
    GstVoiceRole * role);

/**
 * GST_VOICE_CHANNEL_STRUCTURE:
 *
 * Name of the structure that says which channel of a multi-channel
 * conversation stream carries which speaker, sent by voicetimeline as a
 * serialized custom downstream event (and posted as an element message)
 * when the conversation starts and whenever a channel's speaker becomes
 * known or changes. Fields: `channel` (uint, from 0), `name` (string),
 * `role` (string, "user" or "agent"), and optionally `padding` (guint64
 * nanoseconds: the audio the speaker's segmenter asks to keep on each side
 * of a span).
 */
#define GST_VOICE_CHANNEL_STRUCTURE "voice-channel"

GST_VOICE_API
GstStructure * gst_voice_channel_structure_new (guint channel,
    const gchar * name, GstVoiceRole role);

GST_VOICE_API
gboolean gst_voice_channel_structure_parse (const GstStructure * s,
    guint * channel, gchar ** name, GstVoiceRole * role);

G_END_DECLS

#endif /* __GST_VOICE_SPEAKER_H__ */
