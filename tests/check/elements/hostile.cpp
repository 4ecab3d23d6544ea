/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Hostile input to the three elements: timestamps missing, going back,
 * jumping ten hours ahead, DISCONT on every buffer, buffers of no sample,
 * one sample and ten seconds; custom events and action-signal arguments
 * with fields missing or of the wrong type, JSON that is invalid or nested
 * a million deep, text that is not UTF-8, a transcript of a megabyte,
 * speaker names that are paths or 10 KB long (also as the sink gets them
 * from upstream). Whatever comes, no crash, memory and output stay small,
 * the manifest parses, and nothing is written outside the recording's
 * directory.
 */
#include <gst/check/gstcheck.h>

#include "checkutil.h"
#include <gst/check/gstharness.h>
#include <gst/audio/audio.h>
#include <gst/voice/voice.h>
#include <json-glib/json-glib.h>
#include "../speechfixture.h"
#include "../systemplugins.h"

#include <cstring>
#include <string>
#include <vector>

#define RATE 16000
#define MS GST_MSECOND
#define HOURS(n) ((GstClockTime) (n) * 3600 * GST_SECOND)

/* @n samples of a square wave of @amplitude (the first @loud of them;
 * all when 0), quiet after them */
static GstBuffer *
mono_buffer (gsize n, GstClockTime pts, gint16 amplitude = 0,
    gsize phase = 0, gsize loud = 0)
{
  GstBuffer *buf = gst_buffer_new_allocate (nullptr, n * 2, nullptr);
  GstMapInfo map;
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (gsize i = 0; i < n; i++)
    GST_WRITE_UINT16_LE (map.data + 2 * i, (guint16) (gint16)
        ((loud && i >= loud ? 30 : amplitude) * ((phase + i) % 16 < 8 ? 1 :
                -1)));
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = GST_CLOCK_TIME_IS_VALID (pts) ?
      gst_util_uint64_scale_int (n, GST_SECOND, RATE) : GST_CLOCK_TIME_NONE;
  return buf;
}

/* the speech events of what the segmenter gave out; its buffers, counted */
struct SegmenterOutput
{
  guint buffers = 0;
  std::vector < GstVoiceSpeech > speech;
  ~SegmenterOutput ()
  {
    for (auto & s:speech)
      gst_voice_speech_clear (&s);
  }
};

static void
drain_segmenter (GstHarness * h, SegmenterOutput & out)
{
  GstBuffer *buf;
  while ((buf = gst_harness_try_pull (h))) {
    out.buffers++;
    gst_buffer_unref (buf);
  }
  GstEvent *ev;
  while ((ev = gst_harness_try_pull_event (h))) {
    GstVoiceSpeech sp;
    if (gst_voice_event_parse_speech (ev, &sp))
      out.speech.push_back (sp);
    gst_event_unref (ev);
  }
}

/* Timestamps missing, going back 5 s, jumping 10 h ahead, then DISCONT
 * on every buffer with jittered times: every buffer goes through, nothing
 * grows with the jump, and every span is sane. */
GST_START_TEST (test_segmenter_hostile_timestamps)
{
  GstHarness *h = gst_harness_new ("voicesegmenter");
  gst_harness_set_src_caps (h, signal_caps (RATE, GST_AUDIO_FORMAT_S16LE));
  gsize rss = resident_bytes ();
  guint pushed = 0;
  GstClockTime t = 0;

  auto push =[&](GstBuffer * buf) {
    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
    pushed++;
  };
  /* quiet, then loud: a span */
  for (guint i = 0; i < 50; i++, t += 10 * MS)
    push (mono_buffer (160, t, 30, i * 160));
  for (guint i = 0; i < 100; i++, t += 10 * MS)
    push (mono_buffer (160, t, 8000, i * 160));
  /* no timestamps */
  for (guint i = 0; i < 20; i++)
    push (mono_buffer (160, GST_CLOCK_TIME_NONE, 8000, i * 160));
  /* 5 s back */
  t -= 5 * GST_SECOND;
  for (guint i = 0; i < 20; i++, t += 10 * MS)
    push (mono_buffer (160, t, 8000, i * 160));
  /* 10 h ahead, speaking */
  t += HOURS (10);
  for (guint i = 0; i < 100; i++, t += 10 * MS)
    push (mono_buffer (160, t, 8000, i * 160));
  /* a storm of discontinuities, 3 ms of jitter either way */
  for (guint i = 0; i < 300; i++, t += 10 * MS) {
    GstBuffer *buf = mono_buffer (160, t + (i % 7) * MS - 3 * MS,
        i % 50 < 25 ? 8000 : 30, i * 160);
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
    push (buf);
  }
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));

  SegmenterOutput out;
  drain_segmenter (h, out);
  fail_unless_equals_int (out.buffers, pushed);
  fail_unless (out.speech.size () >= 2);
  for (const auto & sp:out.speech) {
    if (sp.kind != GST_VOICE_SPEECH_STOP)
      continue;
    fail_unless (sp.end >= sp.start);
    /* no span of ten hours of "speech" */
    fail_unless (sp.end - sp.start < 30 * GST_SECOND,
        "a span of %" GST_TIME_FORMAT, GST_TIME_ARGS (sp.end - sp.start));
  }
  fail_unless (resident_bytes () < rss + 32 * 1024 * 1024);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Buffers of no sample and of one, and one of ten seconds: all go
 * through, and the speech in them is found where it is. */
GST_START_TEST (test_segmenter_buffer_sizes)
{
  GstHarness *h = gst_harness_new ("voicesegmenter");
  gst_harness_set_src_caps (h, signal_caps (RATE, GST_AUDIO_FORMAT_S16LE));
  guint pushed = 0;
  GstClockTime t = 0;
  auto push =[&](GstBuffer * buf) {
    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
    pushed++;
  };

  push (mono_buffer (0, t));
  /* one second of quiet, a sample at a time, empty buffers between */
  for (guint i = 0; i < RATE; i++) {
    push (mono_buffer (1, t, 30, i));
    t += gst_util_uint64_scale_int (1, GST_SECOND, RATE);
    if (i % 1000 == 0)
      push (mono_buffer (0, t));
  }
  t = GST_SECOND;
  /* three seconds of speech in a buffer of ten, then ten of quiet */
  push (mono_buffer (10 * RATE, t, 8000, 0, 3 * RATE));
  push (mono_buffer (10 * RATE, t + 10 * GST_SECOND, 30));
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));

  SegmenterOutput out;
  drain_segmenter (h, out);
  fail_unless_equals_int (out.buffers, pushed);
  guint stops = 0;
  for (const auto & sp:out.speech) {
    if (sp.kind != GST_VOICE_SPEECH_STOP)
      continue;
    stops++;
    /* the speech is the start of the ten-second buffer, to its frames */
    fail_unless (sp.start >= GST_SECOND - 100 * MS && sp.start <= GST_SECOND
        + 10 * MS, "start %" GST_TIME_FORMAT, GST_TIME_ARGS (sp.start));
    fail_unless (sp.end >= 4 * GST_SECOND - 10 * MS
        && sp.end <= 4 * GST_SECOND + 10 * MS, "end %" GST_TIME_FORMAT,
        GST_TIME_ARGS (sp.end));
  }
  fail_unless_equals_int (stops, 1);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* what the timeline gave out: its audio, counted, and its structures */
