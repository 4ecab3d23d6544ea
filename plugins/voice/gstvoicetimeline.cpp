/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/**
 * SECTION:element-voicetimeline
 * @title: voicetimeline
 *
 * Lays every speaker of one conversation on one clock. Each request pad
 * `sink_%u` takes one speaker's mono stream (usually behind a
 * `voicesegmenter`, whose "voice-speaker" and speech span events it reads);
 * the source pad gives one time-aligned stream with one channel per
 * speaker, in pad order, silence where a speaker is quiet. With one speaker
 * the output is mono, with two stereo (`sink_0` left: put the user there),
 * with more the channels are unpositioned (channel-mask 0). Inputs of other
 * formats and rates are converted to the output's (its rate is the
 * highest input rate unless downstream asks for one); an input whose
 * audio drifts away from its timestamps (another clock stamped it) is
 * resampled onto them once it is 5 ms off. The channels stay
 * for the whole call: pads are requested before the element starts, or
 * while it runs take a channel kept free by #GstVoiceTimeline:max-speakers;
 * a pad released while it runs leaves its channel silent. Request pads `text_%u` take timed text (subparse,
 * speech-to-text) that becomes the transcript of the segments it overlaps:
 * `text_N` is the speaker of `sink_N` unless its `speaker` property says
 * otherwise.
 *
 * Conversation time zero is the start of the output. From the speech spans
 * the element builds the timeline (`user_start_speaking`,
 * `user_stop_speaking`, `agent_start_speaking` with its response `latency`,
 * `agent_stop_speaking`, `user_interrupt`) and the segment records, once
 * every stream is settled past them (#GstVoiceTimeline:settle-time). Each
 * is posted as an element message ("voice-timeline-event",
 * "voice-segment", see gst/voice) and sent downstream as a serialized
 * custom event of the same structure before the audio that follows it.
 * Before the first of them comes "voice-conversation-start", with
 * `started-at` (string, ISO 8601 UTC wall-clock time of time zero) and
 * `origin-running-time` (guint64); after the last,
 * "voice-latency-summary".
 *
 * Unless the application sets #GstAudioAggregator:output-buffer-duration,
 * a call's output buffers are 20 ms when a source is live (one telephony
 * packet) and 250 ms without one; gst-inspect shows the base class's
 * 10 ms, which the element replaces as the call starts.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -m voicetimeline name=t ! wavenc ! filesink location=call.wav \
 *     filesrc location=user.wav ! wavparse ! voicesegmenter role=user ! t.sink_0 \
 *     filesrc location=agent.wav ! wavparse ! voicesegmenter role=agent ! t.sink_1
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstvoicetimeline.h"
#include "driftcompensator.h"
#include "nextcallproperty.h"
#include "s16loops.h"
#include "timelinebuilder.h"
#include "timelinetextpad.h"

#include <gst/voice/voice.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

GST_DEBUG_CATEGORY_STATIC (gst_voice_timeline_debug);
#define GST_CAT_DEFAULT gst_voice_timeline_debug

#define DEFAULT_SETTLE_TIME (1500 * GST_MSECOND)
#define ALIGNMENT_THRESHOLD (20 * GST_MSECOND)
#define DISCONT_WAIT (500 * GST_MSECOND)
/* what a hang-up's answer gives again: more than a settle-time's worth */
#define RECENT_ITEMS 256
/* a stream that jumps further ahead of itself and of the conversation is
 * taken to go on where it was (a broken clock): the output is not filled
 * with hours of silence */
#define MAX_JUMP (10 * 60 * GST_SECOND)
/* the longest transcript text taken at once, in bytes */
#define MAX_TRANSCRIPT (64 * 1024)

/* a live call's output buffer: one telephony packet (RTP's usual 20 ms).
 * From 20 ms packets shorter buffers bring no audio out sooner, and each
 * costs a pass through the timeline and the recorder */
#define LIVE_BUFFER_DURATION (20 * GST_MSECOND)
/* without a live source */
#define OFFLINE_BUFFER_DURATION (250 * GST_MSECOND)
/* without a live source, the audio each input may queue (the base class
 * lets a pad hold its latency): the legs' threads run ahead of the
 * mixing instead of waiting for it buffer by buffer. Three of the
 * segmenters' runs: a leg woken when one is taken has two more to push
 * before it waits again. */
#define OFFLINE_INPUT_QUEUE (12 * GST_SECOND)

#define CAPS_STR \
  "audio/x-raw, format = (string) { S16LE, F32LE }, " \
  "rate = (int) [ 8000, 48000 ], layout = (string) interleaved"

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink_%u",
    GST_PAD_SINK, GST_PAD_REQUEST,
    GST_STATIC_CAPS ("audio/x-raw, format = (string) { S16LE, S32LE, F32LE, "
        "F64LE }, rate = (int) [ 1, MAX ], channels = (int) 1, "
        "layout = (string) interleaved"));
static GstStaticPadTemplate text_template = GST_STATIC_PAD_TEMPLATE ("text_%u",
    GST_PAD_SINK, GST_PAD_REQUEST,
    GST_STATIC_CAPS ("text/x-raw, format = (string) { utf8, pango-markup }"));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (CAPS_STR ", channels = (int) [ 1, MAX ]"));

/* ------------------------------------------------------------------------ */
/* the pad */

enum
{
  PROP_PAD_0,
  PROP_PAD_SPEAKER,
  PROP_PAD_ROLE,
  PROP_PAD_CHANNEL,
};

struct _GstVoiceTimelinePad
{
  GstAudioAggregatorConvertPad parent;

  /* object lock */
  gchar *speaker;               /* property; NULL: from the stream */
  GstVoiceRole role;
  gboolean role_set;
  guint channel;
  gchar *stream_speaker;        /* from the "voice-speaker" event */
  GstVoiceRole stream_role;
  GstClockTime padding;         /* from the speech events */

  /* aggregate thread: mono conversion to the output rate and format */
  GstAudioConverter *converter;
  GstAudioInfo conv_in;
  GstAudioInfo conv_out;
  guint conv_channel;
  gboolean conv_variable;       /* resampling at the drift's rate */
  DriftCompensator *drift;
  GstBuffer *last_input;        /* to prime a resampler taking over */
  guint64 skip_frames;          /* of its output: the audio given already */
  /* zeros that pad a mono input to the output format's size, shared by
   * the buffers made of it (gst_voice_timeline_pad_convert_buffer ()) */
  GstMemory *padding_memory;

  /* object lock: jumps closed up (gst_voice_timeline_pad_probe ()); from
   * running time jump_from on, jump is taken off, and before it, from
   * prev_jump_from on, prev_jump */
  GstClockTime next_time;
  GstClockTime jump, jump_from;
  GstClockTime prev_jump, prev_jump_from;
  /* builder_lock: the span told on this pad that has had no stop yet,
   * and who speaks it, to close it if the pad goes away */
  GstClockTime open_start;
  std::string *open_speaker;
  GstVoiceRole open_role;
  /* atomic: this call's audio on the pad was dropped as late, and said */
  gint late_told;
};

G_DEFINE_TYPE (GstVoiceTimelinePad, gst_voice_timeline_pad,
    GST_TYPE_AUDIO_AGGREGATOR_CONVERT_PAD);

/* The identity that the timeline uses: the properties win over the stream;
 * without either, the pad's name and the user role. */
static void
gst_voice_timeline_pad_identity (GstVoiceTimelinePad * pad,
    std::string & name, GstVoiceRole & role)
{
  GST_OBJECT_LOCK (pad);
  if (pad->speaker)
    name = pad->speaker;
  else if (pad->stream_speaker)
    name = pad->stream_speaker;
  else
    name = GST_OBJECT_NAME (pad);
  role = pad->role_set ? pad->role : pad->stream_speaker ? pad->stream_role
      : GST_VOICE_ROLE_USER;
  GST_OBJECT_UNLOCK (pad);
}

