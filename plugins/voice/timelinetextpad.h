/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_VOICE_TIMELINE_TEXT_PAD_H__
#define __GST_VOICE_TIMELINE_TEXT_PAD_H__

#include <gst/gst.h>
#include <gst/audio/gstaudioaggregator.h>

G_BEGIN_DECLS

/* A `text_%u` pad of voicetimeline: timed text (subparse, speech-to-text)
 * for one speaker. Its data never enters the aggregator's queues: each
 * buffer becomes a cue of the timeline at once, and the aggregator is
 * told that the pad holds nothing back (it looks at EOS to it), so text
 * that ends early or never comes does not stall the audio. */
#define GST_TYPE_VOICE_TIMELINE_TEXT_PAD (gst_voice_timeline_text_pad_get_type ())
G_DECLARE_FINAL_TYPE (GstVoiceTimelineTextPad, gst_voice_timeline_text_pad,
    GST, VOICE_TIMELINE_TEXT_PAD, GstAudioAggregatorPad);

/* Called with each cue: running times, text as plain UTF-8 */
typedef void (*GstVoiceTimelineCueFunc) (GstElement * timeline,
    GstVoiceTimelineTextPad * pad, GstClockTime start, GstClockTime end,
    const gchar * text);

/* Called when the pad's stream ends (its real EOS) */
typedef void (*GstVoiceTimelineTextEndFunc) (GstElement * timeline,
    GstVoiceTimelineTextPad * pad);

void gst_voice_timeline_text_pad_set_funcs (GstVoiceTimelineTextPad * pad,
    GstVoiceTimelineCueFunc cue_func, GstVoiceTimelineTextEndFunc end_func);

/* TRUE when no more text can come: the stream ended, or nothing is linked */
gboolean gst_voice_timeline_text_pad_is_done (GstVoiceTimelineTextPad * pad);

/* Tells the aggregator that this pad holds nothing back; again after each
 * flush, which makes it wait for the pad. */
void gst_voice_timeline_text_pad_release_aggregator (GstVoiceTimelineTextPad * pad);

/* The speaker property; NULL: the speaker of the sink pad with the same
 * number. Transfer full. */
gchar *gst_voice_timeline_text_pad_dup_speaker (GstVoiceTimelineTextPad * pad);

/* Shared by both kinds of pad of the timeline: */

/* Stores @name (may be NULL) in *@field under @pad's object lock; a name
 * that is not a valid speaker name is ignored with a warning. */
void gst_voice_timeline_pad_store_speaker (GstPad * pad, gchar ** field,
    const gchar * name);

/* Answers a CAPS query with the pad's template caps, filtered. */
gboolean gst_voice_timeline_pad_answer_caps (GstPad * pad, GstQuery * query);

G_END_DECLS

#endif /* __GST_VOICE_TIMELINE_TEXT_PAD_H__ */