struct TimelineOutput
{
  GstClockTime duration = 0;
  std::vector < GstStructure * >items;
  ~TimelineOutput ()
  {
    for (auto s:items)
      gst_structure_free (s);
  }
};

static GstPadProbeReturn
count_output (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  TimelineOutput *out = (TimelineOutput *) user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  out->duration += GST_BUFFER_DURATION (buf);
  /* counted, not kept: a regression would be hours of them */
  return GST_PAD_PROBE_DROP;
}

static void
drain_timeline (GstHarness * h, TimelineOutput & out)
{
  GstEvent *ev;
  while ((ev = gst_harness_try_pull_event (h))) {
    const GstStructure *s = gst_event_get_structure (ev);
    if (GST_EVENT_TYPE (ev) == GST_EVENT_CUSTOM_DOWNSTREAM && s)
      out.items.push_back (gst_structure_copy (s));
    gst_event_unref (ev);
  }
}

/* One of two speakers' streams jumps ten hours ahead: the timeline does
 * not give out ten hours of silence; that stream goes on where it was,
 * with a warning, and its speech with it. */
GST_START_TEST (test_timeline_jump_10h)
{
  GstElement *tl = gst_element_factory_make ("voicetimeline", nullptr);
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (tl, bus);
  GstPad *p0 = gst_element_request_pad_simple (tl, "sink_%u");
  GstPad *p1 = gst_element_request_pad_simple (tl, "sink_%u");
  GstHarness *h0 = gst_harness_new_with_element (tl, "sink_0", "src");
  GstHarness *h1 = gst_harness_new_with_element (tl, "sink_1", nullptr);
  TimelineOutput out;
  GstPad *src = gst_element_get_static_pad (tl, "src");
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, count_output, &out,
      nullptr);
  gst_object_unref (src);
  gsize rss = resident_bytes ();

  gst_harness_set_src_caps (h0, signal_caps (RATE, GST_AUDIO_FORMAT_S16LE));
  gst_harness_set_src_caps (h1, signal_caps (RATE, GST_AUDIO_FORMAT_S16LE));
  fail_unless (gst_harness_push_event (h0,
          gst_voice_event_new_speaker ("alice", GST_VOICE_ROLE_USER)));
  fail_unless (gst_harness_push_event (h1,
          gst_voice_event_new_speaker ("bot", GST_VOICE_ROLE_AGENT)));
  GstVoiceSpeech sp;
  gst_voice_speech_init (&sp);
  sp.speaker = (gchar *) "alice";
  for (guint i = 0; i < 300; i++) {
    /* alice's clock jumps ten hours after 1.5 s; she speaks from 2 s */
    GstClockTime t = i * 10 * MS + (i >= 150 ? HOURS (10) : 0);
    if (i == 200) {
      sp.kind = GST_VOICE_SPEECH_START;
      sp.start = sp.start_running_time = t;
      fail_unless (gst_harness_push_event (h0,
              gst_voice_event_new_speech (&sp)));
    }
    fail_unless_equals_int (gst_harness_push (h0, mono_buffer (160, t,
                i >= 200 ? 8000 : 0)), GST_FLOW_OK);
    fail_unless_equals_int (gst_harness_push (h1, mono_buffer (160,
                i * 10 * MS)), GST_FLOW_OK);
  }
  sp.kind = GST_VOICE_SPEECH_STOP;
  sp.end = sp.end_running_time = HOURS (10) + 2500 * MS;
  fail_unless (gst_harness_push_event (h0, gst_voice_event_new_speech (&sp)));
  fail_unless (gst_harness_push_event (h0, gst_event_new_eos ()));
  fail_unless (gst_harness_push_event (h1, gst_event_new_eos ()));
  /* the EOS has gone through: everything before it too */
  GstEvent *ev;
  while ((ev = gst_harness_pull_event (h0))) {
    const GstStructure *s = gst_event_get_structure (ev);
    if (GST_EVENT_TYPE (ev) == GST_EVENT_CUSTOM_DOWNSTREAM && s)
      out.items.push_back (gst_structure_copy (s));
    bool eos = GST_EVENT_TYPE (ev) == GST_EVENT_EOS;
    gst_event_unref (ev);
    if (eos)
      break;
  }

  fail_unless (out.duration <= 3 * GST_SECOND + 10 * MS,
      "%" GST_TIME_FORMAT " of output for 3 s of audio",
      GST_TIME_ARGS (out.duration));
  fail_unless (resident_bytes () < rss + 32 * 1024 * 1024);
  fail_unless (count_warnings (bus) >= 1);
  /* her span moved with her stream: 2 s to 3 s of the conversation */
  guint segments = 0;
  for (auto s:out.items) {
    GstVoiceSegment seg;
    if (!gst_voice_segment_from_structure (s, &seg))
      continue;
    segments++;
    fail_unless_equals_string (seg.speaker, "alice");
    fail_unless (seg.start_time >= 1.99 && seg.start_time <= 2.01, "%f",
        seg.start_time);
    fail_unless (seg.end_time >= 2.49 && seg.end_time <= 2.51, "%f",
        seg.end_time);
    gst_voice_segment_clear (&seg);
  }
  fail_unless_equals_int (segments, 1);

  gst_harness_teardown (h1);
  gst_harness_teardown (h0);
  gst_object_unref (p0);
  gst_object_unref (p1);
  gst_element_set_bus (tl, nullptr);
  gst_object_unref (bus);
  gst_object_unref (tl);
}

GST_END_TEST;

/* where the loud samples of the timeline's first channel came out */
struct LoudSpan
{
  guint64 frames = 0;
  guint64 first = G_MAXUINT64, last = 0;
  gint channels = 0;
};

