/* GStreamer voice conversation library
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/**
 * SECTION:gstvoicelatency
 * @title: Latency statistics
 * @short_description: the agent's response times over a conversation
 *
 * The figures are the reference's: the average, the median (`p50`, the mean
 * of the two middle values for an even count, as Python's
 * `statistics.median`), `p95` as the value at index
 * `min (n - 1, ceil (0.95 * (n - 1)))` of the sorted measurements, and the
 * added `min` and `max`. Each getter returns %FALSE when there is no
 * measurement (the reference's `None`).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "voicelatency.h"
#include "voicelatency-private.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

struct _GstVoiceLatencyStats
{
  std::vector < gdouble > measurements;
  bool has_ttfb = false;
  gdouble ttfb = 0;
  bool has_interrupt = false;
  gdouble interrupt = 0;
  /* every change counted: a writer can keep the text of the figures */
  guint64 changes = 0;
};

/**
 * gst_voice_latency_stats_new:
 *
 * Returns: (transfer full): empty statistics
 */
GstVoiceLatencyStats *
gst_voice_latency_stats_new (void)
{
  return new GstVoiceLatencyStats ();
}

/**
 * gst_voice_latency_stats_copy:
 * @stats: statistics
 *
 * Returns: (transfer full): a copy of @stats
 */
GstVoiceLatencyStats *
gst_voice_latency_stats_copy (const GstVoiceLatencyStats * stats)
{
  g_return_val_if_fail (stats != nullptr, nullptr);
  return new GstVoiceLatencyStats (*stats);
}

/**
 * gst_voice_latency_stats_free:
 * @stats: (transfer full) (nullable): statistics
 */
void
gst_voice_latency_stats_free (GstVoiceLatencyStats * stats)
{
  delete stats;
}

/**
 * gst_voice_latency_stats_add:
 * @stats: statistics
 * @seconds: one response time
 */
void
gst_voice_latency_stats_add (GstVoiceLatencyStats * stats, gdouble seconds)
{
  g_return_if_fail (stats != nullptr);
  g_return_if_fail (std::isfinite (seconds));
  stats->measurements.push_back (seconds);
  stats->changes++;
}

/**
 * gst_voice_latency_stats_set_time_to_first_byte:
 * @stats: statistics
 * @seconds: the time to the agent's first audio
 */
void
gst_voice_latency_stats_set_time_to_first_byte (GstVoiceLatencyStats * stats,
    gdouble seconds)
{
  g_return_if_fail (stats != nullptr);
  /* the same figure again (each summary gives it) is no change */
  if (stats->has_ttfb && stats->ttfb == seconds)
    return;
  stats->has_ttfb = true;
  stats->ttfb = seconds;
  stats->changes++;
}

/**
 * gst_voice_latency_stats_set_interrupt_response_time:
 * @stats: statistics
 * @seconds: how long the agent took to go quiet when interrupted
 */
void
gst_voice_latency_stats_set_interrupt_response_time (GstVoiceLatencyStats *
    stats, gdouble seconds)
{
  g_return_if_fail (stats != nullptr);
  if (stats->has_interrupt && stats->interrupt == seconds)
    return;
  stats->has_interrupt = true;
  stats->interrupt = seconds;
  stats->changes++;
}

guint64
voice_latency_stats_changes (const GstVoiceLatencyStats * stats)
{
  return stats->changes;
}

/**
 * gst_voice_latency_stats_get_count:
 * @stats: statistics
 *
 * Returns: the number of measurements
 */
guint
gst_voice_latency_stats_get_count (const GstVoiceLatencyStats * stats)
{
  g_return_val_if_fail (stats != nullptr, 0);
  return (guint) stats->measurements.size ();
}

/**
 * gst_voice_latency_stats_get_avg:
 * @stats: statistics
 * @avg: (out): the mean
 *
 * Returns: %FALSE when there is no measurement
 */
gboolean
gst_voice_latency_stats_get_avg (const GstVoiceLatencyStats * stats,
    gdouble * avg)
{
  g_return_val_if_fail (stats != nullptr && avg != nullptr, FALSE);
  const auto & m = stats->measurements;
  if (m.empty ())
    return FALSE;
  *avg = std::accumulate (m.begin (), m.end (), 0.0) / m.size ();
  return TRUE;
}

static std::vector < gdouble > sorted (const GstVoiceLatencyStats * stats)
{
  std::vector < gdouble > s = stats->measurements;
  std::sort (s.begin (), s.end ());
  return s;
}

