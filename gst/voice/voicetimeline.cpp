/* GStreamer voice conversation library
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/**
 * SECTION:gstvoicetimeline
 * @title: Timeline events
 * @short_description: the events of a conversation's timeline
 *
 * The reference data model's `VoiceEvent`: a type, a time in seconds from
 * conversation time zero, and, where they apply, a latency, a tool name,
 * JSON arguments, a JSON result and JSON metadata. They travel as
 * "voice-timeline-event" structures (element messages, custom events) and
 * end up in the manifest's `events` list.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "voicetimeline.h"
#include "voicejson.h"

static const gchar *event_type_names[] = {
  "user_start_speaking",
  "user_stop_speaking",
  "agent_start_speaking",
  "agent_stop_speaking",
  "user_interrupt",
  "tool_call",
  "tool_result",
};

/**
 * gst_voice_event_type_to_string:
 * @type: a #GstVoiceEventType
 *
 * Returns: the reference name of @type, such as "user_interrupt"
 */
const gchar *
gst_voice_event_type_to_string (GstVoiceEventType type)
{
  g_return_val_if_fail ((guint) type < G_N_ELEMENTS (event_type_names),
      nullptr);
  return event_type_names[type];
}

/**
 * gst_voice_event_type_from_string:
 * @str: a reference event type name
 * @type: (out): the type
 *
 * Returns: %TRUE if @str names an event type
 */
gboolean
gst_voice_event_type_from_string (const gchar * str, GstVoiceEventType * type)
{
  g_return_val_if_fail (type != nullptr, FALSE);

  for (guint i = 0; str && i < G_N_ELEMENTS (event_type_names); i++) {
    if (g_str_equal (str, event_type_names[i])) {
      *type = (GstVoiceEventType) i;
      return TRUE;
    }
  }
  return FALSE;
}

/**
 * gst_voice_timeline_event_init:
 * @event: an event to fill
 * @type: its type
 * @time: seconds from conversation time zero
 *
 * Sets @type and @time; every optional field unset.
 */
void
gst_voice_timeline_event_init (GstVoiceTimelineEvent * event,
    GstVoiceEventType type, gdouble time)
{
  g_return_if_fail (event != nullptr);

  event->type = type;
  event->time = time;
  event->has_latency = FALSE;
  event->latency = 0.0;
  event->name = event->args = event->result = event->metadata = nullptr;
}

/**
 * gst_voice_timeline_event_clear:
 * @event: an event
 *
 * Frees the strings of @event and unsets them.
 */
void
gst_voice_timeline_event_clear (GstVoiceTimelineEvent * event)
{
  g_return_if_fail (event != nullptr);

  g_clear_pointer (&event->name, g_free);
  g_clear_pointer (&event->args, g_free);
  g_clear_pointer (&event->result, g_free);
  g_clear_pointer (&event->metadata, g_free);
  event->has_latency = FALSE;
}

/**
 * gst_voice_timeline_event_copy_into:
 * @dest: (out caller-allocates): where to copy
 * @src: an event
 *
 * Deep copy; clear @dest with gst_voice_timeline_event_clear().
 */
void
gst_voice_timeline_event_copy_into (GstVoiceTimelineEvent * dest,
    const GstVoiceTimelineEvent * src)
{
  g_return_if_fail (dest != nullptr && src != nullptr);

  *dest = *src;
  dest->name = g_strdup (src->name);
  dest->args = g_strdup (src->args);
  dest->result = g_strdup (src->result);
  dest->metadata = g_strdup (src->metadata);
}

/**
 * gst_voice_timeline_event_to_structure:
 * @event: an event
 *
 * Returns: (transfer full): a "voice-timeline-event" structure
 */
