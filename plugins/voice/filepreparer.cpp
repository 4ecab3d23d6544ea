/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "filepreparer.h"

GST_DEBUG_CATEGORY_EXTERN (gst_voice_manifest_sink_debug);
#define GST_CAT_DEFAULT gst_voice_manifest_sink_debug

struct FilePreparer::Job
{
  FilePreparer *preparer;
  std::string part;             /* to prepare, if @file is NULL */
  std::unique_ptr < EncodedFile > file; /* to dispose of */
};

/* One pool for the process, whose threads GLib shares with other pools:
 * no thread per recording. */
GThreadPool *
FilePreparer::pool ()
{
  static GThreadPool *pool;
  if (g_once_init_enter (&pool)) {
    GThreadPool *p = g_thread_pool_new (FilePreparer::run, nullptr,
        MAX (1, (gint) g_get_num_processors ()), FALSE, nullptr);
    g_once_init_leave (&pool, p);
  }
  return pool;
}

FilePreparer::FilePreparer (RecordingDir & dir, RecordingFormat format,
    gint rate, const std::string & extension, guint ahead)
:  dir_ (dir), format_ (format), rate_ (rate), extension_ (extension),
    ahead_ (ahead)
{
}

void
FilePreparer::wait ()
{
  std::unique_lock < std::mutex > lk (lock_);
  done_.wait (lk,[this] {
        return in_flight_ == 0;
      });
}

FilePreparer::~FilePreparer ()
{
  wait ();
  std::deque < Prepared > unused;
  {
    std::lock_guard < std::mutex > lk (lock_);
    unused.swap (ready_);
  }
  for (Prepared & p:unused) {
    p.file.reset ();
    dir_.remove (RecordingDir::SEGMENTS, p.part);
  }
  std::lock_guard < std::mutex > lk (lock_);
  idle_.clear ();
}

FilePreparer::Prepared FilePreparer::prepare (const std::string & part)
{
  Prepared p;
  p.part = part;
  int fd = dir_.create (RecordingDir::SEGMENTS, part, p.error);
  if (fd < 0)
    return p;
  p.created = true;
  std::unique_ptr < EncodedFile > idle;
  {
    std::lock_guard < std::mutex > lk (lock_);
    if (!idle_.empty ()) {
      idle = std::move (idle_.front ());
      idle_.pop_front ();
    }
  }
  if (idle && idle->restart (fd, p.error))
    p.file = std::move (idle);
  else
    /* (a failed restart gives the file descriptor back) */
    p.file = EncodedFile::create (format_, rate_, 1, 0, fd, p.error);
  if (!p.file)
    dir_.remove (RecordingDir::SEGMENTS, part);
  return p;
}

void
FilePreparer::run (gpointer data, gpointer)
{
  std::unique_ptr < Job > job (static_cast < Job * >(data));
  FilePreparer *self = job->preparer;
  bool dispose = job->file != nullptr;
  Prepared p;
  if (dispose)
    job->file->stop ();
  else
    p = self->prepare (job->part);

  {
    std::lock_guard < std::mutex > lk (self->lock_);
    /* a few kept: as many as are made ready ahead. Not vorbisenc's: its
     * next file had 384 frames too many (opusenc's, also into oggmux,
     * had not) */
    if (dispose && self->format_ != RECORDING_FORMAT_OGG
        && self->idle_.size () < self->ahead_ + 1)
      self->idle_.push_back (std::move (job->file));
    if (!dispose) {
      self->ready_.push_back (std::move (p));
      self->preparing_--;
    }
  }
  /* one not kept is destroyed before its job counts as done: the
   * destructor waits for that */
  job->file.reset ();
  std::lock_guard < std::mutex > lk (self->lock_);
  if (--self->in_flight_ == 0)
    self->done_.notify_all ();
}

void
FilePreparer::push (Job * job)
{
  GError *err = nullptr;
  /* on failure the job stays queued for the pool's next free thread */
  if (!g_thread_pool_push (pool (), job, &err)) {
    GST_WARNING ("no thread to prepare or close a segment file: %s",
        err->message);
    g_error_free (err);
  }
}

/* with lock_ held */
std::string
FilePreparer::next_part ()
{
  return ".part-" + std::to_string (n_parts_++) + "." + extension_;
}

/* with lock_ held */
void
FilePreparer::refill ()
{
  while (ready_.size () + preparing_ < ahead_) {
    Job *job = new Job { this, next_part (), nullptr };
    preparing_++;
    in_flight_++;
    push (job);
  }
}

FilePreparer::Prepared FilePreparer::take ()
{
  std::string part;
  {
    std::lock_guard < std::mutex > lk (lock_);
    if (!ready_.empty ()) {
      Prepared p = std::move (ready_.front ());
      ready_.pop_front ();
      refill ();
      return p;
    }
    /* not waiting for the workers: they may be busy with other
     * recordings' files */
    part = next_part ();
    refill ();
  }
  return prepare (part);
}

void
FilePreparer::dispose (std::unique_ptr < EncodedFile > file)
{
  std::lock_guard < std::mutex > lk (lock_);
  in_flight_++;
  push (new Job { this, "", std::move (file) });
}
