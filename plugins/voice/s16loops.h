/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

#include <cstring>

/* The per-sample loops of a recording's one streaming thread, over
 * native-endian S16 samples. The usual strides (mono, stereo) get loops of
 * their own, with the stride a constant of the addressing rather than a
 * pointer step kept in a register (callgrind: 9 instructions a sample
 * became 5 in the timeline). GCC's -O2 vectorises a loop only when its
 * trip count is a multiple of the vector width, so the mix, which adds and
 * saturates, runs in blocks of that size; the copies are not vectorised. */
namespace s16loops {

/* samples of a block: 8 lanes of SSE2 twice */
constexpr gsize BLOCK = 16;

/* Copies @n samples, every @src_stride-th of @src, to every
 * @dst_stride-th of @dst. */
inline void
copy_strided (gint16 * __restrict dst, guint dst_stride,
    const gint16 * __restrict src, guint src_stride, gsize n)
{
  if (dst_stride == 1 && src_stride == 1) {
    std::memcpy (dst, src, n * sizeof (gint16));
  } else if (dst_stride == 2 && src_stride == 1) {
    /* a speaker's mono samples into their channel of a stereo call */
    for (gsize i = 0; i < n; i++)
      dst[2 * i] = src[i];
  } else if (dst_stride == 1 && src_stride == 2) {
    /* one channel of a stereo call */
    for (gsize i = 0; i < n; i++)
      dst[i] = src[2 * i];
  } else {
    for (gsize i = 0; i < n; i++)
      dst[i * dst_stride] = src[i * src_stride];
  }
}

inline gint16
saturate (gint sum)
{
  return (gint16) CLAMP (sum, G_MININT16, G_MAXINT16);
}

/* Mixes @n frames of @channels interleaved channels into @n mono samples:
 * the channels are added, saturating. */
inline void
mix_down (gint16 * __restrict dst, const gint16 * __restrict src,
    guint channels, gsize n)
{
  gsize f = 0;
  if (channels == 2) {
    for (; f + BLOCK <= n; f += BLOCK)
      for (gsize k = 0; k < BLOCK; k++)
        dst[f + k] = saturate (src[2 * (f + k)] + src[2 * (f + k) + 1]);
    for (; f < n; f++)
      dst[f] = saturate (src[2 * f] + src[2 * f + 1]);
    return;
  }
  for (; f < n; f++) {
    gint sum = 0;
    for (guint c = 0; c < channels; c++)
      sum += src[f * channels + c];
    dst[f] = saturate (sum);
  }
}

}                               /* namespace s16loops */
