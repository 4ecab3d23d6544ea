/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/audio/audio.h>
#include <gst/voice/voice.h>

#include "../checkutil.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#define MS GST_MSECOND
#define RATE 16000
#define CHUNK 160               /* 10 ms */

static GstCaps *
mono_caps (gint rate = RATE)
{
  GstAudioInfo info;
  gst_audio_info_set_format (&info, GST_AUDIO_FORMAT_S16LE, rate, 1, nullptr);
  return gst_audio_info_to_caps (&info);
}

/* one speaker's input: a harness on a request pad of the timeline */
struct Leg
{
  GstHarness *h;
  gint16 value;                 /* every sample of this leg */
  std::string name;
  GstVoiceRole role;
};

/* A timeline with one harnessed leg per speaker, every pad requested before
 * the call runs, each leg with its caps and voice-speaker event; the first
 * leg's harness also holds the output. */
struct Call
{
  std::vector < GstPad * >pads;
  std::vector < Leg > legs;

  /* @tl: a voicetimeline to use (taken), or NULL for a new one; with
   * @backwards, the pads are requested by name, the last one first */
  Call (const std::vector < Leg > &specs, GstElement * tl = nullptr,
      bool backwards = false)
  {
    if (!tl)
      tl = gst_element_factory_make ("voicetimeline", nullptr);
    for (gsize i = 0; i < specs.size (); i++) {
      gchar *name = g_strdup_printf ("sink_%u",
          (guint) (backwards ? specs.size () - 1 - i : i));
      pads.push_back (gst_element_request_pad_simple (tl, name));
      g_free (name);
    }
    for (const Leg & spec:specs) {
      Leg leg = spec;
      gchar *pad = g_strdup_printf ("sink_%u", (guint) legs.size ());
      leg.h = gst_harness_new_with_element (tl, pad, legs.empty ()? "src" :
          nullptr);
      g_free (pad);
      gst_harness_set_src_caps (leg.h, mono_caps ());
      fail_unless (gst_harness_push_event (leg.h,
              gst_voice_event_new_speaker (leg.name.c_str (), leg.role)));
      legs.push_back (leg);
    }
    gst_object_unref (tl);
  }

  ~Call ()
  {
    for (auto & leg:legs)
      gst_harness_teardown (leg.h);
    for (auto p:pads)
      gst_object_unref (p);
  }
};

/* the two legs most tests call with: alice (the user, every sample 1) and
 * bot (the agent, 2) */
static std::vector < Leg >
alice_and_bot ()
{
  return {
    {nullptr, 1, "alice", GST_VOICE_ROLE_USER},
    {nullptr, 2, "bot", GST_VOICE_ROLE_AGENT},
  };
}

/* 10 ms of @value from @sample on, at @rate */
static GstBuffer *
constant_buffer (gint16 value, guint64 sample, gint rate = RATE)
{
  guint n = rate / 100;
  GstBuffer *buf = gst_buffer_new_allocate (nullptr, n * 2, nullptr);
  GstMapInfo map;
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (guint i = 0; i < n; i++)
    GST_WRITE_UINT16_LE (map.data + 2 * i, (guint16) value);
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = gst_util_uint64_scale_int (sample, GST_SECOND, rate);
  GST_BUFFER_DURATION (buf) = 10 * MS;
  return buf;
}

static void
push_span (Leg & leg, GstVoiceSpeechKind kind, GstClockTime start,
    GstClockTime end)
{
  GstVoiceSpeech sp;
  gst_voice_speech_init (&sp);
  sp.kind = kind;
  sp.speaker = (gchar *) leg.name.c_str ();
  sp.role = leg.role;
  sp.start = sp.start_running_time = start;
  sp.end = sp.end_running_time = end;
  fail_unless (gst_harness_push_event (leg.h, gst_voice_event_new_speech
          (&sp)));
}

struct Output
{
  std::vector < gint16 > samples;       /* interleaved */
  guint channels = 0;
  std::vector < GstVoiceTimelineEvent > events;
  std::vector < GstVoiceSegment > segments;
  GstStructure *summary = nullptr;
  guint n_summaries = 0;
  /* the last speaker announced for each channel */
  std::map < guint, std::pair < std::string, GstVoiceRole > >speakers;

  ~Output ()
  {
    for (auto & e:events)
      gst_voice_timeline_event_clear (&e);
    for (auto & s:segments)
      gst_voice_segment_clear (&s);
    if (summary)
      gst_structure_free (summary);
  }
  const GstVoiceTimelineEvent *find (GstVoiceEventType type, guint nth = 0)
  {
    for (const auto & e:events)
      if (e.type == type && nth-- == 0)
        return &e;
    return nullptr;
  }
};

/* Reads what left the timeline until its EOS. */
static void
collect (GstHarness * out, Output & o)
{
  while (true) {
    GstEvent *ev = gst_harness_pull_event (out);
    GstEventType type = GST_EVENT_TYPE (ev);
    const GstStructure *s = gst_event_get_structure (ev);
    GstVoiceTimelineEvent te;
    GstVoiceSegment seg;
    guint channel;
    gchar *name;
    GstVoiceRole role;
    if (type == GST_EVENT_CAPS) {
      GstCaps *caps;
      GstAudioInfo info;
      gst_event_parse_caps (ev, &caps);
      fail_unless (gst_audio_info_from_caps (&info, caps));
      o.channels = GST_AUDIO_INFO_CHANNELS (&info);
    } else if (s && gst_voice_timeline_event_from_structure (s, &te)) {
      o.events.push_back (te);
    } else if (s && gst_voice_segment_from_structure (s, &seg)) {
      o.segments.push_back (seg);
    } else if (s && gst_voice_channel_structure_parse (s, &channel, &name,
            &role)) {
      o.speakers[channel] = {name, role};
      g_free (name);
    } else if (s && gst_structure_has_name (s, "voice-latency-summary")) {
      if (o.summary)
        gst_structure_free (o.summary);
      o.summary = gst_structure_copy (s);
      o.n_summaries++;
    }
    gst_event_unref (ev);
    if (type == GST_EVENT_EOS)
      break;
  }

  GstBuffer *buf;
  while ((buf = gst_harness_try_pull (out))) {
    GstMapInfo map;
    gst_buffer_map (buf, &map, GST_MAP_READ);
    const gint16 *s = (const gint16 *) map.data;
    o.samples.insert (o.samples.end (), s, s + map.size / 2);
    gst_buffer_unmap (buf, &map);
    gst_buffer_unref (buf);
  }
}

