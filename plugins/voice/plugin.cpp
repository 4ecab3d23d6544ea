/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstvoicemanifestsink.h"
#include "gstvoicesegmenter.h"
#include "gstvoicetimeline.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ret = FALSE;

  ret |= GST_ELEMENT_REGISTER (voicesegmenter, plugin);
  ret |= GST_ELEMENT_REGISTER (voicetimeline, plugin);
  ret |= GST_ELEMENT_REGISTER (voicemanifestsink, plugin);

  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, voice,
    "Record voice conversations: speech spans, timeline, latency, manifest",
    plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
