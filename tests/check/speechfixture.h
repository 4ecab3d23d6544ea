/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/audio/audio.h>

#include <string>
#include <vector>

/* Mono audio in memory, samples at full scale 1.0. */
struct Signal
{
  gint rate = 16000;
  std::vector < float >samples;

  /* @seconds of digital silence */
  static Signal silence (gint rate, double seconds);
  /* a 16-bit mono WAV from tests/files */
  static Signal load (const std::string & name);

  void append (const Signal & other);
  void append_silence (double seconds);
  gsize size () const { return samples.size (); }
  GstClockTime time_of (gsize sample) const
  {
    return gst_util_uint64_scale_int (sample, GST_SECOND, rate);
  }
};

GstCaps *signal_caps (gint rate, GstAudioFormat format);

/* @signal[@pos, @pos + @n) as one buffer in @format, without timestamps. */
GstBuffer *signal_buffer (const Signal & signal, GstAudioFormat format,
    gsize pos, gsize n);

/* Pushes @signal[@from, @to) as buffers of @chunk samples, timestamped from
 * @base (the time of sample @from). Returns the last flow return. */
GstFlowReturn push_signal (GstHarness * h, const Signal & signal,
    GstAudioFormat format, GstClockTime base, gsize chunk = 320,
    gsize from = 0, gsize to = G_MAXSIZE, bool timestamps = true);