GST_START_TEST (test_three_speakers_one_leaves_early)
{
  Call call ( {
        {nullptr, 1000, "alice", GST_VOICE_ROLE_USER},
        {nullptr, 2000, "bot", GST_VOICE_ROLE_AGENT},
        {nullptr, 3000, "carol", GST_VOICE_ROLE_USER},
      });
  std::vector < Leg > &legs = call.legs;
  GstHarness *out = legs[0].h;

  /* 3 s of audio, 10 ms buffers round robin; carol hangs up at 1 s */
  const guint n_buffers = 300;
  for (guint i = 0; i < n_buffers; i++) {
    GstClockTime t = i * 10 * MS;
    /* spans, told before the audio they point at, as voicesegmenter does */
    if (t == 200 * MS)
      push_span (legs[0], GST_VOICE_SPEECH_START, 200 * MS, 0);
    if (t == 300 * MS)
      push_span (legs[2], GST_VOICE_SPEECH_START, 300 * MS, 0);
    if (t == 900 * MS)
      push_span (legs[0], GST_VOICE_SPEECH_STOP, 200 * MS, 800 * MS);
    if (t == 990 * MS)
      push_span (legs[2], GST_VOICE_SPEECH_STOP, 300 * MS, 950 * MS);
    if (t == 1200 * MS)
      push_span (legs[1], GST_VOICE_SPEECH_START, 1200 * MS, 0);
    /* alice talks over the bot at 2 s; it goes quiet at 2.25 s */
    if (t == 2000 * MS)
      push_span (legs[0], GST_VOICE_SPEECH_START, 2000 * MS, 0);
    if (t == 2250 * MS)
      push_span (legs[1], GST_VOICE_SPEECH_STOP, 1200 * MS, 2250 * MS);
    for (guint l = 0; l < 3; l++) {
      if (l == 2 && i >= 100)
        continue;
      fail_unless_equals_int (gst_harness_push (legs[l].h,
              constant_buffer (legs[l].value, i * CHUNK)), GST_FLOW_OK);
    }
    if (i == 99)
      fail_unless (gst_harness_push_event (legs[2].h, gst_event_new_eos ()));
  }
  for (auto & leg:legs)
    if (&leg != &legs[2])
      fail_unless (gst_harness_push_event (leg.h, gst_event_new_eos ()));

  Output o;
  collect (out, o);

  /* three channels, unpositioned; every sample in its channel, aligned;
   * carol's channel silent after she left */
  fail_unless_equals_int (o.channels, 3);
  fail_unless_equals_int (o.samples.size (), 3 * n_buffers * CHUNK);
  for (gsize f = 0; f < o.samples.size () / 3; f++) {
    fail_unless_equals_int (o.samples[3 * f], 1000);
    fail_unless_equals_int (o.samples[3 * f + 1], 2000);
    fail_unless_equals_int (o.samples[3 * f + 2], f < 100 * CHUNK ? 3000 : 0);
  }

  /* the timeline: the bot answers when the last user (carol) stopped */
  const GstVoiceTimelineEvent *answer =
      o.find (GST_VOICE_EVENT_AGENT_START_SPEAKING);
  fail_unless (answer && answer->has_latency);
  fail_unless_equals_float (answer->time, 1.2);
  fail_unless (G_APPROX_VALUE (answer->latency, 0.25, 1e-9), "latency %f",
      answer->latency);
  const GstVoiceTimelineEvent *in = o.find (GST_VOICE_EVENT_USER_INTERRUPT);
  fail_unless (in != nullptr);
  fail_unless_equals_float (in->time, 2.0);
  fail_unless_equals_string (in->metadata,
      "{\"speaker\": \"alice\", \"response_time\": 0.25}");

  /* segments: the bot's is truncated; alice's last one closes at the end */
  /* downstream is told which channel carries whom */
  fail_unless_equals_int (o.speakers.size (), 3);
  fail_unless (o.speakers[0] == std::make_pair (std::string ("alice"),
          GST_VOICE_ROLE_USER));
  fail_unless (o.speakers[1] == std::make_pair (std::string ("bot"),
          GST_VOICE_ROLE_AGENT));
  fail_unless (o.speakers[2] == std::make_pair (std::string ("carol"),
          GST_VOICE_ROLE_USER));

  fail_unless_equals_int (o.segments.size (), 4);
  for (const auto & s:o.segments) {
    fail_unless_equals_int (s.transcript_truncated,
        g_str_equal (s.speaker, "bot"));
    if (s.idx == 3)
      fail_unless_equals_float (s.end_time, 3.0);
  }
  /* the figures leave when they change (the answer, settled at 2.7 s) and
   * at the end (the interruption is only settled by EOS) */
  fail_unless_equals_int (o.n_summaries, 2);
  fail_unless (o.summary != nullptr);
  guint count;
  gdouble ttfb, irt;
  fail_unless (gst_structure_get_uint (o.summary, "count", &count));
  fail_unless_equals_int (count, 1);
  fail_unless (gst_structure_get_double (o.summary, "time-to-first-byte",
          &ttfb));
  fail_unless (G_APPROX_VALUE (ttfb, 0.25, 1e-9));
  fail_unless (gst_structure_get_double (o.summary,
          "interrupt-response-time", &irt));
  fail_unless (G_APPROX_VALUE (irt, 0.25, 1e-9));
}

GST_END_TEST;

/* Two legs that speak as @name; @renamed is what the second is called.
 * With @first_late, the first leg comes to @name only after the timeline
 * has taken the second leg's name. */
static void
check_same_name_on_two_legs (const gchar * name, const gchar * renamed,
    gboolean first_late = FALSE, gboolean backwards = FALSE)
{
  Call call ( {
        {nullptr, 1, first_late ? "someone" : name, GST_VOICE_ROLE_USER},
        {nullptr, 2, name, GST_VOICE_ROLE_USER},
      }, nullptr, backwards);
  std::vector < Leg > &legs = call.legs;
  if (first_late) {
    /* a serialized query returns once the aggregator has taken every
     * event before it */
    GstQuery *drain = gst_query_new_drain ();
    gst_pad_peer_query (legs[1].h->srcpad, drain);
    gst_query_unref (drain);
    fail_unless (gst_harness_push_event (legs[0].h,
            gst_voice_event_new_speaker (name, GST_VOICE_ROLE_USER)));
  }
  for (guint i = 0; i < 100; i++) {
    if (i == 10) {
      push_span (legs[0], GST_VOICE_SPEECH_START, 100 * MS, 0);
      push_span (legs[1], GST_VOICE_SPEECH_START, 100 * MS, 0);
    }
    if (i == 50) {
      push_span (legs[0], GST_VOICE_SPEECH_STOP, 100 * MS, 400 * MS);
      push_span (legs[1], GST_VOICE_SPEECH_STOP, 100 * MS, 450 * MS);
    }
    for (auto & leg:legs)
      gst_harness_push (leg.h, constant_buffer (leg.value, i * CHUNK));
  }
  for (auto & leg:legs)
    gst_harness_push_event (leg.h, gst_event_new_eos ());

  /* both spans kept, under two names, not merged into one */
  Output o;
  collect (legs[0].h, o);
  fail_unless_equals_int (o.segments.size (), 2);
  std::vector < std::string > names;
  for (const auto & seg:o.segments)
    names.push_back (seg.speaker);
  std::sort (names.begin (), names.end ());
  std::vector < std::string > expected = { name, renamed };
  std::sort (expected.begin (), expected.end ());
  fail_unless_equals_string (names[0].c_str (), expected[0].c_str ());
  fail_unless_equals_string (names[1].c_str (), expected[1].c_str ());
  fail_unless_equals_string (o.speakers[0].first.c_str (), name);
  fail_unless_equals_string (o.speakers[1].first.c_str (), renamed);
}

GST_START_TEST (test_same_name_on_two_legs)
{
  /* two segmenters left at their default name */
  check_same_name_on_two_legs ("user", "user-sink_1");
  /* a name as long as names go: cut to make room for the pad's */
  std::string longest (GST_VOICE_SPEAKER_NAME_MAX_LENGTH, 'a');
  std::string renamed = longest.substr (0,
      GST_VOICE_SPEAKER_NAME_MAX_LENGTH - 7) + "-sink_1";
  check_same_name_on_two_legs (longest.c_str (), renamed.c_str ());
  /* the second leg's name reached the timeline first: the names are still
   * taken in pad order as the call starts */
  check_same_name_on_two_legs ("user", "user-sink_1", TRUE);
  /* and by number, sink_1 requested before sink_0 */
  check_same_name_on_two_legs ("user", "user-sink_1", TRUE, TRUE);
}

GST_END_TEST;

/* The segmenter's role changed while its speaker talked: the span ends as
 * it started, an agent's start with an agent's stop. */
GST_START_TEST (test_role_changed_while_speaking)
{
  Call call (alice_and_bot ());
  std::vector < Leg > &legs = call.legs;
  for (guint i = 0; i < 100; i++) {
    if (i == 10)
      push_span (legs[1], GST_VOICE_SPEECH_START, 100 * MS, 0);
    if (i == 30) {
      fail_unless (gst_harness_push_event (legs[1].h,
              gst_voice_event_new_speaker ("bot", GST_VOICE_ROLE_USER)));
      legs[1].role = GST_VOICE_ROLE_USER;
    }
    if (i == 50)
      push_span (legs[1], GST_VOICE_SPEECH_STOP, 100 * MS, 400 * MS);
    for (auto & leg:legs)
      gst_harness_push (leg.h, constant_buffer (leg.value, i * CHUNK));
  }
  for (auto & leg:legs)
    gst_harness_push_event (leg.h, gst_event_new_eos ());

  Output o;
  collect (legs[0].h, o);
  fail_unless_equals_int (o.segments.size (), 1);
  fail_unless_equals_int (o.segments[0].role, GST_VOICE_ROLE_AGENT);
  fail_unless_equals_int (o.events.size (), 2);
  fail_unless_equals_int (o.events[0].type,
      GST_VOICE_EVENT_AGENT_START_SPEAKING);
  fail_unless_equals_int (o.events[1].type,
      GST_VOICE_EVENT_AGENT_STOP_SPEAKING);
  fail_unless_equals_float (o.events[1].time, 0.4);
  /* the channel is announced with its new role */
  fail_unless_equals_int (o.speakers[1].second, GST_VOICE_ROLE_USER);
}

GST_END_TEST;

static guint64
uint64_property (GstElement * e, const gchar * name)
{
  guint64 v;
  g_object_get (e, name, &v, nullptr);
  return v;
}

/* settle-time set during a call is for the next: this call's spans are
 * still decided 1.5 s after them, and the sink's lookback, told the call's
 * settle-time as it started, still holds their audio. */