GstStructure *
gst_voice_timeline_event_to_structure (const GstVoiceTimelineEvent * event)
{
  g_return_val_if_fail (event != nullptr, nullptr);

  GstStructure *s = gst_structure_new (GST_VOICE_TIMELINE_EVENT_STRUCTURE,
      "type", G_TYPE_STRING, gst_voice_event_type_to_string (event->type),
      "time", G_TYPE_DOUBLE, event->time, nullptr);
  if (event->has_latency)
    gst_structure_set (s, "latency", G_TYPE_DOUBLE, event->latency, nullptr);
  if (event->name)
    gst_structure_set (s, "name", G_TYPE_STRING, event->name, nullptr);
  if (event->args)
    gst_structure_set (s, "args", G_TYPE_STRING, event->args, nullptr);
  if (event->result)
    gst_structure_set (s, "result", G_TYPE_STRING, event->result, nullptr);
  if (event->metadata)
    gst_structure_set (s, "metadata", G_TYPE_STRING, event->metadata,
        nullptr);
  return s;
}

/* an optional string field: absent is fine, present must be a string */
static gboolean
get_optional_string (const GstStructure * s, const gchar * field,
    const gchar ** out)
{
  *out = nullptr;
  if (!gst_structure_has_field (s, field))
    return TRUE;
  *out = gst_structure_get_string (s, field);
  return *out != nullptr;
}

/**
 * gst_voice_timeline_event_from_structure:
 * @s: a structure
 * @event: (out caller-allocates): the event; clear it after a %TRUE return
 *
 * Refuses a wrong name, an unknown type, a missing or negative time, a
 * wrong-typed field, text that is not UTF-8, and JSON fields that do not
 * parse (`args` and `metadata` must be objects).
 *
 * Returns: %TRUE if @s is a valid timeline event
 */
gboolean
gst_voice_timeline_event_from_structure (const GstStructure * s,
    GstVoiceTimelineEvent * event)
{
  g_return_val_if_fail (s != nullptr && event != nullptr, FALSE);

  GstVoiceEventType type;
  gdouble time, latency = 0.0;
  const gchar *name, *args, *result, *metadata;

  if (!gst_structure_has_name (s, GST_VOICE_TIMELINE_EVENT_STRUCTURE)
      || !gst_voice_event_type_from_string (gst_structure_get_string (s,
              "type"), &type)
      || !gst_structure_get_double (s, "time", &time) || !(time >= 0.0))
    return FALSE;

  gboolean has_latency = gst_structure_has_field (s, "latency");
  if (has_latency && !gst_structure_get_double (s, "latency", &latency))
    return FALSE;

  if (!get_optional_string (s, "name", &name)
      || !get_optional_string (s, "args", &args)
      || !get_optional_string (s, "result", &result)
      || !get_optional_string (s, "metadata", &metadata))
    return FALSE;
  if ((name && !g_utf8_validate (name, -1, nullptr))
      || (args && !voice_json_is_valid (args, TRUE))
      || (result && !voice_json_is_valid (result, FALSE))
      || (metadata && !voice_json_is_valid (metadata, TRUE)))
    return FALSE;

  gst_voice_timeline_event_init (event, type, time);
  event->has_latency = has_latency;
  event->latency = latency;
  event->name = g_strdup (name);
  event->args = g_strdup (args);
  event->result = g_strdup (result);
  event->metadata = g_strdup (metadata);
  return TRUE;
}

/**
 * gst_voice_message_new_timeline_event:
 * @src: the element posting it
 * @event: an event
 *
 * Returns: (transfer full): an element message
 */
GstMessage *
gst_voice_message_new_timeline_event (GstObject * src,
    const GstVoiceTimelineEvent * event)
{
  return gst_message_new_element (src,
      gst_voice_timeline_event_to_structure (event));
}

/**
 * gst_voice_message_parse_timeline_event:
 * @message: a message
 * @event: (out caller-allocates): see
 *   gst_voice_timeline_event_from_structure()
 *
 * Returns: %TRUE if @message is a valid timeline event message
 */
gboolean
gst_voice_message_parse_timeline_event (GstMessage * message,
    GstVoiceTimelineEvent * event)
{
  g_return_val_if_fail (GST_IS_MESSAGE (message), FALSE);

  const GstStructure *s = gst_message_get_structure (message);
  return GST_MESSAGE_TYPE (message) == GST_MESSAGE_ELEMENT && s != nullptr
      && gst_voice_timeline_event_from_structure (s, event);
}

