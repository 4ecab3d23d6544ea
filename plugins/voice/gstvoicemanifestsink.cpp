/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/**
 * SECTION:element-voicemanifestsink
 * @title: voicemanifestsink
 *
 * Writes a conversation recorded by `voicetimeline` into a directory, as
 * the call goes:
 *
 * |[
 * <location>/
 *   segments/00-user-0500ms.wav    one file per speech segment
 *   segments/01-agent-4813ms.wav
 *   full.wav                        the whole conversation, time-aligned
 *   manifest.json                   segments, timeline events, latency
 * ]|
 *
 * The input is the timeline's output: one channel per speaker, with its
 * serialized custom events ("voice-channel", "voice-conversation-start",
 * "voice-timeline-event", "voice-segment", "voice-latency-summary"; see
 * gst/voice). A segment's file holds exactly its speaker's samples from
 * its start to its end. The full file is the conversation on the timeline's
 * clock, either mixed to one channel or with one channel per speaker
 * (#GstVoiceManifestSink:full-layout). Files are encoded by GStreamer's
 * encoders: wavenc, flacenc, vorbisenc or opusenc with oggmux, lamemp3enc
 * (#GstVoiceManifestSink:format).
 *
 * Nothing is lost when the process dies: a segment's file is complete
 * before it gets its name, manifest.json is replaced atomically and only
 * ever lists complete files, and the full file is readable up to the
 * last audio written. Setting the pipeline to NULL without EOS finishes
 * every file with what was received.
 *
 * Element messages: "voice-file-written" for each file complete under its
 * name: `location` (string), `file` (string, as the manifest names it),
 * `kind` (string, "segment" or "full"), `start-time`, `end-time` (double
 * seconds), and for a segment `idx` (uint), `speaker`, `role` (strings);
 * "voice-manifest-final" when the recording is over: `location` (string),
 * `segment-count` (uint), `duration` (double seconds).
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -m voicetimeline name=t ! voicemanifestsink location=call \
 *     filesrc location=user.wav ! wavparse ! voicesegmenter role=user ! t.sink_0 \
 *     filesrc location=agent.wav ! wavparse ! voicesegmenter role=agent ! t.sink_1
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstvoicemanifestsink.h"
#include "conversationrecorder.h"
#include "nextcallproperty.h"
#include "upstreamlive.h"

#include <gst/audio/audio.h>
#include <gst/pbutils/missing-plugins.h>

#include <memory>
#include <mutex>

GST_DEBUG_CATEGORY (gst_voice_manifest_sink_debug);
#define GST_CAT_DEFAULT gst_voice_manifest_sink_debug

#define DEFAULT_FORMAT RECORDING_FORMAT_WAV
#define DEFAULT_MANIFEST_INTERVAL GST_SECOND
#define DEFAULT_LOOKBACK (3 * GST_SECOND)

enum
{
  PROP_0,
  PROP_LOCATION,
  PROP_FORMAT,
  PROP_FULL_LAYOUT,
  PROP_MANIFEST_INTERVAL,
  PROP_LOOKBACK,
};

enum FullLayout
{
  FULL_LAYOUT_MIXED,
  FULL_LAYOUT_CHANNELS,
};

#define GST_TYPE_VOICE_RECORDING_FORMAT (gst_voice_recording_format_get_type ())
static GType
gst_voice_recording_format_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {RECORDING_FORMAT_WAV, "WAV (wavenc)", "wav"},
    {RECORDING_FORMAT_FLAC, "FLAC (flacenc)", "flac"},
    {RECORDING_FORMAT_OGG, "Ogg Vorbis (vorbisenc, oggmux)", "ogg"},
    {RECORDING_FORMAT_OPUS, "Ogg Opus (opusenc, oggmux)", "opus"},
    {RECORDING_FORMAT_MP3, "MP3 (lamemp3enc)", "mp3"},
    {0, nullptr, nullptr},
  };
  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static
        ("GstVoiceRecordingFormat", values));
  return type;
}

#define GST_TYPE_VOICE_FULL_LAYOUT (gst_voice_full_layout_get_type ())
static GType
gst_voice_full_layout_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {FULL_LAYOUT_MIXED, "Every speaker mixed into one channel", "mixed"},
    {FULL_LAYOUT_CHANNELS, "One channel per speaker, as the input",
        "channels"},
    {0, nullptr, nullptr},
  };
  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstVoiceFullLayout",
            values));
  return type;
}

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("audio/x-raw, format = (string) S16LE, "
        "rate = (int) [ 1, MAX ], channels = (int) [ 1, 64 ], "
        "layout = (string) interleaved"));

struct GstVoiceManifestSinkPrivate
{
  std::mutex lock;              /* the settings */
  ConversationRecorder::Settings settings;

  /* from READY to PAUSED to READY: the streaming thread's, and the state
   * change's when that does not run */
  std::unique_ptr < ConversationRecorder > recorder;
  GstAudioInfo info;
  guint64 channel_mask = 0;
  bool have_info = false;
};

