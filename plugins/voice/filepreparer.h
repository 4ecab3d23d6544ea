/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "encodedfile.h"
#include "recordingdir.h"

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

/* Segment files made ready ahead and shut down afterwards, in worker
 * threads shared by every recording of the process. Creating a file and
 * starting its encoder's pipeline, and stopping it, are a few dozen state
 * changes, each of which wakes threads: about a millisecond per file that
 * would otherwise stall the streaming thread at every segment. A finished
 * file's encoder is stopped and kept for a next file, not destroyed. */
class FilePreparer
{
public:
  struct Prepared
  {
    std::string part;           /* its temporary name in segments/ */
    std::unique_ptr < EncodedFile > file;       /* NULL on failure */
    bool created = false;       /* else creating the file failed */
    std::string error;
  };

  /* Keeps @ahead files ready. */
  FilePreparer (RecordingDir & dir, RecordingFormat format, gint rate,
      const std::string & extension, guint ahead);
  /* Waits for the work in flight; removes the files never taken. */
  ~FilePreparer ();
  FilePreparer (const FilePreparer &) = delete;
  FilePreparer & operator= (const FilePreparer &) = delete;

  /* A new mono segment file: one made ready, or made now if none is. */
  Prepared take ();
  /* Stops a finished file's pipeline off the caller's thread, to be
   * used again. */
  void dispose (std::unique_ptr < EncodedFile > file);
  /* Waits for the work in flight. */
  void wait ();

private:
  struct Job;
  static GThreadPool *pool ();
  static void run (gpointer job, gpointer);
  static void push (Job * job);
  Prepared prepare (const std::string & part);
  std::string next_part ();
  void refill ();

  RecordingDir & dir_;
  RecordingFormat format_;
  gint rate_;
  std::string extension_;
  guint ahead_;
  guint n_parts_ = 0;

  std::mutex lock_;
  std::condition_variable done_;
  std::deque < Prepared > ready_;
  /* encoders stopped after their file, for the next ones */
  std::deque < std::unique_ptr < EncodedFile > >idle_;
  guint preparing_ = 0;
  guint in_flight_ = 0;         /* jobs of any kind */
};
