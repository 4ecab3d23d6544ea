/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "audiohistory.h"
#include "encodedfile.h"
#include "filepreparer.h"
#include "recordingdir.h"

#include <gst/gst.h>
#include <gst/base/gstadapter.h>
#include <gst/voice/voice.h>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

/* Writes one conversation into a directory as it goes: the aggregated
 * stream (one channel per speaker) into the full file, each speech segment
 * of one speaker's channel into its own file, and manifest.json.
 *
 * The timeline tells a segment's start some time after it (once settled),
 * and its end later still, so the last seconds of audio are kept: a
 * segment's file is fed up to `lag` behind the newest audio, which is
 * never past its end, still unknown. A finished segment's file keeps a
 * temporary name until the next manifest is written, and both happen
 * together, so that the manifest always lists exactly the complete files. */
class ConversationRecorder
{
public:
  struct Settings
  {
    std::string location;
    RecordingFormat format = RECORDING_FORMAT_WAV;
    bool mixed = true;          /* else one channel per speaker */
    GstClockTime manifest_interval = GST_SECOND;
    GstClockTime lookback = 3 * GST_SECOND;
  };
  /* turned into an element error by the caller */
  struct Failure
  {
    GQuark domain;
    gint code;
    std::string text;
    std::string debug;
  };
  using FailureFunc = std::function < void (const Failure &) >;
  using WarningFunc = std::function < void (const std::string &) >;
  /* an element message to post, transfer full */
  using MessageFunc = std::function < void (GstStructure *) >;

  ConversationRecorder (const Settings & settings, FailureFunc on_failure,
      WarningFunc on_warning, MessageFunc on_message);
  ~ConversationRecorder ();
  ConversationRecorder (const ConversationRecorder &) = delete;
  ConversationRecorder & operator= (const ConversationRecorder &) = delete;

  /* Opens the directory. */
  bool start ();
  /* Whether the stream comes in real time: then one segment file is kept
   * ready, else a few (each is an fd and an idle pipeline). */
  void set_live (bool live) { live_ = live; }
  /* The stream's format; the first call opens the full file. */
  bool set_format (gint rate, gint channels, guint64 channel_mask);
  GstFlowReturn write (GstBuffer * buffer);
  /* A structure from upstream (voicetimeline's events); unknown ones are
   * ignored. */
  void handle (const GstStructure * s);
  /* The same, for the answer of a hang-up: what was already handled (the
   * timeline gives again what it sent lately) is skipped. */
  void handle_again (const GstStructure * s);
  /* Closes what is open with everything received, completes the full file
   * and writes the final manifest. Once. */
  void finish ();
  bool finished () const { return finished_; }

private:
  struct OpenSegment
  {
    ~OpenSegment () { gst_voice_segment_clear (&record); }
    std::string speaker;
    GstVoiceRole role;
    guint channel;
    guint idx;                  /* in order of start, as the timeline */
    guint64 start;              /* frames: where the speech starts */
    guint64 padding;            /* frames to keep around it */
    guint64 file_start;         /* frames: start less the padding held */
    guint64 fed;
    std::string part;           /* temporary file name */
    std::unique_ptr < EncodedFile > file;
    /* once its record came: written up to close_at (its end and padding) */
    GstVoiceSegment record = { };
    guint64 close_at = 0;
  };
  struct Speaker
  {
    guint channel;
    GstVoiceRole role;
    guint64 padding;            /* frames */
  };
  struct Finished
  {
    GstVoiceSegment record;
    std::string part;
    std::string name;
  };

  void fail (gint code, const std::string & text, const std::string & debug =
      "");
  void fail_write (const EncodedFile & file, const std::string & path);
  /* the stream's format cannot be recorded: a STREAM/FORMAT failure;
   * returns false */
  bool refuse_format (const std::string & text, const std::string & debug);
  guint64 frame_at (gdouble seconds) const;
  std::string extension () const;

