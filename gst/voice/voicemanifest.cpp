/* GStreamer voice conversation library
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/**
 * SECTION:gstvoicemanifest
 * @title: The manifest
 * @short_description: manifest.json, readable by the reference's consumers
 *
 * The reference's members come first, with its meaning and order:
 * `generated_at` (ISO 8601 UTC, as Python's `isoformat ()`), `duration`
 * (the end of the last segment), `segment_count`, `segments` (by start
 * time) and `events` (by time). Then the members this library adds, never
 * renaming one: `version`, `started_at` (UTC of conversation time zero),
 * `sample_rate`, `format`, `full` (`file`, `layout`, `duration`),
 * `speakers` (`name`, `role`, `channel`) and `latency`.
 *
 * A manifest is not locked: use it from one thread at a time. Writing it
 * (gst_voice_manifest_to_string (), gst_voice_manifest_write ()) keeps the
 * text of each entry and of the latency figures for the next write, so
 * even those calls, though they take a const manifest, may not run in two
 * threads at once.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "voicemanifest.h"
#include "voicejson.h"
#include "voicelatency-private.h"

#include <glib/gstdio.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <string>
#include <unistd.h>
#include <vector>

namespace
{
struct Speaker
{
  std::string name;
  GstVoiceRole role;
  gint channel;
};

/* An entry still held, with its text as it reads inside its list, made
 * when a rewrite first lists it: the manifest is rewritten every second
 * of a live call, and each rewrite then only copies what did not change. */
template < typename T > struct Held
{
  T entry;
  mutable std::string text;     /* empty until made */
};

/* the lists' order: segments by start, events by time */
bool
listed_before (const Held < GstVoiceSegment > &a,
    const Held < GstVoiceSegment > &b)
{
  return a.entry.start_time < b.entry.start_time;
}

bool
listed_before (const Held < GstVoiceTimelineEvent > &a,
    const Held < GstVoiceTimelineEvent > &b)
{
  return a.entry.time < b.entry.time;
}

/* sorts held entries into their list's order; stable: entries of the same
 * time stay in the order they came */
template < typename T > void
sort_in_list_order (std::vector < T > &items)
{
  std::stable_sort (items.begin (), items.end (),[](const T & a, const T & b) {
        return listed_before (a, b);
      });
}

/* pointers to @items in their list's order, the entries left in place */
template < typename T > std::vector < const Held < T > *>
in_list_order (const std::vector < Held < T > >&items)
{
  std::vector < const Held < T > *>order;
  for (const auto & i:items)
    order.push_back (&i);
  std::stable_sort (order.begin (), order.end (),
      [](const Held < T > *a, const Held < T > *b) {
        return listed_before (*a, *b);
      });
  return order;
}

/* A list's first entries, written out: their text, as it reads inside the
 * list, joined by the list's separators. */
struct Archive
{
  int fd = -1;
  guint count = 0;
  guint64 size = 0;
};
}

struct _GstVoiceManifest
{
  GDateTime *started_at = nullptr;
  gint sample_rate = 0;
  std::string format;
  std::string full_file;
  std::string full_layout;
  gdouble full_duration = 0;
  std::vector < Speaker > speakers;
  std::vector < Held < GstVoiceSegment > >segments;
  std::vector < Held < GstVoiceTimelineEvent > >events;

  /* entries that can no longer change, as text in files beside the
   * manifest, so that a long call does not keep them in memory */
  Archive archived_segments;
  Archive archived_events;
  gdouble archived_duration = 0.0;
  std::vector < guint > archived_idx;   /* sorted */
  GstVoiceLatencyStats *latency = gst_voice_latency_stats_new ();
  /* the latency member's text, kept while the figures do not change:
   * their measurements grow with the call */
  mutable std::string latency_text;
  mutable guint64 latency_text_changes = G_MAXUINT64;
};

/**
 * gst_voice_manifest_new:
 *
 * Returns: (transfer full): an empty manifest
 */
GstVoiceManifest *
gst_voice_manifest_new (void)
{
  return new GstVoiceManifest ();
}

/**
 * gst_voice_manifest_free:
 * @manifest: (transfer full) (nullable): a manifest
 */