GST_START_TEST (test_settle_time_kept_for_the_call)
{
  Call call (alice_and_bot ());
  std::vector < Leg > &legs = call.legs;
  GstElement *tl = legs[0].h->element;
  for (guint i = 0; i < 300; i++) {
    if (i == 10)
      push_span (legs[0], GST_VOICE_SPEECH_START, 100 * MS, 0);
    if (i == 40)
      push_span (legs[0], GST_VOICE_SPEECH_STOP, 100 * MS, 400 * MS);
    if (i == 50)
      g_object_set (tl, "settle-time", 10 * GST_SECOND, nullptr);
    for (auto & leg:legs)
      gst_harness_push (leg.h, constant_buffer (leg.value, i * CHUNK));
  }
  /* 3 s in, before any EOS: the span is out */
  guint segments = 0;
  GstEvent *ev;
  while ((ev = gst_harness_try_pull_event (legs[0].h))) {
    const GstStructure *s = gst_event_get_structure (ev);
    if (s && gst_structure_has_name (s, GST_VOICE_SEGMENT_STRUCTURE))
      segments++;
    gst_event_unref (ev);
  }
  fail_unless_equals_int (segments, 1);
  /* kept for the next call */
  fail_unless_equals_uint64 (uint64_property (tl, "settle-time"),
      10 * GST_SECOND);
}

GST_END_TEST;

/* A live leg's audio that comes after the output passed it is dropped by
 * the base class: a warning names the pad, once per call, and a QoS
 * message tells of every drop. */
GST_START_TEST (test_late_audio_warned)
{
  Call call (alice_and_bot ());
  std::vector < Leg > &legs = call.legs;
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (legs[0].h->element, bus);
  for (guint i = 0; i < 100; i++)
    for (auto & leg:legs)
      gst_harness_push (leg.h, constant_buffer (leg.value, i * CHUNK));
  /* a second in: twice 10 ms of 300 ms ago on the first leg (the second
   * leg goes on beside them: the aggregator takes nothing until every leg
   * has audio) */
  for (guint late = 0; late < 2; late++) {
    GstBuffer *buf = constant_buffer (legs[0].value, (30 + late) * CHUNK);
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
    gst_harness_push (legs[0].h, buf);
    gst_harness_push (legs[1].h, constant_buffer (legs[1].value,
            (100 + late) * CHUNK));
  }
  for (guint i = 100; i < 150; i++) {
    gst_harness_push (legs[0].h, constant_buffer (legs[0].value, i * CHUNK));
    if (i + 2 < 150)
      gst_harness_push (legs[1].h, constant_buffer (legs[1].value,
              (i + 2) * CHUNK));
  }
  for (auto & leg:legs)
    gst_harness_push_event (leg.h, gst_event_new_eos ());
  Output o;
  collect (legs[0].h, o);

  guint warnings = 0, qos = 0;
  GstMessage *msg;
  while ((msg = gst_bus_pop (bus))) {
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING) {
      GError *err;
      gst_message_parse_warning (msg, &err, nullptr);
      fail_unless (g_error_matches (err, GST_STREAM_ERROR,
              GST_STREAM_ERROR_FAILED));
      fail_unless_equals_string (err->message,
          "Audio on sink_0 came too late and was dropped from the recording");
      g_error_free (err);
      warnings++;
    } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_QOS) {
      fail_unless_equals_string (GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)),
          "sink_0");
      qos++;
    }
    gst_message_unref (msg);
  }
  fail_unless_equals_int (warnings, 1);
  fail_unless_equals_int (qos, 2);
  /* the output is whole, the late audio not in it */
  fail_unless_equals_int (o.samples.size (), 2 * 150 * CHUNK);
  for (gsize f = 0; f < 150 * CHUNK; f++)
    fail_unless_equals_int (o.samples[2 * f], 1);
  gst_element_set_bus (legs[0].h->element, nullptr);
  gst_object_unref (bus);
}

GST_END_TEST;

/* A call of alice and bot with a bus of its own: 0.5 s of both legs,
 * alice speaking from 0.1 s on */
struct TalkingCall
{
  Call call;
  std::vector < Leg > &legs;
  GstElement *tl;
  GstBus *bus;

  TalkingCall ()
  : call (alice_and_bot ()), legs (call.legs), tl (legs[0].h->element),
      bus (gst_bus_new ())
  {
    gst_element_set_bus (tl, bus);
    for (guint i = 0; i < 50; i++) {
      if (i == 10)
        push_span (legs[0], GST_VOICE_SPEECH_START, 100 * MS, 0);
      for (auto & leg:legs)
        gst_harness_push (leg.h, constant_buffer (leg.value, i * CHUNK));
    }
  }

  ~TalkingCall ()
  {
    gst_element_set_bus (tl, nullptr);
    gst_object_unref (bus);
  }
};

/* The output goes away, as at a hang-up: each buffer the timeline pushes
 * from now on is refused (counted in @refused) */
static void
refuse_output (GstElement * tl, gint * refused)
{
  GstPad *src = gst_element_get_static_pad (tl, "src");
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER,[](GstPad *,
          GstPadProbeInfo * info, gpointer user_data) {
        g_atomic_int_inc ((gint *) user_data);
        gst_buffer_unref (GST_PAD_PROBE_INFO_BUFFER (info));
        GST_PAD_PROBE_INFO_DATA (info) = nullptr;
        GST_PAD_PROBE_INFO_FLOW_RETURN (info) = GST_FLOW_FLUSHING;
        return GST_PAD_PROBE_HANDLED;
      }, refused, nullptr);
  gst_object_unref (src);
}

/* A hang-up fails the push of the output buffer in flight: the sink never
 * had it. The span open at the hang-up ends with the last audio that the
 * output took, in the segment posted on the bus as in the sink's records. */
GST_START_TEST (test_hang_up_ends_with_the_delivered_audio)
{
  TalkingCall call;
  std::vector < Leg > &legs = call.legs;
  GstElement *tl = call.tl;
  GstBus *bus = call.bus;
  /* 0.4 s out (the output buffers are 20 ms); then the output goes away */
  while (gst_harness_buffers_received (legs[0].h) < 20)
    g_usleep (1000);
  gint refused = 0;
  refuse_output (tl, &refused);
  for (guint i = 50; i < 60; i++)
    for (auto & leg:legs)
      gst_harness_push (leg.h, constant_buffer (leg.value, i * CHUNK));
  gst_element_set_state (tl, GST_STATE_NULL);
  fail_unless (g_atomic_int_get (&refused) > 0);

  /* what the output took */
  gsize frames = 0;
  GstBuffer *buf;
  while ((buf = gst_harness_try_pull (legs[0].h))) {
    frames += gst_buffer_get_size (buf) / 4;
    gst_buffer_unref (buf);
  }
  fail_unless (frames >= 40 * CHUNK && frames < 60 * CHUNK);
  guint segments = 0;
  GstMessage *msg;
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    GstVoiceSegment seg;
    if (gst_voice_segment_from_structure (gst_message_get_structure (msg),
            &seg)) {
      fail_unless_equals_float (seg.start_time, 0.1);
      fail_unless_equals_float (seg.end_time, (gdouble) frames / RATE);
      gst_voice_segment_clear (&seg);
      segments++;
    }
    gst_message_unref (msg);
  }
  fail_unless_equals_int (segments, 1);
}

GST_END_TEST;

/* A leg's boundary comes before its audio: at a hang-up the timeline may
 * hold boundaries of audio that the output never took. The recording ends
 * with the delivered audio: a span that stops after it ends there, one
 * that starts after it is not in the recording. */
GST_START_TEST (test_hang_up_drops_boundaries_past_the_audio)
{
  TalkingCall call;
  std::vector < Leg > &legs = call.legs;
  GstElement *tl = call.tl;
  GstBus *bus = call.bus;
  /* all of it out, then the output goes away */
  gsize frames = 0;
  while (frames < 50 * CHUNK) {
    GstBuffer *buf = gst_harness_pull (legs[0].h);
    frames += gst_buffer_get_size (buf) / 4;
    gst_buffer_unref (buf);
  }
  fail_unless_equals_int (frames, 50 * CHUNK);
  gint refused = 0;
  refuse_output (tl, &refused);
  /* taken with the next output buffer, which is refused */
  push_span (legs[0], GST_VOICE_SPEECH_STOP, 100 * MS, 550 * MS);
  push_span (legs[1], GST_VOICE_SPEECH_START, 520 * MS, 0);
  for (guint i = 50; i < 60; i++)
    for (auto & leg:legs)
      gst_harness_push (leg.h, constant_buffer (leg.value, i * CHUNK));
  gst_element_set_state (tl, GST_STATE_NULL);
  fail_unless (g_atomic_int_get (&refused) > 0);
  fail_if (gst_harness_try_pull (legs[0].h));

  std::vector < GstVoiceSegment > segments;
  std::vector < GstVoiceEventType > events;
  GstMessage *msg;
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    const GstStructure *s = gst_message_get_structure (msg);
    GstVoiceSegment seg;
    GstVoiceTimelineEvent ev;
    if (gst_voice_segment_from_structure (s, &seg)) {
      segments.push_back (seg);
    } else if (gst_voice_timeline_event_from_structure (s, &ev)) {
      events.push_back (ev.type);
      fail_unless (ev.time <= 0.5, "%s at %f, after the audio",
          gst_voice_event_type_to_string (ev.type), ev.time);
      gst_voice_timeline_event_clear (&ev);
    }
    gst_message_unref (msg);
  }
  fail_unless_equals_int (segments.size (), 1);
  fail_unless_equals_string (segments[0].speaker, "alice");
  fail_unless_equals_float (segments[0].start_time, 0.1);
  fail_unless_equals_float (segments[0].end_time, 0.5);
  for (auto & s:segments)
    gst_voice_segment_clear (&s);
  fail_unless (events == std::vector < GstVoiceEventType > ( {
              GST_VOICE_EVENT_USER_START_SPEAKING,
              GST_VOICE_EVENT_USER_STOP_SPEAKING}));
}

