/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gst/check/gstcheck.h>

#include "checkutil.h"
#include <gst/check/gstharness.h>
#include <gst/audio/audio.h>
#include <gst/pbutils/missing-plugins.h>
#include <gst/voice/voice.h>
#include <glib/gstdio.h>
#include "../systemplugins.h"
#include <json-glib/json-glib.h>

#include <string>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <vector>

#define RATE 16000
#define CHUNK 160               /* 10 ms */
#define MS GST_MSECOND

/* every frame of the input is known: channel 0 (alice) and 1 (bot) */
static gint16
sample_at (guint channel, guint64 frame)
{
  return channel == 0 ? (gint16) ((frame * 7) % 1000 + 1) :
      (gint16) (2000 + (frame * 13) % 1000);
}

static GstBuffer *
stereo_buffer (guint64 frame, guint n = CHUNK)
{
  GstBuffer *buf = gst_buffer_new_allocate (nullptr, n * 4, nullptr);
  GstMapInfo map;
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  gint16 *d = (gint16 *) map.data;
  for (guint i = 0; i < n; i++) {
    d[2 * i] = sample_at (0, frame + i);
    d[2 * i + 1] = sample_at (1, frame + i);
  }
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = gst_util_uint64_scale_int (frame, GST_SECOND, RATE);
  GST_BUFFER_DURATION (buf) = gst_util_uint64_scale_int (n, GST_SECOND, RATE);
  return buf;
}

static void
push_structure (GstHarness * h, GstStructure * s)
{
  fail_unless (gst_harness_push_event (h,
          gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM, s)));
}

static void
push_event (GstHarness * h, GstVoiceEventType type, gdouble time,
    const gchar * speaker, gdouble latency = -1)
{
  GstVoiceTimelineEvent ev;
  gst_voice_timeline_event_init (&ev, type, time);
  if (latency >= 0) {
    ev.has_latency = TRUE;
    ev.latency = latency;
  }
  if (speaker)
    ev.metadata = g_strdup_printf ("{\"speaker\": \"%s\"}", speaker);
  push_structure (h, gst_voice_timeline_event_to_structure (&ev));
  gst_voice_timeline_event_clear (&ev);
}

static void
push_segment (GstHarness * h, guint idx, const gchar * speaker,
    GstVoiceRole role, gdouble start, gdouble end,
    const gchar * transcript = nullptr, gboolean truncated = FALSE)
{
  GstVoiceSegment seg;
  gst_voice_segment_init (&seg);
  seg.idx = idx;
  seg.speaker = (gchar *) speaker;
  seg.role = role;
  seg.start_time = start;
  seg.end_time = end;
  seg.transcript = (gchar *) transcript;
  seg.transcript_truncated = truncated;
  push_structure (h, gst_voice_segment_to_structure (&seg));
}

/* alice on channel 0, the bot on channel 1, as voicetimeline tells it */
static void
announce_speakers (GstHarness * h, GstClockTime alice_padding = 0)
{
  GstStructure *alice = gst_voice_channel_structure_new (0, "alice",
      GST_VOICE_ROLE_USER);
  if (alice_padding)
    gst_structure_set (alice, "padding", G_TYPE_UINT64, alice_padding,
        nullptr);
  push_structure (h, alice);
  push_structure (h, gst_voice_channel_structure_new (1, "bot",
          GST_VOICE_ROLE_AGENT));
}

/* A temporary recording directory and a harnessed sink writing into it. */
struct Recording
{
  gchar *dir;
  GstElement *sink;
  GstHarness *h = nullptr;
  GstBus *bus;

  explicit Recording (const gchar * first_property = nullptr, ...)
  {
    dir = g_dir_make_tmp ("voicemanifestsink-XXXXXX", nullptr);
    fail_unless (dir != nullptr);
    sink = gst_element_factory_make ("voicemanifestsink", nullptr);
    gchar *location = g_build_filename (dir, "call", nullptr);
    g_object_set (sink, "location", location, "manifest-interval",
        (guint64) 0, nullptr);
    g_free (location);
    va_list args;
    va_start (args, first_property);
    if (first_property)
      g_object_set_valist (G_OBJECT (sink), first_property, args);
    va_end (args);
    bus = gst_bus_new ();
    gst_element_set_bus (sink, bus);
  }

  void start ()
  {
    h = gst_harness_new_with_element (sink, "sink", nullptr);
    gst_harness_set_src_caps (h, stereo_caps_at (RATE));
  }

  ~Recording ()
  {
    if (h)
      gst_harness_teardown (h);
    gst_element_set_bus (sink, nullptr);
    gst_object_unref (sink);
    gst_object_unref (bus);
    gchar *cmd = g_strdup_printf ("rm -rf '%s'", dir);
    fail_unless_equals_int (system (cmd), 0);
    g_free (cmd);
    g_free (dir);
  }

  std::string path (const gchar * name) const
  {
    gchar *p = g_build_filename (dir, "call", name, nullptr);
    std::string s (p);
    g_free (p);
    return s;
  }

  /* how many files segments/ holds, temporary ones too */
  guint segment_files () const
  {
    GDir *d = g_dir_open (path ("segments").c_str (), 0, nullptr);
    guint n = 0;
    while (d && g_dir_read_name (d))
      n++;
    if (d)
      g_dir_close (d);
    return n;
  }

  /* the element messages of the sink, in order */
  std::vector < GstStructure * >messages ()
  {
    std::vector < GstStructure * >out;
    GstMessage *msg;
    while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
      out.push_back (gst_structure_copy (gst_message_get_structure (msg)));
      gst_message_unref (msg);
    }
    return out;
  }
};

static JsonObject *
read_manifest (const Recording & rec, JsonParser ** parser)
{
  *parser = json_parser_new ();
  GError *err = nullptr;
  fail_unless (json_parser_load_from_file (*parser,
          rec.path ("manifest.json").c_str (), &err), "manifest: %s",
      err ? err->message : "");
  return json_node_get_object (json_parser_get_root (*parser));
}

/* segment @idx of the manifest */
static JsonObject *
manifest_segment (JsonObject * manifest, guint idx)
{
  JsonArray *segs = json_object_get_array_member (manifest, "segments");
  fail_unless (idx < json_array_get_length (segs));
  return json_array_get_object_element (segs, idx);
}

/* The call every test records: alice (channel 0) says something from 0.2
 * to 0.8 s; the bot answers from 1.0 to 2.5 s; the call lasts 3 s. Each
 * moment is told as voicetimeline tells it, settle-time (1.5 s) late. */
static void
record_call (GstHarness * h, bool eos = true, guint n_buffers = 300,
    GstClockTime alice_padding = 0)
{
  for (guint i = 0; i < n_buffers; i++) {
    fail_unless_equals_int (gst_harness_push (h, stereo_buffer (i * CHUNK)),
        GST_FLOW_OK);
    GstClockTime now = (i + 1) * 10 * MS;
    if (i == 0) {
      push_structure (h, gst_structure_new ("voice-conversation-start",
              "started-at", G_TYPE_STRING, "2026-11-26T10:00:00.25Z",
              "origin-running-time", G_TYPE_UINT64, (guint64) 0,
              "settle-time", G_TYPE_UINT64, (guint64) 1500 * MS, nullptr));
      announce_speakers (h, alice_padding);
    } else if (now == 1700 * MS) {
      push_event (h, GST_VOICE_EVENT_USER_START_SPEAKING, 0.2, "alice");
    } else if (now == 2300 * MS) {
      push_segment (h, 0, "alice", GST_VOICE_ROLE_USER, 0.2, 0.8);
      push_event (h, GST_VOICE_EVENT_USER_STOP_SPEAKING, 0.8, "alice");
    } else if (now == 2500 * MS) {
      push_event (h, GST_VOICE_EVENT_AGENT_START_SPEAKING, 1.0, "bot", 0.2);
      push_structure (h, gst_structure_new ("voice-latency-summary",
              "count", G_TYPE_UINT, 1, "time-to-first-byte", G_TYPE_DOUBLE,
              0.2, nullptr));
    }
  }
  if (!eos)
    return;
  /* the timeline's end: what was open closes, the figures come last */
  push_segment (h, 1, "bot", GST_VOICE_ROLE_AGENT, 1.0, 2.5, "Your flight");
  push_event (h, GST_VOICE_EVENT_AGENT_STOP_SPEAKING, 2.5, "bot");
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
}