static GstPadProbeReturn
find_loud (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  LoudSpan *span = (LoudSpan *) user_data;
  if (!span->channels) {
    GstCaps *caps = gst_pad_get_current_caps (pad);
    GstAudioInfo ai;
    fail_unless (gst_audio_info_from_caps (&ai, caps));
    fail_unless_equals_int (GST_AUDIO_INFO_FORMAT (&ai),
        GST_AUDIO_FORMAT_S16LE);
    span->channels = GST_AUDIO_INFO_CHANNELS (&ai);
    gst_caps_unref (caps);
  }
  GstMapInfo map;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  gst_buffer_map (buf, &map, GST_MAP_READ);
  gsize n = map.size / 2 / span->channels;
  const gint16 *samples = (const gint16 *) map.data;
  for (gsize i = 0; i < n; i++)
    if (ABS (samples[i * span->channels]) > 4000) {
      span->first = MIN (span->first, span->frames + i);
      span->last = span->frames + i;
    }
  span->frames += n;
  gst_buffer_unmap (buf, &map);
  return GST_PAD_PROBE_DROP;
}

/* One speaker's stream is every kind of broken at once: buffers of no
 * sample and of one sample, buffers without timestamps, a DISCONT on
 * every buffer with jittered times, a step half a second back, then ten
 * seconds in one buffer; the other speaker's is plain. The conversation
 * is as long as the audio, and her speech lands in her channel and in her
 * segment at its time. */
GST_START_TEST (test_timeline_hostile_buffers)
{
  GstElement *tl = gst_element_factory_make ("voicetimeline", nullptr);
  GstPad *p0 = gst_element_request_pad_simple (tl, "sink_%u");
  GstPad *p1 = gst_element_request_pad_simple (tl, "sink_%u");
  GstHarness *h0 = gst_harness_new_with_element (tl, "sink_0", "src");
  GstHarness *h1 = gst_harness_new_with_element (tl, "sink_1", nullptr);
  LoudSpan span;
  GstPad *src = gst_element_get_static_pad (tl, "src");
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, find_loud, &span,
      nullptr);
  gst_object_unref (src);
  gst_harness_set_src_caps (h0, signal_caps (RATE, GST_AUDIO_FORMAT_S16LE));
  gst_harness_set_src_caps (h1, signal_caps (RATE, GST_AUDIO_FORMAT_S16LE));
  fail_unless (gst_harness_push_event (h0,
          gst_voice_event_new_speaker ("alice", GST_VOICE_ROLE_USER)));
  fail_unless (gst_harness_push_event (h1,
          gst_voice_event_new_speaker ("bot", GST_VOICE_ROLE_AGENT)));

  /* the aggregator waits for both streams: each is pushed by a thread */
  GThread *bot = g_thread_new ("bot", [](gpointer data) -> gpointer {
        GstHarness *h = (GstHarness *) data;
        for (guint i = 0; i < 1300; i++)
          fail_unless_equals_int (gst_harness_push (h, mono_buffer (160,
                      i * 10 * MS)), GST_FLOW_OK);
        fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
        return nullptr;
      }, h1);
  auto push =[&](GstBuffer * buf) {
    fail_unless_equals_int (gst_harness_push (h0, buf), GST_FLOW_OK);
  };
  const GstClockTime sample = gst_util_uint64_scale_int (1, GST_SECOND, RATE);
  /* 0-1 s: a sample at a time, an empty buffer every 1000 */
  for (guint i = 0; i < RATE; i++) {
    if (i % 1000 == 0)
      push (mono_buffer (0, i * sample));
    push (mono_buffer (1, i * sample, 30, i));
  }
  /* 1-2 s: no timestamps */
  for (guint i = 0; i < 100; i++)
    push (mono_buffer (160, GST_CLOCK_TIME_NONE, 30, i * 160));
  /* 2-3 s: DISCONT on every buffer, 3 ms of jitter either way, and from
   * 2.5 s the last half second again */
  for (guint i = 0; i < 150; i++) {
    GstClockTime t = (200 + (i < 100 ? i : i - 50)) * 10 * MS;
    GstBuffer *buf = mono_buffer (160, t + (i % 7) * MS - 3 * MS, 30,
        i * 160);
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
    push (buf);
  }
  /* 3-13 s in one buffer, loud from 4 s to 7 s */
  GstVoiceSpeech sp;
  gst_voice_speech_init (&sp);
  sp.speaker = (gchar *) "alice";
  sp.kind = GST_VOICE_SPEECH_START;
  sp.start = sp.start_running_time = 4 * GST_SECOND;
  fail_unless (gst_harness_push_event (h0, gst_voice_event_new_speech (&sp)));
  GstBuffer *ten = mono_buffer (10 * RATE, 3 * GST_SECOND, 8000, 0,
      4 * RATE);
  GstMapInfo map;
  gst_buffer_map (ten, &map, GST_MAP_WRITE);
  memset (map.data, 0, RATE * 2);
  gst_buffer_unmap (ten, &map);
  push (ten);
  sp.kind = GST_VOICE_SPEECH_STOP;
  sp.end = sp.end_running_time = 7 * GST_SECOND;
  fail_unless (gst_harness_push_event (h0, gst_voice_event_new_speech (&sp)));
  fail_unless (gst_harness_push_event (h0, gst_event_new_eos ()));
  g_thread_join (bot);

  TimelineOutput out;
  GstEvent *ev;
  while ((ev = gst_harness_pull_event (h0))) {
    const GstStructure *s = gst_event_get_structure (ev);
    if (GST_EVENT_TYPE (ev) == GST_EVENT_CUSTOM_DOWNSTREAM && s)
      out.items.push_back (gst_structure_copy (s));
    bool eos = GST_EVENT_TYPE (ev) == GST_EVENT_EOS;
    gst_event_unref (ev);
    if (eos)
      break;
  }
  /* 13 s of conversation; her three seconds of speech whole, to the
   * sample, at 4 s. (The stream resynced to the jittered time of the
   * buffer after its step back, 1 ms early, and then ran on without a
   * gap: a later timestamp within the alignment threshold of where the
   * stream is does not move it, as in GStreamer's mixers.) */
  fail_unless_equals_uint64 (span.frames, 13 * RATE);
  fail_unless_equals_uint64 (span.last - span.first + 1, 3 * RATE);
  fail_unless (span.first <= 4 * RATE && span.first >= 4 * RATE - RATE / 50,
      "first loud frame %" G_GUINT64_FORMAT, span.first);
  guint segments = 0;
  for (auto s:out.items) {
    GstVoiceSegment seg;
    if (!gst_voice_segment_from_structure (s, &seg))
      continue;
    segments++;
    fail_unless_equals_string (seg.speaker, "alice");
    fail_unless_equals_float (seg.start_time, 4.0);
    fail_unless_equals_float (seg.end_time, 7.0);
    gst_voice_segment_clear (&seg);
  }
  fail_unless_equals_int (segments, 1);

  gst_harness_teardown (h1);
  gst_harness_teardown (h0);
  gst_object_unref (p0);
  gst_object_unref (p1);
  gst_object_unref (tl);
}

GST_END_TEST;