/**
 * gst_voice_latency_stats_get_p50:
 * @stats: statistics
 * @p50: (out): the median
 *
 * Returns: %FALSE when there is no measurement
 */
gboolean
gst_voice_latency_stats_get_p50 (const GstVoiceLatencyStats * stats,
    gdouble * p50)
{
  g_return_val_if_fail (stats != nullptr && p50 != nullptr, FALSE);
  if (stats->measurements.empty ())
    return FALSE;
  auto s = sorted (stats);
  gsize n = s.size ();
  *p50 = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0;
  return TRUE;
}

/**
 * gst_voice_latency_stats_get_p95:
 * @stats: statistics
 * @p95: (out): the 95th percentile, rounded up to a measurement
 *
 * Returns: %FALSE when there is no measurement
 */
gboolean
gst_voice_latency_stats_get_p95 (const GstVoiceLatencyStats * stats,
    gdouble * p95)
{
  g_return_val_if_fail (stats != nullptr && p95 != nullptr, FALSE);
  if (stats->measurements.empty ())
    return FALSE;
  auto s = sorted (stats);
  gsize n = s.size ();
  gsize idx = MIN (n - 1, (gsize) std::ceil (0.95 * (gdouble) (n - 1)));
  *p95 = s[idx];
  return TRUE;
}

/**
 * gst_voice_latency_stats_get_min:
 * @stats: statistics
 * @min: (out): the shortest response
 *
 * Returns: %FALSE when there is no measurement
 */
gboolean
gst_voice_latency_stats_get_min (const GstVoiceLatencyStats * stats,
    gdouble * min)
{
  g_return_val_if_fail (stats != nullptr && min != nullptr, FALSE);
  const auto & m = stats->measurements;
  if (m.empty ())
    return FALSE;
  *min = *std::min_element (m.begin (), m.end ());
  return TRUE;
}

/**
 * gst_voice_latency_stats_get_max:
 * @stats: statistics
 * @max: (out): the longest response
 *
 * Returns: %FALSE when there is no measurement
 */
gboolean
gst_voice_latency_stats_get_max (const GstVoiceLatencyStats * stats,
    gdouble * max)
{
  g_return_val_if_fail (stats != nullptr && max != nullptr, FALSE);
  const auto & m = stats->measurements;
  if (m.empty ())
    return FALSE;
  *max = *std::max_element (m.begin (), m.end ());
  return TRUE;
}

static void
set_optional (JsonObject * obj, const gchar * member, gboolean has,
    gdouble value)
{
  if (has)
    json_object_set_double_member (obj, member, value);
  else
    json_object_set_null_member (obj, member);
}

/**
 * gst_voice_latency_stats_to_json:
 * @stats: statistics
 *
 * The manifest's `latency` object: `measurements`, `count`, `avg`, `p50`,
 * `p95`, `min`, `max`, `time_to_first_byte`, `interrupt_response_time`;
 * figures that do not exist are null.
 *
 * Returns: (transfer full): a JSON object node
 */
JsonNode *
gst_voice_latency_stats_to_json (const GstVoiceLatencyStats * stats)
{
  g_return_val_if_fail (stats != nullptr, nullptr);

  JsonObject *obj = json_object_new ();
  JsonArray *arr = json_array_sized_new (stats->measurements.size ());
  for (gdouble m:stats->measurements)
    json_array_add_double_element (arr, m);
  json_object_set_array_member (obj, "measurements", arr);
  json_object_set_int_member (obj, "count", stats->measurements.size ());

  gdouble v = 0.0;
  gboolean has = gst_voice_latency_stats_get_avg (stats, &v);
  set_optional (obj, "avg", has, v);
  has = gst_voice_latency_stats_get_p50 (stats, &v);
  set_optional (obj, "p50", has, v);
  has = gst_voice_latency_stats_get_p95 (stats, &v);
  set_optional (obj, "p95", has, v);
  has = gst_voice_latency_stats_get_min (stats, &v);
  set_optional (obj, "min", has, v);
  has = gst_voice_latency_stats_get_max (stats, &v);
  set_optional (obj, "max", has, v);
  set_optional (obj, "time_to_first_byte", stats->has_ttfb, stats->ttfb);
  set_optional (obj, "interrupt_response_time", stats->has_interrupt,
      stats->interrupt);

  JsonNode *node = json_node_init_object (json_node_alloc (), obj);
  json_object_unref (obj);
  return node;
}