/* @wav holds channel @channel of the input from @from, @n frames */
static void
check_samples (const Wav & wav, guint channel, guint64 from, guint64 n)
{
  fail_unless_equals_int (wav.rate, RATE);
  fail_unless_equals_int (wav.channels, 1);
  fail_unless_equals_int (wav.samples.size (), n);
  for (guint64 i = 0; i < n; i++)
    if (wav.samples[i] != sample_at (channel, from + i))
      fail ("sample %" G_GUINT64_FORMAT " is %d, not %d", i, wav.samples[i],
          sample_at (channel, from + i));
}

GST_START_TEST (test_segments_full_file_and_manifest)
{
  Recording rec;
  rec.start ();
  record_call (rec.h);

  /* each segment holds exactly its speaker's samples */
  Wav wav;
  fail_unless (read_wav (rec.path ("segments/00-user-0200ms.wav"), wav));
  check_samples (wav, 0, 3200, 9600);
  wav = Wav ();
  fail_unless (read_wav (rec.path ("segments/01-agent-1000ms.wav"), wav));
  check_samples (wav, 1, 16000, 24000);

  /* the full file: the whole call, both speakers added, aligned */
  wav = Wav ();
  fail_unless (read_wav (rec.path ("full.wav"), wav));
  fail_unless_equals_int (wav.channels, 1);
  fail_unless_equals_int (wav.samples.size (), 300 * CHUNK);
  for (guint f = 0; f < 300 * CHUNK; f++)
    fail_unless_equals_int (wav.samples[f], sample_at (0, f) + sample_at (1,
            f));

  /* no temporary file is left */
  fail_unless_equals_int (rec.segment_files (), 2);

  /* the manifest: the reference's members first, then ours */
  JsonParser *parser;
  JsonObject *m = read_manifest (rec, &parser);
  GList *members = json_object_get_members (m);
  const gchar *order[] = { "generated_at", "duration", "segment_count",
    "segments", "events", "version", "started_at", "sample_rate", "format",
    "full", "speakers", "latency"
  };
  guint i = 0;
  for (GList * l = members; l; l = l->next, i++)
    fail_unless_equals_string ((const gchar *) l->data, order[i]);
  fail_unless_equals_int (i, G_N_ELEMENTS (order));
  g_list_free (members);

  fail_unless_equals_float (json_object_get_double_member (m, "duration"),
      2.5);
  fail_unless_equals_int (json_object_get_int_member (m, "segment_count"), 2);
  JsonObject *s0 = manifest_segment (m, 0);
  fail_unless_equals_string (json_object_get_string_member (s0, "file"),
      "segments/00-user-0200ms.wav");
  fail_unless_equals_string (json_object_get_string_member (s0, "role"),
      "user");
  fail_unless_equals_float (json_object_get_double_member (s0, "start_time"),
      0.2);
  fail_unless_equals_float (json_object_get_double_member (s0, "end_time"),
      0.8);
  fail_unless (json_object_get_null_member (s0, "transcript"));
  fail_unless (!json_object_has_member (s0, "transcript_truncated"));
  fail_unless_equals_string (json_object_get_string_member (s0, "speaker"),
      "alice");
  JsonObject *s1 = manifest_segment (m, 1);
  fail_unless_equals_string (json_object_get_string_member (s1, "file"),
      "segments/01-agent-1000ms.wav");
  fail_unless_equals_string (json_object_get_string_member (s1,
          "transcript"), "Your flight");

  JsonArray *events = json_object_get_array_member (m, "events");
  fail_unless_equals_int (json_array_get_length (events), 4);
  JsonObject *answer = json_array_get_object_element (events, 2);
  fail_unless_equals_string (json_object_get_string_member (answer, "type"),
      "agent_start_speaking");
  fail_unless_equals_float (json_object_get_double_member (answer,
          "latency"), 0.2);

  fail_unless_equals_string (json_object_get_string_member (m, "started_at"),
      "2026-11-26T10:00:00.250000+00:00");
  fail_unless_equals_int (json_object_get_int_member (m, "sample_rate"),
      RATE);
  fail_unless_equals_string (json_object_get_string_member (m, "format"),
      "wav");
  JsonObject *full = json_object_get_object_member (m, "full");
  fail_unless_equals_string (json_object_get_string_member (full, "file"),
      "full.wav");
  fail_unless_equals_string (json_object_get_string_member (full, "layout"),
      "mixed");
  fail_unless_equals_float (json_object_get_double_member (full, "duration"),
      3.0);
  JsonArray *speakers = json_object_get_array_member (m, "speakers");
  fail_unless_equals_int (json_array_get_length (speakers), 2);
  JsonObject *bot = json_array_get_object_element (speakers, 1);
  fail_unless_equals_string (json_object_get_string_member (bot, "name"),
      "bot");
  fail_unless_equals_int (json_object_get_int_member (bot, "channel"), 1);
  JsonObject *latency = json_object_get_object_member (m, "latency");
  fail_unless_equals_int (json_object_get_int_member (latency, "count"), 1);
  fail_unless_equals_float (json_object_get_double_member (latency, "p50"),
      0.2);
  fail_unless_equals_float (json_object_get_double_member (latency,
          "time_to_first_byte"), 0.2);
  g_object_unref (parser);

  /* a message per file, then the final one */
  std::vector < GstStructure * >msgs = rec.messages ();
  std::vector < std::string > files;
  for (auto s:msgs) {
    if (gst_structure_has_name (s, GST_VOICE_FILE_WRITTEN_STRUCTURE))
      files.push_back (gst_structure_get_string (s, "file"));
    if (s == msgs.back ())
      fail_unless (gst_structure_has_name (s,
              GST_VOICE_MANIFEST_FINAL_STRUCTURE));
    gst_structure_free (s);
  }
  fail_unless_equals_int (files.size (), 3);
  fail_unless_equals_string (files[0].c_str (), "segments/00-user-0200ms.wav");
  fail_unless_equals_string (files[2].c_str (), "full.wav");
}

GST_END_TEST;

GST_START_TEST (test_channels_layout)
{
  Recording rec ("full-layout", 1, nullptr);
  rec.start ();
  record_call (rec.h);

  Wav wav;
  fail_unless (read_wav (rec.path ("full.wav"), wav));
  fail_unless_equals_int (wav.channels, 2);
  fail_unless_equals_int (wav.samples.size (), 2 * 300 * CHUNK);
  for (guint f = 0; f < 300 * CHUNK; f++) {
    fail_unless_equals_int (wav.samples[2 * f], sample_at (0, f));
    fail_unless_equals_int (wav.samples[2 * f + 1], sample_at (1, f));
  }
  JsonParser *parser;
  JsonObject *m = read_manifest (rec, &parser);
  fail_unless_equals_string (json_object_get_string_member
      (json_object_get_object_member (m, "full"), "layout"), "channels");
  g_object_unref (parser);
}

