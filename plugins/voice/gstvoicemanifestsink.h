/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_VOICE_MANIFEST_SINK_H__
#define __GST_VOICE_MANIFEST_SINK_H__

#include <gst/gst.h>
#include <gst/base/gstbasesink.h>

G_BEGIN_DECLS

#define GST_TYPE_VOICE_MANIFEST_SINK (gst_voice_manifest_sink_get_type ())
G_DECLARE_FINAL_TYPE (GstVoiceManifestSink, gst_voice_manifest_sink, GST,
    VOICE_MANIFEST_SINK, GstBaseSink);

GST_ELEMENT_REGISTER_DECLARE (voicemanifestsink);

G_END_DECLS

#endif /* __GST_VOICE_MANIFEST_SINK_H__ */
