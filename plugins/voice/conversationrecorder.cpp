/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "conversationrecorder.h"
#include "s16loops.h"

#include <json-glib/json-glib.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <unistd.h>

GST_DEBUG_CATEGORY_EXTERN (gst_voice_manifest_sink_debug);
#define GST_CAT_DEFAULT gst_voice_manifest_sink_debug

/* how far behind the newest audio the timeline may still tell about a
 * moment, beyond its settle-time: one output buffer and rounding */
#define SETTLE_MARGIN (500 * GST_MSECOND)

/* structures remembered to know the timeline's hang-up answer again: more
 * than it gives again */
#define RECENT_HANDLED 512

/* seconds: voicetimeline gives a transcript a minute after its segment */
#define ARCHIVE_AFTER 70
/* entries added before they are archived, even if the manifest is not
 * rewritten yet: a recording from files runs thousands of times faster
 * than real time, and a second between rewrites would hold an hour */
#define ARCHIVE_BATCH 64

ConversationRecorder::ConversationRecorder (const Settings & settings,
    FailureFunc on_failure, WarningFunc on_warning, MessageFunc on_message)
:  settings_ (settings), on_failure_ (std::move (on_failure)),
    on_warning_ (std::move (on_warning)), on_message_ (std::move (on_message)),
    manifest_ (gst_voice_manifest_new ())
{
  gst_voice_manifest_set_format (manifest_,
      recording_format_info (settings_.format).extension);
}

ConversationRecorder::~ConversationRecorder ()
{
  for (auto & f:unpublished_)
    gst_voice_segment_clear (&f.record);
  gst_voice_manifest_free (manifest_);
  drop_full_batch ();
  for (auto r:recent_)
    gst_structure_free (r);
}

void
ConversationRecorder::fail (gint code, const std::string & text,
    const std::string & debug)
{
  /* the first failure is the one to report; what follows is its echo */
  if (failed_) {
    GST_WARNING ("%s (%s)", text.c_str (), debug.c_str ());
    return;
  }
  failed_ = true;
  on_failure_ ({GST_RESOURCE_ERROR, code, text, debug});
}

bool
ConversationRecorder::refuse_format (const std::string & text,
    const std::string & debug)
{
  failed_ = true;
  on_failure_ ({GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT, text, debug});
  return false;
}

void
ConversationRecorder::fail_write (const EncodedFile & file,
    const std::string & path)
{
  fail (file.no_space ()? GST_RESOURCE_ERROR_NO_SPACE_LEFT :
      GST_RESOURCE_ERROR_WRITE, "Could not write " + path, file.error ());
}

std::string
ConversationRecorder::extension () const
{
  return recording_format_info (settings_.format).extension;
}

guint64
ConversationRecorder::frame_at (gdouble seconds) const
{
  /* times are exact sample times in seconds: rounding gets the sample */
  return seconds > 0 ? (guint64) std::llround (seconds * rate_) : 0;
}

bool
ConversationRecorder::start ()
{
  std::string error;
  if (!dir_.open (settings_.location, error)) {
    fail (GST_RESOURCE_ERROR_OPEN_WRITE, error);
    return false;
  }
  GError *err = nullptr;
  if (!gst_voice_manifest_set_archive (manifest_, dir_.top_fd (), &err)) {
    on_warning_ (std::string (err->message) + ": the manifest's entries are "
        "kept in memory");
    g_error_free (err);
  }
  return true;
}

bool
ConversationRecorder::set_format (gint rate, gint channels,
    guint64 channel_mask)
{
  if (failed_)
    return false;
  if (full_ || rate_) {
    if (rate == rate_ && channels == channels_)
      return true;
    return refuse_format ("The stream's format changed during the recording",
        "a recording keeps one rate and one channel per speaker");
  }
  const RecordingFormatInfo & info = recording_format_info (settings_.format);
  /* only WAV and Opus hold more than two channels without positions */
  if (!settings_.mixed && channels > 2
      && settings_.format != RECORDING_FORMAT_WAV
      && settings_.format != RECORDING_FORMAT_OPUS)
    return refuse_format ("full-layout=channels with " +
        std::to_string (channels) + " speakers needs format wav or opus",
        std::string (info.encoder) +
        " takes no more than two channels without positions");
  gint most = recording_format_max_channels (settings_.format);
  if (!settings_.mixed && most > 0 && channels > most)
    return refuse_format ("full-layout=channels with " +
        std::to_string (channels) + " speakers is more than format " +
        info.extension + " holds (" + std::to_string (most) + " channels)",
        std::string (info.encoder) + " takes at most " +
        std::to_string (most) + " channels");
  rate_ = rate;
  channels_ = channels;
  channel_mask_ = channel_mask;
  chunk_ = MAX (1, rate / 10);
  batch_ = rate;
  base_lag_ = lag_ = gst_util_uint64_scale_int (settings_.lookback, rate,
      GST_SECOND);
  history_.reset (channels, lag_ + chunk_ + batch_);
  gst_voice_manifest_set_sample_rate (manifest_, rate);
  return true;
}

