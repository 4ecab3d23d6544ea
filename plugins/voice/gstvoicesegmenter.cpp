/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/**
 * SECTION:element-voicesegmenter
 * @title: voicesegmenter
 *
 * Finds where one speaker talks. The audio passes through unchanged; around
 * it the element sends serialized custom downstream events (see
 * `gst/voice/voicespeech.h`):
 *
 * * "voice-speech-start" before the buffer that holds the first sample of a
 *   span, so that the audio of the first syllable always follows the event.
 *   To make that possible in detect mode the element holds the audio back by
 *   its decision delay (`min-speech` + 120 ms, 1.5 × `min-speech` + 20 ms
 *   over 200 ms) and reports that delay in the LATENCY query.
 * * "voice-speech-stop" once `min-silence` has passed without speech. Its
 *   `end` field is the end of the last 10 ms frame with speech, not the time
 *   of the decision.
 *
 * Both carry `speaker` (string), `role` (string: "user" or "agent"),
 * `start` (guint64, buffer time of the first speech frame),
 * `start-running-time` (guint64), `padding` (guint64, audio that consumers
 * should keep on each side when they cut the span out), `marked` (boolean,
 * %TRUE if the application gave the span); a stop adds `end`,
 * `end-running-time` and `duration` (guint64). When #GstVoiceSegmenter:post-messages
 * is %TRUE the same structures are posted as element messages with the
 * extra fields `timestamp`, `stream-time` and `running-time` (guint64) of
 * the boundary.
 *
 * When its upstream is not live (files), the element joins the audio into
 * buffers of about four seconds, cut at each event, gap and discontinuity:
 * the same samples with the same times, in far fewer buffers, which saves
 * an aggregator downstream a thread hand-off per buffer; one after a gap
 * is marked DISCONT. A live stream's buffers pass as they came.
 *
 * The speaker identity travels downstream as the sticky custom event
 * "voice-speaker" with the fields `name` and `role` (strings).
 *
 * In `mode=marked` nothing is detected: the application sends
 * "voice-speech-mark" events (field `speaking`, boolean, and optionally
 * `timestamp`, guint64) into the stream, for instance through the `appsrc`
 * that carries its TTS audio, and the element turns them into spans exact
 * to the sample, with no added latency.
 *
 * Frames are 10 ms long, counted from the first buffer (and from each
 * discontinuity). GAP events count as silence, and so does a live stream's
 * audio that is overdue (the upstream latency and 20 ms after the last
 * buffer, by the pipeline clock): the audio held back then leaves within
 * 40 ms more, which the element adds to the latency it reports with its
 * hold-back. Timestamps that drift from
 * the sample count (a leg whose clock runs 1 % fast or slow) are followed:
 * the frames restart from the timestamp whenever the two are 20 ms apart,
 * without ending a span. A flush forgets the open
 * span: downstream resets too. At EOS an open span closes at its last
 * speech frame.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -m filesrc location=call.wav ! wavparse ! audioconvert ! \
 *     voicesegmenter speaker=alice role=user ! fakesink
 * ]| prints a "voice-speech-start" and a "voice-speech-stop" message for
 * every span that alice speaks.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstvoicesegmenter.h"
#include "bufferrun.h"
#include "frameanalyzer.h"
#include "speechdetector.h"
#include "stallwatch.h"
#include "nextcallproperty.h"
#include "upstreamlive.h"

#include <gst/audio/audio.h>
#include <gst/voice/voice.h>

#include <atomic>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

GST_DEBUG_CATEGORY_STATIC (gst_voice_segmenter_debug);
#define GST_CAT_DEFAULT gst_voice_segmenter_debug

#define DEFAULT_ROLE GST_VOICE_ROLE_USER
#define DEFAULT_MODE GST_VOICE_SEGMENTER_MODE_DETECT
#define DEFAULT_THRESHOLD 9.0
#define DEFAULT_MIN_LEVEL -50.0
#define DEFAULT_MIN_SPEECH (50 * GST_MSECOND)
#define DEFAULT_MIN_SILENCE (700 * GST_MSECOND)
#define DEFAULT_PADDING 0
#define DEFAULT_POST_MESSAGES TRUE

/* Timestamps closer than this to where the previous buffer ended are taken
 * as continuous (upstream rounding); anything further is a discontinuity. */
#define CONTINUITY_TOLERANCE (20 * GST_MSECOND)
/* how much later than where the last one ended an untimed live buffer may
 * come and still be taken to follow it (a sender's jitter) */
#define UNTIMED_JITTER (60 * GST_MSECOND)
/* without a live source, the audio goes out in runs of about this long */
#define OFFLINE_RUN_DURATION (4 * GST_SECOND)
/* A step back up to this is a leg whose clock runs a little fast (its
 * samples outlast the time they are stamped with): the analysis goes on
 * from the timestamp, keeping what is open. Further back, the stream's
 * time went backwards and what was open ends. */
#define SKEW_TOLERANCE (200 * GST_MSECOND)
/* A live stream's audio that has not come this long after the latency
 * upstream allows is taken as silence (see
 * gst_voice_segmenter_stall_check ()). */
#define STALL_SLACK (20 * GST_MSECOND)
/* How late the audio held back may leave when a live stream stops: the
 * slack and a period of the stall watch, which looks that often. Part of
 * the latency reported, so that downstream waits for it. */
#define STALL_ALLOWANCE (STALL_SLACK + stall_watch::PERIOD)

enum
{
  PROP_0,
  PROP_SPEAKER,
  PROP_ROLE,
  PROP_MODE,
  PROP_THRESHOLD,
  PROP_MIN_LEVEL,
  PROP_MIN_SPEECH,
  PROP_MIN_SILENCE,
  PROP_PADDING,
  PROP_POST_MESSAGES,
};

#define CAPS_STR \
  "audio/x-raw, format = (string) { S16LE, F32LE }, " \
  "rate = (int) [ 8000, 48000 ], channels = (int) 1, " \
  "layout = (string) interleaved"

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (CAPS_STR));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (CAPS_STR));

namespace
{

struct Settings
{
  std::string speaker;          /* empty: the role's name */
  std::string rejected_speaker; /* an invalid name, reported when starting */
  bool speaker_rejected = false;
  GstVoiceRole role = DEFAULT_ROLE;
  GstVoiceSegmenterMode mode = DEFAULT_MODE;
  SpeechDetector::Params params;
  GstClockTime padding = DEFAULT_PADDING;
  bool post_messages = DEFAULT_POST_MESSAGES;

  std::string effective_speaker () const
  {
    return speaker.empty ()? gst_voice_role_to_string (role) : speaker;
  }
};

/* Held back audio, and the serialized events that came between it, so
 * that they leave in the order they came. */
struct Queued
{
  GstMiniObject *item;          /* a GstBuffer or a GstEvent */
  GstClockTime end;             /* for an event, the end of the audio before */
  GstClockTime start = GST_CLOCK_TIME_NONE;     /* a buffer's */
};

/* A decided boundary, with the identity and running times in force when
 * it was decided. */
struct Boundary
{
  GstVoiceSpeechKind kind = GST_VOICE_SPEECH_START;
  GstClockTime start = GST_CLOCK_TIME_NONE;
  GstClockTime end = GST_CLOCK_TIME_NONE;
  GstClockTime start_running_time = GST_CLOCK_TIME_NONE;
  GstClockTime end_running_time = GST_CLOCK_TIME_NONE;
  std::string speaker;
  GstVoiceRole role = GST_VOICE_ROLE_USER;
  GstClockTime padding = 0;

  GstClockTime anchor () const
  {
    return kind == GST_VOICE_SPEECH_START ? start : end;
  }
};

}                               /* namespace */