GST_END_TEST;

/* Sends @seek up from the output: refused, with a warning that names it,
 * and no leg sees it. */
static void
check_seek_refused (Call & call, GstBus * bus, GstEvent * seek)
{
  fail_if (gst_harness_push_upstream_event (call.legs[0].h, seek));
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != nullptr);
  GError *err;
  gchar *debug;
  gst_message_parse_warning (msg, &err, &debug);
  fail_unless (g_error_matches (err, GST_CORE_ERROR, GST_CORE_ERROR_SEEK));
  fail_unless (strstr (err->message, "flush") != nullptr);
  g_error_free (err);
  g_free (debug);
  gst_message_unref (msg);
  for (auto & leg:call.legs) {
    GstEvent *ev;
    while ((ev = gst_harness_try_pull_upstream_event (leg.h))) {
      fail_if (GST_EVENT_TYPE (ev) == GST_EVENT_SEEK);
      gst_event_unref (ev);
    }
  }
}

GST_START_TEST (test_seek_that_keeps_time_refused)
{
  Call call (alice_and_bot ());
  std::vector < Leg > &legs = call.legs;
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (legs[0].h->element, bus);
  for (guint i = 0; i < 100; i++) {
    if (i == 10)
      push_span (legs[0], GST_VOICE_SPEECH_START, 100 * MS, 0);
    if (i == 40)
      push_span (legs[0], GST_VOICE_SPEECH_STOP, 100 * MS, 400 * MS);
    if (i == 50) {
      /* back to the start without a flush, and a flushing seek at twice
       * the speed: either would put audio and speech apart */
      check_seek_refused (call, bus, gst_event_new_seek (1.0,
              GST_FORMAT_TIME, GST_SEEK_FLAG_ACCURATE, GST_SEEK_TYPE_SET, 0,
              GST_SEEK_TYPE_NONE, -1));
      check_seek_refused (call, bus, gst_event_new_seek (2.0,
              GST_FORMAT_TIME, GST_SEEK_FLAG_FLUSH, GST_SEEK_TYPE_SET, 0,
              GST_SEEK_TYPE_NONE, -1));
    }
    for (auto & leg:legs)
      gst_harness_push (leg.h, constant_buffer (leg.value, i * CHUNK));
  }
  for (auto & leg:legs)
    gst_harness_push_event (leg.h, gst_event_new_eos ());

  /* the recording went on as if nothing had been asked */
  Output o;
  collect (legs[0].h, o);
  fail_unless_equals_int (o.segments.size (), 1);
  fail_unless (G_APPROX_VALUE (o.segments[0].start_time, 0.1, 1e-9));
  fail_unless (G_APPROX_VALUE (o.segments[0].end_time, 0.4, 1e-9));
  fail_unless_equals_int (o.channels, 2);
  fail_unless_equals_int (o.samples.size (), 2 * 100 * CHUNK);
  for (gsize i = 0; i < o.samples.size (); i += 2) {
    fail_unless_equals_int (o.samples[i], 1);
    fail_unless_equals_int (o.samples[i + 1], 2);
  }
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING) == nullptr);

  /* a flushing seek at rate 1.0 goes to every leg */
  fail_unless (gst_harness_push_upstream_event (legs[0].h,
          gst_event_new_seek (1.0, GST_FORMAT_TIME, GST_SEEK_FLAG_FLUSH,
              GST_SEEK_TYPE_SET, 0, GST_SEEK_TYPE_NONE, -1)));
  for (auto & leg:legs) {
    bool seeked = false;
    GstEvent *ev;
    while ((ev = gst_harness_try_pull_upstream_event (leg.h))) {
      seeked |= GST_EVENT_TYPE (ev) == GST_EVENT_SEEK;
      gst_event_unref (ev);
    }
    fail_unless (seeked);
  }
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING) == nullptr);
  gst_element_set_bus (legs[0].h->element, nullptr);
  gst_object_unref (bus);
}

GST_END_TEST;

GST_START_TEST (test_pads_while_running)
{
  GstElement *tl = gst_element_factory_make ("voicetimeline", nullptr);
  GstPad *p0 = gst_element_request_pad_simple (tl, "sink_%u");
  GstPad *p1 = gst_element_request_pad_simple (tl, "sink_%u");
  GstHarness *h = gst_harness_new_with_element (tl, "sink_0", "src");
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (tl, bus);
  gst_harness_play (h);

  /* no new speaker while running: a warning, not an abort */
  fail_unless (gst_element_request_pad_simple (tl, "sink_%u") == nullptr);
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != nullptr);
  gst_message_unref (msg);

  /* one hangs up: its channel stays, the others keep theirs */
  gst_element_release_request_pad (tl, p1);
  guint channel;
  g_object_get (p0, "channel", &channel, nullptr);
  fail_unless_equals_int (channel, 0);
  GST_OBJECT_LOCK (tl);
  guint n = GST_ELEMENT (tl)->numsinkpads;
  GST_OBJECT_UNLOCK (tl);
  fail_unless_equals_int (n, 1);

  gst_element_set_bus (tl, nullptr);
  gst_object_unref (bus);
  gst_harness_teardown (h);
  gst_object_unref (p0);
  gst_object_unref (p1);
  gst_object_unref (tl);
}

GST_END_TEST;

/* A leg released while its speaker talks, without EOS (as audiomixer's
 * inputs are let go): the span ends with the last audio of the leg, not
 * with the call. */
GST_START_TEST (test_released_while_speaking)
{
  Call call ( {
        {nullptr, 1, "alice", GST_VOICE_ROLE_USER},
        {nullptr, 2, "bob", GST_VOICE_ROLE_USER},
      });
  std::vector < Leg > &legs = call.legs;
  GstElement *tl = legs[0].h->element;
  for (guint i = 0; i < 100; i++) {
    if (i == 10)
      push_span (legs[1], GST_VOICE_SPEECH_START, 100 * MS, 0);
    if (i == 30) {
      gst_element_release_request_pad (tl, call.pads[1]);
      gst_harness_teardown (legs[1].h);
      legs.pop_back ();
    }
    for (auto & leg:legs)
      gst_harness_push (leg.h, constant_buffer (leg.value, i * CHUNK));
  }
  gst_harness_push_event (legs[0].h, gst_event_new_eos ());

  Output o;
  collect (legs[0].h, o);
  fail_unless_equals_int (o.segments.size (), 1);
  fail_unless_equals_string (o.segments[0].speaker, "bob");
  fail_unless (G_APPROX_VALUE (o.segments[0].start_time, 0.1, 1e-9));
  fail_unless (G_APPROX_VALUE (o.segments[0].end_time, 0.3, 1e-9));
  const GstVoiceTimelineEvent *stop =
      o.find (GST_VOICE_EVENT_USER_STOP_SPEAKING);
  fail_unless (stop != nullptr);
  fail_unless (G_APPROX_VALUE (stop->time, 0.3, 1e-9));
}

GST_END_TEST;