GST_END_TEST;

/* The manifest lists exactly the complete files, at every moment: a
 * finished segment gets its name with the manifest that lists it. */
GST_START_TEST (test_manifest_lists_complete_files_only)
{
  Recording rec ("manifest-interval", (guint64) 3600 * GST_SECOND, nullptr);
  rec.start ();
  record_call (rec.h, false);

  /* alice's segment is complete, but no manifest was written since */
  JsonParser *parser;
  JsonObject *m = read_manifest (rec, &parser);
  fail_unless_equals_int (json_object_get_int_member (m, "segment_count"), 0);
  g_object_unref (parser);
  fail_if (g_file_test (rec.path ("segments/00-user-0200ms.wav").c_str (),
          G_FILE_TEST_EXISTS));
  Wav wav;
  fail_unless (read_wav (rec.path ("segments/.part-0.wav"), wav));
  check_samples (wav, 0, 3200, 9600);

  /* the end publishes everything together */
  push_segment (rec.h, 1, "bot", GST_VOICE_ROLE_AGENT, 1.0, 2.5);
  fail_unless (gst_harness_push_event (rec.h, gst_event_new_eos ()));
  m = read_manifest (rec, &parser);
  fail_unless_equals_int (json_object_get_int_member (m, "segment_count"), 2);
  g_object_unref (parser);
  fail_unless (read_wav (rec.path ("segments/00-user-0200ms.wav"), wav));
  fail_if (g_file_test (rec.path ("segments/.part-0.wav").c_str (),
          G_FILE_TEST_EXISTS));
}

GST_END_TEST;

/* The file of segment k of push_segments (), named as the reference
 * names them. */
static std::string
segment_name (guint k, const gchar * ext, guint period = 500)
{
  gchar *name = g_strdup_printf ("segments/%02u-%s-%04ums.%s", k,
      k % 2 ? "agent" : "user", (guint) ((period * k + 100) / 1000.0 * 1000),
      ext);
  std::string s (name);
  g_free (name);
  return s;
}

/* Segment k of @n_segments from @period k + 100 ms, @length long (ms),
 * alice's and the bot's in turn, told 1.5 s late, in @n_buffers of audio:
 * a call far faster than real time. */
static void
push_segments (GstHarness * h, guint n_segments, guint n_buffers,
    guint period = 500, guint length = 200)
{
  for (guint i = 0; i < n_buffers; i++) {
    fail_unless_equals_int (gst_harness_push (h, stereo_buffer (i *
                CHUNK)), GST_FLOW_OK);
    guint now = (i + 1) * 10;
    if (i == 0) {
      push_structure (h, gst_structure_new ("voice-conversation-start",
              "origin-running-time", G_TYPE_UINT64, (guint64) 0,
              "settle-time", G_TYPE_UINT64, (guint64) 1500 * MS, nullptr));
      announce_speakers (h);
    }
    if (now < 1600 || (now - 1600) % period > length)
      continue;
    guint k = (now - 1600) / period;
    if (k >= n_segments)
      continue;
    bool agent = k % 2;
    const gchar *speaker = agent ? "bot" : "alice";
    gdouble start = (period * k + 100) / 1000.0;
    if ((now - 1600) % period == 0) {
      push_event (h, agent ? GST_VOICE_EVENT_AGENT_START_SPEAKING :
          GST_VOICE_EVENT_USER_START_SPEAKING, start, speaker);
    } else if ((now - 1600) % period == length) {
      push_segment (h, k, speaker, agent ? GST_VOICE_ROLE_AGENT :
          GST_VOICE_ROLE_USER, start, start + length / 1000.0);
      push_event (h, agent ? GST_VOICE_EVENT_AGENT_STOP_SPEAKING :
          GST_VOICE_EVENT_USER_STOP_SPEAKING, start + length / 1000.0,
          speaker);
    }
  }
}

/* 200 segments told faster than the manifest is rewritten (a recording
 * from files): the finished ones get their names and leave memory for
 * the manifest's archive in batches before the next rewrite, and the
 * manifest at the end lists every one, in order, with its audio. */
GST_START_TEST (test_fast_recording_publishes_in_batches)
{
  Recording rec ("manifest-interval", (guint64) 3600 * GST_SECOND, nullptr);
  rec.start ();
  const guint n_segments = 200;
  auto name_of =[](guint k) {
    return segment_name (k, "wav");
  };
  push_segments (rec.h, n_segments, 10200);

  /* no rewrite since the start, but the first batches have their names */
  JsonParser *parser;
  JsonObject *m = read_manifest (rec, &parser);
  fail_unless_equals_int (json_object_get_int_member (m, "segment_count"), 0);
  g_object_unref (parser);
  for (guint k = 0; k < 128; k++) {
    std::string name = name_of (k);
    fail_unless (g_file_test (rec.path (name.c_str ()).c_str (),
            G_FILE_TEST_EXISTS), "%s has no name yet", name.c_str ());
  }

  fail_unless (gst_harness_push_event (rec.h, gst_event_new_eos ()));
  m = read_manifest (rec, &parser);
  fail_unless_equals_int (json_object_get_int_member (m, "segment_count"),
      n_segments);
  JsonArray *events = json_object_get_array_member (m, "events");
  fail_unless_equals_int (json_array_get_length (events), 2 * n_segments);
  for (guint k = 0; k < n_segments; k++) {
    JsonObject *seg = manifest_segment (m, k);
    std::string name = name_of (k);
    fail_unless_equals_int (json_object_get_int_member (seg, "idx"), k);
    fail_unless_equals_string (json_object_get_string_member (seg, "file"),
        name.c_str ());
    for (guint e = 0; e < 2; e++)
      fail_unless_equals_float (json_object_get_double_member
          (json_array_get_object_element (events, 2 * k + e), "time"),
          (500 * k + 100 + 200 * e) / 1000.0);
    Wav wav;
    fail_unless (read_wav (rec.path (name.c_str ()), wav));
    check_samples (wav, k % 2, (500 * k + 100) * RATE / 1000, RATE / 5);
  }
  g_object_unref (parser);
  fail_unless_equals_int (rec.segment_files (), n_segments);
}

GST_END_TEST;

/* With manifest-interval 0 the manifest follows every change. */
GST_START_TEST (test_manifest_follows_the_call)
{
  Recording rec;
  rec.start ();
  record_call (rec.h, false);

  JsonParser *parser;
  JsonObject *m = read_manifest (rec, &parser);
  fail_unless_equals_int (json_object_get_int_member (m, "segment_count"), 1);
  fail_unless_equals_int (json_array_get_length (json_object_get_array_member
          (m, "events")), 3);
  g_object_unref (parser);
  Wav wav;
  fail_unless (read_wav (rec.path ("segments/00-user-0200ms.wav"), wav));
  check_samples (wav, 0, 3200, 9600);

  /* a transcript that comes after the segment was written */
  push_segment (rec.h, 0, "alice", GST_VOICE_ROLE_USER, 0.2, 0.8, "Hello");
  m = read_manifest (rec, &parser);
  JsonObject *s0 = manifest_segment (m, 0);
  fail_unless_equals_string (json_object_get_string_member (s0,
          "transcript"), "Hello");
  fail_unless_equals_string (json_object_get_string_member (s0, "file"),
      "segments/00-user-0200ms.wav");
  fail_unless_equals_int (json_object_get_int_member (m, "segment_count"), 1);
  g_object_unref (parser);
}

GST_END_TEST;

/* The names of the files synced to the disk, in order: this fsync ()
 * takes the place of libc's for the library, as a symbol that the program
 * exports (the project builds with hidden visibility). */
static GMutex synced_lock;
static std::vector < std::string > synced;

