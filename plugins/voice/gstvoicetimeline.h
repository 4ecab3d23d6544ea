/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_VOICE_TIMELINE_ELEMENT_H__
#define __GST_VOICE_TIMELINE_ELEMENT_H__

#include <gst/gst.h>
#include <gst/audio/gstaudioaggregator.h>

G_BEGIN_DECLS

#define GST_TYPE_VOICE_TIMELINE_PAD (gst_voice_timeline_pad_get_type ())
G_DECLARE_FINAL_TYPE (GstVoiceTimelinePad, gst_voice_timeline_pad, GST,
    VOICE_TIMELINE_PAD, GstAudioAggregatorConvertPad);

#define GST_TYPE_VOICE_TIMELINE (gst_voice_timeline_get_type ())
G_DECLARE_FINAL_TYPE (GstVoiceTimeline, gst_voice_timeline, GST,
    VOICE_TIMELINE, GstAudioAggregator);

GST_ELEMENT_REGISTER_DECLARE (voicetimeline);

G_END_DECLS

#endif /* __GST_VOICE_TIMELINE_ELEMENT_H__ */
