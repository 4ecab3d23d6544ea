/* GStreamer voice conversation library
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_VOICE_H__
#define __GST_VOICE_H__

#include <gst/voice/voice-prelude.h>
#include <gst/voice/voicespeaker.h>
#include <gst/voice/voicespeech.h>
#include <gst/voice/voicetimeline.h>
#include <gst/voice/voicesegment.h>
#include <gst/voice/voicelatency.h>
#include <gst/voice/voicemanifest.h>

#endif /* __GST_VOICE_H__ */