struct _GstVoiceManifestSink
{
  GstBaseSink parent;
  GstVoiceManifestSinkPrivate *priv;
};

#define gst_voice_manifest_sink_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstVoiceManifestSink, gst_voice_manifest_sink,
    GST_TYPE_BASE_SINK,
    GST_DEBUG_CATEGORY_INIT (gst_voice_manifest_sink_debug,
        "voicemanifestsink", 0, "Conversation recording writer"));
GST_ELEMENT_REGISTER_DEFINE (voicemanifestsink, "voicemanifestsink",
    GST_RANK_NONE, GST_TYPE_VOICE_MANIFEST_SINK);

static std::unique_ptr < ConversationRecorder >
gst_voice_manifest_sink_new_recorder (GstVoiceManifestSink * self)
{
  ConversationRecorder::Settings settings;
  {
    std::lock_guard < std::mutex > lk (self->priv->lock);
    settings = self->priv->settings;
  }
  GstElement *element = GST_ELEMENT (self);
  return std::make_unique < ConversationRecorder > (settings,
      [element](const ConversationRecorder::Failure & f) {
        gst_element_message_full (element, GST_MESSAGE_ERROR, f.domain,
            f.code, g_strdup (f.text.c_str ()), g_strdup (f.debug.c_str ()),
            __FILE__, GST_FUNCTION, __LINE__);
      },[element](const std::string & w) {
        GST_ELEMENT_WARNING (element, STREAM, FORMAT, ("%s", w.c_str ()),
            (nullptr));
      },[element](GstStructure * s) {
        gst_element_post_message (element,
            gst_message_new_element (GST_OBJECT (element), s));
      });
}

/* Refuses to start when an element the format needs is not installed,
 * with a missing-plugin message that installers understand. */
static gboolean
gst_voice_manifest_sink_check_elements (GstVoiceManifestSink * self,
    RecordingFormat format)
{
  const gchar *missing = recording_format_missing_element (format);
  if (!missing)
    return TRUE;
  gst_element_post_message (GST_ELEMENT (self),
      gst_missing_element_message_new (GST_ELEMENT (self), missing));
  GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
      ("The %s element is missing: install the Debian package %s",
          missing, recording_format_info (format).package),
      ("format %s needs %s", recording_format_info (format).extension,
          missing));
  return FALSE;
}

static gboolean
gst_voice_manifest_sink_start (GstBaseSink * sink)
{
  GstVoiceManifestSink *self = GST_VOICE_MANIFEST_SINK (sink);
  GstVoiceManifestSinkPrivate *priv = self->priv;
  ConversationRecorder::Settings settings;
  {
    std::lock_guard < std::mutex > lk (priv->lock);
    settings = priv->settings;
  }
  if (settings.location.empty ()) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("No location set: give the recording's directory"), (nullptr));
    return FALSE;
  }
  return gst_voice_manifest_sink_check_elements (self, settings.format);
}

/* The end of the recording without EOS (the pipeline is set to NULL: a
 * hang-up). The timeline upstream, still running, is asked for what it has
 * not given out yet (the last settle-time, the spans still open), so that
 * the recording ends as it would with EOS; then every file is finished. */
static void
gst_voice_manifest_sink_hang_up (GstVoiceManifestSink * self)
{
  GstVoiceManifestSinkPrivate *priv = self->priv;
  if (!priv->recorder)
    return;
  if (!priv->recorder->finished ()) {
    GstQuery *query = gst_voice_query_new_pending ();
    if (gst_pad_peer_query (GST_BASE_SINK_PAD (self), query)) {
      GPtrArray *items = gst_voice_query_parse_pending (query);
      for (guint i = 0; items && i < items->len; i++)
        priv->recorder->handle_again ((const GstStructure *)
            g_ptr_array_index (items, i));
      if (items)
        g_ptr_array_unref (items);
    }
    gst_query_unref (query);
    priv->recorder->finish ();
  }
  priv->recorder.reset ();
  priv->have_info = false;
}

static GstStateChangeReturn
gst_voice_manifest_sink_change_state (GstElement * element,
    GstStateChange transition)
{
  GstVoiceManifestSink *self = GST_VOICE_MANIFEST_SINK (element);
  GstVoiceManifestSinkPrivate *priv = self->priv;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    priv->have_info = false;
    priv->recorder = gst_voice_manifest_sink_new_recorder (self);
    if (!priv->recorder->start ()) {
      priv->recorder.reset ();
      return GST_STATE_CHANGE_FAILURE;
    }
  }

  GstStateChangeReturn ret =
      GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);

  /* the streaming thread has stopped: the recorder is this thread's */
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    gst_voice_manifest_sink_hang_up (self);
  return ret;
}