void
gst_voice_manifest_free (GstVoiceManifest * manifest)
{
  if (!manifest)
    return;
  for (auto & s:manifest->segments)
    gst_voice_segment_clear (&s.entry);
  for (auto & e:manifest->events)
    gst_voice_timeline_event_clear (&e.entry);
  for (Archive * a: {&manifest->archived_segments, &manifest->archived_events})
    if (a->fd >= 0)
      close (a->fd);
  g_clear_pointer (&manifest->started_at, g_date_time_unref);
  gst_voice_latency_stats_free (manifest->latency);
  delete manifest;
}

/**
 * gst_voice_manifest_set_started_at:
 * @manifest: a manifest
 * @started_at: (transfer none): the wall-clock time of conversation time
 *   zero
 */
void
gst_voice_manifest_set_started_at (GstVoiceManifest * manifest,
    GDateTime * started_at)
{
  g_return_if_fail (manifest != nullptr && started_at != nullptr);
  g_clear_pointer (&manifest->started_at, g_date_time_unref);
  manifest->started_at = g_date_time_to_utc (started_at);
}

/**
 * gst_voice_manifest_set_sample_rate:
 * @manifest: a manifest
 * @rate: the sample rate of the recording's files
 */
void
gst_voice_manifest_set_sample_rate (GstVoiceManifest * manifest, gint rate)
{
  g_return_if_fail (manifest != nullptr);
  manifest->sample_rate = rate;
}

/**
 * gst_voice_manifest_set_format:
 * @manifest: a manifest
 * @format: the files' format: "wav", "flac", "ogg", "opus" or "mp3"
 */
void
gst_voice_manifest_set_format (GstVoiceManifest * manifest,
    const gchar * format)
{
  g_return_if_fail (manifest != nullptr && format != nullptr);
  manifest->format = format;
}

/**
 * gst_voice_manifest_set_full:
 * @manifest: a manifest
 * @file: the whole conversation's file, relative to the manifest
 * @layout: "mixed" or "channels"
 * @duration: its length in seconds
 */
void
gst_voice_manifest_set_full (GstVoiceManifest * manifest, const gchar * file,
    const gchar * layout, gdouble duration)
{
  g_return_if_fail (manifest != nullptr && file != nullptr
      && layout != nullptr);
  manifest->full_file = file;
  manifest->full_layout = layout;
  manifest->full_duration = duration;
}

/**
 * gst_voice_manifest_add_speaker:
 * @manifest: a manifest
 * @name: a valid speaker name
 * @role: the role
 * @channel: the speaker's channel in the full file when it has one per
 *   speaker
 *
 * A speaker given for a channel already listed replaces the one there.
 */
void
gst_voice_manifest_add_speaker (GstVoiceManifest * manifest,
    const gchar * name, GstVoiceRole role, gint channel)
{
  g_return_if_fail (manifest != nullptr);
  g_return_if_fail (gst_voice_speaker_name_is_valid (name));
  for (auto & sp:manifest->speakers) {
    if (sp.channel == channel) {
      sp = {name, role, channel};
      return;
    }
  }
  manifest->speakers.push_back ({name, role, channel});
}

/**
 * gst_voice_manifest_add_segment:
 * @manifest: a manifest
 * @segment: (transfer none): a finished segment, copied
 *
 * A segment with the index of one already added replaces it (it is given
 * again with its transcript, say), unless that one was archived.
 *
 * Returns: %FALSE if a segment with this index was archived: it can no
 * longer change
 */
gboolean
gst_voice_manifest_add_segment (GstVoiceManifest * manifest,
    const GstVoiceSegment * segment)
{
  g_return_val_if_fail (manifest != nullptr && segment != nullptr, FALSE);
  if (std::binary_search (manifest->archived_idx.begin (),
          manifest->archived_idx.end (), segment->idx))
    return FALSE;
  GstVoiceSegment copy;
  gst_voice_segment_copy_into (&copy, segment);
  /* replacements are for recent segments: look from the end */
  for (auto it = manifest->segments.rbegin ();
      it != manifest->segments.rend (); ++it) {
    if (it->entry.idx == segment->idx) {
      gst_voice_segment_clear (&it->entry);
      it->entry = copy;
      it->text.clear ();
      return TRUE;
    }
  }
  manifest->segments.push_back ({copy, std::string ()});
  return TRUE;
}

