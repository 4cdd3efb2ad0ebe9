/* The machine's own speed-up with more threads, for work that touches no memory: a fixed number of
 * iterations of an integer loop (eight dependency chains, all in registers) shared among THREADS
 * OpenMP threads, each its own equal part. On a machine whose cores are its own, 2 threads take half
 * the time of 1; on a VM whose virtual cores share the host's physical cores with other work (or
 * with each other, as hyper-threads), they can take longer, and a program's "2 threads / 1 thread"
 * ratio measured then says as much about the host as about the program. The bench runs it in turns
 * with regio's runs (bench/run.py), so that the report shows the host's own ratio beside regio's.
 *
 * usage: regio_scaling_bench ITERATIONS THREADS
 *   prints: threads wall_seconds checksum */
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t chains(uint64_t from, uint64_t to) {
  uint64_t a = 1, b = 2, c = 3, d = 4, e = 5, f = 6, g = 7, h = 8;
  for (uint64_t i = from; i < to; i++) {
    a += b ^ i;
    b += c;
    c ^= d + i;
    d += e;
    e ^= f;
    f += g ^ i;
    g += h;
    h ^= a;
  }
  return a + b + c + d + e + f + g + h;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s ITERATIONS THREADS\n", argv[0]);
    return 2;
  }
  const long long n = atoll(argv[1]);
  const int threads = atoi(argv[2]);
  if (n < 1 || threads < 1) return 2;
  uint64_t sum = 0;
  const double t0 = omp_get_wtime();
#pragma omp parallel num_threads(threads) reduction(+ : sum)
  {
    const uint64_t t = (uint64_t)omp_get_thread_num(), nt = (uint64_t)omp_get_num_threads();
    sum += chains((uint64_t)n * t / nt, (uint64_t)n * (t + 1) / nt);
  }
  printf("%d %.4f %llu\n", threads, omp_get_wtime() - t0, (unsigned long long)sum);
  return 0;
}