/* The full file, with the first audio: a recording that gets none leaves
 * what is in the directory as it was. */
bool
ConversationRecorder::open_full ()
{
  full_name_ = "full." + extension ();
  std::string error;
  int fd = dir_.create (RecordingDir::TOP, full_name_, error);
  if (fd < 0) {
    fail (GST_RESOURCE_ERROR_OPEN_WRITE, error);
    return false;
  }
  full_ = EncodedFile::create (settings_.format, rate_, full_channels (),
      settings_.mixed ? 0 : channel_mask_, fd, error);
  if (!full_) {
    fail (GST_RESOURCE_ERROR_OPEN_WRITE, "Could not encode " + dir_.path
        (RecordingDir::TOP, full_name_), error);
    return false;
  }
  gst_voice_manifest_set_full (manifest_, full_name_.c_str (),
      settings_.mixed ? "mixed" : "channels", 0.0);
  dirty_ = true;
  return true;
}

/* The full file failed: it keeps what was written, but is not listed. */
void
ConversationRecorder::fail_full ()
{
  fail_write (*full_, dir_.path (RecordingDir::TOP, full_name_));
  full_.reset ();
  drop_full_batch ();
  gst_voice_manifest_set_full (manifest_, "", "", 0.0);
  dirty_ = true;
}

/* The full file: the stream as it is, or every speaker mixed into one
 * channel. Speakers seldom overlap, so they are added, not averaged, to
 * keep each at its level; overlaps saturate. */
GstFlowReturn
ConversationRecorder::write_full (GstBuffer * buffer)
{
  if (!full_)
    return GST_FLOW_OK;
  guint out_channels = full_channels ();
  GstMapInfo in;
  if (!gst_buffer_map (buffer, &in, GST_MAP_READ)) {
    on_warning_ ("an output buffer could not be read: left out of the full "
        "file");
    return GST_FLOW_OK;
  }
  const gint16 *src = (const gint16 *) in.data;
  guint64 n = in.size / (2 * channels_);
  GstFlowReturn ret = GST_FLOW_OK;
  for (guint64 done = 0; done < n && ret == GST_FLOW_OK;) {
    if (!full_batch_) {
      full_batch_ = gst_buffer_new_allocate (nullptr,
          batch_ * 2 * out_channels, nullptr);
      gst_buffer_map (full_batch_, &full_batch_map_, GST_MAP_WRITE);
      full_batch_frames_ = 0;
    }
    guint64 step = MIN (n - done, batch_ - full_batch_frames_);
    gint16 *dst = (gint16 *) full_batch_map_.data +
        full_batch_frames_ * out_channels;
    if (out_channels == (guint) channels_)
      memcpy (dst, src + done * channels_, step * 2 * channels_);
    else
      s16loops::mix_down (dst, src + done * channels_, channels_, step);
    full_batch_frames_ += step;
    done += step;
    /* the first audio goes at once: it writes the header, so that the
     * file is readable from the start */
    if (full_batch_frames_ == batch_ || full_->frames () == 0)
      ret = flush_full ();
  }
  gst_buffer_unmap (buffer, &in);
  return ret;
}

/* Writes what the full file has pending. */
GstFlowReturn
ConversationRecorder::flush_full ()
{
  if (!full_ || !full_batch_ || full_batch_frames_ == 0)
    return GST_FLOW_OK;
  guint out_channels = full_channels ();
  gst_buffer_unmap (full_batch_, &full_batch_map_);
  gst_buffer_set_size (full_batch_, full_batch_frames_ * 2 * out_channels);
  GstBuffer *batch = full_batch_;
  full_batch_ = nullptr;
  full_batch_frames_ = 0;
  GstFlowReturn ret = full_->write (batch);
  if (ret != GST_FLOW_OK)
    fail_full ();
  return ret;
}

void
ConversationRecorder::drop_full_batch ()
{
  if (!full_batch_)
    return;
  gst_buffer_unmap (full_batch_, &full_batch_map_);
  gst_buffer_unref (full_batch_);
  full_batch_ = nullptr;
  full_batch_frames_ = 0;
}

