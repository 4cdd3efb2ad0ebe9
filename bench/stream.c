/* The machine's memory bandwidth, for the streaming bound of the indices phase: OpenMP passes over
 * arrays much larger than the caches, each thread on its own contiguous part (static schedule, the
 * pages first touched by the thread that later streams them), best of REPEAT.
 *
 *   read   s += e[i]                         (int64, an integer sum that the compiler vectorises; counts
 *                                             8 bytes per element)
 *   write  b[i] = x                          (double; counts 8 bytes per element)
 *   copy   b[i] = x * a[i]                   (double; counts 16 bytes per element: read + write)
 *   lq     b[i] = e[i] * x, c[i] = e[i] * y  (int64 in, two double out: the indices phase's pattern;
 *                                             counts 24 bytes per element: 8 read + 16 written)
 *
 * The counts are the bytes the program asks for; with ordinary (write-allocate) stores the memory
 * system also reads each written line first, which is part of what the measured rate pays for, as
 * it is for regio's own stores.
 *
 * usage: regio_stream_bench MIB REPEAT THREADS
 *   MIB: size of each of the four arrays in MiB (read: one array; copy: two; lq: three)
 *   prints one line per pass: pass threads bytes best_seconds GB/s */
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static volatile double sink;

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s MIB REPEAT THREADS\n", argv[0]);
    return 2;
  }
  long mib = atol(argv[1]);
  int repeat = atoi(argv[2]), threads = atoi(argv[3]);
  if (mib < 1 || repeat < 1 || threads < 1) return 2;
  size_t n = (size_t)mib * 1024 * 1024 / 8;
  double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), *c = malloc(n * sizeof *c);
  int64_t *e = malloc(n * sizeof *e);
  if (!a || !b || !c || !e) {
    fprintf(stderr, "%s: out of memory\n", argv[0]);
    return 6;
  }
#pragma omp parallel for num_threads(threads) schedule(static)
  for (size_t i = 0; i < n; i++) {
    a[i] = (double)(i & 1023) * 0.5;
    b[i] = 0;
    c[i] = 0;
    e[i] = (int64_t)(i & 4095);
  }
  const char *names[] = {"read", "write", "copy", "lq"};
  const double bytes_per[] = {8, 8, 16, 24};
  for (int pass = 0; pass < 4; pass++) {
    double best = -1;
    for (int r = 0; r < repeat; r++) {
      double x = 1.0 + r * 1e-3, y = 2.0 - r * 1e-3;
      int64_t s = 0;
      double t0 = omp_get_wtime();
      switch (pass) {
      case 0:
#pragma omp parallel for num_threads(threads) schedule(static) reduction(+ : s)
        for (size_t i = 0; i < n; i++) s += e[i];
        break;
      case 1:
#pragma omp parallel for num_threads(threads) schedule(static)
        for (size_t i = 0; i < n; i++) b[i] = x;
        break;
      case 2:
#pragma omp parallel for num_threads(threads) schedule(static)
        for (size_t i = 0; i < n; i++) b[i] = x * a[i];
        break;
      default:
#pragma omp parallel for num_threads(threads) schedule(static)
        for (size_t i = 0; i < n; i++) {
          double v = (double)e[i];
          b[i] = v * x;
          c[i] = v * y;
        }
        break;
      }
      double dt = omp_get_wtime() - t0;
      sink = (double)s + b[n / 3] + c[n / 5];
      if (best < 0 || dt < best) best = dt;
    }
    double bytes = bytes_per[pass] * (double)n;
    printf("%s %d %.0f %.6f %.3f\n", names[pass], threads, bytes, best, bytes / best * 1e-9);
  }
  free(a);
  free(b);
  free(c);
  free(e);
  return 0;
}
