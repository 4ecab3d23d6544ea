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
 * became 5 in the timeline). GCC's -O2 does not vectorise loops that
 * interleave or de-interleave, so those between mono and stereo are
 * written with SSE2, which every x86-64 processor has: eight samples a
 * step (callgrind: the three loops went from 208 M to 54 M instructions
 * in ten minutes of a call). Elsewhere the plain loops stand, and the
 * results are the same to the bit. */
#include "sse2.h"

namespace s16loops {

/* frames of a block of the plain stereo mix, where there is no SSE2 (two
 * vectors of 8 lanes) */
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
    gsize i = 0;
#ifdef VOICE_SSE2
    /* whole frames are read and written back, the other channel's
     * samples unchanged (the timeline places its inputs one after the
     * other, in one thread); the sample after the channel's last one may
     * be past the end of the buffer, so the last is left to the plain
     * loop */
    const __m128i other = _mm_set1_epi32 ((int) 0xffff0000u);
    const __m128i zero = _mm_setzero_si128 ();
    for (; i + 8 < n; i += 8) {
      __m128i s = _mm_loadu_si128 ((const __m128i *) (src + i));
      __m128i *d = (__m128i *) (dst + 2 * i);
      __m128i lo = _mm_and_si128 (_mm_loadu_si128 (d), other);
      __m128i hi = _mm_and_si128 (_mm_loadu_si128 (d + 1), other);
      _mm_storeu_si128 (d, _mm_or_si128 (lo, _mm_unpacklo_epi16 (s, zero)));
      _mm_storeu_si128 (d + 1,
          _mm_or_si128 (hi, _mm_unpackhi_epi16 (s, zero)));
    }
#endif
    for (; i < n; i++)
      dst[2 * i] = src[i];
  } else if (dst_stride == 1 && src_stride == 2) {
    /* one channel of a stereo call */
    gsize i = 0;
#ifdef VOICE_SSE2
    /* as above: never reads past the channel's last sample */
    for (; i + 8 < n; i += 8) {
      const __m128i *s = (const __m128i *) (src + 2 * i);
      /* each frame's first sample, sign-extended to 32 bits */
      __m128i a = _mm_srai_epi32 (_mm_slli_epi32 (_mm_loadu_si128 (s), 16),
          16);
      __m128i b = _mm_srai_epi32 (_mm_slli_epi32 (_mm_loadu_si128 (s + 1),
              16), 16);
      _mm_storeu_si128 ((__m128i *) (dst + i), _mm_packs_epi32 (a, b));
    }
#endif
    for (; i < n; i++)
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
#ifdef VOICE_SSE2
    /* each frame's two samples added to 32 bits, then saturated back */
    const __m128i ones = _mm_set1_epi16 (1);
    for (; f + 8 <= n; f += 8) {
      const __m128i *s = (const __m128i *) (src + 2 * f);
      __m128i a = _mm_madd_epi16 (_mm_loadu_si128 (s), ones);
      __m128i b = _mm_madd_epi16 (_mm_loadu_si128 (s + 1), ones);
      _mm_storeu_si128 ((__m128i *) (dst + f), _mm_packs_epi32 (a, b));
    }
#else
    /* elsewhere, blocks that GCC's -O2 can vectorise */
    for (; f + BLOCK <= n; f += BLOCK)
      for (gsize k = 0; k < BLOCK; k++)
        dst[f + k] = saturate (src[2 * (f + k)] + src[2 * (f + k) + 1]);
#endif
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