GST_START_TEST (test_pad_properties_and_layout)
{
  GstElement *tl = gst_element_factory_make ("voicetimeline", nullptr);
  GstPad *p0 = gst_element_request_pad_simple (tl, "sink_%u");
  GstPad *p1 = gst_element_request_pad_simple (tl, "sink_%u");

  /* by name through the child proxy, as sink_1::role=agent does */
  gst_child_proxy_set (GST_CHILD_PROXY (tl), "sink_1::role",
      GST_VOICE_ROLE_AGENT, "sink_1::speaker", "bot", nullptr);
  gchar *name;
  GstVoiceRole role;
  guint channel;
  g_object_get (p1, "speaker", &name, "role", &role, "channel", &channel,
      nullptr);
  fail_unless_equals_string (name, "bot");
  fail_unless_equals_int (role, GST_VOICE_ROLE_AGENT);
  fail_unless_equals_int (channel, 1);
  g_free (name);
  /* unset: the pad's name and the user role */
  g_object_get (p0, "speaker", &name, "role", &role, nullptr);
  fail_unless_equals_string (name, "sink_0");
  fail_unless_equals_int (role, GST_VOICE_ROLE_USER);
  g_free (name);

  /* channels follow the pad numbers, not the order of the requests */
  GstPad *p5 = gst_element_request_pad_simple (tl, "sink_5");
  GstPad *p3 = gst_element_request_pad_simple (tl, "sink_3");
  g_object_get (p3, "channel", &channel, nullptr);
  fail_unless_equals_int (channel, 2);
  g_object_get (p5, "channel", &channel, nullptr);
  fail_unless_equals_int (channel, 3);
  gst_element_release_request_pad (tl, p5);
  gst_element_release_request_pad (tl, p3);
  gst_object_unref (p5);
  gst_object_unref (p3);

  /* releasing the first renumbers the channels */
  gst_element_release_request_pad (tl, p0);
  g_object_get (p1, "channel", &channel, nullptr);
  fail_unless_equals_int (channel, 0);

  gst_object_unref (p0);
  gst_object_unref (p1);
  gst_object_unref (tl);
}

GST_END_TEST;

static void
push_text (GstHarness * h, GstClockTime start, GstClockTime end,
    const gchar * text)
{
  GstBuffer *buf = *text ? gst_buffer_new_memdup (text, strlen (text)) :
      gst_buffer_new ();
  GST_BUFFER_PTS (buf) = start;
  GST_BUFFER_DURATION (buf) = end - start;
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
}

/* Timed text on text_%u pads becomes the transcript of the segments it
 * overlaps: by the pad's number (text_1 is sink_1's speaker) or its
 * speaker property. Text pads come and go while the call runs, and one
 * that never gets data, or is flushed, does not hold the audio back. */
GST_START_TEST (test_text_pads)
{
  Call call ( {
        {nullptr, 1000, "alice", GST_VOICE_ROLE_USER},
        {nullptr, 2000, "bot", GST_VOICE_ROLE_AGENT},
      });
  std::vector < Leg > &legs = call.legs;
  GstElement *tl = gst_pad_get_parent_element (call.pads[0]);

  GstPad *bot_text = gst_element_request_pad_simple (tl, "text_1");
  GstPad *alice_text = gst_element_request_pad_simple (tl, "text_%u");
  GstPad *silent_text = gst_element_request_pad_simple (tl, "text_%u");
  fail_unless_equals_string (GST_PAD_NAME (alice_text), "text_2");
  fail_unless_equals_string (GST_PAD_NAME (silent_text), "text_3");
  g_object_set (alice_text, "speaker", "alice", nullptr);

  GstHarness *bot_h = gst_harness_new_with_element (tl, "text_1", nullptr);
  GstHarness *alice_h = gst_harness_new_with_element (tl, "text_2", nullptr);
  gst_harness_set_src_caps_str (bot_h, "text/x-raw, format=pango-markup");
  gst_harness_set_src_caps_str (alice_h, "text/x-raw, format=utf8");
  /* audio caps are refused */
  GstCaps *audio = mono_caps ();
  fail_if (gst_pad_query_accept_caps (silent_text, audio));
  gst_caps_unref (audio);

  /* the text comes first, as subparse reads a file */
  push_text (alice_h, 300 * MS, 500 * MS, "Hi");
  push_text (bot_h, 1200 * MS, 1600 * MS, "<i>Hello</i> &amp; welcome,");
  /* a buffer of no text (with no memory at all) is nothing */
  push_text (bot_h, 1600 * MS, 1700 * MS, "");
  push_text (bot_h, 1700 * MS, 2100 * MS, "how can\nI help?");
  /* a flush on a text pad: the audio goes on, and so does the text */
  fail_unless (gst_harness_push_event (alice_h, gst_event_new_flush_start ()));
  fail_unless (gst_harness_push_event (alice_h,
          gst_event_new_flush_stop (TRUE)));
  GstSegment segment;
  gst_segment_init (&segment, GST_FORMAT_TIME);
  fail_unless (gst_harness_push_event (alice_h,
          gst_event_new_segment (&segment)));
  push_text (alice_h, 2500 * MS, 2900 * MS, "Thanks.");

  const guint n_buffers = 300;
  for (guint i = 0; i < n_buffers; i++) {
    GstClockTime t = i * 10 * MS;
    if (t == 200 * MS)
      push_span (legs[0], GST_VOICE_SPEECH_START, 200 * MS, 0);
    if (t == 900 * MS)
      push_span (legs[0], GST_VOICE_SPEECH_STOP, 200 * MS, 800 * MS);
    if (t == 1200 * MS)
      push_span (legs[1], GST_VOICE_SPEECH_START, 1200 * MS, 0);
    if (t == 2300 * MS) {
      push_span (legs[1], GST_VOICE_SPEECH_STOP, 1200 * MS, 2250 * MS);
      push_span (legs[0], GST_VOICE_SPEECH_START, 2400 * MS, 0);
    }
    for (auto & leg:legs)
      fail_unless_equals_int (gst_harness_push (leg.h,
              constant_buffer (leg.value, i * CHUNK)), GST_FLOW_OK);
  }
  for (auto & leg:legs)
    fail_unless (gst_harness_push_event (leg.h, gst_event_new_eos ()));
  /* speech-to-text gives its last words as it drains, after the audio
   * ended: they are waited for, up to settle-time */
  push_text (alice_h, 2950 * MS, 3000 * MS, "(late)");
  fail_unless (gst_harness_push_event (alice_h, gst_event_new_eos ()));
  fail_unless (gst_harness_push_event (bot_h, gst_event_new_eos ()));

  Output o;
  collect (legs[0].h, o);
  fail_unless_equals_int (o.samples.size (), 2 * n_buffers * CHUNK);
  fail_unless_equals_int (o.segments.size (), 3);
  fail_unless_equals_string (o.segments[0].speaker, "alice");
  fail_unless_equals_string (o.segments[0].transcript, "Hi");
  fail_unless_equals_string (o.segments[1].speaker, "bot");
  fail_unless_equals_string (o.segments[1].transcript,
      "Hello & welcome, how can I help?");
  fail_unless_equals_string (o.segments[2].speaker, "alice");
  fail_unless_equals_string (o.segments[2].transcript, "Thanks. (late)");

  gst_harness_teardown (bot_h);
  gst_harness_teardown (alice_h);
  gst_element_release_request_pad (tl, silent_text);
  for (GstPad * p: {bot_text, alice_text, silent_text})
    gst_object_unref (p);
  gst_object_unref (tl);
}

GST_END_TEST;

/* Inputs of different rates are resampled to the output's (the highest
 * input rate when downstream leaves it open), in place to the sample. */
