/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * voice_bot.py in C++: a voice bot that records its calls by embedding the
 * pipeline. The user's microphone (paced at real time, 20 ms a buffer,
 * stamped from the pipeline clock) and the bot's TTS (each answer given at
 * once, stamped for playout, between two voice-speech-mark events) go in
 * through two live appsrc; the bot adds a tool call and its result while it
 * thinks, prints the timeline from the bus as it is decided, and hangs up by
 * setting the pipeline to NULL.
 *
 *   voice_bot FILES_DIR OUT_DIR [--check]
 *
 * With --check, exits 1 unless the manifest holds every event (the answer
 * still pending at the hang-up too), each latency within 30 ms of the true
 * one, and the bot's segments to the sample.
 */
#include <gst/gst.h>
#include <gst/voice/voice.h>
#include <json-glib/json-glib.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

static const int RATE = 16000;
static const int CHUNK = 320;   /* 20 ms */
static const double TOLERANCE = 0.030;

using Samples = std::vector < gint16 >;

/* A 16-bit mono WAV of tests/files, with its canonical 44-byte header. */
static Samples
read_wav (const std::string & path)
{
  std::ifstream f (path, std::ios::binary);
  std::string data ((std::istreambuf_iterator < char >(f)),
      std::istreambuf_iterator < char >());
  Samples s ((data.size () - 44) / 2);
  memcpy (s.data (), data.data () + 44, s.size () * 2);
  return s;
}

/* The script of the call, in seconds of running time. */
struct Bot
{
  std::vector < Samples > user, answers;
  double user_at[2], user_end[2], answer_at[2];
  double think[2] = { 0.6, 0.45 };
  double hang_up_at;

  explicit Bot (const std::string & files)
  {
    Samples u = read_wav (files + "/conversation-user.wav");
    Samples a = read_wav (files + "/conversation-agent.wav");
    std::ifstream spans (files + "/conversation-spans.txt");
    std::string line;
    while (std::getline (spans, line)) {
      std::istringstream in (line);
      std::string who;
      size_t from, to;
      if (line[0] == '#' || !(in >> who >> from >> to))
        continue;
      if (who == "user")
        user.emplace_back (u.begin () + from, u.begin () + to);
      else                      /* the TTS: the first 1.2 s of each answer */
        answers.emplace_back (a.begin () + from, a.begin () + from +
            std::min < size_t > (to - from, 1.2 * RATE));
    }
    user_at[0] = 0.3;
    user_end[0] = user_at[0] + user[0].size () / (double) RATE;
    answer_at[0] = user_end[0] + think[0];
    user_at[1] = user_end[0] + 2.35;
    user_end[1] = user_at[1] + user[1].size () / (double) RATE;
    answer_at[1] = user_end[1] + think[1];
    hang_up_at = answer_at[1] + answers[1].size () / (double) RATE + 0.4;
  }

  Samples microphone () const
  {
    Samples mic ((size_t) ((hang_up_at + 1) * RATE), 0);
    for (int i = 0; i < 2; i++)
      std::copy (user[i].begin (), user[i].end (), mic.begin () +
          (size_t) (user_at[i] * RATE));
    return mic;
  }
};

static GstClockTime
running_time (GstElement * pipeline)
{
  GstClock *clock = gst_element_get_clock (pipeline);
  if (!clock)
    return GST_CLOCK_TIME_NONE;
  GstClockTime now = gst_clock_get_time (clock);
  gst_object_unref (clock);
  return now - gst_element_get_base_time (pipeline);
}

static bool
wait_until (GstElement * pipeline, GstClockTime t, std::atomic < bool >&stop)
{
  while (!stop) {
    GstClockTime now = running_time (pipeline);
    if (GST_CLOCK_TIME_IS_VALID (now) && now >= t)
      return true;
    std::this_thread::sleep_for (std::chrono::milliseconds (2));
  }
  return false;
}

static bool
push (GstElement * src, const gint16 * samples, size_t n, GstClockTime pts)
{
  GstBuffer *buf = gst_buffer_new_memdup (samples, n * 2);
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = gst_util_uint64_scale_int (n, GST_SECOND, RATE);
  GstFlowReturn ret;
  g_signal_emit_by_name (src, "push-buffer", buf, &ret);
  gst_buffer_unref (buf);
  return ret == GST_FLOW_OK;
}

