/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What the fuzz targets share: GStreamer set up once, criticals fatal (a
 * g_return_if_fail hit by input is a bug too), and the check that what
 * the library writes for the manifest is always JSON that parses.
 */
#pragma once

#include <gst/gst.h>
#include <gst/voice/voice.h>
#include <json-glib/json-glib.h>

#include <cstdlib>

static inline void
fuzz_init (gboolean with_plugins = FALSE)
{
  /* no registry when the target uses no element of the system's */
  if (!with_plugins) {
    g_setenv ("GST_REGISTRY_DISABLE", "yes", TRUE);
    g_setenv ("GST_REGISTRY_UPDATE", "no", TRUE);
  }
  gst_init (nullptr, nullptr);
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL);
  /* GStreamer warns of every string that is not UTF-8 set on a structure,
   * as the application might: the input is meant to hold such strings */
  g_log_set_handler ("GStreamer", G_LOG_LEVEL_WARNING,
      [](const gchar *, GLogLevelFlags, const gchar *, gpointer) {
      }, nullptr);
}

/* The manifest text of @manifest must parse, whatever went into it. */
static inline void
fuzz_check_manifest (const GstVoiceManifest * manifest)
{
  GDateTime *now = g_date_time_new_from_unix_utc (0);
  gchar *text = gst_voice_manifest_to_string (manifest, now);
  g_date_time_unref (now);
  JsonParser *parser = json_parser_new ();
  GError *err = nullptr;
  if (!g_utf8_validate (text, -1, nullptr)
      || !json_parser_load_from_data (parser, text, -1, &err)) {
    g_printerr ("manifest does not parse: %s\n%s\n",
        err ? err->message : "not UTF-8", text);
    abort ();
  }
  g_object_unref (parser);
  g_free (text);
}