GstFlowReturn
ConversationRecorder::write (GstBuffer * buffer)
{
  if (failed_)
    return GST_FLOW_ERROR;
  if (!rate_) {
    fail (GST_RESOURCE_ERROR_FAILED, "Audio before its format");
    return GST_FLOW_NOT_NEGOTIATED;
  }
  received_ = true;
  /* the first manifest waits for what comes right after the first audio:
   * the timeline announces the call's start and speakers behind it */
  bool first = !full_;
  if (!full_ && !open_full ())
    return GST_FLOW_ERROR;
  GstFlowReturn ret = write_full (buffer);
  if (ret != GST_FLOW_OK)
    return ret;

  GstMapInfo map;
  gst_buffer_map (buffer, &map, GST_MAP_READ);
  const gint16 *frames = (const gint16 *) map.data;
  guint64 n = map.size / (2 * channels_);
  /* what the timeline tells after this buffer can be a buffer older */
  if (n > longest_buffer_) {
    longest_buffer_ = n;
    update_lag ();
  }
  /* a bit at a time, feeding the open segments after each, so that the
   * history always still holds what they need next */
  for (guint64 done = 0; done < n;) {
    guint64 step = MIN (chunk_, n - done);
    history_.append (frames + done * channels_, step);
    done += step;
    guint64 upto = written_until ();
    for (auto & o:open_)
      if (!feed (*o.second, upto))
        ret = GST_FLOW_ERROR;
    if (!feed_closing ())
      ret = GST_FLOW_ERROR;
    if (ret != GST_FLOW_OK)
      break;
  }
  gst_buffer_unmap (buffer, &map);
  if (ret == GST_FLOW_OK && !first)
    commit (false);
  return ret;
}

/* The open segments are written this far behind the newest audio: the
 * timeline's lateness, the longest buffer, and the padding kept before a
 * segment's start. */
void
ConversationRecorder::update_lag ()
{
  lag_ = MAX (lag_, base_lag_ + longest_buffer_ + max_padding_);
  history_.grow (lag_ + chunk_ + batch_);
}

/* The segments waiting for their padding after the end: written as the
 * audio comes, finished once it is all there. */
bool
ConversationRecorder::feed_closing ()
{
  bool ok = true;
  for (auto it = closing_.begin (); it != closing_.end ();) {
    OpenSegment & seg = **it;
    ok = feed (seg, MIN (seg.close_at, history_.end ())) && ok;
    if (history_.end () < seg.close_at) {
      ++it;
      continue;
    }
    finish_segment (seg, seg.close_at);
    it = closing_.erase (it);
  }
  return ok;
}

/* How far the open segments can be written: the newest audio less the
 * lag, since nothing before that can still be told. */
guint64
ConversationRecorder::written_until () const
{
  return history_.end () > lag_ ? history_.end () - lag_ : 0;
}

/* The start of a "voice-file-written" message. */
GstStructure *
ConversationRecorder::file_written (const std::string & location,
    const gchar * file, const gchar * kind, gdouble start, gdouble end)
{
  return gst_structure_new (GST_VOICE_FILE_WRITTEN_STRUCTURE,
      "location", G_TYPE_STRING, location.c_str (),
      "file", G_TYPE_STRING, file,
      "kind", G_TYPE_STRING, kind,
      "start-time", G_TYPE_DOUBLE, start,
      "end-time", G_TYPE_DOUBLE, end, nullptr);
}

/* Writes @seg's channel up to frame @upto: once a batch is there, unless
 * @whole. */
bool
ConversationRecorder::feed (OpenSegment & seg, guint64 upto, bool whole)
{
  upto = MIN (upto, history_.end ());
  if (upto <= seg.fed || (!whole && upto < seg.fed + batch_))
    return true;
  if (seg.fed < history_.begin ()) {
    on_warning_ ("segment " + std::to_string (seg.idx) + " of " +
        seg.speaker + ": " + std::to_string (history_.begin () - seg.fed) +
        " samples were no longer held and are missing from its file; "
        "raise lookback");
    seg.fed = history_.begin ();
    if (upto <= seg.fed)
      return true;
  }
  guint64 n = upto - seg.fed;
  GstBuffer *buf = gst_buffer_new_allocate (nullptr, n * 2, nullptr);
  GstMapInfo map;
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  history_.copy_channel (seg.channel, seg.fed, n, (gint16 *) map.data);
  gst_buffer_unmap (buf, &map);
  seg.fed = upto;
  if (seg.file->write (buf) != GST_FLOW_OK) {
    fail_write (*seg.file, dir_.path (RecordingDir::SEGMENTS, seg.part));
    return false;
  }
  return true;
}

