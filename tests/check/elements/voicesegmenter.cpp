/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "../checkutil.h"
#include "../speechfixture.h"

#include <gst/voice/voice.h>

#include <cmath>
#include <string>
#include <vector>

#define MS GST_MSECOND

/* What left the element, in order: buffers and speech events. */
struct Item
{
  bool is_buffer;
  GstClockTime pts;             /* buffers */
  GstClockTime end;
  gboolean discont;
  GstVoiceSpeechKind kind;      /* speech events */
  GstClockTime start;
  GstClockTime stop;
  GstClockTime start_running_time;
  GstClockTime stop_running_time;
  std::string speaker;
  GstVoiceRole role;
  GstClockTime padding;
  gboolean marked;
};

struct Recorder
{
  std::vector < Item > items;
  gint rate = 16000;

  std::vector < Item > spans (GstVoiceSpeechKind kind) const
  {
    std::vector < Item > out;
    for (const auto & i:items)
      if (!i.is_buffer && i.kind == kind)
        out.push_back (i);
    return out;
  }
  /* index of the first buffer that contains @t */
  gssize buffer_holding (GstClockTime t) const
  {
    for (gsize i = 0; i < items.size (); i++)
      if (items[i].is_buffer && items[i].pts <= t && t < items[i].end)
        return (gssize) i;
    return -1;
  }
  gssize index_of_event (GstVoiceSpeechKind kind, guint nth) const
  {
    guint n = 0;
    for (gsize i = 0; i < items.size (); i++)
      if (!items[i].is_buffer && items[i].kind == kind && n++ == nth)
        return (gssize) i;
    return -1;
  }
};

static GstPadProbeReturn
record_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Recorder *rec = static_cast < Recorder * >(user_data);
  Item item = { };

  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
    GstCaps *caps = gst_pad_get_current_caps (pad);
    GstAudioInfo ainfo;
    fail_unless (gst_audio_info_from_caps (&ainfo, caps));
    gst_caps_unref (caps);
    item.is_buffer = true;
    item.pts = GST_BUFFER_PTS (buf);
    item.discont = GST_BUFFER_IS_DISCONT (buf);
    item.end = item.pts + gst_util_uint64_scale_int (gst_buffer_get_size (buf)
        / GST_AUDIO_INFO_BPF (&ainfo), GST_SECOND, GST_AUDIO_INFO_RATE (&ainfo));
    rec->items.push_back (item);
  } else {
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);
    GstVoiceSpeech sp;
    if (gst_voice_event_parse_speech (ev, &sp)) {
      item.is_buffer = false;
      item.kind = sp.kind;
      item.start = sp.start;
      item.stop = sp.end;
      item.start_running_time = sp.start_running_time;
      item.stop_running_time = sp.end_running_time;
      item.speaker = sp.speaker;
      item.role = sp.role;
      item.padding = sp.padding;
      item.marked = sp.marked;
      gst_voice_speech_clear (&sp);
      rec->items.push_back (item);
    }
  }
  return GST_PAD_PROBE_OK;
}

static GstHarness *
segmenter_harness (Recorder * rec, gint rate, GstAudioFormat format,
    const gchar * props = nullptr)
{
  GstElement *element = gst_element_factory_make ("voicesegmenter", nullptr);
  if (props) {
    gchar **kv = g_strsplit (props, " ", -1);
    for (gchar ** p = kv; *p; p++) {
      gchar **pair = g_strsplit (*p, "=", 2);
      gst_util_set_object_arg (G_OBJECT (element), pair[0], pair[1]);
      g_strfreev (pair);
    }
    g_strfreev (kv);
  }
  GstHarness *h = gst_harness_new_with_element (element, "sink", "src");
  gst_object_unref (element);
  gst_harness_set_src_caps (h, signal_caps (rate, format));
  GstPad *src = gst_element_get_static_pad (h->element, "src");
  gst_pad_add_probe (src, (GstPadProbeType) (GST_PAD_PROBE_TYPE_BUFFER |
          GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM), record_probe, rec, nullptr);
  gst_object_unref (src);
  return h;
}

/* 0.503 s of silence, the utterance (speech from its first to its last
 * sample), then 2 s of silence */
static Signal
utterance_in_silence (const gchar * file, double lead = 0.503,
    gsize * head = nullptr, gsize * tail = nullptr)
{
  Signal utt = Signal::load (file);
  Signal s = Signal::silence (utt.rate, lead);
  if (head)
    *head = s.size ();
  s.append (utt);
  if (tail)
    *tail = s.size () - 1;
  s.append_silence (2.0);
  return s;
}

/* the 10 ms frame that holds @sample, on a grid starting at time 0 */
static GstClockTime
frame_start (const Signal & s, gsize sample)
{
  return s.time_of (sample) / (10 * MS) * (10 * MS);
}

static GstClockTime
frame_end (const Signal & s, gsize sample)
{
  return frame_start (s, sample) + 10 * MS;
}

GST_START_TEST (test_onset_and_offset_to_the_frame)
{
  for (GstAudioFormat format:{GST_AUDIO_FORMAT_S16LE, GST_AUDIO_FORMAT_F32LE}) {
    Recorder rec;
    gsize head, tail;
    Signal s = utterance_in_silence ("utterance-16k.wav", 0.503, &head,
        &tail);
    GstHarness *h = segmenter_harness (&rec, 16000, format,
        "speaker=alice role=agent");

    fail_unless_equals_int (push_signal (h, s, format, 0), GST_FLOW_OK);
    fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));

    auto starts = rec.spans (GST_VOICE_SPEECH_START);
    auto stops = rec.spans (GST_VOICE_SPEECH_STOP);
    fail_unless_equals_int (starts.size (), 1);
    fail_unless_equals_int (stops.size (), 1);
    /* first speech sample at 503 ms: its frame starts at 500 ms */
    fail_unless_equals_uint64 (starts[0].start, 500 * MS);
    fail_unless_equals_uint64 (starts[0].start, frame_start (s, head));
    fail_unless_equals_uint64 (stops[0].start, 500 * MS);
    fail_unless_equals_uint64 (stops[0].stop, frame_end (s, tail));
    fail_unless_equals_string (stops[0].speaker.c_str (), "alice");
    fail_unless_equals_int (stops[0].role, GST_VOICE_ROLE_AGENT);
    fail_if (stops[0].marked);

    /* the start event precedes the buffer with the first syllable */
    gssize ev = rec.index_of_event (GST_VOICE_SPEECH_START, 0);
    gssize buf = rec.buffer_holding (s.time_of (head));
    fail_unless (ev >= 0 && buf >= 0);
    fail_unless (ev < buf, "start event at %d after its audio at %d",
        (gint) ev, (gint) buf);
    /* ... and comes right before it: no silence buffer in between */
    fail_unless_equals_int (ev + 1, buf);

    /* the hangover does not leak: the stop was decided min-silence (700 ms)
     * after the end and sits in the stream 190 ms of held-back audio
     * earlier, yet its end is the last speech frame */
    gssize stop_ev = rec.index_of_event (GST_VOICE_SPEECH_STOP, 0);
    fail_unless (stop_ev > rec.buffer_holding (stops[0].stop + 450 * MS));
    fail_unless (stop_ev < rec.buffer_holding (stops[0].stop + 520 * MS));

    /* every input sample came out, unchanged in count and order */
    GstClockTime expect = 0;
    guint n_buffers = 0;
    for (const auto & i:rec.items) {
      if (!i.is_buffer)
        continue;
      fail_unless_equals_uint64 (i.pts, expect);
      expect = i.end;
      n_buffers++;
    }
    fail_unless_equals_uint64 (expect, s.time_of (s.size ()));
    fail_unless_equals_int (gst_harness_buffers_received (h), n_buffers);
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

/* One utterance @lead seconds into the stream, with @min_speech (ns, as
 * text): one span, from its first speech frame to its last. */
static void
check_min_speech (const gchar * min_speech, double lead)
{
  Recorder rec;
  gsize head, tail;
  Signal s = utterance_in_silence ("utterance-16k.wav", lead, &head, &tail);
  gchar *props = g_strdup_printf ("min-speech=%s", min_speech);
  GstHarness *h = segmenter_harness (&rec, 16000, GST_AUDIO_FORMAT_S16LE,
      props);
  g_free (props);
  fail_unless_equals_int (push_signal (h, s, GST_AUDIO_FORMAT_S16LE, 0),
      GST_FLOW_OK);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));

  auto stops = rec.spans (GST_VOICE_SPEECH_STOP);
  fail_unless (stops.size () == 1, "min-speech=%s, lead %g: %d spans",
      min_speech, lead, (gint) stops.size ());
  fail_unless_equals_uint64 (stops[0].start, frame_start (s, head));
  fail_unless_equals_uint64 (stops[0].stop, frame_end (s, tail));
  /* and before the buffer with the first syllable */
  gssize ev = rec.index_of_event (GST_VOICE_SPEECH_START, 0);
  fail_unless (ev >= 0 && ev < rec.buffer_holding (s.time_of (head)));
  gst_harness_teardown (h);
}

/* Speech has quieter frames between its syllables: a long min-speech
 * counts over them, and the span still starts at the first speech frame,
 * even when that is the stream's first, before any noise floor could be
 * learnt. */
GST_START_TEST (test_long_min_speech)
{
  for (const gchar * min_speech:{
        "50000000", "200000000", "500000000", "1000000000"}) {
    check_min_speech (min_speech, 0.503);
    check_min_speech (min_speech, 0.0);
  }
}

GST_END_TEST;

