/* The logarithms the indices phase must take, alone: the compute floor beside the streaming bound
 * (bench/stream.c). The entropy and related variety take log2 of p and of q for every positive
 * cell of the fine level and log2 of p for every positive cell of the coarse one; the Theil index
 * takes log of the LQ of every positive cell at every level. Here the same numbers of logarithms,
 * over values spread in (0, 1], each multiplied and summed as the indices do (p log2 p), with
 * nothing else: OpenMP, static schedule, best of REPEAT; once with glibc's log2 and log one value
 * at a time, once with regio's (src/core/log.c: regio_log2_dot, regio_log_dot) 256 values at a
 * time, as the indices take them.
 *
 * usage: regio_log_bench N_LOG2 N_LOG REPEAT THREADS
 *   prints: threads n_log2 n_log best_seconds_glibc best_seconds_regio */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/log_impl.h"

enum { CHUNK = 256 };

/* acc + sign sum x[i] log(x[i]) (log2 when base2) over i in [0, n), regio's batch a chunk at a time */
static double regio_sum(const double *x, long n, int base2, int threads) {
  double acc = 0.0;
#pragma omp parallel num_threads(threads) reduction(+ : acc)
  {
    const long per = (n + omp_get_num_threads() - 1) / omp_get_num_threads();
    const long from = per * omp_get_thread_num(), to = from + per < n ? from + per : n;
    for (long i = from; i < to; i += CHUNK) {
      const size_t m = (size_t)(to - i < CHUNK ? to - i : CHUNK);
      acc += base2 ? regio_log2_dot(x + i, x + i, m) : regio_log_dot(x + i, x + i, m);
    }
  }
  return acc;
}

static volatile double sink;

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s N_LOG2 N_LOG REPEAT THREADS\n", argv[0]);
    return 2;
  }
  const long n2 = atol(argv[1]), n1 = atol(argv[2]);
  const int repeat = atoi(argv[3]), threads = atoi(argv[4]);
  if (n2 < 0 || n1 < 0 || repeat < 1 || threads < 1) {
    fprintf(stderr, "%s: counts >= 0, repeat and threads >= 1\n", argv[0]);
    return 2;
  }
  const long n = n2 > n1 ? n2 : n1;
  double *x = malloc((size_t)(n ? n : 1) * sizeof *x);
  if (!x) {
    fprintf(stderr, "%s: out of memory\n", argv[0]);
    return 1;
  }
#pragma omp parallel for num_threads(threads) schedule(static)
  for (long i = 0; i < n; i++) /* shares k / 1000003, k in [1, 1000000], in a scattered order */
    x[i] = (double)((unsigned long)i * 2654435761ul % 1000000ul + 1) / 1000003.0;
  double best = INFINITY, best_regio = INFINITY;
  for (int r = 0; r < repeat; r++) { /* the two in turns */
    double t0 = omp_get_wtime();
    double acc = 0.0;
#pragma omp parallel for num_threads(threads) schedule(static) reduction(+ : acc)
    for (long i = 0; i < n2; i++) acc -= x[i] * log2(x[i]);
#pragma omp parallel for num_threads(threads) schedule(static) reduction(+ : acc)
    for (long i = 0; i < n1; i++) acc += x[i] * log(x[i]);
    double t = omp_get_wtime() - t0;
    sink = acc;
    if (t < best) best = t;
    t0 = omp_get_wtime();
    acc = -regio_sum(x, n2, 1, threads) + regio_sum(x, n1, 0, threads);
    t = omp_get_wtime() - t0;
    sink = acc;
    if (t < best_regio) best_regio = t;
  }
  printf("%d %ld %ld %.6f %.6f\n", threads, n2, n1, best, best_regio);
  free(x);
  return 0;
}