static void
set_json_member (JsonObject * obj, const gchar * member, const gchar * text,
    gboolean want_object)
{
  if (!text)
    return;
  JsonNode *node = voice_json_parse (text, want_object);
  /* checked on the way in; should it still fail, keep the text as text
   * rather than write invalid JSON */
  if (!node)
    node = json_node_init_string (json_node_alloc (), text);
  json_object_set_member (obj, member, node);
}

/**
 * gst_voice_timeline_event_to_json:
 * @event: an event
 *
 * The manifest entry, with the reference's members and order: `time`,
 * `type`, then `latency`, `name`, `args`, `result`, `metadata` when set.
 *
 * Returns: (transfer full): a JSON object node
 */
JsonNode *
gst_voice_timeline_event_to_json (const GstVoiceTimelineEvent * event)
{
  g_return_val_if_fail (event != nullptr, nullptr);

  JsonObject *obj = json_object_new ();
  json_object_set_double_member (obj, "time", event->time);
  json_object_set_string_member (obj, "type",
      gst_voice_event_type_to_string (event->type));
  if (event->has_latency)
    json_object_set_double_member (obj, "latency", event->latency);
  if (event->name)
    json_object_set_string_member (obj, "name", event->name);
  set_json_member (obj, "args", event->args, TRUE);
  set_json_member (obj, "result", event->result, FALSE);
  set_json_member (obj, "metadata", event->metadata, TRUE);

  JsonNode *node = json_node_init_object (json_node_alloc (), obj);
  json_object_unref (obj);
  return node;
}

/**
 * gst_voice_query_new_pending:
 *
 * Returns: (transfer full): a new "voice-pending" query, to send upstream
 */
GstQuery *
gst_voice_query_new_pending (void)
{
  GValue items = G_VALUE_INIT;
  g_value_init (&items, GST_TYPE_ARRAY);
  GstStructure *s = gst_structure_new_empty (GST_VOICE_PENDING_QUERY);
  gst_structure_take_value (s, "items", &items);
  return gst_query_new_custom (GST_QUERY_CUSTOM, s);
}

/**
 * gst_voice_query_add_pending:
 * @query: a "voice-pending" query
 * @item: (transfer full): a structure the timeline would send downstream
 *
 * Appends @item to the answer.
 */
void
gst_voice_query_add_pending (GstQuery * query, GstStructure * item)
{
  g_return_if_fail (GST_IS_QUERY (query) && item != nullptr);
  GstStructure *s = gst_query_writable_structure (query);
  g_return_if_fail (gst_structure_has_name (s, GST_VOICE_PENDING_QUERY));

  GValue v = G_VALUE_INIT;
  g_value_init (&v, GST_TYPE_STRUCTURE);
  g_value_take_boxed (&v, item);
  GValue *items = (GValue *) gst_structure_get_value (s, "items");
  gst_value_array_append_and_take_value (items, &v);
}

/**
 * gst_voice_query_parse_pending:
 * @query: a query
 *
 * Returns: (transfer full) (element-type GstStructure) (nullable): the
 * structures of the answer, in order, or %NULL if @query is not a
 * "voice-pending" query
 */
GPtrArray *
gst_voice_query_parse_pending (GstQuery * query)
{
  g_return_val_if_fail (GST_IS_QUERY (query), nullptr);
  const GstStructure *s = gst_query_get_structure (query);
  if (GST_QUERY_TYPE (query) != GST_QUERY_CUSTOM || !s
      || !gst_structure_has_name (s, GST_VOICE_PENDING_QUERY))
    return nullptr;

  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_structure_free);
  const GValue *items = gst_structure_get_value (s, "items");
  if (!items || !GST_VALUE_HOLDS_ARRAY (items))
    return out;
  for (guint i = 0; i < gst_value_array_get_size (items); i++) {
    const GValue *v = gst_value_array_get_value (items, i);
    if (GST_VALUE_HOLDS_STRUCTURE (v))
      g_ptr_array_add (out, gst_structure_copy (gst_value_get_structure (v)));
  }
  return out;
}
