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
#include <utility>
#include <vector>

namespace stall_watch {

namespace {

struct Watch
{
  std::mutex lock;
  std::condition_variable changed;
  std::vector < std::pair < GstObject *, Check > > watched;
  /* the owner whose check runs now, which unwatch () waits for */
  GstObject *running = nullptr;
  bool thread_running = false;
  std::thread::id thread;
};

Watch &
the_watch ()
{
  /* never destroyed: the thread may outlive static destruction */
  static Watch *w = new Watch ();
  return *w;
}

void
run ()
{
  Watch & w = the_watch ();
  std::unique_lock < std::mutex > lk (w.lock);
  w.thread = std::this_thread::get_id ();
  while (!w.watched.empty ()) {
    w.changed.wait_for (lk, std::chrono::nanoseconds (PERIOD));
    /* by index: the list may change while a check runs unlocked */
    for (gsize i = 0; i < w.watched.size (); i++) {
      auto entry = w.watched[i];
      w.running = entry.first;
      /* its own reference: the check may unwatch it */
      gst_object_ref (entry.first);
      lk.unlock ();
      entry.second (entry.first);
      gst_object_unref (entry.first);
      lk.lock ();
      w.running = nullptr;
      w.changed.notify_all ();
    }
  }
  w.thread_running = false;
}

}                               /* namespace */

void
watch (GstObject * owner, Check check)
{
  Watch & w = the_watch ();
  std::lock_guard < std::mutex > lk (w.lock);
  for (const auto & e:w.watched)
    if (e.first == owner)
      return;
  w.watched.push_back ({GST_OBJECT (gst_object_ref (owner)), check});
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
      [owner](const std::pair < GstObject *, Check > &e) {
        return e.first == owner;
      });
  if (it == w.watched.end ())
    return;
  w.watched.erase (it);
  /* a check of it that runs now ends first (unless this is that check) */
  if (std::this_thread::get_id () != w.thread)
    w.changed.wait (lk, [&w, owner] {
          return w.running != owner;
        });
  lk.unlock ();
  gst_object_unref (owner);
}

}                               /* namespace stall_watch */
