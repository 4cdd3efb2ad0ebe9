/* The logarithms of the indices: a table of 128 intervals and a polynomial, in the manner of
 * Tang (1990) and of the logarithms of ARM's optimized-routines, with the table's reciprocals cut to
 * 8 bits so that the reduced argument is exact (scripts/gen_log_table.py says how the table is
 * made). The scalar kernel is the reference; the AVX2 kernel takes the same operations in the same
 * order on 4 lanes, so both give the same bits. */
#include "core/log_impl.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/log_table.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define REGIO_LOG_AVX2 1
#endif

static inline uint64_t bits_of(double x) {
  uint64_t u;
  memcpy(&u, &x, sizeof u);
  return u;
}

static inline double double_of(uint64_t u) {
  double x;
  memcpy(&x, &u, sizeof x);
  return x;
}

/* positive, normal and finite: the numbers the table takes */
static inline int log_takes(uint64_t ix) {
  return ix - 0x0010000000000000ULL < 0x7ff0000000000000ULL - 0x0010000000000000ULL;
}

/* log(1 + r) - r = r^2 (c2 + c3 r + ... + c9 r^7), |r| <= 2^-7 */
static inline double log_tail(double r) {
  double p = log_poly[7];
  for (int j = 6; j >= 0; j--) p = fma(p, r, log_poly[j]);
  return r * r * p;
}

/* x = 2^k z, z in [0x1.6p-1, 0x1.6p0); log x = k log 2 - log invc + log(1 + r), r = z invc - 1 exact.
 * hi + lo carries the sum: fast two-sums, the larger term first (the table's generator checks it
 * where k = 0), so that only the last addition rounds at the result's precision. */
static double log_one(uint64_t ix, int base2) {
  const uint64_t tmp = ix - LOG_OFF;
  const size_t i = (size_t)(tmp >> 45) & (LOG_TABLE_N - 1);
  const double kd = (double)((int64_t)tmp >> 52);
  const double z = double_of(ix - (tmp & 0xfff0000000000000ULL));
  const double r = fma(z, log_invc[i], -1.0);
  const double tail = log_tail(r);
  if (!base2) {
    const double a = kd * log_ln2_hi; /* exact: log_ln2_hi has 42 bits */
    const double big = a + log_ln_hi[i], big_err = (a - big) + log_ln_hi[i];
    const double hi = big + r, hi_err = (big - hi) + r;
    const double lo = hi_err + big_err + fma(kd, log_ln2_lo, log_ln_lo[i]) + tail;
    return hi + lo;
  }
  const double big = kd + log_lg_hi[i], big_err = (kd - big) + log_lg_hi[i];
  const double t = r * log_inv_ln2_hi, t_err = fma(r, log_inv_ln2_hi, -t);
  const double hi = big + t, hi_err = (big - hi) + t;
  const double lo = hi_err + big_err + log_lg_lo[i] + t_err + fma(r, log_inv_ln2_lo, tail * log_inv_ln2_hi);
  return hi + lo;
}

double regio_log_reference(double x) {
  const uint64_t ix = bits_of(x);
  return log_takes(ix) ? log_one(ix, 0) : log(x);
}

double regio_log2_reference(double x) {
  const uint64_t ix = bits_of(x);
  return log_takes(ix) ? log_one(ix, 1) : log2(x);
}

#ifdef REGIO_LOG_AVX2
#define AVX2 __attribute__((target("avx2,fma")))
/* inlined into the loops, so that the constants are loaded once a loop, not once a call */
#define AVX2_INLINE __attribute__((target("avx2,fma"), always_inline))

static inline AVX2_INLINE __m256d fast_two_sum(__m256d a, __m256d b, __m256d *err) {
  const __m256d s = _mm256_add_pd(a, b);
  *err = _mm256_add_pd(_mm256_sub_pd(a, s), b);
  return s;
}