  bool check_field (const GstStructure * s, const gchar * field, GType type);
  void on_timeline_event (const GstVoiceTimelineEvent & ev);
  void on_segment (GstVoiceSegment & seg);
  void on_channel (const GstStructure * s, guint channel, const gchar * name,
      GstVoiceRole role);
  void on_conversation_start (const GstStructure * s);
  void on_latency_summary (const GstStructure * s);

  std::unique_ptr < OpenSegment > open_segment (const std::string & speaker,
      GstVoiceRole role, guint idx, guint64 start);
  bool feed (OpenSegment & seg, guint64 upto, bool whole = false);
  void close_segment (std::unique_ptr < OpenSegment > seg,
      GstVoiceSegment & record);
  void finish_segment (OpenSegment & seg, guint64 end);
  bool feed_closing ();
  void update_lag ();
  guint64 written_until () const;
  static GstStructure *file_written (const std::string & location,
      const gchar * file, const gchar * kind, gdouble start, gdouble end);
  bool open_full ();
  void fail_full ();
  GstFlowReturn write_full (GstBuffer * buffer);
  GstFlowReturn flush_full ();
  void drop_full_batch ();
  /* the full file's channels: one mixed, or the stream's */
  guint full_channels () const { return settings_.mixed ? 1 : channels_; }
  void archive ();
  bool write_manifest ();
  void publish ();
  void commit (bool force);

  Settings settings_;
  FailureFunc on_failure_;
  WarningFunc on_warning_;
  MessageFunc on_message_;
  bool failed_ = false;
  bool finished_ = false;

  RecordingDir dir_;
  /* after dir_, which it uses: destroyed first */
  std::unique_ptr < FilePreparer > preparer_;
  GstVoiceManifest *manifest_;
  gint rate_ = 0;
  gint channels_ = 0;
  guint64 channel_mask_ = 0;
  bool received_ = false;       /* any audio or event, not the call's announcements */
  bool live_ = true;
  /* how far behind the newest audio the open segments are written, in
   * frames: the timeline tells a moment up to its settle-time late, after
   * the buffer that settled it, which can be long */
  guint64 base_lag_ = 0;
  guint64 longest_buffer_ = 0;
  guint64 lag_ = 0;
  guint64 chunk_ = 0;           /* frames appended at a time */
  /* frames written to a segment file at a time: a write goes through the
   * encoder's pipeline, and 100 ms writes were a tenth of the cost of an
   * offline recording; the history holds a batch more */
  guint64 batch_ = 0;
  AudioHistory history_;
  std::unique_ptr < EncodedFile > full_;
  /* written a batch at a time too: each write goes through the encoder's
   * pipeline to a poll and a writev, and a live output buffer is 20 ms.
   * The batch is mixed or copied into where it lies, mapped while it
   * fills: no buffer or copy of its own for each output buffer. */
  GstBuffer *full_batch_ = nullptr;
  GstMapInfo full_batch_map_;
  guint64 full_batch_frames_ = 0;
  std::string full_name_;

  std::map < std::string, Speaker > speakers_;
  guint64 max_padding_ = 0;     /* frames */
  std::map < std::string, std::unique_ptr < OpenSegment > >open_;
  /* told their end, waiting for the audio of their padding after it */
  std::vector < std::unique_ptr < OpenSegment > >closing_;
  guint n_starts_ = 0;
  std::vector < Finished > unpublished_;
  /* segments listed, by index: whether they have a file, its padding */
  struct Listed
  {
    bool has_file;
    gdouble padding_before;
    gdouble padding_after;
  };
  std::map < guint, Listed > listed_;
  bool dirty_ = false;
  guint unarchived_ = 0;        /* entries added since the last archive () */
  /* copies of the last structures handled, to know them again (compared
   * only after a hang-up; their text for every event cost 5 % of the
   * recording thread's instructions) */
  std::deque < GstStructure * >recent_;
  gint64 last_commit_ = 0;      /* monotonic, µs */
  gint64 last_commit_cost_ = 0; /* µs */
};