struct GstVoiceSegmenterPrivate
{
  /* properties, under @lock; @settings_changed tells the streaming thread
   * to take a new copy */
  std::mutex lock;
  Settings settings;
  bool settings_changed = true;
  /* the delay in force while streaming, for the LATENCY query */
  GstClockTime active_holdback = GST_CLOCK_TIME_NONE;

  /* streaming thread only */
  Settings active;
  bool have_info = false;
  GstAudioInfo info;
  GstSegment segment;
  FrameAnalyzer analyzer;
  SpeechDetector detector;
  bool need_speaker_event = true;
  std::deque < Queued > queue;
  std::deque < Boundary > boundaries;
  std::vector < SpeechDetector::Boundary > decided;
  Boundary span_open;           /* the open span's start, if start is valid */
  GstClockTime last_stop_sent = GST_CLOCK_TIME_NONE;    /* its end */
  GstClockTime position = GST_CLOCK_TIME_NONE;
  GstClockTime released = GST_CLOCK_TIME_NONE;
  /* where the last buffer that came in ends (position may go on past it:
   * silence taken for audio that did not come) */
  GstClockTime received_end = GST_CLOCK_TIME_NONE;
  /* where the last run pushed ends (not live) */
  GstClockTime run_end = GST_CLOCK_TIME_NONE;
  bool mark_start_pending = false;
  bool warned_mark_in_detect = false;
  bool warned_repaired = false;
  /* whether upstream is live, asked at the first buffer, and its latency */
  enum { LIVE_UNKNOWN, LIVE, NOT_LIVE } liveness = LIVE_UNKNOWN;
  GstClockTime upstream_latency = 0;
  /* live: where the audio stopped coming and silence was taken for it
   * (GST_CLOCK_TIME_NONE while it comes), and whether EOS came */
  GstClockTime silence_assumed_from = GST_CLOCK_TIME_NONE;
  bool eos = false;

  /* live: watched by the process's stall watch (stallwatch.h), which
   * reads when the last buffer came (monotonic µs), how long after it the
   * next is overdue, and whether there is nothing left to decide */
  bool watched = false;
  std::atomic < gint64 > last_arrival { 0 };
  std::atomic < gint64 > overdue_after { G_MAXINT64 };
  std::atomic < bool > stall_quiet { false };
  /* not playing: no audio is due */
  std::atomic < bool > playing { false };
  /* what downstream gave back for the audio the watch's check pushed,
   * given upstream with the next buffer (the stream lock held) */
  GstFlowReturn stall_flow = GST_FLOW_OK;
};

struct _GstVoiceSegmenter
{
  GstElement parent;

  GstPad *sinkpad;
  GstPad *srcpad;

  GstVoiceSegmenterPrivate *priv;
};

#define GST_TYPE_VOICE_SEGMENTER_MODE (gst_voice_segmenter_mode_get_type ())
static GType
gst_voice_segmenter_mode_get_type (void)
{
  static gsize id = 0;
  static const GEnumValue values[] = {
    {GST_VOICE_SEGMENTER_MODE_DETECT, "Detect speech in the audio", "detect"},
    {GST_VOICE_SEGMENTER_MODE_MARKED,
        "Spans are given by voice-speech-mark events", "marked"},
    {0, nullptr, nullptr}
  };

  if (g_once_init_enter (&id)) {
    GType tmp = g_enum_register_static ("GstVoiceSegmenterMode", values);
    g_once_init_leave (&id, tmp);
  }
  return (GType) id;
}

#define gst_voice_segmenter_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstVoiceSegmenter, gst_voice_segmenter,
    GST_TYPE_ELEMENT, GST_DEBUG_CATEGORY_INIT (gst_voice_segmenter_debug,
        "voicesegmenter", 0, "Speech span detection"));
GST_ELEMENT_REGISTER_DEFINE (voicesegmenter, "voicesegmenter", GST_RANK_NONE,
    GST_TYPE_VOICE_SEGMENTER);

static void gst_voice_segmenter_finalize (GObject * object);
static void gst_voice_segmenter_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_voice_segmenter_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static GstStateChangeReturn gst_voice_segmenter_change_state (GstElement *
    element, GstStateChange transition);
static GstFlowReturn gst_voice_segmenter_chain (GstPad * pad,
    GstObject * parent, GstBuffer * buffer);
static gboolean gst_voice_segmenter_sink_event (GstPad * pad,
    GstObject * parent, GstEvent * event);
static gboolean gst_voice_segmenter_src_query (GstPad * pad,
    GstObject * parent, GstQuery * query);
static void gst_voice_segmenter_queue_event (GstVoiceSegmenter * self,
    GstEvent * event);
static GstFlowReturn gst_voice_segmenter_release (GstVoiceSegmenter * self,
    bool drain);
static void gst_voice_segmenter_unwatch_stall (GstVoiceSegmenter * self);
static GstClockTime gst_voice_segmenter_start_after_last_span
    (GstVoiceSegmenter * self, GstClockTime start);