GST_START_TEST (test_different_rates)
{
  GstElement *tl = gst_element_factory_make ("voicetimeline", nullptr);
  GstPad *p0 = gst_element_request_pad_simple (tl, "sink_%u");
  GstPad *p1 = gst_element_request_pad_simple (tl, "sink_%u");
  GstHarness *narrow = gst_harness_new_with_element (tl, "sink_0", "src");
  GstHarness *wide = gst_harness_new_with_element (tl, "sink_1", nullptr);
  gst_harness_set_src_caps (narrow, mono_caps (8000));
  gst_harness_set_src_caps (wide, mono_caps ());
  fail_unless (gst_harness_push_event (narrow,
          gst_voice_event_new_speaker ("alice", GST_VOICE_ROLE_USER)));
  fail_unless (gst_harness_push_event (wide,
          gst_voice_event_new_speaker ("bot", GST_VOICE_ROLE_AGENT)));
  Leg alice = { narrow, 8000, "alice", GST_VOICE_ROLE_USER };

  /* 2 s: alice silent, then 8000 from 0.5 s to 1.5 s; the bot 1000 */
  for (guint i = 0; i < 200; i++) {
    GstClockTime t = i * 10 * MS;
    if (t == 500 * MS)
      push_span (alice, GST_VOICE_SPEECH_START, 500 * MS, 0);
    if (t == 1600 * MS)
      push_span (alice, GST_VOICE_SPEECH_STOP, 500 * MS, 1500 * MS);
    fail_unless_equals_int (gst_harness_push (narrow,
            constant_buffer (t >= 500 * MS && t < 1500 * MS ? 8000 : 0,
                i * 80, 8000)), GST_FLOW_OK);
    fail_unless_equals_int (gst_harness_push (wide,
            constant_buffer (1000, i * CHUNK)), GST_FLOW_OK);
  }
  fail_unless (gst_harness_push_event (narrow, gst_event_new_eos ()));
  fail_unless (gst_harness_push_event (wide, gst_event_new_eos ()));

  Output o;
  collect (narrow, o);
  GstPad *src = gst_element_get_static_pad (tl, "src");
  GstCaps *caps = gst_pad_get_current_caps (src);
  GstAudioInfo info;
  fail_unless (gst_audio_info_from_caps (&info, caps));
  gst_caps_unref (caps);
  gst_object_unref (src);
  fail_unless_equals_int (GST_AUDIO_INFO_RATE (&info), RATE);
  fail_unless_equals_int (o.channels, 2);
  fail_unless_equals_int (o.samples.size (), 2 * 2 * RATE);

  /* the wide leg untouched; the narrow one rises at 0.5 s, to the
   * sample (the resampler's own ripple aside) */
  gsize rise = G_MAXSIZE;
  for (gsize f = 0; f < o.samples.size () / 2; f++) {
    fail_unless_equals_int (o.samples[2 * f + 1], 1000);
    if (rise == G_MAXSIZE && o.samples[2 * f] > 4000)
      rise = f;
    if (f >= RATE * 6 / 10 && f < RATE * 14 / 10)
      fail_unless (ABS (o.samples[2 * f] - 8000) <= 40, "%d at %u",
          o.samples[2 * f], (guint) f);
  }
  fail_unless (rise >= RATE / 2 - 1 && rise <= RATE / 2 + 1, "rise at %u",
      (guint) rise);
  fail_unless_equals_int (o.segments.size (), 1);
  fail_unless_equals_float (o.segments[0].start_time, 0.5);
  fail_unless_equals_float (o.segments[0].end_time, 1.5);

  gst_harness_teardown (narrow);
  gst_harness_teardown (wide);
  gst_object_unref (p0);
  gst_object_unref (p1);
  gst_object_unref (tl);
}

GST_END_TEST;

/* A different value for every sample of every leg: misplaced samples
 * show. */
static gint16
ramp_value (guint leg, guint64 frame)
{
  return (gint16) ((leg + 1) * 1000 + frame % 997);
}

/* @n frames of leg @leg's ramp from @frame on; @layout 1 puts them at an
 * odd address, 2 in two memories */
static GstBuffer *
ramp_buffer (guint leg, guint64 frame, guint n, guint layout)
{
  guint offset = layout == 1 ? 1 : 0;
  GstBuffer *buf = gst_buffer_new_allocate (nullptr, offset + n * 2, nullptr);
  GstMapInfo map;
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  /* a byte at a time: GST_WRITE_UINT16_LE stores 16 bits at once */
  for (guint i = 0; i < n; i++) {
    guint16 v = (guint16) ramp_value (leg, frame + i);
    map.data[offset + 2 * i] = v & 0xff;
    map.data[offset + 2 * i + 1] = v >> 8;
  }
  gst_buffer_unmap (buf, &map);
  if (offset)
    gst_buffer_resize (buf, offset, n * 2);
  if (layout == 2) {
    GstBuffer *second = gst_buffer_copy_region (buf, GST_BUFFER_COPY_MEMORY,
        n, n);
    GstBuffer *first = gst_buffer_copy_region (buf, GST_BUFFER_COPY_MEMORY,
        0, n);
    gst_buffer_unref (buf);
    buf = gst_buffer_append (first, second);
    fail_unless_equals_int (gst_buffer_n_memory (buf), 2);
  }
  GST_BUFFER_PTS (buf) = gst_util_uint64_scale_int (frame, GST_SECOND, RATE);
  GST_BUFFER_DURATION (buf) = gst_util_uint64_scale_int (n, GST_SECOND, RATE);
  return buf;
}

/* Mono inputs go to their channel to the sample: 30 ms input buffers
 * into 250 ms output buffers (the offline default), so that an output
 * buffer begins inside an input; one leg's audio in buffers of changing
 * sizes, down to one sample (its padding is then a part of the zeros
 * made for the largest), one leg's at an odd address, one leg's in two
 * memories. */
GST_START_TEST (test_mono_inputs_placed_to_the_sample)
{
  Call call ( {
        {nullptr, 0, "alice", GST_VOICE_ROLE_USER},
        {nullptr, 0, "bob", GST_VOICE_ROLE_USER},
        {nullptr, 0, "bot", GST_VOICE_ROLE_AGENT},
      });
  for (auto & leg:call.legs)
    gst_pad_set_query_function (leg.h->srcpad, not_live_query);
  const guint n = 480, buffers = 100;
  const guint sizes[] = { 480, 1, 200, 479, 37 };
  guint64 pos0 = 0;
  guint next_size = 0;
  for (guint i = 0; i < buffers; i++) {
    while (pos0 < (guint64) (i + 1) * n) {
      guint m = (guint) MIN (sizes[next_size++ % G_N_ELEMENTS (sizes)],
          (guint64) (i + 1) * n - pos0);
      fail_unless_equals_int (gst_harness_push (call.legs[0].h,
              ramp_buffer (0, pos0, m, 0)), GST_FLOW_OK);
      pos0 += m;
    }
    for (guint k = 1; k < 3; k++)
      fail_unless_equals_int (gst_harness_push (call.legs[k].h,
              ramp_buffer (k, (guint64) i * n, n, k)), GST_FLOW_OK);
  }
  for (auto & leg:call.legs)
    fail_unless (gst_harness_push_event (leg.h, gst_event_new_eos ()));

  Output o;
  collect (call.legs[0].h, o);
  fail_unless_equals_int (o.channels, 3);
  fail_unless_equals_int (o.samples.size (), 3 * n * buffers);
  for (guint64 f = 0; f < n * buffers; f++)
    for (guint k = 0; k < 3; k++)
      fail_unless_equals_int (o.samples[3 * f + k], ramp_value (k, f));
}

GST_END_TEST;

/* A downstream that no longer takes the recording's rate mid-call gets a
 * not-negotiated error, not audio converted from the wrong positions (the
 * base class would read past the buffers its pads are in the middle of),
 * and what was given out stays. */
GST_START_TEST (test_output_format_change_refused)
{
  Call call ( {
        {nullptr, 1000, "alice", GST_VOICE_ROLE_USER},
        {nullptr, 2000, "bot", GST_VOICE_ROLE_AGENT},
      });
  GstHarness *out = call.legs[0].h;
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (out->element, bus);
  for (auto & leg:call.legs)
    gst_pad_set_query_function (leg.h->srcpad, not_live_query);
  const guint n = 480;
  for (guint i = 0; i < 30; i++)
    for (guint k = 0; k < 2; k++)
      fail_unless_equals_int (gst_harness_push (call.legs[k].h,
              ramp_buffer (k, (guint64) i * n, n, 0)), GST_FLOW_OK);
  /* 250 ms out: each pad is in the middle of a 30 ms buffer */
  GstBuffer *first = gst_harness_pull (out);
  GstMapInfo map;
  gst_buffer_map (first, &map, GST_MAP_READ);
  fail_unless_equals_int (map.size, 4000 * 2 * 2);
  for (guint f = 0; f < 4000; f++)
    for (guint k = 0; k < 2; k++)
      fail_unless_equals_int ((gint16) GST_READ_UINT16_LE (map.data +
              2 * (2 * f + k)), ramp_value (k, f));
  gst_buffer_unmap (first, &map);
  gst_buffer_unref (first);

  gst_harness_set_sink_caps (out, gst_caps_from_string ("audio/x-raw, "
          "format=S16LE, layout=interleaved, rate=8000, channels=2"));
  fail_unless (gst_harness_push_upstream_event (out,
          gst_event_new_reconfigure ()));
  for (auto & leg:call.legs)
    gst_harness_push_event (leg.h, gst_event_new_eos ());
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, 10 * GST_SECOND,
      GST_MESSAGE_ERROR);
  fail_unless (msg != nullptr, "no error");
  GError *err;
  gchar *debug;
  gst_message_parse_error (msg, &err, &debug);
  fail_unless (g_error_matches (err, GST_CORE_ERROR,
          GST_CORE_ERROR_NEGOTIATION), "%s", err->message);
  fail_unless (debug && strstr (debug, "not-negotiated"), "%s", debug);
  g_error_free (err);
  g_free (debug);
  gst_message_unref (msg);
  /* nothing at the other rate */
  GstBuffer *buf;
  while ((buf = gst_harness_try_pull (out))) {
    GstCaps *caps = gst_pad_get_current_caps (out->sinkpad);
    GstAudioInfo info;
    fail_unless (gst_audio_info_from_caps (&info, caps));
    fail_unless_equals_int (GST_AUDIO_INFO_RATE (&info), RATE);
    gst_caps_unref (caps);
    gst_buffer_unref (buf);
  }
  gst_element_set_bus (out->element, nullptr);
  gst_object_unref (bus);
}