/**
 * gst_voice_manifest_add_event:
 * @manifest: a manifest
 * @event: (transfer none): a timeline event, copied
 *
 * Events are listed in time order: one that comes late (a tool call given
 * with a time in the past) goes after those of its time and before later
 * ones, among the events still held (see gst_voice_manifest_archive()).
 */
void
gst_voice_manifest_add_event (GstVoiceManifest * manifest,
    const GstVoiceTimelineEvent * event)
{
  g_return_if_fail (manifest != nullptr && event != nullptr);
  GstVoiceTimelineEvent copy;
  gst_voice_timeline_event_copy_into (&copy, event);
  auto at = std::upper_bound (manifest->events.begin (),
      manifest->events.end (), copy.time,
      [](gdouble t, const Held < GstVoiceTimelineEvent > &e) {
        return t < e.entry.time;
      });
  manifest->events.insert (at, {copy, std::string ()});
}

/**
 * gst_voice_manifest_get_segment_count:
 * @manifest: a manifest
 *
 * Returns: the number of segments
 */
guint
gst_voice_manifest_get_segment_count (const GstVoiceManifest * manifest)
{
  g_return_val_if_fail (manifest != nullptr, 0);
  return (guint) manifest->segments.size () +
      manifest->archived_segments.count;
}

/**
 * gst_voice_manifest_get_latency:
 * @manifest: a manifest
 *
 * Returns: (transfer none): the latency statistics, to be filled
 */
GstVoiceLatencyStats *
gst_voice_manifest_get_latency (GstVoiceManifest * manifest)
{
  g_return_val_if_fail (manifest != nullptr, nullptr);
  return manifest->latency;
}

/* Python's datetime.isoformat () of an aware UTC time */
static gchar *
iso8601 (GDateTime * t)
{
  GDateTime *utc = g_date_time_to_utc (t);
  /* isoformat () leaves out a zero microsecond part */
  gchar *s = g_date_time_format (utc,
      g_date_time_get_microsecond (utc) ? "%Y-%m-%dT%H:%M:%S.%f+00:00" :
      "%Y-%m-%dT%H:%M:%S+00:00");
  g_date_time_unref (utc);
  return s;
}

using TextSink = std::function < bool (const gchar *, gsize) >;

/* @text, a value at nesting level @level, as it reads inside the whole
 * document: every line after the first indented by two spaces a level */
static bool
write_nested (const TextSink & out, const gchar * text, guint level)
{
  std::string indent = "\n" + std::string (2 * level, ' ');
  for (const gchar * nl; (nl = strchr (text, '\n')); text = nl + 1) {
    if (!out (text, nl - text) || !out (indent.data (), indent.size ()))
      return false;
  }
  return out (text, strlen (text));
}

static bool
write_node (const TextSink & out, JsonNode * node, guint level)
{
  gchar *text = voice_json_to_text (node);
  json_node_unref (node);
  bool ok = write_nested (out, text, level);
  g_free (text);
  return ok;
}

/* A list member: its entries made and written one at a time, so that no
 * tree of the whole manifest is ever held. */
static bool
copy_archive (const TextSink & out, const Archive & archive)
{
  gchar buf[65536];
  guint64 done = 0;
  while (done < archive.size) {
    gssize n = pread (archive.fd, buf, MIN (sizeof (buf), archive.size - done),
        done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0 || !out (buf, n))
      return false;
    done += n;
  }
  return true;
}

/* @node's text at nesting @level, to be kept: @node is taken */
static std::string
nested_text (JsonNode * node, guint level)
{
  std::string text;
  write_node ([&text](const gchar * s, gsize len) {
        text.append (s, len);
        return true;
      }, node, level);
  return text;
}

/* @held's text inside its list, made the first time */
template < typename T > static const std::string &
entry_text (const Held < T > &held, JsonNode * (*to_json) (const T *))
{
  if (held.text.empty ())
    held.text = nested_text (to_json (&held.entry), 2);
  return held.text;
}

template < typename T > static bool
write_list (const TextSink & out, const Archive & archive,
    const std::vector < const Held < T > *>&items,
    JsonNode * (*to_json) (const T *))
{
  if (items.empty () && archive.count == 0)
    return out ("[]", 2);
  bool ok = out ("[\n    ", 6) && copy_archive (out, archive);
  for (gsize i = 0; ok && i < items.size (); i++) {
    if (i > 0 || archive.count > 0)
      ok = out (",\n    ", 6);
    const std::string & text = entry_text (*items[i], to_json);
    ok = ok && out (text.data (), text.size ());
  }
  return ok && out ("\n  ]", 4);
}

