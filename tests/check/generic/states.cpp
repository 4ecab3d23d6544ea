/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every element of the plugin through every state change, many times, on
 * its own and with data flowing (as gst-plugins-base's generic/states).
 */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include "../systemplugins.h"

#include <string>

static const GstState states[] = {
  GST_STATE_NULL, GST_STATE_READY, GST_STATE_PAUSED, GST_STATE_PLAYING,
};

static gchar *
temp_dir (void)
{
  gchar *dir = g_dir_make_tmp ("voice-states-XXXXXX", nullptr);
  fail_unless (dir != nullptr);
  return dir;
}

static void
remove_dir (gchar * dir)
{
  gchar *cmd = g_strdup_printf ("rm -rf '%s'", dir);
  fail_unless_equals_int (system (cmd), 0);
  g_free (cmd);
  g_free (dir);
}

/* An element alone, from each state to each other, and back to NULL. */
GST_START_TEST (test_each_element_every_transition)
{
  gchar *dir = temp_dir ();
  for (const gchar * name:{"voicesegmenter", "voicetimeline",
          "voicemanifestsink"}) {
    GstElement *e = gst_element_factory_make (name, nullptr);
    fail_unless (e != nullptr, "no %s", name);
    if (g_str_equal (name, "voicemanifestsink"))
      g_object_set (e, "location", dir, nullptr);
    if (g_str_equal (name, "voicetimeline")) {
      GstPad *p0 = gst_element_request_pad_simple (e, "sink_%u");
      GstPad *p1 = gst_element_request_pad_simple (e, "sink_%u");
      GstPad *text = gst_element_request_pad_simple (e, "text_%u");
      gst_object_unref (p0);
      gst_object_unref (p1);
      gst_object_unref (text);
    }
    for (guint round = 0; round < 20; round++) {
      for (GstState from:states) {
        for (GstState to:states) {
          fail_if (gst_element_set_state (e, from) ==
              GST_STATE_CHANGE_FAILURE, "%s to %s", name,
              gst_element_state_get_name (from));
          fail_if (gst_element_set_state (e, to) ==
              GST_STATE_CHANGE_FAILURE, "%s from %s to %s", name,
              gst_element_state_get_name (from),
              gst_element_state_get_name (to));
        }
      }
    }
    fail_unless_equals_int (gst_element_set_state (e, GST_STATE_NULL),
        GST_STATE_CHANGE_SUCCESS);
    gst_object_unref (e);
  }
  remove_dir (dir);
}

GST_END_TEST;

/* The whole recorder with a live call flowing, hung up (NULL without EOS)
 * again and again at different moments: every time a manifest that
 * parses. (The user is a steady tone, not audiotestsrc's ticks: in
 * GStreamer 1.22 those leave samples between the ticks uninitialised.) */
GST_START_TEST (test_hang_up_while_recording)
{
  for (guint round = 0; round < 30; round++) {
    gchar *dir = temp_dir ();
    gchar *desc = g_strdup_printf ("voicetimeline name=t ! "
        "voicemanifestsink location=%s "
        "audiotestsrc is-live=true wave=sine freq=300 "
        "samplesperbuffer=160 ! audio/x-raw,rate=16000,channels=1 ! "
        "voicesegmenter min-silence=100000000 ! t.sink_0 "
        "audiotestsrc is-live=true wave=silence samplesperbuffer=160 ! "
        "audio/x-raw,rate=16000,channels=1 ! voicesegmenter speaker=bot "
        "role=agent ! t.sink_1", dir);
    GstElement *pipeline = gst_parse_launch (desc, nullptr);
    g_free (desc);
    fail_unless (pipeline != nullptr);
    fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
        GST_STATE_CHANGE_FAILURE);
    /* from before the first buffer to well into the call */
    g_usleep ((round % 10) * 60 * 1000);
    fail_unless_equals_int (gst_element_set_state (pipeline,
            GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
    gst_object_unref (pipeline);

    gchar *manifest = g_build_filename (dir, "manifest.json", nullptr);
    if (g_file_test (manifest, G_FILE_TEST_EXISTS)) {
      JsonParser *parser = json_parser_new ();
      fail_unless (json_parser_load_from_file (parser, manifest, nullptr),
          "round %u: the manifest does not parse", round);
      g_object_unref (parser);
    }
    g_free (manifest);
    remove_dir (dir);
  }
}

GST_END_TEST;

static Suite *
states_suite (void)
{
  load_system_plugins ();
  Suite *s = suite_create ("states");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_each_element_every_transition);
  tcase_add_test (tc, test_hang_up_while_recording);
  return s;
}

GST_CHECK_MAIN (states);
