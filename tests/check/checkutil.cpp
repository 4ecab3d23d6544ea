/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "checkutil.h"

#include <gst/audio/audio.h>

#include <cstring>
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
