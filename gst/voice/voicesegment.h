/* GStreamer voice conversation library
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_VOICE_SEGMENT_H__
#define __GST_VOICE_SEGMENT_H__

#include <gst/voice/voice-prelude.h>
#include <gst/voice/voicespeaker.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * GstVoiceSegment:
 * @idx: index, in order of start time
 * @speaker: the speaker name
 * @role: the speaker role
 * @start_time: seconds from conversation time zero
 * @end_time: seconds from conversation time zero
 * @transcript: (nullable): what was said
 * @transcript_truncated: the agent was interrupted in this segment
 * @file: (nullable): the segment's audio file, relative to the recording
 *   directory
 * @padding_before: seconds of audio its file holds before @start_time (the
 *   segmenter's padding, less what came before the conversation)
 * @padding_after: seconds of audio its file holds after @end_time
 *
 * One speech segment (the reference's `AudioSegment`, without the audio).
 */
typedef struct {
  guint idx;
  gchar *speaker;
  GstVoiceRole role;
  gdouble start_time;
  gdouble end_time;
  gchar *transcript;
  gboolean transcript_truncated;
  gchar *file;
  gdouble padding_before;
  gdouble padding_after;
} GstVoiceSegment;

GST_VOICE_API
void gst_voice_segment_init (GstVoiceSegment * segment);

GST_VOICE_API
void gst_voice_segment_clear (GstVoiceSegment * segment);

GST_VOICE_API
void gst_voice_segment_copy_into (GstVoiceSegment * dest,
    const GstVoiceSegment * src);

GST_VOICE_API
gchar * gst_voice_segment_file_name (guint idx, GstVoiceRole role,
    gdouble start_time, const gchar * extension);

GST_VOICE_API
JsonNode * gst_voice_segment_to_json (const GstVoiceSegment * segment);

/**
 * GST_VOICE_SEGMENT_STRUCTURE:
 *
 * Name of the structure of a finished segment, as an element message and
 * as a serialized custom downstream event. Fields: `idx` (uint), `speaker`
 * (string), `role` (string), `start-time` and `end-time` (double seconds
 * from conversation time zero), `transcript-truncated` (boolean), and when
 * known `transcript` (string).
 */
#define GST_VOICE_SEGMENT_STRUCTURE "voice-segment"

GST_VOICE_API
GstStructure * gst_voice_segment_to_structure (const GstVoiceSegment * segment);

GST_VOICE_API
gboolean gst_voice_segment_from_structure (const GstStructure * s,
    GstVoiceSegment * segment);

G_END_DECLS

#endif /* __GST_VOICE_SEGMENT_H__ */