std::unique_ptr < ConversationRecorder::OpenSegment >
ConversationRecorder::open_segment (const std::string & speaker,
    GstVoiceRole role, guint idx, guint64 start)
{
  auto sp = speakers_.find (speaker);
  if (sp == speakers_.end () || (gint) sp->second.channel >= channels_) {
    on_warning_ ("no channel carries speaker " + speaker + ": segment " +
        std::to_string (idx) + " gets no audio file");
    return nullptr;
  }
  if (start < history_.begin ()) {
    on_warning_ ("segment " + std::to_string (idx) + " of " + speaker +
        " was told too late: its first " + std::to_string
        (history_.begin () - start) + " samples are missing from its file; "
        "raise lookback");
  }
  auto seg = std::make_unique < OpenSegment > ();
  seg->speaker = speaker;
  seg->role = role;
  seg->channel = sp->second.channel;
  seg->idx = idx;
  seg->start = start;
  seg->padding = sp->second.padding;
  /* the padding before it, as far as the conversation and history go */
  seg->file_start = seg->fed = MAX (start - MIN (start, seg->padding),
      MIN (start, history_.begin ()));
  if (!preparer_)
    /* segments come one every few seconds of audio: a recording that
     * runs many times faster than real time needs a few ready */
    preparer_ = std::make_unique < FilePreparer > (dir_, settings_.format,
        rate_, extension (), live_ ? 1 : 4);
  FilePreparer::Prepared prepared = preparer_->take ();
  seg->part = prepared.part;
  seg->file = std::move (prepared.file);
  if (!prepared.created) {
    fail (GST_RESOURCE_ERROR_OPEN_WRITE, prepared.error);
    return nullptr;
  }
  if (!seg->file) {
    fail (GST_RESOURCE_ERROR_OPEN_WRITE, "Could not encode " +
        dir_.path (RecordingDir::SEGMENTS, seg->part), prepared.error);
    return nullptr;
  }
  return seg;
}

/* @record ends @seg: its file goes on to the end and the padding after
 * it, then is finished and published with the next commit (). */
void
ConversationRecorder::close_segment (std::unique_ptr < OpenSegment > seg,
    GstVoiceSegment & record)
{
  guint64 end = frame_at (record.end_time);
  if (end < seg->fed)
    on_warning_ ("segment " + std::to_string (record.idx) + " of " +
        seg->speaker + " ended before audio already written to its file; "
        "raise lookback");
  /* the record is the segment's now */
  gst_voice_segment_clear (&seg->record);
  seg->record = record;
  gst_voice_segment_init (&record);
  seg->close_at = MAX (end + seg->padding, seg->fed);
  closing_.push_back (std::move (seg));
  /* a write error is reported by feed () */
  feed_closing ();
}

/* Completes @seg's file at frame @end. */
void
ConversationRecorder::finish_segment (OpenSegment & seg, guint64 end)
{
  GstVoiceSegment & record = seg.record;
  /* a segment told to go on past the audio received (a hang-up) ends with
   * that audio, and never before its start */
  if (frame_at (record.end_time) > history_.end ())
    record.end_time = MAX (record.start_time,
        (gdouble) history_.end () / rate_);
  guint64 speech_end = frame_at (record.end_time);
  record.padding_before = (gdouble) (seg.start - seg.file_start) / rate_;
  record.padding_after = end > speech_end ? (gdouble) (end - speech_end) /
      rate_ : 0.0;
  bool ok = feed (seg, end, true) && seg.file->finish ();
  if (ok)
    preparer_->dispose (std::move (seg.file));
  /* A hang-up right after a start was decided: the speech began after the
   * last sample received, so its file would hold nothing (and a WAV of
   * nothing keeps wavenc's streaming header, not exact sizes). It is
   * listed without a file, as a segment whose audio is gone. */
  bool empty = ok && seg.fed <= seg.file_start;
  if (!ok || empty) {
    if (!ok && !failed_)
      fail_write (*seg.file, dir_.path (RecordingDir::SEGMENTS, seg.part));
    if (empty)
      record.padding_before = record.padding_after = 0.0;
    dir_.remove (RecordingDir::SEGMENTS, seg.part);
    g_clear_pointer (&record.file, g_free);
    listed_[record.idx] = Listed {false, 0.0, 0.0};
    gst_voice_manifest_add_segment (manifest_, &record);
    unarchived_++;
    dirty_ = true;
    return;
  }
  gchar *name = gst_voice_segment_file_name (record.idx, record.role,
      record.start_time, extension ().c_str ());
  Finished f;
  f.record = record;
  f.record.file = g_strconcat ("segments/", name, nullptr);
  f.part = seg.part;
  f.name = name;
  g_free (name);
  g_free (record.file);
  /* the record is now f's */
  gst_voice_segment_init (&record);
  listed_[f.record.idx] = Listed {true, f.record.padding_before,
    f.record.padding_after};
  /* a segment given again long after is not looked up */
  while (listed_.size () > 4096)
    listed_.erase (listed_.begin ());
  unpublished_.push_back (f);
  dirty_ = true;
}

