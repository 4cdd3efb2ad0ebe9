/* Internal to libregio: the natural and base-2 logarithms of the indices (src/core/log.c).
 *
 * For positive normal x: at most about 0.51 ulp of error (tests/unit/test_log.c measures it against
 * long double), exact where the value is (log 1 = 0, log2 of a power of two), and the same bits on
 * every machine: the batch functions take the same operations 4 at a time with AVX2 and FMA where
 * the processor has them, one at a time (with fma) where it does not. Zero, negative, subnormal,
 * infinite and NaN arguments get the C library's log / log2. */
#ifndef REGIO_CORE_LOG_IMPL_H
#define REGIO_CORE_LOG_IMPL_H

#include <stddef.h>

double regio_log(double x);
double regio_log2(double x);
/* y[i] = regio_log(x[i]) (regio_log2), i < n; y may be x. Many values at once are about 2.5 times
 * faster than the C library's log2 one at a time (AVX2). */
void regio_log_batch(const double *x, double *y, size_t n);
void regio_log2_batch(const double *x, double *y, size_t n);
/* sum of w[j] regio_log(x[j]) (regio_log2), j < n, in a fixed order: four sums of every fourth
 * term (j = 0, 4, 8, ...; 1, 5, 9, ...; ...), then (s0 + s1) + (s2 + s3). The indices' sums of
 * p log p: about twice as fast as one sum in order with the batch functions (no chain of additions
 * a term long). */
double regio_log_dot(const double *w, const double *x, size_t n);
double regio_log2_dot(const double *w, const double *x, size_t n);
/* The plain reference kernels, one value at a time (with the C library's fma, slow where the
 * processor has no FMA): the batch functions give the same bits (tests/unit/test_log.c). */
double regio_log_reference(double x);
double regio_log2_reference(double x);
double regio_log_dot_reference(const double *w, const double *x, size_t n);
double regio_log2_dot_reference(const double *w, const double *x, size_t n);

#endif