/* The members besides the lists, written as voice_json_to_text () would
 * write them but without a tree: the manifest is rewritten every second
 * of a call, and trees of these few members cost more than the rest. */
static void
append_key (std::string & out, const gchar * name)
{
  out += ",\n  \"";
  out += name;
  out += "\": ";
}

static void
append_time_or_null (std::string & out, GDateTime * t)
{
  if (!t) {
    out += "null";
    return;
  }
  gchar *text = iso8601 (t);
  voice_json_append_string (out, text);
  g_free (text);
}

static void
append_full (std::string & out, const GstVoiceManifest * m)
{
  if (m->full_file.empty ()) {
    out += "null";
    return;
  }
  out += "{\n    \"file\": ";
  voice_json_append_string (out, m->full_file.c_str ());
  out += ",\n    \"layout\": ";
  voice_json_append_string (out, m->full_layout.c_str ());
  out += ",\n    \"duration\": ";
  voice_json_append_double (out, m->full_duration);
  out += "\n  }";
}

static void
append_speakers (std::string & out, const GstVoiceManifest * m)
{
  if (m->speakers.empty ()) {
    out += "[]";
    return;
  }
  out += "[";
  for (gsize i = 0; i < m->speakers.size (); i++) {
    const Speaker & sp = m->speakers[i];
    if (i > 0)
      out += ",";
    out += "\n    {\n      \"name\": ";
    voice_json_append_string (out, sp.name.c_str ());
    out += ",\n      \"role\": ";
    voice_json_append_string (out, gst_voice_role_to_string (sp.role));
    out += ",\n      \"channel\": " + std::to_string (sp.channel) +
        "\n    }";
  }
  out += "\n  ]";
}

static const std::string &
latency_text (const GstVoiceManifest * m)
{
  guint64 changes = voice_latency_stats_changes (m->latency);
  if (changes != m->latency_text_changes) {
    m->latency_text = nested_text (gst_voice_latency_stats_to_json
        (m->latency), 1);
    m->latency_text_changes = changes;
  }
  return m->latency_text;
}

/* The manifest's text, the same as voice_json_to_text () of the whole
 * document (Python's json.dumps (..., indent=2)), a piece at a time. */
static bool
manifest_write_text (const GstVoiceManifest * m, GDateTime * generated_at,
    const TextSink & out)
{
  gdouble duration = m->archived_duration;
  for (const auto & s:m->segments)
    duration = std::max (duration, s.entry.end_time);

  /* the reference's members, in its order */
  std::string text = "{\n  \"generated_at\": ";
  append_time_or_null (text, generated_at);
  append_key (text, "duration");
  voice_json_append_double (text, duration);
  append_key (text, "segment_count");
  text += std::to_string (m->segments.size () + m->archived_segments.count);
  append_key (text, "segments");
  if (!out (text.data (), text.size ())
      || !write_list (out, m->archived_segments, in_list_order (m->segments),
          gst_voice_segment_to_json))
    return false;
  text = ",\n  \"events\": ";
  if (!out (text.data (), text.size ())
      || !write_list (out, m->archived_events, in_list_order (m->events),
          gst_voice_timeline_event_to_json))
    return false;

  /* the added members */
  text.clear ();
  append_key (text, "version");
  text += std::to_string (GST_VOICE_MANIFEST_VERSION);
  append_key (text, "started_at");
  append_time_or_null (text, m->started_at);
  append_key (text, "sample_rate");
  text += std::to_string (m->sample_rate);
  append_key (text, "format");
  voice_json_append_string (text, m->format.empty ()? "wav" :
      m->format.c_str ());
  append_key (text, "full");
  append_full (text, m);
  append_key (text, "speakers");
  append_speakers (text, m);
  append_key (text, "latency");
  text += latency_text (m);
  text += "\n}";
  return out (text.data (), text.size ());
}