static void
microphone (GstElement * pipeline, GstElement * src, Samples mic,
    std::atomic < bool >&stop)
{
  for (size_t pos = 0; pos < mic.size (); pos += CHUNK) {
    GstClockTime t = gst_util_uint64_scale_int (pos, GST_SECOND, RATE);
    if (!wait_until (pipeline, t + 20 * GST_MSECOND, stop)
        || !push (src, &mic[pos], std::min < size_t > (CHUNK,
                mic.size () - pos), t))
      return;
  }
}

static void
tts (GstElement * pipeline, GstElement * src, GstElement * timeline,
    const Bot & bot, std::atomic < bool >&stop)
{
  for (int turn = 0; turn < 2; turn++) {
    if (!wait_until (pipeline, (bot.user_end[turn] + 0.2) * GST_SECOND, stop))
      return;
    gboolean ok;
    if (turn == 0) {
      /* stamped with the bot's own running time: the timeline's "now"
       * (GST_CLOCK_TIME_NONE) is how far its output got, the latency
       * behind, before the user's stop that the bot heard */
      g_signal_emit_by_name (timeline, "tool-call", "lookup_booking",
          "{\"name\": \"Smith\"}", "c1", running_time (pipeline), &ok);
      std::this_thread::sleep_for (std::chrono::milliseconds (150));
      g_signal_emit_by_name (timeline, "tool-result", "lookup_booking",
          "{\"flight\": \"UA 100\"}", "c1", running_time (pipeline), &ok);
    }
    if (!wait_until (pipeline, (bot.answer_at[turn] - 0.2) * GST_SECOND,
            stop))
      return;
    /* the whole answer at once, stamped for playout, marked */
    const Samples & answer = bot.answers[turn];
    size_t start = (size_t) std::lround (bot.answer_at[turn] * RATE);
    gst_element_send_event (src, gst_voice_event_new_speech_mark (TRUE,
            GST_CLOCK_TIME_NONE));
    for (size_t pos = 0; pos < answer.size (); pos += CHUNK)
      if (!push (src, &answer[pos], std::min < size_t > (CHUNK,
                  answer.size () - pos), gst_util_uint64_scale_int (start +
                  pos, GST_SECOND, RATE)))
        return;
    gst_element_send_event (src, gst_voice_event_new_speech_mark (FALSE,
            GST_CLOCK_TIME_NONE));
  }
}

static void
print_message (GstMessage * msg)
{
  GstVoiceTimelineEvent ev;
  if (gst_voice_message_parse_timeline_event (msg, &ev)) {
    if (ev.has_latency)
      g_print ("%7.3f s  %-21s  latency %.3f s\n", ev.time,
          gst_voice_event_type_to_string (ev.type), ev.latency);
    else
      g_print ("%7.3f s  %s\n", ev.time,
          gst_voice_event_type_to_string (ev.type));
    gst_voice_timeline_event_clear (&ev);
  }
}