GST_START_TEST (test_audio_unchanged)
{
  Recorder rec;
  Signal s = utterance_in_silence ("utterance-16k.wav");
  GstHarness *h = segmenter_harness (&rec, 16000, GST_AUDIO_FORMAT_S16LE);

  push_signal (h, s, GST_AUDIO_FORMAT_S16LE, 0);
  gst_harness_push_event (h, gst_event_new_eos ());

  gsize pos = 0;
  GstBuffer *buf;
  while ((buf = gst_harness_try_pull (h))) {
    GstMapInfo map;
    gst_buffer_map (buf, &map, GST_MAP_READ);
    for (gsize i = 0; i + 1 < map.size; i += 2, pos++) {
      gint expected = CLAMP ((gint) (s.samples[pos] * 32768.0f), -32768, 32767);
      fail_unless_equals_int ((gint16) GST_READ_UINT16_LE (map.data + i),
          expected);
    }
    gst_buffer_unmap (buf, &map);
    gst_buffer_unref (buf);
  }
  fail_unless_equals_uint64 (pos, s.size ());
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_pause_inside_utterance)
{
  Recorder rec;
  Signal utt = Signal::load ("utterance-16k.wav");
  Signal s = Signal::silence (16000, 0.5);
  s.append (utt);
  s.append_silence (0.4);       /* a pause: same span */
  s.append (utt);
  gsize end_of_first_turn = s.size ();
  s.append_silence (1.5);       /* a turn later: a new span */
  gsize second_turn = s.size ();
  s.append (utt);
  s.append_silence (1.0);

  GstHarness *h = segmenter_harness (&rec, 16000, GST_AUDIO_FORMAT_S16LE);
  push_signal (h, s, GST_AUDIO_FORMAT_S16LE, 0);

  auto stops = rec.spans (GST_VOICE_SPEECH_STOP);
  fail_unless_equals_int (stops.size (), 2);
  fail_unless_equals_uint64 (stops[0].start, 500 * MS);
  fail_unless_equals_uint64 (stops[0].stop, frame_end (s,
          end_of_first_turn - 1));
  fail_unless_equals_uint64 (stops[1].start, frame_start (s, second_turn));
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Packets lost at the start of an utterance (a GAP from the depayloader
 * for each): the onset is found where it is, as without the losses, and
 * its start event still comes before the first speech sample. */
GST_START_TEST (test_lost_packets_in_an_onset)
{
  Recorder rec;
  gsize head;
  Signal s = utterance_in_silence ("utterance-16k.wav", 0.503, &head);
  GstHarness *h = segmenter_harness (&rec, 16000, GST_AUDIO_FORMAT_S16LE);

  /* 20 ms packets; the second with speech and the one 60 ms later lost */
  gsize lost1 = (head / 320 + 1) * 320, lost2 = lost1 + 3 * 320;
  gsize from = 0;
  for (gsize lost:{lost1, lost2}) {
    push_signal (h, s, GST_AUDIO_FORMAT_S16LE, s.time_of (from), 320, from,
        lost);
    fail_unless (gst_harness_push_event (h, gst_event_new_gap (s.time_of
                (lost), 20 * MS)));
    from = lost + 320;
  }
  push_signal (h, s, GST_AUDIO_FORMAT_S16LE, s.time_of (from), 320, from);
  gst_harness_push_event (h, gst_event_new_eos ());

  auto starts = rec.spans (GST_VOICE_SPEECH_START);
  fail_unless_equals_int (starts.size (), 1);
  fail_unless_equals_uint64 (starts[0].start, frame_start (s, head));
  gssize ev = rec.index_of_event (GST_VOICE_SPEECH_START, 0);
  fail_unless (ev >= 0 && ev < rec.buffer_holding (s.time_of (head)));
  /* both gaps passed on, in their place */
  guint gaps = 0;
  GstEvent *e;
  while ((e = gst_harness_try_pull_event (h))) {
    if (GST_EVENT_TYPE (e) == GST_EVENT_GAP) {
      GstClockTime ts;
      gst_event_parse_gap (e, &ts, nullptr);
      fail_unless_equals_uint64 (ts, s.time_of (gaps ? lost2 : lost1));
      gaps++;
    }
    gst_event_unref (e);
  }
  fail_unless_equals_int (gaps, 2);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_gap_is_silence)
{
  Recorder rec;
  gsize tail;
  Signal utt = Signal::load ("utterance-16k.wav");
  Signal s = Signal::silence (16000, 0.5);
  s.append (utt);
  tail = s.size () - 1;
  GstHarness *h = segmenter_harness (&rec, 16000, GST_AUDIO_FORMAT_S16LE);

  push_signal (h, s, GST_AUDIO_FORMAT_S16LE, 0);
  fail_unless_equals_int (rec.spans (GST_VOICE_SPEECH_STOP).size (), 0);

  /* nothing for 3 s: the span closes at its last speech frame, and all
   * held audio and the stop come before the gap */
  GstClockTime end = s.time_of (s.size ());
  fail_unless (gst_harness_push_event (h, gst_event_new_gap (end,
              3 * GST_SECOND)));
  auto stops = rec.spans (GST_VOICE_SPEECH_STOP);
  fail_unless_equals_int (stops.size (), 1);
  fail_unless_equals_uint64 (stops[0].stop, frame_end (s, tail));
  fail_unless_equals_uint64 (rec.items.rbegin ()[1].end, end);
  fail_unless_equals_int (rec.items.back ().kind, GST_VOICE_SPEECH_STOP);

  GstEvent *ev;
  bool saw_gap = false;
  while ((ev = gst_harness_try_pull_event (h))) {
    if (GST_EVENT_TYPE (ev) == GST_EVENT_GAP) {
      GstClockTime ts, dur;
      gst_event_parse_gap (ev, &ts, &dur);
      fail_unless_equals_uint64 (ts, end);
      fail_unless_equals_uint64 (dur, 3 * GST_SECOND);
      saw_gap = true;
    }
    gst_event_unref (ev);
  }
  fail_unless (saw_gap);

  /* speech after the gap is timed on the far side of it */
  Recorder *r = &rec;
  r->items.clear ();
  push_signal (h, s, GST_AUDIO_FORMAT_S16LE, end + 3 * GST_SECOND);
  gst_harness_push_event (h, gst_event_new_eos ());
  auto starts = rec.spans (GST_VOICE_SPEECH_START);
  fail_unless_equals_int (starts.size (), 1);
  fail_unless_equals_uint64 (starts[0].start, end + 3 * GST_SECOND + 500 * MS);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_eos_while_speaking)
{
  Recorder rec;
  Signal utt = Signal::load ("utterance-16k.wav");
  Signal s = Signal::silence (16000, 1.0);
  /* cut in the middle of a word, at 1.5 s into the utterance */
  utt.samples.resize (24000);
  s.append (utt);
  GstHarness *h = segmenter_harness (&rec, 16000, GST_AUDIO_FORMAT_S16LE);

  push_signal (h, s, GST_AUDIO_FORMAT_S16LE, 0);
  fail_unless_equals_int (rec.spans (GST_VOICE_SPEECH_STOP).size (), 0);
  gst_harness_push_event (h, gst_event_new_eos ());

  auto stops = rec.spans (GST_VOICE_SPEECH_STOP);
  fail_unless_equals_int (stops.size (), 1);
  fail_unless_equals_uint64 (stops[0].start, 1000 * MS);
  fail_unless_equals_uint64 (stops[0].stop, 2500 * MS);
  /* the stop comes after the last buffer, before EOS */
  fail_if (rec.items.back ().is_buffer);
  fail_unless_equals_uint64 (rec.items.rbegin ()[1].end, 2500 * MS);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Sets the harness's clock to @time and waits (for real: the stall watch
 * looks every 20 ms, in its own thread) until the element has pushed
 * @buffers buffers or @events events in all, up to 10 s. Returns with the
 * element's stream lock held, so that nothing more comes while the test
 * reads what did; unlock_stream () gives it back. */
static void
wait_for_stall_watch (GstHarness * h, GstClockTime time, guint buffers,
    guint events)
{
  gst_harness_set_time (h, time);
  GstPad *sink = gst_element_get_static_pad (h->element, "sink");
  for (guint i = 0; i < 1000; i++) {
    GST_PAD_STREAM_LOCK (sink);
    if (gst_harness_buffers_received (h) >= buffers
        && gst_harness_events_received (h) >= events)
      break;
    GST_PAD_STREAM_UNLOCK (sink);
    g_usleep (10000);
  }
  gst_object_unref (sink);
  fail_unless (gst_harness_buffers_received (h) >= buffers
      && gst_harness_events_received (h) >= events,
      "the stall watch did nothing");
}

static void
unlock_stream (GstHarness * h)
{
  GstPad *sink = gst_element_get_static_pad (h->element, "sink");
  GST_PAD_STREAM_UNLOCK (sink);
  gst_object_unref (sink);
}

/* A live leg that stops sending (DTX between its words, or a stall): the
 * silence that closes its span is taken for the audio that does not come,
 * and the audio held back leaves, with no buffer after it. */
GST_START_TEST (test_live_audio_stops_coming)
{
  Recorder rec;
  gsize head, tail;
  Signal s = utterance_in_silence ("utterance-16k.wav", 0.503, &head, &tail);
  /* 300 ms after the last word, then nothing */
  s.samples.resize (tail + 1 + 4800);
  GstHarness *h = segmenter_harness (&rec, 16000, GST_AUDIO_FORMAT_S16LE);

  push_signal (h, s, GST_AUDIO_FORMAT_S16LE, 0);
  fail_unless_equals_int (rec.spans (GST_VOICE_SPEECH_STOP).size (), 0);
  guint events = gst_harness_events_received (h);
  /* past min-silence after the last word, by the pipeline clock */
  wait_for_stall_watch (h, s.time_of (s.size ()) + 1500 * MS, 0, events + 1);

  auto starts = rec.spans (GST_VOICE_SPEECH_START);
  auto stops = rec.spans (GST_VOICE_SPEECH_STOP);
  fail_unless_equals_int (starts.size (), 1);
  fail_unless_equals_int (stops.size (), 1);
  fail_unless_equals_uint64 (stops[0].start, frame_start (s, head));
  fail_unless_equals_uint64 (stops[0].stop, frame_end (s, tail));
  /* every sample pushed came out, the stop in its place among them */
  GstClockTime out_end = 0;
  for (const auto & i:rec.items)
    if (i.is_buffer)
      out_end = i.end;
  fail_unless_equals_uint64 (out_end, s.time_of (s.size ()));
  gssize stop_at = rec.index_of_event (GST_VOICE_SPEECH_STOP, 0);
  fail_unless (stop_at > rec.buffer_holding (stops[0].stop - 1));
  unlock_stream (h);

  /* the leg speaks again three seconds later: a span of its own, found
   * as if the audio had come all along */
  Signal next = utterance_in_silence ("utterance-16k.wav", 0.503, &head,
      &tail);
  GstClockTime resume = s.time_of (s.size ()) + 3 * GST_SECOND;
  gst_harness_set_time (h, resume);
  rec.items.clear ();
  push_signal (h, next, GST_AUDIO_FORMAT_S16LE, resume);
  gst_harness_push_event (h, gst_event_new_eos ());
  starts = rec.spans (GST_VOICE_SPEECH_START);
  stops = rec.spans (GST_VOICE_SPEECH_STOP);
  fail_unless_equals_int (starts.size (), 1);
  fail_unless_equals_int (stops.size (), 1);
  fail_unless_equals_uint64 (starts[0].start, resume + frame_start (next,
          head));
  fail_unless_equals_uint64 (stops[0].stop, resume + frame_end (next, tail));
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A live leg that stops mid-word (it hung up, or DTX): the audio held
 * back leaves within the latency reported (its source's, 0, and the
 * element's), as downstream needs it, not a hold-back later. */
GST_START_TEST (test_live_held_audio_leaves_when_due)
{
  Recorder rec;
  gsize head;
  Signal s = utterance_in_silence ("utterance-16k.wav", 0.503, &head);
  GstHarness *h = segmenter_harness (&rec, 16000, GST_AUDIO_FORMAT_S16LE);
  GstClockTime latency = gst_harness_query_latency (h);
  fail_unless (latency >= 100 * MS);

  /* 20 ms packets, a second into the utterance, then nothing */
  gsize cut = (head + 16000) / 320 * 320;
  push_signal (h, s, GST_AUDIO_FORMAT_S16LE, 0, 320, 0, cut);
  GstClockTime heard = s.time_of (cut);
  GstClockTime out_end = 0;
  for (const auto & i:rec.items)
    if (i.is_buffer)
      out_end = i.end;
  fail_unless (out_end < heard - 100 * MS);

  /* 60 ms on, all that the latency allows to be out is out */
  GstClockTime now = heard + 60 * MS;
  GstClockTime due_out = now - latency;
  wait_for_stall_watch (h, now, (guint) ((due_out + 19 * MS) / (20 * MS)),
      0);
  for (const auto & i:rec.items)
    if (i.is_buffer)
      out_end = i.end;
  fail_unless (out_end >= due_out && out_end <= heard,
      "%" GST_TIME_FORMAT " out, %" GST_TIME_FORMAT " due",
      GST_TIME_ARGS (out_end), GST_TIME_ARGS (due_out));
  /* the span stays open: 40 ms of silence is no pause */
  fail_unless_equals_int (rec.spans (GST_VOICE_SPEECH_START).size (), 1);
  fail_unless_equals_int (rec.spans (GST_VOICE_SPEECH_STOP).size (), 0);
  unlock_stream (h);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Audio that a live leg delivers after silence was taken for it (a burst
 * of delayed packets): the span goes on, and the audio passes whole. */
GST_START_TEST (test_live_audio_comes_late)
{
  Recorder rec;
  gsize head, tail;
  Signal s = utterance_in_silence ("utterance-16k.wav", 0.503, &head, &tail);
  GstHarness *h = segmenter_harness (&rec, 16000, GST_AUDIO_FORMAT_S16LE);

  /* a second into the utterance, the leg stalls while silence is taken
   * for it (on the frame grid, as the frames start again there) */
  gsize cut = (head + 16000) / 160 * 160;
  push_signal (h, s, GST_AUDIO_FORMAT_S16LE, 0, 320, 0, cut);
  GstClockTime heard = s.time_of (cut);
  /* 470 ms: more than a step back that ends a span (200 ms), less than
   * min-silence; the audio held back leaves */
  GstClockTime now = heard + 490 * MS;
  wait_for_stall_watch (h, now, (cut + 319) / 320, 0);
  gssize last = -1;
  for (gsize i = 0; i < rec.items.size (); i++)
    if (rec.items[i].is_buffer)
      last = (gssize) i;
  fail_unless (last >= 0);
  fail_unless_equals_uint64 (rec.items[last].end, heard);
  unlock_stream (h);

  /* silence was taken up to where the audio would have been held back to:
   * the clock less the latency upstream (0) and a packet's slack */
  GstClockTime taken = now - 20 * MS;

  /* then the rest, as it was stamped */
  push_signal (h, s, GST_AUDIO_FORMAT_S16LE, heard, 320, cut);
  gst_harness_push_event (h, gst_event_new_eos ());

  /* one span, as the same audio gives with a GAP event where silence was
   * taken */
  Recorder gap;
  GstHarness *hg = segmenter_harness (&gap, 16000, GST_AUDIO_FORMAT_S16LE);
  push_signal (hg, s, GST_AUDIO_FORMAT_S16LE, 0, 320, 0, cut);
  gst_harness_push_event (hg, gst_event_new_gap (heard, taken - heard));
  gsize resume = cut + (taken - heard) / (GST_SECOND / 16000);
  push_signal (hg, s, GST_AUDIO_FORMAT_S16LE, taken, 320, resume);
  gst_harness_push_event (hg, gst_event_new_eos ());
  gst_harness_teardown (hg);
  auto starts = rec.spans (GST_VOICE_SPEECH_START);
  auto stops = rec.spans (GST_VOICE_SPEECH_STOP);
  auto gap_stops = gap.spans (GST_VOICE_SPEECH_STOP);
  fail_unless_equals_int (starts.size (), 1);
  fail_unless_equals_int (stops.size (), 1);
  fail_unless_equals_int (gap_stops.size (), 1);
  fail_unless (taken > heard + 200 * MS);
  fail_unless_equals_uint64 (stops[0].start, frame_start (s, head));
  fail_unless_equals_uint64 (stops[0].stop, gap_stops[0].stop);
  GstClockTime next = 0;
  for (const auto & i:rec.items)
    if (i.is_buffer) {
      fail_unless_equals_uint64 (i.pts, next);
      next = i.end;
    }
  fail_unless_equals_uint64 (next, s.time_of (s.size ()));
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A probe on a segmenter's output that, once armed, holds each buffer
 * until released, or refuses the first: what a downstream does to the
 * audio that the stall watch pushes. */
struct Gate
{
  GMutex lock;
  GCond cond;
  bool armed = false;
  bool blocking = false;
  GstFlowReturn refuse = GST_FLOW_OK;
  guint seen = 0;

  Gate () {
    g_mutex_init (&lock);
    g_cond_init (&cond);
  }
  ~Gate () {
    g_mutex_clear (&lock);
    g_cond_clear (&cond);
  }
  void arm (bool block, GstFlowReturn ret) {
    g_mutex_lock (&lock);
    armed = true;
    blocking = block;
    refuse = ret;
    g_mutex_unlock (&lock);
  }
  void release () {
    g_mutex_lock (&lock);
    blocking = false;
    g_cond_broadcast (&cond);
    g_mutex_unlock (&lock);
  }
  /* until a buffer came to it, for ten seconds at most */
  bool wait_for_buffer () {
    gint64 until = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
    g_mutex_lock (&lock);
    while (seen == 0 && g_cond_wait_until (&cond, &lock, until));
    bool came = seen > 0;
    g_mutex_unlock (&lock);
    return came;
  }
};

static GstPadProbeReturn
gate_probe (GstPad *, GstPadProbeInfo * info, gpointer user_data)
{
  Gate *g = static_cast < Gate * >(user_data);
  g_mutex_lock (&g->lock);
  if (!g->armed) {
    g_mutex_unlock (&g->lock);
    return GST_PAD_PROBE_OK;
  }
  g->seen++;
  g_cond_broadcast (&g->cond);
  while (g->blocking)
    g_cond_wait (&g->cond, &g->lock);
  /* a refusal is for the first buffer only */
  GstFlowReturn refuse = g->refuse;
  g->refuse = GST_FLOW_OK;
  g_mutex_unlock (&g->lock);
  if (refuse == GST_FLOW_OK)
    return GST_PAD_PROBE_OK;
  gst_buffer_unref (GST_PAD_PROBE_INFO_BUFFER (info));
  GST_PAD_PROBE_INFO_FLOW_RETURN (info) = refuse;
  return GST_PAD_PROBE_HANDLED;
}

static void
add_gate (GstHarness * h, Gate * gate)
{
  GstPad *src = gst_element_get_static_pad (h->element, "src");
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, gate_probe, gate,
      nullptr);
  gst_object_unref (src);
}

/* An utterance, 300 ms of silence after it, then no more audio, into a
 * live segmenter whose output @gate refuses the first buffer with
 * @refused; returns once the stall watch pushed it, with the time the
 * pipeline clock was set to. */
static GstClockTime
stall_refused (GstHarness * h, Gate * gate, GstFlowReturn refused)
{
  gsize tail;
  Signal s = utterance_in_silence ("utterance-16k.wav", 0.503, nullptr,
      &tail);
  s.samples.resize (tail + 1 + 4800);
  fail_unless_equals_int (push_signal (h, s, GST_AUDIO_FORMAT_S16LE, 0),
      GST_FLOW_OK);
  gate->arm (false, refused);
  GstClockTime later = s.time_of (s.size ()) + 1500 * MS;
  gst_harness_set_time (h, later);
  fail_unless (gate->wait_for_buffer (), "the stall check never ran");
  return later;
}

/* Two live legs whose audio stops: the first one's downstream does not
 * take the audio that the stall watch pushes. The second leg's span
 * closes all the same, and the first one's audio held back comes out once
 * its downstream takes it. */
GST_START_TEST (test_live_stall_blocked_downstream)
{
  Recorder rec1, rec2;
  Gate gate;
  gsize head, tail;
  Signal s = utterance_in_silence ("utterance-16k.wav", 0.503, &head, &tail);
  s.samples.resize (tail + 1 + 4800);
  GstHarness *h1 = segmenter_harness (&rec1, 16000, GST_AUDIO_FORMAT_S16LE);
  GstHarness *h2 = segmenter_harness (&rec2, 16000, GST_AUDIO_FORMAT_S16LE);
  add_gate (h1, &gate);

  /* the first leg is watched first */
  push_signal (h1, s, GST_AUDIO_FORMAT_S16LE, 0);
  push_signal (h2, s, GST_AUDIO_FORMAT_S16LE, 0);
  guint events1 = gst_harness_events_received (h1);
  guint events2 = gst_harness_events_received (h2);
  GstClockTime later = s.time_of (s.size ()) + 1500 * MS;
  gate.arm (true, GST_FLOW_OK);
  gst_harness_set_time (h1, later);
  fail_unless (gate.wait_for_buffer (), "the first leg's check never ran");

  wait_for_stall_watch (h2, later, 0, events2 + 1);
  auto stops = rec2.spans (GST_VOICE_SPEECH_STOP);
  fail_unless_equals_int (stops.size (), 1);
  fail_unless_equals_uint64 (stops[0].stop, frame_end (s, tail));
  unlock_stream (h2);
  /* the audio that the first leg held back is still there */
  guint all = (s.size () + 319) / 320;
  fail_unless (gst_harness_buffers_received (h1) < all);

  gate.release ();
  wait_for_stall_watch (h1, later, all, events1 + 1);
  stops = rec1.spans (GST_VOICE_SPEECH_STOP);
  fail_unless_equals_int (stops.size (), 1);
  fail_unless_equals_uint64 (stops[0].stop, frame_end (s, tail));
  unlock_stream (h1);

  gst_harness_teardown (h1);
  gst_harness_teardown (h2);
}

GST_END_TEST;

/* What downstream answers to the audio that the stall watch pushed goes
 * upstream with the next buffer, as if that buffer had been refused: an
 * error or EOS. Not-linked and flushing may be over by then (a relink, a
 * flush), so they are not kept. */
GST_START_TEST (test_live_stall_flow_upstream)
{
  Signal more = Signal::silence (16000, 0.02);
  const struct
  {
    GstFlowReturn refused, next;
  } cases[] = {
    {GST_FLOW_ERROR, GST_FLOW_ERROR},
    {GST_FLOW_EOS, GST_FLOW_EOS},
    {GST_FLOW_NOT_LINKED, GST_FLOW_OK},
  };
  for (const auto & c:cases) {
    Recorder rec;
    Gate gate;
    GstHarness *h = segmenter_harness (&rec, 16000, GST_AUDIO_FORMAT_S16LE);
    add_gate (h, &gate);
    GstClockTime later = stall_refused (h, &gate, c.refused);

    /* the next buffer waits for the check, then gets its answer */
    fail_unless_equals_int (push_signal (h, more, GST_AUDIO_FORMAT_S16LE,
            later), c.next);
    /* once */
    fail_unless_equals_int (push_signal (h, more, GST_AUDIO_FORMAT_S16LE,
            later + 20 * MS), GST_FLOW_OK);
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

/* An EOS that downstream answered to the stall watch's push is the
 * stream's: after the leg's EOS, a new stream on it (no flush) flows. */
GST_START_TEST (test_live_stall_flow_ends_with_the_stream)
{
  Signal more = Signal::silence (16000, 0.02);
  Recorder rec;
  Gate gate;
  GstHarness *h = segmenter_harness (&rec, 16000, GST_AUDIO_FORMAT_S16LE);
  add_gate (h, &gate);
  GstClockTime later = stall_refused (h, &gate, GST_FLOW_EOS);
  /* the check is over once its stream lock is free */
  GstPad *sink = gst_element_get_static_pad (h->element, "sink");
  GST_PAD_STREAM_LOCK (sink);
  GST_PAD_STREAM_UNLOCK (sink);
  gst_object_unref (sink);

  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  fail_unless (gst_harness_push_event (h,
          gst_event_new_stream_start ("second")));
  GstSegment seg;
  gst_segment_init (&seg, GST_FORMAT_TIME);
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&seg)));
  fail_unless_equals_int (push_signal (h, more, GST_AUDIO_FORMAT_S16LE,
          later), GST_FLOW_OK);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_flush_resets)
{
  Recorder rec;
  Signal s = utterance_in_silence ("utterance-16k.wav", 0.5);
  GstHarness *h = segmenter_harness (&rec, 16000, GST_AUDIO_FORMAT_S16LE);

  /* into the first second of speech, then a flushing seek */
  push_signal (h, s, GST_AUDIO_FORMAT_S16LE, 0, 320, 0, 24000);
  fail_unless_equals_int (rec.spans (GST_VOICE_SPEECH_START).size (), 1);
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  GstSegment seg;
  gst_segment_init (&seg, GST_FORMAT_TIME);
  seg.start = seg.time = 10 * GST_SECOND;
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&seg)));
  rec.items.clear ();

  push_signal (h, s, GST_AUDIO_FORMAT_S16LE, 10 * GST_SECOND);
  gst_harness_push_event (h, gst_event_new_eos ());

  /* nothing of the span that was open before the flush */
  auto starts = rec.spans (GST_VOICE_SPEECH_START);
  auto stops = rec.spans (GST_VOICE_SPEECH_STOP);
  fail_unless_equals_int (starts.size (), 1);
  fail_unless_equals_int (stops.size (), 1);
  fail_unless_equals_uint64 (starts[0].start, 10500 * MS);
  fail_unless_equals_uint64 (stops[0].start, 10500 * MS);
  /* no audio from before the flush came out after it */
  for (const auto & i:rec.items)
    if (i.is_buffer)
      fail_unless (i.pts >= 10 * GST_SECOND);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_renegotiate_16k_to_8k)
{
  Recorder rec;
  gsize head16, tail16, head8, tail8;
  Signal s16 = utterance_in_silence ("utterance-16k.wav", 0.5, &head16,
      &tail16);
  Signal s8 = utterance_in_silence ("utterance-8k.wav", 0.505, &head8,
      &tail8);
  GstHarness *h = segmenter_harness (&rec, 16000, GST_AUDIO_FORMAT_S16LE);

  push_signal (h, s16, GST_AUDIO_FORMAT_S16LE, 0);
  GstClockTime t8 = s16.time_of (s16.size ());
  gst_harness_set_src_caps (h, signal_caps (8000, GST_AUDIO_FORMAT_S16LE));
  push_signal (h, s8, GST_AUDIO_FORMAT_S16LE, t8, 160);
  gst_harness_push_event (h, gst_event_new_eos ());

  auto stops = rec.spans (GST_VOICE_SPEECH_STOP);
  fail_unless_equals_int (stops.size (), 2);
  fail_unless_equals_uint64 (stops[0].start, frame_start (s16, head16));
  fail_unless_equals_uint64 (stops[0].stop, frame_end (s16, tail16));
  /* the 8 kHz part is framed from where it starts */
  fail_unless_equals_uint64 (stops[1].start, t8 + frame_start (s8, head8));
  fail_unless_equals_uint64 (stops[1].stop, t8 + frame_end (s8, tail8));

  GstCaps *caps = gst_pad_get_current_caps (h->sinkpad);
  GstStructure *st = gst_caps_get_structure (caps, 0);
  gint rate;
  fail_unless (gst_structure_get_int (st, "rate", &rate));
  fail_unless_equals_int (rate, 8000);
  gst_caps_unref (caps);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Speech to the last sample, new caps, and the audio in them 2 s later:
 * the hole between closes the span, as it does without new caps (the new
 * format's audio went on from wherever it came, and the span covered
 * the hole). */
GST_START_TEST (test_renegotiate_across_a_jump)
{
  Recorder rec;
  Signal s16 = Signal::load ("utterance-16k.wav");
  Signal s8 = Signal::load ("utterance-8k.wav");
  GstHarness *h = segmenter_harness (&rec, 16000, GST_AUDIO_FORMAT_S16LE);

  push_signal (h, s16, GST_AUDIO_FORMAT_S16LE, 0);
  GstClockTime t8 = s16.time_of (s16.size ()) + 2 * GST_SECOND;
  gst_harness_set_src_caps (h, signal_caps (8000, GST_AUDIO_FORMAT_S16LE));
  push_signal (h, s8, GST_AUDIO_FORMAT_S16LE, t8, 160);
  gst_harness_push_event (h, gst_event_new_eos ());

  auto stops = rec.spans (GST_VOICE_SPEECH_STOP);
  fail_unless_equals_int (stops.size (), 2);
  fail_unless (stops[0].stop <= s16.time_of (s16.size ()));
  fail_unless (stops[1].start >= t8);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Two pieces, one after the other in running time but each from stream
 * time 0 (as concat gives them), speech to the end of the first: the span
 * that the second closes has its running times from the first piece's
 * segment (its end was 7.1 s, the spans overlapping). In marked mode too,
 * where the span open across the new segment closes at it. */
GST_START_TEST (test_span_closed_by_a_new_segment)
{
  for (bool marked : {
        false, true}) {
    Recorder rec;
    Signal s = Signal::load ("utterance-16k.wav");
    GstHarness *h = segmenter_harness (&rec, 16000, GST_AUDIO_FORMAT_S16LE,
        marked ? "mode=marked" : nullptr);
    GstClockTime length = s.time_of (s.size ());

    if (marked)
      fail_unless (gst_harness_push_event (h,
              gst_voice_event_new_speech_mark (TRUE, 0)));
    push_signal (h, s, GST_AUDIO_FORMAT_S16LE, 0);
    GstSegment segment;
    gst_segment_init (&segment, GST_FORMAT_TIME);
    segment.base = length;
    fail_unless (gst_harness_push_event (h,
            gst_event_new_segment (&segment)));
    push_signal (h, s, GST_AUDIO_FORMAT_S16LE, 0);
    if (marked)
      fail_unless (gst_harness_push_event (h,
              gst_voice_event_new_speech_mark (FALSE, GST_CLOCK_TIME_NONE)));
    gst_harness_push_event (h, gst_event_new_eos ());

    auto stops = rec.spans (GST_VOICE_SPEECH_STOP);
    fail_unless_equals_int (stops.size (), marked ? 1 : 2);
    for (guint k = 0; k < stops.size (); k++) {
      fail_unless_equals_uint64 (stops[k].start_running_time,
          stops[k].start + k * length);
      fail_unless_equals_uint64 (stops[k].stop_running_time,
          stops[k].stop + k * length);
    }
    if (marked) {
      fail_unless_equals_uint64 (stops[0].stop, length);
    } else {
      fail_unless (stops[0].stop_running_time <=
          stops[1].start_running_time);
    }
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

/* A new segment under which the stream goes on (its start 1 ms on, with
 * the timestamps, its running time the same): the span goes on across it
 * (a first version closed it there). */
GST_START_TEST (test_span_across_a_continuing_segment)
{
  Recorder rec;
  Signal s = Signal::load ("utterance-16k.wav");
  GstHarness *h = segmenter_harness (&rec, 16000, GST_AUDIO_FORMAT_S16LE);
  gsize half = s.size () / 2 / 320 * 320;
  GstClockTime t = s.time_of (half);

  push_signal (h, s, GST_AUDIO_FORMAT_S16LE, 0, 320, 0, half);
  GstSegment segment;
  gst_segment_init (&segment, GST_FORMAT_TIME);
  segment.start = segment.time = t + GST_MSECOND;
  segment.base = t;
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&segment)));
  push_signal (h, s, GST_AUDIO_FORMAT_S16LE, t + GST_MSECOND, 320, half);
  gst_harness_push_event (h, gst_event_new_eos ());

  auto stops = rec.spans (GST_VOICE_SPEECH_STOP);
  fail_unless_equals_int (stops.size (), 1);
  fail_unless (stops[0].start < t && stops[0].stop > t + GST_MSECOND);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_buffers_without_timestamps)
{
  Recorder rec;
  gsize head, tail;
  Signal s = utterance_in_silence ("utterance-16k.wav", 0.5, &head, &tail);
  GstHarness *h = segmenter_harness (&rec, 16000, GST_AUDIO_FORMAT_S16LE);

  push_signal (h, s, GST_AUDIO_FORMAT_S16LE, 0, 320, 0, G_MAXSIZE, false);
  auto stops = rec.spans (GST_VOICE_SPEECH_STOP);
  fail_unless_equals_int (stops.size (), 1);
  fail_unless_equals_uint64 (stops[0].start, frame_start (s, head));
  fail_unless_equals_uint64 (stops[0].stop, frame_end (s, tail));
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A live leg without timestamps (an appsrc without do-timestamp): its
 * first buffer is placed where it arrives by the pipeline's clock, as
 * do-timestamp would place it, the next ones after it; after the leg sent
 * nothing for a while, where it arrives again, marked DISCONT. The buffers
 * leave with these times, and the spans are where their audio is, as the
 * timeline will place it. */
GST_START_TEST (test_live_buffers_without_timestamps)
{
  Recorder rec;
  gsize head, tail;
  Signal s = utterance_in_silence ("utterance-16k.wav", 0.5, &head, &tail);
  GstHarness *h = segmenter_harness (&rec, 16000, GST_AUDIO_FORMAT_S16LE);
  GstClockTime arrival = 2 * GST_SECOND;
  gst_harness_set_time (h, arrival);
  push_signal (h, s, GST_AUDIO_FORMAT_S16LE, 0, 320, 0, G_MAXSIZE, false);
  /* ten seconds later, the stream lock held: the stall watch, which would
   * take silence for the audio overdue by now, waits until it came */
  GstClockTime resume = arrival + 10 * GST_SECOND;
  GstPad *sink = gst_element_get_static_pad (h->element, "sink");
  GST_PAD_STREAM_LOCK (sink);
  gst_harness_set_time (h, resume);
  push_signal (h, s, GST_AUDIO_FORMAT_S16LE, 0, 320, 0, G_MAXSIZE, false);
  GST_PAD_STREAM_UNLOCK (sink);
  gst_object_unref (sink);
  gst_harness_push_event (h, gst_event_new_eos ());

  auto stops = rec.spans (GST_VOICE_SPEECH_STOP);
  fail_unless_equals_int (stops.size (), 2);
  for (guint i = 0; i < 2; i++) {
    GstClockTime base = i == 0 ? arrival : resume;
    fail_unless_equals_uint64 (stops[i].start, base + frame_start (s, head));
    fail_unless_equals_uint64 (stops[i].stop, base + frame_end (s, tail));
  }
  GstClockTime expected = arrival;
  guint discont = 0;
  for (const auto & i:rec.items) {
    if (!i.is_buffer)
      continue;
    if (i.pts == resume && expected < resume) {
      fail_unless (i.discont);
      expected = resume;
    }
    fail_unless_equals_uint64 (i.pts, expected);
    discont += i.discont;
    expected = i.end;
  }
  fail_unless_equals_uint64 (expected, resume + s.time_of (s.size ()));
  fail_unless (discont <= 2);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_timestamp_jump_is_silence)
{
  Recorder rec;
  Signal utt = Signal::load ("utterance-16k.wav");
  Signal s = Signal::silence (16000, 0.5);
  s.append (utt);
  gsize tail = s.size () - 1;
  GstHarness *h = segmenter_harness (&rec, 16000, GST_AUDIO_FORMAT_S16LE);

  push_signal (h, s, GST_AUDIO_FORMAT_S16LE, 0);
  /* the stream resumes 5 s later, silent */
  Signal quiet = Signal::silence (16000, 1.0);
  GstClockTime resume = s.time_of (s.size ()) + 5 * GST_SECOND;
  push_signal (h, quiet, GST_AUDIO_FORMAT_S16LE, resume);

  auto stops = rec.spans (GST_VOICE_SPEECH_STOP);
  fail_unless_equals_int (stops.size (), 1);
  fail_unless_equals_uint64 (stops[0].stop, frame_end (s, tail));
  gst_harness_teardown (h);
}

GST_END_TEST;

/* @seconds of a 300 Hz tone at -12 dBFS: a steady loud signal */
static Signal
tone (double seconds)
{
  Signal t = Signal::silence (16000, seconds);
  for (gsize i = 0; i < t.size (); i++)
    t.samples[i] = 0.25f * (float) std::sin (2 * G_PI * 300 * i / 16000.0);
  return t;
}

/* A jump that cuts a loud sound, then a short silence and speech: the
 * speech starts where it starts, not at the jump (the filter starts again
 * from rest, it does not ring from the sound before). */
GST_START_TEST (test_onset_after_a_jump)
{
  Recorder rec;
  Signal s = Signal::silence (16000, 0.5);
  s.append (tone (1.0));
  GstHarness *h = segmenter_harness (&rec, 16000, GST_AUDIO_FORMAT_S16LE);

  push_signal (h, s, GST_AUDIO_FORMAT_S16LE, 0);
  GstClockTime resume = s.time_of (s.size ()) + 1500 * MS;
  Signal next = Signal::silence (16000, 0.06);
  next.append (tone (1.0));
  push_signal (h, next, GST_AUDIO_FORMAT_S16LE, resume);
  gst_harness_push_event (h, gst_event_new_eos ());

  auto starts = rec.spans (GST_VOICE_SPEECH_START);
  fail_unless_equals_int (starts.size (), 2);
  fail_unless_equals_uint64 (starts[0].start, 500 * MS);
  fail_unless_equals_uint64 (starts[1].start, resume + 60 * MS);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_marked_spans)
{
  Recorder rec;
  /* the application knows its TTS: marks are taken as they are, no
   * detection runs (the audio here is silence) */
  Signal s = Signal::silence (16000, 3.0);
  GstHarness *h = segmenter_harness (&rec, 16000, GST_AUDIO_FORMAT_S16LE,
      "mode=marked speaker=bot role=agent padding=20000000");

  push_signal (h, s, GST_AUDIO_FORMAT_S16LE, 0, 320, 0, 16000);
  /* a mark without time: from the next sample on */
  fail_unless (gst_harness_push_event (h,
          gst_voice_event_new_speech_mark (TRUE, GST_CLOCK_TIME_NONE)));
  push_signal (h, s, GST_AUDIO_FORMAT_S16LE, GST_SECOND, 320, 16000, 24000);
  fail_unless (gst_harness_push_event (h,
          gst_voice_event_new_speech_mark (FALSE, GST_CLOCK_TIME_NONE)));
  /* a mark with a time exact to the sample */
  GstClockTime t = gst_util_uint64_scale_int (27777, GST_SECOND, 16000);
  fail_unless (gst_harness_push_event (h,
          gst_voice_event_new_speech_mark (TRUE, t)));
  push_signal (h, s, GST_AUDIO_FORMAT_S16LE, 1500 * MS, 320, 24000, 48000);
  gst_harness_push_event (h, gst_event_new_eos ());

  auto stops = rec.spans (GST_VOICE_SPEECH_STOP);
  fail_unless_equals_int (stops.size (), 2);
  fail_unless_equals_uint64 (stops[0].start, GST_SECOND);
  fail_unless_equals_uint64 (stops[0].stop, 1500 * MS);
  fail_unless_equals_uint64 (stops[1].start, t);
  fail_unless_equals_uint64 (stops[1].stop, 3 * GST_SECOND);   /* EOS */
  fail_unless (stops[0].marked);
  fail_unless_equals_uint64 (stops[0].padding, 20 * MS);
  fail_unless_equals_string (stops[0].speaker.c_str (), "bot");

  /* the start of the second span came before the buffer holding it */
  gssize ev = rec.index_of_event (GST_VOICE_SPEECH_START, 1);
  fail_unless (ev < rec.buffer_holding (t));
  /* marks are consumed, not forwarded */
  GstEvent *e;
  while ((e = gst_harness_try_pull_event (h))) {
    fail_if (gst_event_has_name (e, GST_VOICE_SPEECH_MARK_STRUCTURE));
    gst_event_unref (e);
  }
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Marked spans of one speaker never overlap: a start inside the previous
 * span ends it there while its stop waits for its audio, and else comes
 * after it; a stop before its start stops there. Each with a warning. */
GST_START_TEST (test_marked_spans_do_not_overlap)
{
  Recorder rec;
  Signal s = Signal::silence (16000, 6.0);
  GstHarness *h = segmenter_harness (&rec, 16000, GST_AUDIO_FORMAT_S16LE,
      "mode=marked role=agent");
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (h->element, bus);
  auto mark = [h](gboolean speaking, GstClockTime t) {
    fail_unless (gst_harness_push_event (h,
            gst_voice_event_new_speech_mark (speaking, t)));
  };

  /* 0.5 to 1.0, then a start at 0.7 once 1.0 is past */
  mark (TRUE, 500 * MS);
  mark (FALSE, GST_SECOND);
  push_signal (h, s, GST_AUDIO_FORMAT_S16LE, 0, 320, 0, 24000);
  mark (TRUE, 700 * MS);
  mark (FALSE, 2 * GST_SECOND);
  fail_unless_equals_int (count_warnings (bus, GST_STREAM_ERROR,
          GST_STREAM_ERROR_FORMAT), 1);
  /* 2.5 to a stop given at 4.0, then a start at 3.0 while 4.0 is still to
   * come */
  push_signal (h, s, GST_AUDIO_FORMAT_S16LE, 1500 * MS, 320, 24000, 40000);
  mark (TRUE, 2500 * MS);
  mark (FALSE, 4 * GST_SECOND);
  mark (TRUE, 3 * GST_SECOND);
  mark (FALSE, 3500 * MS);
  fail_unless_equals_int (count_warnings (bus, GST_STREAM_ERROR,
          GST_STREAM_ERROR_FORMAT), 1);
  /* a stop before its start */
  mark (TRUE, 5 * GST_SECOND);
  mark (FALSE, 4800 * MS);
  fail_unless_equals_int (count_warnings (bus, GST_STREAM_ERROR,
          GST_STREAM_ERROR_FORMAT), 1);
  push_signal (h, s, GST_AUDIO_FORMAT_S16LE, 2500 * MS, 320, 40000);
  gst_harness_push_event (h, gst_event_new_eos ());

  auto stops = rec.spans (GST_VOICE_SPEECH_STOP);
  std::vector < std::pair < GstClockTime, GstClockTime > >want = {
    {500 * MS, GST_SECOND}, {GST_SECOND, 2 * GST_SECOND},
    {2500 * MS, 3 * GST_SECOND}, {3 * GST_SECOND, 3500 * MS},
    {5 * GST_SECOND, 5 * GST_SECOND},
  };
  fail_unless_equals_int (stops.size (), want.size ());
  for (gsize i = 0; i < want.size (); i++) {
    fail_unless_equals_uint64 (stops[i].start, want[i].first);
    fail_unless_equals_uint64 (stops[i].stop, want[i].second);
  }
  gst_element_set_bus (h->element, nullptr);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A bot that speaks first marks its start, timed, before its first
 * buffer: the span is the bot's, so its speaker goes out before it. */
GST_START_TEST (test_marked_start_before_audio)
{
  Recorder rec;
  Signal s = Signal::silence (16000, 1.0);
  GstHarness *h = segmenter_harness (&rec, 16000, GST_AUDIO_FORMAT_S16LE,
      "mode=marked speaker=bot role=agent");
  fail_unless (gst_harness_push_event (h,
          gst_voice_event_new_speech_mark (TRUE, 0)));
  /* a segment again, as appsrc sends before its first buffer */
  GstSegment seg;
  gst_segment_init (&seg, GST_FORMAT_TIME);
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&seg)));
  push_signal (h, s, GST_AUDIO_FORMAT_S16LE, 0);
  fail_unless (gst_harness_push_event (h,
          gst_voice_event_new_speech_mark (FALSE, 500 * MS)));
  gst_harness_push_event (h, gst_event_new_eos ());

  auto stops = rec.spans (GST_VOICE_SPEECH_STOP);
  fail_unless_equals_int (stops.size (), 1);
  fail_unless_equals_uint64 (stops[0].start, 0);
  fail_unless_equals_uint64 (stops[0].stop, 500 * MS);

  bool speaker_seen = false, start_seen = false;
  while (GstEvent * e = gst_harness_try_pull_event (h)) {
    gchar *name;
    GstVoiceRole role;
    if (gst_voice_event_parse_speaker (e, &name, &role)) {
      fail_unless_equals_string (name, "bot");
      fail_unless_equals_int (role, GST_VOICE_ROLE_AGENT);
      g_free (name);
      speaker_seen = true;
    }
    if (gst_event_has_name (e, GST_VOICE_SPEECH_START_STRUCTURE)) {
      fail_unless (speaker_seen, "the span's start came before its speaker");
      start_seen = true;
    }
    gst_event_unref (e);
  }
  fail_unless (start_seen);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* The latency a segmenter with @props answers, 20 ms upstream included. */
static GstClockTime
latency_with (const gchar * props)
{
  Recorder rec;
  GstHarness *h = segmenter_harness (&rec, 16000, GST_AUDIO_FORMAT_S16LE,
      props);
  gst_harness_set_upstream_latency (h, 20 * MS);
  gst_harness_play (h);
  GstClockTime latency = gst_harness_query_latency (h);
  gst_harness_teardown (h);
  return latency;
}

GST_START_TEST (test_latency)
{
  /* min-speech 50 ms + 100 ms lookback + 20 ms of frame slack, 40 ms for
   * a live stream that stops, 20 ms upstream */
  fail_unless_equals_uint64 (latency_with (nullptr), 230 * MS);
  fail_unless_equals_uint64 (latency_with ("min-speech=100000000"),
      280 * MS);
  /* over 200 ms the window grows by half of it, not by 100 ms */
  fail_unless_equals_uint64 (latency_with ("min-speech=1000000000"),
      1580 * MS);
  fail_unless_equals_uint64 (latency_with ("mode=marked"), 20 * MS);
}

GST_END_TEST;

GST_START_TEST (test_speaker_is_sticky)
{
  Recorder rec;
  Signal s = Signal::silence (16000, 0.1);
  GstHarness *h = segmenter_harness (&rec, 16000, GST_AUDIO_FORMAT_S16LE,
      "speaker=caller-1 role=user");
  push_signal (h, s, GST_AUDIO_FORMAT_S16LE, 0);

  GstEvent *ev = gst_pad_get_sticky_event (h->sinkpad,
      GST_EVENT_CUSTOM_DOWNSTREAM_STICKY, 0);
  fail_unless (ev != nullptr);
  gchar *name;
  GstVoiceRole role;
  fail_unless (gst_voice_event_parse_speaker (ev, &name, &role));
  fail_unless_equals_string (name, "caller-1");
  fail_unless_equals_int (role, GST_VOICE_ROLE_USER);
  g_free (name);
  gst_event_unref (ev);

  /* a new identity while playing replaces it, behind the audio of the
   * old one that is still held back */
  g_object_set (h->element, "speaker", "caller-2", "role",
      GST_VOICE_ROLE_AGENT, nullptr);
  Signal more = Signal::silence (16000, 0.5);
  push_signal (h, more, GST_AUDIO_FORMAT_S16LE, 100 * MS);
  ev = gst_pad_get_sticky_event (h->sinkpad,
      GST_EVENT_CUSTOM_DOWNSTREAM_STICKY, 0);
  fail_unless (gst_voice_event_parse_speaker (ev, &name, &role));
  fail_unless_equals_string (name, "caller-2");
  fail_unless_equals_int (role, GST_VOICE_ROLE_AGENT);
  g_free (name);
  gst_event_unref (ev);
  gst_harness_teardown (h);

  /* without a name the role names the speaker */
  h = segmenter_harness (&rec, 16000, GST_AUDIO_FORMAT_S16LE, "role=agent");
  push_signal (h, s, GST_AUDIO_FORMAT_S16LE, 0);
  ev = gst_pad_get_sticky_event (h->sinkpad,
      GST_EVENT_CUSTOM_DOWNSTREAM_STICKY, 0);
  fail_unless (gst_voice_event_parse_speaker (ev, &name, nullptr));
  fail_unless_equals_string (name, "agent");
  g_free (name);
  gst_event_unref (ev);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_messages_on_the_bus)
{
  Recorder rec;
  gsize head, tail;
  Signal s = utterance_in_silence ("utterance-16k.wav", 0.5, &head, &tail);
  GstHarness *h = segmenter_harness (&rec, 16000, GST_AUDIO_FORMAT_S16LE,
      "speaker=alice");
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (h->element, bus);

  GstSegment seg;
  gst_segment_init (&seg, GST_FORMAT_TIME);
  seg.base = 7 * GST_SECOND;    /* running time = timestamp + 7 s */
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&seg)));
  push_signal (h, s, GST_AUDIO_FORMAT_S16LE, 0);

  const gchar *names[] = { GST_VOICE_SPEECH_START_STRUCTURE,
    GST_VOICE_SPEECH_STOP_STRUCTURE
  };
  GstClockTime times[] = { frame_start (s, head), frame_end (s, tail) };
  for (int i = 0; i < 2; i++) {
    GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT);
    fail_unless (msg != nullptr);
    const GstStructure *st = gst_message_get_structure (msg);
    fail_unless (gst_structure_has_name (st, names[i]));
    guint64 ts, rt, stream;
    fail_unless (gst_structure_get_uint64 (st, "timestamp", &ts));
    fail_unless (gst_structure_get_uint64 (st, "running-time", &rt));
    fail_unless (gst_structure_get_uint64 (st, "stream-time", &stream));
    fail_unless_equals_uint64 (ts, times[i]);
    fail_unless_equals_uint64 (rt, times[i] + 7 * GST_SECOND);
    fail_unless_equals_uint64 (stream, times[i]);
    GstVoiceSpeech sp;
    fail_unless (gst_voice_message_parse_speech (msg, &sp));
    fail_unless_equals_string (sp.speaker, "alice");
    fail_unless_equals_uint64 (sp.start_running_time,
        frame_start (s, head) + 7 * GST_SECOND);
    gst_voice_speech_clear (&sp);
    gst_message_unref (msg);
  }
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT) == nullptr);

  gst_element_set_bus (h->element, nullptr);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* The spans of @s, pushed as F32LE; the warnings posted, if @warnings. */