GST_END_TEST;

/* A speaker who joins the running call takes a channel that max-speakers
 * kept free; the output keeps its layout. */
GST_START_TEST (test_late_joiner)
{
  GstElement *tl = gst_element_factory_make ("voicetimeline", nullptr);
  g_object_set (tl, "max-speakers", 3, nullptr);
  GstPad *p0 = gst_element_request_pad_simple (tl, "sink_%u");
  GstPad *p1 = gst_element_request_pad_simple (tl, "sink_%u");
  std::vector < Leg > legs = {
    {gst_harness_new_with_element (tl, "sink_0", "src"), 1000, "alice",
        GST_VOICE_ROLE_USER},
    {gst_harness_new_with_element (tl, "sink_1", nullptr), 2000, "bot",
        GST_VOICE_ROLE_AGENT},
  };
  for (auto & leg:legs) {
    gst_harness_set_src_caps (leg.h, mono_caps ());
    fail_unless (gst_harness_push_event (leg.h,
            gst_voice_event_new_speaker (leg.name.c_str (), leg.role)));
  }

  GstPad *p2 = nullptr;
  for (guint i = 0; i < 200; i++) {
    GstClockTime t = i * 10 * MS;
    if (t == 1000 * MS) {
      /* carol joins at 1 s: the third channel, then no more room */
      p2 = gst_element_request_pad_simple (tl, "sink_%u");
      fail_unless (p2 != nullptr);
      guint channel;
      g_object_get (p2, "channel", &channel, nullptr);
      fail_unless_equals_int (channel, 2);
      Leg carol = { gst_harness_new_with_element (tl, "sink_2", nullptr),
        3000, "carol", GST_VOICE_ROLE_USER
      };
      gst_harness_set_src_caps (carol.h, mono_caps ());
      fail_unless (gst_harness_push_event (carol.h,
              gst_voice_event_new_speaker ("carol", GST_VOICE_ROLE_USER)));
      legs.push_back (carol);
      fail_unless (gst_element_request_pad_simple (tl, "sink_%u") == nullptr);
    }
    if (t == 1200 * MS)
      push_span (legs[2], GST_VOICE_SPEECH_START, 1200 * MS, 0);
    if (t == 1800 * MS)
      push_span (legs[2], GST_VOICE_SPEECH_STOP, 1200 * MS, 1700 * MS);
    /* the newest leg first: from one thread, a push to a leg whose last
     * buffer waits for the joiner's first would block */
    for (auto leg = legs.rbegin (); leg != legs.rend (); ++leg)
      fail_unless_equals_int (gst_harness_push (leg->h,
              constant_buffer (leg->value, i * CHUNK)), GST_FLOW_OK);
  }
  for (auto & leg:legs)
    fail_unless (gst_harness_push_event (leg.h, gst_event_new_eos ()));

  Output o;
  collect (legs[0].h, o);
  fail_unless_equals_int (o.channels, 3);
  fail_unless_equals_int (o.samples.size (), 3 * 200 * CHUNK);
  for (gsize f = 0; f < o.samples.size () / 3; f++) {
    fail_unless_equals_int (o.samples[3 * f], 1000);
    fail_unless_equals_int (o.samples[3 * f + 1], 2000);
    fail_unless_equals_int (o.samples[3 * f + 2], f < 100 * CHUNK ? 0 : 3000);
  }
  fail_unless_equals_int (o.segments.size (), 1);
  fail_unless_equals_string (o.segments[0].speaker, "carol");
  fail_unless_equals_float (o.segments[0].start_time, 1.2);
  fail_unless_equals_float (o.segments[0].end_time, 1.7);
  fail_unless (o.speakers[2] == std::make_pair (std::string ("carol"),
          GST_VOICE_ROLE_USER));

  for (auto & leg:legs)
    gst_harness_teardown (leg.h);
  for (GstPad * p: {p0, p1, p2})
    gst_object_unref (p);
  gst_object_unref (tl);
}

GST_END_TEST;

/* What a resampling pad holds back belongs to the audio before a gap: the
 * audio after it starts clean. */
GST_START_TEST (test_resampler_forgets_before_a_gap)
{
  GstElement *tl = gst_element_factory_make ("voicetimeline", nullptr);
  GstPad *p0 = gst_element_request_pad_simple (tl, "sink_%u");
  GstHarness *h = gst_harness_new_with_element (tl, "sink_0", "src");
  gst_harness_set_src_caps (h, mono_caps (8000));
  /* the output at 16 kHz */
  gst_harness_set_sink_caps_str (h, "audio/x-raw, rate=16000");

  /* 1 s of 8000, then after a discontinuity 1 s of silence */
  for (guint i = 0; i < 200; i++) {
    GstBuffer *buf = constant_buffer (i < 100 ? 8000 : 0, i * 80, 8000);
    if (i == 100)
      GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  }
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));

  Output o;
  collect (h, o);
  fail_unless_equals_int (o.channels, 1);
  fail_unless (o.samples.size () >= 2 * RATE - 64);
  for (gsize f = RATE / 2; f < RATE - 64; f++)
    fail_unless (ABS (o.samples[f] - 8000) <= 40, "%d at %u", o.samples[f],
        (guint) f);
  for (gsize f = RATE; f < o.samples.size (); f++)
    fail_unless_equals_int (o.samples[f], 0);

  gst_harness_teardown (h);
  gst_object_unref (p0);
  gst_object_unref (tl);
}

GST_END_TEST;

/* A gap given as an empty buffer (what a jitter buffer makes of a lost
 * packet) is silence in its speaker's channel, and nothing else moves. */
GST_START_TEST (test_empty_gap_buffer)
{
  Call call ( {
        {nullptr, 1000, "alice", GST_VOICE_ROLE_USER},
        {nullptr, 2000, "bot", GST_VOICE_ROLE_AGENT},
      });
  std::vector < Leg > &legs = call.legs;
  for (guint i = 0; i < 100; i++) {
    for (auto & leg:legs) {
      GstBuffer *buf = constant_buffer (leg.value, i * CHUNK);
      if (&leg == &legs[0] && i == 50) {
        gst_buffer_set_size (buf, 0);
        GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_GAP);
      }
      fail_unless_equals_int (gst_harness_push (leg.h, buf), GST_FLOW_OK);
    }
  }
  for (auto & leg:legs)
    fail_unless (gst_harness_push_event (leg.h, gst_event_new_eos ()));

  Output o;
  collect (legs[0].h, o);
  fail_unless_equals_int (o.samples.size (), 2 * 100 * CHUNK);
  for (gsize f = 0; f < o.samples.size () / 2; f++) {
    bool gap = f >= 50 * CHUNK && f < 51 * CHUNK;
    fail_unless_equals_int (o.samples[2 * f], gap ? 0 : 1000);
    fail_unless_equals_int (o.samples[2 * f + 1], 2000);
  }
}

GST_END_TEST;

/* the 10 ms buffers of the first output buffer without a live source */
#define FIRST 25

/* One leg pushing AHEAD buffers (from FIRST on) in a thread of its own. */
struct LegAhead
{
  Leg *leg = nullptr;
  GMutex lock;
  GCond cond;
  bool pushed = false;
  GstFlowReturn ret = GST_FLOW_OK;      /* checked in the test's thread */
};

/* 10 ms buffers that a leg pushes ahead of the other: 10 s, within the
 * 12 s queue */
#define AHEAD 1000

static gpointer
push_ahead (gpointer data)
{
  LegAhead *ahead = static_cast < LegAhead * >(data);
  GstFlowReturn ret = GST_FLOW_OK;
  for (guint i = FIRST; i < FIRST + AHEAD && ret == GST_FLOW_OK; i++)
    ret = gst_harness_push (ahead->leg->h, constant_buffer (ahead->leg->value,
            i * CHUNK));
  g_mutex_lock (&ahead->lock);
  ahead->ret = ret;
  ahead->pushed = true;
  g_cond_signal (&ahead->cond);
  g_mutex_unlock (&ahead->lock);
  return nullptr;
}

/* Pushes @n 10 ms buffers on every leg of @call and gives the duration of
 * the first output buffer. */
static GstClockTime
first_output_duration (Call & call, guint n)
{
  for (guint i = 0; i < n; i++)
    for (auto & leg:call.legs)
      fail_unless_equals_int (gst_harness_push (leg.h,
              constant_buffer (leg.value, i * CHUNK)), GST_FLOW_OK);
  GstBuffer *first = gst_harness_pull (call.legs[0].h);
  fail_unless (first);
  GstClockTime duration = GST_BUFFER_DURATION (first);
  gst_buffer_unref (first);
  return duration;
}