static bool
check (const std::string & out, const Bot & bot)
{
  JsonParser *parser = json_parser_new ();
  if (!json_parser_load_from_file (parser, (out + "/manifest.json").c_str (),
          nullptr)) {
    g_print ("check: no manifest\n");
    return false;
  }
  JsonObject *m = json_node_get_object (json_parser_get_root (parser));
  bool ok = true;

  const char *want[] = { "user_start_speaking", "user_stop_speaking",
    "tool_call", "tool_result", "agent_start_speaking", "agent_stop_speaking",
    "user_start_speaking", "user_stop_speaking", "agent_start_speaking",
    "agent_stop_speaking"
  };
  JsonArray *events = json_object_get_array_member (m, "events");
  guint n = json_array_get_length (events);
  for (guint i = 0; i < G_N_ELEMENTS (want); i++) {
    const char *type = i < n ? json_object_get_string_member
        (json_array_get_object_element (events, i), "type") : "(none)";
    if (strcmp (type, want[i]) != 0) {
      g_print ("check: event %u is %s, not %s\n", i, type, want[i]);
      ok = false;
    }
  }
  int turn = 0;
  for (guint i = 0; ok && i < n; i++) {
    JsonObject *e = json_array_get_object_element (events, i);
    if (strcmp (json_object_get_string_member (e, "type"),
            "agent_start_speaking") != 0)
      continue;
    double latency = json_object_has_member (e, "latency") ?
        json_object_get_double_member (e, "latency") : -1;
    if (std::fabs (latency - bot.think[turn]) > TOLERANCE) {
      g_print ("check: answer %d latency %.3f, spoken after %.3f\n", turn,
          latency, bot.think[turn]);
      ok = false;
    }
    turn++;
  }

  /* the bot's segments: its TTS, to the sample */
  JsonArray *segs = json_object_get_array_member (m, "segments");
  turn = 0;
  for (guint i = 0; ok && i < json_array_get_length (segs); i++) {
    JsonObject *s = json_array_get_object_element (segs, i);
    if (strcmp (json_object_get_string_member (s, "role"), "agent") != 0)
      continue;
    Samples got = read_wav (out + "/" + json_object_get_string_member (s,
            "file"));
    if (got != bot.answers[turn]
        || std::fabs (json_object_get_double_member (s, "start_time") -
            bot.answer_at[turn]) > 1e-4) {
      g_print ("check: %s is not the answer\n",
          json_object_get_string_member (s, "file"));
      ok = false;
    }
    turn++;
  }
  if (turn != 2) {
    g_print ("check: %d answers recorded\n", turn);
    ok = false;
  }
  g_object_unref (parser);
  return ok;
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  if (argc < 3) {
    g_printerr ("usage: %s FILES_DIR OUT_DIR [--check]\n", argv[0]);
    return 2;
  }
  Bot bot (argv[1]);
  std::string out = argv[2];
  const char *caps =
      "audio/x-raw,format=S16LE,rate=16000,channels=1,layout=interleaved";
  gchar *desc = g_strdup_printf ("voicetimeline name=t ! voicemanifestsink "
      "location=\"%s\" full-layout=channels "
      "appsrc name=mic is-live=true format=time min-latency=20000000 caps=%s "
      "! voicesegmenter speaker=caller role=user ! t.sink_0 "
      "appsrc name=tts is-live=true format=time min-latency=20000000 "
      "max-bytes=1000000 caps=%s ! voicesegmenter mode=marked speaker=bot "
      "role=agent ! t.sink_1", out.c_str (), caps, caps);
  GError *err = nullptr;
  GstElement *pipeline = gst_parse_launch (desc, &err);
  g_free (desc);
  /* a missing element gives an error and, possibly, a partial pipeline */
  if (err) {
    g_printerr ("%s\n", err->message);
    g_error_free (err);
    if (pipeline)
      gst_object_unref (pipeline);
    return 1;
  }
  GstElement *mic = gst_bin_get_by_name (GST_BIN (pipeline), "mic");
  GstElement *tts_src = gst_bin_get_by_name (GST_BIN (pipeline), "tts");
  GstElement *timeline = gst_bin_get_by_name (GST_BIN (pipeline), "t");
  GstBus *bus = gst_element_get_bus (pipeline);

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  std::atomic < bool > stop (false);
  std::thread mic_thread (microphone, pipeline, mic, bot.microphone (),
      std::ref (stop));
  std::thread tts_thread (tts, pipeline, tts_src, timeline, std::cref (bot),
      std::ref (stop));

  /* the timeline as it is decided, until the bot hangs up */
  bool failed = false;
  while (true) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, 10 * GST_MSECOND,
        (GstMessageType) (GST_MESSAGE_ELEMENT | GST_MESSAGE_ERROR));
    if (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      GError *e;
      gst_message_parse_error (msg, &e, nullptr);
      g_printerr ("error: %s\n", e->message);
      g_error_free (e);
      failed = true;
    } else if (msg) {
      print_message (msg);
    }
    if (msg)
      gst_message_unref (msg);
    GstClockTime now = running_time (pipeline);
    if (failed || (GST_CLOCK_TIME_IS_VALID (now)
            && now >= bot.hang_up_at * GST_SECOND))
      break;
  }
  g_print ("%7.3f s  (hang up)\n", running_time (pipeline) /
      (double) GST_SECOND);
  stop = true;
  gst_element_set_state (pipeline, GST_STATE_NULL);     /* no EOS */
  mic_thread.join ();
  tts_thread.join ();

  gst_object_unref (bus);
  gst_object_unref (timeline);
  gst_object_unref (tts_src);
  gst_object_unref (mic);
  gst_object_unref (pipeline);
  g_print ("recording in %s\n", out.c_str ());
  if (failed)
    return 1;
  if (argc > 3 && strcmp (argv[3], "--check") == 0 && !check (out, bot))
    return 1;
  return 0;
}
