/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "systemplugins.h"

#include <gst/gst.h>

void
load_system_plugins (void)
{
  const gchar *names[] = { "coreelements", "audioconvert", "audioresample",
    "audiotestsrc", "wavenc", "wavparse", "flac", "vorbis", "ogg", "opus",
    "lame", "mpg123", "audioparsers", "playback", "typefindfunctions",
    "app",
  };
  for (const gchar * name:names) {
    gchar *file = g_strdup_printf ("%s/libgst%s.so", SYSTEM_PLUGINS_DIR, name);
    GError *err = nullptr;
    GstPlugin *plugin = gst_plugin_load_file (file, &err);
    if (plugin)
      gst_object_unref (plugin);
    else
      g_print ("plugin %s not loaded: %s\n", name, err->message);
    g_clear_error (&err);
    g_free (file);
  }
}