/* Events and action-signal arguments with fields missing or mistyped,
 * JSON that is invalid or too deep, text that is not UTF-8, a transcript
 * of a megabyte, speaker names that are paths or 10 KB long: refused with
 * a warning or made safe, and all that comes out is valid. */
GST_START_TEST (test_timeline_hostile_events)
{
  GstElement *tl = gst_element_factory_make ("voicetimeline", nullptr);
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (tl, bus);
  GstPad *p0 = gst_element_request_pad_simple (tl, "sink_%u");
  GstHarness *h = gst_harness_new_with_element (tl, "sink_0", "src");
  gst_harness_set_src_caps (h, signal_caps (RATE, GST_AUDIO_FORMAT_S16LE));
  std::string long_name (10 * 1024, 'a');
  std::string deep = std::string (1000000, '[') + std::string (1000000, ']');
  std::string megabyte (1024 * 1024, 'x');

  /* a voice-speaker event whose name is a path, or 10 KB, is refused */
  for (const gchar * name:{"../x", "/etc", long_name.c_str ()}) {
    GstStructure *s = gst_structure_new ("voice-speaker", "name",
        G_TYPE_STRING, name, "role", G_TYPE_STRING, "user", nullptr);
    gst_harness_push_event (h, gst_event_new_custom
        (GST_EVENT_CUSTOM_DOWNSTREAM, s));
  }
  GstClockTime t = 0;
  for (guint i = 0; i < 10; i++, t += 10 * MS)
    fail_unless_equals_int (gst_harness_push (h, mono_buffer (160, t)),
        GST_FLOW_OK);

  const gchar *bad_events[] = {
    "voice-timeline-event",
    "voice-timeline-event, type=(int)3",
    "voice-timeline-event, type=(string)tool_call, time=(string)now",
    "voice-timeline-event, type=(string)tool_call, args=(string)\"{oops\"",
    "voice-timeline-event, type=(string)tool_call, args=(string)\"[1]\"",
    "voice-timeline-event, type=(string)tool_call, metadata=(string)\"7\"",
    "voice-timeline-event, type=(string)user_interrupt",
    "voice-timeline-event, type=(string)tool_result, result=(int)4",
    "voice-timeline-event, type=(string)tool_call, running-time=(string)x",
    "voice-transcript",
    "voice-transcript, text=(int)5",
    "voice-transcript, text=(string)hello, idx=(string)one",
    "voice-transcript, text=(string)hello, running-time=(double)-1",
    "voice-speech-start, speaker=(int)1",
    "voice-speech-stop, speaker=(string)../x, role=(string)user, "
        "start=(guint64)0, start-running-time=(guint64)0",
    "voice-speech-start, speaker=(string)alice, role=(string)boss",
  };
  for (const gchar * desc:bad_events) {
    GstStructure *s = gst_structure_from_string (desc, nullptr);
    fail_unless (s != nullptr, "%s", desc);
    gst_harness_push_event (h, gst_event_new_custom
        (GST_EVENT_CUSTOM_DOWNSTREAM, s));
  }
  /* text that is not UTF-8, JSON a million deep, a megabyte */
  GstStructure *s = gst_structure_new ("voice-timeline-event", "type",
      G_TYPE_STRING, "tool_call", "args", G_TYPE_STRING, deep.c_str (),
      nullptr);
  gst_harness_push_event (h, gst_event_new_custom
      (GST_EVENT_CUSTOM_DOWNSTREAM, s));

  gboolean ok;
  g_signal_emit_by_name (tl, "tool-call", "lookup", "{oops", "c1",
      GST_CLOCK_TIME_NONE, &ok);
  fail_if (ok);
  g_signal_emit_by_name (tl, "tool-call", "lookup", deep.c_str (), "c1",
      GST_CLOCK_TIME_NONE, &ok);
  fail_if (ok);
  g_signal_emit_by_name (tl, "tool-call", "look\xff", "{}", "c1",
      GST_CLOCK_TIME_NONE, &ok);
  fail_if (ok);
  g_signal_emit_by_name (tl, "tool-result", nullptr, nullptr, nullptr,
      GST_CLOCK_TIME_NONE, &ok);
  g_signal_emit_by_name (tl, "tool-call", "lookup", "{\"q\": \"caf\xc3\xa9\"}",
      "c\xfe", GST_CLOCK_TIME_NONE, &ok);
  g_signal_emit_by_name (tl, "set-transcript", "../x", -1, "hi",
      GST_CLOCK_TIME_NONE, &ok);
  fail_if (ok);
  g_signal_emit_by_name (tl, "set-transcript", long_name.c_str (), -1, "hi",
      GST_CLOCK_TIME_NONE, &ok);
  fail_if (ok);
  g_signal_emit_by_name (tl, "set-transcript", "alice", -1, nullptr,
      GST_CLOCK_TIME_NONE, &ok);
  fail_if (ok);
  /* an index is a segment's or -1 */
  g_signal_emit_by_name (tl, "set-transcript", "alice", -5, "hi",
      GST_CLOCK_TIME_NONE, &ok);
  fail_if (ok);

  /* alice speaks; her segment gets text that is not UTF-8, and a
   * megabyte */
  GstVoiceSpeech sp;
  gst_voice_speech_init (&sp);
  sp.speaker = (gchar *) "sink_0";
  sp.kind = GST_VOICE_SPEECH_START;
  sp.start = sp.start_running_time = t;
  fail_unless (gst_harness_push_event (h, gst_voice_event_new_speech (&sp)));
  for (guint i = 0; i < 50; i++, t += 10 * MS)
    fail_unless_equals_int (gst_harness_push (h, mono_buffer (160, t, 8000)),
        GST_FLOW_OK);
  sp.kind = GST_VOICE_SPEECH_STOP;
  sp.end = sp.end_running_time = t;
  fail_unless (gst_harness_push_event (h, gst_voice_event_new_speech (&sp)));
  /* (GStreamer sets no string that is not UTF-8 on a structure: such text
   * only comes by the action signal) */
  g_signal_emit_by_name (tl, "set-transcript", "sink_0", 0,
      "bad \xff\xfe utf-8", GST_CLOCK_TIME_NONE, &ok);
  fail_unless (ok);
  g_signal_emit_by_name (tl, "set-transcript", "sink_0", 0,
      megabyte.c_str (), GST_CLOCK_TIME_NONE, &ok);
  for (guint i = 0; i < 300; i++, t += 10 * MS)
    fail_unless_equals_int (gst_harness_push (h, mono_buffer (160, t)),
        GST_FLOW_OK);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));

  TimelineOutput out;
  drain_timeline (h, out);
  /* every refusal was said */
  fail_unless (count_warnings (bus) >= G_N_ELEMENTS (bad_events) + 7,
      "too few warnings");

  /* what came out is what the library reads, and its text is UTF-8 */
  guint segments = 0, tool_calls = 0;
  for (auto item:out.items) {
    GstVoiceSegment seg;
    GstVoiceTimelineEvent ev;
    if (gst_voice_segment_from_structure (item, &seg)) {
      segments++;
      fail_unless_equals_string (seg.speaker, "sink_0");
      if (seg.transcript) {
        fail_unless (g_utf8_validate (seg.transcript, -1, nullptr));
        /* kept within bounds: the megabyte is cut, with a warning */
        fail_unless (strlen (seg.transcript) <= 64 * 1024 + 64);
      }
      gst_voice_segment_clear (&seg);
    } else if (gst_voice_timeline_event_from_structure (item, &ev)) {
      if (ev.type == GST_VOICE_EVENT_TOOL_CALL)
        tool_calls++;
      gst_voice_timeline_event_clear (&ev);
    }
  }
  fail_unless (segments >= 1);
  /* only the valid call (its call id that is not UTF-8 left out) */
  fail_unless_equals_int (tool_calls, 1);

  gst_harness_teardown (h);
  gst_object_unref (p0);
  gst_element_set_bus (tl, nullptr);
  gst_object_unref (bus);
  gst_object_unref (tl);
}

