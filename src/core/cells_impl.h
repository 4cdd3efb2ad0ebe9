/* Internal: matrices as compressed rows of non-zero cells (the aggregate's and the levels'): their
 * non-zero entries found in int64 rows eight at a time (the merge's rows, and a dense matrix the
 * indices are given), and a cell looked up in its row. */
#ifndef REGIO_CELLS_IMPL_H
#define REGIO_CELLS_IMPL_H

#include <stddef.h>
#include <stdint.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Bit j set: r[j] != 0, for j < 8 (SSE2: 64-bit lanes compared as pairs of 32-bit halves). */
static inline unsigned regio_nonzero_mask8(const int64_t *r) {
#ifdef __SSE2__
  const __m128i z = _mm_setzero_si128();
  const __m128i a0 = _mm_loadu_si128((const __m128i *)(const void *)r);
  const __m128i a1 = _mm_loadu_si128((const __m128i *)(const void *)(r + 2));
  const __m128i a2 = _mm_loadu_si128((const __m128i *)(const void *)(r + 4));
  const __m128i a3 = _mm_loadu_si128((const __m128i *)(const void *)(r + 6));
  if (_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_or_si128(_mm_or_si128(a0, a1), _mm_or_si128(a2, a3)), z)) == 0xFFFF)
    return 0;
  unsigned zero = 0;
  const __m128i a[4] = {a0, a1, a2, a3};
  for (int i = 0; i < 4; i++) {
    __m128i c = _mm_cmpeq_epi32(a[i], z);
    c = _mm_and_si128(c, _mm_shuffle_epi32(c, 0xB1)); /* both halves zero */
    zero |= (unsigned)_mm_movemask_pd(_mm_castsi128_pd(c)) << (2 * i);
  }
  return ~zero & 0xFFu;
#else
  unsigned mask = 0;
  for (int j = 0; j < 8; j++) mask |= (unsigned)(r[j] != 0) << j;
  return mask;
#endif
}

/* The first k in [lo, hi) with sector[k] >= s (hi when none): a row's cells are in ascending
 * sector order. */
static inline size_t regio_cells_lower_bound(const uint32_t *sector, size_t lo, size_t hi, size_t s) {
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if (sector[mid] < s)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

#endif
