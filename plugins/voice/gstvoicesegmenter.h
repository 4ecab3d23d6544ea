/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_VOICE_SEGMENTER_H__
#define __GST_VOICE_SEGMENTER_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_VOICE_SEGMENTER (gst_voice_segmenter_get_type ())
G_DECLARE_FINAL_TYPE (GstVoiceSegmenter, gst_voice_segmenter, GST,
    VOICE_SEGMENTER, GstElement);

/**
 * GstVoiceSegmenterMode:
 * @GST_VOICE_SEGMENTER_MODE_DETECT: spans are detected in the audio
 * @GST_VOICE_SEGMENTER_MODE_MARKED: spans are given by the application with
 *   "voice-speech-mark" events; the audio is not analysed
 */
typedef enum {
  GST_VOICE_SEGMENTER_MODE_DETECT,
  GST_VOICE_SEGMENTER_MODE_MARKED,
} GstVoiceSegmenterMode;

GST_ELEMENT_REGISTER_DECLARE (voicesegmenter);

G_END_DECLS

#endif /* __GST_VOICE_SEGMENTER_H__ */