GST_END_TEST;

/* A voicetimeline with a bus, an audio leg (sink_0) and a text pad, each
 * fed by a harness; a settle-time of 800 ms, which a text pad without EOS
 * holds the end of the call back by. */
struct TimelineWithText
{
  GstElement *tl;
  GstBus *bus;
  GstPad *audio_pad;
  GstPad *text_pad;
  GstHarness *h;
  GstHarness *th;

  TimelineWithText () {
    tl = gst_element_factory_make ("voicetimeline", nullptr);
    g_object_set (tl, "settle-time", (guint64) (800 * MS), nullptr);
    bus = gst_bus_new ();
    gst_element_set_bus (tl, bus);
    audio_pad = gst_element_request_pad_simple (tl, "sink_%u");
    text_pad = gst_element_request_pad_simple (tl, "text_%u");
    h = gst_harness_new_with_element (tl, "sink_0", "src");
    th = gst_harness_new_with_element (tl, GST_PAD_NAME (text_pad), nullptr);
    gst_harness_set_src_caps (h, signal_caps (RATE, GST_AUDIO_FORMAT_S16LE));
    gst_harness_set_src_caps_str (th, "text/x-raw, format=utf8");
  }
  ~TimelineWithText () {
    gst_harness_teardown (th);
    gst_harness_teardown (h);
    gst_object_unref (text_pad);
    gst_object_unref (audio_pad);
    gst_element_set_bus (tl, nullptr);
    gst_object_unref (bus);
    gst_object_unref (tl);
  }
};

/* The application's events after the call ended (EOS) would never be
 * taken: they are refused, with a warning, and the application is told;
 * so is timed text that a text pad without EOS gives after the end. A
 * flushing seek, or a new start, takes them again. */
GST_START_TEST (test_timeline_app_events_after_the_end)
{
  TimelineWithText call;
  GstElement *tl = call.tl;
  GstBus *bus = call.bus;
  GstHarness *h = call.h, *th = call.th;
  GstClockTime t = 0;
  for (guint i = 0; i < 10; i++, t += 10 * MS)
    fail_unless_equals_int (gst_harness_push (h, mono_buffer (160, t)),
        GST_FLOW_OK);
  gboolean ok = FALSE;
  g_signal_emit_by_name (tl, "tool-call", "lookup", "{}", "c1",
      (guint64) (50 * MS), &ok);
  fail_unless (ok);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));

  /* the call's events, up to its EOS */
  guint tool_calls = 0;
  for (bool eos = false; !eos;) {
    GstEvent *ev = gst_harness_pull_event (h);
    fail_unless (ev != nullptr, "no EOS");
    eos = GST_EVENT_TYPE (ev) == GST_EVENT_EOS;
    GstVoiceTimelineEvent te;
    if (GST_EVENT_TYPE (ev) == GST_EVENT_CUSTOM_DOWNSTREAM
        && gst_voice_timeline_event_from_structure (gst_event_get_structure
            (ev), &te)) {
      tool_calls += te.type == GST_VOICE_EVENT_TOOL_CALL;
      gst_voice_timeline_event_clear (&te);
    }
    gst_event_unref (ev);
  }
  fail_unless_equals_int (tool_calls, 1);
  count_warnings (bus);

  g_signal_emit_by_name (tl, "tool-call", "lookup", "{}", "c2",
      GST_CLOCK_TIME_NONE, &ok);
  fail_if (ok);
  g_signal_emit_by_name (tl, "tool-result", "lookup", "42", "c1",
      (guint64) (60 * MS), &ok);
  fail_if (ok);
  g_signal_emit_by_name (tl, "set-transcript", "sink_0", -1, "hi",
      GST_CLOCK_TIME_NONE, &ok);
  fail_if (ok);
  /* timed text that goes on after the end: told once */
  for (guint i = 0; i < 3; i++) {
    GstBuffer *cue = gst_buffer_new_memdup ("late", 4);
    GST_BUFFER_PTS (cue) = (20 + 10 * i) * MS;
    GST_BUFFER_DURATION (cue) = 10 * MS;
    gst_harness_push (th, cue);
  }
  fail_unless_equals_int (count_warnings (bus, GST_STREAM_ERROR,
          GST_STREAM_ERROR_FORMAT), 4);

  /* a flushing seek: the call goes on from where it seeks to */
  GstEvent *seek = gst_event_new_seek (1.0, GST_FORMAT_TIME,
      GST_SEEK_FLAG_FLUSH, GST_SEEK_TYPE_SET, 0, GST_SEEK_TYPE_NONE, -1);
  guint32 seqnum = gst_event_get_seqnum (seek);
  fail_unless (gst_harness_push_upstream_event (h, seek));
  for (GstHarness * leg: {h, th}) {
    GstEvent *flush = gst_event_new_flush_start ();
    gst_event_set_seqnum (flush, seqnum);
    fail_unless (gst_harness_push_event (leg, flush));
  }
  for (GstHarness * leg: {h, th}) {
    GstEvent *flush = gst_event_new_flush_stop (TRUE);
    gst_event_set_seqnum (flush, seqnum);
    fail_unless (gst_harness_push_event (leg, flush));
  }
  g_signal_emit_by_name (tl, "tool-call", "lookup", "{}", "c3",
      GST_CLOCK_TIME_NONE, &ok);
  fail_unless (ok);

  /* a new call */
  fail_unless_equals_int (gst_element_set_state (tl, GST_STATE_READY),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (gst_element_set_state (tl, GST_STATE_PLAYING),
      GST_STATE_CHANGE_SUCCESS);
  g_signal_emit_by_name (tl, "tool-call", "lookup", "{}", "c4",
      GST_CLOCK_TIME_NONE, &ok);
  fail_unless (ok);

}

