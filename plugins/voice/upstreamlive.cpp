/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "upstreamlive.h"

gboolean
upstream_is_live (GstPad * sinkpad, GstClockTime * min_latency)
{
  gboolean live = TRUE;
  GstClockTime min = 0;
  GstQuery *query = gst_query_new_latency ();
  if (gst_pad_peer_query (sinkpad, query))
    gst_query_parse_latency (query, &live, &min, nullptr);
  gst_query_unref (query);
  if (min_latency)
    *min_latency = GST_CLOCK_TIME_IS_VALID (min) ? min : 0;
  return live;
}
