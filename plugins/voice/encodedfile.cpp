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
          "audioresample"}) {
    if (!name)
      continue;
    GstElementFactory *f = gst_element_factory_find (name);
    if (!f)
      return name;
    gst_object_unref (f);
  }
  return nullptr;
}

/* the largest integer that a caps field allows (an int, a range, a list
 * of them), 0 for none */
static gint
most_of (const GValue * v)
{
  if (!v)
    return 0;
  if (G_VALUE_HOLDS_INT (v))
    return g_value_get_int (v);
  if (GST_VALUE_HOLDS_INT_RANGE (v))
    return gst_value_get_int_range_max (v);
  gint most = 0;
  if (GST_VALUE_HOLDS_LIST (v))
    for (guint i = 0; i < gst_value_list_get_size (v); i++)
      most = MAX (most, most_of (gst_value_list_get_value (v, i)));
  return most;
}

gint
recording_format_max_channels (RecordingFormat format)
{
  GstElementFactory *factory =
      gst_element_factory_find (recording_format_info (format).encoder);
  if (!factory)
    return 0;
  gint most = 0;
  for (const GList * t = gst_element_factory_get_static_pad_templates
      (factory); t; t = t->next) {
    GstStaticPadTemplate *tmpl = (GstStaticPadTemplate *) t->data;
    if (tmpl->direction != GST_PAD_SINK)
      continue;
    GstCaps *caps = gst_static_caps_get (&tmpl->static_caps);
    for (guint i = 0; i < gst_caps_get_size (caps); i++)
      most = MAX (most, most_of (gst_structure_get_value
              (gst_caps_get_structure (caps, i), "channels")));
    gst_caps_unref (caps);
  }
  gst_object_unref (factory);
  return most;
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

  /* a bin, not a pipeline: nothing here needs a clock, and a pipeline's
   * clock selection and latency distribution cost every file */
  file->bin_ = gst_bin_new (nullptr);
  gst_object_ref_sink (file->bin_);
  /* a bus without a poll (no socket pair per file): the one message
   * wanted, an error, is taken as it is posted, in the posting thread */
  GstBus *bus = GST_BUS (gst_object_ref_sink (g_object_new (GST_TYPE_BUS,
              "enable-async", FALSE, nullptr)));
  gst_bus_set_sync_handler (bus, EncodedFile::on_message, file.get (),
      nullptr);
  gst_element_set_bus (file->bin_, bus);
  gst_object_unref (bus);

  GstElement *elements[4];
  guint n = 0;
  for (const gchar * name:{convert ? "audioconvert" : nullptr,
          convert ? "audioresample" : nullptr, info.encoder, info.muxer}) {
    if (!name)
      continue;
    GstElement *e = gst_element_factory_make (name, nullptr);
    if (!e) {
      error = std::string ("no ") + name + " element: install " +
          info.package;
      gst_caps_unref (caps);
      return nullptr;
    }
    gst_bin_add (GST_BIN (file->bin_), e);
    elements[n++] = e;
  }
  for (guint i = 0; i + 1 < n; i++)
    gst_element_link (elements[i], elements[i + 1]);

  /* the encoded bytes come to a pad of our own that writes them to the
   * file descriptor: fdsink would poll before every write and needs a
   * socket pair for that */
  file->srcpad_ = gst_pad_new ("src", GST_PAD_SRC);
  GstPad *sinkpad = gst_element_get_static_pad (elements[0], "sink");
  gst_pad_link (file->srcpad_, sinkpad);
  gst_object_unref (sinkpad);
  file->sinkpad_ = gst_pad_new ("sink", GST_PAD_SINK);
  gst_pad_set_element_private (file->sinkpad_, file.get ());
  gst_pad_set_chain_function (file->sinkpad_, EncodedFile::on_encoded);
  gst_pad_set_event_function (file->sinkpad_, EncodedFile::on_encoded_event);
  gst_pad_set_query_function (file->sinkpad_, EncodedFile::on_encoded_query);
  GstPad *encoded = gst_element_get_static_pad (elements[n - 1], "src");
  gst_pad_link (encoded, file->sinkpad_);
  gst_object_unref (encoded);
  file->caps_ = caps;
  if (!file->start (fd)) {
    error = file->error_;
    return nullptr;
  }
  return file;
}

/* Starts the encoder for @fd and gives it the stream's start, format and
 * segment. */
bool
EncodedFile::start (int fd)
{
  fd_ = fd;
  offset_ = 0;
  frames_ = 0;
  error_.clear ();
  no_space_ = false;
  gst_pad_set_active (sinkpad_, TRUE);
  /* PAUSED is enough: with no sink and no clock in the bin, PLAYING only
   * adds a state change to every file's start and end */
  if (gst_element_set_state (bin_, GST_STATE_PAUSED) ==
      GST_STATE_CHANGE_FAILURE) {
    take_error ("could not start the encoder");
    return false;
  }
  gst_pad_set_active (srcpad_, TRUE);

  GstSegment segment;
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gchar *stream_id = g_strdup_printf ("voicemanifestsink/%d", fd);
  gst_pad_push_event (srcpad_, gst_event_new_stream_start (stream_id));
  g_free (stream_id);
  bool ok = gst_pad_push_event (srcpad_, gst_event_new_caps (caps_));
  ok = ok && gst_pad_push_event (srcpad_, gst_event_new_segment (&segment));
  if (!ok) {
    take_error ("the encoder refused the audio format");
    return false;
  }
  return true;
}

