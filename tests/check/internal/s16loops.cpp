/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The sample loops of the recording's streaming thread, against the plain
 * loop each one stands for: every stride the elements use and others, and
 * lengths around the mix's block size, so that both the blocks and the
 * samples after them are checked.
 */
#include <gst/check/gstcheck.h>

#include "s16loops.h"

#include <vector>

/* loud enough for two or three channels to overflow when added */
static gint16
sample (guint i)
{
  return (gint16) (((i * 7919u + 13u) % 65536u) - 32768);
}

/* what another channel holds: a value of its own at each place */
static gint16
other (guint i)
{
  return (gint16) (-1000 - (gint) i);
}

GST_START_TEST (test_copy_strided)
{
  for (guint dst_stride = 1; dst_stride <= 3; dst_stride++)
    for (guint src_stride = 1; src_stride <= 3; src_stride++)
      for (gsize n = 0; n <= 3 * s16loops::BLOCK + 1; n++) {
        /* each exactly as long as the samples it gives or takes reach,
         * as for the last channel of a buffer: AddressSanitizer tells a
         * read or write past the end (one sample, never touched, for
         * none: no null pointers) */
        std::vector < gint16 > src (n ? (n - 1) * src_stride + 1 : 1);
        for (guint i = 0; i < src.size (); i++)
          src[i] = sample (i);
        /* the samples in between (the other channels) are left as they
         * are, each where it was */
        std::vector < gint16 > dst (n ? (n - 1) * dst_stride + 1 : 1);
        for (guint i = 0; i < dst.size (); i++)
          dst[i] = other (i);
        s16loops::copy_strided (dst.data (), dst_stride, src.data (),
            src_stride, n);
        for (gsize i = 0; i < dst.size (); i++) {
          gint16 want = i % dst_stride == 0 && i / dst_stride < n ?
              src[i / dst_stride * src_stride] : other (i);
          if (dst[i] != want)
            fail ("strides %u <- %u, %" G_GSIZE_FORMAT " samples: [%"
                G_GSIZE_FORMAT "] is %d, not %d", dst_stride, src_stride, n,
                i, dst[i], want);
        }
      }
}

GST_END_TEST;

GST_START_TEST (test_mix_down)
{
  /* of stereo, the vectorised case, both ways */
  guint saturated_high = 0, saturated_low = 0;
  for (guint channels = 1; channels <= 3; channels++)
    for (gsize n = 0; n <= 3 * s16loops::BLOCK + 1; n++) {
      std::vector < gint16 > src (n * channels);
      for (guint i = 0; i < src.size (); i++)
        src[i] = sample (i);
      std::vector < gint16 > dst (n + 1, 123);
      s16loops::mix_down (dst.data (), src.data (), channels, n);
      for (gsize f = 0; f < n; f++) {
        gint sum = 0;
        for (guint c = 0; c < channels; c++)
          sum += src[f * channels + c];
        gint want = CLAMP (sum, G_MININT16, G_MAXINT16);
        if (channels == 2) {
          saturated_high += sum > G_MAXINT16;
          saturated_low += sum < G_MININT16;
        }
        if (dst[f] != want)
          fail ("%u channels, %" G_GSIZE_FORMAT " frames: [%" G_GSIZE_FORMAT
              "] is %d, not %d", channels, n, f, dst[f], want);
      }
      fail_unless_equals_int (dst[n], 123);
    }
  /* the sums did overflow, so saturation was checked */
  fail_unless (saturated_high > 50 && saturated_low > 50);
}

GST_END_TEST;

static Suite *
s16loops_suite (void)
{
  Suite *s = suite_create ("s16loops");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_copy_strided);
  tcase_add_test (tc, test_mix_down);
  return s;
}

GST_CHECK_MAIN (s16loops);