static gboolean
gst_voice_manifest_sink_set_caps (GstBaseSink * sink, GstCaps * caps)
{
  GstVoiceManifestSink *self = GST_VOICE_MANIFEST_SINK (sink);
  GstVoiceManifestSinkPrivate *priv = self->priv;
  GstAudioInfo info;

  if (!gst_audio_info_from_caps (&info, caps)) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT, (nullptr),
        ("invalid caps %" GST_PTR_FORMAT, caps));
    return FALSE;
  }
  if (!priv->recorder)
    return FALSE;
  /* gst_base_sink_query_latency () asks only once prerolled */
  gboolean live = upstream_is_live (GST_BASE_SINK_PAD (sink));
  GST_DEBUG_OBJECT (self, "upstream is %slive", live ? "" : "not ");
  priv->recorder->set_live (live);
  guint64 mask = 0;
  if (GST_AUDIO_INFO_CHANNELS (&info) <= 2
      && !(GST_AUDIO_INFO_FLAGS (&info) & GST_AUDIO_FLAG_UNPOSITIONED))
    gst_audio_channel_positions_to_mask (info.position,
        GST_AUDIO_INFO_CHANNELS (&info), FALSE, &mask);
  if (!priv->recorder->set_format (GST_AUDIO_INFO_RATE (&info),
          GST_AUDIO_INFO_CHANNELS (&info), mask))
    return FALSE;
  priv->info = info;
  priv->channel_mask = mask;
  priv->have_info = true;
  return TRUE;
}

static GstFlowReturn
gst_voice_manifest_sink_render (GstBaseSink * sink, GstBuffer * buffer)
{
  GstVoiceManifestSinkPrivate *priv = GST_VOICE_MANIFEST_SINK (sink)->priv;
  if (!priv->recorder || !priv->have_info)
    return GST_FLOW_NOT_NEGOTIATED;
  return priv->recorder->write (buffer);
}

static gboolean
gst_voice_manifest_sink_event (GstBaseSink * sink, GstEvent * event)
{
  GstVoiceManifestSink *self = GST_VOICE_MANIFEST_SINK (sink);
  GstVoiceManifestSinkPrivate *priv = self->priv;

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CUSTOM_DOWNSTREAM:
      if (priv->recorder)
        priv->recorder->handle (gst_event_get_structure (event));
      break;
    case GST_EVENT_EOS:
      /* the files are final before the EOS message goes out */
      if (priv->recorder)
        priv->recorder->finish ();
      break;
    case GST_EVENT_FLUSH_STOP:
      /* a flushing seek starts a new conversation (voicetimeline starts
       * its time zero anew): this one is finished, the next one is
       * written in its place */
      if (priv->recorder) {
        priv->recorder->finish ();
        priv->recorder = gst_voice_manifest_sink_new_recorder (self);
        if (!priv->recorder->start () || (priv->have_info
                && !priv->recorder->set_format (GST_AUDIO_INFO_RATE
                    (&priv->info), GST_AUDIO_INFO_CHANNELS (&priv->info),
                    priv->channel_mask))) {
          priv->recorder.reset ();
          priv->have_info = false;
        }
      }
      break;
    default:
      break;
  }
  return GST_BASE_SINK_CLASS (parent_class)->event (sink, event);
}