static std::vector < Item >
float_spans (const Signal & s, std::vector < std::string > *warnings)
{
  Recorder rec;
  GstHarness *h = segmenter_harness (&rec, 16000, GST_AUDIO_FORMAT_F32LE);
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (h->element, bus);
  fail_unless_equals_int (push_signal (h, s, GST_AUDIO_FORMAT_F32LE, 0),
      GST_FLOW_OK);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  while (GstMessage * msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING)) {
    GError *err;
    gchar *debug;
    gst_message_parse_warning (msg, &err, &debug);
    if (warnings)
      warnings->push_back (debug);
    g_error_free (err);
    g_free (debug);
    gst_message_unref (msg);
  }
  gst_element_set_bus (h->element, nullptr);
  gst_object_unref (bus);
  gst_harness_teardown (h);
  return rec.spans (GST_VOICE_SPEECH_STOP);
}

GST_START_TEST (test_float_samples_not_numbers)
{
  /* two utterances; a NaN inside the first, infinities in the silence
   * between them: both found as without them, with one warning */
  gsize head, tail;
  Signal clean = utterance_in_silence ("utterance-16k.wav", 0.5, &head,
      &tail);
  clean.append (utterance_in_silence ("utterance-16k.wav", 0.5));
  Signal bad = clean;
  bad.samples[(head + tail) / 2] = NAN;
  bad.samples[tail + 8000] = INFINITY;
  bad.samples[tail + 8001] = -INFINITY;

  std::vector < std::string > warnings;
  std::vector < Item > want = float_spans (clean, nullptr);
  std::vector < Item > got = float_spans (bad, &warnings);
  fail_unless_equals_int (want.size (), 2);
  fail_unless_equals_int (got.size (), 2);
  for (gsize i = 0; i < got.size (); i++) {
    fail_unless_equals_uint64 (got[i].start, want[i].start);
    fail_unless_equals_uint64 (got[i].stop, want[i].stop);
  }
  fail_unless_equals_int (warnings.size (), 1);
  fail_unless (warnings[0].find ("not numbers") != std::string::npos,
      "%s", warnings[0].c_str ());
}

