/* GStreamer voice conversation library
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_VOICE_MANIFEST_H__
#define __GST_VOICE_MANIFEST_H__

#include <gst/voice/voice-prelude.h>
#include <gst/voice/voicelatency.h>
#include <gst/voice/voicesegment.h>
#include <gst/voice/voicetimeline.h>

G_BEGIN_DECLS

/**
 * GST_VOICE_MANIFEST_VERSION:
 *
 * The `version` member of the manifests this library writes.
 */
#define GST_VOICE_MANIFEST_VERSION 1

/**
 * GST_VOICE_FILE_WRITTEN_STRUCTURE:
 *
 * Name of the element message posted by voicemanifestsink for each file
 * that is complete under its final name. Fields: `location` (string, the
 * file's path), `file` (string, relative to the recording directory, as
 * the manifest names it), `kind` (string, "segment" or "full"),
 * `start-time` and `end-time` (double seconds from conversation time
 * zero); for a segment also `idx` (uint), `speaker` and `role` (strings).
 */
#define GST_VOICE_FILE_WRITTEN_STRUCTURE "voice-file-written"

/**
 * GST_VOICE_MANIFEST_FINAL_STRUCTURE:
 *
 * Name of the element message posted by voicemanifestsink when the
 * recording is over and `manifest.json` is final. Fields: `location`
 * (string, the manifest's path), `segment-count` (uint), `duration`
 * (double seconds, the full file's length).
 */
#define GST_VOICE_MANIFEST_FINAL_STRUCTURE "voice-manifest-final"

/**
 * GstVoiceManifest:
 *
 * The model of `manifest.json`: segments, timeline events, latency
 * statistics and what the recording is made of. Opaque.
 */
typedef struct _GstVoiceManifest GstVoiceManifest;

GST_VOICE_API
GstVoiceManifest * gst_voice_manifest_new (void);

GST_VOICE_API
void gst_voice_manifest_free (GstVoiceManifest * manifest);

GST_VOICE_API
void gst_voice_manifest_set_started_at (GstVoiceManifest * manifest,
    GDateTime * started_at);

GST_VOICE_API
void gst_voice_manifest_set_sample_rate (GstVoiceManifest * manifest,
    gint rate);

GST_VOICE_API
void gst_voice_manifest_set_format (GstVoiceManifest * manifest,
    const gchar * format);

GST_VOICE_API
void gst_voice_manifest_set_full (GstVoiceManifest * manifest,
    const gchar * file, const gchar * layout, gdouble duration);

GST_VOICE_API
void gst_voice_manifest_add_speaker (GstVoiceManifest * manifest,
    const gchar * name, GstVoiceRole role, gint channel);

GST_VOICE_API
gboolean gst_voice_manifest_add_segment (GstVoiceManifest * manifest,
    const GstVoiceSegment * segment);

GST_VOICE_API
void gst_voice_manifest_add_event (GstVoiceManifest * manifest,
    const GstVoiceTimelineEvent * event);

GST_VOICE_API
gboolean gst_voice_manifest_set_archive (GstVoiceManifest * manifest,
    gint dir_fd, GError ** error);

GST_VOICE_API
gboolean gst_voice_manifest_archive (GstVoiceManifest * manifest,
    gdouble before, GError ** error);

GST_VOICE_API
guint gst_voice_manifest_get_segment_count (const GstVoiceManifest * manifest);

GST_VOICE_API
GstVoiceLatencyStats * gst_voice_manifest_get_latency (
    GstVoiceManifest * manifest);

GST_VOICE_API
gchar * gst_voice_manifest_to_string (const GstVoiceManifest * manifest,
    GDateTime * generated_at);

GST_VOICE_API
gboolean gst_voice_manifest_write (const GstVoiceManifest * manifest,
    const gchar * path, GError ** error);

GST_VOICE_API
gboolean gst_voice_manifest_write_fd (const GstVoiceManifest * manifest,
    gint fd, GError ** error);

G_END_DECLS

#endif /* __GST_VOICE_MANIFEST_H__ */