/* The speaker in a speaking event's metadata, or "". */
static std::string
speaker_of (const GstVoiceTimelineEvent & ev)
{
  std::string speaker;
  JsonNode *meta = ev.metadata ? json_from_string (ev.metadata, nullptr) :
      nullptr;
  JsonNode *name = meta && JSON_NODE_HOLDS_OBJECT (meta) ?
      json_object_get_member (json_node_get_object (meta), "speaker") : nullptr;
  if (name && JSON_NODE_HOLDS_VALUE (name)
      && json_node_get_value_type (name) == G_TYPE_STRING)
    speaker = json_node_get_string (name);
  if (meta)
    json_node_unref (meta);
  return speaker;
}

void
ConversationRecorder::on_timeline_event (const GstVoiceTimelineEvent & ev)
{
  gst_voice_manifest_add_event (manifest_, &ev);
  unarchived_++;
  dirty_ = true;
  if (ev.type == GST_VOICE_EVENT_AGENT_START_SPEAKING && ev.has_latency)
    gst_voice_latency_stats_add (gst_voice_manifest_get_latency (manifest_),
        ev.latency);

  if (ev.type != GST_VOICE_EVENT_USER_START_SPEAKING
      && ev.type != GST_VOICE_EVENT_AGENT_START_SPEAKING)
    return;
  /* a segment starts: its index is its place among the starts */
  guint idx = n_starts_++;
  std::string speaker = speaker_of (ev);
  if (speaker.empty ()) {
    on_warning_ ("a speaking event without a speaker: segment " +
        std::to_string (idx) + " gets no audio file");
    return;
  }
  if (open_.count (speaker))
    return;                     /* already speaking */
  auto seg = open_segment (speaker, ev.type ==
      GST_VOICE_EVENT_USER_START_SPEAKING ? GST_VOICE_ROLE_USER :
      GST_VOICE_ROLE_AGENT, idx, frame_at (ev.time));
  if (seg) {
    feed (*seg, written_until ());
    open_[speaker] = std::move (seg);
  }
}

void
ConversationRecorder::on_segment (GstVoiceSegment & seg)
{
  /* the open segment this record ends: the same index, or, should the
   * numbering differ (a start event was refused), the same start */
  auto open = open_.find (seg.speaker);
  if (open != open_.end () && (open->second->idx == seg.idx
          || open->second->start == frame_at (seg.start_time))) {
    auto closed = std::move (open->second);
    open_.erase (open);
    close_segment (std::move (closed), seg);
    return;
  }

  /* given again, with its transcript: the file and its padding stay */
  for (auto & c:closing_) {
    if (c->record.idx == seg.idx) {
      gst_voice_segment_clear (&c->record);
      gst_voice_segment_copy_into (&c->record, &seg);
      return;
    }
  }
  for (auto & f:unpublished_) {
    if (f.record.idx == seg.idx) {
      gchar *file = f.record.file;
      f.record.file = nullptr;
      gdouble before = f.record.padding_before, after = f.record.padding_after;
      gst_voice_segment_clear (&f.record);
      gst_voice_segment_copy_into (&f.record, &seg);
      g_free (f.record.file);
      f.record.file = file;
      f.record.padding_before = before;
      f.record.padding_after = after;
      dirty_ = true;
      return;
    }
  }

  auto listed = listed_.find (seg.idx);
  if (listed == listed_.end ()) {
    /* its start was missed: cut it from the history if it is still there */
    if (frame_at (seg.end_time) > history_.begin ()) {
      auto cut = open_segment (seg.speaker, seg.role, seg.idx,
          frame_at (seg.start_time));
      if (cut) {
        close_segment (std::move (cut), seg);
        return;
      }
    } else {
      on_warning_ ("segment " + std::to_string (seg.idx) + " of " +
          seg.speaker + " was told after its audio was gone: listed "
          "without a file; raise lookback");
    }
    listed = listed_.emplace (seg.idx, Listed {false, 0.0, 0.0}).first;
  }

  g_clear_pointer (&seg.file, g_free);
  if (listed->second.has_file) {
    gchar *name = gst_voice_segment_file_name (seg.idx, seg.role,
        seg.start_time, extension ().c_str ());
    seg.file = g_strconcat ("segments/", name, nullptr);
    g_free (name);
  }
  seg.padding_before = listed->second.padding_before;
  seg.padding_after = listed->second.padding_after;
  if (!gst_voice_manifest_add_segment (manifest_, &seg))
    on_warning_ ("segment " + std::to_string (seg.idx) + " came again "
        "after its entry was archived: the manifest keeps the first one");
  unarchived_++;
  dirty_ = true;
}

