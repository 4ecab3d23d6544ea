/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fuzz target: the elements themselves, given hostile upstream input and
 * hostile application calls. Each input is one short call: voicetimeline
 * with an audio pad and a text pad, feeding voicemanifestsink. Every line
 * (structureline.h's format) is, by its name:
 *
 *   x-text            a subtitle buffer on the text pad (text,
 *                     running-time, duration)
 *   x-tool-call,      the timeline's action signals, their arguments
 *   x-tool-result,    taken from the fields (name, args or result,
 *   x-set-transcript  call-id; speaker, idx, text; running-time)
 *   anything else     a custom event, sent both to the timeline's audio
 *                     pad and to the sink directly (as an upstream of its
 *                     own would)
 *
 * and 10 ms of audio follow each line. At the end, the manifest must parse
 * and nothing may be written outside the recording's directory.
 */
#include "fuzzcommon.h"
#include "structureline.h"

#include <gst/audio/audio.h>
#include <gst/check/gstharness.h>

#include "gstvoicemanifestsink.h"
#include "gstvoicetimeline.h"

#include <ftw.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#define RATE 16000
#define CHUNK 160

static gchar *top_dir;
static gchar *plugin_dir;

/* The sink's files go through the system's encoders: a registry of only
 * the plugins they need, in a directory of its own. (With all of the
 * system's, GLib's table of quarks outgrows its first size, which GLib
 * then lets go on purpose, and the fuzzer would call that a leak.) */
static void
use_encoder_plugins (const gchar * dir)
{
  const gchar *system_dir = GST_PLUGINS_DIR;
  for (const gchar * name:{"coreelements", "wavenc", "audioconvert",
          "audioresample"}) {
    gchar *file = g_strdup_printf ("libgst%s.so", name);
    gchar *target = g_build_filename (system_dir, file, nullptr);
    gchar *link = g_build_filename (dir, file, nullptr);
    if (symlink (target, link) != 0)
      g_error ("cannot link %s: %s", target, g_strerror (errno));
    g_free (file);
    g_free (target);
    g_free (link);
  }
  gchar *registry = g_build_filename (dir, "registry.bin", nullptr);
  g_setenv ("GST_PLUGIN_SYSTEM_PATH_1_0", dir, TRUE);
  g_setenv ("GST_PLUGIN_PATH_1_0", "", TRUE);
  g_setenv ("GST_REGISTRY_1_0", registry, TRUE);
  g_free (registry);
}

static int
remove_one (const char *path, const struct stat *, int, struct FTW *)
{
  return remove (path);
}

static void
remove_dirs (void)
{
  nftw (top_dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
  nftw (plugin_dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

extern "C" int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  plugin_dir = g_dir_make_tmp ("voice-fuzz-plugins-XXXXXX", nullptr);
  use_encoder_plugins (plugin_dir);
  fuzz_init (TRUE);
  GST_ELEMENT_REGISTER (voicetimeline, nullptr);
  GST_ELEMENT_REGISTER (voicemanifestsink, nullptr);
  top_dir = g_dir_make_tmp ("voice-fuzz-XXXXXX", nullptr);
  atexit (remove_dirs);
  return 0;
}

static void record_call (const uint8_t * data, size_t size);

/* GStreamer and GLib allocate what they keep for the life of the process
 * (classes, thread pools, the encoders' plugins) in the first call: made
 * here, before the fuzzer counts leaks */
static void
warm_up (void)
{
  static bool done = false;
  if (done)
    return;
  done = true;
  const char call[] = "voice-speaker;name:s=alice;role:s=user\n"
      "voice-speech-start;speaker:s=alice;role:s=user;start:u=0;"
      "start-running-time:u=0\nx-text;text:s=hi;running-time:u=0\n"
      "voice-speech-stop;speaker:s=alice;role:s=user;start:u=0;"
      "start-running-time:u=0;end:u=20000000;end-running-time:u=20000000\n";
  record_call ((const uint8_t *) call, sizeof (call) - 1);
}

static GstBuffer *
audio_chunk (guint i)
{
  GstBuffer *buf = gst_buffer_new_allocate (nullptr, CHUNK * 2, nullptr);
  GstMapInfo map;
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  gint16 *d = (gint16 *) map.data;
  for (guint k = 0; k < CHUNK; k++)
    d[k] = (i % 4 < 2 ? 8000 : 30) * (k % 16 < 8 ? 1 : -1);
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = i * 10 * GST_MSECOND;
  GST_BUFFER_DURATION (buf) = 10 * GST_MSECOND;
  return buf;
}

static GstBuffer *
text_buffer (const GstStructure * s)
{
  const gchar *text = gst_structure_get_string (s, "text");
  gsize len = text ? strlen (text) : 0;
  GstBuffer *buf = len ? gst_buffer_new_memdup (text, len) : gst_buffer_new ();
  guint64 t;
  if (gst_structure_get_uint64 (s, "running-time", &t))
    GST_BUFFER_PTS (buf) = t;
  if (gst_structure_get_uint64 (s, "duration", &t))
    GST_BUFFER_DURATION (buf) = t;
  return buf;
}

static void
call_action (GstElement * timeline, const GstStructure * s)
{
  guint64 rt = GST_CLOCK_TIME_NONE;
  gst_structure_get_uint64 (s, "running-time", &rt);
  gboolean ok;
  if (gst_structure_has_name (s, "x-set-transcript")) {
    gint idx = -1;
    gst_structure_get_int (s, "idx", &idx);
    g_signal_emit_by_name (timeline, "set-transcript",
        gst_structure_get_string (s, "speaker"), idx,
        gst_structure_get_string (s, "text"), rt, &ok);
  } else {
    gboolean call = gst_structure_has_name (s, "x-tool-call");
    g_signal_emit_by_name (timeline, call ? "tool-call" : "tool-result",
        gst_structure_get_string (s, "name"),
        gst_structure_get_string (s, call ? "args" : "result"),
        gst_structure_get_string (s, "call-id"), rt, &ok);
  }
}

/* what the timeline gave out so far, on to the sink */
static void
forward (GstHarness * from, GstHarness * to)
{
  GstEvent *ev;
  while ((ev = gst_harness_try_pull_event (from)))
    gst_harness_push_event (to, ev);
  GstBuffer *buf;
  while ((buf = gst_harness_try_pull (from)))
    gst_harness_push (to, buf);
}

/* Nothing but the recording's directory may be in the top directory. */
static void
check_and_clear (const std::string & location)
{
  GDir *d = g_dir_open (top_dir, 0, nullptr);
  const gchar *name;
  while ((name = g_dir_read_name (d)))
    if (!g_str_equal (name, "call")) {
      g_printerr ("written outside the recording: %s\n", name);
      abort ();
    }
  g_dir_close (d);

  std::string manifest = location + "/manifest.json";
  if (g_file_test (manifest.c_str (), G_FILE_TEST_EXISTS)) {
    JsonParser *parser = json_parser_new ();
    GError *err = nullptr;
    if (!json_parser_load_from_file (parser, manifest.c_str (), &err)) {
      g_printerr ("manifest.json does not parse: %s\n", err->message);
      abort ();
    }
    g_object_unref (parser);
  }
  nftw (location.c_str (), remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

extern "C" int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  warm_up ();
  record_call (data, size);
  return 0;
}

static void
record_call (const uint8_t * data, size_t size)
{
  std::string input ((const char *) data, size);
  gchar **lines = g_strsplit (input.c_str (), "\n", 64);
  std::string location = std::string (top_dir) + "/call";

  GstElement *timeline = gst_element_factory_make ("voicetimeline", nullptr);
  GstPad *audio_pad = gst_element_request_pad_simple (timeline, "sink_%u");
  GstPad *text_pad = gst_element_request_pad_simple (timeline, "text_%u");
  GstHarness *audio = gst_harness_new_with_element (timeline, "sink_0",
      "src");
  GstHarness *text = gst_harness_new_with_element (timeline, "text_0",
      nullptr);
  gst_harness_set_src_caps_str (audio, "audio/x-raw, format=S16LE, "
      "layout=interleaved, rate=16000, channels=1");
  gst_harness_set_src_caps_str (text, "text/x-raw, format=utf8");

  GstElement *sink = gst_element_factory_make ("voicemanifestsink", nullptr);
  g_object_set (sink, "location", location.c_str (), "manifest-interval",
      (guint64) 0, nullptr);
  GstHarness *recorder = gst_harness_new_with_element (sink, "sink", nullptr);

  guint i = 0;
  for (gchar ** l = lines; *l; l++, i++) {
    GstStructure *s = structure_from_line (*l);
    if (!s) {
    } else if (gst_structure_has_name (s, "x-text")) {
      gst_harness_push (text, text_buffer (s));
      gst_structure_free (s);
    } else if (g_str_has_prefix (gst_structure_get_name (s), "x-tool")
        || gst_structure_has_name (s, "x-set-transcript")) {
      call_action (timeline, s);
      gst_structure_free (s);
    } else {
      /* (the library's speaker event is sticky) */
      GstEventType type = gst_structure_has_name (s, "voice-speaker") ?
          GST_EVENT_CUSTOM_DOWNSTREAM_STICKY : GST_EVENT_CUSTOM_DOWNSTREAM;
      gst_harness_push_event (recorder, gst_event_new_custom (type,
              gst_structure_copy (s)));
      gst_harness_push_event (audio, gst_event_new_custom (type, s));
    }
    gst_harness_push (audio, audio_chunk (i));
    forward (audio, recorder);
  }
  gst_harness_push_event (text, gst_event_new_eos ());
  gst_harness_push_event (audio, gst_event_new_eos ());
  /* all the timeline gives out, up to its EOS */
  for (;;) {
    GstEvent *ev = gst_harness_pull_event (audio);
    if (!ev)
      abort ();
    bool eos = GST_EVENT_TYPE (ev) == GST_EVENT_EOS;
    GstBuffer *buf;
    while ((buf = gst_harness_try_pull (audio)))
      gst_harness_push (recorder, buf);
    gst_harness_push_event (recorder, ev);
    if (eos)
      break;
  }

  gst_harness_teardown (recorder);
  gst_object_unref (sink);
  gst_harness_teardown (text);
  gst_harness_teardown (audio);
  gst_object_unref (audio_pad);
  gst_object_unref (text_pad);
  gst_object_unref (timeline);
  g_strfreev (lines);

  check_and_clear (location);
}