static int
open_archive_file (gint dir_fd)
{
  /* a file without a name: nothing to clean up after a crash */
  int fd = openat (dir_fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
    return fd;
  gchar name[] = ".manifest-archive-XXXXXX";
  for (int tries = 0; tries < 100; tries++) {
    for (gchar * c = name + strlen (name) - 6; *c; c++)
      *c = "abcdefghijklmnopqrstuvwxyz0123456789"[g_random_int_range (0, 36)];
    fd = openat (dir_fd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
        O_CLOEXEC, 0600);
    if (fd >= 0) {
      unlinkat (dir_fd, name, 0);
      return fd;
    }
    if (errno != EEXIST)
      break;
  }
  return -1;
}

/**
 * gst_voice_manifest_set_archive:
 * @manifest: a manifest
 * @dir_fd: a directory open for reading, where the archive is kept
 * @error: (optional): the error
 *
 * Lets gst_voice_manifest_archive () keep the entries that can no longer
 * change as text in two unnamed files in @dir_fd instead of in memory, so
 * that a manifest of a long call costs the same memory as a short one.
 *
 * Returns: %TRUE on success
 */
gboolean
gst_voice_manifest_set_archive (GstVoiceManifest * manifest, gint dir_fd,
    GError ** error)
{
  g_return_val_if_fail (manifest != nullptr, FALSE);
  g_return_val_if_fail (manifest->archived_segments.fd < 0, FALSE);

  for (Archive * a: {&manifest->archived_segments, &manifest->archived_events}) {
    a->fd = open_archive_file (dir_fd);
    if (a->fd < 0) {
      int err = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (err),
          "Could not create the manifest's archive: %s", g_strerror (err));
      /* all or nothing */
      if (manifest->archived_segments.fd >= 0)
        close (manifest->archived_segments.fd);
      manifest->archived_segments.fd = -1;
      return FALSE;
    }
  }
  return TRUE;
}

static bool
append_archive (Archive & archive, const std::string & text)
{
  gsize done = 0;
  while (done < text.size ()) {
    gssize n = pwrite (archive.fd, text.data () + done, text.size () - done,
        archive.size + done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return false;
    done += n;
  }
  archive.size += text.size ();
  return true;
}

/* Moves the first @n of @items (in list order) to @archive. */
template < typename T > static bool
archive_entries (Archive & archive, std::vector < Held < T > >&items, gsize n,
    JsonNode * (*to_json) (const T *), void (*clear) (T *))
{
  if (n == 0)
    return true;
  std::string text;
  for (gsize i = 0; i < n; i++) {
    if (archive.count + i > 0)
      text += ",\n    ";
    text += entry_text (items[i], to_json);
  }
  if (!append_archive (archive, text))
    return false;
  archive.count += n;
  for (gsize i = 0; i < n; i++)
    clear (&items[i].entry);
  items.erase (items.begin (), items.begin () + n);
  return true;
}

/**
 * gst_voice_manifest_archive:
 * @manifest: a manifest with an archive (gst_voice_manifest_set_archive ())
 * @before: seconds from conversation time zero
 * @error: (optional): the error
 *
 * Archives the segments that ended and the events that happen before
 * @before (and before the start of any segment still held): they are
 * written out and no longer held. Call it with a time before which nothing
 * can be added any more: an entry added later that sorts before it is
 * listed after the archived ones, and an archived segment can no longer be
 * replaced.
 *
 * Returns: %TRUE on success
 */
gboolean
gst_voice_manifest_archive (GstVoiceManifest * manifest, gdouble before,
    GError ** error)
{
  g_return_val_if_fail (manifest != nullptr, FALSE);
  if (manifest->archived_segments.fd < 0)
    return TRUE;

  auto & segs = manifest->segments;
  sort_in_list_order (segs);
  /* segments in order of start, each once it ended before @before: one
   * still going on holds back those after it, and the events from its
   * start on (an interruption is told when the agent stops, at its own,
   * earlier time) */
  gsize n = 0;
  while (n < segs.size () && segs[n].entry.end_time < before)
    n++;
  if (n < segs.size ())
    before = std::min (before, segs[n].entry.start_time);
  std::vector < guint > idx;
  gdouble duration = manifest->archived_duration;
  for (gsize i = 0; i < n; i++) {
    idx.push_back (segs[i].entry.idx);
    duration = std::max (duration, segs[i].entry.end_time);
  }
  bool ok = archive_entries (manifest->archived_segments, segs, n,
      gst_voice_segment_to_json, gst_voice_segment_clear);
  if (ok) {
    manifest->archived_duration = duration;
    for (guint i:idx)
      manifest->archived_idx.insert (std::upper_bound
          (manifest->archived_idx.begin (), manifest->archived_idx.end (), i),
          i);
  }

  auto & evs = manifest->events;
  sort_in_list_order (evs);
  n = 0;
  while (n < evs.size () && evs[n].entry.time < before)
    n++;
  ok = ok && archive_entries (manifest->archived_events, evs, n,
      gst_voice_timeline_event_to_json, gst_voice_timeline_event_clear);
  if (!ok) {
    int err = errno;
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (err),
        "Could not write the manifest's archive: %s", g_strerror (err));
  }
  return ok;
}