static void
gst_voice_timeline_pad_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstVoiceTimelinePad *pad = GST_VOICE_TIMELINE_PAD (object);

  switch (prop_id) {
    case PROP_PAD_SPEAKER:
      gst_voice_timeline_pad_store_speaker (GST_PAD (pad), &pad->speaker,
          g_value_get_string (value));
      break;
    case PROP_PAD_ROLE:
      GST_OBJECT_LOCK (pad);
      pad->role = (GstVoiceRole) g_value_get_enum (value);
      pad->role_set = TRUE;
      GST_OBJECT_UNLOCK (pad);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_voice_timeline_pad_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstVoiceTimelinePad *pad = GST_VOICE_TIMELINE_PAD (object);
  std::string name;
  GstVoiceRole role;

  switch (prop_id) {
    case PROP_PAD_SPEAKER:
      gst_voice_timeline_pad_identity (pad, name, role);
      g_value_set_string (value, name.c_str ());
      break;
    case PROP_PAD_ROLE:
      gst_voice_timeline_pad_identity (pad, name, role);
      g_value_set_enum (value, role);
      break;
    case PROP_PAD_CHANNEL:
      GST_OBJECT_LOCK (pad);
      g_value_set_uint (value, pad->channel);
      GST_OBJECT_UNLOCK (pad);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_voice_timeline_pad_finalize (GObject * object)
{
  GstVoiceTimelinePad *pad = GST_VOICE_TIMELINE_PAD (object);

  g_free (pad->speaker);
  g_free (pad->stream_speaker);
  g_clear_pointer (&pad->converter, gst_audio_converter_free);
  gst_clear_buffer (&pad->last_input);
  if (pad->padding_memory)
    gst_memory_unref (pad->padding_memory);
  delete pad->drift;
  delete pad->open_speaker;

  G_OBJECT_CLASS (gst_voice_timeline_pad_parent_class)->finalize (object);
}

/* A mix matrix that puts the mono input in @channel of @n_channels and
 * leaves the others silent. */
static GstStructure *
gst_voice_timeline_pad_channel_config (guint channel, guint n_channels)
{
  GValue matrix = G_VALUE_INIT;
  gst_value_array_init (&matrix, n_channels);
  for (guint row = 0; row < n_channels; row++) {
    GValue gains = G_VALUE_INIT, gain = G_VALUE_INIT;
    gst_value_array_init (&gains, 1);
    g_value_init (&gain, G_TYPE_FLOAT);
    g_value_set_float (&gain, row == channel ? 1.0f : 0.0f);
    gst_value_array_append_and_take_value (&gains, &gain);
    gst_value_array_append_and_take_value (&matrix, &gains);
  }
  GstStructure *config = gst_structure_new_empty ("config");
  gst_structure_take_value (config, GST_AUDIO_CONVERTER_OPT_MIX_MATRIX,
      &matrix);
  return config;
}

/* A resampler that takes over from the direct placement starts with the
 * input before: its filter then has the history it needs, and of its
 * output the part that was given out already is skipped, so that the
 * audio goes on without a break. */
static void
gst_voice_timeline_pad_prime (GstVoiceTimelinePad * pad,
    GstAudioInfo * in_info, GstAudioInfo * out_info)
{
  GstMapInfo map;
  if (!gst_buffer_map (pad->last_input, &map, GST_MAP_READ))
    return;
  gsize in_frames = map.size / GST_AUDIO_INFO_BPF (in_info);
  gsize out_frames = gst_audio_converter_get_out_frames (pad->converter,
      in_frames);
  gpointer scratch = g_malloc (MAX (out_frames, 1) *
      GST_AUDIO_INFO_BPF (out_info));
  gpointer in_data = map.data;
  gst_audio_converter_samples (pad->converter, GST_AUDIO_CONVERTER_FLAG_NONE,
      &in_data, in_frames, &scratch, out_frames);
  g_free (scratch);
  gst_buffer_unmap (pad->last_input, &map);
  /* what it owes of that input, at the output's rate, comes first next */
  pad->skip_frames = gst_util_uint64_scale_int (in_frames,
      GST_AUDIO_INFO_RATE (out_info), GST_AUDIO_INFO_RATE (in_info)) -
      MIN (out_frames, in_frames);
  gst_clear_buffer (&pad->last_input);
}

/* The zeros that pad a mono S16LE input to the size of the output format
 * carry this flag: a buffer whose second memory has it is such an input,
 * its samples the first memory, one after the other. A flag of the one
 * memory, not qdata of each buffer: it costs nothing per buffer, and a copy
 * of the buffer, which shares its memories, keeps it. */
static const GstMemoryFlags PADDING_MEMORY_FLAG =
    (GstMemoryFlags) GST_MEMORY_FLAG_LAST;

static gboolean
gst_voice_timeline_is_padded_mono (GstBuffer * buffer)
{
  return gst_buffer_n_memory (buffer) == 2
      && GST_MEMORY_FLAG_IS_SET (gst_buffer_peek_memory (buffer, 1),
      PADDING_MEMORY_FLAG);
}

/* The base class converts to the whole output format; here the converter's
 * mix matrix makes each input its own channel of it, the others silent. */
static GstBuffer *
gst_voice_timeline_pad_convert_buffer (GstAudioAggregatorPad * apad,
    GstAudioInfo * in_info, GstAudioInfo * out_info, GstBuffer * input)
{
  GstVoiceTimelinePad *pad = GST_VOICE_TIMELINE_PAD (apad);

  /* the base class calls this with the pad's object lock held */
  guint n_channels = GST_AUDIO_INFO_CHANNELS (out_info);
  guint channel = MIN (pad->channel, n_channels - 1);
  gboolean discont = GST_BUFFER_FLAG_IS_SET (input, GST_BUFFER_FLAG_DISCONT)
      || GST_BUFFER_FLAG_IS_SET (input, GST_BUFFER_FLAG_RESYNC);

  gint out_rate = GST_AUDIO_INFO_RATE (out_info);
  if (!pad->drift || pad->drift->rate () != out_rate) {
    delete pad->drift;
    pad->drift = new DriftCompensator (out_rate);
  }
  double ratio = pad->drift->ratio_for (GST_BUFFER_PTS (input), discont);
  if (gst_buffer_get_size (input) == 0) {
    /* a gap: the base class gives its duration in silence */
    if (GST_BUFFER_DURATION_IS_VALID (input))
      pad->drift->produced (gst_util_uint64_scale (GST_BUFFER_DURATION
              (input), out_rate, GST_SECOND));
    GstBuffer *res = gst_buffer_new ();
    gst_buffer_copy_into (res, input, (GstBufferCopyFlags)
        (GST_BUFFER_COPY_FLAGS | GST_BUFFER_COPY_TIMESTAMPS |
            GST_BUFFER_COPY_META), 0, -1);
    return res;
  }

  /* the usual case, S16LE mono at the output's rate: the input itself,
   * padded to the size that the base class expects of the output format,
   * and placed in its channel by aggregate_one_buffer (): a buffer of all
   * the channels, zeroed and filled here, cost an allocation and two more
   * passes over the audio. The base class never gives it back to be
   * converted again: the output's format does not change during a call
   * (gst_voice_timeline_update_src_caps ()). */
  if (!pad->drift->engaged ()
      && GST_AUDIO_INFO_FORMAT (in_info) == GST_AUDIO_FORMAT_S16LE
      && GST_AUDIO_INFO_FORMAT (out_info) == GST_AUDIO_FORMAT_S16LE
      && GST_AUDIO_INFO_CHANNELS (in_info) == 1
      && GST_AUDIO_INFO_RATE (in_info) == GST_AUDIO_INFO_RATE (out_info)
      && GST_AUDIO_INFO_LAYOUT (out_info) == GST_AUDIO_LAYOUT_INTERLEAVED) {
    gsize frames = gst_buffer_get_size (input) / sizeof (gint16);
    GstBuffer *res = gst_buffer_new ();
    gst_buffer_copy_into (res, input, (GstBufferCopyFlags)
        (GST_BUFFER_COPY_FLAGS | GST_BUFFER_COPY_TIMESTAMPS |
            GST_BUFFER_COPY_META), 0, -1);
    /* (one memory as a rule: then shared, not copied) */
    gst_buffer_append_memory (res, gst_buffer_get_all_memory (input));
    gsize padding = frames * (n_channels - 1) * sizeof (gint16);
    if (padding > 0) {
      if (!pad->padding_memory || pad->padding_memory->size < padding) {
        if (pad->padding_memory)
          gst_memory_unref (pad->padding_memory);
        /* calloc: large zeros are pages the kernel gives when read */
        gpointer zeros = g_malloc0 (padding);
        pad->padding_memory = gst_memory_new_wrapped ((GstMemoryFlags)
            (GST_MEMORY_FLAG_READONLY | PADDING_MEMORY_FLAG), zeros, padding,
            0, padding, zeros, g_free);
      }
      /* the input's buffers are alike as a rule: then the same zeros in
       * every buffer, read-only, else a part of them */
      GstMemory *zeros;
      if (pad->padding_memory->size == padding) {
        zeros = gst_memory_ref (pad->padding_memory);
      } else {
        zeros = gst_memory_share (pad->padding_memory, 0, padding);
        GST_MINI_OBJECT_FLAG_SET (zeros, PADDING_MEMORY_FLAG);
      }
      gst_buffer_append_memory (res, zeros);
    }
    pad->drift->produced (frames);
    gst_buffer_replace (&pad->last_input, input);
    return res;
  }

  gboolean variable = pad->drift->engaged ();
  if (!pad->converter || channel != pad->conv_channel
      || variable != pad->conv_variable
      || !gst_audio_info_is_equal (&pad->conv_in, in_info)
      || !gst_audio_info_is_equal (&pad->conv_out, out_info)) {
    g_clear_pointer (&pad->converter, gst_audio_converter_free);
    /* the inputs are mono (the template): the matrix puts each in its
     * channel */
    GstStructure *config = GST_AUDIO_INFO_CHANNELS (in_info) == 1 ?
        gst_voice_timeline_pad_channel_config (channel, n_channels) :
        nullptr;
    if (variable) {
      /* interpolated filter tables: a new rate is then cheap, while full
       * tables for it would be made anew, megabytes, for every buffer */
      if (!config)
        config = gst_structure_new_empty ("config");
      gst_structure_set (config, GST_AUDIO_RESAMPLER_OPT_FILTER_MODE,
          GST_TYPE_AUDIO_RESAMPLER_FILTER_MODE,
          GST_AUDIO_RESAMPLER_FILTER_MODE_INTERPOLATED, nullptr);
    }
    pad->converter = gst_audio_converter_new (variable ?
        GST_AUDIO_CONVERTER_FLAG_VARIABLE_RATE : GST_AUDIO_CONVERTER_FLAG_NONE,
        in_info, out_info, config);
    if (!pad->converter)
      return nullptr;
    pad->conv_in = *in_info;
    pad->conv_out = *out_info;
    pad->conv_channel = channel;
    pad->conv_variable = variable;
    if (variable && !discont && pad->last_input)
      gst_voice_timeline_pad_prime (pad, in_info, out_info);
  } else if (discont) {
    /* a resampler's history belongs to the audio before the gap */
    gst_audio_converter_reset (pad->converter);
  }
  if (variable) {
    /* the rates scaled up, for a ratio finer than one frame a second */
    gint in_rate = GST_AUDIO_INFO_RATE (in_info);
    gint scale = G_MAXINT / 2 / MAX (in_rate, out_rate);
    scale = MIN (scale, 1000);
    gst_audio_converter_update_config (pad->converter, in_rate * scale,
        (gint) std::lround (out_rate * scale * ratio), nullptr);
  }

  gsize in_frames = gst_buffer_get_size (input) / GST_AUDIO_INFO_BPF (in_info);
  gsize out_frames = gst_audio_converter_get_out_frames (pad->converter,
      in_frames);
  GstBuffer *res = gst_buffer_new_allocate (nullptr,
      out_frames * GST_AUDIO_INFO_BPF (out_info), nullptr);
  gst_buffer_copy_into (res, input, (GstBufferCopyFlags)
      (GST_BUFFER_COPY_FLAGS | GST_BUFFER_COPY_TIMESTAMPS |
          GST_BUFFER_COPY_META), 0, -1);

  GstMapInfo in_map, out_map;
  gst_buffer_map (input, &in_map, GST_MAP_READ);
  gst_buffer_map (res, &out_map, GST_MAP_WRITE);
  gpointer in_data = in_map.data;
  gpointer out_data = out_map.data;
  gst_audio_converter_samples (pad->converter, GST_AUDIO_CONVERTER_FLAG_NONE,
      &in_data, in_frames, &out_data, out_frames);
  gst_buffer_unmap (input, &in_map);
  gst_buffer_unmap (res, &out_map);
  if (pad->skip_frames) {
    guint64 skip = MIN (pad->skip_frames, (guint64) out_frames);
    gst_buffer_resize (res, skip * GST_AUDIO_INFO_BPF (out_info), -1);
    out_frames -= skip;
    pad->skip_frames -= skip;
  }
  GST_LOG_OBJECT (pad, "drift: gap %.2f ms, ratio %.5f", pad->drift->gap ()
      * 1000, ratio);
  pad->drift->produced (out_frames);
  if (variable)
    gst_clear_buffer (&pad->last_input);
  else
    gst_buffer_replace (&pad->last_input, input);
  return res;
}

/* After a flush or at the end of a call: the next audio must not be
 * filtered with this one's. */
static void
gst_voice_timeline_pad_forget_audio (GstVoiceTimelinePad * pad)
{
  GST_OBJECT_LOCK (pad);
  g_clear_pointer (&pad->converter, gst_audio_converter_free);
  gst_clear_buffer (&pad->last_input);
  pad->skip_frames = 0;
  if (pad->drift)
    pad->drift->reset ();
  GST_OBJECT_UNLOCK (pad);
  g_atomic_int_set (&pad->late_told, 0);
}

static void
gst_voice_timeline_pad_class_init (GstVoiceTimelinePadClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstAudioAggregatorPadClass *apad_class =
      GST_AUDIO_AGGREGATOR_PAD_CLASS (klass);

  gobject_class->set_property = gst_voice_timeline_pad_set_property;
  gobject_class->get_property = gst_voice_timeline_pad_get_property;
  gobject_class->finalize = gst_voice_timeline_pad_finalize;
  apad_class->convert_buffer =
      GST_DEBUG_FUNCPTR (gst_voice_timeline_pad_convert_buffer);

  g_object_class_install_property (gobject_class, PROP_PAD_SPEAKER,
      g_param_spec_string ("speaker", "Speaker",
          "Name of this pad's speaker (default: from the stream's "
          "voice-speaker event, else the pad name)", nullptr,
          (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
              GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property (gobject_class, PROP_PAD_ROLE,
      g_param_spec_enum ("role", "Role",
          "Role of this pad's speaker (default: from the stream, else user)",
          GST_TYPE_VOICE_ROLE, GST_VOICE_ROLE_USER,
          (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
              GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property (gobject_class, PROP_PAD_CHANNEL,
      g_param_spec_uint ("channel", "Channel",
          "This speaker's channel in the output", 0, G_MAXUINT, 0,
          (GParamFlags) (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
}

static void
gst_voice_timeline_pad_reset_jumps (GstVoiceTimelinePad * pad)
{
  pad->next_time = pad->jump_from = pad->prev_jump_from = GST_CLOCK_TIME_NONE;
  pad->jump = pad->prev_jump = 0;
}

static void
gst_voice_timeline_pad_init (GstVoiceTimelinePad * pad)
{
  pad->role = GST_VOICE_ROLE_USER;
  pad->open_start = GST_CLOCK_TIME_NONE;
  pad->open_speaker = new std::string ();
  gst_voice_timeline_pad_reset_jumps (pad);
  /* the base class drops a live leg's audio that comes after the output
   * passed it: its QoS message is what tells (a sink posts them too) */
  g_object_set (pad, "qos-messages", TRUE, nullptr);
}

/* @t, a running time of @pad's stream, as the closed-up jumps moved it
 * (object lock) */
static GstClockTime
gst_voice_timeline_pad_unjump_locked (GstVoiceTimelinePad * pad,
    GstClockTime t)
{
  if (!GST_CLOCK_TIME_IS_VALID (t))
    return t;
  if (GST_CLOCK_TIME_IS_VALID (pad->jump_from) && t >= pad->jump_from)
    return t - MIN (t, pad->jump);
  if (GST_CLOCK_TIME_IS_VALID (pad->prev_jump_from) && t >= pad->prev_jump_from)
    return t - MIN (t, pad->prev_jump);
  return t;
}

static GstClockTime
gst_voice_timeline_pad_unjump (GstVoiceTimelinePad * pad, GstClockTime t)
{
  GST_OBJECT_LOCK (pad);
  t = gst_voice_timeline_pad_unjump_locked (pad, t);
  GST_OBJECT_UNLOCK (pad);
  return t;
}

/* A buffer that jumps more than MAX_JUMP ahead of its stream's last one
 * and of the output (a clock gone wrong: ten hours in a file, or an RTP
 * timestamp reset) would make the output hours of silence, written out by
 * every consumer. Its stream goes on from where it was instead, with a
 * warning; the speech events after it move with it. Live streams never
 * get that far ahead of the output. (A probe on each sink pad: before the
 * base class queues the buffer, in the pad's streaming thread.) */
static void gst_voice_timeline_note_untimed (GstVoiceTimeline * self);

static GstPadProbeReturn
gst_voice_timeline_pad_probe (GstPad * sinkpad, GstPadProbeInfo * info,
    gpointer user_data)
{
  GstAggregator *agg = GST_AGGREGATOR (user_data);
  GstVoiceTimelinePad *pad = GST_VOICE_TIMELINE_PAD (sinkpad);
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  if (!GST_BUFFER_PTS_IS_VALID (buffer)) {
    gst_voice_timeline_note_untimed (GST_VOICE_TIMELINE (agg));
    return GST_PAD_PROBE_OK;
  }
  GstEvent *event = gst_pad_get_sticky_event (sinkpad, GST_EVENT_SEGMENT, 0);
  if (!event)
    return GST_PAD_PROBE_OK;
  GstSegment segment;
  gst_event_copy_segment (event, &segment);
  gst_event_unref (event);
  if (segment.format != GST_FORMAT_TIME || segment.rate != 1.0)
    return GST_PAD_PROBE_OK;
  GstClockTime rt = gst_segment_to_running_time (&segment, GST_FORMAT_TIME,
      GST_BUFFER_PTS (buffer));
  if (!GST_CLOCK_TIME_IS_VALID (rt))
    return GST_PAD_PROBE_OK;

  GstAggregatorPad *srcpad = GST_AGGREGATOR_PAD (agg->srcpad);
  GST_OBJECT_LOCK (agg);
  GstClockTime out = srcpad->segment.format == GST_FORMAT_TIME ?
      gst_segment_to_running_time (&srcpad->segment, GST_FORMAT_TIME,
      srcpad->segment.position) : GST_CLOCK_TIME_NONE;
  GST_OBJECT_UNLOCK (agg);

  GST_OBJECT_LOCK (pad);
  GstClockTime at = gst_voice_timeline_pad_unjump_locked (pad, rt);
  GstClockTime from = pad->next_time;
  if (GST_CLOCK_TIME_IS_VALID (out))
    from = GST_CLOCK_TIME_IS_VALID (from) ? MAX (from, out) : out;
  bool jumped = GST_CLOCK_TIME_IS_VALID (from) && at > from + MAX_JUMP;
  if (jumped) {
    pad->prev_jump = pad->jump;
    pad->prev_jump_from = pad->jump_from;
    pad->jump += at - from;
    pad->jump_from = rt;
    std::swap (at, from);
  }
  pad->next_time = (jumped ? from : at) + (GST_BUFFER_DURATION_IS_VALID
      (buffer) ? GST_BUFFER_DURATION (buffer) : 0);
  GST_OBJECT_UNLOCK (pad);

  if (jumped) {
    /* at: where it was, from: where it goes on */
    GST_ELEMENT_WARNING (agg, STREAM, FORMAT, (nullptr),
        ("%s: timestamps jump %" GST_TIME_FORMAT " ahead; the stream goes "
            "on from %" GST_TIME_FORMAT, GST_OBJECT_NAME (pad),
            GST_TIME_ARGS (at - from), GST_TIME_ARGS (from)));
    buffer = gst_buffer_make_writable (buffer);
    GST_BUFFER_PTS (buffer) -= at - from;
    GST_PAD_PROBE_INFO_DATA (info) = buffer;
  } else if (at != rt) {
    buffer = gst_buffer_make_writable (buffer);
    GST_BUFFER_PTS (buffer) -= rt - at;
    GST_PAD_PROBE_INFO_DATA (info) = buffer;
  }
  return GST_PAD_PROBE_OK;
}

static void
gst_voice_timeline_reset_jumps (GstVoiceTimeline * self)
{
  GST_OBJECT_LOCK (self);
  for (GList * l = GST_ELEMENT (self)->sinkpads; l; l = l->next) {
    if (!GST_IS_VOICE_TIMELINE_PAD (l->data))
      continue;
    GST_OBJECT_LOCK (l->data);
    gst_voice_timeline_pad_reset_jumps (GST_VOICE_TIMELINE_PAD (l->data));
    GST_OBJECT_UNLOCK (l->data);
  }
  GST_OBJECT_UNLOCK (self);
}

/* ------------------------------------------------------------------------ */
/* the element */

enum
{
  PROP_0,
  PROP_SETTLE_TIME,
  PROP_POST_MESSAGES,
  PROP_STATS,
  PROP_MAX_SPEAKERS,
};

enum
{
  SIGNAL_TOOL_CALL,
  SIGNAL_TOOL_RESULT,
  SIGNAL_SET_TRANSCRIPT,
  LAST_SIGNAL
};
static guint signals[LAST_SIGNAL];

namespace
{
struct AppEvent
{
  GstVoiceTimelineEvent event;
  GstClockTime running_time;
  /* or a transcript */
  bool transcript;
  std::string speaker;
  gint idx;
  std::string text;
  /* or a cue of a text pad: its end, and the pad (which says whose) */
  GstClockTime cue_end = GST_CLOCK_TIME_NONE;
  std::string text_pad;
};
}

struct GstVoiceTimelinePrivate
{
  std::mutex lock;              /* properties, the inbox, last_position */
  GstClockTime settle_time = DEFAULT_SETTLE_TIME;
  /* settle-time as the call started: a change while it runs is for the
   * next call (set in start (), read by the aggregate thread) */
  GstClockTime call_settle_time = DEFAULT_SETTLE_TIME;
  bool post_messages = true;
  std::vector < AppEvent > inbox;     /* from the application's threads */
  /* the call ended: the inbox was taken for the last time; and whether
   * timed text that came after was told */
  bool ended = false;
  bool warned_late_text = false;
  GstStructure *stats = nullptr;      /* the latest latency summary */
  guint stats_version = G_MAXUINT;
  GstClockTime last_position = GST_CLOCK_TIME_NONE;

  /* aggregate thread; changes to the builder also under builder_lock, for
   * the "voice-pending" query of a hang-up, which reads it from another
   * thread (taken before lock when both are) */
  std::mutex builder_lock;
  std::unique_ptr < TimelineBuilder > builder;
  GstClockTime origin = GST_CLOCK_TIME_NONE;
  GstClockTime position = GST_CLOCK_TIME_NONE;
  /* the end of the last output buffer that downstream took (a hang-up
   * fails the push of the one in flight: the sink never had it) */
  GstClockTime delivered = GST_CLOCK_TIME_NONE;
  std::vector < GstStructure * >outgoing;     /* for events and messages */
  std::vector < std::string > warnings;
  /* which pad speaks as which name, so that two legs never merge; and
   * whether the pads have taken their names, in pad order */
  std::map < std::string, GstPad * >owners;
  bool names_claimed = false;
  /* what each pad's channel was last announced with */
  struct Announced
  {
    std::string name;
    GstVoiceRole role;
    GstClockTime padding;
  };
  std::map < GstPad *, Announced > announced;
  guint summary_version = 0;    /* of the last summary sent */
  std::deque < GstStructure * >recent;  /* the last ones sent */

  /* lock: the last words of the text pads, at the end of the call */
  std::condition_variable text_ended;
  bool stop_waiting = false;

  /* output-buffer-duration and latency: set by the application, or by us
   * for a pipeline without a live source (see
   * gst_voice_timeline_choose_offline) */
  std::atomic < bool > duration_set { false };
  std::atomic < bool > duration_ours { false };
  std::atomic < bool > latency_set { false };
  std::atomic < bool > latency_ours { false };
  /* the thread in our own g_object_set () of them: its notify is ours */
  std::atomic < GThread * > setting { nullptr };
  /* a buffer without a timestamp came: a pad's queue is then not bounded
   * by its duration, and the inputs queue one buffer as by default */
  std::atomic < bool > untimed_input { false };
  bool offline_checked = false;
};

struct _GstVoiceTimeline
{
  GstAudioAggregator parent;

  /* object lock */
  guint n_channels;             /* of the output */
  guint max_speakers;           /* property: channels kept for late joiners */
  guint64 taken_channels;       /* while streaming: held now or before */
  gboolean streaming;           /* between start and stop */

  GstVoiceTimelinePrivate *priv;
};

static void gst_voice_timeline_child_proxy_init (gpointer g_iface,
    gpointer iface_data);

#define gst_voice_timeline_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstVoiceTimeline, gst_voice_timeline,
    GST_TYPE_AUDIO_AGGREGATOR,
    G_IMPLEMENT_INTERFACE (GST_TYPE_CHILD_PROXY,
        gst_voice_timeline_child_proxy_init);
    GST_DEBUG_CATEGORY_INIT (gst_voice_timeline_debug, "voicetimeline", 0,
        "Conversation timeline"));
GST_ELEMENT_REGISTER_DEFINE (voicetimeline, "voicetimeline", GST_RANK_NONE,
    GST_TYPE_VOICE_TIMELINE);

static void
gst_voice_timeline_reset (GstVoiceTimeline * self)
{
  GstVoiceTimelinePrivate *priv = self->priv;

  std::lock_guard < std::mutex > bl (priv->builder_lock);
  priv->builder.reset (new TimelineBuilder (
          [priv](const GstVoiceTimelineEvent & e) {
            priv->outgoing.push_back (gst_voice_timeline_event_to_structure
                (&e));
          },[priv](const GstVoiceSegment & s) {
            priv->outgoing.push_back (gst_voice_segment_to_structure (&s));
          },[priv](const std::string & w) {
            priv->warnings.push_back (w);
          }));
  priv->origin = GST_CLOCK_TIME_NONE;
  priv->position = GST_CLOCK_TIME_NONE;
  priv->delivered = GST_CLOCK_TIME_NONE;
  for (auto s:priv->outgoing)
    gst_structure_free (s);
  priv->outgoing.clear ();
  for (auto s:priv->recent)
    gst_structure_free (s);
  priv->recent.clear ();
  priv->warnings.clear ();
  priv->owners.clear ();
  priv->names_claimed = false;
  priv->announced.clear ();
  priv->summary_version = 0;    /* no figures yet: nothing to send */
  GST_OBJECT_LOCK (self);
  for (GList * l = GST_ELEMENT (self)->sinkpads; l; l = l->next)
    if (GST_IS_VOICE_TIMELINE_PAD (l->data))
      GST_VOICE_TIMELINE_PAD (l->data)->open_start = GST_CLOCK_TIME_NONE;
  GST_OBJECT_UNLOCK (self);
  /* the inbox stays: the application may add events before it starts */
  std::lock_guard < std::mutex > lk (priv->lock);
  priv->ended = false;
  priv->warned_late_text = false;
  priv->last_position = GST_CLOCK_TIME_NONE;
  priv->stats_version = G_MAXUINT;
}

static void
gst_voice_timeline_warn_ended (GstVoiceTimeline * self, const gchar * what)
{
  GST_ELEMENT_WARNING (self, STREAM, FORMAT,
      ("%s refused: the call has ended", what), (nullptr));
}

/* Whether the call ended (EOS): what the application gives from then on
 * is refused, with a warning naming @what. */
static gboolean
gst_voice_timeline_refuse_if_ended (GstVoiceTimeline * self,
    const gchar * what)
{
  {
    std::lock_guard < std::mutex > lk (self->priv->lock);
    if (!self->priv->ended)
      return FALSE;
  }
  gst_voice_timeline_warn_ended (self, what);
  return TRUE;
}

/* Puts the application's @a in the inbox, unless the call ended: nothing
 * would take it then, and the application is told (FALSE, and a warning
 * naming @what; with @told, a flag under the inbox's lock, only once). */
static gboolean
gst_voice_timeline_post_app_event (GstVoiceTimeline * self, AppEvent & a,
    const gchar * what, bool *told = nullptr)
{
  bool warn = true;
  {
    std::lock_guard < std::mutex > lk (self->priv->lock);
    if (!self->priv->ended) {
      self->priv->inbox.push_back (a);
      return TRUE;
    }
    if (told) {
      warn = !*told;
      *told = true;
    }
  }
  gst_voice_timeline_event_clear (&a.event);
  if (warn)
    gst_voice_timeline_warn_ended (self, what);
  return FALSE;
}

/* Empties the inbox; returns how many of the items were timed text. */
static guint
gst_voice_timeline_clear_inbox (GstVoiceTimeline * self)
{
  std::lock_guard < std::mutex > lk (self->priv->lock);
  guint cues = 0;
  for (auto & a:self->priv->inbox) {
    cues += GST_CLOCK_TIME_IS_VALID (a.cue_end);
    gst_voice_timeline_event_clear (&a.event);
  }
  self->priv->inbox.clear ();
  return cues;
}

static void gst_voice_timeline_unique_speaker (GstVoiceTimeline * self,
    GstVoiceTimelinePad * pad, std::string & name, GstVoiceRole & role);

/* Whose words a cue of a text pad are: its speaker property, else the
 * speaker of the sink pad with its number. With @own, as the timeline
 * names that speaker (aggregate thread only). */
static bool
gst_voice_timeline_cue_speaker (GstVoiceTimeline * self, const AppEvent & a,
    bool own, std::string & name)
{
  if (!a.speaker.empty ()) {
    name = a.speaker;
    return true;
  }
  guint index = 0;
  sscanf (a.text_pad.c_str (), "text_%u", &index);
  gchar *sink_name = g_strdup_printf ("sink_%u", index);
  GstPad *pad = gst_element_get_static_pad (GST_ELEMENT (self), sink_name);
  g_free (sink_name);
  if (pad && GST_IS_VOICE_TIMELINE_PAD (pad)) {
    GstVoiceRole role;
    if (own)
      gst_voice_timeline_unique_speaker (self, GST_VOICE_TIMELINE_PAD (pad),
          name, role);
    else
      gst_voice_timeline_pad_identity (GST_VOICE_TIMELINE_PAD (pad), name,
          role);
  }
  if (pad)
    gst_object_unref (pad);
  return pad != nullptr;
}

/* Gives the builder one item of the inbox. */
static void
gst_voice_timeline_give (GstVoiceTimeline * self, TimelineBuilder & builder,
    const AppEvent & a, bool own)
{
  std::string speaker;
  if (GST_CLOCK_TIME_IS_VALID (a.cue_end)) {
    if (gst_voice_timeline_cue_speaker (self, a, own, speaker))
      builder.add_cue (speaker, a.running_time, a.cue_end, a.text);
    else if (own)
      self->priv->warnings.push_back ("text on " + a.text_pad + " dropped: "
          "it has no speaker (set its speaker property, or request the "
          "sink pad with its number)");
  } else if (a.transcript) {
    builder.set_transcript (a.speaker, a.idx, a.running_time, a.text);
  } else {
    builder.add_event (a.event, a.running_time);
  }
}

/* Hands the application's events and the timed text to the timeline
 * (aggregate thread). Timed text waits for the conversation to start: by
 * then the speakers it names are known. */
static void
gst_voice_timeline_take_inbox (GstVoiceTimeline * self)
{
  GstVoiceTimelinePrivate *priv = self->priv;
  std::vector < AppEvent > inbox;
  bool started = GST_CLOCK_TIME_IS_VALID (priv->origin);
  {
    std::lock_guard < std::mutex > lk (priv->lock);
    inbox.swap (priv->inbox);
    if (!started) {
      auto waits = std::stable_partition (inbox.begin (), inbox.end (),
          [](const AppEvent & a) {
            return !GST_CLOCK_TIME_IS_VALID (a.cue_end);
          });
      priv->inbox.assign (std::make_move_iterator (waits),
          std::make_move_iterator (inbox.end ()));
      inbox.erase (waits, inbox.end ());
    }
  }
  std::lock_guard < std::mutex > bl (priv->builder_lock);
  for (auto & a:inbox) {
    if (priv->builder)
      gst_voice_timeline_give (self, *priv->builder, a, true);
    gst_voice_timeline_event_clear (&a.event);
  }
}

/* The sink pads of one kind (speaker or text pads), each with a
 * reference: for work that takes other locks than the element's. */
static std::vector < GstPad * >
gst_voice_timeline_pads_of_type (GstVoiceTimeline * self, GType type)
{
  std::vector < GstPad * >pads;
  GST_OBJECT_LOCK (self);
  for (GList * l = GST_ELEMENT (self)->sinkpads; l; l = l->next)
    if (G_TYPE_CHECK_INSTANCE_TYPE (l->data, type))
      pads.push_back (GST_PAD (gst_object_ref (l->data)));
  GST_OBJECT_UNLOCK (self);
  return pads;
}

/* A text pad's stream ended (its streaming thread). */
static void
gst_voice_timeline_text_ended (GstElement * element, GstVoiceTimelineTextPad *)
{
  GstVoiceTimeline *self = GST_VOICE_TIMELINE (element);
  std::lock_guard < std::mutex > lk (self->priv->lock);
  self->priv->text_ended.notify_all ();
}

static bool
gst_voice_timeline_text_done (GstVoiceTimeline * self)
{
  bool done = true;
  for (GstPad * pad:gst_voice_timeline_pads_of_type (self,
          GST_TYPE_VOICE_TIMELINE_TEXT_PAD)) {
    done = done && gst_voice_timeline_text_pad_is_done
        (GST_VOICE_TIMELINE_TEXT_PAD (pad));
    gst_object_unref (pad);
  }
  return done;
}

/* At the end of the audio: a speech-to-text element gives its last words
 * as it drains, after the audio's EOS. They are waited for, up to
 * settle-time, before the call is decided (aggregate thread). */
static void
gst_voice_timeline_wait_for_text (GstVoiceTimeline * self)
{
  GstVoiceTimelinePrivate *priv = self->priv;
  std::unique_lock < std::mutex > lk (priv->lock);
  auto deadline = std::chrono::steady_clock::now () +
      std::chrono::nanoseconds (priv->call_settle_time);
  while (!priv->stop_waiting) {
    lk.unlock ();
    bool done = gst_voice_timeline_text_done (self);
    lk.lock ();
    if (done || priv->stop_waiting || priv->text_ended.wait_until (lk,
            deadline) == std::cv_status::timeout)
      break;
  }
}

/* A cue from a text pad (its streaming thread). */
static void
gst_voice_timeline_take_cue (GstElement * element,
    GstVoiceTimelineTextPad * pad, GstClockTime start, GstClockTime end,
    const gchar * text)
{
  GstVoiceTimeline *self = GST_VOICE_TIMELINE (element);
  AppEvent a = { };
  a.running_time = start;
  a.transcript = true;
  a.idx = -1;
  a.text = text;
  a.cue_end = end;
  a.text_pad = GST_PAD_NAME (pad);
  gchar *speaker = gst_voice_timeline_text_pad_dup_speaker (pad);
  a.speaker = speaker ? speaker : "";
  g_free (speaker);
  /* a text pad may go on for long after the end: told once */
  gst_voice_timeline_post_app_event (self, a,
      "timed text (and any more of it)", &self->priv->warned_late_text);
}

/* The running time of "now": how far the output got (in a live pipeline
 * that is the clock less the latency; in a file-to-file one the clock says
 * nothing), else the clock's while playing. */
static GstClockTime
gst_voice_timeline_now (GstVoiceTimeline * self)
{
  GstClockTime now;
  {
    std::lock_guard < std::mutex > lk (self->priv->lock);
    now = self->priv->last_position;
  }
  GstClock *clock = GST_CLOCK_TIME_IS_VALID (now) ? nullptr :
      gst_element_get_clock (GST_ELEMENT (self));
  if (clock) {
    GST_OBJECT_LOCK (self);
    bool playing = GST_STATE (self) == GST_STATE_PLAYING;
    GstClockTime base = GST_ELEMENT (self)->base_time;
    GST_OBJECT_UNLOCK (self);
    GstClockTime t = gst_clock_get_time (clock);
    if (playing && t >= base)
      now = t - base;
    gst_object_unref (clock);
  }
  return GST_CLOCK_TIME_IS_VALID (now) ? now : 0;
}

static gboolean
gst_voice_timeline_add_tool_event (GstVoiceTimeline * self,
    GstVoiceEventType type, const gchar * name, const gchar * json,
    const gchar * call_id, GstClockTime running_time)
{
  const gchar *what = type == GST_VOICE_EVENT_TOOL_CALL ? "arguments" :
      "result";
  if (gst_voice_timeline_refuse_if_ended (self,
          gst_voice_event_type_to_string (type)))
    return FALSE;
  /* text that is not UTF-8 never goes into a structure (GStreamer warns
   * of it as a bug) */
  if ((name && !g_utf8_validate (name, -1, nullptr))
      || !g_utf8_validate (json, -1, nullptr)) {
    GST_ELEMENT_WARNING (self, STREAM, FORMAT,
        ("%s refused: its name and %s must be UTF-8",
            gst_voice_event_type_to_string (type), what), (nullptr));
    return FALSE;
  }
  GstVoiceTimelineEvent ev;
  gst_voice_timeline_event_init (&ev, type, 0.0);
  ev.name = g_strdup (name);
  if (type == GST_VOICE_EVENT_TOOL_CALL)
    ev.args = g_strdup (json);
  else
    ev.result = g_strdup (json);
  if (call_id && g_utf8_validate (call_id, -1, nullptr)) {
    JsonBuilder *b = json_builder_new ();
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "call_id");
    json_builder_add_string_value (b, call_id);
    json_builder_end_object (b);
    JsonNode *node = json_builder_get_root (b);
    ev.metadata = json_to_string (node, FALSE);
    json_node_unref (node);
    g_object_unref (b);
  }

  /* checked as a structure would be: the same rules as the custom event */
  GstStructure *s = gst_voice_timeline_event_to_structure (&ev);
  GstVoiceTimelineEvent checked;
  gboolean ok = (!name || g_utf8_validate (name, -1, nullptr))
      && gst_voice_timeline_event_from_structure (s, &checked);
  gst_structure_free (s);
  gst_voice_timeline_event_clear (&ev);
  if (!ok) {
    GST_ELEMENT_WARNING (self, STREAM, FORMAT,
        ("%s \"%s\" refused: its %s must be valid JSON%s, and its text "
            "UTF-8", gst_voice_event_type_to_string (type),
            name && g_utf8_validate (name, -1, nullptr) ? name : "",
            what, type == GST_VOICE_EVENT_TOOL_CALL ? " (an object)" : ""),
        (nullptr));
    return FALSE;
  }

  if (!GST_CLOCK_TIME_IS_VALID (running_time))
    running_time = gst_voice_timeline_now (self);
  AppEvent a = { checked, running_time, false, "", -1, "" };
  return gst_voice_timeline_post_app_event (self, a,
      gst_voice_event_type_to_string (type));
}

static gboolean
gst_voice_timeline_add_transcript (GstVoiceTimeline * self,
    const gchar * speaker, gint idx, const gchar * text,
    GstClockTime running_time)
{
  if (gst_voice_timeline_refuse_if_ended (self, "transcript"))
    return FALSE;
  if (!text || idx < -1
      || (idx < 0 && !gst_voice_speaker_name_is_valid (speaker))) {
    GST_ELEMENT_WARNING (self, STREAM, FORMAT,
        ("transcript refused: it needs a text, and a valid speaker name "
            "or a segment index (-1: the speaker's at the running time)"),
        (nullptr));
    return FALSE;
  }
  /* whatever came in, the manifest gets valid UTF-8, and not without
   * bounds: a text is cut at MAX_TRANSCRIPT bytes */
  gchar *valid = g_utf8_make_valid (text, -1);
  if (!g_utf8_validate (text, -1, nullptr))
    GST_ELEMENT_WARNING (self, STREAM, FORMAT,
        ("transcript text was not valid UTF-8: invalid bytes replaced"),
        (nullptr));
  gsize len = strlen (valid);
  if (len > MAX_TRANSCRIPT) {
    GST_ELEMENT_WARNING (self, STREAM, FORMAT,
        ("transcript text of %" G_GSIZE_FORMAT " bytes cut to %u", len,
            MAX_TRANSCRIPT), (nullptr));
    gchar *end = valid + MAX_TRANSCRIPT;
    /* at a character's start */
    while (end > valid && (*end & 0xc0) == 0x80)
      end--;
    *end = '\0';
  }
  if (!GST_CLOCK_TIME_IS_VALID (running_time))
    running_time = gst_voice_timeline_now (self);

  AppEvent a = { };
  a.running_time = running_time;
  a.transcript = true;
  a.speaker = speaker ? speaker : "";
  a.idx = idx;
  a.text = valid;
  g_free (valid);
  return gst_voice_timeline_post_app_event (self, a, "transcript");
}

static gboolean
gst_voice_timeline_set_transcript (GstVoiceTimeline * self,
    const gchar * speaker, gint idx, const gchar * text, guint64 running_time)
{
  return gst_voice_timeline_add_transcript (self, speaker, idx, text,
      running_time);
}

static gboolean
gst_voice_timeline_tool_call (GstVoiceTimeline * self, const gchar * name,
    const gchar * args, const gchar * call_id, guint64 running_time)
{
  return gst_voice_timeline_add_tool_event (self, GST_VOICE_EVENT_TOOL_CALL,
      name, args ? args : "{}", call_id, running_time);
}

static gboolean
gst_voice_timeline_tool_result (GstVoiceTimeline * self, const gchar * name,
    const gchar * result, const gchar * call_id, guint64 running_time)
{
  return gst_voice_timeline_add_tool_event (self,
      GST_VOICE_EVENT_TOOL_RESULT, name, result ? result : "null", call_id,
      running_time);
}

/* Sends what the timeline decided downstream, before the next audio, and
 * posts it on the bus. */
static void
gst_voice_timeline_push_outgoing (GstVoiceTimeline * self)
{
  GstVoiceTimelinePrivate *priv = self->priv;
  bool post;
  {
    std::lock_guard < std::mutex > lk (priv->lock);
    post = priv->post_messages;
  }
  std::vector < std::string > warnings;
  warnings.swap (priv->warnings);
  for (const auto & w:warnings)
    GST_ELEMENT_WARNING (self, STREAM, FORMAT, ("%s", w.c_str ()), (nullptr));

  std::vector < GstStructure * >out;
  {
    /* kept a while: a hang-up's answer gives them again, in case they
     * never reached the sink (it may already be flushing, or a queue may
     * hold them) */
    std::lock_guard < std::mutex > bl (priv->builder_lock);
    out.swap (priv->outgoing);
    for (GstStructure * s:out) {
      priv->recent.push_back (gst_structure_copy (s));
      if (priv->recent.size () > RECENT_ITEMS) {
        gst_structure_free (priv->recent.front ());
        priv->recent.pop_front ();
      }
    }
  }
  for (GstStructure * s:out) {
    if (post)
      gst_element_post_message (GST_ELEMENT (self),
          gst_message_new_element (GST_OBJECT (self), gst_structure_copy (s)));
    gst_pad_push_event (GST_AGGREGATOR_SRC_PAD (self),
        gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM, s));
  }
}

static GstStructure *
gst_voice_timeline_summary_of (const GstVoiceLatencyStats * stats)
{
  JsonNode *node = gst_voice_latency_stats_to_json (stats);
  JsonObject *obj = json_node_get_object (node);
  GstStructure *s = gst_structure_new ("voice-latency-summary", "count",
      G_TYPE_UINT, gst_voice_latency_stats_get_count (stats), nullptr);
  const gchar *fields[][2] = {
    {"avg", "avg"}, {"p50", "p50"}, {"p95", "p95"}, {"min", "min"},
    {"max", "max"}, {"time_to_first_byte", "time-to-first-byte"},
    {"interrupt_response_time", "interrupt-response-time"},
  };
  for (const auto & f:fields)
    if (!json_object_get_null_member (obj, f[0]))
      gst_structure_set (s, f[1], G_TYPE_DOUBLE,
          json_object_get_double_member (obj, f[0]), nullptr);
  json_node_unref (node);
  return s;
}

static GstStructure *
gst_voice_timeline_latency_summary (GstVoiceTimeline * self)
{
  return gst_voice_timeline_summary_of (self->priv->builder->latency ());
}

/* A hang-up downstream (NULL without EOS) asks for what the timeline has
 * not given out yet: answered from a copy of the timeline finished at the
 * last output, with the application's events still in the inbox. */
static gboolean
gst_voice_timeline_answer_pending (GstVoiceTimeline * self, GstQuery * query)
{
  GstVoiceTimelinePrivate *priv = self->priv;
  std::vector < GstStructure * >items;
  {
    std::lock_guard < std::mutex > bl (priv->builder_lock);
    if (!priv->builder || !GST_CLOCK_TIME_IS_VALID (priv->origin))
      return TRUE;
    /* what was given out lately or is about to be: the sink keeps what it
     * has not seen */
    for (auto s:priv->recent)
      items.push_back (gst_structure_copy (s));
    for (auto s:priv->outgoing)
      items.push_back (gst_structure_copy (s));
    GstClockTime end;
    std::vector < AppEvent > inbox;
    {
      std::lock_guard < std::mutex > lk (priv->lock);
      end = priv->last_position;
      for (const auto & a:priv->inbox) {
        AppEvent copy = a;
        gst_voice_timeline_event_copy_into (&copy.event, &a.event);
        inbox.push_back (copy);
      }
    }
    GstVoiceLatencyStats *stats = priv->builder->preview_finish (
        GST_CLOCK_TIME_IS_VALID (end) ? end : 0,
        [self, &inbox](TimelineBuilder & b) {
          for (auto & a:inbox)
            gst_voice_timeline_give (self, b, a, false);
        },[&items](const GstVoiceTimelineEvent & e) {
          items.push_back (gst_voice_timeline_event_to_structure (&e));
        },[&items](const GstVoiceSegment & seg) {
          items.push_back (gst_voice_segment_to_structure (&seg));
        });
    for (auto & a:inbox)
      gst_voice_timeline_event_clear (&a.event);
    items.push_back (gst_voice_timeline_summary_of (stats));
    gst_voice_latency_stats_free (stats);
  }
  for (auto s:items)
    gst_voice_query_add_pending (query, s);
  return TRUE;
}

static gboolean
gst_voice_timeline_src_query (GstAggregator * agg, GstQuery * query)
{
  const GstStructure *s = gst_query_get_structure (query);
  if (GST_QUERY_TYPE (query) == GST_QUERY_CUSTOM && s
      && gst_structure_has_name (s, GST_VOICE_PENDING_QUERY))
    return gst_voice_timeline_answer_pending (GST_VOICE_TIMELINE (agg),
        query);
  return GST_AGGREGATOR_CLASS (parent_class)->src_query (agg, query);
}

/* A seek that keeps the running time going (no flush) would jump the
 * output's position while the legs still deliver what they had queued, and
 * a rate other than 1.0 would put speech and audio on different clocks:
 * both would break a recording already written, so only a flushing seek at
 * rate 1.0, which starts a new conversation, goes upstream. */
static gboolean
gst_voice_timeline_src_event (GstAggregator * agg, GstEvent * event)
{
  if (GST_EVENT_TYPE (event) == GST_EVENT_SEEK) {
    gdouble rate;
    GstSeekFlags flags;
    gst_event_parse_seek (event, &rate, nullptr, &flags, nullptr, nullptr,
        nullptr, nullptr);
    if (!(flags & GST_SEEK_FLAG_FLUSH) || rate != 1.0) {
      GST_ELEMENT_WARNING (agg, CORE, SEEK,
          ("Seek refused: a recording seeks only with a flush, at rate 1.0"),
          ("a flushing seek starts a new conversation; this seek is %s at "
              "rate %g",
              (flags & GST_SEEK_FLAG_FLUSH) ? "flushing" : "not flushing",
              rate));
      gst_event_unref (event);
      return FALSE;
    }
  }
  return GST_AGGREGATOR_CLASS (parent_class)->src_event (agg, event);
}

static guint pad_index (GstPad * pad);

/* Every pad takes its name, in pad order, the first time a name is needed
 * (as the call starts): of two legs that speak as one name from the start,
 * the one on the lower-numbered pad keeps it, whichever leg's events the
 * aggregator happened to take first (aggregate thread). */
static void
gst_voice_timeline_claim_names (GstVoiceTimeline * self)
{
  if (self->priv->names_claimed)
    return;
  self->priv->names_claimed = true;
  /* by number, not in the order they were requested */
  std::vector < GstPad * >pads = gst_voice_timeline_pads_of_type (self,
      GST_TYPE_VOICE_TIMELINE_PAD);
  std::stable_sort (pads.begin (), pads.end (),[](GstPad * a, GstPad * b) {
        return pad_index (a) < pad_index (b);
      });
  for (GstPad * pad:pads) {
    std::string name;
    GstVoiceRole role;
    gst_voice_timeline_unique_speaker (self, GST_VOICE_TIMELINE_PAD (pad),
        name, role);
    gst_object_unref (pad);
  }
}

/* The name a pad speaks as in the timeline: its identity, made unique with
 * the pad's name when another leg already speaks as it (two segmenters left
 * at their default name "user", say), with a warning. */
static void
gst_voice_timeline_unique_speaker (GstVoiceTimeline * self,
    GstVoiceTimelinePad * pad, std::string & name, GstVoiceRole & role)
{
  gst_voice_timeline_claim_names (self);
  gst_voice_timeline_pad_identity (pad, name, role);
  auto & owners = self->priv->owners;
  auto it = owners.find (name);
  if (it == owners.end ()) {
    owners[name] = GST_PAD (pad);
    return;
  }
  if (it->second == GST_PAD (pad))
    return;
  /* the pad's name as a suffix, the name cut to make room for it: a name
   * of the longest kind would otherwise come back unchanged, and the two
   * legs' spans would be taken for one speaker's */
  std::string unique;
  for (guint n = 1;; n++) {
    std::string suffix = std::string ("-") + GST_OBJECT_NAME (pad);
    if (n > 1)
      suffix += "-" + std::to_string (n);
    unique = name.substr (0, GST_VOICE_SPEAKER_NAME_MAX_LENGTH -
        MIN (suffix.size (), GST_VOICE_SPEAKER_NAME_MAX_LENGTH)) + suffix;
    auto owner = owners.find (unique);
    if (owner == owners.end ()) {
      self->priv->warnings.push_back ("two legs speak as \"" + name +
          "\": the one on " + GST_OBJECT_NAME (pad) + " is called \"" +
          unique + "\"; give each voicesegmenter its own speaker name");
      owners[unique] = GST_PAD (pad);
      break;
    }
    if (owner->second == GST_PAD (pad))
      break;
  }
  name = unique;
}

/* Tells downstream which speaker a pad's channel carries, once the
 * conversation has started and whenever that changes. */
static void
gst_voice_timeline_announce (GstVoiceTimeline * self,
    GstVoiceTimelinePad * pad, const std::string & name, GstVoiceRole role)
{
  GstVoiceTimelinePrivate *priv = self->priv;
  if (!GST_CLOCK_TIME_IS_VALID (priv->origin))
    return;
  GST_OBJECT_LOCK (pad);
  guint channel = pad->channel;
  GstClockTime padding = pad->padding;
  GST_OBJECT_UNLOCK (pad);
  auto & last = priv->announced[GST_PAD (pad)];
  if (last.name == name && last.role == role && last.padding == padding)
    return;
  last = {name, role, padding};
  GstStructure *s = gst_voice_channel_structure_new (channel, name.c_str (),
      role);
  if (padding > 0)
    gst_structure_set (s, "padding", G_TYPE_UINT64, padding, nullptr);
  priv->outgoing.push_back (s);
}

static void
gst_voice_timeline_speaker_of (GstVoiceTimeline * self,
    GstVoiceTimelinePad * pad, std::string & name, GstVoiceRole & role)
{
  gst_voice_timeline_unique_speaker (self, pad, name, role);
  gst_voice_timeline_announce (self, pad, name, role);
}

/* Every channel's speaker, when the conversation starts (aggregate
 * thread). */
static void
gst_voice_timeline_announce_all (GstVoiceTimeline * self)
{
  for (GstPad * pad:gst_voice_timeline_pads_of_type (self,
          GST_TYPE_VOICE_TIMELINE_PAD)) {
    std::string name;
    GstVoiceRole role;
    gst_voice_timeline_speaker_of (self, GST_VOICE_TIMELINE_PAD (pad), name,
        role);
    gst_object_unref (pad);
  }
}

static gboolean
gst_voice_timeline_sink_event (GstAggregator * agg, GstAggregatorPad * aggpad,
    GstEvent * event)
{
  GstVoiceTimeline *self = GST_VOICE_TIMELINE (agg);
  GstVoiceSpeech speech;

  /* a text pad's flushes and the EOS that releases the aggregator */
  if (!GST_IS_VOICE_TIMELINE_PAD (aggpad))
    return GST_AGGREGATOR_CLASS (parent_class)->sink_event (agg, aggpad,
        event);
  GstVoiceTimelinePad *pad = GST_VOICE_TIMELINE_PAD (aggpad);

  if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_STOP)
    gst_voice_timeline_pad_forget_audio (pad);

  /* Any rate: the pad's converter resamples to the output's. The base
   * class would pin every pad to the first one's rate. */
  if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
    GstCaps *caps;
    GstAudioInfo info;
    gst_event_parse_caps (event, &caps);
    gboolean ok = gst_audio_info_from_caps (&info, caps)
        && GST_AUDIO_INFO_CHANNELS (&info) == 1;
    if (ok) {
      GST_OBJECT_LOCK (pad);
      GST_AUDIO_AGGREGATOR_PAD (pad)->info = info;
      GST_OBJECT_UNLOCK (pad);
    } else {
      GST_WARNING_OBJECT (pad, "refused caps %" GST_PTR_FORMAT, caps);
    }
    gst_event_unref (event);
    return ok;
  }
  gchar *name;
  GstVoiceRole role;

  if (gst_voice_event_parse_speaker (event, &name, &role)) {
    GST_OBJECT_LOCK (pad);
    g_free (pad->stream_speaker);
    pad->stream_speaker = name;
    pad->stream_role = role;
    GST_OBJECT_UNLOCK (pad);
    gst_event_unref (event);
    /* a name that became known after the start is announced now, not
     * only with the speaker's first words; before the start, the names
     * are taken in pad order */
    if (GST_CLOCK_TIME_IS_VALID (self->priv->origin)) {
      std::string who;
      gst_voice_timeline_speaker_of (self, pad, who, role);
    }
    return TRUE;
  }

  if (GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_DOWNSTREAM
      && gst_event_has_name (event, GST_VOICE_TIMELINE_EVENT_STRUCTURE)) {
    const GstStructure *s = gst_event_get_structure (event);
    GstVoiceTimelineEvent ev;
    guint64 rt = GST_CLOCK_TIME_NONE;
    gboolean rt_ok = !gst_structure_has_field (s, "running-time")
        || gst_structure_get_uint64 (s, "running-time", &rt);
    /* the application's time field may be left out: 0 then */
    GstStructure *copy = gst_structure_copy (s);
    if (!gst_structure_has_field (copy, "time"))
      gst_structure_set (copy, "time", G_TYPE_DOUBLE, 0.0, nullptr);
    gboolean parsed = gst_voice_timeline_event_from_structure (copy, &ev);
    if (parsed && !rt_ok) {
      gst_voice_timeline_event_clear (&ev);
      parsed = FALSE;
    }
    if (parsed && (ev.type == GST_VOICE_EVENT_TOOL_CALL
            || ev.type == GST_VOICE_EVENT_TOOL_RESULT)) {
      if (!GST_CLOCK_TIME_IS_VALID (rt))
        rt = gst_segment_to_running_time (&aggpad->segment, GST_FORMAT_TIME,
            aggpad->segment.position);
      if (!GST_CLOCK_TIME_IS_VALID (rt))
        rt = gst_voice_timeline_now (self);
      std::lock_guard < std::mutex > lk (self->priv->lock);
      self->priv->inbox.push_back ({ev, rt, false, "", -1, ""});
    } else {
      if (parsed)
        gst_voice_timeline_event_clear (&ev);
      GST_ELEMENT_WARNING (self, STREAM, FORMAT, (nullptr),
          ("voice-timeline-event dropped: only a valid tool_call or "
              "tool_result can come from upstream: %" GST_PTR_FORMAT, s));
    }
    gst_structure_free (copy);
    gst_event_unref (event);
    return TRUE;
  }

  if (GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_DOWNSTREAM
      && gst_event_has_name (event, "voice-transcript")) {
    const GstStructure *s = gst_event_get_structure (event);
    std::string who;
    /* before the start the names are not taken yet (in pad order, when
     * every leg has told its own) */
    if (GST_CLOCK_TIME_IS_VALID (self->priv->origin))
      gst_voice_timeline_speaker_of (self, pad, who, role);
    else
      gst_voice_timeline_pad_identity (pad, who, role);
    gint idx = -1;
    guint64 rt = GST_CLOCK_TIME_NONE;
    if ((gst_structure_has_field (s, "idx")
            && !gst_structure_get_int (s, "idx", &idx))
        || (gst_structure_has_field (s, "running-time")
            && !gst_structure_get_uint64 (s, "running-time", &rt))) {
      GST_ELEMENT_WARNING (self, STREAM, FORMAT, (nullptr),
          ("voice-transcript dropped: idx must be an int, running-time a "
              "guint64: %" GST_PTR_FORMAT, s));
      gst_event_unref (event);
      return TRUE;
    }
    if (!GST_CLOCK_TIME_IS_VALID (rt))
      rt = gst_segment_to_running_time (&aggpad->segment, GST_FORMAT_TIME,
          aggpad->segment.position);
    gst_voice_timeline_add_transcript (self, who.c_str (), idx,
        gst_structure_get_string (s, "text"), rt);
    gst_event_unref (event);
    return TRUE;
  }

  /* the library's own events that do not parse (fields missing, of the
   * wrong type, or unsafe, such as a speaker name that is a path) */
  gboolean is_speech = gst_voice_event_parse_speech (event, &speech);
  if (!is_speech && GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_DOWNSTREAM
      && (gst_event_has_name (event, GST_VOICE_SPEAKER_STRUCTURE)
          || gst_event_has_name (event, GST_VOICE_SPEECH_START_STRUCTURE)
          || gst_event_has_name (event, GST_VOICE_SPEECH_STOP_STRUCTURE))) {
    GST_ELEMENT_WARNING (self, STREAM, FORMAT, (nullptr),
        ("%s dropped: a field is missing, of the wrong type or unsafe: %"
            GST_PTR_FORMAT, gst_structure_get_name (gst_event_get_structure
                (event)), gst_event_get_structure (event)));
    gst_event_unref (event);
    return TRUE;
  }

  if (is_speech) {
    /* the segmenter's padding: downstream keeps it around each segment */
    GST_OBJECT_LOCK (pad);
    pad->padding = speech.padding;
    GST_OBJECT_UNLOCK (pad);
    std::string who;
    gst_voice_timeline_speaker_of (self, pad, who, role);
    GstClockTime start = speech.start_running_time;
    if (!GST_CLOCK_TIME_IS_VALID (start))
      start = gst_segment_to_running_time (&aggpad->segment, GST_FORMAT_TIME,
          speech.start);
    start = gst_voice_timeline_pad_unjump (pad, start);
    std::lock_guard < std::mutex > bl (self->priv->builder_lock);
    /* a span ends as the speaker it started as: a name or role that
     * changed while it was open is for the next one */
    if (speech.kind == GST_VOICE_SPEECH_STOP
        && GST_CLOCK_TIME_IS_VALID (pad->open_start)) {
      who = *pad->open_speaker;
      role = pad->open_role;
    }
    pad->open_start = speech.kind == GST_VOICE_SPEECH_START ? start :
        GST_CLOCK_TIME_NONE;
    *pad->open_speaker = who;
    pad->open_role = role;
    if (speech.kind == GST_VOICE_SPEECH_START) {
      self->priv->builder->span_start (who, role, start);
    } else {
      GstClockTime end = speech.end_running_time;
      if (!GST_CLOCK_TIME_IS_VALID (end))
        end = gst_segment_to_running_time (&aggpad->segment,
            GST_FORMAT_TIME, speech.end);
      end = gst_voice_timeline_pad_unjump (pad, end);
      self->priv->builder->span_stop (who, role, start, MAX (start, end));
    }
    gst_voice_speech_clear (&speech);
    gst_event_unref (event);
    return TRUE;
  }

  return GST_AGGREGATOR_CLASS (parent_class)->sink_event (agg, aggpad, event);
}

/* Audio dropped as late is lost from the recording, segment files and all:
 * said once per pad and call as a warning, which an application watches
 * for, where the QoS messages of every drop go unread as a rule. */
static gboolean
gst_voice_timeline_post_message (GstElement * element, GstMessage * msg)
{
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_QOS
      && GST_IS_VOICE_TIMELINE_PAD (GST_MESSAGE_SRC (msg))) {
    GstVoiceTimelinePad *pad = GST_VOICE_TIMELINE_PAD (GST_MESSAGE_SRC (msg));
    GstClockTime running_time, duration;
    gst_message_parse_qos (msg, nullptr, &running_time, nullptr, nullptr,
        &duration);
    /* late: before the output (the base class posts in the aggregate
     * thread, which owns position); a drop of what overlaps the leg's own
     * audio after a step back is not */
    GstClockTime output = GST_VOICE_TIMELINE (element)->priv->position;
    bool late = GST_CLOCK_TIME_IS_VALID (running_time)
        && GST_CLOCK_TIME_IS_VALID (output)
        && running_time + (GST_CLOCK_TIME_IS_VALID (duration) ? duration : 0)
        <= output + GST_MSECOND;
    if (late && g_atomic_int_compare_and_exchange (&pad->late_told, 0, 1)) {
      GST_ELEMENT_WARNING (element, STREAM, FAILED,
          ("Audio on %s came too late and was dropped from the recording",
              GST_PAD_NAME (pad)),
          ("%" GST_TIME_FORMAT " of audio at running time %" GST_TIME_FORMAT
              " came after the output had passed it: give a live source its "
              "latency (appsrc min-latency, timestamps by do-timestamp) or "
              "raise the timeline's latency property. Said once per pad and "
              "call; the pad posts a QoS message at every drop",
              GST_TIME_ARGS (duration), GST_TIME_ARGS (running_time)));
    }
  }
  return GST_ELEMENT_CLASS (parent_class)->post_message (element, msg);
}

/* A speaker pad takes any rate of its template (see the CAPS event). */
static gboolean
gst_voice_timeline_sink_query (GstAggregator * agg, GstAggregatorPad * aggpad,
    GstQuery * query)
{
  if (GST_QUERY_TYPE (query) != GST_QUERY_CAPS
      || !GST_IS_VOICE_TIMELINE_PAD (aggpad))
    return GST_AGGREGATOR_CLASS (parent_class)->sink_query (agg, aggpad,
        query);

  return gst_voice_timeline_pad_answer_caps (GST_PAD (aggpad), query);
}

/* Sends the latency figures downstream when they changed, or @always (at
 * the end), after what is already queued. */
static void
gst_voice_timeline_queue_summary (GstVoiceTimeline * self, bool always)
{
  GstVoiceTimelinePrivate *priv = self->priv;
  guint version = priv->builder->latency_version ();
  if (!always && version == priv->summary_version)
    return;
  priv->summary_version = version;
  priv->outgoing.push_back (gst_voice_timeline_latency_summary (self));
}

/* Keeps the "stats" property up to date when the figures change. */
static void
gst_voice_timeline_update_stats (GstVoiceTimeline * self)
{
  GstVoiceTimelinePrivate *priv = self->priv;
  if (!priv->builder)
    return;
  guint version = priv->builder->latency_version ();
  {
    std::lock_guard < std::mutex > lk (priv->lock);
    if (version == priv->stats_version)
      return;
  }
  GstStructure *stats = gst_voice_timeline_latency_summary (self);
  std::lock_guard < std::mutex > lk (priv->lock);
  if (priv->stats)
    gst_structure_free (priv->stats);
  priv->stats = stats;
  priv->stats_version = version;
}

/* The wall-clock time of conversation time zero: now, less how far the
 * clock has run past it while playing. */
static GstStructure *
gst_voice_timeline_conversation_start (GstVoiceTimeline * self,
    GstClockTime origin)
{
  GDateTime *now = g_date_time_new_now_utc ();
  GstClockTime running = gst_voice_timeline_now (self);
  GDateTime *zero = now;
  if (GST_CLOCK_TIME_IS_VALID (running) && running > origin) {
    zero = g_date_time_add (now, -(GTimeSpan) ((running - origin) /
            GST_USECOND));
    g_date_time_unref (now);
  }
  gchar *iso = g_date_time_format_iso8601 (zero);
  g_date_time_unref (zero);
  GstStructure *s = gst_structure_new ("voice-conversation-start",
      "started-at", G_TYPE_STRING, iso,
      "origin-running-time", G_TYPE_UINT64, origin,
      "settle-time", G_TYPE_UINT64, self->priv->call_settle_time, nullptr);
  g_free (iso);
  return s;
}

static GstFlowReturn
gst_voice_timeline_finish_buffer (GstAggregator * agg, GstBuffer * buffer)
{
  GstVoiceTimeline *self = GST_VOICE_TIMELINE (agg);
  GstVoiceTimelinePrivate *priv = self->priv;
  GstSegment *seg = &GST_AGGREGATOR_PAD (agg->srcpad)->segment;

  GstClockTime start = gst_segment_to_running_time (seg, GST_FORMAT_TIME,
      GST_BUFFER_PTS (buffer));
  if (GST_CLOCK_TIME_IS_VALID (start)) {
    if (!GST_CLOCK_TIME_IS_VALID (priv->origin)) {
      std::lock_guard < std::mutex > bl (priv->builder_lock);
      priv->origin = start;
      priv->builder->set_origin (start);
      priv->outgoing.push_back (gst_voice_timeline_conversation_start (self,
              start));
      gst_voice_timeline_announce_all (self);
    }
    gst_voice_timeline_take_inbox (self);
    /* from the size: the base class can stamp a final GAP buffer with a
     * duration that wrapped around */
    GstAudioInfo *info = &GST_AUDIO_AGGREGATOR_PAD (agg->srcpad)->info;
    priv->position = start + gst_util_uint64_scale_int (gst_buffer_get_size
        (buffer) / MAX (1, GST_AUDIO_INFO_BPF (info)), GST_SECOND,
        MAX (1, GST_AUDIO_INFO_RATE (info)));
    {
      std::lock_guard < std::mutex > lk (priv->lock);
      priv->last_position = priv->position;
    }
    GstClockTime settle = priv->call_settle_time;
    if (priv->position > settle) {
      std::lock_guard < std::mutex > bl (priv->builder_lock);
      priv->builder->settle (priv->position - settle);
    }
  }
  /* the audio first: the base class sends the segment with the first
   * buffer, and what follows describes times settle-time in the past */
  GstFlowReturn ret = GST_AGGREGATOR_CLASS (parent_class)->finish_buffer (agg,
      buffer);
  if (ret == GST_FLOW_OK && GST_CLOCK_TIME_IS_VALID (start))
    priv->delivered = priv->position;
  if (GST_CLOCK_TIME_IS_VALID (priv->origin))
    gst_voice_timeline_queue_summary (self, false);
  gst_voice_timeline_push_outgoing (self);
  gst_voice_timeline_update_stats (self);
  return ret;
}

/* Our own values of the base class's properties: set only if the
 * application set none, and put back to the default when the call stops
 * (gst_voice_timeline_stop ()). */
static void
gst_voice_timeline_set_ours (GstVoiceTimeline * self, const gchar * property,
    GstClockTime value, GstClockTime default_value, std::atomic < bool >&ours)
{
  self->priv->setting = g_thread_self ();
  g_object_set (self, property, value, nullptr);
  self->priv->setting = nullptr;
  ours = value != default_value;
}

static void
gst_voice_timeline_set_our_duration (GstVoiceTimeline * self,
    GstClockTime duration)
{
  gst_voice_timeline_set_ours (self, "output-buffer-duration", duration,
      LIVE_BUFFER_DURATION, self->priv->duration_ours);
}

static void
gst_voice_timeline_set_our_latency (GstVoiceTimeline * self,
    GstClockTime latency)
{
  gst_voice_timeline_set_ours (self, "latency", latency, 0,
      self->priv->latency_ours);
}

/* Without a live source nothing waits for the output, and 20 ms buffers
 * (for a live call's latency) cost a whole pass through the recording's
 * elements each: such a pipeline gets OFFLINE_BUFFER_DURATION. And since
 * no deadline is missed there, each input may queue OFFLINE_INPUT_QUEUE,
 * so that the legs' threads (the segmenters' analysis) do not wait for
 * each output buffer. What the application chose stays. */
static void
gst_voice_timeline_choose_offline (GstVoiceTimeline * self)
{
  GstVoiceTimelinePrivate *priv = self->priv;
  if (priv->offline_checked)
    return;
  priv->offline_checked = true;
  if (GST_CLOCK_TIME_IS_VALID (gst_aggregator_get_latency (GST_AGGREGATOR
              (self))))
    return;
  if (!priv->duration_set)
    gst_voice_timeline_set_our_duration (self, OFFLINE_BUFFER_DURATION);
  if (!priv->latency_set && !priv->untimed_input)
    gst_voice_timeline_set_our_latency (self, OFFLINE_INPUT_QUEUE);
}

/* A buffer without a timestamp: no pad's queue can be bounded by time. */
static void
gst_voice_timeline_note_untimed (GstVoiceTimeline * self)
{
  GstVoiceTimelinePrivate *priv = self->priv;
  if (!priv->untimed_input.exchange (true) && priv->latency_ours)
    gst_voice_timeline_set_our_latency (self, 0);
}

/* The application's value, once it set one, is never replaced. */
static void
gst_voice_timeline_duration_notify (GstVoiceTimeline * self)
{
  if (self->priv->setting != g_thread_self ()) {
    self->priv->duration_set = true;
    self->priv->duration_ours = false;
  }
}

static void
gst_voice_timeline_latency_notify (GstVoiceTimeline * self)
{
  if (self->priv->setting != g_thread_self ()) {
    self->priv->latency_set = true;
    self->priv->latency_ours = false;
  }
}

static GstFlowReturn
gst_voice_timeline_aggregate (GstAggregator * agg, gboolean timeout)
{
  GstVoiceTimeline *self = GST_VOICE_TIMELINE (agg);
  gst_voice_timeline_choose_offline (self);
  GstFlowReturn ret = GST_AGGREGATOR_CLASS (parent_class)->aggregate (agg,
      timeout);

  if (ret == GST_FLOW_EOS && self->priv->builder) {
    /* the conversation is over: everything is settled */
    GstVoiceTimelinePrivate *priv = self->priv;
    gst_voice_timeline_wait_for_text (self);
    {
      /* what the application adds from now on is refused, not lost */
      std::lock_guard < std::mutex > lk (priv->lock);
      priv->ended = true;
    }
    gst_voice_timeline_take_inbox (self);
    /* timed text of a call that never started: not for the next one */
    if (guint cues = gst_voice_timeline_clear_inbox (self))
      GST_ELEMENT_WARNING (self, STREAM, FORMAT,
          ("%u timed text cues dropped: the call ended before its audio "
              "began", cues), (nullptr));
    {
      std::lock_guard < std::mutex > bl (priv->builder_lock);
      priv->builder->finish (GST_CLOCK_TIME_IS_VALID (priv->position) ?
          priv->position : 0);
    }
    gst_voice_timeline_queue_summary (self, true);
    gst_voice_timeline_push_outgoing (self);
    gst_voice_timeline_update_stats (self);
    std::lock_guard < std::mutex > bl (priv->builder_lock);
    priv->builder.reset ();
  }
  return ret;
}

static gboolean
gst_voice_timeline_aggregate_one_buffer (GstAudioAggregator * aagg,
    GstAudioAggregatorPad * apad, GstBuffer * inbuf, guint in_offset,
    GstBuffer * outbuf, guint out_offset, guint num_frames)
{
  GstAudioInfo *info = &GST_AUDIO_AGGREGATOR_PAD (GST_AGGREGATOR_SRC_PAD
      (aagg))->info;
  GstVoiceTimelinePad *pad = GST_VOICE_TIMELINE_PAD (apad);
  gint bpf = GST_AUDIO_INFO_BPF (info);
  gint bps = GST_AUDIO_INFO_BPS (info);

  GST_OBJECT_LOCK (pad);
  guint channel = MIN (pad->channel, (guint) GST_AUDIO_INFO_CHANNELS (info)
      - 1);
  GST_OBJECT_UNLOCK (pad);

  GstMapInfo in, out;
  /* a padded mono input: its samples are the first memory, one after the
   * other */
  gboolean mono = gst_voice_timeline_is_padded_mono (inbuf);
  gint in_stride = mono ? bps : bpf;
  if (!(mono ? gst_buffer_map_range (inbuf, 0, 1, &in, GST_MAP_READ) :
          gst_buffer_map (inbuf, &in, GST_MAP_READ)))
    return FALSE;
  if (!gst_buffer_map (outbuf, &out, GST_MAP_READWRITE)) {
    gst_buffer_unmap (inbuf, &in);
    return FALSE;
  }
  const guint8 *src = in.data + in_offset * in_stride +
      (mono ? 0 : channel * bps);
  guint8 *dst = out.data + out_offset * bpf + channel * bps;
  if (bps == 2 && ((guintptr) src | (guintptr) dst) % 2 == 0) {
    /* S16: one sample at a time, not one memcpy () call each */
    s16loops::copy_strided ((gint16 *) dst, bpf / 2, (const gint16 *) src,
        in_stride / 2, num_frames);
  } else {
    for (guint i = 0; i < num_frames; i++)
      memcpy (dst + i * bpf, src + i * in_stride, bps);
  }
  gst_buffer_unmap (inbuf, &in);
  gst_buffer_unmap (outbuf, &out);
  return TRUE;
}

static GstFlowReturn
gst_voice_timeline_update_src_caps (GstAggregator * agg, GstCaps * caps,
    GstCaps ** ret)
{
  GST_OBJECT_LOCK (agg);
  guint n = GST_VOICE_TIMELINE (agg)->n_channels;
  GST_OBJECT_UNLOCK (agg);
  if (n == 0)
    return GST_AGGREGATOR_FLOW_NEED_DATA;

  /* a recording keeps its format: a leg whose caps come later, or a new
   * branch downstream, does not change the rate mid-call. A downstream
   * that no longer takes it is an error: GstAudioAggregator would convert
   * the input buffers it is in the middle of to the new rate but keep
   * their positions in frames of the old one, and read past them. */
  GstCaps *current = gst_pad_get_current_caps (GST_AGGREGATOR_SRC_PAD (agg));
  if (current) {
    if (gst_caps_can_intersect (current, caps)) {
      *ret = current;
      return GST_FLOW_OK;
    }
    GST_ELEMENT_ERROR (agg, CORE, NEGOTIATION,
        ("The recording's format cannot change during a call"),
        ("not-negotiated: downstream no longer takes %" GST_PTR_FORMAT,
            current));
    gst_caps_unref (current);
    return GST_FLOW_NOT_NEGOTIATED;
  }

  *ret = gst_caps_copy (caps);
  for (guint i = 0; i < gst_caps_get_size (*ret); i++) {
    GstStructure *s = gst_caps_get_structure (*ret, i);
    gst_structure_set (s, "channels", G_TYPE_INT, n, nullptr);
    if (n == 1)
      gst_structure_remove_field (s, "channel-mask");
    else
      gst_structure_set (s, "channel-mask", GST_TYPE_BITMASK,
          (guint64) (n == 2 ? 0x3 : 0x0), nullptr);
  }
  return GST_FLOW_OK;
}

static GstCaps *
gst_voice_timeline_fixate_src_caps (GstAggregator * agg, GstCaps * caps)
{
  /* the highest input rate, so that no speaker loses bandwidth */
  gint rate = 0;
  GST_OBJECT_LOCK (agg);
  for (GList * l = GST_ELEMENT (agg)->sinkpads; l; l = l->next) {
    GstAudioAggregatorPad *p = GST_AUDIO_AGGREGATOR_PAD (l->data);
    GST_OBJECT_LOCK (p);
    rate = MAX (rate, GST_AUDIO_INFO_RATE (&p->info));
    GST_OBJECT_UNLOCK (p);
  }
  GST_OBJECT_UNLOCK (agg);

  caps = gst_caps_make_writable (caps);
  GstStructure *s = gst_caps_get_structure (caps, 0);
  gst_structure_fixate_field_nearest_int (s, "rate", rate ? rate : 16000);
  gst_structure_fixate_field_string (s, "format", "S16LE");
  return gst_caps_fixate (caps);
}

static guint
pad_index (GstPad * pad)
{
  guint index = G_MAXUINT;
  sscanf (GST_OBJECT_NAME (pad), "sink_%u", &index);
  return index;
}

/* Channels follow the pads' numbers: sink_0 first; max-speakers keeps
 * more for speakers who join later. Only while stopped: a running output
 * keeps its channel count. */
static void
gst_voice_timeline_renumber (GstVoiceTimeline * self)
{
  GST_OBJECT_LOCK (self);
  std::vector < GstPad * >pads;
  for (GList * l = GST_ELEMENT (self)->sinkpads; l; l = l->next)
    if (GST_IS_VOICE_TIMELINE_PAD (l->data))
      pads.push_back (GST_PAD (l->data));
  std::stable_sort (pads.begin (), pads.end (),[](GstPad * a, GstPad * b) {
        return pad_index (a) < pad_index (b);
      });
  guint channel = 0;
  for (GstPad * p:pads) {
    GstVoiceTimelinePad *pad = GST_VOICE_TIMELINE_PAD (p);
    GST_OBJECT_LOCK (pad);
    pad->channel = channel++;
    GST_OBJECT_UNLOCK (pad);
  }
  self->n_channels = MAX (channel, self->max_speakers);
  self->taken_channels = channel >= 64 ? G_MAXUINT64 :
      (G_GUINT64_CONSTANT (1) << channel) - 1;
  GST_OBJECT_UNLOCK (self);
  gst_pad_mark_reconfigure (GST_AGGREGATOR_SRC_PAD (self));
}

/* A channel for a speaker who joins the running call: one that no pad
 * held yet in this call (a released pad's channel keeps its recording),
 * or G_MAXUINT. */
static guint
gst_voice_timeline_free_channel (GstVoiceTimeline * self)
{
  GST_OBJECT_LOCK (self);
  guint channel = G_MAXUINT;
  for (guint c = 0; c < MIN (self->n_channels, 64u); c++) {
    if (!(self->taken_channels & (G_GUINT64_CONSTANT (1) << c))) {
      self->taken_channels |= G_GUINT64_CONSTANT (1) << c;
      channel = c;
      break;
    }
  }
  GST_OBJECT_UNLOCK (self);
  return channel;
}

/* A speaker who joins a running call gets a free channel before the pad
 * is seen; with none free, no pad. */
static GstAggregatorPad *
gst_voice_timeline_create_speaker_pad (GstAggregator * agg,
    GstPadTemplate * templ, const gchar * req_name, const GstCaps * caps)
{
  GstVoiceTimeline *self = GST_VOICE_TIMELINE (agg);

  GST_OBJECT_LOCK (self);
  gboolean streaming = self->streaming;
  GST_OBJECT_UNLOCK (self);
  guint channel = streaming ? gst_voice_timeline_free_channel (self) : 0;
  if (channel == G_MAXUINT) {
    GST_ELEMENT_WARNING (self, CORE, PAD,
        ("A speaker cannot be added to a running call: no free channel"),
        ("set max-speakers to keep channels for speakers who join later, "
            "or request every sink pad before PAUSED"));
    return nullptr;
  }
  GstAggregatorPad *pad = GST_AGGREGATOR_CLASS (parent_class)->create_new_pad
      (agg, templ, req_name, caps);
  if (streaming && !pad) {
    GST_OBJECT_LOCK (self);
    self->taken_channels &= ~(G_GUINT64_CONSTANT (1) << channel);
    GST_OBJECT_UNLOCK (self);
  } else if (streaming) {
    GST_VOICE_TIMELINE_PAD (pad)->channel = channel;
  }
  return pad;
}

/* Text pads are named here: the base class names every pad sink_%u. */
static GstAggregatorPad *
gst_voice_timeline_create_new_pad (GstAggregator * agg,
    GstPadTemplate * templ, const gchar * req_name, const GstCaps * caps)
{
  if (templ->name_template != std::string ("text_%u"))
    return gst_voice_timeline_create_speaker_pad (agg, templ, req_name, caps);

  guint index = G_MAXUINT;
  if (req_name && sscanf (req_name, "text_%u", &index) == 1) {
    gchar *name = g_strdup_printf ("text_%u", index);
    GstPad *taken = gst_element_get_static_pad (GST_ELEMENT (agg), name);
    g_free (name);
    if (taken) {
      gst_object_unref (taken);
      return nullptr;
    }
  } else {
    /* the number after the highest one in use */
    index = 0;
    GST_OBJECT_LOCK (agg);
    for (GList * l = GST_ELEMENT (agg)->sinkpads; l; l = l->next) {
      guint n;
      if (sscanf (GST_OBJECT_NAME (l->data), "text_%u", &n) == 1)
        index = MAX (index, n + 1);
    }
    GST_OBJECT_UNLOCK (agg);
  }
  gchar *name = g_strdup_printf ("text_%u", index);
  GstVoiceTimelineTextPad *pad = GST_VOICE_TIMELINE_TEXT_PAD (g_object_new
      (GST_TYPE_VOICE_TIMELINE_TEXT_PAD, "name", name, "direction",
          GST_PAD_SINK, "template", templ, nullptr));
  g_free (name);
  gst_voice_timeline_text_pad_set_funcs (pad, gst_voice_timeline_take_cue,
      gst_voice_timeline_text_ended);
  return GST_AGGREGATOR_PAD (pad);
}

static GstPad *
gst_voice_timeline_request_new_pad (GstElement * element,
    GstPadTemplate * templ, const gchar * name, const GstCaps * caps)
{
  GstVoiceTimeline *self = GST_VOICE_TIMELINE (element);
  bool text = templ->name_template == std::string ("text_%u");

  GST_OBJECT_LOCK (self);
  gboolean streaming = self->streaming;
  GST_OBJECT_UNLOCK (self);

  GstPad *pad = GST_ELEMENT_CLASS (parent_class)->request_new_pad (element,
      templ, name, caps);
  if (!pad)
    return nullptr;
  if (text && streaming)
    gst_voice_timeline_text_pad_release_aggregator
        (GST_VOICE_TIMELINE_TEXT_PAD (pad));
  if (!text)
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER,
        gst_voice_timeline_pad_probe, self, nullptr);
  if (!text && !streaming)
    gst_voice_timeline_renumber (self);
  gst_child_proxy_child_added (GST_CHILD_PROXY (element), G_OBJECT (pad),
      GST_OBJECT_NAME (pad));
  return pad;
}

static void
gst_voice_timeline_release_pad (GstElement * element, GstPad * pad)
{
  GstVoiceTimeline *self = GST_VOICE_TIMELINE (element);
  bool text = GST_IS_VOICE_TIMELINE_TEXT_PAD (pad);

  /* a leg that goes while its speaker talks (released without EOS, as
   * audiomixer's inputs are): the span ends with its last audio */
  if (!text) {
    GstVoiceTimelinePad *vpad = GST_VOICE_TIMELINE_PAD (pad);
    GST_OBJECT_LOCK (pad);
    GstClockTime end = vpad->next_time;
    GST_OBJECT_UNLOCK (pad);
    std::lock_guard < std::mutex > bl (self->priv->builder_lock);
    GstClockTime start = vpad->open_start;
    vpad->open_start = GST_CLOCK_TIME_NONE;
    if (GST_CLOCK_TIME_IS_VALID (start) && self->priv->builder)
      self->priv->builder->span_stop (*vpad->open_speaker, vpad->open_role,
          start, GST_CLOCK_TIME_IS_VALID (end) ? MAX (start, end) : start);
  }
  gst_child_proxy_child_removed (GST_CHILD_PROXY (element), G_OBJECT (pad),
      GST_OBJECT_NAME (pad));
  GST_ELEMENT_CLASS (parent_class)->release_pad (element, pad);

  /* while running, the speaker's channel stays, silent */
  GST_OBJECT_LOCK (self);
  gboolean streaming = self->streaming;
  GST_OBJECT_UNLOCK (self);
  if (!streaming && !text)
    gst_voice_timeline_renumber (self);
}

static GstStateChangeReturn
gst_voice_timeline_change_state (GstElement * element,
    GstStateChange transition)
{
  GstVoiceTimelinePrivate *priv = GST_VOICE_TIMELINE (element)->priv;
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    /* going down: the last words are not waited for */
    std::lock_guard < std::mutex > lk (priv->lock);
    priv->stop_waiting = true;
    priv->text_ended.notify_all ();
  } else if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    std::lock_guard < std::mutex > lk (priv->lock);
    priv->stop_waiting = false;
  }

  GstStateChangeReturn ret =
      GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);

  /* the text pads are active now: the aggregator must not wait for them */
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED
      && ret != GST_STATE_CHANGE_FAILURE) {
    for (GstPad * pad:gst_voice_timeline_pads_of_type (GST_VOICE_TIMELINE
            (element), GST_TYPE_VOICE_TIMELINE_TEXT_PAD)) {
      gst_voice_timeline_text_pad_release_aggregator
          (GST_VOICE_TIMELINE_TEXT_PAD (pad));
      gst_object_unref (pad);
    }
  }
  return ret;
}