void
ConversationRecorder::on_channel (const GstStructure * s, guint channel,
    const gchar * name, GstVoiceRole role)
{
  if (rate_ && (gint) channel >= channels_) {
    on_warning_ (std::string ("voice-channel for ") + name + " names channel "
        + std::to_string (channel) + " of a stream of " +
        std::to_string (channels_) + ": ignored");
    return;
  }
  guint64 padding = 0;
  if (check_field (s, "padding", G_TYPE_UINT64) && rate_
      && gst_structure_get_uint64 (s, "padding", &padding))
    padding = gst_util_uint64_scale_int (padding, rate_, GST_SECOND);
  speakers_[name] = {channel, role, padding};
  if (padding > max_padding_) {
    max_padding_ = padding;
    update_lag ();
  }
  gst_voice_manifest_add_speaker (manifest_, name, role, channel);
  dirty_ = true;
}

/* Whether @s's optional @field, when there, is of @type; a warning when
 * it is not, since the value is then ignored. */
bool
ConversationRecorder::check_field (const GstStructure * s, const gchar * field,
    GType type)
{
  const GValue *v = gst_structure_get_value (s, field);
  if (!v || G_VALUE_HOLDS (v, type))
    return v != nullptr;
  on_warning_ (std::string (gst_structure_get_name (s)) + ": " + field +
      " is a " + G_VALUE_TYPE_NAME (v) + ", not a " + g_type_name (type) +
      ": ignored");
  return false;
}

void
ConversationRecorder::on_conversation_start (const GstStructure * s)
{
  if (check_field (s, "started-at", G_TYPE_STRING)) {
    const gchar *iso = gst_structure_get_string (s, "started-at");
    GTimeZone *utc = g_time_zone_new_utc ();
    GDateTime *t = g_date_time_new_from_iso8601 (iso, utc);
    g_time_zone_unref (utc);
    if (t) {
      gst_voice_manifest_set_started_at (manifest_, t);
      g_date_time_unref (t);
    } else {
      on_warning_ (std::string ("voice-conversation-start: started-at is "
              "not an ISO 8601 time: ignored"));
    }
  }
  check_field (s, "settle-time", G_TYPE_UINT64);
  /* the timeline tells a moment up to its settle-time late: hold enough */
  guint64 settle;
  if (rate_ && gst_structure_get_uint64 (s, "settle-time", &settle)) {
    guint64 needed = gst_util_uint64_scale_int (settle + SETTLE_MARGIN, rate_,
        GST_SECOND);
    if (needed > base_lag_) {
      base_lag_ = needed;
      update_lag ();
    }
  }
  dirty_ = true;
}

void
ConversationRecorder::on_latency_summary (const GstStructure * s)
{
  GstVoiceLatencyStats *stats = gst_voice_manifest_get_latency (manifest_);
  gdouble v;
  if (check_field (s, "time-to-first-byte", G_TYPE_DOUBLE)
      && gst_structure_get_double (s, "time-to-first-byte", &v))
    gst_voice_latency_stats_set_time_to_first_byte (stats, v);
  if (check_field (s, "interrupt-response-time", G_TYPE_DOUBLE)
      && gst_structure_get_double (s, "interrupt-response-time", &v))
    gst_voice_latency_stats_set_interrupt_response_time (stats, v);
  dirty_ = true;
}

void
ConversationRecorder::handle_again (const GstStructure * s)
{
  for (auto r:recent_)
    if (gst_structure_is_equal (r, s))
      return;
  /* A hang-up loses the audio still on its way from the timeline: a span
   * that it ends after the audio received ends with that audio, as its
   * segment does (finish_segment ()), and never before its start. */
  GstVoiceTimelineEvent ev;
  if (rate_ && gst_structure_has_name (s, GST_VOICE_TIMELINE_EVENT_STRUCTURE)
      && gst_voice_timeline_event_from_structure (s, &ev)) {
    gdouble received = (gdouble) history_.end () / rate_;
    bool stop = ev.type == GST_VOICE_EVENT_USER_STOP_SPEAKING
        || ev.type == GST_VOICE_EVENT_AGENT_STOP_SPEAKING;
    if (stop && frame_at (ev.time) > history_.end ()) {
      std::string speaker = speaker_of (ev);
      auto open = open_.find (speaker);
      gdouble start = open != open_.end ()? (gdouble) open->second->start /
          rate_ : 0.0;
      for (const auto & c:closing_)
        if (c->speaker == speaker)
          start = MAX (start, c->record.start_time);
      GstStructure *clamped = gst_structure_copy (s);
      gst_structure_set (clamped, "time", G_TYPE_DOUBLE, MAX (received,
              start), nullptr);
      handle (clamped);
      gst_structure_free (clamped);
      gst_voice_timeline_event_clear (&ev);
      return;
    }
    gst_voice_timeline_event_clear (&ev);
  }
  handle (s);
}