/* log_one on 4 lanes (every lane's argument taken by the table) */
static inline AVX2_INLINE __m256d log_four(__m256i ix, int base2) {
  const __m256i tmp = _mm256_sub_epi64(ix, _mm256_set1_epi64x((long long)LOG_OFF));
  const __m256i i = _mm256_and_si256(_mm256_srli_epi64(tmp, 45), _mm256_set1_epi64x(LOG_TABLE_N - 1));
  /* k = tmp >> 52 (arithmetic, 12 bits) as a double: 0x1.8p52 + k has k in its low bits */
  const __m256i kbits = _mm256_add_epi64(_mm256_xor_si256(_mm256_srli_epi64(tmp, 52), _mm256_set1_epi64x(0x800)),
                                         _mm256_set1_epi64x(0x4338000000000000LL - 0x800));
  const __m256d kd = _mm256_sub_pd(_mm256_castsi256_pd(kbits), _mm256_set1_pd(0x1.8p52));
  const __m256d z = _mm256_castsi256_pd(
      _mm256_sub_epi64(ix, _mm256_and_si256(tmp, _mm256_set1_epi64x((long long)0xfff0000000000000ULL))));
  const __m256d r = _mm256_fmadd_pd(z, _mm256_i64gather_pd(log_invc, i, 8), _mm256_set1_pd(-1.0));
  __m256d p = _mm256_set1_pd(log_poly[7]);
  for (int j = 6; j >= 0; j--) p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(log_poly[j]));
  const __m256d tail = _mm256_mul_pd(_mm256_mul_pd(r, r), p);
  __m256d big_err, hi_err;
  if (!base2) {
    const __m256d a = _mm256_mul_pd(kd, _mm256_set1_pd(log_ln2_hi));
    const __m256d big = fast_two_sum(a, _mm256_i64gather_pd(log_ln_hi, i, 8), &big_err);
    const __m256d hi = fast_two_sum(big, r, &hi_err);
    __m256d lo = _mm256_add_pd(hi_err, big_err);
    lo = _mm256_add_pd(lo, _mm256_fmadd_pd(kd, _mm256_set1_pd(log_ln2_lo), _mm256_i64gather_pd(log_ln_lo, i, 8)));
    lo = _mm256_add_pd(lo, tail);
    return _mm256_add_pd(hi, lo);
  }
  const __m256d big = fast_two_sum(kd, _mm256_i64gather_pd(log_lg_hi, i, 8), &big_err);
  const __m256d inv_hi = _mm256_set1_pd(log_inv_ln2_hi);
  const __m256d t = _mm256_mul_pd(r, inv_hi), t_err = _mm256_fmsub_pd(r, inv_hi, t);
  const __m256d hi = fast_two_sum(big, t, &hi_err);
  __m256d lo = _mm256_add_pd(hi_err, big_err);
  lo = _mm256_add_pd(lo, _mm256_i64gather_pd(log_lg_lo, i, 8));
  lo = _mm256_add_pd(lo, t_err);
  lo = _mm256_add_pd(lo, _mm256_fmadd_pd(r, _mm256_set1_pd(log_inv_ln2_lo), _mm256_mul_pd(tail, inv_hi)));
  return _mm256_add_pd(hi, lo);
}

/* the logarithms of x[0, 4); the lanes the table does not take get the C library's */
static inline AVX2_INLINE __m256d log_load_four(const double *x, int base2) {
  const __m256i ix = _mm256_loadu_si256((const __m256i *)x);
  const __m256i takes = _mm256_and_si256(_mm256_cmpgt_epi64(ix, _mm256_set1_epi64x(0x000fffffffffffffLL)),
                                         _mm256_cmpgt_epi64(_mm256_set1_epi64x(0x7ff0000000000000LL), ix));
  const __m256d v = log_four(ix, base2);
  if (_mm256_movemask_pd(_mm256_castsi256_pd(takes)) == 0xf) return v;
  double lanes[4];
  _mm256_storeu_pd(lanes, v);
  for (int j = 0; j < 4; j++)
    if (!log_takes(bits_of(x[j]))) lanes[j] = base2 ? log2(x[j]) : log(x[j]);
  return _mm256_loadu_pd(lanes);
}