extern "C" G_MODULE_EXPORT int
fsync (int fd)
{
  gchar *link = g_strdup_printf ("/proc/self/fd/%d", fd);
  gchar *target = g_file_read_link (link, nullptr);
  g_mutex_lock (&synced_lock);
  synced.push_back (target ? target : "");
  g_mutex_unlock (&synced_lock);
  g_free (target);
  g_free (link);
  return (int) syscall (SYS_fsync, fd);
}

/* how many times the manifest's temporary file was synced */
static guint
manifest_syncs ()
{
  guint n = 0;
  g_mutex_lock (&synced_lock);
  for (const auto & name:synced)
    n += g_str_has_suffix (name.c_str (), "/call/.manifest.json.tmp");
  g_mutex_unlock (&synced_lock);
  return n;
}

/* Every rewrite of the manifest is synced to the disk before its rename:
 * after a power failure manifest.json is the old text or the new one, never
 * an empty file (as a filesystem that orders no data before the rename
 * would leave it). */
GST_START_TEST (test_every_manifest_synced)
{
  Recording rec;
  rec.start ();
  record_call (rec.h, false);

  JsonParser *parser;
  JsonObject *m = read_manifest (rec, &parser);
  fail_unless_equals_int (json_object_get_int_member (m, "segment_count"), 1);
  g_object_unref (parser);
  guint syncs = manifest_syncs ();
  /* the speakers, an event, the segment: a rewrite after every change */
  fail_unless (syncs >= 3, "%u syncs", syncs);

  push_segment (rec.h, 1, "bot", GST_VOICE_ROLE_AGENT, 1.0, 2.5);
  m = read_manifest (rec, &parser);
  fail_unless_equals_int (json_object_get_int_member (m, "segment_count"), 2);
  g_object_unref (parser);
  fail_unless_equals_int (manifest_syncs (), syncs + 1);

  /* the last, when the call ends */
  fail_unless (gst_harness_push_event (rec.h, gst_event_new_eos ()));
  fail_unless_equals_int (manifest_syncs (), syncs + 2);
  m = read_manifest (rec, &parser);
  fail_unless_equals_int (json_object_get_int_member (m, "segment_count"), 2);
  fail_unless_equals_float (json_object_get_double_member (m, "duration"),
      2.5);
  g_object_unref (parser);
}

GST_END_TEST;

/* Hanging up (NULL without EOS) finishes every file with what came in. */
GST_START_TEST (test_hang_up_without_eos)
{
  Recording rec;
  rec.start ();
  record_call (rec.h, false, 280);
  gst_harness_teardown (rec.h);
  rec.h = nullptr;

  /* the bot was still speaking: its segment ends with the last sample */
  Wav wav;
  fail_unless (read_wav (rec.path ("segments/01-agent-1000ms.wav"), wav));
  check_samples (wav, 1, 16000, 280 * CHUNK - 16000);
  fail_unless (read_wav (rec.path ("full.wav"), wav));
  fail_unless_equals_int (wav.samples.size (), 280 * CHUNK);

  JsonParser *parser;
  JsonObject *m = read_manifest (rec, &parser);
  fail_unless_equals_int (json_object_get_int_member (m, "segment_count"), 2);
  JsonObject *s1 = manifest_segment (m, 1);
  fail_unless_equals_float (json_object_get_double_member (s1, "end_time"),
      2.8);
  fail_unless_equals_float (json_object_get_double_member
      (json_object_get_object_member (m, "full"), "duration"), 2.8);
  g_object_unref (parser);
}

GST_END_TEST;

/* The sink remembers the structures it handled, to know the timeline's
 * repeats after a hang-up; an application's own events pass it and
 * leave nothing behind (they may hold anything). */
GST_START_TEST (test_application_events_not_kept)
{
  Recording rec;
  rec.start ();
  GstBuffer *payload = gst_buffer_new_allocate (nullptr, 16, nullptr);
  push_structure (rec.h, gst_structure_new ("my-application-event",
          "payload", GST_TYPE_BUFFER, payload, nullptr));
  push_event (rec.h, GST_VOICE_EVENT_USER_START_SPEAKING, 0.1, "alice");
  fail_unless_equals_int (GST_MINI_OBJECT_REFCOUNT_VALUE (payload), 1);
  gst_buffer_unref (payload);
}

GST_END_TEST;

/* The segmenter's padding: alice's file holds 150 ms more on each side,
 * and the manifest says so. */
GST_START_TEST (test_padding)
{
  Recording rec;
  rec.start ();
  record_call (rec.h, true, 300, 150 * MS);

  Wav wav;
  fail_unless (read_wav (rec.path ("segments/00-user-0200ms.wav"), wav));
  check_samples (wav, 0, 3200 - 2400, 9600 + 2 * 2400);
  wav = Wav ();
  fail_unless (read_wav (rec.path ("segments/01-agent-1000ms.wav"), wav));
  check_samples (wav, 1, 16000, 24000);

  JsonParser *parser;
  JsonObject *m = read_manifest (rec, &parser);
  JsonObject *s0 = manifest_segment (m, 0);
  fail_unless_equals_float (json_object_get_double_member (s0, "start_time"),
      0.2);
  fail_unless_equals_float (json_object_get_double_member (s0,
          "padding_before"), 0.15);
  fail_unless_equals_float (json_object_get_double_member (s0,
          "padding_after"), 0.15);
  fail_if (json_object_has_member (manifest_segment (m, 1),
          "padding_before"));
  g_object_unref (parser);
}

GST_END_TEST;

/* A transcript given while the segment still waits for the padding after
 * it, and one given after its file was written: one file, the padding
 * kept, the transcript in. */
GST_START_TEST (test_transcripts_and_padding)
{
  Recording rec;
  rec.start ();
  for (guint i = 0; i < 400; i++) {
    fail_unless_equals_int (gst_harness_push (rec.h, stereo_buffer (i *
                CHUNK)), GST_FLOW_OK);
    GstClockTime now = (i + 1) * 10 * MS;
    if (i == 0) {
      announce_speakers (rec.h, 2000 * MS);
    } else if (now == 1700 * MS) {
      push_event (rec.h, GST_VOICE_EVENT_USER_START_SPEAKING, 0.2, "alice");
    } else if (now == 2300 * MS) {
      push_segment (rec.h, 0, "alice", GST_VOICE_ROLE_USER, 0.2, 0.8);
    } else if (now == 2400 * MS) {
      /* the file still waits for 2 s after 0.8 s */
      push_segment (rec.h, 0, "alice", GST_VOICE_ROLE_USER, 0.2, 0.8,
          "Hello");
    } else if (now == 3500 * MS) {
      push_segment (rec.h, 0, "alice", GST_VOICE_ROLE_USER, 0.2, 0.8,
          "Hello there");
    }
  }
  fail_unless (gst_harness_push_event (rec.h, gst_event_new_eos ()));

  guint written = 0;
  for (auto s:rec.messages ()) {
    if (gst_structure_has_name (s, GST_VOICE_FILE_WRITTEN_STRUCTURE)
        && g_str_equal (gst_structure_get_string (s, "file"),
            "segments/00-user-0200ms.wav"))
      written++;
    gst_structure_free (s);
  }
  fail_unless_equals_int (written, 1);
  Wav wav;
  fail_unless (read_wav (rec.path ("segments/00-user-0200ms.wav"), wav));
  check_samples (wav, 0, 0, 2800 * RATE / 1000);

  JsonParser *parser;
  JsonObject *m = read_manifest (rec, &parser);
  JsonObject *s0 = manifest_segment (m, 0);
  fail_unless_equals_string (json_object_get_string_member (s0,
          "transcript"), "Hello there");
  fail_unless_equals_float (json_object_get_double_member (s0,
          "padding_before"), 0.2);
  fail_unless_equals_float (json_object_get_double_member (s0,
          "padding_after"), 2.0);
  g_object_unref (parser);
}