GST_END_TEST;

/* Timed text of a call that ends before any audio came has no segment to
 * go to: it is dropped with a warning that says so, not kept for the next
 * call. */
GST_START_TEST (test_timeline_text_of_a_call_without_audio)
{
  TimelineWithText call;
  GstBus *bus = call.bus;
  GstHarness *h = call.h, *th = call.th;

  for (guint i = 0; i < 2; i++) {
    GstBuffer *cue = gst_buffer_new_memdup ("hello", 5);
    GST_BUFFER_PTS (cue) = i * 100 * MS;
    GST_BUFFER_DURATION (cue) = 100 * MS;
    fail_unless_equals_int (gst_harness_push (th, cue), GST_FLOW_OK);
  }
  fail_unless (gst_harness_push_event (th, gst_event_new_eos ()));
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  GstEvent *ev;
  while ((ev = gst_harness_pull_event (h))
      && GST_EVENT_TYPE (ev) != GST_EVENT_EOS)
    gst_event_unref (ev);
  fail_unless (ev != nullptr, "no EOS");
  gst_event_unref (ev);

  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != nullptr, "no warning");
  GError *err = nullptr;
  gst_message_parse_warning (msg, &err, nullptr);
  fail_unless (strstr (err->message, "2 timed text cues dropped") != nullptr,
      "%s", err->message);
  g_error_free (err);
  gst_message_unref (msg);

}

GST_END_TEST;

static void
push_custom (GstHarness * h, GstStructure * s)
{
  gst_harness_push_event (h, gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM,
          s));
}

/* a voicemanifestsink into @location that writes its manifest at every
 * change */
static GstElement *
new_recorder (const std::string & location)
{
  GstElement *sink = gst_element_factory_make ("voicemanifestsink", nullptr);
  g_object_set (sink, "location", location.c_str (), "manifest-interval",
      (guint64) 0, nullptr);
  return sink;
}

/* removes the temporary directory @top, and frees its name */
static void
remove_tree (gchar * top)
{
  gchar *cmd = g_strdup_printf ("rm -rf '%s'", top);
  fail_unless_equals_int (system (cmd), 0);
  g_free (cmd);
  g_free (top);
}

/* every path under @dir, relative to it */
static void
list_tree (const std::string & dir, const std::string & prefix,
    std::vector < std::string > &out)
{
  GDir *d = g_dir_open (dir.c_str (), 0, nullptr);
  const gchar *name;
  while (d && (name = g_dir_read_name (d))) {
    std::string rel = prefix + name;
    out.push_back (rel);
    std::string path = dir + "/" + name;
    if (g_file_test (path.c_str (), G_FILE_TEST_IS_DIR)
        && !g_file_test (path.c_str (), G_FILE_TEST_IS_SYMLINK))
      list_tree (path, rel + "/", out);
  }
  if (d)
    g_dir_close (d);
}

/* The sink given what a hostile or broken upstream could send: channels
 * and segments of speakers named as paths or 10 KB long, speaking events
 * for them, metadata that is not JSON or a million deep, a transcript of
 * a megabyte. The manifest parses, and nothing is written anywhere but
 * manifest.json, full.wav and segments/NN-role-Nms.wav under location. */
GST_START_TEST (test_sink_hostile_names_and_text)
{
  gchar *top = g_dir_make_tmp ("voice-hostile-XXXXXX", nullptr);
  std::string location = std::string (top) + "/call";
  GstElement *sink = new_recorder (location);
  GstHarness *h = gst_harness_new_with_element (sink, "sink", nullptr);
  gst_harness_set_src_caps (h, stereo_caps_at (RATE));
  std::string long_name (10 * 1024, 'a');
  std::string deep = std::string (1000000, '{') + std::string (1000000, '}');
  std::string megabyte (1024 * 1024, 'x');

  for (const gchar * name:{"../x", "/etc", "../../tmp/x", long_name.c_str (),
          "alice"}) {
    GstStructure *ch = gst_voice_channel_structure_new (0, "alice",
        GST_VOICE_ROLE_USER);
    gst_structure_set (ch, "name", G_TYPE_STRING, name, nullptr);
    push_custom (h, ch);
  }
  push_custom (h, gst_voice_channel_structure_new (1, "bot",
          GST_VOICE_ROLE_AGENT));
  for (guint i = 0; i < 300; i++) {
    GstBuffer *buf = gst_buffer_new_allocate (nullptr, 160 * 4, nullptr);
    gst_buffer_memset (buf, 0, i % 3, 160 * 4);
    GST_BUFFER_PTS (buf) = i * 10 * MS;
    GST_BUFFER_DURATION (buf) = 10 * MS;
    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
    if (i == 100) {
      /* speaking events for speakers no channel carries, or with
       * metadata that is no JSON object */
      for (const gchar * meta:{"{\"speaker\": \"../x\"}",
              "{\"speaker\": \"/etc/passwd\"}", "{\"speaker\": 7}", "[1]",
              "{not json", deep.c_str (), "{\"speaker\": \"alice\"}"}) {
        GstVoiceTimelineEvent ev;
        gst_voice_timeline_event_init (&ev,
            GST_VOICE_EVENT_USER_START_SPEAKING, 0.2);
        GstStructure *s = gst_voice_timeline_event_to_structure (&ev);
        gst_structure_set (s, "metadata", G_TYPE_STRING, meta, nullptr);
        push_custom (h, s);
      }
    } else if (i == 200) {
      for (const gchar * who:{"../x", "/etc", long_name.c_str (), "alice"}) {
        GstVoiceSegment seg;
        gst_voice_segment_init (&seg);
        seg.speaker = (gchar *) "alice";
        seg.start_time = 0.2;
        seg.end_time = 1.0;
        seg.transcript = (gchar *) megabyte.c_str ();
        GstStructure *s = gst_voice_segment_to_structure (&seg);
        gst_structure_set (s, "speaker", G_TYPE_STRING, who, nullptr);
        push_custom (h, s);
      }
    }
  }
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  gst_harness_teardown (h);
  gst_object_unref (sink);

  JsonParser *parser = json_parser_new ();
  fail_unless (json_parser_load_from_file (parser,
          (location + "/manifest.json").c_str (), nullptr));
  JsonObject *m = json_node_get_object (json_parser_get_root (parser));
  JsonArray *segs = json_object_get_array_member (m, "segments");
  fail_unless_equals_int (json_array_get_length (segs), 1);
  JsonObject *seg = json_array_get_object_element (segs, 0);
  fail_unless_equals_string (json_object_get_string_member (seg, "speaker"),
      "alice");
  g_object_unref (parser);

  std::vector < std::string > paths;
  list_tree (top, "", paths);
  GRegex *allowed = g_regex_new ("^call(/manifest\\.json|/full\\.wav|"
      "/segments|/segments/[0-9]{2,}-(user|agent)-[0-9]+ms\\.wav)?$",
      (GRegexCompileFlags) 0, (GRegexMatchFlags) 0, nullptr);
  for (const auto & p:paths)
    fail_unless (g_regex_match (allowed, p.c_str (), (GRegexMatchFlags) 0,
            nullptr), "%s written", p.c_str ());
  g_regex_unref (allowed);
  fail_unless (g_file_test ((location + "/segments/00-user-0200ms.wav").c_str (),
          G_FILE_TEST_EXISTS));

  remove_tree (top);
}

