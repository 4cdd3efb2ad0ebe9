/* regio_log and regio_log2 (src/core/log.c) against long double logl / log2l (the x87's 64-bit
 * significand: its own error is about 1/2,000 of a double's ulp), the exact values, the special
 * arguments, and the batch kernel against the scalar reference, bit for bit. */
#include <float.h>

#include "core/log_impl.h"
#include "testing.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t next_random(void) { /* splitmix64 */
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static double from_bits(uint64_t u) {
  double x;
  memcpy(&x, &u, sizeof x);
  return x;
}

static uint64_t to_bits(double x) {
  uint64_t u;
  memcpy(&u, &x, sizeof u);
  return u;
}

/* |y - exact| in ulps of the double nearest exact */
static double ulp_error(double y, long double exact) {
  if (exact == 0) return y == 0 ? 0 : INFINITY;
  int e;
  frexpl(exact, &e); /* |exact| in [2^(e-1), 2^e) */
  const long double ulp = ldexpl(1.0L, (e - 1 < DBL_MIN_EXP - 1 ? DBL_MIN_EXP - 1 : e - 1) - (DBL_MANT_DIG - 1));
  return (double)(fabsl((long double)y - exact) / ulp);
}

typedef struct {
  double worst, worst_x;
  size_t n;
} accuracy_t;

/* the reference kernels on xs against long double; the batch and one-value functions against the
 * reference kernels, bit for bit */
static void check_values(const double *xs, size_t n, accuracy_t *acc_ln, accuracy_t *acc_lg, double *y_ln,
                         double *y_lg) {
  regio_log_batch(xs, y_ln, n);
  regio_log2_batch(xs, y_lg, n);
  size_t batch_differs = 0;
  for (size_t i = 0; i < n; i++) {
    const double x = xs[i], ln = regio_log_reference(x), lg = regio_log2_reference(x);
    batch_differs += to_bits(ln) != to_bits(y_ln[i]) || to_bits(lg) != to_bits(y_lg[i]);
    batch_differs += to_bits(ln) != to_bits(regio_log(x)) || to_bits(lg) != to_bits(regio_log2(x));
    const double e_ln = ulp_error(ln, logl((long double)x)), e_lg = ulp_error(lg, log2l((long double)x));
    if (e_ln > acc_ln->worst) acc_ln->worst = e_ln, acc_ln->worst_x = x;
    if (e_lg > acc_lg->worst) acc_lg->worst = e_lg, acc_lg->worst_x = x;
    acc_ln->n++;
    acc_lg->n++;
  }
  CHECKF(batch_differs == 0, "%zu of %zu values differ between the batch and the scalar kernels", batch_differs, n);
}

enum { BATCH = 1 << 16 };

static void accuracy(const char *domain, double (*draw)(void), size_t count) {
  double *xs = malloc(BATCH * sizeof *xs), *a = malloc(BATCH * sizeof *a), *b = malloc(BATCH * sizeof *b);
  CHECK(xs && a && b);
  accuracy_t ln = {0, 0, 0}, lg = {0, 0, 0};
  for (size_t done = 0, n = 0; xs && a && b && done < count; done += n) {
    /* an odd length, so that the batch kernel's tail runs too */
    n = count - done < BATCH ? count - done : BATCH - 3;
    for (size_t i = 0; i < n; i++) xs[i] = draw();
    check_values(xs, n, &ln, &lg, a, b);
  }
  printf("%-34s %9zu values: log worst %.4f ulp (x = %a), log2 worst %.4f ulp (x = %a)\n", domain, ln.n, ln.worst,
         ln.worst_x, lg.worst, lg.worst_x);
  /* the design's bound: 0.5 ulp from the last addition, the rest from the tail and the table's
   * hi + lo, about 2^-8 ulp where |log x| is smallest (below 2^-7) */
  CHECKF(ln.worst <= 0.51, "%s: log's worst error %.4f ulp at %a", domain, ln.worst, ln.worst_x);
  CHECKF(lg.worst <= 0.51, "%s: log2's worst error %.4f ulp at %a", domain, lg.worst, lg.worst_x);
  free(xs);
  free(a);
  free(b);
}

