/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "speechfixture.h"

#include <cstring>

Signal
Signal::silence (gint rate, double seconds)
{
  Signal s;
  s.rate = rate;
  s.samples.assign ((gsize) (seconds * rate + 0.5), 0.0f);
  return s;
}

Signal
Signal::load (const std::string & name)
{
  gchar *path = g_build_filename (TEST_FILES_DIR, name.c_str (), nullptr);
  gchar *data = nullptr;
  gsize len = 0;
  GError *err = nullptr;
  if (!g_file_get_contents (path, &data, &len, &err))
    g_error ("cannot read %s: %s", path, err->message);
  g_free (path);

  Signal s;
  /* walk the RIFF chunks for "fmt " and "data" */
  gsize pos = 12;
  while (pos + 8 <= len) {
    guint32 size = GST_READ_UINT32_LE (data + pos + 4);
    if (memcmp (data + pos, "fmt ", 4) == 0) {
      g_assert_cmpuint (GST_READ_UINT16_LE (data + pos + 8), ==, 1);
      g_assert_cmpuint (GST_READ_UINT16_LE (data + pos + 10), ==, 1);
      s.rate = (gint) GST_READ_UINT32_LE (data + pos + 12);
      g_assert_cmpuint (GST_READ_UINT16_LE (data + pos + 22), ==, 16);
    } else if (memcmp (data + pos, "data", 4) == 0) {
      size = MIN (size, len - pos - 8);
      for (gsize i = 0; i + 1 < size; i += 2)
        s.samples.push_back ((gint16) GST_READ_UINT16_LE (data + pos + 8 + i)
            / 32768.0f);
    }
    pos += 8 + size + (size & 1);
  }
  g_free (data);
  g_assert_cmpuint (s.samples.size (), >, 0);
  return s;
}

void
Signal::append (const Signal & other)
{
  g_assert_cmpint (other.rate, ==, rate);
  samples.insert (samples.end (), other.samples.begin (),
      other.samples.end ());
}

void
Signal::append_silence (double seconds)
{
  samples.insert (samples.end (), (gsize) (seconds * rate + 0.5), 0.0f);
}

GstCaps *
signal_caps (gint rate, GstAudioFormat format)
{
  GstAudioInfo info;
  gst_audio_info_set_format (&info, format, rate, 1, nullptr);
  return gst_audio_info_to_caps (&info);
}

GstBuffer *
signal_buffer (const Signal & signal, GstAudioFormat format, gsize pos,
    gsize n)
{
  gsize bps = format == GST_AUDIO_FORMAT_S16LE ? 2 : 4;
  GstBuffer *buf = gst_buffer_new_allocate (nullptr, n * bps, nullptr);
  GstMapInfo map;
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (gsize i = 0; i < n; i++) {
    float x = signal.samples[pos + i];
    if (format == GST_AUDIO_FORMAT_S16LE) {
      gint v = (gint) (x * 32768.0f);
      GST_WRITE_UINT16_LE (map.data + 2 * i, (guint16) CLAMP (v, -32768,
              32767));
    } else {
      GST_WRITE_FLOAT_LE (map.data + 4 * i, x);
    }
  }
  gst_buffer_unmap (buf, &map);
  return buf;
}

GstFlowReturn
push_signal (GstHarness * h, const Signal & signal, GstAudioFormat format,
    GstClockTime base, gsize chunk, gsize from, gsize to, bool timestamps)
{
  GstFlowReturn ret = GST_FLOW_OK;
  to = MIN (to, signal.size ());

  for (gsize pos = from; pos < to && ret == GST_FLOW_OK; pos += chunk) {
    gsize n = MIN (chunk, to - pos);
    GstBuffer *buf = signal_buffer (signal, format, pos, n);
    if (timestamps) {
      GST_BUFFER_PTS (buf) = base + signal.time_of (pos - from);
      GST_BUFFER_DURATION (buf) = signal.time_of (pos - from + n) -
          signal.time_of (pos - from);
    }
    ret = gst_harness_push (h, buf);
  }
  return ret;
}