GST_END_TEST;

GST_START_TEST (test_invalid_speaker_rejected)
{
  const gchar *bad[] = { "../x", "/etc", "a b", "caf\xc3\xa9",
    "0123456789012345678901234567890123456789012345678901234567890123X"
  };

  for (const gchar * name:bad) {
    GstElement *seg = gst_element_factory_make ("voicesegmenter", nullptr);
    GstBus *bus = gst_bus_new ();
    gst_element_set_bus (seg, bus);
    g_object_set (seg, "speaker", name, nullptr);

    /* the bad name is not taken */
    gchar *now;
    g_object_get (seg, "speaker", &now, nullptr);
    fail_unless (now == nullptr);
    g_free (now);

    fail_unless_equals_int (gst_element_set_state (seg, GST_STATE_READY),
        GST_STATE_CHANGE_FAILURE);
    GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    fail_unless (msg != nullptr);
    GError *err;
    gst_message_parse_error (msg, &err, nullptr);
    fail_unless (err->domain == GST_RESOURCE_ERROR);
    fail_unless (g_str_has_prefix (err->message, "Invalid speaker name"),
        "%s", err->message);
    g_error_free (err);
    gst_message_unref (msg);

    gst_element_set_state (seg, GST_STATE_NULL);
    gst_element_set_bus (seg, nullptr);
    gst_object_unref (bus);
    gst_object_unref (seg);
  }

  /* 64 characters of the alphabet are fine */
  GstElement *seg = gst_element_factory_make ("voicesegmenter", nullptr);
  const gchar *good =
      "Abc-_0123456789012345678901234567890123456789012345678901234567Z";
  fail_unless_equals_int (strlen (good), 64);
  g_object_set (seg, "speaker", good, nullptr);
  fail_unless_equals_int (gst_element_set_state (seg, GST_STATE_READY),
      GST_STATE_CHANGE_SUCCESS);
  gst_element_set_state (seg, GST_STATE_NULL);
  gst_object_unref (seg);
}