GST_END_TEST;

/* The sink given its events with fields missing or of the wrong type:
 * each is refused or its bad field left out, with a warning for each, and
 * the manifest keeps what was valid. */
GST_START_TEST (test_sink_malformed_events)
{
  gchar *top = g_dir_make_tmp ("voice-malformed-XXXXXX", nullptr);
  std::string location = std::string (top) + "/call";
  GstElement *sink = new_recorder (location);
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (sink, bus);
  GstHarness *h = gst_harness_new_with_element (sink, "sink", nullptr);
  gst_harness_set_src_caps (h, stereo_caps_at (RATE));

  push_custom (h, gst_structure_from_string ("voice-conversation-start, "
          "started-at=(string)2026-11-26T10:00:00Z", nullptr));
  push_custom (h, gst_voice_channel_structure_new (0, "alice",
          GST_VOICE_ROLE_USER));
  push_custom (h, gst_voice_channel_structure_new (1, "bot",
          GST_VOICE_ROLE_AGENT));
  const gchar *bad[] = {
    "voice-channel",
    "voice-channel, channel=(string)one, name=(string)carol, role=(string)user",
    "voice-channel, channel=(uint)0, name=(string)carol, role=(string)boss",
    "voice-channel, channel=(uint)0, name=(string)../x, role=(string)user",
    "voice-channel, channel=(uint)1, name=(string)bot, role=(string)agent, "
        "padding=(string)lots",
    "voice-conversation-start, started-at=(int)5",
    "voice-conversation-start, started-at=(string)yesterday",
    "voice-conversation-start, settle-time=(string)long",
    "voice-latency-summary, time-to-first-byte=(string)fast",
    "voice-latency-summary, interrupt-response-time=(int)1",
    "voice-segment, idx=(string)x",
    "voice-timeline-event, type=(int)3",
  };
  for (const gchar * desc:bad) {
    GstStructure *st = gst_structure_from_string (desc, nullptr);
    fail_unless (st != nullptr, "%s", desc);
    push_custom (h, st);
  }
  for (guint i = 0; i < 100; i++) {
    GstBuffer *buf = gst_buffer_new_allocate (nullptr, 160 * 4, nullptr);
    gst_buffer_memset (buf, 0, 1, 160 * 4);
    GST_BUFFER_PTS (buf) = i * 10 * MS;
    GST_BUFFER_DURATION (buf) = 10 * MS;
    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  }
  GstVoiceSegment seg;
  gst_voice_segment_init (&seg);
  seg.speaker = (gchar *) "alice";
  seg.start_time = 0.2;
  seg.end_time = 0.5;
  push_custom (h, gst_voice_segment_to_structure (&seg));
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  /* one warning for each, no more: the valid events gave none */
  fail_unless_equals_int (count_warnings (bus), G_N_ELEMENTS (bad));
  gst_harness_teardown (h);
  gst_element_set_bus (sink, nullptr);
  gst_object_unref (bus);
  gst_object_unref (sink);

  JsonParser *parser = json_parser_new ();
  fail_unless (json_parser_load_from_file (parser,
          (location + "/manifest.json").c_str (), nullptr));
  JsonObject *m = json_node_get_object (json_parser_get_root (parser));
  fail_unless_equals_string (json_object_get_string_member (m, "started_at"),
      "2026-11-26T10:00:00+00:00");
  fail_unless_equals_int (json_array_get_length (json_object_get_array_member
          (m, "segments")), 1);
  JsonObject *latency = json_object_get_object_member (m, "latency");
  fail_unless (json_object_get_null_member (latency, "time_to_first_byte"));
  fail_unless (json_object_get_null_member (latency,
          "interrupt_response_time"));
  g_object_unref (parser);
  fail_unless (g_file_test ((location + "/segments/00-user-0200ms.wav").c_str (),
          G_FILE_TEST_EXISTS));

  remove_tree (top);
}

GST_END_TEST;

/* Caps an element cannot take, from an application's appsrc: the
 * pipeline stops with an error whose reason is not-negotiated, and no
 * crash; the sink leaves no recording behind. */
GST_START_TEST (test_refused_caps)
{
  gchar *top = g_dir_make_tmp ("voice-caps-XXXXXX", nullptr);
  const gchar *video = "video/x-raw,format=I420,width=64,height=64,"
      "framerate=30/1";
  struct
  {
    const gchar *element;
    const gchar *caps;
  } cases[] = {
    {"voicesegmenter", video},
    {"voicesegmenter", "audio/x-raw,format=U8,rate=16000,channels=1,"
          "layout=interleaved"},
    {"voicesegmenter", "audio/x-raw,format=S16LE,rate=16000,channels=2,"
          "layout=interleaved"},
    {"voicesegmenter", "audio/x-raw,format=S16LE,rate=4000,channels=1,"
          "layout=interleaved"},
    {"voicetimeline", video},
    {"voicetimeline", "audio/x-raw,format=U8,rate=16000,channels=1,"
          "layout=interleaved"},
    {"voicetimeline", "audio/x-raw,format=S16LE,rate=16000,channels=2,"
          "layout=interleaved"},
    {"voicemanifestsink", video},
    {"voicemanifestsink", "audio/x-raw,format=F32LE,rate=16000,channels=2,"
          "layout=interleaved"},
    {"voicemanifestsink", "audio/x-raw,format=S16LE,rate=16000,channels=2,"
          "layout=non-interleaved"},
  };
  std::string location = std::string (top) + "/call";
  for (const auto & c:cases) {
    bool sink = g_str_equal (c.element, "voicemanifestsink");
    gchar *desc = g_strdup_printf ("appsrc name=src format=time caps=\"%s\" "
        "! %s %s%s %s", c.caps, c.element, sink ? "location=" : "",
        sink ? location.c_str () : "", sink ? "" : "! fakesink");
    GError *err = nullptr;
    GstElement *pipeline = gst_parse_launch (desc, &err);
    fail_unless (pipeline != nullptr, "%s: %s", desc, err ? err->message : "");
    GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
    fail_unless_equals_int (gst_element_set_state (pipeline,
            GST_STATE_PLAYING), GST_STATE_CHANGE_ASYNC);
    GstBuffer *buf = gst_buffer_new_allocate (nullptr, 64 * 64 * 2, nullptr);
    gst_buffer_memset (buf, 0, 0, 64 * 64 * 2);
    GST_BUFFER_PTS (buf) = 0;
    GstFlowReturn ret;
    g_signal_emit_by_name (src, "push-buffer", buf, &ret);
    gst_buffer_unref (buf);
    g_signal_emit_by_name (src, "end-of-stream", &ret);

    GstBus *bus = gst_element_get_bus (pipeline);
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, 10 * GST_SECOND,
        (GstMessageType) (GST_MESSAGE_ERROR | GST_MESSAGE_EOS));
    fail_unless (msg != nullptr, "%s: no error", desc);
    fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_ERROR);
    gchar *debug;
    gst_message_parse_error (msg, &err, &debug);
    fail_unless (debug && strstr (debug, "not-negotiated"), "%s: %s (%s)",
        desc, err->message, debug);
    g_clear_error (&err);
    g_free (debug);
    gst_message_unref (msg);
    gst_object_unref (bus);
    gst_element_set_state (pipeline, GST_STATE_NULL);
    gst_object_unref (src);
    gst_object_unref (pipeline);
    g_free (desc);
    fail_if (g_file_test (location.c_str (), G_FILE_TEST_EXISTS));
  }
  remove_tree (top);
}

