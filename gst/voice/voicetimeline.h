/* GStreamer voice conversation library
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_VOICE_TIMELINE_H__
#define __GST_VOICE_TIMELINE_H__

#include <gst/voice/voice-prelude.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * GstVoiceEventType:
 * @GST_VOICE_EVENT_USER_START_SPEAKING: "user_start_speaking"
 * @GST_VOICE_EVENT_USER_STOP_SPEAKING: "user_stop_speaking"
 * @GST_VOICE_EVENT_AGENT_START_SPEAKING: "agent_start_speaking", carries the
 *   response latency
 * @GST_VOICE_EVENT_AGENT_STOP_SPEAKING: "agent_stop_speaking"
 * @GST_VOICE_EVENT_USER_INTERRUPT: "user_interrupt": the user starts
 *   speaking while the agent speaks
 * @GST_VOICE_EVENT_TOOL_CALL: "tool_call", with a name and JSON arguments
 * @GST_VOICE_EVENT_TOOL_RESULT: "tool_result", with a name and a JSON result
 *
 * The types of timeline events, with the reference data model's names.
 */
typedef enum {
  GST_VOICE_EVENT_USER_START_SPEAKING,
  GST_VOICE_EVENT_USER_STOP_SPEAKING,
  GST_VOICE_EVENT_AGENT_START_SPEAKING,
  GST_VOICE_EVENT_AGENT_STOP_SPEAKING,
  GST_VOICE_EVENT_USER_INTERRUPT,
  GST_VOICE_EVENT_TOOL_CALL,
  GST_VOICE_EVENT_TOOL_RESULT,
} GstVoiceEventType;

GST_VOICE_API
const gchar * gst_voice_event_type_to_string (GstVoiceEventType type);

GST_VOICE_API
gboolean gst_voice_event_type_from_string (const gchar * str,
    GstVoiceEventType * type);

/**
 * GST_VOICE_TIMELINE_EVENT_STRUCTURE:
 *
 * Name of the structure of a timeline event, as an element message and as a
 * custom downstream event. Fields: `type` (string), `time` (double seconds
 * from conversation time zero), and when set `latency` (double seconds),
 * `name` (string), `args`, `result`, `metadata` (strings holding JSON:
 * `args` and `metadata` an object, `result` any value).
 */
#define GST_VOICE_TIMELINE_EVENT_STRUCTURE "voice-timeline-event"

/**
 * GstVoiceTimelineEvent:
 * @type: the type
 * @time: seconds from conversation time zero
 * @has_latency: whether @latency is set
 * @latency: seconds
 * @name: (nullable): a tool name
 * @args: (nullable): a JSON object, as text
 * @result: (nullable): any JSON value, as text
 * @metadata: (nullable): a JSON object, as text
 *
 * One timestamped event of the conversation timeline (the reference's
 * `VoiceEvent`).
 */
typedef struct {
  GstVoiceEventType type;
  gdouble time;
  gboolean has_latency;
  gdouble latency;
  gchar *name;
  gchar *args;
  gchar *result;
  gchar *metadata;
} GstVoiceTimelineEvent;

GST_VOICE_API
void gst_voice_timeline_event_init (GstVoiceTimelineEvent * event,
    GstVoiceEventType type, gdouble time);

GST_VOICE_API
void gst_voice_timeline_event_clear (GstVoiceTimelineEvent * event);

GST_VOICE_API
void gst_voice_timeline_event_copy_into (GstVoiceTimelineEvent * dest,
    const GstVoiceTimelineEvent * src);

GST_VOICE_API
GstStructure * gst_voice_timeline_event_to_structure (
    const GstVoiceTimelineEvent * event);

GST_VOICE_API
gboolean gst_voice_timeline_event_from_structure (const GstStructure * s,
    GstVoiceTimelineEvent * event);

GST_VOICE_API
GstMessage * gst_voice_message_new_timeline_event (GstObject * src,
    const GstVoiceTimelineEvent * event);

GST_VOICE_API
gboolean gst_voice_message_parse_timeline_event (GstMessage * message,
    GstVoiceTimelineEvent * event);

GST_VOICE_API
JsonNode * gst_voice_timeline_event_to_json (
    const GstVoiceTimelineEvent * event);

/**
 * GST_VOICE_PENDING_QUERY:
 *
 * Name of the custom upstream query that an element downstream of
 * voicetimeline sends when the conversation ends without EOS (the pipeline
 * is set to NULL: a hang-up): the timeline answers with what it would give
 * out at the end of the conversation and has not yet (the events and
 * segments of its last settle-time, the spans still open, closed at its
 * last output, and the latency figures), as the structures it sends
 * downstream, in order. Read them with gst_voice_query_parse_pending().
 */
#define GST_VOICE_PENDING_QUERY "voice-pending"

GST_VOICE_API
GstQuery * gst_voice_query_new_pending (void);

GST_VOICE_API
void gst_voice_query_add_pending (GstQuery * query, GstStructure * item);

GST_VOICE_API
GPtrArray * gst_voice_query_parse_pending (GstQuery * query);

G_END_DECLS

#endif /* __GST_VOICE_TIMELINE_H__ */