/* every positive normal double, evenly by bit pattern */
static double draw_normal(void) {
  for (;;) {
    const uint64_t u = next_random() >> 1;
    if (u >= 0x0010000000000000ULL && u < 0x7ff0000000000000ULL) return from_bits(u);
  }
}

/* the indices' arguments: an employment share e / t and a location quotient (e / t) / (s / n) */
static double draw_share(void) {
  const uint64_t t = 1 + next_random() % 100000000, e = 1 + next_random() % t;
  return (double)e / (double)t;
}

static double draw_lq(void) {
  const double share = draw_share(), national = draw_share();
  return share / national;
}

/* near 1, where log x is small: 1 +- u 2^-j, j up to 60 */
static double draw_near_one(void) {
  const uint64_t u = next_random();
  const double d = ldexp((double)(u >> 11) * 0x1p-53, -(int)(u % 61));
  return (u >> 10) & 1 ? 1.0 + d : 1.0 - d;
}

/* the table's interval ends, a few ulps either way, at any exponent */
static double draw_edges(void) {
  const uint64_t u = next_random();
  const int64_t k = (int64_t)(u % 2000) - 1000, step = (int64_t)((u >> 12) % 33) - 16;
  const uint64_t edge = 0x3fe6000000000000ULL + (((u >> 20) % 129) << 45);
  return ldexp(from_bits((uint64_t)((int64_t)edge + step)), (int)k);
}

static void exact_values(void) {
  double xs[2 * 1023 + 1], y[2 * 1023 + 1];
  size_t n = 0;
  for (int k = -1022; k <= 1023; k++) xs[n++] = ldexp(1.0, k);
  regio_log2_batch(xs, y, n);
  size_t wrong = 0;
  for (size_t i = 0; i < n; i++)
    wrong += y[i] != (double)((int)i - 1022) || regio_log2(xs[i]) != y[i] || regio_log2_reference(xs[i]) != y[i];
  CHECKF(wrong == 0, "log2 of %zu powers of two is not their exponent", wrong);
  CHECK(regio_log(1.0) == 0 && !signbit(regio_log(1.0)));
  CHECK(regio_log2(1.0) == 0 && !signbit(regio_log2(1.0)));
  CHECK(regio_log2(0.5) == -1 && regio_log2(0.25) == -2 && regio_log2(8.0) == 3);
}

static void special_values(void) {
  const double xs[] = {
      0.0,     -0.0,    -1.0, -INFINITY, INFINITY, NAN, 0x1p-1074, 0x1.8p-1030, 0x1.fffffffffffffp-1023,
      DBL_MIN, DBL_MAX, 2.0,  3.0,       0.1};
  const size_t n = sizeof xs / sizeof *xs;
  double ln[sizeof xs / sizeof *xs], lg[sizeof xs / sizeof *xs];
  regio_log_batch(xs, ln, n);
  regio_log2_batch(xs, lg, n);
  for (size_t i = 0; i < n; i++) {
    const double want_ln = log(xs[i]), want_lg = log2(xs[i]);
    if (i < 9) { /* the C library's own, as documented */
      CHECKF((isnan(want_ln) && isnan(ln[i])) || to_bits(want_ln) == to_bits(ln[i]), "log(%a) = %a, not %a", xs[i],
             ln[i], want_ln);
      CHECKF((isnan(want_lg) && isnan(lg[i])) || to_bits(want_lg) == to_bits(lg[i]), "log2(%a) = %a, not %a", xs[i],
             lg[i], want_lg);
    }
    CHECK((isnan(ln[i]) && isnan(regio_log_reference(xs[i]))) || to_bits(ln[i]) == to_bits(regio_log_reference(xs[i])));
    CHECK((isnan(lg[i]) && isnan(regio_log2_reference(xs[i]))) ||
          to_bits(lg[i]) == to_bits(regio_log2_reference(xs[i])));
  }
  CHECK(ulp_error(regio_log(DBL_MAX), logl(DBL_MAX)) <= 0.51);
  CHECK(ulp_error(regio_log2(DBL_MIN), log2l(DBL_MIN)) == 0);
  CHECK(ulp_error(regio_log(3.0), logl(3.0L)) <= 0.51 && ulp_error(regio_log(0.1), logl((long double)0.1)) <= 0.51);
}