GST_END_TEST;

GST_START_TEST (test_serialized_events_keep_their_place)
{
  Recorder rec;
  gsize head, tail;
  Signal s = utterance_in_silence ("utterance-16k.wav", 0.5, &head, &tail);
  GstHarness *h = segmenter_harness (&rec, 16000, GST_AUDIO_FORMAT_S16LE);

  /* a tag 20 ms into the speech, as a decoder might send one: it must not
   * flush the audio held back ahead of the start event */
  gsize tag_at = head + 320;
  push_signal (h, s, GST_AUDIO_FORMAT_S16LE, 0, 320, 0, tag_at);
  fail_unless (gst_harness_push_event (h,
          gst_event_new_tag (gst_tag_list_new (GST_TAG_TITLE, "x",
                  nullptr))));
  push_signal (h, s, GST_AUDIO_FORMAT_S16LE, s.time_of (tag_at), 320, tag_at);
  gst_harness_push_event (h, gst_event_new_eos ());

  gssize ev = rec.index_of_event (GST_VOICE_SPEECH_START, 0);
  fail_unless (ev >= 0);
  fail_unless (ev < rec.buffer_holding (s.time_of (head)));

  /* and the tag came out after the audio that came before it */
  GstEvent *e;
  bool tag = false;
  while ((e = gst_harness_try_pull_event (h))) {
    tag |= GST_EVENT_TYPE (e) == GST_EVENT_TAG;
    gst_event_unref (e);
  }
  fail_unless (tag);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_timestamps_going_back)
{
  Recorder rec;
  Signal s = utterance_in_silence ("utterance-16k.wav", 0.5);
  GstHarness *h = segmenter_harness (&rec, 16000, GST_AUDIO_FORMAT_S16LE);

  push_signal (h, s, GST_AUDIO_FORMAT_S16LE, 0, 320, 0, 16000);
  guint before = gst_harness_buffers_received (h);
  /* the stream starts again at 0 without a new segment: nothing stalls,
   * the held audio goes out and the new audio follows with its delay */
  push_signal (h, s, GST_AUDIO_FORMAT_S16LE, 0, 320, 0, 16000);
  guint after = gst_harness_buffers_received (h);
  fail_unless (after >= before + 50 - 10, "%u then %u", before, after);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_rename_inside_a_span)
{
  Recorder rec;
  Signal s = utterance_in_silence ("utterance-16k.wav", 0.5);
  GstHarness *h = segmenter_harness (&rec, 16000, GST_AUDIO_FORMAT_S16LE,
      "speaker=ann");

  push_signal (h, s, GST_AUDIO_FORMAT_S16LE, 0, 320, 0, 24000);
  g_object_set (h->element, "speaker", "bob", nullptr);
  push_signal (h, s, GST_AUDIO_FORMAT_S16LE, s.time_of (24000), 320, 24000);

  /* the span ends as the speaker it started as */
  auto stops = rec.spans (GST_VOICE_SPEECH_STOP);
  auto starts = rec.spans (GST_VOICE_SPEECH_START);
  fail_unless_equals_int (stops.size (), 1);
  fail_unless_equals_string (starts[0].speaker.c_str (), "ann");
  fail_unless_equals_string (stops[0].speaker.c_str (), "ann");
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_latency_fixed_while_playing)
{
  Recorder rec;
  GstHarness *h = segmenter_harness (&rec, 16000, GST_AUDIO_FORMAT_S16LE);
  gst_harness_set_upstream_latency (h, 0);
  gst_harness_play (h);
  g_object_set (h->element, "min-speech", GST_SECOND, nullptr);
  /* min-speech only takes effect in READY: the delay in force stays */
  fail_unless_equals_uint64 (gst_harness_query_latency (h), 210 * MS);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_gap_before_caps)
{
  GstHarness *h = gst_harness_new ("voicesegmenter");
  gst_harness_play (h);
  gst_harness_push_event (h, gst_event_new_stream_start ("s"));
  GstSegment seg;
  gst_segment_init (&seg, GST_FORMAT_TIME);
  gst_harness_push_event (h, gst_event_new_segment (&seg));
  fail_unless (gst_harness_push_event (h, gst_event_new_gap (0, GST_SECOND)));
  fail_unless (gst_harness_push_event (h, gst_event_new_gap (GST_SECOND,
              GST_SECOND)));
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A run is cut short only by a speech event: it ends right before the
 * buffer (20 ms) that holds the event's time, or starts with it. */
static bool
at_boundary (const Recorder & rec, GstClockTime end)
{
  for (const auto & i:rec.items) {
    if (i.is_buffer)
      continue;
    GstClockTime at = i.kind == GST_VOICE_SPEECH_START ? i.start : i.stop;
    if (end <= at && at < end + 20 * MS)
      return true;
  }
  return false;
}

/* Without a live source the audio leaves in runs of about four seconds
 * (one hand-off into the timeline instead of 400): the same samples, the
 * events before the run that holds their audio, and no run across a
 * gap; the run after it is DISCONT. */
GST_START_TEST (test_offline_runs)
{
  Recorder rec;
  gsize head, tail;
  Signal s = utterance_in_silence ("utterance-16k.wav", 0.503, &head, &tail);
  GstHarness *h = segmenter_harness (&rec, 16000, GST_AUDIO_FORMAT_S16LE);
  gst_pad_set_query_function (h->srcpad, not_live_query);

  /* a later copy of it 10 s later: a gap */
  GstClockTime later = 10 * GST_SECOND;
  fail_unless_equals_int (push_signal (h, s, GST_AUDIO_FORMAT_S16LE, 0),
      GST_FLOW_OK);
  fail_unless_equals_int (push_signal (h, s, GST_AUDIO_FORMAT_S16LE, later),
      GST_FLOW_OK);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));

  /* input: 20 ms buffers; output: runs of four seconds, but for those cut
   * by an event and the last of each copy, each starting where the last
   * ended */
  GstClockTime copy_end = s.time_of (s.size ());
  GstClockTime expect = 0;
  guint n_runs = 0;
  gsize pos = 0;
  GstBuffer *buf;
  while ((buf = gst_harness_try_pull (h))) {
    GstClockTime pts = GST_BUFFER_PTS (buf);
    gsize n = gst_buffer_get_size (buf) / 2;
    GstClockTime end = pts + gst_util_uint64_scale_int (n, GST_SECOND, 16000);
    if (pts == later) {
      fail_unless_equals_uint64 (expect, copy_end);
      expect = later;
      pos = 0;
    }
    /* the run after the gap says so, as upstream did not: an aggregator
     * would take it for jitter and lay it where the last one ended */
    if (n_runs > 0)
      fail_unless_equals_int (GST_BUFFER_IS_DISCONT (buf), pts == later);
    fail_unless_equals_uint64 (pts, expect);
    fail_unless_equals_uint64 (GST_BUFFER_DURATION (buf), end - pts);
    if (end != copy_end && end != later + copy_end
        && end - pts < 4 * GST_SECOND)
      fail_unless (at_boundary (rec, end) || at_boundary (rec, pts), "a run of %"
          GST_TIME_FORMAT " at %" GST_TIME_FORMAT, GST_TIME_ARGS (end - pts),
          GST_TIME_ARGS (pts));
    GstMapInfo map;
    gst_buffer_map (buf, &map, GST_MAP_READ);
    for (gsize i = 0; i < n; i++, pos++) {
      gint want = CLAMP ((gint) (s.samples[pos] * 32768.0f), -32768, 32767);
      fail_unless_equals_int ((gint16) GST_READ_UINT16_LE (map.data + 2 * i),
          want);
    }
    gst_buffer_unmap (buf, &map);
    gst_buffer_unref (buf);
    expect = end;
    n_runs++;
  }
  fail_unless_equals_uint64 (expect, later + copy_end);
  /* 2 x 6 s of audio (300 buffers each), each copy with a start and a
   * stop: 4 runs each */
  fail_unless (n_runs <= 8, "%u runs", n_runs);

  /* the spans are those of the live case, each event before its audio */
  auto starts = rec.spans (GST_VOICE_SPEECH_START);
  auto stops = rec.spans (GST_VOICE_SPEECH_STOP);
  fail_unless_equals_int (starts.size (), 2);
  fail_unless_equals_int (stops.size (), 2);
  for (guint k = 0; k < 2; k++) {
    GstClockTime base = k ? later : 0;
    fail_unless_equals_uint64 (starts[k].start, base + frame_start (s, head));
    fail_unless_equals_uint64 (stops[k].stop, base + frame_end (s, tail));
    gssize ev = rec.index_of_event (GST_VOICE_SPEECH_START, k);
    fail_unless (ev < rec.buffer_holding (base + s.time_of (head)));
    ev = rec.index_of_event (GST_VOICE_SPEECH_STOP, k);
    fail_unless (ev < rec.buffer_holding (stops[k].stop));
  }
  gst_harness_teardown (h);
}

