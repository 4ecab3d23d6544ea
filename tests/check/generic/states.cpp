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

/* A value of @pspec other than @current, within its range. */
static void
other_value (GParamSpec * pspec, const GValue * current, const gchar * dir,
    GValue * next)
{
  g_value_init (next, G_PARAM_SPEC_VALUE_TYPE (pspec));
  GType type = G_PARAM_SPEC_VALUE_TYPE (pspec);
  if (type == G_TYPE_STRING) {
    gchar *path = g_build_filename (dir, "next-call", nullptr);
    g_value_take_string (next, path);
  } else if (G_TYPE_IS_ENUM (type)) {
    GEnumClass *klass = G_ENUM_CLASS (g_type_class_ref (type));
    for (guint i = 0; i < klass->n_values; i++)
      if (klass->values[i].value != g_value_get_enum (current)) {
        g_value_set_enum (next, klass->values[i].value);
        break;
      }
    g_type_class_unref (klass);
  } else if (type == G_TYPE_UINT64) {
    guint64 v = g_value_get_uint64 (current);
    g_value_set_uint64 (next, v < G_PARAM_SPEC_UINT64 (pspec)->maximum ?
        v + 1 : v - 1);
  } else if (type == G_TYPE_UINT) {
    guint v = g_value_get_uint (current);
    g_value_set_uint (next, v < G_PARAM_SPEC_UINT (pspec)->maximum ?
        v + 1 : v - 1);
  } else {
    fail ("no other value made for %s", pspec->name);
  }
}

/* Each property that only changes in NULL or READY, set while the element
 * runs: a warning names it, and it is kept (for the next call). Set in
 * NULL, it says nothing. */
GST_START_TEST (test_ready_properties_while_running)
{
  gchar *dir = temp_dir ();
  for (const gchar * name:{"voicesegmenter", "voicetimeline",
          "voicemanifestsink"}) {
    GstElement *e = gst_element_factory_make (name, nullptr);
    if (g_str_equal (name, "voicemanifestsink"))
      g_object_set (e, "location", dir, nullptr);
    GstBus *bus = gst_bus_new ();
    gst_element_set_bus (e, bus);
    guint n_props, checked = 0;
    GParamSpec **props =
        g_object_class_list_properties (G_OBJECT_GET_CLASS (e), &n_props);
    for (GstState state:{GST_STATE_NULL, GST_STATE_PAUSED}) {
      fail_if (gst_element_set_state (e, state) == GST_STATE_CHANGE_FAILURE);
      for (guint i = 0; i < n_props; i++) {
        GParamSpec *pspec = props[i];
        if (pspec->owner_type != G_OBJECT_TYPE (e)
            || !(pspec->flags & GST_PARAM_MUTABLE_READY))
          continue;
        GValue current = G_VALUE_INIT, next = G_VALUE_INIT;
        GValue now = G_VALUE_INIT;
        g_value_init (&current, G_PARAM_SPEC_VALUE_TYPE (pspec));
        g_object_get_property (G_OBJECT (e), pspec->name, &current);
        other_value (pspec, &current, dir, &next);
        g_object_set_property (G_OBJECT (e), pspec->name, &next);
        g_value_init (&now, G_PARAM_SPEC_VALUE_TYPE (pspec));
        g_object_get_property (G_OBJECT (e), pspec->name, &now);
        fail_unless_equals_int (g_param_values_cmp (pspec, &now, &next), 0);

        GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
        if (state == GST_STATE_NULL) {
          fail_unless (msg == nullptr, "%s: a warning for %s in NULL", name,
              pspec->name);
        } else {
          fail_unless (msg != nullptr, "%s: no warning for %s", name,
              pspec->name);
          GError *err;
          gst_message_parse_warning (msg, &err, nullptr);
          gchar *quoted = g_strdup_printf ("\"%s\"", pspec->name);
          fail_unless (strstr (err->message, quoted) != nullptr,
              "%s: the warning does not name %s: %s", name, pspec->name,
              err->message);
          fail_unless (strstr (err->message, "next call") != nullptr);
          g_free (quoted);
          g_error_free (err);
          gst_message_unref (msg);
          checked++;
        }
        g_value_unset (&current);
        g_value_unset (&next);
        g_value_unset (&now);
      }
    }
    /* mode and min-speech; settle-time and max-speakers; location,
     * format, full-layout, manifest-interval, lookback */
    fail_unless_equals_int (checked, g_str_equal (name, "voicemanifestsink") ?
        5 : 2);
    /* one that may change while playing says nothing */
    if (g_str_equal (name, "voicesegmenter"))
      g_object_set (e, "threshold", 12.0, nullptr);
    GstMessage *extra = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
    fail_if (extra != nullptr, "%s: a warning too many", name);
    g_free (props);
    gst_element_set_state (e, GST_STATE_NULL);
    gst_element_set_bus (e, nullptr);
    gst_object_unref (bus);
    gst_object_unref (e);
  }
  remove_dir (dir);
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
  tcase_add_test (tc, test_ready_properties_while_running);
  return s;
}

GST_CHECK_MAIN (states);