GST_END_TEST;

/* Over a long call, entries leave memory for the archive, but only once
 * nothing can change them: a long segment gets its transcript a minute
 * after its end, and an interruption, told when the agent stops, is
 * listed at its own time. */
GST_START_TEST (test_archive_waits_for_late_entries)
{
  Recording rec;
  rec.start ();
  for (guint i = 0; i < 12000; i++) {
    fail_unless_equals_int (gst_harness_push (rec.h, stereo_buffer (i *
                CHUNK)), GST_FLOW_OK);
    guint64 now_ms = (i + 1) * 10;
    if (i == 0) {
      announce_speakers (rec.h);
    } else if (now_ms == 2500) {
      push_event (rec.h, GST_VOICE_EVENT_USER_START_SPEAKING, 1.0, "alice");
    } else if (now_ms == 32500) {
      push_segment (rec.h, 0, "alice", GST_VOICE_ROLE_USER, 1.0, 31.0);
      push_event (rec.h, GST_VOICE_EVENT_USER_STOP_SPEAKING, 31.0, "alice");
    } else if (now_ms == 34000) {
      push_event (rec.h, GST_VOICE_EVENT_AGENT_START_SPEAKING, 32.5, "bot");
    } else if (now_ms == 35500) {
      push_event (rec.h, GST_VOICE_EVENT_USER_START_SPEAKING, 34.0, "alice");
    } else if (now_ms == 36500) {
      push_segment (rec.h, 2, "alice", GST_VOICE_ROLE_USER, 34.0, 35.0);
      push_event (rec.h, GST_VOICE_EVENT_USER_STOP_SPEAKING, 35.0, "alice");
    } else if (now_ms == 91000) {
      /* the transcript, 58.5 s after the end */
      push_segment (rec.h, 0, "alice", GST_VOICE_ROLE_USER, 1.0, 31.0,
          "a long answer");
    } else if (now_ms == 111500) {
      /* the agent talked over from 34 s stops at 110 s */
      push_segment (rec.h, 1, "bot", GST_VOICE_ROLE_AGENT, 32.5, 110.0,
          nullptr, TRUE);
      push_event (rec.h, GST_VOICE_EVENT_AGENT_STOP_SPEAKING, 110.0, "bot");
      GstVoiceTimelineEvent ev;
      gst_voice_timeline_event_init (&ev, GST_VOICE_EVENT_USER_INTERRUPT,
          34.0);
      ev.metadata = g_strdup ("{\"speaker\": \"alice\", "
          "\"response_time\": 76.0}");
      push_structure (rec.h, gst_voice_timeline_event_to_structure (&ev));
      gst_voice_timeline_event_clear (&ev);
    }
  }
  fail_unless (gst_harness_push_event (rec.h, gst_event_new_eos ()));

  JsonParser *parser;
  JsonObject *m = read_manifest (rec, &parser);
  fail_unless_equals_string (json_object_get_string_member
      (manifest_segment (m, 0), "transcript"), "a long answer");
  JsonArray *events = json_object_get_array_member (m, "events");
  gdouble last = 0;
  for (guint i = 0; i < json_array_get_length (events); i++) {
    JsonObject *e = json_array_get_object_element (events, i);
    gdouble t = json_object_get_double_member (e, "time");
    fail_unless (t >= last, "event %u (%s) at %f after %f", i,
        json_object_get_string_member (e, "type"), t, last);
    last = t;
  }
  fail_unless_equals_int (json_array_get_length (events), 7);
  g_object_unref (parser);
}

GST_END_TEST;

/* alice's segment of 0.2-0.8 s and the bot's of 1.0-6.0 s, to the frame */
static void
check_long_segments (const Recording & rec)
{
  Wav wav;
  fail_unless (read_wav (rec.path ("segments/00-user-0200ms.wav"), wav));
  check_samples (wav, 0, 3200, 9600);
  wav = Wav ();
  fail_unless (read_wav (rec.path ("segments/01-agent-1000ms.wav"), wav));
  check_samples (wav, 1, 16000, 80000);
}

/* Long buffers (4 s): the timeline tells what a buffer settled after it,
 * so the segments are written a whole buffer further behind. */
GST_START_TEST (test_long_buffers)
{
  Recording rec;
  rec.start ();
  const guint n = 4 * RATE;
  for (guint i = 0; i < 3; i++) {
    fail_unless_equals_int (gst_harness_push (rec.h, stereo_buffer (i * n,
                n)), GST_FLOW_OK);
    if (i == 0) {
      announce_speakers (rec.h);
      /* settled up to 2.5 s */
      push_event (rec.h, GST_VOICE_EVENT_USER_START_SPEAKING, 0.2, "alice");
      push_segment (rec.h, 0, "alice", GST_VOICE_ROLE_USER, 0.2, 0.8);
      push_event (rec.h, GST_VOICE_EVENT_AGENT_START_SPEAKING, 1.0, "bot");
    } else if (i == 1) {
      /* settled up to 6.5 s */
      push_segment (rec.h, 1, "bot", GST_VOICE_ROLE_AGENT, 1.0, 6.0);
    }
  }
  fail_unless (gst_harness_push_event (rec.h, gst_event_new_eos ()));

  check_long_segments (rec);
}

GST_END_TEST;

/* Buffers of no frame and of one frame, then one of ten seconds: every
 * file holds exactly its frames, the full file too, across the second-long
 * batches in which it is written (the one-frame buffers fill one, the long
 * buffer spans ten). */
GST_START_TEST (test_tiny_and_huge_buffers)
{
  Recording rec;
  rec.start ();
  announce_speakers (rec.h);
  for (guint64 f = 0; f < RATE; f++) {
    if (f % 1000 == 0)
      fail_unless_equals_int (gst_harness_push (rec.h, stereo_buffer (f, 0)),
          GST_FLOW_OK);
    fail_unless_equals_int (gst_harness_push (rec.h, stereo_buffer (f, 1)),
        GST_FLOW_OK);
  }
  push_event (rec.h, GST_VOICE_EVENT_USER_START_SPEAKING, 0.2, "alice");
  push_segment (rec.h, 0, "alice", GST_VOICE_ROLE_USER, 0.2, 0.8);
  push_event (rec.h, GST_VOICE_EVENT_AGENT_START_SPEAKING, 1.0, "bot");
  fail_unless_equals_int (gst_harness_push (rec.h, stereo_buffer (RATE,
              10 * RATE)), GST_FLOW_OK);
  push_segment (rec.h, 1, "bot", GST_VOICE_ROLE_AGENT, 1.0, 6.0);
  fail_unless (gst_harness_push_event (rec.h, gst_event_new_eos ()));

  check_long_segments (rec);
  Wav wav;
  fail_unless (read_wav (rec.path ("full.wav"), wav));
  fail_unless_equals_int (wav.channels, 1);
  fail_unless_equals_int (wav.samples.size (), 11 * RATE);
  for (guint f = 0; f < 11 * RATE; f++)
    if (wav.samples[f] != sample_at (0, f) + sample_at (1, f))
      fail ("full.wav frame %u is %d, not %d", f, wav.samples[f],
          sample_at (0, f) + sample_at (1, f));
}

GST_END_TEST;

/* A start event refused upstream shifts the sink's count of starts: the
 * record still finds its open segment, by its start. */
