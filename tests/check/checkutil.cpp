/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "checkutil.h"

#include <gst/check/gstcheck.h>

#include <gst/audio/audio.h>

#include <cstring>
#include <malloc.h>
#include <unistd.h>

gsize
resident_bytes (void)
{
  gchar *text = nullptr;
  gsize pages = 0;
  if (g_file_get_contents ("/proc/self/statm", &text, nullptr, nullptr))
    pages = g_ascii_strtoull (strchr (text, ' ') + 1, nullptr, 10);
  g_free (text);
  return pages * sysconf (_SC_PAGESIZE);
}

gsize
heap_in_use_bytes (void)
{
  struct mallinfo2 info = mallinfo2 ();
  return info.uordblks + info.hblkhd;
}

GstCaps *
stereo_caps_at (gint rate)
{
  GstAudioInfo info;
  GstAudioChannelPosition pos[2] = { GST_AUDIO_CHANNEL_POSITION_FRONT_LEFT,
    GST_AUDIO_CHANNEL_POSITION_FRONT_RIGHT
  };
  gst_audio_info_set_format (&info, GST_AUDIO_FORMAT_S16LE, rate, 2, pos);
  return gst_audio_info_to_caps (&info);
}

gboolean
not_live_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  if (GST_QUERY_TYPE (query) == GST_QUERY_LATENCY) {
    gst_query_set_latency (query, FALSE, 0, GST_CLOCK_TIME_NONE);
    return TRUE;
  }
  return gst_pad_query_default (pad, parent, query);
}

bool
read_wav (const std::string & path, Wav & wav)
{
  gchar *data;
  gsize size;
  if (!g_file_get_contents (path.c_str (), &data, &size, nullptr))
    return false;
  bool ok = size >= 12 && memcmp (data, "RIFF", 4) == 0
      && GST_READ_UINT32_LE (data + 4) == size - 8;
  gsize pos = 12;
  bool have_data = false;
  while (ok && pos + 8 <= size) {
    guint32 len = GST_READ_UINT32_LE (data + pos + 4);
    if (memcmp (data + pos, "fmt ", 4) == 0) {
      ok = GST_READ_UINT16_LE (data + pos + 8) == 1
          && GST_READ_UINT16_LE (data + pos + 22) == 16;
      wav.channels = GST_READ_UINT16_LE (data + pos + 10);
      wav.rate = GST_READ_UINT32_LE (data + pos + 12);
    } else if (memcmp (data + pos, "data", 4) == 0) {
      ok = pos + 8 + len == size;
      const gint16 *s = (const gint16 *) (data + pos + 8);
      wav.samples.assign (s, s + len / 2);
      have_data = true;
    }
    pos += 8 + len + (len & 1);
  }
  g_free (data);
  return ok && have_data;
}

guint
count_warnings (GstBus * bus, GQuark domain, gint code)
{
  guint n = 0;
  GstMessage *msg;
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING))) {
    GError *err;
    gchar *debug;
    gst_message_parse_warning (msg, &err, &debug);
    GST_INFO ("warning: %s (%s)", err->message, debug);
    if (!domain || g_error_matches (err, domain, code))
      n++;
    g_clear_error (&err);
    g_free (debug);
    gst_message_unref (msg);
  }
  return n;
}

void
wait_for_eos (GstElement * pipeline)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
      (GstMessageType) (GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  fail_unless (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_object_unref (bus);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
}