/**
 * gst_voice_manifest_to_string:
 * @manifest: a manifest
 * @generated_at: (nullable): the `generated_at` time, %NULL for now
 *
 * The text is what Python's `json.dumps (manifest, indent=2)` writes, as
 * the reference does: the same data gives the same text.
 *
 * Returns: (transfer full): the manifest as indented, ASCII-only JSON
 */
gchar *
gst_voice_manifest_to_string (const GstVoiceManifest * manifest,
    GDateTime * generated_at)
{
  g_return_val_if_fail (manifest != nullptr, nullptr);

  GDateTime *now = generated_at ? g_date_time_ref (generated_at) :
      g_date_time_new_now_utc ();
  GString *text = g_string_new (nullptr);
  manifest_write_text (manifest, now,[text](const gchar * s, gsize n) {
        g_string_append_len (text, s, n);
        return true;
      });
  g_date_time_unref (now);
  return g_string_free (text, FALSE);
}

/**
 * gst_voice_manifest_write:
 * @manifest: a manifest
 * @path: where to write it
 * @error: (optional): the error
 *
 * Writes the manifest atomically: to a temporary file beside @path, synced,
 * then renamed over it, so that a reader (or a crash) only ever sees the
 * old manifest or the new one, complete.
 *
 * Returns: %TRUE on success
 */
gboolean
gst_voice_manifest_write (const GstVoiceManifest * manifest,
    const gchar * path, GError ** error)
{
  g_return_val_if_fail (manifest != nullptr && path != nullptr, FALSE);

  /* written as it is made: a long call's manifest is never held whole */
  gchar *tmp = g_strconcat (path, ".XXXXXX", nullptr);
  gint fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) {
    int err = errno;
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (err),
        "Could not create %s: %s", tmp, g_strerror (err));
    g_free (tmp);
    return FALSE;
  }
  gboolean ok = gst_voice_manifest_write_fd (manifest, fd, error);
  if (close (fd) != 0 && ok) {
    ok = FALSE;
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
        "Could not write %s: %s", tmp, g_strerror (errno));
  }
  if (ok && rename (tmp, path) != 0) {
    ok = FALSE;
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
        "Could not rename %s: %s", tmp, g_strerror (errno));
  }
  if (!ok)
    g_unlink (tmp);
  g_free (tmp);
  return ok;
}

/**
 * gst_voice_manifest_write_fd:
 * @manifest: a manifest
 * @fd: a file open for writing, left open
 * @error: (optional): the error
 *
 * Writes the manifest's text to @fd, as it is made (never holding the
 * whole text), and syncs it. For a caller that creates and renames the
 * file itself, relative to a directory it holds open.
 *
 * Returns: %TRUE on success
 */
gboolean
gst_voice_manifest_write_fd (const GstVoiceManifest * manifest, gint fd,
    GError ** error)
{
  g_return_val_if_fail (manifest != nullptr && fd >= 0, FALSE);

  int err = 0;
  std::string buf;
  /* buffered: the text comes in many small pieces */
  auto flush = [&]() {
    gsize done = 0;
    while (done < buf.size ()) {
      gssize n = write (fd, buf.data () + done, buf.size () - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0) {
        err = errno;
        return false;
      }
      done += n;
    }
    buf.clear ();
    return true;
  };
  GDateTime *now = g_date_time_new_now_utc ();
  bool ok = manifest_write_text (manifest, now,[&](const gchar * s, gsize n) {
        buf.append (s, n);
        return buf.size () < 65536 || flush ();
      });
  g_date_time_unref (now);
  ok = ok && flush ();
  if (ok && fsync (fd) != 0) {
    ok = false;
    err = errno;
  }
  if (!ok)
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (err),
        "Could not write the manifest: %s", g_strerror (err ? err : EIO));
  return ok;
}
