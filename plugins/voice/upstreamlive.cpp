/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "upstreamlive.h"

gboolean
upstream_is_live (GstPad * sinkpad)
{
  gboolean live = TRUE;
  GstQuery *query = gst_query_new_latency ();
  if (gst_pad_peer_query (sinkpad, query))
    gst_query_parse_latency (query, &live, nullptr, nullptr);
  gst_query_unref (query);
  return live;
}