void
ConversationRecorder::handle (const GstStructure * s)
{
  if (finished_)
    return;
  GstVoiceTimelineEvent ev;
  GstVoiceSegment seg;
  guint channel;
  gchar *name;
  GstVoiceRole role;

  if (gst_structure_has_name (s, GST_VOICE_TIMELINE_EVENT_STRUCTURE)) {
    if (gst_voice_timeline_event_from_structure (s, &ev)) {
      on_timeline_event (ev);
      gst_voice_timeline_event_clear (&ev);
    } else {
      on_warning_ ("invalid voice-timeline-event ignored");
    }
  } else if (gst_structure_has_name (s, GST_VOICE_SEGMENT_STRUCTURE)) {
    if (gst_voice_segment_from_structure (s, &seg)) {
      on_segment (seg);
      gst_voice_segment_clear (&seg);
    } else {
      on_warning_ ("invalid voice-segment ignored");
    }
  } else if (gst_structure_has_name (s, GST_VOICE_CHANNEL_STRUCTURE)) {
    if (gst_voice_channel_structure_parse (s, &channel, &name, &role)) {
      on_channel (s, channel, name, role);
      g_free (name);
    } else {
      on_warning_ ("invalid voice-channel ignored");
    }
  } else if (gst_structure_has_name (s, "voice-conversation-start")) {
    on_conversation_start (s);
  } else if (gst_structure_has_name (s, "voice-latency-summary")) {
    on_latency_summary (s);
  } else {
    return;
  }
  /* ours only: an application's own structures may hold anything */
  recent_.push_back (gst_structure_copy (s));
  if (recent_.size () > RECENT_HANDLED) {
    gst_structure_free (recent_.front ());
    recent_.pop_front ();
  }
  /* the call's announcements (its speakers, its start) and its latency
   * figures (which only speech makes more than zeros: the timeline gives
   * them at every EOS) are no recording yet, and nothing is written before
   * the format is known: a call that fails or ends before then leaves the
   * directory as it was */
  bool announcement = gst_structure_has_name (s, GST_VOICE_CHANNEL_STRUCTURE)
      || gst_structure_has_name (s, "voice-conversation-start");
  if (!announcement && !gst_structure_has_name (s, "voice-latency-summary"))
    received_ = true;
  /* the announcements come together (behind the first audio): the
   * manifest gets them all with the next audio, not the first alone */
  if (!failed_ && received_ && rate_ && !announcement)
    commit (false);
}

/* Entries that can no longer change leave memory for the manifest's
 * archive: those before every open segment, and more than the timeline's
 * lateness plus a minute (its window for transcripts) in the past. */
void
ConversationRecorder::archive ()
{
  if (!rate_)
    return;
  guint64 before = written_until ();
  before = before > ARCHIVE_AFTER * (guint64) rate_ ? before -
      ARCHIVE_AFTER * (guint64) rate_ : 0;
  for (const auto & o:open_)
    before = MIN (before, o.second->start);
  for (const auto & c:closing_)
    before = MIN (before, c->start);
  unarchived_ = 0;
  GError *err = nullptr;
  if (before > 0 && !gst_voice_manifest_archive (manifest_,
          (gdouble) before / rate_, &err)) {
    on_warning_ (err->message);
    g_error_free (err);
  }
}

/* manifest.json, replaced atomically: written to a temporary file in the
 * directory, synced, renamed over it */
bool
ConversationRecorder::write_manifest ()
{
  const std::string tmp = ".manifest.json.tmp";
  std::string error;
  int fd = dir_.create (RecordingDir::TOP, tmp, error);
  if (fd < 0) {
    fail (GST_RESOURCE_ERROR_OPEN_WRITE, error);
    return false;
  }
  GError *err = nullptr;
  bool ok = gst_voice_manifest_write_fd (manifest_, fd, &err);
  if (close (fd) != 0 && ok) {
    ok = false;
    g_set_error (&err, G_FILE_ERROR, g_file_error_from_errno (errno), "%s",
        g_strerror (errno));
  }
  if (!ok) {
    dir_.remove (RecordingDir::TOP, tmp);
    fail (g_error_matches (err, G_FILE_ERROR, G_FILE_ERROR_NOSPC) ?
        GST_RESOURCE_ERROR_NO_SPACE_LEFT : GST_RESOURCE_ERROR_WRITE,
        "Could not write " + dir_.path (RecordingDir::TOP, "manifest.json"),
        err->message);
    g_error_free (err);
    return false;
  }
  if (!dir_.rename (RecordingDir::TOP, tmp, "manifest.json", error)) {
    dir_.remove (RecordingDir::TOP, tmp);
    fail (GST_RESOURCE_ERROR_WRITE, error);
    return false;
  }
  return true;
}

