/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The process's stall watch on its own (voicesegmenter's watch for live
 * audio that stops): a stream that stays due is checked once a period, not
 * over and over; a check that blocks holds up no other stream's; and once
 * unwatch () returns, no check of that stream runs.
 */
#include <gst/check/gstcheck.h>

#include "stallwatch.h"

#include <atomic>

/* What the watch does to one stream: here a pad stands for the element. */
struct Watched
{
  std::atomic < guint > checks { 0 };
  /* a check waits while this is set */
  std::atomic < bool > hold { false };
  std::atomic < bool > in_check { false };
};

static Watched *
watched_of (GstObject * owner)
{
  return static_cast < Watched * >(g_object_get_data (G_OBJECT (owner),
          "watched"));
}

static bool
always_due (GstObject *)
{
  return true;
}

static void
check (GstObject * owner)
{
  Watched *w = watched_of (owner);
  w->in_check = true;
  while (w->hold)
    g_usleep (1000);
  w->checks++;
  w->in_check = false;
}

static GstObject *
new_owner (Watched * w)
{
  GstObject *owner = GST_OBJECT (gst_object_ref_sink (gst_pad_new (nullptr,
              GST_PAD_SRC)));
  g_object_set_data (G_OBJECT (owner), "watched", w);
  return owner;
}

/* until @cond holds, for ten seconds at most */
template < typename F > static bool
wait_until (F cond)
{
  for (guint i = 0; i < 10000 && !cond (); i++)
    g_usleep (1000);
  return cond ();
}

/* A stream that stays due (a paused pipeline, a clock behind) is checked
 * once a period: the watch does not queue its check again as soon as the
 * last one ended. */
GST_START_TEST (test_once_a_period)
{
  Watched w;
  GstObject *owner = new_owner (&w);
  gint64 start = g_get_monotonic_time ();
  stall_watch::watch (owner, always_due, check);
  g_usleep (500 * 1000);
  stall_watch::unwatch (owner);
  gint64 elapsed_us = g_get_monotonic_time () - start;

  guint periods = (guint) (elapsed_us * GST_USECOND / stall_watch::PERIOD);
  guint checks = w.checks;
  fail_unless (checks >= 1, "never checked");
  fail_unless (checks <= periods + 2, "%u checks in %u periods", checks,
      periods);
  /* none after unwatch () */
  g_usleep (3 * stall_watch::PERIOD / GST_USECOND);
  fail_unless_equals_int (w.checks, checks);
  gst_object_unref (owner);
}

GST_END_TEST;

/* One stream's check blocks (its downstream does not take the audio): the
 * other streams are still checked. */
GST_START_TEST (test_blocked_check_holds_up_no_other)
{
  Watched blocked, other;
  blocked.hold = true;
  GstObject *a = new_owner (&blocked);
  GstObject *b = new_owner (&other);
  stall_watch::watch (a, always_due, check);
  stall_watch::watch (b, always_due, check);

  fail_unless (wait_until ([&] {
            return blocked.in_check.load ();
          }), "the first stream was never checked");
  guint before = other.checks;
  fail_unless (wait_until ([&] {
            return other.checks >= before + 3;
          }), "the other stream waits for the blocked check");
  fail_unless_equals_int (blocked.checks, 0);

  blocked.hold = false;
  fail_unless (wait_until ([&] {
            return blocked.checks >= 1;
          }));
  stall_watch::unwatch (a);
  stall_watch::unwatch (b);
  gst_object_unref (a);
  gst_object_unref (b);
}

GST_END_TEST;

struct Unwatching
{
  GstObject *owner;
  std::atomic < bool > returned { false };
};

static gpointer
unwatch_in_thread (gpointer data)
{
  Unwatching *u = static_cast < Unwatching * >(data);
  stall_watch::unwatch (u->owner);
  u->returned = true;
  return nullptr;
}

/* unwatch () returns once the check that runs has ended: after it, the
 * element may reset what the check looks at. */
GST_START_TEST (test_unwatch_waits_for_the_check)
{
  Watched w;
  w.hold = true;
  GstObject *owner = new_owner (&w);
  stall_watch::watch (owner, always_due, check);
  fail_unless (wait_until ([&] {
            return w.in_check.load ();
          }), "never checked");

  Unwatching u;
  u.owner = owner;
  GThread *t = g_thread_new ("unwatch", unwatch_in_thread, &u);
  g_usleep (100 * 1000);
  fail_if (u.returned, "unwatch () returned while the check ran");
  w.hold = false;
  g_thread_join (t);
  fail_unless (u.returned);
  fail_if (w.in_check);
  fail_unless_equals_int (w.checks, 1);
  gst_object_unref (owner);
}

GST_END_TEST;

/* a check that unwatches and watches its own stream again, then takes
 * four periods; how many of its checks ran at once */
static std::atomic < guint > concurrent { 0 };
static std::atomic < guint > most_at_once { 0 };
static std::atomic < guint > rewatch_checks { 0 };

static void
check_and_rewatch (GstObject * owner)
{
  guint now = ++concurrent;
  guint most = most_at_once;
  while (now > most && !most_at_once.compare_exchange_weak (most, now));
  if (rewatch_checks++ == 0) {
    stall_watch::unwatch (owner);
    stall_watch::watch (owner, always_due, check_and_rewatch);
  }
  g_usleep (4 * stall_watch::PERIOD / GST_USECOND);
  concurrent--;
}

/* Watched again while its check runs (the check itself did it): its next
 * check waits for that one, never two at once for one stream. */
GST_START_TEST (test_watched_again_while_checked)
{
  Watched w;
  GstObject *owner = new_owner (&w);
  stall_watch::watch (owner, always_due, check_and_rewatch);
  fail_unless (wait_until ([] {
            return rewatch_checks >= 3;
          }), "checked %u times", rewatch_checks.load ());
  stall_watch::unwatch (owner);
  fail_unless_equals_int (most_at_once, 1);
  gst_object_unref (owner);
}

GST_END_TEST;

static Suite *
stallwatch_suite (void)
{
  Suite *s = suite_create ("stallwatch");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_once_a_period);
  tcase_add_test (tc, test_blocked_check_holds_up_no_other);
  tcase_add_test (tc, test_unwatch_waits_for_the_check);
  tcase_add_test (tc, test_watched_again_while_checked);
  return s;
}

GST_CHECK_MAIN (stallwatch);