GST_END_TEST;

/* A stream from files whose timestamps jump ahead with no DISCONT (an
 * appsrc replay, a demuxer's hole, one lost packet): through the whole
 * chain, the audio after the jump is where its timestamps say, to the
 * sample, and so is its segment. (The segmenter's runs are seconds long;
 * unmarked, the timeline laid the second utterance where the first ended,
 * and its segment's file lost its start; a hole of 20 ms it took for
 * clock drift, and resampled the run after it.) */
static void
record_with_a_jump (const Signal & s, GstClockTime jump,
    const std::string & dir)
{
  gchar *desc = g_strdup_printf ("appsrc name=src format=time caps=\"%s\" ! "
      "voicesegmenter ! voicetimeline ! voicemanifestsink location=\"%s\"",
      "audio/x-raw,format=S16LE,rate=16000,channels=1,layout=interleaved",
      dir.c_str ());
  GstElement *pipeline = gst_parse_launch (desc, nullptr);
  g_free (desc);
  fail_unless (pipeline != nullptr);
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  for (GstClockTime base : {
        (GstClockTime) 0, s.time_of (s.size ()) + jump}) {
    for (gsize pos = 0; pos < s.size (); pos += 320) {
      gsize n = MIN ((gsize) 320, s.size () - pos);
      GstBuffer *buf = signal_buffer (s, GST_AUDIO_FORMAT_S16LE, pos, n);
      GST_BUFFER_PTS (buf) = base + s.time_of (pos);
      GST_BUFFER_DURATION (buf) = s.time_of (pos + n) - s.time_of (pos);
      GstFlowReturn ret;
      g_signal_emit_by_name (src, "push-buffer", buf, &ret);
      gst_buffer_unref (buf);
      fail_unless_equals_int (ret, GST_FLOW_OK);
    }
  }
  GstFlowReturn ret;
  g_signal_emit_by_name (src, "end-of-stream", &ret);
  gst_object_unref (src);
  wait_for_eos (pipeline);
}

GST_START_TEST (test_unmarked_jump_through_the_chain)
{
  Signal s = Signal::load ("utterance-16k.wav");
  for (GstClockTime jump : {
        2 * GST_SECOND, 20 * GST_MSECOND}) {
    gchar *top = g_dir_make_tmp ("voice-jump-XXXXXX", nullptr);
    std::string dir = std::string (top) + "/call";
    record_with_a_jump (s, jump, dir);

    /* the full file: the utterance, the jump's silence, the utterance */
    Wav wav;
    fail_unless (read_wav (dir + "/full.wav", wav));
    gsize first = s.size (), hole = s.size () + jump * 16000 / GST_SECOND;
    fail_unless_equals_int (wav.samples.size (), hole + s.size ());
    for (gsize i = first; i < hole; i++)
      fail_unless_equals_int (wav.samples[i], 0);
    for (gsize i = 0; i < s.size (); i++)
      fail_unless_equals_int (wav.samples[hole + i], CLAMP ((gint)
              (s.samples[i] * 32768.0f), -32768, 32767));

    /* after the long jump, the second segment starts after it and its
     * file holds its stretch of the full file */
    if (jump >= GST_SECOND) {
      JsonParser *parser = json_parser_new ();
      fail_unless (json_parser_load_from_file (parser,
              (dir + "/manifest.json").c_str (), nullptr));
      JsonArray *segs = json_object_get_array_member (json_node_get_object
          (json_parser_get_root (parser)), "segments");
      fail_unless_equals_int (json_array_get_length (segs), 2);
      JsonObject *seg = json_array_get_object_element (segs, 1);
      gdouble start = json_object_get_double_member (seg, "start_time");
      gdouble end = json_object_get_double_member (seg, "end_time");
      fail_unless (start * 16000 >= hole - 1, "starts at %f", start);
      Wav part;
      fail_unless (read_wav (dir + "/" + json_object_get_string_member (seg,
                  "file"), part));
      gsize from = (gsize) (start * 16000 + 0.5);
      fail_unless_equals_int (part.samples.size (),
          (gsize) (end * 16000 + 0.5) - from);
      for (gsize i = 0; i < part.samples.size (); i++)
        fail_unless_equals_int (part.samples[i], wav.samples[from + i]);
      g_object_unref (parser);
    }
    remove_tree (top);
  }
}

GST_END_TEST;

static Suite *
hostile_suite (void)
{
  load_system_plugins ();
  Suite *s = suite_create ("hostile");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_segmenter_hostile_timestamps);
  tcase_add_test (tc, test_segmenter_buffer_sizes);
  tcase_add_test (tc, test_unmarked_jump_through_the_chain);
  tcase_add_test (tc, test_timeline_jump_10h);
  tcase_add_test (tc, test_timeline_hostile_buffers);
  tcase_add_test (tc, test_timeline_hostile_events);
  tcase_add_test (tc, test_timeline_app_events_after_the_end);
  tcase_add_test (tc, test_timeline_text_of_a_call_without_audio);
  tcase_add_test (tc, test_sink_hostile_names_and_text);
  tcase_add_test (tc, test_sink_malformed_events);
  tcase_add_test (tc, test_refused_caps);
  return s;
}

GST_CHECK_MAIN (hostile);
