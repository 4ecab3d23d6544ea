/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "stallwatch.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace stall_watch {

namespace {

struct Entry
{
  GstObject *owner;
  Due due;
  Check check;
};

/* a check queued or running: unwatch () waits for it, and its owner's is
 * not queued again meanwhile (even when watched again) */
struct Running
{
  GstObject *owner;
  Check check;
  /* the pool thread once it runs, to let a check unwatch its own owner */
  std::thread::id thread;
};

struct Watch
{
  std::mutex lock;
  /* a check ended: for unwatch (), never for the watch thread, which
   * keeps its period */
  std::condition_variable check_ended;
  /* never notified: the watch thread's sleep, its lock let go */
  std::condition_variable tick;
  std::vector < Entry > watched;
  std::vector < Running * > running;
  GThreadPool *pool = nullptr;
  bool thread_running = false;
};

Watch &
the_watch ()
{
  /* never destroyed: the threads may outlive static destruction */
  static Watch *w = new Watch ();
  return *w;
}

void
run_check (gpointer data, gpointer)
{
  Watch & w = the_watch ();
  Running *r = static_cast < Running * >(data);
  {
    std::lock_guard < std::mutex > lk (w.lock);
    r->thread = std::this_thread::get_id ();
  }
  r->check (r->owner);

  {
    std::lock_guard < std::mutex > lk (w.lock);
    w.running.erase (std::find (w.running.begin (), w.running.end (), r));
    w.check_ended.notify_all ();
  }
  /* outside the lock: this may be the last reference */
  gst_object_unref (r->owner);
  delete r;
}

void
run ()
{
  Watch & w = the_watch ();
  std::unique_lock < std::mutex > lk (w.lock);
  auto next = std::chrono::steady_clock::now ();
  while (!w.watched.empty ()) {
    next += std::chrono::nanoseconds (PERIOD);
    auto now = std::chrono::steady_clock::now ();
    /* late (a busy machine): the next period from now, not a burst */
    if (next < now)
      next = now;
    while (w.tick.wait_until (lk, next) != std::cv_status::timeout);
    for (auto & e:w.watched) {
      /* most of the time no check runs: a short walk */
      if (std::any_of (w.running.begin (), w.running.end (),
              [&e](const Running * r) {
                return r->owner == e.owner;
              }) || !e.due (e.owner))
        continue;
      Running *r = new Running { GST_OBJECT (gst_object_ref (e.owner)),
        e.check, {}
      };
      w.running.push_back (r);
      GError *err = nullptr;
      /* on failure the check stays queued for the pool's next free thread */
      if (!g_thread_pool_push (w.pool, r, &err)) {
        GST_WARNING_OBJECT (e.owner, "no thread for the stall check: %s",
            err->message);
        g_error_free (err);
      }
    }
  }
  w.thread_running = false;
}

}                               /* namespace */

void
watch (GstObject * owner, Due due, Check check)
{
  Watch & w = the_watch ();
  std::lock_guard < std::mutex > lk (w.lock);
  for (const auto & e:w.watched)
    if (e.owner == owner)
      return;
  w.watched.push_back ({GST_OBJECT (gst_object_ref (owner)), due, check});
  /* as many threads as checks at once: most of the time none */
  if (!w.pool)
    w.pool = g_thread_pool_new (run_check, nullptr, -1, FALSE, nullptr);
  if (!w.thread_running) {
    w.thread_running = true;
    std::thread (run).detach ();
  }
}

void
unwatch (GstObject * owner)
{
  Watch & w = the_watch ();
  std::unique_lock < std::mutex > lk (w.lock);
  auto it = std::find_if (w.watched.begin (), w.watched.end (),
      [owner](const Entry & e) {
        return e.owner == owner;
      });
  if (it == w.watched.end ())
    return;
  w.watched.erase (it);
  /* a check of it that is queued or runs ends first (unless this is that
   * check) */
  const auto self = std::this_thread::get_id ();
  w.check_ended.wait (lk,[&w, owner, self] {
        return std::none_of (w.running.begin (), w.running.end (),
            [owner, self](const Running * r) {
              return r->owner == owner && r->thread != self;
            });
      });
  lk.unlock ();
  gst_object_unref (owner);
}

}                               /* namespace stall_watch */
