/* GStreamer voice conversation library
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_VOICE_PRELUDE_H__
#define __GST_VOICE_PRELUDE_H__

#include <gst/gst.h>

#ifdef BUILDING_GST_VOICE
#define GST_VOICE_API GST_API_EXPORT
#else
#define GST_VOICE_API GST_API_IMPORT
#endif

#endif /* __GST_VOICE_PRELUDE_H__ */