GST_END_TEST;

static Suite *
voicesegmenter_suite (void)
{
  Suite *s = suite_create ("voicesegmenter");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_onset_and_offset_to_the_frame);
  tcase_add_test (tc, test_long_min_speech);
  tcase_add_test (tc, test_audio_unchanged);
  tcase_add_test (tc, test_pause_inside_utterance);
  tcase_add_test (tc, test_gap_is_silence);
  tcase_add_test (tc, test_lost_packets_in_an_onset);
  tcase_add_test (tc, test_eos_while_speaking);
  tcase_add_test (tc, test_flush_resets);
  tcase_add_test (tc, test_live_audio_stops_coming);
  tcase_add_test (tc, test_live_audio_comes_late);
  tcase_add_test (tc, test_live_held_audio_leaves_when_due);
  tcase_add_test (tc, test_live_stall_blocked_downstream);
  tcase_add_test (tc, test_live_stall_flow_upstream);
  tcase_add_test (tc, test_live_stall_flow_ends_with_the_stream);
  tcase_add_test (tc, test_renegotiate_16k_to_8k);
  tcase_add_test (tc, test_renegotiate_across_a_jump);
  tcase_add_test (tc, test_span_closed_by_a_new_segment);
  tcase_add_test (tc, test_span_across_a_continuing_segment);
  tcase_add_test (tc, test_buffers_without_timestamps);
  tcase_add_test (tc, test_live_buffers_without_timestamps);
  tcase_add_test (tc, test_timestamp_jump_is_silence);
  tcase_add_test (tc, test_onset_after_a_jump);
  tcase_add_test (tc, test_marked_spans);
  tcase_add_test (tc, test_marked_spans_do_not_overlap);
  tcase_add_test (tc, test_marked_start_before_audio);
  tcase_add_test (tc, test_latency);
  tcase_add_test (tc, test_speaker_is_sticky);
  tcase_add_test (tc, test_messages_on_the_bus);
  tcase_add_test (tc, test_float_samples_not_numbers);
  tcase_add_test (tc, test_invalid_speaker_rejected);
  tcase_add_test (tc, test_serialized_events_keep_their_place);
  tcase_add_test (tc, test_timestamps_going_back);
  tcase_add_test (tc, test_rename_inside_a_span);
  tcase_add_test (tc, test_latency_fixed_while_playing);
  tcase_add_test (tc, test_gap_before_caps);
  tcase_add_test (tc, test_offline_runs);
  return s;
}

GST_CHECK_MAIN (voicesegmenter);