/* the dot products: the same bits as the reference, every length from 0 to 70 and a long one (the
 * padding of the last 1 to 3 terms, special values among them), and within a few ulps of the sum
 * of the terms in long double, each term's logarithm from logl */
static void dot_products(void) {
  enum { N = 70, LONG = 100003 };
  double *w = malloc(LONG * sizeof *w), *x = malloc(LONG * sizeof *x);
  CHECK(w && x);
  if (!w || !x) return;
  for (size_t i = 0; i < LONG; i++) {
    x[i] = draw_share();
    w[i] = x[i] * (i % 7 ? 1.0 : -0.5);
  }
  size_t differ = 0;
  for (size_t n = 0; n <= N; n++) {
    differ += to_bits(regio_log_dot(w, x, n)) != to_bits(regio_log_dot_reference(w, x, n));
    differ += to_bits(regio_log2_dot(w, x, n)) != to_bits(regio_log2_dot_reference(w, x, n));
    differ += to_bits(regio_log2_dot(w + 1, x + 3, n)) != to_bits(regio_log2_dot_reference(w + 1, x + 3, n));
  }
  differ += to_bits(regio_log_dot(w, x, LONG)) != to_bits(regio_log_dot_reference(w, x, LONG));
  differ += to_bits(regio_log2_dot(w, x, LONG)) != to_bits(regio_log2_dot_reference(w, x, LONG));
  CHECKF(differ == 0, "%zu dot products differ from the reference", differ);
  long double ln = 0, lg = 0, abs_ln = 0, abs_lg = 0;
  for (size_t i = 0; i < LONG; i++) {
    ln += (long double)w[i] * logl(x[i]);
    lg += (long double)w[i] * log2l(x[i]);
    abs_ln += fabsl((long double)w[i] * logl(x[i]));
    abs_lg += fabsl((long double)w[i] * log2l(x[i]));
  }
  /* a sum's error bound: (n / 4 + 3) eps of the sum of the |terms| (each term's own 1.5 ulp is within it) */
  const long double bound = (LONG / 4.0L + 3) * DBL_EPSILON;
  CHECKF(fabsl(regio_log_dot(w, x, LONG) - ln) <= bound * abs_ln, "log dot %.17g against %.17Lg",
         regio_log_dot(w, x, LONG), ln);
  CHECKF(fabsl(regio_log2_dot(w, x, LONG) - lg) <= bound * abs_lg, "log2 dot %.17g against %.17Lg",
         regio_log2_dot(w, x, LONG), lg);
  /* exact cases: 1/2 log2 1/2 twice is -1; special values go through */
  const double half[2] = {0.5, 0.5}, special[5] = {0.25, 1.0, 0.0, 0.5, 0.125};
  CHECK(regio_log2_dot(half, half, 2) == -1.0);
  CHECK(regio_log2_dot(special, special, 2) == -0.5);
  CHECK(isnan(regio_log2_dot(special, special, 3))); /* 0 log2 0 = 0 x -inf: the caller skips zeros */
  CHECK(isnan(regio_log2_dot_reference(special, special, 3)));
  free(w);
  free(x);
}

int main(void) {
  dot_products();
  exact_values();
  special_values();
  accuracy("positive normal doubles", draw_normal, 2000000);
  accuracy("shares e / t", draw_share, 2000000);
  accuracy("location quotients", draw_lq, 2000000);
  accuracy("near 1", draw_near_one, 2000000);
  accuracy("interval ends", draw_edges, 1000000);
  return test_summary("log");
}