GST_START_TEST (test_refused_start_event)
{
  Recording rec;
  rec.start ();
  for (guint i = 0; i < 300; i++) {
    fail_unless_equals_int (gst_harness_push (rec.h, stereo_buffer (i *
                CHUNK)), GST_FLOW_OK);
    if (i == 0) {
      announce_speakers (rec.h);
      push_structure (rec.h, gst_structure_new (
              GST_VOICE_TIMELINE_EVENT_STRUCTURE, "type", G_TYPE_STRING,
              "agent_start_speaking", "time", G_TYPE_DOUBLE, 0.0,
              "metadata", G_TYPE_STRING, "{not json", nullptr));
    } else if (i == 170) {
      push_event (rec.h, GST_VOICE_EVENT_USER_START_SPEAKING, 0.2, "alice");
    } else if (i == 230) {
      push_segment (rec.h, 1, "alice", GST_VOICE_ROLE_USER, 0.2, 0.8);
    }
  }
  fail_unless (gst_harness_push_event (rec.h, gst_event_new_eos ()));

  Wav wav;
  fail_unless (read_wav (rec.path ("segments/01-user-0200ms.wav"), wav));
  check_samples (wav, 0, 3200, 9600);
  fail_unless_equals_int (rec.segment_files (), 1);
}

GST_END_TEST;

/* The timeline announces the call's start and its speakers right behind
 * the first audio: the first manifest has them, even when the next
 * rewrite is an hour away (it had neither until then). */
GST_START_TEST (test_first_manifest_has_the_announcements)
{
  Recording rec ("manifest-interval", (guint64) 3600 * GST_SECOND, nullptr);
  rec.start ();
  record_call (rec.h, false, 2);

  JsonParser *parser = json_parser_new ();
  fail_unless (json_parser_load_from_file (parser,
          rec.path ("manifest.json").c_str (), nullptr));
  JsonObject *m = json_node_get_object (json_parser_get_root (parser));
  fail_unless_equals_string (json_object_get_string_member (m, "started_at"),
      "2026-11-26T10:00:00.250000+00:00");
  fail_unless_equals_int (json_array_get_length (json_object_get_array_member
          (m, "speakers")), 2);
  g_object_unref (parser);
}

GST_END_TEST;

/* A recording made into a directory, to check that it stays as it was. */
struct LastRecording : Recording
{
  gchar *before;

  LastRecording ()
  {
    start ();
    record_call (h);
    gst_harness_teardown (h);
    h = nullptr;
    fail_unless (g_file_get_contents (path ("manifest.json").c_str (),
            &before, nullptr, nullptr));
  }
  ~LastRecording ()
  {
    g_free (before);
  }

  void check_as_it_was () const
  {
    gchar *after;
    fail_unless (g_file_get_contents (path ("manifest.json").c_str (),
            &after, nullptr, nullptr));
    fail_unless_equals_string (after, before);
    g_free (after);
    Wav wav;
    fail_unless (read_wav (path ("full.wav"), wav));
    fail_unless_equals_int (wav.samples.size (), 300 * CHUNK);
  }
};

/* A recording that receives nothing leaves the directory as it was. */
GST_START_TEST (test_no_data_keeps_the_last_recording)
{
  LastRecording rec;
  GstElement *sink = gst_element_factory_make ("voicemanifestsink", nullptr);
  g_object_set (sink, "location", rec.path ("").c_str (), nullptr);
  gst_element_set_state (sink, GST_STATE_PAUSED);
  gst_element_set_state (sink, GST_STATE_NULL);
  gst_object_unref (sink);
  rec.check_as_it_was ();
}

GST_END_TEST;

/* A call that ends (EOS) before its first audio, through a real timeline,
 * which gives its latency figures at every EOS: the last recording stays
 * as it was, and a new directory is not left behind. */
GST_START_TEST (test_eos_before_audio_keeps_the_last_recording)
{
  LastRecording rec;
  for (const std::string & location : {
        rec.path (""), rec.path ("new")}) {
    gchar *desc = g_strdup_printf ("voicetimeline name=t ! voicemanifestsink "
        "location=\"%s\" audiotestsrc num-buffers=0 ! audio/x-raw,rate=%d ! "
        "voicesegmenter ! t.sink_0", location.c_str (), RATE);
    GstElement *pipeline = gst_parse_launch (desc, nullptr);
    g_free (desc);
    fail_unless (pipeline != nullptr);
    gst_element_set_state (pipeline, GST_STATE_PLAYING);
    wait_for_eos (pipeline);
  }
  rec.check_as_it_was ();
  fail_if (g_file_test (rec.path ("new").c_str (), G_FILE_TEST_EXISTS));
}

GST_END_TEST;

/* A call hung up before anything came (caps, but no audio and no event):
 * no directory is left behind for it. */
GST_START_TEST (test_no_data_leaves_no_directory)
{
  Recording rec;
  rec.start ();
  fail_unless (g_file_test (rec.path ("segments").c_str (),
          G_FILE_TEST_IS_DIR));
  gst_harness_teardown (rec.h);
  rec.h = nullptr;
  fail_if (g_file_test (rec.path ("").c_str (), G_FILE_TEST_EXISTS));
}

GST_END_TEST;

static gchar *error_of (GstBus * bus, GQuark * domain, gint * code);

/* A call whose format is refused (three channels for MP3) leaves no
 * directory, whatever came before and after the refusal: the speakers'
 * announcements, the timeline's events. */
GST_START_TEST (test_refused_format_leaves_no_directory)
{
  /* MP3 with three unpositioned channels; Opus with nine (opusenc takes
   * eight: it failed at the first audio, as a write error, and left an
   * empty full.opus and a manifest) */
  struct
  {
    gint format;
    gint channels;
  } cases[] = { {4, 3}, {3, 9} };
  for (auto c:cases)
    for (bool events_first : {
          true, false}) {
    /* the limit is the encoder's own */
    GstElementFactory *opusenc = gst_element_factory_find ("opusenc");
    if (opusenc)
      gst_object_unref (opusenc);
    if (c.format == 3 && !opusenc) {
      g_print ("SKIP nine channels in Opus: opusenc is not installed\n");
      continue;
    }
    Recording rec ("format", c.format, "full-layout", 1, nullptr);
    rec.h = gst_harness_new_with_element (rec.sink, "sink", nullptr);
    GstAudioInfo info;
    gst_audio_info_set_format (&info, GST_AUDIO_FORMAT_S16LE, RATE,
        c.channels, nullptr);
    GstCaps *caps = gst_audio_info_to_caps (&info);
    if (events_first) {
      announce_speakers (rec.h);
      push_event (rec.h, GST_VOICE_EVENT_USER_START_SPEAKING, 0.2, "alice");
    }
    gst_harness_set_src_caps (rec.h, caps);
    push_event (rec.h, GST_VOICE_EVENT_USER_START_SPEAKING, 0.2, "alice");
    push_segment (rec.h, 0, "alice", GST_VOICE_ROLE_USER, 0.2, 0.8);
    gst_harness_teardown (rec.h);
    rec.h = nullptr;
    GQuark domain;
    gint code;
    g_free (error_of (rec.bus, &domain, &code));
    fail_unless_equals_int (code, GST_STREAM_ERROR_FORMAT);
    fail_if (g_file_test (rec.path ("").c_str (), G_FILE_TEST_EXISTS),
        "%d channels, events first: %d", c.channels, events_first);
  }
}

GST_END_TEST;

static gchar *
error_of (GstBus * bus, GQuark * domain, gint * code)
{
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != nullptr, "no error posted");
  GError *err;
  gst_message_parse_error (msg, &err, nullptr);
  gchar *text = g_strdup (err->message);
  *domain = err->domain;
  *code = err->code;
  g_error_free (err);
  gst_message_unref (msg);
  return text;
}

