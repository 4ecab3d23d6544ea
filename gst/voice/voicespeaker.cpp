/* GStreamer voice conversation library
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/**
 * SECTION:gstvoicespeaker
 * @title: Speaker identity
 * @short_description: who speaks on a stream, and in which role
 *
 * A speaker is a name (1 to 64 ASCII letters, digits, `-` or `_`, so that it
 * is safe in file names) and a #GstVoiceRole. `voicesegmenter` sends it
 * downstream as the sticky custom event "voice-speaker" so that the next
 * element knows whose stream this is without extra configuration.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "voicespeaker.h"

#include <cstring>

GType
gst_voice_role_get_type (void)
{
  static gsize id = 0;
  static const GEnumValue values[] = {
    {GST_VOICE_ROLE_USER, "A person: the caller or the user of a voice bot",
        "user"},
    {GST_VOICE_ROLE_AGENT, "The voice agent: a bot or the callee", "agent"},
    {0, nullptr, nullptr}
  };

  if (g_once_init_enter (&id)) {
    GType tmp = g_enum_register_static ("GstVoiceRole", values);
    g_once_init_leave (&id, tmp);
  }
  return (GType) id;
}

/**
 * gst_voice_role_to_string:
 * @role: a #GstVoiceRole
 *
 * Returns: the role's nick, "user" or "agent"
 */
const gchar *
gst_voice_role_to_string (GstVoiceRole role)
{
  return role == GST_VOICE_ROLE_AGENT ? "agent" : "user";
}

/**
 * gst_voice_role_from_string:
 * @str: "user" or "agent"
 * @role: (out): the role
 *
 * Returns: %TRUE if @str names a role
 */
gboolean
gst_voice_role_from_string (const gchar * str, GstVoiceRole * role)
{
  g_return_val_if_fail (role != nullptr, FALSE);

  if (g_strcmp0 (str, "user") == 0)
    *role = GST_VOICE_ROLE_USER;
  else if (g_strcmp0 (str, "agent") == 0)
    *role = GST_VOICE_ROLE_AGENT;
  else
    return FALSE;
  return TRUE;
}

/**
 * gst_voice_speaker_name_is_valid:
 * @name: (nullable): a speaker name
 *
 * Speaker names end up in file names and JSON, so only a safe alphabet is
 * accepted: 1 to %GST_VOICE_SPEAKER_NAME_MAX_LENGTH ASCII letters, digits,
 * `-` or `_`.
 *
 * Returns: %TRUE if @name is acceptable
 */
gboolean
gst_voice_speaker_name_is_valid (const gchar * name)
{
  if (name == nullptr || name[0] == '\0')
    return FALSE;

  gsize len = 0;
  for (const gchar * p = name; *p; p++, len++) {
    if (len >= GST_VOICE_SPEAKER_NAME_MAX_LENGTH)
      return FALSE;
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;
  }
  return TRUE;
}

/**
 * gst_voice_event_new_speaker:
 * @name: a valid speaker name
 * @role: the speaker's role
 *
 * Returns: (transfer full) (nullable): a new sticky "voice-speaker" event, or
 * %NULL if @name is not valid
 */
GstEvent *
gst_voice_event_new_speaker (const gchar * name, GstVoiceRole role)
{
  g_return_val_if_fail (gst_voice_speaker_name_is_valid (name), nullptr);

  GstStructure *s = gst_structure_new (GST_VOICE_SPEAKER_STRUCTURE,
      "name", G_TYPE_STRING, name,
      "role", G_TYPE_STRING, gst_voice_role_to_string (role), nullptr);
  return gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM_STICKY, s);
}

/**
 * gst_voice_event_parse_speaker:
 * @event: an event
 * @name: (out) (transfer full) (optional): the speaker name
 * @role: (out) (optional): the role
 *
 * Returns: %TRUE if @event is a valid "voice-speaker" event
 */
gboolean
gst_voice_event_parse_speaker (GstEvent * event, gchar ** name,
    GstVoiceRole * role)
{
  g_return_val_if_fail (GST_IS_EVENT (event), FALSE);

  if (GST_EVENT_TYPE (event) != GST_EVENT_CUSTOM_DOWNSTREAM_STICKY
      || !gst_event_has_name (event, GST_VOICE_SPEAKER_STRUCTURE))
    return FALSE;

  const GstStructure *s = gst_event_get_structure (event);
  const gchar *n = gst_structure_get_string (s, "name");
  GstVoiceRole r;
  if (!gst_voice_speaker_name_is_valid (n)
      || !gst_voice_role_from_string (gst_structure_get_string (s, "role"), &r))
    return FALSE;

  if (name)
    *name = g_strdup (n);
  if (role)
    *role = r;
  return TRUE;
}

/**
 * gst_voice_channel_structure_new:
 * @channel: the channel, from 0
 * @name: a valid speaker name
 * @role: the speaker's role
 *
 * Returns: (transfer full) (nullable): a new "voice-channel" structure, or
 * %NULL if @name is not valid
 */
GstStructure *
gst_voice_channel_structure_new (guint channel, const gchar * name,
    GstVoiceRole role)
{
  g_return_val_if_fail (gst_voice_speaker_name_is_valid (name), nullptr);

  return gst_structure_new (GST_VOICE_CHANNEL_STRUCTURE,
      "channel", G_TYPE_UINT, channel,
      "name", G_TYPE_STRING, name,
      "role", G_TYPE_STRING, gst_voice_role_to_string (role), nullptr);
}

/**
 * gst_voice_channel_structure_parse:
 * @s: a structure
 * @channel: (out) (optional): the channel
 * @name: (out) (transfer full) (optional): the speaker name
 * @role: (out) (optional): the role
 *
 * Returns: %TRUE if @s is a valid "voice-channel" structure
 */
gboolean
gst_voice_channel_structure_parse (const GstStructure * s, guint * channel,
    gchar ** name, GstVoiceRole * role)
{
  g_return_val_if_fail (s != nullptr, FALSE);

  guint c;
  GstVoiceRole r;
  const gchar *n = gst_structure_get_string (s, "name");
  if (!gst_structure_has_name (s, GST_VOICE_CHANNEL_STRUCTURE)
      || !gst_structure_get_uint (s, "channel", &c)
      || !gst_voice_speaker_name_is_valid (n)
      || !gst_voice_role_from_string (gst_structure_get_string (s, "role"), &r))
    return FALSE;

  if (channel)
    *channel = c;
  if (name)
    *name = g_strdup (n);
  if (role)
    *role = r;
  return TRUE;
}