/* The same with every leg a source that is not live. */
static GstClockTime
first_offline_duration (Call & call, guint n)
{
  for (auto & leg:call.legs)
    gst_pad_set_query_function (leg.h->srcpad, not_live_query);
  return first_output_duration (call, n);
}

/* Without a live source, each leg may run 12 s ahead of the mixing (the
 * segmenters' analysis goes on while the other leg is slow), the output
 * buffers are 250 ms, and both settings go back when the call stops;
 * what the application set stays. */
GST_START_TEST (test_offline_input_queue)
{
  Call call ( {
        {nullptr, 1000, "alice", GST_VOICE_ROLE_USER},
        {nullptr, 2000, "bot", GST_VOICE_ROLE_AGENT},
      });
  std::vector < Leg > &legs = call.legs;
  GstElement *tl = legs[0].h->element;
  fail_unless_equals_uint64 (first_offline_duration (call, FIRST),
      FIRST * 10 * MS);
  fail_unless_equals_uint64 (uint64_property (tl, "latency"), 12 * GST_SECOND);
  fail_unless_equals_uint64 (uint64_property (tl, "output-buffer-duration"),
      FIRST * 10 * MS);

  /* ten seconds of the first leg while the second sends nothing: without
   * the queue the first push after the one waiting would block */
  LegAhead ahead;
  ahead.leg = &legs[0];
  g_mutex_init (&ahead.lock);
  g_cond_init (&ahead.cond);
  GThread *thread = g_thread_new ("ahead", push_ahead, &ahead);
  /* a generous bound: this waits for a push that would never return */
  gint64 until = g_get_monotonic_time () + 30 * G_TIME_SPAN_SECOND;
  g_mutex_lock (&ahead.lock);
  while (!ahead.pushed && g_cond_wait_until (&ahead.cond, &ahead.lock, until));
  bool pushed = ahead.pushed;
  g_mutex_unlock (&ahead.lock);
  fail_unless (pushed, "the first leg could not get 10 s ahead");
  g_thread_join (thread);
  fail_unless_equals_int (ahead.ret, GST_FLOW_OK);
  g_mutex_clear (&ahead.lock);
  g_cond_clear (&ahead.cond);

  for (guint i = FIRST; i < FIRST + AHEAD; i++)
    fail_unless_equals_int (gst_harness_push (legs[1].h,
            constant_buffer (legs[1].value, i * CHUNK)), GST_FLOW_OK);
  for (auto & leg:legs)
    fail_unless (gst_harness_push_event (leg.h, gst_event_new_eos ()));
  Output o;
  collect (legs[0].h, o);
  fail_unless_equals_int (o.samples.size (), 2 * AHEAD * CHUNK);
  for (gsize f = 0; f < o.samples.size () / 2; f++) {
    fail_unless_equals_int (o.samples[2 * f], 1000);
    fail_unless_equals_int (o.samples[2 * f + 1], 2000);
  }

  gst_element_set_state (tl, GST_STATE_NULL);
  fail_unless_equals_uint64 (uint64_property (tl, "latency"), 0);
  fail_unless_equals_uint64 (uint64_property (tl, "output-buffer-duration"),
      20 * MS);
}

GST_END_TEST;

GST_START_TEST (test_offline_keeps_application_settings)
{
  Call call ( {
        {nullptr, 1000, "alice", GST_VOICE_ROLE_USER},
        {nullptr, 2000, "bot", GST_VOICE_ROLE_AGENT},
      });
  GstElement *tl = call.legs[0].h->element;
  g_object_set (tl, "latency", 500 * MS, "output-buffer-duration", 20 * MS,
      nullptr);
  fail_unless_equals_uint64 (first_offline_duration (call, 10), 20 * MS);
  fail_unless_equals_uint64 (uint64_property (tl, "latency"), 500 * MS);
  gst_element_set_state (tl, GST_STATE_NULL);
  fail_unless_equals_uint64 (uint64_property (tl, "latency"), 500 * MS);
  fail_unless_equals_uint64 (uint64_property (tl, "output-buffer-duration"),
      20 * MS);
}

GST_END_TEST;

/* The same for a value given when the element is made, as gst-launch-1.0
 * gives it, even the live default's. */
GST_START_TEST (test_offline_keeps_construction_settings)
{
  Call call ( {
        {nullptr, 1000, "alice", GST_VOICE_ROLE_USER},
        {nullptr, 2000, "bot", GST_VOICE_ROLE_AGENT},
      }, gst_element_factory_make_full ("voicetimeline",
          "output-buffer-duration", (guint64) (20 * MS), nullptr));
  GstElement *tl = call.legs[0].h->element;
  fail_unless_equals_uint64 (first_offline_duration (call, 10), 20 * MS);
  gst_element_set_state (tl, GST_STATE_NULL);
  fail_unless_equals_uint64 (uint64_property (tl, "output-buffer-duration"),
      20 * MS);
}

GST_END_TEST;

/* What changes while the call runs: a buffer without a timestamp puts the
 * inputs' queue back to one buffer (its length can no longer be known),
 * and a value the application sets is its own from then on. */
GST_START_TEST (test_offline_settings_while_running)
{
  Call call ( {
        {nullptr, 1000, "alice", GST_VOICE_ROLE_USER},
        {nullptr, 2000, "bot", GST_VOICE_ROLE_AGENT},
      });
  GstElement *tl = call.legs[0].h->element;
  fail_unless_equals_uint64 (first_offline_duration (call, FIRST),
      FIRST * 10 * MS);
  fail_unless_equals_uint64 (uint64_property (tl, "latency"), 12 * GST_SECOND);
  GstBuffer *untimed = constant_buffer (1000, FIRST * CHUNK);
  GST_BUFFER_PTS (untimed) = GST_CLOCK_TIME_NONE;
  fail_unless_equals_int (gst_harness_push (call.legs[0].h, untimed),
      GST_FLOW_OK);
  fail_unless_equals_uint64 (uint64_property (tl, "latency"), 0);

  g_object_set (tl, "output-buffer-duration", 40 * MS, nullptr);
  gst_element_set_state (tl, GST_STATE_NULL);
  fail_unless_equals_uint64 (uint64_property (tl, "output-buffer-duration"),
      40 * MS);
}

GST_END_TEST;

/* A live call (the harness answers as a live source) keeps the defaults:
 * 20 ms output buffers, one telephony packet, and no queue beyond them. */
GST_START_TEST (test_live_keeps_defaults)
{
  Call call ( {
        {nullptr, 1000, "alice", GST_VOICE_ROLE_USER},
        {nullptr, 2000, "bot", GST_VOICE_ROLE_AGENT},
      });
  GstElement *tl = call.legs[0].h->element;
  fail_unless_equals_uint64 (first_output_duration (call, 5), 20 * MS);
  fail_unless_equals_uint64 (uint64_property (tl, "latency"), 0);
}

GST_END_TEST;

static Suite *
voicetimeline_suite (void)
{
  Suite *s = suite_create ("voicetimeline");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_three_speakers_one_leaves_early);
  tcase_add_test (tc, test_pad_properties_and_layout);
  tcase_add_test (tc, test_pads_while_running);
  tcase_add_test (tc, test_released_while_speaking);
  tcase_add_test (tc, test_seek_that_keeps_time_refused);
  tcase_add_test (tc, test_same_name_on_two_legs);
  tcase_add_test (tc, test_settle_time_kept_for_the_call);
  tcase_add_test (tc, test_role_changed_while_speaking);
  tcase_add_test (tc, test_late_audio_warned);
  tcase_add_test (tc, test_hang_up_ends_with_the_delivered_audio);
  tcase_add_test (tc, test_hang_up_drops_boundaries_past_the_audio);
  tcase_add_test (tc, test_text_pads);
  tcase_add_test (tc, test_different_rates);
  tcase_add_test (tc, test_late_joiner);
  tcase_add_test (tc, test_resampler_forgets_before_a_gap);
  tcase_add_test (tc, test_empty_gap_buffer);
  tcase_add_test (tc, test_offline_input_queue);
  tcase_add_test (tc, test_mono_inputs_placed_to_the_sample);
  tcase_add_test (tc, test_output_format_change_refused);
  tcase_add_test (tc, test_offline_keeps_application_settings);
  tcase_add_test (tc, test_offline_keeps_construction_settings);
  tcase_add_test (tc, test_offline_settings_while_running);
  tcase_add_test (tc, test_live_keeps_defaults);
  return s;
}

GST_CHECK_MAIN (voicetimeline);