static inline AVX2_INLINE void log_store_four(const double *x, double *y, int base2) {
  _mm256_storeu_pd(y, log_load_four(x, base2));
}

/* log_dot_reference's sum: lane l of acc takes the terms j = l (mod 4) in order; the last 1 to 3
 * are padded with terms 0 log 1 = +0, which leave a lane as it is (a lane is never -0) */
static AVX2 double log_dot_avx2(const double *w, const double *x, size_t n, int base2) {
  __m256d acc = _mm256_setzero_pd();
  size_t k = 0;
  for (; k + 4 <= n; k += 4)
    acc = _mm256_add_pd(acc, _mm256_mul_pd(_mm256_loadu_pd(w + k), log_load_four(x + k, base2)));
  if (k < n) {
    double wk[4] = {0.0, 0.0, 0.0, 0.0}, xk[4] = {1.0, 1.0, 1.0, 1.0};
    memcpy(wk, w + k, (n - k) * sizeof *w);
    memcpy(xk, x + k, (n - k) * sizeof *x);
    acc = _mm256_add_pd(acc, _mm256_mul_pd(_mm256_loadu_pd(wk), log_load_four(xk, base2)));
  }
  double lanes[4];
  _mm256_storeu_pd(lanes, acc);
  return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
}

static AVX2 void log_batch_avx2(const double *x, double *y, size_t n, int base2) {
  size_t k = 0;
  for (; k + 4 <= n; k += 4) log_store_four(x + k, y + k, base2);
  if (k < n) { /* the last 1 to 3, padded with ones */
    double in[4] = {1.0, 1.0, 1.0, 1.0}, out[4];
    memcpy(in, x + k, (n - k) * sizeof *x);
    log_store_four(in, out, base2);
    memcpy(y + k, out, (n - k) * sizeof *y);
  }
}

static int log_have_avx2(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#endif

static void log_batch(const double *x, double *y, size_t n, int base2) {
#ifdef REGIO_LOG_AVX2
  if (log_have_avx2()) {
    log_batch_avx2(x, y, n, base2);
    return;
  }
#endif
  for (size_t k = 0; k < n; k++) y[k] = base2 ? regio_log2_reference(x[k]) : regio_log_reference(x[k]);
}

/* sum of w[j] log x[j] (log2), j < n: four sums of every fourth term, then added in pairs */
static double log_dot_reference(const double *w, const double *x, size_t n, int base2) {
  double acc[4] = {0.0, 0.0, 0.0, 0.0};
  for (size_t j = 0; j < n; j++) acc[j % 4] += w[j] * (base2 ? regio_log2_reference(x[j]) : regio_log_reference(x[j]));
  return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

static double log_dot(const double *w, const double *x, size_t n, int base2) {
#ifdef REGIO_LOG_AVX2
  if (log_have_avx2()) return log_dot_avx2(w, x, n, base2);
#endif
  return log_dot_reference(w, x, n, base2);
}

double regio_log_dot(const double *w, const double *x, size_t n) {
  return log_dot(w, x, n, 0);
}

double regio_log2_dot(const double *w, const double *x, size_t n) {
  return log_dot(w, x, n, 1);
}

double regio_log_dot_reference(const double *w, const double *x, size_t n) {
  return log_dot_reference(w, x, n, 0);
}

double regio_log2_dot_reference(const double *w, const double *x, size_t n) {
  return log_dot_reference(w, x, n, 1);
}

void regio_log_batch(const double *x, double *y, size_t n) {
  log_batch(x, y, n, 0);
}

void regio_log2_batch(const double *x, double *y, size_t n) {
  log_batch(x, y, n, 1);
}

double regio_log(double x) {
  double y;
  log_batch(&x, &y, 1, 0);
  return y;
}

double regio_log2(double x) {
  double y;
  log_batch(&x, &y, 1, 1);
  return y;
}