static gboolean
gst_voice_timeline_start (GstAggregator * agg)
{
  GstVoiceTimeline *self = GST_VOICE_TIMELINE (agg);
  gst_voice_timeline_reset (self);
  gst_voice_timeline_reset_jumps (self);
  {
    std::lock_guard < std::mutex > lk (self->priv->lock);
    self->priv->call_settle_time = self->priv->settle_time;
  }
  GST_OBJECT_LOCK (self);
  self->streaming = TRUE;
  GST_OBJECT_UNLOCK (self);
  /* set as the call starts, not when the element is made: a value the
   * application gives g_object_new () (as gst-launch-1.0 does) would
   * otherwise be told from ours only by being different */
  if (!self->priv->duration_set)
    gst_voice_timeline_set_our_duration (self, LIVE_BUFFER_DURATION);
  {
    /* the last call's figures stay readable until a new call starts */
    std::lock_guard < std::mutex > lk (self->priv->lock);
    g_clear_pointer (&self->priv->stats, gst_structure_free);
  }
  return GST_AGGREGATOR_CLASS (parent_class)->start (agg);
}

static gboolean
gst_voice_timeline_stop (GstAggregator * agg)
{
  GstVoiceTimeline *self = GST_VOICE_TIMELINE (agg);
  GstVoiceTimelinePrivate *priv = self->priv;

  /* hung up without EOS: what was still pending is decided with what came
   * in, open spans ending where the sink's audio did; posted (the source
   * pad no longer runs) and kept in "stats" */
  if (priv->builder) {
    {
      /* refused, not lost, until the next call may take them */
      std::lock_guard < std::mutex > lk (priv->lock);
      priv->ended = true;
    }
    gst_voice_timeline_take_inbox (self);
    {
      std::lock_guard < std::mutex > bl (priv->builder_lock);
      GstClockTime end = GST_CLOCK_TIME_IS_VALID (priv->delivered) ?
          priv->delivered : priv->position;
      priv->builder->finish (GST_CLOCK_TIME_IS_VALID (end) ? end : 0);
    }
    gst_voice_timeline_queue_summary (self, true);
    gst_voice_timeline_push_outgoing (self);
    gst_voice_timeline_update_stats (self);
  }

  /* what the application gives from now on is for the next call */
  gst_voice_timeline_clear_inbox (self);
  gst_voice_timeline_reset (self);
  for (GstPad * pad:gst_voice_timeline_pads_of_type (self,
          GST_TYPE_VOICE_TIMELINE_PAD)) {
    gst_voice_timeline_pad_forget_audio (GST_VOICE_TIMELINE_PAD (pad));
    gst_object_unref (pad);
  }
  std::lock_guard < std::mutex > bl (priv->builder_lock);
  priv->builder.reset ();
  GST_OBJECT_LOCK (self);
  self->streaming = FALSE;
  GST_OBJECT_UNLOCK (self);
  gst_voice_timeline_renumber (self);
  /* the next run may be live */
  priv->offline_checked = false;
  if (priv->duration_ours)
    gst_voice_timeline_set_our_duration (self, LIVE_BUFFER_DURATION);
  if (priv->latency_ours)
    gst_voice_timeline_set_our_latency (self, 0);
  priv->untimed_input = false;
  return GST_AGGREGATOR_CLASS (parent_class)->stop (agg);
}

