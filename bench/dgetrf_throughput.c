/* The machine's LU throughput, for the regional input-output benchmark: every thread factorises
 * (LAPACKE_dgetrf, the OpenBLAS linked with regio, single-threaded inside the OpenMP region as in
 * regio's regional LU path) copies of an n x n diagonally dominant matrix, and the GFLOP/s are
 * counted as 2/3 n^3 per factorisation.
 *
 * usage: regio_dgetrf_bench N COUNT THREADS   (prints one line: n count threads seconds gflops) */
#include <lapacke.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s N COUNT THREADS\n", argv[0]);
    return 2;
  }
  int n = atoi(argv[1]), count = atoi(argv[2]), threads = atoi(argv[3]);
  if (n < 1 || count < 1 || threads < 1) return 2;
  size_t nn = (size_t)n * (size_t)n;
  double *base = malloc(nn * sizeof(double));
  if (!base) return 6;
  unsigned long long s = 1;
  for (size_t k = 0; k < nn; k++) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    base[k] = -(double)(s >> 11) * 0x1.0p-53 / n;
  }
  for (int i = 0; i < n; i++) base[(size_t)i * n + i] += 1;
  int failed = 0;
  double t0 = omp_get_wtime();
#pragma omp parallel num_threads(threads) reduction(| : failed)
  {
    omp_set_num_threads(1); /* OpenBLAS single-threaded inside, even in a team of one */
    double *m = malloc(nn * sizeof(double));
    lapack_int *ipiv = malloc((size_t)n * sizeof(lapack_int));
#pragma omp for schedule(dynamic, 1)
    for (int k = 0; k < count; k++) {
      memcpy(m, base, nn * sizeof(double));
      failed |= LAPACKE_dgetrf(LAPACK_COL_MAJOR, n, n, m, n, ipiv) != 0;
    }
    free(m);
    free(ipiv);
  }
  double dt = omp_get_wtime() - t0;
  free(base);
  if (failed) return 4;
  printf("%d %d %d %.6f %.3f\n", n, count, threads, dt, 2.0 / 3.0 * n * (double)n * n * count / dt * 1e-9);
  return 0;
}