static void
gst_voice_manifest_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstVoiceManifestSinkPrivate *priv = GST_VOICE_MANIFEST_SINK (object)->priv;
  next_call_property_check (GST_ELEMENT (object), pspec);
  std::lock_guard < std::mutex > lk (priv->lock);

  switch (prop_id) {
    case PROP_LOCATION:{
      const gchar *location = g_value_get_string (value);
      priv->settings.location = location ? location : "";
      break;
    }
    case PROP_FORMAT:
      priv->settings.format = (RecordingFormat) g_value_get_enum (value);
      break;
    case PROP_FULL_LAYOUT:
      priv->settings.mixed = g_value_get_enum (value) == FULL_LAYOUT_MIXED;
      break;
    case PROP_MANIFEST_INTERVAL:
      priv->settings.manifest_interval = g_value_get_uint64 (value);
      break;
    case PROP_LOOKBACK:
      priv->settings.lookback = g_value_get_uint64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_voice_manifest_sink_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstVoiceManifestSinkPrivate *priv = GST_VOICE_MANIFEST_SINK (object)->priv;
  std::lock_guard < std::mutex > lk (priv->lock);

  switch (prop_id) {
    case PROP_LOCATION:
      g_value_set_string (value, priv->settings.location.empty ()? nullptr :
          priv->settings.location.c_str ());
      break;
    case PROP_FORMAT:
      g_value_set_enum (value, priv->settings.format);
      break;
    case PROP_FULL_LAYOUT:
      g_value_set_enum (value, priv->settings.mixed ? FULL_LAYOUT_MIXED :
          FULL_LAYOUT_CHANNELS);
      break;
    case PROP_MANIFEST_INTERVAL:
      g_value_set_uint64 (value, priv->settings.manifest_interval);
      break;
    case PROP_LOOKBACK:
      g_value_set_uint64 (value, priv->settings.lookback);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_voice_manifest_sink_finalize (GObject * object)
{
  delete GST_VOICE_MANIFEST_SINK (object)->priv;
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_voice_manifest_sink_class_init (GstVoiceManifestSinkClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSinkClass *basesink_class = GST_BASE_SINK_CLASS (klass);
  const GParamFlags ready = (GParamFlags) (G_PARAM_READWRITE |
      G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  gobject_class->set_property = gst_voice_manifest_sink_set_property;
  gobject_class->get_property = gst_voice_manifest_sink_get_property;
  gobject_class->finalize = gst_voice_manifest_sink_finalize;
  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_voice_manifest_sink_change_state);

  g_object_class_install_property (gobject_class, PROP_LOCATION,
      g_param_spec_string ("location", "Location",
          "The recording's directory (created with its parents; files "
          "already there are kept unless the recording replaces them)",
          nullptr, ready));
  g_object_class_install_property (gobject_class, PROP_FORMAT,
      g_param_spec_enum ("format", "Format",
          "Format of every audio file; names the files' extension",
          GST_TYPE_VOICE_RECORDING_FORMAT, DEFAULT_FORMAT, ready));
  g_object_class_install_property (gobject_class, PROP_FULL_LAYOUT,
      g_param_spec_enum ("full-layout", "Full layout",
          "The full file: every speaker mixed into one channel, or one "
          "channel per speaker (the dual-channel recording of telephony)",
          GST_TYPE_VOICE_FULL_LAYOUT, FULL_LAYOUT_MIXED, ready));
  g_object_class_install_property (gobject_class, PROP_MANIFEST_INTERVAL,
      g_param_spec_uint64 ("manifest-interval", "Manifest interval",
          "Shortest time between two rewrites of manifest.json while the "
          "call goes on, in nanoseconds of wall-clock time (0: after every "
          "change), or else twenty times the last rewrite's own time when "
          "that is longer (a long call's manifest); finished segment files get "
          "their names with the manifest that lists them, or every 64 entries "
          "when the call runs faster than that", 0, G_MAXUINT64,
          DEFAULT_MANIFEST_INTERVAL, ready));
  g_object_class_install_property (gobject_class, PROP_LOOKBACK,
      g_param_spec_uint64 ("lookback", "Lookback",
          "Audio kept to cut segments that the timeline tells late, in "
          "nanoseconds; grown to the timeline's settle-time plus 0.5 s when "
          "that is more", 0, 600 * GST_SECOND, DEFAULT_LOOKBACK, ready));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class,
      "Voice conversation manifest sink", "Sink/Audio",
      "Writes a recorded conversation: a file per speech segment, the whole "
      "conversation and manifest.json",
      "gst-voice-recorder developers");

  basesink_class->start = GST_DEBUG_FUNCPTR (gst_voice_manifest_sink_start);
  basesink_class->set_caps =
      GST_DEBUG_FUNCPTR (gst_voice_manifest_sink_set_caps);
  basesink_class->render = GST_DEBUG_FUNCPTR (gst_voice_manifest_sink_render);
  basesink_class->event = GST_DEBUG_FUNCPTR (gst_voice_manifest_sink_event);

  gst_type_mark_as_plugin_api (GST_TYPE_VOICE_RECORDING_FORMAT,
      (GstPluginAPIFlags) 0);
  gst_type_mark_as_plugin_api (GST_TYPE_VOICE_FULL_LAYOUT,
      (GstPluginAPIFlags) 0);
}

static void
gst_voice_manifest_sink_init (GstVoiceManifestSink * self)
{
  self->priv = new GstVoiceManifestSinkPrivate ();
  self->priv->settings.format = DEFAULT_FORMAT;
  self->priv->settings.manifest_interval = DEFAULT_MANIFEST_INTERVAL;
  self->priv->settings.lookback = DEFAULT_LOOKBACK;
  /* a file writer: as fast as the data comes */
  gst_base_sink_set_sync (GST_BASE_SINK (self), FALSE);
}