GST_START_TEST (test_location_is_a_file)
{
  Recording rec;
  gchar *file = g_build_filename (rec.dir, "call", nullptr);
  fail_unless (g_file_set_contents (file, "not a directory", -1, nullptr));
  fail_unless_equals_int (gst_element_set_state (rec.sink,
          GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
  GQuark domain;
  gint code;
  gchar *text = error_of (rec.bus, &domain, &code);
  fail_unless (domain == GST_RESOURCE_ERROR);
  fail_unless_equals_int (code, GST_RESOURCE_ERROR_OPEN_WRITE);
  fail_unless (strstr (text, file) != nullptr, "%s", text);
  g_free (text);
  /* what was there is untouched */
  gchar *contents;
  fail_unless (g_file_get_contents (file, &contents, nullptr, nullptr));
  fail_unless_equals_string (contents, "not a directory");
  g_free (contents);
  g_free (file);
  gst_element_set_state (rec.sink, GST_STATE_NULL);
}

GST_END_TEST;

GST_START_TEST (test_no_location)
{
  GstElement *sink = gst_element_factory_make ("voicemanifestsink", nullptr);
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (sink, bus);
  fail_unless_equals_int (gst_element_set_state (sink, GST_STATE_PLAYING),
      GST_STATE_CHANGE_FAILURE);
  GQuark domain;
  gint code;
  gchar *text = error_of (bus, &domain, &code);
  fail_unless_equals_int (code, GST_RESOURCE_ERROR_NOT_FOUND);
  g_free (text);
  gst_element_set_state (sink, GST_STATE_NULL);
  gst_element_set_bus (sink, nullptr);
  gst_object_unref (bus);
  gst_object_unref (sink);
}

GST_END_TEST;

/* Links planted where the recording writes are replaced, never followed. */
GST_START_TEST (test_planted_symlinks)
{
  Recording rec;
  gchar *victim = g_build_filename (rec.dir, "victim", nullptr);
  fail_unless (g_file_set_contents (victim, "precious", -1, nullptr));
  g_mkdir_with_parents (rec.path ("segments").c_str (), 0755);
  for (const gchar * name:{"segments/00-user-0200ms.wav",
          "segments/.part-0.wav", "full.wav", ".manifest.json.tmp"})
    fail_unless_equals_int (symlink (victim, rec.path (name).c_str ()), 0);

  rec.start ();
  record_call (rec.h);

  gchar *contents;
  fail_unless (g_file_get_contents (victim, &contents, nullptr, nullptr));
  fail_unless_equals_string (contents, "precious");
  g_free (contents);
  g_free (victim);
  for (const gchar * name:{"segments/00-user-0200ms.wav", "full.wav",
          "manifest.json"}) {
    GStatBuf st;
    fail_unless_equals_int (g_lstat (rec.path (name).c_str (), &st), 0);
    fail_unless (S_ISREG (st.st_mode), "%s is not a regular file", name);
  }
  /* the manifest's temporary file was made and renamed, link and all */
  GStatBuf st;
  fail_unless (g_lstat (rec.path (".manifest.json.tmp").c_str (), &st) != 0);
  Wav wav;
  fail_unless (read_wav (rec.path ("segments/00-user-0200ms.wav"), wav));
  check_samples (wav, 0, 3200, 9600);
}

GST_END_TEST;

GST_START_TEST (test_missing_encoder)
{
  GstRegistry *registry = gst_registry_get ();
  GstPluginFeature *lame = gst_registry_lookup_feature (registry,
      "lamemp3enc");
  if (!lame) {
    GST_INFO ("lamemp3enc is not installed: nothing to remove");
  } else {
    gst_registry_remove_feature (registry, lame);
    gst_object_unref (lame);
  }

  Recording rec ("format", 4, nullptr);
  fail_unless_equals_int (gst_element_set_state (rec.sink,
          GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
  /* the missing-plugin message, then the error */
  GstMessage *msg = gst_bus_pop (rec.bus);
  fail_unless (msg && gst_is_missing_plugin_message (msg));
  gst_message_unref (msg);
  GQuark domain;
  gint code;
  gchar *text = error_of (rec.bus, &domain, &code);
  fail_unless (domain == GST_CORE_ERROR);
  fail_unless_equals_int (code, GST_CORE_ERROR_MISSING_PLUGIN);
  fail_unless (strstr (text, "lamemp3enc")
      && strstr (text, "gstreamer1.0-plugins-good"), "%s", text);
  g_free (text);
  gst_element_set_state (rec.sink, GST_STATE_NULL);
}

GST_END_TEST;

/* A full disk in the middle of the call: an error naming the path, and
 * what is listed in the manifest is intact. Needs root for the tmpfs. */
GST_START_TEST (test_disk_full)
{
  Recording rec ("full-layout", 1, nullptr);
  gchar *mnt = g_build_filename (rec.dir, "call", nullptr);
  g_mkdir_with_parents (mnt, 0755);
  if (mount ("tmpfs", mnt, "tmpfs", 0, "size=256k") != 0) {
    g_print ("SKIP test_disk_full: cannot mount a small tmpfs (%s); run as "
        "root to test a full disk\n", g_strerror (errno));
    g_free (mnt);
    return;
  }

  rec.start ();
  /* 256 kB hold about 4 s of the stereo full file */
  GstFlowReturn ret = GST_FLOW_OK;
  for (guint i = 0; i < 1000 && ret == GST_FLOW_OK; i++) {
    ret = gst_harness_push (rec.h, stereo_buffer (i * CHUNK));
    if (i == 0) {
      announce_speakers (rec.h);
    } else if (i == 170) {
      push_event (rec.h, GST_VOICE_EVENT_USER_START_SPEAKING, 0.2, "alice");
    } else if (i == 230) {
      push_segment (rec.h, 0, "alice", GST_VOICE_ROLE_USER, 0.2, 0.8);
    }
  }
  fail_unless_equals_int (ret, GST_FLOW_ERROR);
  GQuark domain;
  gint code;
  gchar *text = error_of (rec.bus, &domain, &code);
  fail_unless (domain == GST_RESOURCE_ERROR);
  fail_unless_equals_int (code, GST_RESOURCE_ERROR_NO_SPACE_LEFT);
  fail_unless (strstr (text, mnt) != nullptr, "%s", text);
  g_free (text);
  gst_harness_teardown (rec.h);
  rec.h = nullptr;

  /* the manifest parses and every file it lists is complete */
  JsonParser *parser;
  JsonObject *m = read_manifest (rec, &parser);
  JsonArray *segs = json_object_get_array_member (m, "segments");
  for (guint i = 0; i < json_array_get_length (segs); i++) {
    Wav wav;
    JsonObject *s = json_array_get_object_element (segs, i);
    fail_unless (read_wav (rec.path (json_object_get_string_member (s,
                    "file")).c_str (), wav));
  }
  g_object_unref (parser);
  fail_unless_equals_int (umount (mnt), 0);
  g_free (mnt);
}

GST_END_TEST;

/* Decodes @path back (decodebin) to 16 kHz S16 frames of @channel. */
static std::vector < gint16 >
decode (const std::string & path, guint channel = 0)
{
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! decodebin ! "
      "audioconvert ! audioresample ! audio/x-raw,format=S16LE,rate=%d ! "
      "fakesink name=out signal-handoffs=true", path.c_str (), RATE);
  GstElement *pipeline = gst_parse_launch (desc, nullptr);
  g_free (desc);
  fail_unless (pipeline != nullptr);
  GstElement *out = gst_bin_get_by_name (GST_BIN (pipeline), "out");
  std::vector < gint16 > samples;
  struct Sink
  {
    std::vector < gint16 > *samples;
    guint channel;
  } sink = { &samples, channel };
  g_signal_connect (out, "handoff", G_CALLBACK (+[](GstElement *,
              GstBuffer * buf, GstPad * pad, Sink * s) {
            GstCaps *caps = gst_pad_get_current_caps (pad);
            GstAudioInfo info;
            gst_audio_info_from_caps (&info, caps);
            gst_caps_unref (caps);
            GstMapInfo map;
            gst_buffer_map (buf, &map, GST_MAP_READ);
            const gint16 *d = (const gint16 *) map.data;
            guint n = GST_AUDIO_INFO_CHANNELS (&info);
            for (gsize f = 0; f < map.size / (2 * n); f++)
              s->samples->push_back (d[f * n + MIN (s->channel, n - 1)]);
            gst_buffer_unmap (buf, &map);
          }), &sink);
  gst_object_unref (out);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
      (GstMessageType) (GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  fail_unless (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS,
      "%s does not decode", path.c_str ());
  gst_message_unref (msg);
  gst_object_unref (bus);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  return samples;
}

/* Every format decodes back to the right length; the lossless ones to the
 * very samples. */
/* The total samples that a FLAC file's STREAMINFO gives: flacenc writes
 * 0 first and goes back for it at the end, through a seek downstream. */
static guint64
flac_total_samples (const std::string & path)
{
  gchar *data;
  gsize size;
  if (!g_file_get_contents (path.c_str (), &data, &size, nullptr))
    return 0;
  guint64 total = 0;
  /* "fLaC", a block header, then STREAMINFO: 36 bits from its byte 13,
   * read a byte at a time (they are not aligned) */
  const guint8 *b = (const guint8 *) data;
  if (size >= 26 && memcmp (data, "fLaC", 4) == 0)
    for (guint i = 21; i < 26; i++)
      total = (total << 8) | (i == 21 ? b[i] & 0x0f : b[i]);
  g_free (data);
  return total;
}

struct FormatCase
{
  gint format;
  const gchar *ext;
  const gchar *encoder;
  bool lossless;
  guint tolerance;              /* frames */
};

static const FormatCase FORMATS[] = {
  {0, "wav", "wavenc", true, 0},
  {1, "flac", "flacenc", true, 0},
  {2, "ogg", "vorbisenc", false, 0},
  {3, "opus", "opusenc", false, 0},
  /* MP3 has no gapless header from lamemp3enc: the decoder also gives
   * the encoder's delay and the last frame's padding: under three
   * 576-sample frames */
  {4, "mp3", "lamemp3enc", false, 1728},
};

static bool
have_encoder (const FormatCase & f)
{
  GstElementFactory *enc = gst_element_factory_find (f.encoder);
  if (!enc) {
    g_print ("SKIP format %s: %s is not installed\n", f.ext, f.encoder);
    return false;
  }
  gst_object_unref (enc);
  return true;
}

/* The audio of @channel from frame @from in file @name, @n frames. */
static void
check_file (const Recording & rec, const FormatCase & f,
    const std::string & name, guint channel, guint64 from, guint64 n)
{
  std::vector < gint16 > got = decode (rec.path (name.c_str ()), channel);
  guint64 diff = got.size () > n ? got.size () - n : n - got.size ();
  fail_unless (diff <= f.tolerance, "%s: %u frames, not %u", name.c_str (),
      (guint) got.size (), (guint) n);
  if (f.lossless)
    for (guint64 i = 0; i < n; i++)
      fail_unless_equals_int (got[i], sample_at (channel, from + i));
  if (f.format == 1)
    fail_unless_equals_uint64 (flac_total_samples (rec.path (name.c_str ())),
        n);
}

GST_START_TEST (test_formats)
{
  for (const auto & f:FORMATS) {
    if (!have_encoder (f))
      continue;

    Recording rec ("format", f.format, "full-layout", 1, nullptr);
    rec.start ();
    record_call (rec.h);

    struct
    {
      std::string name;
      guint channel;
      guint64 from, n;
    } files[] = {
      {std::string ("segments/00-user-0200ms.") + f.ext, 0, 3200, 9600},
      {std::string ("segments/01-agent-1000ms.") + f.ext, 1, 16000, 24000},
      {std::string ("full.") + f.ext, 1, 0, 48000},
    };
    for (const auto & file:files)
      check_file (rec, f, file.name, file.channel, file.from, file.n);
    JsonParser *parser;
    JsonObject *m = read_manifest (rec, &parser);
    fail_unless_equals_string (json_object_get_string_member (m, "format"),
        f.ext);
    fail_unless (g_str_has_suffix (json_object_get_string_member
            (manifest_segment (m, 0), "file"), f.ext));
    g_object_unref (parser);
  }
}

GST_END_TEST;

/* More segments than are made ready ahead: the later files are written by
 * the encoders of the earlier ones, stopped and started again, and each
 * holds its own audio, complete. */
GST_START_TEST (test_formats_reuse_encoders)
{
  const guint n_segments = 12;
  for (const auto & f:FORMATS) {
    if (!have_encoder (f))
      continue;
    Recording rec ("format", f.format, nullptr);
    rec.start ();
    /* longer than a FLAC block: flacenc 1.22 sends a shorter stream's
     * segment before its caps, a warning */
    push_segments (rec.h, n_segments, 1500, 1000, 400);
    fail_unless (gst_harness_push_event (rec.h, gst_event_new_eos ()));
    for (guint k = 0; k < n_segments; k++)
      check_file (rec, f, segment_name (k, f.ext, 1000), k % 2,
          (1000 * k + 100) * RATE / 1000, 2 * RATE / 5);
    fail_unless_equals_int (rec.segment_files (), n_segments);
  }
}

GST_END_TEST;

static Suite *
voicemanifestsink_suite (void)
{
  load_system_plugins ();

  Suite *s = suite_create ("voicemanifestsink");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_segments_full_file_and_manifest);
  tcase_add_test (tc, test_every_manifest_synced);
  tcase_add_test (tc, test_channels_layout);
  tcase_add_test (tc, test_formats);
  tcase_add_test (tc, test_formats_reuse_encoders);
  tcase_add_test (tc, test_long_buffers);
  tcase_add_test (tc, test_tiny_and_huge_buffers);
  tcase_add_test (tc, test_padding);
  tcase_add_test (tc, test_transcripts_and_padding);
  tcase_add_test (tc, test_archive_waits_for_late_entries);
  tcase_add_test (tc, test_refused_start_event);
  tcase_add_test (tc, test_first_manifest_has_the_announcements);
  tcase_add_test (tc, test_no_data_keeps_the_last_recording);
  tcase_add_test (tc, test_eos_before_audio_keeps_the_last_recording);
  tcase_add_test (tc, test_no_data_leaves_no_directory);
  tcase_add_test (tc, test_refused_format_leaves_no_directory);
  tcase_add_test (tc, test_manifest_lists_complete_files_only);
  tcase_add_test (tc, test_fast_recording_publishes_in_batches);
  tcase_add_test (tc, test_manifest_follows_the_call);
  tcase_add_test (tc, test_hang_up_without_eos);
  tcase_add_test (tc, test_application_events_not_kept);
  tcase_add_test (tc, test_location_is_a_file);
  tcase_add_test (tc, test_no_location);
  tcase_add_test (tc, test_planted_symlinks);
  tcase_add_test (tc, test_missing_encoder);
  tcase_add_test (tc, test_disk_full);
  return s;
}

GST_CHECK_MAIN (voicemanifestsink);
