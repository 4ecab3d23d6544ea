/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "encodedfile.h"

#include <gst/audio/audio.h>

#include <cerrno>
#include <cstring>
#include <unistd.h>

GST_DEBUG_CATEGORY_EXTERN (gst_voice_manifest_sink_debug);
#define GST_CAT_DEFAULT gst_voice_manifest_sink_debug

const RecordingFormatInfo &
recording_format_info (RecordingFormat format)
{
  static const RecordingFormatInfo infos[] = {
    {"wav", "wavenc", nullptr, "gstreamer1.0-plugins-good"},
    {"flac", "flacenc", nullptr, "gstreamer1.0-plugins-good"},
    {"ogg", "vorbisenc", "oggmux", "gstreamer1.0-plugins-base"},
    {"opus", "opusenc", "oggmux", "gstreamer1.0-plugins-base"},
    {"mp3", "lamemp3enc", nullptr, "gstreamer1.0-plugins-good"},
  };
  return infos[MIN ((guint) format, G_N_ELEMENTS (infos) - 1)];
}

const gchar *
recording_format_missing_element (RecordingFormat format)
{
  const RecordingFormatInfo & info = recording_format_info (format);
  for (const gchar * name:{info.encoder, info.muxer, "audioconvert",
          "audioresample", "fdsink"}) {
    if (!name)
      continue;
    GstElementFactory *f = gst_element_factory_find (name);
    if (!f)
      return name;
    gst_object_unref (f);
  }
  return nullptr;
}

std::unique_ptr < EncodedFile >
EncodedFile::create (RecordingFormat format, gint rate, gint channels,
    guint64 channel_mask, int fd, std::string & error)
{
  std::unique_ptr < EncodedFile > file (new EncodedFile ());
  file->fd_ = fd;
  file->rate_ = rate;
  file->bpf_ = 2 * channels;

  GstAudioInfo ainfo;
  GstAudioChannelPosition pos[64];
  gst_audio_info_init (&ainfo);
  if (channels > 2 || channel_mask == 0) {
    for (gint i = 0; i < MIN (channels, 64); i++)
      pos[i] = channels == 1 ? GST_AUDIO_CHANNEL_POSITION_MONO :
          GST_AUDIO_CHANNEL_POSITION_NONE;
  } else {
    gst_audio_channel_positions_from_mask (channels, channel_mask, pos);
  }
  gst_audio_info_set_format (&ainfo, GST_AUDIO_FORMAT_S16LE, rate, channels,
      channels <= 64 ? pos : nullptr);
  GstCaps *caps = gst_audio_info_to_caps (&ainfo);

  const RecordingFormatInfo & info = recording_format_info (format);
  /* audioconvert and audioresample only when the encoder cannot take the
   * audio as it is (vorbisenc wants floats, opusenc and lamemp3enc some
   * rates only): even in passthrough they cost every buffer and every
   * file's negotiation two more elements */
  bool convert = true;
  GstElementFactory *factory = gst_element_factory_find (info.encoder);
  if (factory) {
    convert = !gst_element_factory_can_sink_all_caps (factory, caps);
    gst_object_unref (factory);
  }

  GstElement *pipeline = gst_pipeline_new (nullptr);
  file->pipeline_ = pipeline;
  GstElement *elements[5];
  guint n = 0;
  for (const gchar * name:{convert ? "audioconvert" : nullptr,
          convert ? "audioresample" : nullptr, info.encoder, info.muxer,
          "fdsink"}) {
    if (!name)
      continue;
    GstElement *e = gst_element_factory_make (name, nullptr);
    if (!e) {
      error = std::string ("no ") + name + " element: install " +
          info.package;
      gst_caps_unref (caps);
      return nullptr;
    }
    gst_bin_add (GST_BIN (pipeline), e);
    elements[n++] = e;
  }
  for (guint i = 0; i + 1 < n; i++)
    gst_element_link (elements[i], elements[i + 1]);
  /* nothing here waits for a clock or for preroll: the data is pushed
   * from the recorder's thread and written as it comes */
  g_object_set (elements[n - 1], "fd", fd, "sync", FALSE, "async", FALSE,
      nullptr);

  file->srcpad_ = gst_pad_new ("src", GST_PAD_SRC);
  GstPad *sinkpad = gst_element_get_static_pad (elements[0], "sink");
  gst_pad_link (file->srcpad_, sinkpad);
  gst_object_unref (sinkpad);

  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    file->take_error ("could not start the encoder");
    error = file->error_;
    gst_caps_unref (caps);
    return nullptr;
  }
  gst_pad_set_active (file->srcpad_, TRUE);

  GstSegment segment;
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gchar *stream_id = g_strdup_printf ("voicemanifestsink/%d", fd);
  gst_pad_push_event (file->srcpad_, gst_event_new_stream_start (stream_id));
  g_free (stream_id);
  bool ok = gst_pad_push_event (file->srcpad_, gst_event_new_caps (caps));
  gst_caps_unref (caps);
  ok = ok && gst_pad_push_event (file->srcpad_,
      gst_event_new_segment (&segment));
  if (!ok) {
    file->take_error ("the encoder refused the audio format");
    error = file->error_;
    return nullptr;
  }
  return file;
}

