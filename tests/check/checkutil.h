/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>

#include <string>
#include <vector>

/* What several test programs need alike. */

/* The process's resident memory, in bytes (from /proc/self/statm). */
gsize resident_bytes (void);

/* The bytes that malloc has given out and not got back, in every arena:
 * what a leak grows, where the resident memory also holds what the
 * allocator keeps of freed memory (more threads, more arenas). */
gsize heap_in_use_bytes (void);

/* Interleaved S16LE stereo caps at @rate, left and right positioned: what
 * voicetimeline gives for two speakers. Transfer full. */
GstCaps *stereo_caps_at (gint rate);

/* A pad query function that answers LATENCY as a source that is not live
 * does (a GstHarness answers as a live one); the rest as by default. */
gboolean not_live_query (GstPad * pad, GstObject * parent, GstQuery * query);

/* A PCM WAV file as wavenc writes it. */
struct Wav
{
  gint rate = 0;
  gint channels = 0;
  std::vector < gint16 > samples;       /* interleaved */
};

/* Pops every warning message on @bus and counts them, or only those of
 * @domain and @code when @domain is not 0; each is logged. */
guint count_warnings (GstBus * bus, GQuark domain = 0, gint code = 0);

/* Reads @path into @wav: FALSE unless it is a 16-bit PCM WAV file whose
 * header gives its sizes exactly. */
bool read_wav (const std::string & path, Wav & wav);

/* Waits for @pipeline, already PLAYING, to reach EOS (an error fails the
 * test), then sets it to NULL and unrefs it. */
void wait_for_eos (GstElement * pipeline);
