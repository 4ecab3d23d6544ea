/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "nextcallproperty.h"

void
next_call_property_check (GstElement * element, const GParamSpec * pspec)
{
  if (!(pspec->flags & GST_PARAM_MUTABLE_READY))
    return;
  GST_OBJECT_LOCK (element);
  gboolean running = GST_STATE (element) > GST_STATE_READY
      || GST_STATE_NEXT (element) > GST_STATE_READY;
  GST_OBJECT_UNLOCK (element);
  if (running)
    GST_ELEMENT_WARNING (element, RESOURCE, SETTINGS,
        ("\"%s\" was set while the element runs: the call goes on as it "
            "was, the new value applies from the next call", pspec->name),
        ("%s can only change in the NULL or READY state", pspec->name));
}