static GstFlowReturn
gst_voice_timeline_flush (GstAggregator * agg)
{
  gst_voice_timeline_reset (GST_VOICE_TIMELINE (agg));
  gst_voice_timeline_reset_jumps (GST_VOICE_TIMELINE (agg));
  return GST_AGGREGATOR_CLASS (parent_class)->flush (agg);
}

static void
gst_voice_timeline_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstVoiceTimeline *self = GST_VOICE_TIMELINE (object);
  GstVoiceTimelinePrivate *priv = self->priv;

  next_call_property_check (GST_ELEMENT (object), pspec);
  if (prop_id == PROP_MAX_SPEAKERS) {
    GST_OBJECT_LOCK (self);
    self->max_speakers = g_value_get_uint (value);
    gboolean streaming = self->streaming;
    GST_OBJECT_UNLOCK (self);
    /* a running output keeps its channels */
    if (!streaming)
      gst_voice_timeline_renumber (self);
    return;
  }

  std::lock_guard < std::mutex > lk (priv->lock);
  switch (prop_id) {
    case PROP_SETTLE_TIME:
      priv->settle_time = g_value_get_uint64 (value);
      break;
    case PROP_POST_MESSAGES:
      priv->post_messages = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_voice_timeline_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstVoiceTimeline *self = GST_VOICE_TIMELINE (object);
  GstVoiceTimelinePrivate *priv = self->priv;

  if (prop_id == PROP_MAX_SPEAKERS) {
    GST_OBJECT_LOCK (self);
    g_value_set_uint (value, self->max_speakers);
    GST_OBJECT_UNLOCK (self);
    return;
  }

  std::lock_guard < std::mutex > lk (priv->lock);
  switch (prop_id) {
    case PROP_SETTLE_TIME:
      g_value_set_uint64 (value, priv->settle_time);
      break;
    case PROP_POST_MESSAGES:
      g_value_set_boolean (value, priv->post_messages);
      break;
    case PROP_STATS:
      g_value_set_boxed (value, priv->stats);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_voice_timeline_finalize (GObject * object)
{
  GstVoiceTimeline *self = GST_VOICE_TIMELINE (object);
  for (auto s:self->priv->outgoing)
    gst_structure_free (s);
  for (auto s:self->priv->recent)
    gst_structure_free (s);
  gst_voice_timeline_clear_inbox (self);
  if (self->priv->stats)
    gst_structure_free (self->priv->stats);
  delete self->priv;
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_voice_timeline_class_init (GstVoiceTimelineClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstAggregatorClass *agg_class = GST_AGGREGATOR_CLASS (klass);
  GstAudioAggregatorClass *aagg_class = GST_AUDIO_AGGREGATOR_CLASS (klass);

  gobject_class->set_property = gst_voice_timeline_set_property;
  gobject_class->get_property = gst_voice_timeline_get_property;
  gobject_class->finalize = gst_voice_timeline_finalize;

  g_object_class_install_property (gobject_class, PROP_SETTLE_TIME,
      g_param_spec_uint64 ("settle-time", "Settle time",
          "How long after a moment of the conversation its timeline is "
          "decided, in nanoseconds; must exceed the segmenters' min-silence "
          "plus decision delay", 0, 60 * GST_SECOND, DEFAULT_SETTLE_TIME,
          (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
              GST_PARAM_MUTABLE_READY)));
  g_object_class_install_property (gobject_class, PROP_POST_MESSAGES,
      g_param_spec_boolean ("post-messages", "Post messages",
          "Post timeline events, segments and the latency summary on the bus",
          TRUE, (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
              GST_PARAM_MUTABLE_PLAYING)));

  g_object_class_install_property (gobject_class, PROP_MAX_SPEAKERS,
      g_param_spec_uint ("max-speakers", "Max speakers",
          "Channels of the output: 0 for one per sink pad requested before "
          "the call starts; more keep channels for speakers who join while "
          "it runs (a pad requested then takes the first free one)", 0, 64,
          0, (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
              GST_PARAM_MUTABLE_READY)));
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "The latency figures so far, as the voice-latency-summary "
          "structure (count, avg, p50, p95, min, max, time-to-first-byte, "
          "interrupt-response-time); NULL before the first figure",
          GST_TYPE_STRUCTURE, (GParamFlags) (G_PARAM_READABLE |
              G_PARAM_STATIC_STRINGS)));

  /**
   * GstVoiceTimeline::tool-call:
   * @timeline: the element
   * @name: the tool's name
   * @args: (nullable): its arguments, a JSON object as text
   * @call_id: (nullable): an id that its tool-result will repeat
   * @running_time: when, as running time; %GST_CLOCK_TIME_NONE for now
   *
   * Adds a `tool_call` event to the timeline, with `metadata`
   * {"call_id": ...}.
   *
   * Returns: %FALSE (with a warning on the bus) if @args is not a JSON
   * object or the text is not UTF-8, or once the call has ended (EOS)
   */
  signals[SIGNAL_TOOL_CALL] = g_signal_new_class_handler ("tool-call",
      G_TYPE_FROM_CLASS (klass), (GSignalFlags) (G_SIGNAL_RUN_LAST |
          G_SIGNAL_ACTION), G_CALLBACK (gst_voice_timeline_tool_call),
      nullptr, nullptr, nullptr, G_TYPE_BOOLEAN, 4, G_TYPE_STRING,
      G_TYPE_STRING, G_TYPE_STRING, G_TYPE_UINT64);
  /**
   * GstVoiceTimeline::tool-result:
   * @timeline: the element
   * @name: the tool's name
   * @result: (nullable): its result, any JSON value as text
   * @call_id: (nullable): the id of the tool-call it answers
   * @running_time: when, as running time; %GST_CLOCK_TIME_NONE for now
   *
   * Adds a `tool_result` event to the timeline. One whose call id matches
   * no earlier tool-call is kept, with a warning on the bus.
   *
   * Returns: %FALSE (with a warning on the bus) if @result is not JSON,
   * or once the call has ended (EOS)
   */
  signals[SIGNAL_TOOL_RESULT] = g_signal_new_class_handler ("tool-result",
      G_TYPE_FROM_CLASS (klass), (GSignalFlags) (G_SIGNAL_RUN_LAST |
          G_SIGNAL_ACTION), G_CALLBACK (gst_voice_timeline_tool_result),
      nullptr, nullptr, nullptr, G_TYPE_BOOLEAN, 4, G_TYPE_STRING,
      G_TYPE_STRING, G_TYPE_STRING, G_TYPE_UINT64);

  /**
   * GstVoiceTimeline::set-transcript:
   * @timeline: the element
   * @speaker: (nullable): whose words; needed when @idx is -1
   * @idx: the segment's index, or -1 for @speaker's segment open at
   *   @running_time (else the last one before it)
   * @text: what was said (invalid UTF-8 is replaced, with a warning)
   * @running_time: when, as running time; %GST_CLOCK_TIME_NONE for now
   *
   * Gives a segment its transcript. Texts given for one segment are joined
   * with a space; a segment already sent is sent again with its
   * transcript (a "voice-segment" whose idx was seen replaces it).
   *
   * Returns: %FALSE (with a warning) if neither a speaker nor an index
   * says which segment, or once the call has ended (EOS)
   */
  signals[SIGNAL_SET_TRANSCRIPT] = g_signal_new_class_handler
      ("set-transcript", G_TYPE_FROM_CLASS (klass), (GSignalFlags)
      (G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
      G_CALLBACK (gst_voice_timeline_set_transcript), nullptr, nullptr,
      nullptr, G_TYPE_BOOLEAN, 4, G_TYPE_STRING, G_TYPE_INT, G_TYPE_STRING,
      G_TYPE_UINT64);

  gst_element_class_add_static_pad_template_with_gtype (element_class,
      &sink_template, GST_TYPE_VOICE_TIMELINE_PAD);
  gst_element_class_add_static_pad_template_with_gtype (element_class,
      &text_template, GST_TYPE_VOICE_TIMELINE_TEXT_PAD);
  /* a convert pad, as audiomixer's: when downstream asks for another
   * format mid-call, the base class converts the output buffer it is
   * filling with the source pad's class */
  gst_element_class_add_static_pad_template_with_gtype (element_class,
      &src_template, GST_TYPE_AUDIO_AGGREGATOR_CONVERT_PAD);
  gst_element_class_set_static_metadata (element_class, "Voice timeline",
      "Filter/Analyzer/Audio",
      "Lays the speakers of a conversation on one clock, with its timeline "
      "and latency figures", "GStreamer voice recorder developers");

  element_class->request_new_pad =
      GST_DEBUG_FUNCPTR (gst_voice_timeline_request_new_pad);
  element_class->release_pad =
      GST_DEBUG_FUNCPTR (gst_voice_timeline_release_pad);
  element_class->post_message =
      GST_DEBUG_FUNCPTR (gst_voice_timeline_post_message);
  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_voice_timeline_change_state);

  agg_class->sink_event = GST_DEBUG_FUNCPTR (gst_voice_timeline_sink_event);
  agg_class->create_new_pad =
      GST_DEBUG_FUNCPTR (gst_voice_timeline_create_new_pad);
  agg_class->src_query = GST_DEBUG_FUNCPTR (gst_voice_timeline_src_query);
  agg_class->src_event = GST_DEBUG_FUNCPTR (gst_voice_timeline_src_event);
  agg_class->sink_query = GST_DEBUG_FUNCPTR (gst_voice_timeline_sink_query);
  agg_class->finish_buffer =
      GST_DEBUG_FUNCPTR (gst_voice_timeline_finish_buffer);
  agg_class->aggregate = GST_DEBUG_FUNCPTR (gst_voice_timeline_aggregate);
  agg_class->update_src_caps =
      GST_DEBUG_FUNCPTR (gst_voice_timeline_update_src_caps);
  agg_class->fixate_src_caps =
      GST_DEBUG_FUNCPTR (gst_voice_timeline_fixate_src_caps);
  agg_class->start = GST_DEBUG_FUNCPTR (gst_voice_timeline_start);
  agg_class->stop = GST_DEBUG_FUNCPTR (gst_voice_timeline_stop);
  agg_class->flush = GST_DEBUG_FUNCPTR (gst_voice_timeline_flush);
  aagg_class->aggregate_one_buffer =
      GST_DEBUG_FUNCPTR (gst_voice_timeline_aggregate_one_buffer);

  gst_type_mark_as_plugin_api (GST_TYPE_VOICE_TIMELINE_PAD,
      (GstPluginAPIFlags) 0);
  gst_type_mark_as_plugin_api (GST_TYPE_VOICE_TIMELINE_TEXT_PAD,
      (GstPluginAPIFlags) 0);
}

static void
gst_voice_timeline_init (GstVoiceTimeline * self)
{
  self->priv = new GstVoiceTimelinePrivate ();
  /* a leg whose clock drifts (1 % is common for a phone) is put back on
   * its timestamps once 20 ms off for half a second, not 40 ms for 1 s:
   * legs stay within about 25 ms of each other */
  g_object_set (self, "alignment-threshold", ALIGNMENT_THRESHOLD,
      "discont-wait", DISCONT_WAIT, nullptr);
  g_signal_connect (self, "notify::output-buffer-duration",
      G_CALLBACK (gst_voice_timeline_duration_notify), nullptr);
  g_signal_connect (self, "notify::latency",
      G_CALLBACK (gst_voice_timeline_latency_notify), nullptr);
}

/* GstChildProxy: pads by name, for sink_0::role=user on a launch line */

static GObject *
gst_voice_timeline_child_proxy_get_child_by_index (GstChildProxy * proxy,
    guint index)
{
  GObject *obj = nullptr;
  GST_OBJECT_LOCK (proxy);
  obj = (GObject *) g_list_nth_data (GST_ELEMENT (proxy)->sinkpads, index);
  if (obj)
    gst_object_ref (obj);
  GST_OBJECT_UNLOCK (proxy);
  return obj;
}

static guint
gst_voice_timeline_child_proxy_get_children_count (GstChildProxy * proxy)
{
  GST_OBJECT_LOCK (proxy);
  guint count = GST_ELEMENT (proxy)->numsinkpads;
  GST_OBJECT_UNLOCK (proxy);
  return count;
}

static void
gst_voice_timeline_child_proxy_init (gpointer g_iface, gpointer iface_data)
{
  GstChildProxyInterface *iface = (GstChildProxyInterface *) g_iface;
  iface->get_child_by_index =
      gst_voice_timeline_child_proxy_get_child_by_index;
  iface->get_children_count =
      gst_voice_timeline_child_proxy_get_children_count;
}
