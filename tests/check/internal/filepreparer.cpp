/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * voicemanifestsink's FilePreparer on its own: a finished file's encoder
 * is kept and writes a later file, and every file is whole.
 */
#include <gst/check/gstcheck.h>

#include "filepreparer.h"
#include "../checkutil.h"
#include "../systemplugins.h"

#include <string>
#include <vector>

GST_DEBUG_CATEGORY (gst_voice_manifest_sink_debug);

#define RATE 16000

/* @n frames of the value @k, one 10 ms buffer at a time */
static void
write_frames (EncodedFile & file, gint16 k, guint n)
{
  for (guint done = 0; done < n; done += RATE / 100) {
    guint frames = MIN (RATE / 100, n - done);
    GstBuffer *buf = gst_buffer_new_allocate (nullptr, frames * 2, nullptr);
    GstMapInfo map;
    gst_buffer_map (buf, &map, GST_MAP_WRITE);
    for (guint i = 0; i < frames; i++)
      GST_WRITE_UINT16_LE (map.data + 2 * i, (guint16) k);
    gst_buffer_unmap (buf, &map);
    fail_unless_equals_int (file.write (buf), GST_FLOW_OK);
  }
}

GST_START_TEST (test_encoder_reused)
{
  gchar *tmp = g_dir_make_tmp ("filepreparer-XXXXXX", nullptr);
  RecordingDir dir;
  std::string error;
  fail_unless (dir.open (tmp, error), "%s", error.c_str ());
  std::vector < std::string > parts;
  {
    FilePreparer preparer (dir, RECORDING_FORMAT_WAV, RATE, "wav", 1);
    /* file k holds 0.1 (k + 1) s of the value k; after each, the work in
     * flight is waited for, so that the next file made ready finds the
     * encoder of the one before */
    for (guint k = 0; k < 4; k++) {
      FilePreparer::Prepared p = preparer.take ();
      fail_unless (p.file != nullptr, "%s", p.error.c_str ());
      parts.push_back (p.part);
      write_frames (*p.file, (gint16) (1000 * (k + 1)), RATE / 10 * (k + 1));
      fail_unless (p.file->finish (), "%s", p.file->error ().c_str ());
      preparer.dispose (std::move (p.file));
      preparer.wait ();
    }
  }
  /* the first file's encoder was made at once, the second's ahead while
   * the first was written; every later file (and the one made ready at the
   * end) had one of those two: GStreamer numbers each new wavenc */
  GstElement *next = gst_element_factory_make ("wavenc", nullptr);
  fail_unless_equals_string (GST_ELEMENT_NAME (next), "wavenc2");
  gst_object_unref (next);

  for (guint k = 0; k < 4; k++) {
    Wav wav;
    fail_unless (read_wav (dir.path (RecordingDir::SEGMENTS, parts[k]), wav));
    fail_unless_equals_int (wav.rate, RATE);
    fail_unless_equals_int (wav.channels, 1);
    fail_unless_equals_int (wav.samples.size (), RATE / 10 * (k + 1));
    for (gint16 s:wav.samples)
      fail_unless_equals_int (s, 1000 * (k + 1));
  }
  dir.close ();
  gchar *cmd = g_strdup_printf ("rm -rf '%s'", tmp);
  fail_unless_equals_int (system (cmd), 0);
  g_free (cmd);
  g_free (tmp);
}

GST_END_TEST;

static Suite *
filepreparer_suite (void)
{
  GST_DEBUG_CATEGORY_INIT (gst_voice_manifest_sink_debug, "voicemanifestsink",
      0, "voicemanifestsink");
  load_system_plugins ();

  Suite *s = suite_create ("filepreparer");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_encoder_reused);
  return s;
}

GST_CHECK_MAIN (filepreparer);