/* Gives the finished segment files their names and adds them to the
 * manifest (still to be written). */
void
ConversationRecorder::publish ()
{
  for (auto & f:unpublished_) {
    std::string error;
    if (!dir_.rename (RecordingDir::SEGMENTS, f.part, f.name, error)) {
      fail (GST_RESOURCE_ERROR_WRITE, error);
      g_clear_pointer (&f.record.file, g_free);
    }
    gst_voice_manifest_add_segment (manifest_, &f.record);
    unarchived_++;
    if (f.record.file) {
      GstStructure *msg = file_written (dir_.path (RecordingDir::SEGMENTS,
              f.name), f.record.file, "segment", f.record.start_time,
          f.record.end_time);
      gst_structure_set (msg, "idx", G_TYPE_UINT, f.record.idx,
          "speaker", G_TYPE_STRING, f.record.speaker,
          "role", G_TYPE_STRING, gst_voice_role_to_string (f.record.role),
          nullptr);
      on_message_ (msg);
    }
    gst_voice_segment_clear (&f.record);
  }
  unpublished_.clear ();
}

/* Publishes the finished segment files and writes the manifest that lists
 * them; at most once per manifest interval unless @force. In between,
 * every ARCHIVE_BATCH entries are published and archived all the same, so
 * that a recording far faster than real time holds no more. */
void
ConversationRecorder::commit (bool force)
{
  if (!dirty_ && !force)
    return;
  gint64 now = g_get_monotonic_time ();
  /* a long call's manifest takes a while to write: at most a twentieth
   * of the time goes to rewriting it (unless every change is asked for) */
  gint64 interval = settings_.manifest_interval == 0 ? 0 :
      MAX ((gint64) (settings_.manifest_interval / 1000),
      20 * last_commit_cost_);
  bool rewrite = force || !last_commit_ || now - last_commit_ >= interval;
  if (!rewrite && unarchived_ + unpublished_.size () < ARCHIVE_BATCH)
    return;

  publish ();
  archive ();
  if (!rewrite)
    return;
  if (full_)
    gst_voice_manifest_set_full (manifest_, full_name_.c_str (),
        settings_.mixed ? "mixed" : "channels",
        rate_ ? (gdouble) full_->frames () / rate_ : 0.0);
  write_manifest ();
  dirty_ = false;
  last_commit_ = g_get_monotonic_time ();
  last_commit_cost_ = last_commit_ - now;
}

void
ConversationRecorder::finish ()
{
  if (finished_)
    return;
  finished_ = true;

  /* what is still open ends with the audio received */
  for (auto & c:closing_)
    finish_segment (*c, MIN (c->close_at, history_.end ()));
  closing_.clear ();
  for (auto & o:open_) {
    OpenSegment & seg = *o.second;
    gst_voice_segment_clear (&seg.record);
    seg.record.idx = seg.idx;
    seg.record.speaker = g_strdup (seg.speaker.c_str ());
    seg.record.role = seg.role;
    seg.record.start_time = (gdouble) seg.start / rate_;
    seg.record.end_time = (gdouble) history_.end () / rate_;
    finish_segment (seg, history_.end ());
  }
  open_.clear ();

  gdouble duration = 0;
  flush_full ();
  if (full_) {
    duration = rate_ ? (gdouble) full_->frames () / rate_ : 0.0;
    gst_voice_manifest_set_full (manifest_, full_name_.c_str (),
        settings_.mixed ? "mixed" : "channels", duration);
    if (!full_->finish ())
      fail_full ();
    else
      on_message_ (file_written (dir_.path (RecordingDir::TOP, full_name_),
              full_name_.c_str (), "full", 0.0, duration));
  }
  /* the files made ready and not used are removed */
  preparer_.reset ();
  /* nothing came, or nothing could be recorded (the format was refused):
   * what is in the directory stays as it was */
  if (!received_ || !rate_) {
    dir_.discard ();
    return;
  }
  bool was_failed = failed_;
  commit (true);
  if (!was_failed && !failed_)
    on_message_ (gst_structure_new (GST_VOICE_MANIFEST_FINAL_STRUCTURE,
            "location", G_TYPE_STRING, dir_.path (RecordingDir::TOP,
                "manifest.json").c_str (),
            "segment-count", G_TYPE_UINT,
            gst_voice_manifest_get_segment_count (manifest_),
            "duration", G_TYPE_DOUBLE, duration, nullptr));
  full_.reset ();
  dir_.close ();
}
