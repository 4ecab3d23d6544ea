/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

#include <string>

/* The directory of one recording and its `segments/` subdirectory, held
 * open, so that every file is created and renamed relative to them: no
 * symbolic link planted in them is followed, and nothing is written
 * outside. File names come from the recorder, never from speaker input.
 * While it is open, create (), rename (), remove () and path () may be
 * called from any thread (FilePreparer's workers make files in it). */
class RecordingDir
{
public:
  enum Where
  { TOP, SEGMENTS };

  ~RecordingDir ();

  /* Creates @location (with its parents) and `segments/` in it. */
  bool open (const std::string & location, std::string & error);
  void close ();
  /* Closes, and removes the directories that open () created if nothing
   * was put in them: a recording that received nothing leaves no trace. */
  void discard ();

  /* A new file @name, replacing whatever was there (a symbolic link is
   * replaced, not followed). Returns the fd, or -1 with @error set. */
  int create (Where where, const std::string & name, std::string & error);
  /* Replaces @to by @from, atomically. */
  bool rename (Where where, const std::string & from, const std::string & to,
      std::string & error);
  void remove (Where where, const std::string & name);

  /* for messages and the manifest */
  std::string path (Where where, const std::string & name) const;
  const std::string & location () const { return location_; }
  int top_fd () const { return top_; }

private:
  int fd (Where where) const { return where == TOP ? top_ : segments_; }

  std::string location_;
  int top_ = -1;
  int segments_ = -1;
  bool created_top_ = false;
  bool created_segments_ = false;
};