EncodedFile::~EncodedFile ()
{
  if (srcpad_) {
    gst_pad_set_active (srcpad_, FALSE);
    gst_object_unref (srcpad_);
  }
  if (pipeline_) {
    gst_element_set_state (pipeline_, GST_STATE_NULL);
    gst_object_unref (pipeline_);
  }
  close_fd ();
}

void
EncodedFile::close_fd ()
{
  if (fd_ >= 0 && close (fd_) != 0 && error_.empty ()) {
    no_space_ = errno == ENOSPC;
    error_ = std::string ("close failed: ") + g_strerror (errno);
  }
  fd_ = -1;
}

/* The error the pipeline posted, if any, else @what. */
bool
EncodedFile::take_error (const gchar * what)
{
  GstBus *bus = gst_element_get_bus (pipeline_);
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  gst_object_unref (bus);
  if (!msg) {
    if (error_.empty ())
      error_ = what;
    return false;
  }
  GError *err = nullptr;
  gchar *debug = nullptr;
  gst_message_parse_error (msg, &err, &debug);
  no_space_ = g_error_matches (err, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_NO_SPACE_LEFT) || (debug
      && strstr (debug, g_strerror (ENOSPC)));
  error_ = std::string (err->message) + (debug ? std::string (" (") + debug +
      ")" : "");
  g_error_free (err);
  g_free (debug);
  gst_message_unref (msg);
  return true;
}

GstFlowReturn
EncodedFile::write (GstBuffer * buffer)
{
  guint64 n = gst_buffer_get_size (buffer) / bpf_;
  buffer = gst_buffer_make_writable (buffer);
  GST_BUFFER_PTS (buffer) = gst_util_uint64_scale_int (frames_, GST_SECOND,
      rate_);
  GST_BUFFER_DURATION (buffer) = gst_util_uint64_scale_int (frames_ + n,
      GST_SECOND, rate_) - GST_BUFFER_PTS (buffer);
  GST_BUFFER_OFFSET (buffer) = frames_;
  frames_ += n;
  GstFlowReturn ret = gst_pad_push (srcpad_, buffer);
  if (ret != GST_FLOW_OK)
    take_error (gst_flow_get_name (ret));
  return ret;
}

bool
EncodedFile::finish ()
{
  /* the whole chain runs in this thread: once the EOS is pushed, the
   * encoder is drained and the headers are rewritten */
  gst_pad_push_event (srcpad_, gst_event_new_eos ());
  bool failed = take_error ("");
  /* the pipeline is stopped by the destructor, which may run in another
   * thread (FilePreparer): nothing in it writes once it is drained */
  close_fd ();
  return !failed && error_.empty ();
}
