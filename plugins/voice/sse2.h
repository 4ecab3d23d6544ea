/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

/* Whether the per-sample loops use SSE2, which every x86-64 processor has.
 * Elsewhere, or built with VOICE_NO_SSE2 (as the unit tests also are), the
 * plain loops run: the same operations in the same order, so the same
 * results to the bit wherever float arithmetic is done in float
 * (FLT_EVAL_METHOD 0: x86-64, ARM; not the x87). */
#if defined (__SSE2__) && !defined (VOICE_NO_SSE2)
#define VOICE_SSE2 1
#include <emmintrin.h>
#endif
