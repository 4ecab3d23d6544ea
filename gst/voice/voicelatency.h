/* GStreamer voice conversation library
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __GST_VOICE_LATENCY_H__
#define __GST_VOICE_LATENCY_H__

#include <gst/voice/voice-prelude.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * GstVoiceLatencyStats:
 *
 * The agent's response times over a conversation (the reference's
 * `LatencyMetrics`): every measurement, the time to first byte and the
 * interrupt response time. Opaque.
 */
typedef struct _GstVoiceLatencyStats GstVoiceLatencyStats;

GST_VOICE_API
GstVoiceLatencyStats * gst_voice_latency_stats_new (void);

GST_VOICE_API
void gst_voice_latency_stats_free (GstVoiceLatencyStats * stats);

GST_VOICE_API
GstVoiceLatencyStats * gst_voice_latency_stats_copy (
    const GstVoiceLatencyStats * stats);

GST_VOICE_API
void gst_voice_latency_stats_add (GstVoiceLatencyStats * stats,
    gdouble seconds);

GST_VOICE_API
void gst_voice_latency_stats_set_time_to_first_byte (
    GstVoiceLatencyStats * stats, gdouble seconds);

GST_VOICE_API
void gst_voice_latency_stats_set_interrupt_response_time (
    GstVoiceLatencyStats * stats, gdouble seconds);

GST_VOICE_API
guint gst_voice_latency_stats_get_count (const GstVoiceLatencyStats * stats);

GST_VOICE_API
gboolean gst_voice_latency_stats_get_avg (const GstVoiceLatencyStats * stats,
    gdouble * avg);

GST_VOICE_API
gboolean gst_voice_latency_stats_get_p50 (const GstVoiceLatencyStats * stats,
    gdouble * p50);

GST_VOICE_API
gboolean gst_voice_latency_stats_get_p95 (const GstVoiceLatencyStats * stats,
    gdouble * p95);

GST_VOICE_API
gboolean gst_voice_latency_stats_get_min (const GstVoiceLatencyStats * stats,
    gdouble * min);

GST_VOICE_API
gboolean gst_voice_latency_stats_get_max (const GstVoiceLatencyStats * stats,
    gdouble * max);

GST_VOICE_API
JsonNode * gst_voice_latency_stats_to_json (
    const GstVoiceLatencyStats * stats);

G_END_DECLS

#endif /* __GST_VOICE_LATENCY_H__ */
