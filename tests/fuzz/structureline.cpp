/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "structureline.h"

#include <cstring>

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
  "voice-conversation-start", "voice-latency-summary", "started-at",
  "settle-time", "origin-running-time", "count", "time-to-first-byte",
  "interrupt-response-time", "call-id", "x-text", "x-tool-call",
  "x-tool-result", "x-set-transcript",
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

GstStructure *
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