void
EncodedFile::stop ()
{
  /* NULL, not READY: wavenc forgets its last file only going up from
   * NULL */
  gst_pad_set_active (srcpad_, FALSE);
  gst_element_set_state (bin_, GST_STATE_NULL);
  gst_pad_set_active (sinkpad_, FALSE);
  close_fd ();
}

bool
EncodedFile::restart (int fd, std::string & error)
{
  if (start (fd))
    return true;
  error = error_;
  fd_ = -1;
  return false;
}

EncodedFile::~EncodedFile ()
{
  if (srcpad_) {
    gst_pad_set_active (srcpad_, FALSE);
    gst_object_unref (srcpad_);
  }
  if (bin_) {
    gst_element_set_state (bin_, GST_STATE_NULL);
    gst_object_unref (bin_);
  }
  if (sinkpad_) {
    gst_pad_set_active (sinkpad_, FALSE);
    gst_object_unref (sinkpad_);
  }
  gst_clear_caps (&caps_);
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

/* Keeps the first error an element of the chain posts; everything else
 * (state changes, tags) is dropped. */
GstBusSyncReply
EncodedFile::on_message (GstBus *, GstMessage * msg, gpointer user_data)
{
  EncodedFile *file = static_cast < EncodedFile * >(user_data);
  if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ERROR || !file->error_.empty ()) {
    gst_message_unref (msg);
    return GST_BUS_DROP;
  }
  GError *err = nullptr;
  gchar *debug = nullptr;
  gst_message_parse_error (msg, &err, &debug);
  file->no_space_ = g_error_matches (err, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_NO_SPACE_LEFT) || (debug
      && strstr (debug, g_strerror (ENOSPC)));
  file->error_ = std::string (err->message) + (debug ? std::string (" (") +
      debug + ")" : "");
  g_error_free (err);
  g_free (debug);
  gst_message_unref (msg);
  return GST_BUS_DROP;
}

/* @what, unless an element or a write already said what went wrong. */
bool
EncodedFile::take_error (const gchar * what)
{
  if (!error_.empty ())
    return true;
  if (what[0])
    error_ = what;
  return false;
}

/* The encoder's output, written where the encoder's last segment put it:
 * a header rewritten at the end comes after a segment back to 0. */
GstFlowReturn
EncodedFile::on_encoded (GstPad * pad, GstObject *, GstBuffer * buffer)
{
  EncodedFile *file =
      static_cast < EncodedFile * >(gst_pad_get_element_private (pad));
  GstMapInfo map;
  GstFlowReturn ret = GST_FLOW_OK;
  if (!gst_buffer_map (buffer, &map, GST_MAP_READ)) {
    gst_buffer_unref (buffer);
    return GST_FLOW_ERROR;
  }
  gsize done = 0;
  while (done < map.size) {
    ssize_t n = pwrite (file->fd_, map.data + done, map.size - done,
        (off_t) (file->offset_ + done));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      int code = n < 0 ? errno : ENOSPC;
      if (file->error_.empty ()) {
        file->no_space_ = code == ENOSPC;
        file->error_ = std::string ("write failed: ") + g_strerror (code);
      }
      ret = GST_FLOW_ERROR;
      break;
    }
    done += n;
  }
  file->offset_ += done;
  gst_buffer_unmap (buffer, &map);
  gst_buffer_unref (buffer);
  return ret;
}

gboolean
EncodedFile::on_encoded_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  EncodedFile *file =
      static_cast < EncodedFile * >(gst_pad_get_element_private (pad));
  if (GST_EVENT_TYPE (event) == GST_EVENT_SEGMENT) {
    const GstSegment *segment;
    gst_event_parse_segment (event, &segment);
    if (segment->format == GST_FORMAT_BYTES)
      file->offset_ = segment->start;
  }
  if (GST_EVENT_IS_SERIALIZED (event) || GST_EVENT_IS_STICKY (event)) {
    gst_event_unref (event);
    return TRUE;
  }
  return gst_pad_event_default (pad, parent, event);
}

/* What fdsink answers on a regular file: it can seek in bytes (flacenc
 * asks before it rewrites its header). */
gboolean
EncodedFile::on_encoded_query (GstPad * pad, GstObject * parent,
    GstQuery * query)
{
  EncodedFile *file =
      static_cast < EncodedFile * >(gst_pad_get_element_private (pad));
  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_SEEKING:{
      GstFormat format;
      gst_query_parse_seeking (query, &format, nullptr, nullptr, nullptr);
      gst_query_set_seeking (query, format, format == GST_FORMAT_BYTES, 0,
          -1);
      return TRUE;
    }
    case GST_QUERY_POSITION:{
      GstFormat format;
      gst_query_parse_position (query, &format, nullptr);
      if (format != GST_FORMAT_BYTES && format != GST_FORMAT_DEFAULT)
        return FALSE;
      gst_query_set_position (query, format, file->offset_);
      return TRUE;
    }
    case GST_QUERY_FORMATS:
      gst_query_set_formats (query, 2, GST_FORMAT_DEFAULT, GST_FORMAT_BYTES);
      return TRUE;
    default:
      return gst_pad_query_default (pad, parent, query);
  }
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