static void
gst_voice_segmenter_class_init (GstVoiceSegmenterClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  const GParamFlags rw =
      (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  gobject_class->finalize = gst_voice_segmenter_finalize;
  gobject_class->set_property = gst_voice_segmenter_set_property;
  gobject_class->get_property = gst_voice_segmenter_get_property;

  g_object_class_install_property (gobject_class, PROP_SPEAKER,
      g_param_spec_string ("speaker", "Speaker",
          "Name of the speaker: 1 to 64 ASCII letters, digits, '-' or '_' "
          "(NULL: the role's name, \"user\" or \"agent\")", nullptr,
          (GParamFlags) (rw | GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property (gobject_class, PROP_ROLE,
      g_param_spec_enum ("role", "Role", "Role of the speaker",
          GST_TYPE_VOICE_ROLE, DEFAULT_ROLE,
          (GParamFlags) (rw | GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property (gobject_class, PROP_MODE,
      g_param_spec_enum ("mode", "Mode",
          "Detect speech in the audio, or take the spans that the "
          "application marks with voice-speech-mark events",
          GST_TYPE_VOICE_SEGMENTER_MODE, DEFAULT_MODE,
          (GParamFlags) (rw | GST_PARAM_MUTABLE_READY)));
  g_object_class_install_property (gobject_class, PROP_THRESHOLD,
      g_param_spec_double ("threshold", "Threshold",
          "How far above the tracked noise floor a 10 ms frame must be to "
          "count as speech, in dB (lower is more sensitive)", 3.0, 40.0,
          DEFAULT_THRESHOLD, (GParamFlags) (rw | GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property (gobject_class, PROP_MIN_LEVEL,
      g_param_spec_double ("min-level", "Minimum level",
          "Frames quieter than this (RMS, dBFS) are never speech, whatever "
          "the noise floor", -90.0, 0.0, DEFAULT_MIN_LEVEL,
          (GParamFlags) (rw | GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property (gobject_class, PROP_MIN_SPEECH,
      g_param_spec_uint64 ("min-speech", "Minimum speech",
          "Speech needed to open a span, in nanoseconds (part of the "
          "decision delay reported as latency)", 10 * GST_MSECOND,
          GST_SECOND, DEFAULT_MIN_SPEECH,
          (GParamFlags) (rw | GST_PARAM_MUTABLE_READY)));
  g_object_class_install_property (gobject_class, PROP_MIN_SILENCE,
      g_param_spec_uint64 ("min-silence", "Minimum silence",
          "Silence needed to close a span, in nanoseconds; shorter pauses "
          "stay inside the span", 50 * GST_MSECOND, 10 * GST_SECOND,
          DEFAULT_MIN_SILENCE,
          (GParamFlags) (rw | GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property (gobject_class, PROP_PADDING,
      g_param_spec_uint64 ("padding", "Padding",
          "Audio that consumers should keep before and after each span when "
          "they cut it out, in nanoseconds (sent in the events, never added "
          "to the span's times)", 0, GST_SECOND, DEFAULT_PADDING,
          (GParamFlags) (rw | GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property (gobject_class, PROP_POST_MESSAGES,
      g_param_spec_boolean ("post-messages", "Post messages",
          "Post an element message on the bus for every span start and stop",
          DEFAULT_POST_MESSAGES,
          (GParamFlags) (rw | GST_PARAM_MUTABLE_PLAYING)));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "Voice segmenter",
      "Filter/Analyzer/Audio", "Finds the speech spans of one speaker",
      "GStreamer voice recorder developers");

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_voice_segmenter_change_state);

  gst_type_mark_as_plugin_api (GST_TYPE_VOICE_SEGMENTER_MODE,
      (GstPluginAPIFlags) 0);
  gst_type_mark_as_plugin_api (GST_TYPE_VOICE_ROLE, (GstPluginAPIFlags) 0);
}

static void
gst_voice_segmenter_init (GstVoiceSegmenter * self)
{
  self->priv = new GstVoiceSegmenterPrivate ();
  gst_audio_info_init (&self->priv->info);
  gst_segment_init (&self->priv->segment, GST_FORMAT_TIME);

  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_voice_segmenter_chain));
  gst_pad_set_event_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_voice_segmenter_sink_event));
  /* not proxying ALLOCATION: the buffers held back would starve a small
   * upstream pool */
  GST_PAD_SET_PROXY_CAPS (self->sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_set_query_function (self->srcpad,
      GST_DEBUG_FUNCPTR (gst_voice_segmenter_src_query));
  GST_PAD_SET_PROXY_CAPS (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);
}

static void
gst_voice_segmenter_finalize (GObject * object)
{
  GstVoiceSegmenter *self = GST_VOICE_SEGMENTER (object);

  for (auto & q:self->priv->queue)
    gst_mini_object_unref (q.item);
  delete self->priv;

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

/* A name fit to be shown in an error message, whatever it holds. */
static std::string
printable_name (const gchar * name)
{
  gchar *escaped = g_strescape (name ? name : "(null)", nullptr);
  std::string s (escaped);
  g_free (escaped);
  if (s.size () > 80)
    s = s.substr (0, 80) + "...";
  return s;
}

static void
gst_voice_segmenter_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstVoiceSegmenter *self = GST_VOICE_SEGMENTER (object);
  GstVoiceSegmenterPrivate *priv = self->priv;
  std::string warn_name;

  next_call_property_check (GST_ELEMENT (object), pspec);
  GST_OBJECT_LOCK (self);
  bool running = GST_STATE (self) > GST_STATE_NULL;
  GST_OBJECT_UNLOCK (self);

  {
    std::lock_guard < std::mutex > lk (priv->lock);
    Settings & s = priv->settings;

    switch (prop_id) {
      case PROP_SPEAKER:{
        const gchar *name = g_value_get_string (value);
        if (name == nullptr || name[0] == '\0') {
          s.speaker.clear ();
          s.speaker_rejected = false;
        } else if (gst_voice_speaker_name_is_valid (name)) {
          s.speaker = name;
          s.speaker_rejected = false;
        } else {
          /* keep the last good name; if not running yet, starting will
           * fail with an error */
          warn_name = printable_name (name);
          if (!running) {
            s.rejected_speaker = warn_name;
            s.speaker_rejected = true;
          }
        }
        break;
      }
      case PROP_ROLE:
        s.role = (GstVoiceRole) g_value_get_enum (value);
        break;
      case PROP_MODE:
        s.mode = (GstVoiceSegmenterMode) g_value_get_enum (value);
        break;
      case PROP_THRESHOLD:
        s.params.threshold_db = g_value_get_double (value);
        break;
      case PROP_MIN_LEVEL:
        s.params.min_level_db = g_value_get_double (value);
        break;
      case PROP_MIN_SPEECH:
        s.params.min_speech = g_value_get_uint64 (value);
        break;
      case PROP_MIN_SILENCE:
        s.params.min_silence = g_value_get_uint64 (value);
        break;
      case PROP_PADDING:
        s.padding = g_value_get_uint64 (value);
        break;
      case PROP_POST_MESSAGES:
        s.post_messages = g_value_get_boolean (value);
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
        break;
    }
    priv->settings_changed = true;
  }

  if (!warn_name.empty ()) {
    GST_WARNING_OBJECT (self, "invalid speaker name \"%s\" rejected",
        warn_name.c_str ());
    if (running)
      GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
          ("Invalid speaker name \"%s\" ignored", warn_name.c_str ()),
          ("A speaker name is 1 to %d ASCII letters, digits, '-' or '_'",
              GST_VOICE_SPEAKER_NAME_MAX_LENGTH));
  }
}

static void
gst_voice_segmenter_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstVoiceSegmenter *self = GST_VOICE_SEGMENTER (object);
  std::lock_guard < std::mutex > lk (self->priv->lock);
  const Settings & s = self->priv->settings;

  switch (prop_id) {
    case PROP_SPEAKER:
      g_value_set_string (value, s.speaker.empty ()? nullptr :
          s.speaker.c_str ());
      break;
    case PROP_ROLE:
      g_value_set_enum (value, s.role);
      break;
    case PROP_MODE:
      g_value_set_enum (value, s.mode);
      break;
    case PROP_THRESHOLD:
      g_value_set_double (value, s.params.threshold_db);
      break;
    case PROP_MIN_LEVEL:
      g_value_set_double (value, s.params.min_level_db);
      break;
    case PROP_MIN_SPEECH:
      g_value_set_uint64 (value, s.params.min_speech);
      break;
    case PROP_MIN_SILENCE:
      g_value_set_uint64 (value, s.params.min_silence);
      break;
    case PROP_PADDING:
      g_value_set_uint64 (value, s.padding);
      break;
    case PROP_POST_MESSAGES:
      g_value_set_boolean (value, s.post_messages);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

/* Takes a copy of the properties for the streaming thread. The mode and
 * min-speech (which sets the latency) only change in READY. */
static void
gst_voice_segmenter_apply_settings (GstVoiceSegmenter * self, bool starting)
{
  GstVoiceSegmenterPrivate *priv = self->priv;
  std::lock_guard < std::mutex > lk (priv->lock);

  if (!priv->settings_changed && !starting)
    return;

  Settings next = priv->settings;
  if (!starting) {
    next.mode = priv->active.mode;
    next.params.min_speech = priv->active.params.min_speech;
  }
  if (next.effective_speaker () != priv->active.effective_speaker ()
      || next.role != priv->active.role)
    priv->need_speaker_event = true;

  priv->active = next;
  priv->detector.set_params (next.params);
  priv->settings_changed = false;
  if (starting)
    priv->active_holdback = next.mode == GST_VOICE_SEGMENTER_MODE_MARKED ? 0 :
        priv->detector.decision_delay ();
}

static GstClockTime
gst_voice_segmenter_holdback (GstVoiceSegmenter * self)
{
  GstVoiceSegmenterPrivate *priv = self->priv;
  if (priv->active.mode == GST_VOICE_SEGMENTER_MODE_MARKED)
    return 0;
  return priv->detector.decision_delay ();
}

static void
gst_voice_segmenter_reset_stream (GstVoiceSegmenter * self)
{
  GstVoiceSegmenterPrivate *priv = self->priv;

  /* first: the stall watch no longer looks at what is reset here */
  gst_voice_segmenter_unwatch_stall (self);
  for (auto & q:priv->queue)
    gst_mini_object_unref (q.item);
  priv->queue.clear ();
  priv->boundaries.clear ();
  priv->decided.clear ();
  priv->detector.reset ();
  if (priv->have_info)
    priv->analyzer.configure (GST_AUDIO_INFO_RATE (&priv->info),
        GST_AUDIO_INFO_FORMAT (&priv->info));
  priv->span_open = Boundary ();
  priv->position = GST_CLOCK_TIME_NONE;
  priv->released = GST_CLOCK_TIME_NONE;
  priv->received_end = GST_CLOCK_TIME_NONE;
  priv->run_end = GST_CLOCK_TIME_NONE;
  priv->mark_start_pending = false;
  priv->warned_repaired = false;
  priv->liveness = GstVoiceSegmenterPrivate::LIVE_UNKNOWN;
  priv->silence_assumed_from = GST_CLOCK_TIME_NONE;
  priv->last_stop_sent = GST_CLOCK_TIME_NONE;
  priv->eos = false;
  priv->stall_flow = GST_FLOW_OK;
  gst_segment_init (&priv->segment, GST_FORMAT_TIME);
}

/* A live stream's audio goes on as soon as it is decided; any other is
 * joined into runs (see BufferRun). Asked at the first buffer, when
 * upstream is complete. */
static void
gst_voice_segmenter_check_live (GstVoiceSegmenter * self)
{
  GstVoiceSegmenterPrivate *priv = self->priv;
  if (priv->liveness == GstVoiceSegmenterPrivate::LIVE_UNKNOWN) {
    gboolean live = upstream_is_live (self->sinkpad, &priv->upstream_latency);
    priv->liveness = live ? GstVoiceSegmenterPrivate::LIVE :
        GstVoiceSegmenterPrivate::NOT_LIVE;
    GST_DEBUG_OBJECT (self, "upstream is %slive", live ? "" : "not ");
  }
}

/* A run that does not go on where the last one ended (beyond a rounding)
 * is marked DISCONT, as upstream may not have marked the hole: an
 * aggregator takes an unmarked jump for jitter for half a second
 * (discont-wait), or for clock drift, and a run is seconds long: the whole
 * run would land too early, or be resampled. */
static GstFlowReturn
gst_voice_segmenter_push_run (GstVoiceSegmenter * self, BufferRun & run)
{
  GstVoiceSegmenterPrivate *priv = self->priv;
  if (run.empty ())
    return GST_FLOW_OK;
  /* from the sample counts, not the buffers' durations */
  GstClockTime start = run.start (), end = run.end ();
  bool follows = !GST_CLOCK_TIME_IS_VALID (priv->run_end)
      || !GST_CLOCK_TIME_IS_VALID (start) || BufferRun::joins (priv->run_end,
      start);
  GstBuffer *buffer = run.take ();
  if (!follows && !GST_BUFFER_IS_DISCONT (buffer)) {
    buffer = gst_buffer_make_writable (buffer);
    GST_BUFFER_FLAG_SET (buffer, GST_BUFFER_FLAG_DISCONT);
  }
  priv->run_end = end;
  return gst_pad_push (self->srcpad, buffer);
}

static void
gst_voice_segmenter_push_speaker (GstVoiceSegmenter * self)
{
  GstVoiceSegmenterPrivate *priv = self->priv;
  if (!priv->need_speaker_event)
    return;
  priv->need_speaker_event = false;
  /* behind the audio of the previous speaker still held back */
  gst_voice_segmenter_queue_event (self,
      gst_voice_event_new_speaker (priv->active.effective_speaker ().c_str (),
          priv->active.role));
}
static void
gst_voice_segmenter_add_boundary (GstVoiceSegmenter * self, bool start,
    GstClockTime time)
{
  GstVoiceSegmenterPrivate *priv = self->priv;
  Boundary b;

  if (start) {
    b.start = time;
    b.start_running_time = gst_segment_to_running_time (&priv->segment,
        GST_FORMAT_TIME, time);
    b.speaker = priv->active.effective_speaker ();
    b.role = priv->active.role;
    b.padding = priv->active.padding;
    priv->span_open = b;
  } else if (GST_CLOCK_TIME_IS_VALID (priv->span_open.start)) {
    /* a span ends as the speaker it started as */
    b = priv->span_open;
    b.kind = GST_VOICE_SPEECH_STOP;
    b.end = MAX (time, b.start);
    b.end_running_time = gst_segment_to_running_time (&priv->segment,
        GST_FORMAT_TIME, b.end);
    priv->span_open = Boundary ();
  } else {
    return;
  }
  priv->boundaries.push_back (b);
}

static void
gst_voice_segmenter_take_decisions (GstVoiceSegmenter * self)
{
  GstVoiceSegmenterPrivate *priv = self->priv;
  for (const auto & d:priv->decided) {
    GST_LOG_OBJECT (self, "speech %s at %" GST_TIME_FORMAT,
        d.start ? "start" : "stop", GST_TIME_ARGS (d.time));
    gst_voice_segmenter_add_boundary (self, d.start, d.time);
  }
  priv->decided.clear ();
}

/* What is open cannot go on (the stream's time went back, or on in
 * another segment): it ends with the frames analysed, and the detection
 * starts again. */
static void
gst_voice_segmenter_end_detection (GstVoiceSegmenter * self)
{
  GstVoiceSegmenterPrivate *priv = self->priv;
  priv->detector.finish (priv->decided);
  priv->detector.reset ();
  gst_voice_segmenter_take_decisions (self);
}

static void
gst_voice_segmenter_push_boundary (GstVoiceSegmenter * self,
    const Boundary & b)
{
  GstVoiceSegmenterPrivate *priv = self->priv;
  GstVoiceSpeech speech;

  gst_voice_speech_init (&speech);
  speech.kind = b.kind;
  speech.speaker = (gchar *) b.speaker.c_str ();
  speech.role = b.role;
  speech.start = b.start;
  speech.end = b.end;
  speech.start_running_time = b.start_running_time;
  speech.end_running_time = b.end_running_time;
  speech.padding = b.padding;
  speech.marked = priv->active.mode == GST_VOICE_SEGMENTER_MODE_MARKED;

  GST_DEBUG_OBJECT (self, "pushing speech %s %" GST_TIME_FORMAT " - %"
      GST_TIME_FORMAT, b.kind == GST_VOICE_SPEECH_START ? "start" : "stop",
      GST_TIME_ARGS (b.start), GST_TIME_ARGS (b.end));

  if (b.kind == GST_VOICE_SPEECH_STOP)
    priv->last_stop_sent = b.end;
  GstMessage *msg = nullptr;
  if (priv->active.post_messages)
    msg = gst_voice_message_new_speech (GST_OBJECT (self), &speech,
        &priv->segment);
  gst_pad_push_event (self->srcpad, gst_voice_event_new_speech (&speech));
  if (msg)
    gst_element_post_message (GST_ELEMENT (self), msg);
}

/* Pushes the queued audio that no future start can point into, each buffer
 * after the boundaries that lie before its end; with @drain everything. */
static GstFlowReturn
gst_voice_segmenter_release (GstVoiceSegmenter * self, bool drain)
{
  GstVoiceSegmenterPrivate *priv = self->priv;
  GstFlowReturn ret = GST_FLOW_OK;
  GstClockTime holdback = gst_voice_segmenter_holdback (self);
  GstClockTime limit = 0;

  if (GST_CLOCK_TIME_IS_VALID (priv->position) && priv->position > holdback)
    limit = priv->position - holdback;

  /* a run waits until a whole one can go; live buffers go one by one, and
   * the queued buffers are not walked (with many calls they are cold) */
  bool join = priv->liveness == GstVoiceSegmenterPrivate::NOT_LIVE;
  if (join && !drain) {
    GstClockTime from = GST_CLOCK_TIME_NONE;
    for (auto it = priv->queue.begin (); !GST_CLOCK_TIME_IS_VALID (from)
        && it != priv->queue.end (); ++it)
      if (GST_IS_BUFFER (it->item))
        from = it->start;
    if (GST_CLOCK_TIME_IS_VALID (from) && limit < from + OFFLINE_RUN_DURATION)
      limit = 0;
  }

  BufferRun run;
  while (!priv->queue.empty ()) {
    Queued q = priv->queue.front ();
    if (!drain && q.end > limit)
      break;
    if (GST_IS_EVENT (q.item)) {
      if ((ret = gst_voice_segmenter_push_run (self, run)) != GST_FLOW_OK)
        return ret;
      priv->queue.pop_front ();
      gst_pad_push_event (self->srcpad, GST_EVENT_CAST (q.item));
      continue;
    }
    if (!priv->boundaries.empty ()
        && priv->boundaries.front ().anchor () < q.end
        && (ret = gst_voice_segmenter_push_run (self, run)) != GST_FLOW_OK)
      return ret;
    while (!priv->boundaries.empty ()
        && priv->boundaries.front ().anchor () < q.end) {
      gst_voice_segmenter_push_boundary (self, priv->boundaries.front ());
      priv->boundaries.pop_front ();
    }
    priv->queue.pop_front ();
    priv->released = q.end;
    GstBuffer *buffer = GST_BUFFER_CAST (q.item);
    if (!join) {
      if ((ret = gst_pad_push (self->srcpad, buffer)) != GST_FLOW_OK)
        return ret;
      continue;
    }
    if (!run.continues (buffer, q.start)
        && (ret = gst_voice_segmenter_push_run (self, run)) != GST_FLOW_OK) {
      gst_buffer_unref (buffer);
      return ret;
    }
    run.add (buffer, q.start, q.end);
  }
  if ((ret = gst_voice_segmenter_push_run (self, run)) != GST_FLOW_OK)
    return ret;

  /* boundaries whose audio has all been pushed need not wait */
  while (!priv->boundaries.empty ()
      && (drain || (GST_CLOCK_TIME_IS_VALID (priv->released)
              && priv->boundaries.front ().anchor () <= priv->released)
          || (priv->queue.empty () && GST_CLOCK_TIME_IS_VALID (priv->position)
              && priv->boundaries.front ().anchor () <= priv->position))) {
    gst_voice_segmenter_push_boundary (self, priv->boundaries.front ());
    priv->boundaries.pop_front ();
  }
  return ret;
}

/* A serialized event keeps its place behind the audio held back. */
static void
gst_voice_segmenter_queue_event (GstVoiceSegmenter * self, GstEvent * event)
{
  GstVoiceSegmenterPrivate *priv = self->priv;
  if (priv->queue.empty ()) {
    gst_pad_push_event (self->srcpad, event);
    return;
  }
  priv->queue.push_back ({GST_MINI_OBJECT_CAST (event),
          priv->queue.back ().end});
}

/* Gives an analysed frame to the detector, warning once of a repaired one. */
static void
gst_voice_segmenter_push_frame (GstVoiceSegmenter * self,
    const FrameAnalyzer::Frame & f)
{
  GstVoiceSegmenterPrivate *priv = self->priv;
  if (f.repaired && !priv->warned_repaired) {
    GST_ELEMENT_WARNING (self, STREAM, FORMAT, (nullptr),
        ("samples that are not numbers or are infinite at %" GST_TIME_FORMAT
            ": analysed as silence (and any too large to square as the "
            "largest value); the audio passes as it is",
            GST_TIME_ARGS (f.start)));
    priv->warned_repaired = true;
  }
  priv->detector.push_frame (f.power, f.start, f.end, priv->decided);
}

/* Feeds the analyser's last partial frame to the detector. */
static void
gst_voice_segmenter_finish_frame (GstVoiceSegmenter * self)
{
  GstVoiceSegmenterPrivate *priv = self->priv;
  if (!priv->analyzer.has_origin ())
    return;
  priv->analyzer.finish_frame ([&](const FrameAnalyzer::Frame & f) {
        gst_voice_segmenter_push_frame (self, f);
      });
  gst_voice_segmenter_take_decisions (self);
}

/* @from, if valid, is where the analysis goes on in a buffer that came
 * after silence was taken for its start (gst_voice_segmenter_stall_check
 * ()): the part before it is not analysed again. */
static void
gst_voice_segmenter_analyze (GstVoiceSegmenter * self, GstBuffer * buffer,
    GstClockTime pts, gsize n_samples, GstClockTime from)
{
  GstVoiceSegmenterPrivate *priv = self->priv;
  FrameAnalyzer & analyzer = priv->analyzer;
  gint rate = GST_AUDIO_INFO_RATE (&priv->info);
  gsize skip = 0;
  if (GST_CLOCK_TIME_IS_VALID (from) && from > pts) {
    skip = MIN (n_samples, gst_util_uint64_scale_int_round (from - pts, rate,
            GST_SECOND));
    if (skip == n_samples)
      return;
    pts += gst_util_uint64_scale_int (skip, GST_SECOND, rate);
    n_samples -= skip;
  }

  if (!analyzer.has_origin ()) {
    analyzer.set_origin (pts);
  } else {
    GstClockTime expected = analyzer.position ();
    GstClockTimeDiff diff = GST_CLOCK_DIFF (expected, pts);
    if (GST_BUFFER_IS_DISCONT (buffer) || ABS (diff) > CONTINUITY_TOLERANCE) {
      GST_DEBUG_OBJECT (self, "discontinuity of %" GST_STIME_FORMAT,
          GST_STIME_ARGS (diff));
      gst_voice_segmenter_finish_frame (self);
      if (diff > 0) {
        priv->detector.push_silence (expected, pts, priv->decided);
        /* the audio after a hole starts the filter from rest: its state
         * from before would ring into the first frames and pull the next
         * onset back to the hole */
        analyzer.reset ();
      } else if (diff < -(GstClockTimeDiff) SKEW_TOLERANCE) {
        /* time went backwards: what was open cannot continue, and the
         * audio held back must not wait for the new timeline to pass it */
        gst_voice_segmenter_end_detection (self);
        gst_voice_segmenter_release (self, true);
      }
      gst_voice_segmenter_take_decisions (self);
      analyzer.set_origin (pts);
    }
  }

  GstMapInfo map;
  if (!gst_buffer_map (buffer, &map, GST_MAP_READ)) {
    GST_WARNING_OBJECT (self, "could not map buffer, treated as silence");
    priv->detector.push_silence (pts, pts + gst_util_uint64_scale_int
        (n_samples, GST_SECOND, rate), priv->decided);
    return;
  }
  analyzer.process (map.data + skip * GST_AUDIO_INFO_BPF (&priv->info),
      n_samples, [&](const FrameAnalyzer::Frame & f) {
        gst_voice_segmenter_push_frame (self, f);
      });
  gst_buffer_unmap (buffer, &map);
  gst_voice_segmenter_take_decisions (self);
}

/* A live stream can stop coming for a while: a leg that sends nothing
 * between its words (DTX), or one that stalls. Without audio the span
 * open would never see the silence that closes it, and the audio held back
 * would stay here past the latency reported. So once audio is due and has
 * not come (the latency upstream and a packet's slack after the last),
 * silence is taken for it, as for a GAP event, and again at each look
 * while it does not come; audio that still comes later is not analysed
 * again where silence was taken. Not waiting for the hold-back too: the
 * oldest audio held back is due downstream as the next buffer is due
 * here. The process's stall watch looks every period (20 ms), and does
 * the work only when the streaming thread is idle. */

/* The stream lock held: takes the audio that is due and has not come for
 * silence. */
static void
gst_voice_segmenter_stall_check (GstVoiceSegmenter * self)
{
  GstVoiceSegmenterPrivate *priv = self->priv;
  if (GST_STATE (self) != GST_STATE_PLAYING)
    return;
  /* nothing to decide until a buffer comes */
  if (priv->eos || !priv->have_info
      || priv->liveness != GstVoiceSegmenterPrivate::LIVE
      || priv->active.mode != GST_VOICE_SEGMENTER_MODE_DETECT
      || !priv->analyzer.has_origin ()) {
    priv->stall_quiet = true;
    return;
  }
  /* the end of the audio that came */
  GstClockTime heard = gst_segment_to_running_time (&priv->segment,
      GST_FORMAT_TIME, GST_CLOCK_TIME_IS_VALID (priv->silence_assumed_from) ?
      priv->silence_assumed_from : priv->position);
  GstClockTime now = gst_element_get_current_running_time (GST_ELEMENT
      (self));
  GstClockTime due = priv->upstream_latency + STALL_SLACK;
  if (!GST_CLOCK_TIME_IS_VALID (heard) || !GST_CLOCK_TIME_IS_VALID (now)
      || now < heard + due)
    return;

  /* silence up to where the audio is due by now */
  GstClockTime until = gst_segment_position_from_running_time
      (&priv->segment, GST_FORMAT_TIME, now - due);
  if (GST_CLOCK_TIME_IS_VALID (until) && until > priv->position) {
    GST_LOG_OBJECT (self, "no audio from %" GST_TIME_FORMAT " to %"
        GST_TIME_FORMAT ": silence", GST_TIME_ARGS (priv->position),
        GST_TIME_ARGS (until));
    if (!GST_CLOCK_TIME_IS_VALID (priv->silence_assumed_from))
      priv->silence_assumed_from = priv->position;
    gst_voice_segmenter_finish_frame (self);
    priv->detector.push_silence (priv->analyzer.position (), until,
        priv->decided);
    gst_voice_segmenter_take_decisions (self);
    /* what comes next starts the filter from rest, as after a hole */
    priv->analyzer.reset ();
    priv->analyzer.set_origin (until);
    priv->position = until;
    /* EOS and errors hold until the next buffer; not-linked and flushing
     * may be over by then */
    GstFlowReturn ret = gst_voice_segmenter_release (self, false);
    if (ret <= GST_FLOW_EOS && priv->stall_flow == GST_FLOW_OK)
      priv->stall_flow = ret;
  }
  /* until the next buffer, nothing more to decide */
  if (!priv->detector.speaking () && priv->queue.empty ())
    priv->stall_quiet = true;
}

/* The stall watch's question, in its thread: whether the audio is overdue
 * and something could be decided. */
static bool
gst_voice_segmenter_stall_due (GstObject * owner)
{
  GstVoiceSegmenterPrivate *priv = GST_VOICE_SEGMENTER (owner)->priv;
  return priv->playing && !priv->stall_quiet
      && g_get_monotonic_time () - priv->last_arrival >= priv->overdue_after;
}

/* The stall watch's check, in a pool thread. */
static void
gst_voice_segmenter_stall_look (GstObject * owner)
{
  GstVoiceSegmenter *self = GST_VOICE_SEGMENTER (owner);
  /* busy: the audio is coming */
  if (!GST_PAD_STREAM_TRYLOCK (self->sinkpad))
    return;
  /* a flush throws away what would be decided */
  if (!GST_PAD_IS_FLUSHING (self->sinkpad))
    gst_voice_segmenter_stall_check (self);
  GST_PAD_STREAM_UNLOCK (self->sinkpad);
}

/* Streaming thread: notes that audio came, for the stall watch; @duration
 * is the buffer's. */
static void
gst_voice_segmenter_watch_stall (GstVoiceSegmenter * self,
    GstClockTime duration)
{
  GstVoiceSegmenterPrivate *priv = self->priv;
  if (priv->liveness != GstVoiceSegmenterPrivate::LIVE
      || priv->active.mode != GST_VOICE_SEGMENTER_MODE_DETECT)
    return;
  /* a buffer comes at most the upstream latency after its start, so the
   * check (by the pipeline clock, latency included) can have work from a
   * buffer's duration and the slack after this one's arrival on */
  priv->last_arrival = g_get_monotonic_time ();
  priv->overdue_after = (gint64) ((duration + STALL_SLACK) / GST_USECOND);
  priv->stall_quiet = false;
  if (!priv->watched) {
    priv->watched = true;
    stall_watch::watch (GST_OBJECT (self), gst_voice_segmenter_stall_due,
        gst_voice_segmenter_stall_look);
  }
}

static void
gst_voice_segmenter_unwatch_stall (GstVoiceSegmenter * self)
{
  if (!self->priv->watched)
    return;
  self->priv->watched = false;
  stall_watch::unwatch (GST_OBJECT (self));
}

/* Where a buffer without a timestamp goes: where the analysis is (the end
 * of the last buffer, or of the silence taken for audio that did not
 * come). Live, the first where it arrives, as a source's do-timestamp
 * would place it, and so one that comes later than that by more than
 * jitter (the leg sent nothing for a while): the timeline places a leg's
 * audio by its running time, and the spans must be where their audio is.
 * A sender whose own clock is slower than the pipeline's is placed anew
 * each time it falls that far behind. */
static GstClockTime
gst_voice_segmenter_untimed_pts (GstVoiceSegmenter * self)
{
  GstVoiceSegmenterPrivate *priv = self->priv;
  GstClockTime next = priv->position;
  if (priv->liveness == GstVoiceSegmenterPrivate::LIVE) {
    GstClockTime now =
        gst_element_get_current_running_time (GST_ELEMENT (self));
    GstClockTime arrival = GST_CLOCK_TIME_IS_VALID (now) ?
        gst_segment_position_from_running_time (&priv->segment,
        GST_FORMAT_TIME, now) : GST_CLOCK_TIME_NONE;
    if (GST_CLOCK_TIME_IS_VALID (arrival) && (!GST_CLOCK_TIME_IS_VALID (next)
            || arrival > next + UNTIMED_JITTER))
      return arrival;
  }
  return GST_CLOCK_TIME_IS_VALID (next) ? next : priv->segment.start;
}

static GstFlowReturn
gst_voice_segmenter_chain (GstPad * pad, GstObject * parent,
    GstBuffer * buffer)
{
  GstVoiceSegmenter *self = GST_VOICE_SEGMENTER (parent);
  GstVoiceSegmenterPrivate *priv = self->priv;

  if (G_UNLIKELY (!priv->have_info)) {
    gst_buffer_unref (buffer);
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (nullptr),
        ("received a buffer before caps"));
    return GST_FLOW_NOT_NEGOTIATED;
  }

  /* downstream refused the audio that the stall watch pushed */
  if (G_UNLIKELY (priv->stall_flow != GST_FLOW_OK)) {
    GstFlowReturn ret = priv->stall_flow;
    priv->stall_flow = GST_FLOW_OK;
    GST_DEBUG_OBJECT (self, "giving upstream %s, from the audio pushed "
        "when it was overdue", gst_flow_get_name (ret));
    gst_buffer_unref (buffer);
    return ret;
  }

  gst_voice_segmenter_apply_settings (self, false);
  gst_voice_segmenter_push_speaker (self);
  gst_voice_segmenter_check_live (self);

  gint bpf = GST_AUDIO_INFO_BPF (&priv->info);
  gint rate = GST_AUDIO_INFO_RATE (&priv->info);
  gsize n_samples = gst_buffer_get_size (buffer) / bpf;

  /* a buffer without a timestamp leaves with the one it is taken to have,
   * so that downstream places it where its spans say */
  GstClockTime pts = GST_BUFFER_PTS (buffer);
  bool untimed = !GST_CLOCK_TIME_IS_VALID (pts);
  if (untimed)
    pts = gst_voice_segmenter_untimed_pts (self);
  GstClockTime end = pts + gst_util_uint64_scale_int (n_samples, GST_SECOND,
      rate);
  if (untimed) {
    buffer = gst_buffer_make_writable (buffer);
    GST_BUFFER_PTS (buffer) = pts;
    GST_BUFFER_DURATION (buffer) = end - pts;
    /* a hole the stamps make is marked: unmarked, the timeline would take
     * it for jitter and place the audio too early */
    if (GST_CLOCK_TIME_IS_VALID (priv->received_end)
        && pts > priv->received_end + GST_SECOND / rate)
      GST_BUFFER_FLAG_SET (buffer, GST_BUFFER_FLAG_DISCONT);
  }
  priv->received_end = end;

  /* audio of a live stream that comes after silence was taken for it,
   * to the sample: its part before where the analysis went on is skipped */
  bool late = GST_CLOCK_TIME_IS_VALID (priv->silence_assumed_from)
      && pts + GST_SECOND / rate / 2 < priv->position
      && pts + CONTINUITY_TOLERANCE >= priv->silence_assumed_from;
  if (!late || end >= priv->position)
    priv->silence_assumed_from = GST_CLOCK_TIME_NONE;

  if (priv->active.mode == GST_VOICE_SEGMENTER_MODE_DETECT) {
    gst_voice_segmenter_analyze (self, buffer, pts, n_samples,
        late ? priv->position : GST_CLOCK_TIME_NONE);
  } else if (priv->mark_start_pending) {
    priv->mark_start_pending = false;
    gst_voice_segmenter_add_boundary (self, true,
        gst_voice_segmenter_start_after_last_span (self, pts));
  }

  priv->position = late ? MAX (priv->position, end) : end;
  priv->queue.push_back ({GST_MINI_OBJECT_CAST (buffer), end, pts});
  GstFlowReturn ret = gst_voice_segmenter_release (self, false);
  gst_voice_segmenter_watch_stall (self, end - pts);
  return ret;
}

/* The spans that the application marks for one speaker do not overlap: a
 * start at @start inside the previous span ends that span there if its
 * stop still waits for its audio, and else moves after it, with a
 * warning. Returns where the span starts. */
static GstClockTime
gst_voice_segmenter_start_after_last_span (GstVoiceSegmenter * self,
    GstClockTime start)
{
  GstVoiceSegmenterPrivate *priv = self->priv;
  for (auto it = priv->boundaries.rbegin (); it != priv->boundaries.rend ();
      ++it) {
    if (it->kind != GST_VOICE_SPEECH_STOP)
      continue;
    if (it->end > start) {
      GstClockTime end = MAX (start, it->start);
      GST_ELEMENT_WARNING (self, STREAM, FORMAT, (nullptr),
          ("voice-speech-mark: a span starts at %" GST_TIME_FORMAT
              ", inside the previous one (%" GST_TIME_FORMAT " to %"
              GST_TIME_FORMAT "), which ends there",
              GST_TIME_ARGS (start), GST_TIME_ARGS (it->start),
              GST_TIME_ARGS (it->end)));
      it->end = end;
      it->end_running_time = gst_segment_to_running_time (&priv->segment,
          GST_FORMAT_TIME, end);
      start = MAX (start, end);
    }
    break;
  }
  if (GST_CLOCK_TIME_IS_VALID (priv->last_stop_sent)
      && start < priv->last_stop_sent) {
    GST_ELEMENT_WARNING (self, STREAM, FORMAT, (nullptr),
        ("voice-speech-mark: a span starts at %" GST_TIME_FORMAT
            ", before the previous one ended (%" GST_TIME_FORMAT
            "): it starts there", GST_TIME_ARGS (start),
            GST_TIME_ARGS (priv->last_stop_sent)));
    start = priv->last_stop_sent;
  }
  return start;
}

static void
gst_voice_segmenter_mark (GstVoiceSegmenter * self, gboolean speaking,
    GstClockTime timestamp)
{
  GstVoiceSegmenterPrivate *priv = self->priv;
  bool open = GST_CLOCK_TIME_IS_VALID (priv->span_open.start)
      || priv->mark_start_pending;

  /* without a time, a start is at the first sample after the mark (the
   * next buffer may come after a gap: a TTS stream between two answers),
   * a stop at the last sample before it */
  if (!GST_CLOCK_TIME_IS_VALID (timestamp) && !speaking)
    timestamp = priv->position;

  if (speaking && !open) {
    if (GST_CLOCK_TIME_IS_VALID (timestamp))
      gst_voice_segmenter_add_boundary (self, true,
          gst_voice_segmenter_start_after_last_span (self, timestamp));
    else
      priv->mark_start_pending = true;
  } else if (!speaking && open) {
    if (priv->mark_start_pending) {
      /* the span held no audio at all */
      priv->mark_start_pending = false;
    } else {
      if (GST_CLOCK_TIME_IS_VALID (timestamp)
          && timestamp < priv->span_open.start)
        GST_ELEMENT_WARNING (self, STREAM, FORMAT, (nullptr),
            ("voice-speech-mark: a span that starts at %" GST_TIME_FORMAT
                " stops before, at %" GST_TIME_FORMAT ": it stops where it "
                "starts", GST_TIME_ARGS (priv->span_open.start),
                GST_TIME_ARGS (timestamp)));
      gst_voice_segmenter_add_boundary (self, false,
          GST_CLOCK_TIME_IS_VALID (timestamp) ? timestamp :
          priv->span_open.start);
    }
  } else {
    GST_DEBUG_OBJECT (self, "ignoring repeated speech mark (speaking=%d)",
        speaking);
  }
}

/* Whether the audio after @segment is on another timeline (concat's next
 * piece, a segment seek's next loop): the running time where the audio
 * received ends would not be where the stream goes on in the new segment
 * (its timestamps jumping back or ahead, or its running time). */
static bool
gst_voice_segmenter_segment_breaks (GstVoiceSegmenter * self,
    const GstSegment * segment)
{
  GstVoiceSegmenterPrivate *priv = self->priv;
  GstClockTime at = priv->position;
  if (!GST_CLOCK_TIME_IS_VALID (at))
    return false;
  GstClockTime rt = gst_segment_to_running_time (&priv->segment,
      GST_FORMAT_TIME, at);
  if (!GST_CLOCK_TIME_IS_VALID (rt))
    return true;
  GstClockTime next = gst_segment_position_from_running_time (segment,
      GST_FORMAT_TIME, rt);
  return !GST_CLOCK_TIME_IS_VALID (next)
      || ABS (GST_CLOCK_DIFF (at, next)) > (GstClockTimeDiff)
      CONTINUITY_TOLERANCE;
}

static gboolean
gst_voice_segmenter_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstVoiceSegmenter *self = GST_VOICE_SEGMENTER (parent);
  GstVoiceSegmenterPrivate *priv = self->priv;
  bool detect = priv->active.mode == GST_VOICE_SEGMENTER_MODE_DETECT;

  GST_LOG_OBJECT (self, "event %" GST_PTR_FORMAT, event);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps;
      GstAudioInfo info;
      gst_event_parse_caps (event, &caps);
      if (!gst_audio_info_from_caps (&info, caps)) {
        GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (nullptr),
            ("invalid caps %" GST_PTR_FORMAT, caps));
        gst_event_unref (event);
        return FALSE;
      }
      if (!priv->have_info || !gst_audio_info_is_equal (&info, &priv->info)) {
        gst_voice_segmenter_finish_frame (self);
        gst_voice_segmenter_release (self, true);
        priv->info = info;
        priv->have_info = true;
        /* the audio in the new format goes on from where the last ended:
         * a hole between them is silence, as without the change */
        GstClockTime position = priv->analyzer.position ();
        if (priv->analyzer.configure (GST_AUDIO_INFO_RATE (&info),
                GST_AUDIO_INFO_FORMAT (&info))
            && GST_CLOCK_TIME_IS_VALID (position))
          priv->analyzer.set_origin (position);
        GST_INFO_OBJECT (self, "analysing %s at %d Hz",
            gst_audio_format_to_string (GST_AUDIO_INFO_FORMAT (&info)),
            GST_AUDIO_INFO_RATE (&info));
      }
      break;
    }
    case GST_EVENT_SEGMENT:{
      GstSegment segment;
      gst_event_copy_segment (event, &segment);
      if (segment.format != GST_FORMAT_TIME) {
        GST_ELEMENT_ERROR (self, STREAM, FORMAT, (nullptr),
            ("need a TIME segment, got %s",
                gst_format_get_name (segment.format)));
        gst_event_unref (event);
        return FALSE;
      }
      if (gst_voice_segmenter_segment_breaks (self, &segment)) {
        /* what is open ends with the audio before it, its running times
         * from the segment it came in */
        if (detect) {
          gst_voice_segmenter_finish_frame (self);
          gst_voice_segmenter_end_detection (self);
          priv->analyzer.reset ();
        } else {
          gst_voice_segmenter_mark (self, FALSE, GST_CLOCK_TIME_NONE);
        }
      }
      gst_voice_segmenter_release (self, true);
      priv->segment = segment;
      break;
    }
    case GST_EVENT_STREAM_START:
      priv->eos = false;
      /* what downstream answered in the last stream is not this one's */
      priv->stall_flow = GST_FLOW_OK;
      gst_voice_segmenter_release (self, true);
      priv->need_speaker_event = true;
      break;
    case GST_EVENT_GAP:{
      GstClockTime ts, duration;
      gst_event_parse_gap (event, &ts, &duration);
      gst_voice_segmenter_apply_settings (self, false);
      gst_voice_segmenter_push_speaker (self);
      if (GST_CLOCK_TIME_IS_VALID (ts)) {
        GstClockTime end = ts + (GST_CLOCK_TIME_IS_VALID (duration) ?
            duration : 0);
        bool short_gap = false;
        /* before caps there is no frame grid yet */
        if (detect && priv->have_info) {
          gst_voice_segmenter_finish_frame (self);
          GstClockTime from = priv->analyzer.has_origin ()?
              priv->analyzer.position () : ts;
          priv->detector.push_silence (from, end, priv->decided);
          gst_voice_segmenter_take_decisions (self);
          priv->analyzer.reset ();
          priv->analyzer.set_origin (end);
          short_gap = GST_CLOCK_TIME_IS_VALID (duration)
              && duration <= SpeechDetector::SHORT_GAP;
        }
        priv->position = end;
        /* a lost packet inside an onset: the start may still point
         * before it, so the audio before it stays held back, and the gap
         * with it */
        if (short_gap) {
          priv->queue.push_back ({GST_MINI_OBJECT_CAST (event), end, ts});
          gst_voice_segmenter_release (self, false);
          return TRUE;
        }
      }
      gst_voice_segmenter_release (self, true);
      break;
    }
    case GST_EVENT_EOS:
      priv->eos = true;
      gst_voice_segmenter_unwatch_stall (self);
      priv->stall_flow = GST_FLOW_OK;
      if (detect) {
        gst_voice_segmenter_finish_frame (self);
        priv->detector.finish (priv->decided);
        gst_voice_segmenter_take_decisions (self);
      } else {
        gst_voice_segmenter_mark (self, FALSE, GST_CLOCK_TIME_NONE);
      }
      gst_voice_segmenter_release (self, true);
      break;
    case GST_EVENT_FLUSH_STOP:
      gst_voice_segmenter_reset_stream (self);
      break;
    case GST_EVENT_CUSTOM_DOWNSTREAM:{
      gboolean speaking;
      GstClockTime ts;
      if (gst_event_has_name (event, GST_VOICE_SPEECH_MARK_STRUCTURE)) {
        if (!gst_voice_event_parse_speech_mark (event, &speaking, &ts)) {
          GST_ELEMENT_WARNING (self, STREAM, FORMAT, (nullptr),
              ("malformed voice-speech-mark event dropped: %" GST_PTR_FORMAT,
                  gst_event_get_structure (event)));
        } else if (detect) {
          if (!priv->warned_mark_in_detect)
            GST_ELEMENT_WARNING (self, STREAM, FORMAT, (nullptr),
                ("voice-speech-mark events are ignored in mode=detect; "
                    "set mode=marked to give spans from the application"));
          priv->warned_mark_in_detect = true;
        } else {
          /* a mark before the first buffer may give a span out at once:
           * the speaker it belongs to goes first */
          gst_voice_segmenter_apply_settings (self, false);
          gst_voice_segmenter_push_speaker (self);
          gst_voice_segmenter_mark (self, speaking, ts);
          gst_voice_segmenter_release (self, false);
        }
        /* marks are for this element only */
        gst_event_unref (event);
        return TRUE;
      }
      gst_voice_segmenter_queue_event (self, event);
      return TRUE;
    }
    default:
      /* tags and the like keep their place behind the audio held back */
      if (GST_EVENT_IS_SERIALIZED (event)) {
        gst_voice_segmenter_queue_event (self, event);
        return TRUE;
      }
      break;
  }

  return gst_pad_event_default (pad, parent, event);
}

static gboolean
gst_voice_segmenter_src_query (GstPad * pad, GstObject * parent,
    GstQuery * query)
{
  GstVoiceSegmenter *self = GST_VOICE_SEGMENTER (parent);

  if (GST_QUERY_TYPE (query) != GST_QUERY_LATENCY)
    return gst_pad_query_default (pad, parent, query);

  if (!gst_pad_peer_query (self->sinkpad, query))
    return FALSE;

  gboolean live;
  GstClockTime min, max;
  gst_query_parse_latency (query, &live, &min, &max);

  GstClockTime holdback;
  {
    std::lock_guard < std::mutex > lk (self->priv->lock);
    const Settings & s = self->priv->settings;
    holdback = self->priv->active_holdback;
    if (!GST_CLOCK_TIME_IS_VALID (holdback)) {
      /* not streaming yet: what starting would use */
      SpeechDetector d;
      d.set_params (s.params);
      holdback = s.mode == GST_VOICE_SEGMENTER_MODE_DETECT ?
          d.decision_delay () : 0;
    }
  }

  /* live, the audio held back when the stream stops leaves when the stall
   * watch finds it overdue */
  GstClockTime added = holdback;
  if (live && holdback > 0)
    added += STALL_ALLOWANCE;
  GST_DEBUG_OBJECT (self, "adding %" GST_TIME_FORMAT " of latency",
      GST_TIME_ARGS (added));
  min += added;
  if (GST_CLOCK_TIME_IS_VALID (max))
    max += added;
  gst_query_set_latency (query, live, min, max);
  return TRUE;
}

static GstStateChangeReturn
gst_voice_segmenter_change_state (GstElement * element,
    GstStateChange transition)
{
  GstVoiceSegmenter *self = GST_VOICE_SEGMENTER (element);
  GstVoiceSegmenterPrivate *priv = self->priv;

  switch (transition) {
    case GST_STATE_CHANGE_NULL_TO_READY:{
      std::string rejected;
      {
        std::lock_guard < std::mutex > lk (priv->lock);
        if (priv->settings.speaker_rejected)
          rejected = priv->settings.rejected_speaker;
      }
      if (!rejected.empty ()) {
        GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
            ("Invalid speaker name \"%s\"", rejected.c_str ()),
            ("A speaker name is 1 to %d ASCII letters, digits, '-' or '_'",
                GST_VOICE_SPEAKER_NAME_MAX_LENGTH));
        return GST_STATE_CHANGE_FAILURE;
      }
      break;
    }
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      gst_voice_segmenter_apply_settings (self, true);
      priv->need_speaker_event = true;
      priv->warned_mark_in_detect = false;
      gst_voice_segmenter_reset_stream (self);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_PLAYING:
      priv->playing = true;
      break;
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      priv->playing = false;
      break;
    default:
      break;
  }

  GstStateChangeReturn ret =
      GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);

  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    gst_voice_segmenter_reset_stream (self);
    priv->have_info = false;
    std::lock_guard < std::mutex > lk (priv->lock);
    priv->active_holdback = GST_CLOCK_TIME_NONE;
  }
  return ret;
}
