/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>

#include <memory>
#include <string>

/* The formats a recording can be written in: an allow-list, so that no
 * user string ever reaches an element factory. */
enum RecordingFormat
{
  RECORDING_FORMAT_WAV,
  RECORDING_FORMAT_FLAC,
  RECORDING_FORMAT_OGG,
  RECORDING_FORMAT_OPUS,
  RECORDING_FORMAT_MP3,
};

struct RecordingFormatInfo
{
  const gchar *extension;
  const gchar *encoder;         /* element factory */
  const gchar *muxer;           /* element factory, or NULL */
  const gchar *package;         /* the Debian package that has them */
};

const RecordingFormatInfo & recording_format_info (RecordingFormat format);

/* The first element factory of @format that is not installed, or NULL. */
const gchar *recording_format_missing_element (RecordingFormat format);

/* The most channels @format's encoder takes (its sink template says), 0
 * when it is not installed. */
gint recording_format_max_channels (RecordingFormat format);

/* One audio file being written: interleaved S16LE audio goes through
 * GStreamer's encoder for the format ([audioconvert ! audioresample !]
 * encoder [! oggmux], the converters when the encoder cannot take the
 * audio as it is) in a small private bin, pushed from the caller's
 * thread, and the encoded bytes are written to the file descriptor as
 * they come, so that nothing is queued and a write error is known when
 * write () returns. */
class EncodedFile
{
public:
  /* Takes @fd, open for writing. NULL with @error set on failure. */
  static std::unique_ptr < EncodedFile > create (RecordingFormat format,
      gint rate, gint channels, guint64 channel_mask, int fd,
      std::string & error);
  ~EncodedFile ();

  /* Takes @buffer, which holds whole frames. */
  GstFlowReturn write (GstBuffer * buffer);
  /* Drains the encoder, completes the file (headers) and closes it; the
   * encoder stops in the destructor, or in stop (). */
  bool finish ();
  /* After finish (): stops the encoder, keeping its elements for
   * restart (). */
  void stop ();
  /* After stop (): the same encoder for a new file, cheaper than a new
   * one (no elements made, linked and destroyed). Takes @fd, unless it
   * fails: then the object is only to be destroyed. */
  bool restart (int fd, std::string & error);
  /* what went wrong, after write () or finish () failed */
  const std::string & error () const { return error_; }
  /* the failure was a full disk */
  bool no_space () const { return no_space_; }
  guint64 frames () const { return frames_; }

private:
  EncodedFile () = default;
  bool start (int fd);
  bool take_error (const gchar * what);
  void close_fd ();
  static GstBusSyncReply on_message (GstBus * bus, GstMessage * msg,
      gpointer user_data);
  static GstFlowReturn on_encoded (GstPad * pad, GstObject * parent,
      GstBuffer * buffer);
  static gboolean on_encoded_event (GstPad * pad, GstObject * parent,
      GstEvent * event);
  static gboolean on_encoded_query (GstPad * pad, GstObject * parent,
      GstQuery * query);

  GstElement *bin_ = nullptr;
  GstPad *srcpad_ = nullptr;    /* feeds the first element */
  GstPad *sinkpad_ = nullptr;   /* takes the encoded bytes */
  GstCaps *caps_ = nullptr;     /* of the audio */
  int fd_ = -1;
  guint64 offset_ = 0;          /* where the next encoded bytes go */
  gint rate_ = 0;
  gint bpf_ = 0;
  guint64 frames_ = 0;
  std::string error_;
  bool no_space_ = false;
};
