/* The least work that aggregates a `narrow` table on this machine, for the read benchmark: a
 * machine limit like `cat` and `wc -l`, measured in the same run as regio.
 *
 * It reads the file as regio does (mmap, the rows split into one part per thread on line
 * boundaries) and does only what no reader can skip: it finds the four fields of each row, turns
 * the two codes into ids and the two numbers into integers, and adds the row to a per-thread dense
 * district x sector table of packed 8-byte sums (employment in milli, establishments), asking for
 * each cell's cache line 16 rows ahead, as regio does; the tables are then added into one. What it
 * leaves out, and regio does not: quoted fields, validation and messages (a byte that is not a
 * digit is taken as one), decimals, codes other than numbers below 100,000 (the ids come from an
 * array indexed by the code's value, not from a dictionary of strings), overflow checks, line
 * numbers, skip counts and the sorted output. So it is a bound, not a competitor: regio's
 * read + aggregate cannot be as fast.
 *
 * usage: regio_floor_bench FILE THREADS REPEAT
 *   FILE: `district,sector,employees,establishments` rows of numeric codes below 100,000 (regio gen
 *   --preset narrow); prints: threads rows best_seconds checksum */
#define _DEFAULT_SOURCE /* madvise */
#include <fcntl.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { CODES = 100000, MAX_DISTRICTS = 8192, MAX_SECTORS = 1280, AHEAD = 16 }; /* narrow: 3,500 x 1,200 */

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static uint32_t number(const char **p, char end) {
  uint32_t v = 0;
  while (**p != end) v = v * 10 + (uint32_t)(*(*p)++ - '0');
  (*p)++;
  return v;
}

/* One pass over the file with T threads: rows counted into *rows, the sum of all table words
 * returned (a checksum that keeps the work from being optimised away). */
static uint64_t pass(const char *path, int T, uint64_t *rows_out) {
  int fd = open(path, O_RDONLY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    perror(path);
    exit(1);
  }
  size_t n = (size_t)st.st_size;
  const char *buf = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
  if (buf == MAP_FAILED) {
    perror("mmap");
    exit(1);
  }
  madvise((void *)buf, n, MADV_SEQUENTIAL);
  const char *first = memchr(buf, '\n', n) + 1; /* after the header */
  const size_t body = n - (size_t)(first - buf);
  uint64_t *tables[64] = {0};
  uint32_t districts[64] = {0};
  uint64_t rows = 0;
#pragma omp parallel num_threads(T) reduction(+ : rows)
  {
    const int t = omp_get_thread_num();
    const char *p = first + body * (size_t)t / (size_t)T, *end = first + body * (size_t)(t + 1) / (size_t)T;
    if (t > 0) p = (const char *)memchr(p - 1, '\n', (size_t)(buf + n - (p - 1))) + 1;
    if (t + 1 < T) end = (const char *)memchr(end - 1, '\n', (size_t)(buf + n - (end - 1))) + 1;
    int32_t *district_id = malloc(CODES * sizeof *district_id), *sector_id = malloc(CODES * sizeof *sector_id);
    uint64_t *cells = calloc((size_t)MAX_DISTRICTS * MAX_SECTORS, sizeof *cells); /* touched where used */
    memset(district_id, -1, CODES * sizeof *district_id);
    memset(sector_id, -1, CODES * sizeof *sector_id);
    uint32_t nd = 0, ns = 0;
    size_t ring[AHEAD];
    uint64_t value[AHEAD];
    uint64_t r = 0;
    while (p < end) {
      uint32_t d = number(&p, ','), s = number(&p, ',');
      uint64_t employees = number(&p, ','), establishments = number(&p, '\n');
      if (d >= CODES || s >= CODES) abort();
      if (district_id[d] < 0) district_id[d] = (int32_t)nd++;
      if (sector_id[s] < 0) sector_id[s] = (int32_t)ns++;
      if (nd > MAX_DISTRICTS || ns > MAX_SECTORS) abort();
      size_t cell = (size_t)district_id[d] * MAX_SECTORS + (size_t)sector_id[s];
      __builtin_prefetch(&cells[cell], 1, 3);
      if (r >= AHEAD) cells[ring[r % AHEAD]] += value[r % AHEAD];
      ring[r % AHEAD] = cell;
      value[r % AHEAD] = employees * 1000 << 20 | establishments;
      r++;
    }
    for (uint64_t k = r > AHEAD ? r - AHEAD : 0; k < r; k++) cells[ring[k % AHEAD]] += value[k % AHEAD];
    rows = r;
    tables[t] = cells;
    districts[t] = nd;
    free(district_id);
    free(sector_id);
  }
  /* the tables added into one (ids differ between threads; a real merge maps them: here the
   * words are only summed, the same amount of memory traffic) */
  uint64_t check = 0;
  for (int t = 0; t < T; t++) {
    for (size_t i = 0; i < (size_t)districts[t] * MAX_SECTORS; i++) check += tables[t][i];
    free(tables[t]);
  }
  munmap((void *)buf, n);
  close(fd);
  *rows_out = rows;
  return check;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s FILE THREADS REPEAT\n", argv[0]);
    return 2;
  }
  int threads = atoi(argv[2]), repeat = atoi(argv[3]);
  if (threads < 1 || threads > 64 || repeat < 1) return 2;
  double best = 1e30;
  uint64_t rows = 0, check = 0;
  for (int k = 0; k < repeat; k++) {
    double t0 = now();
    check = pass(argv[1], threads, &rows);
    double dt = now() - t0;
    if (dt < best) best = dt;
  }
  printf("%d %llu %.4f %llu\n", threads, (unsigned long long)rows, best, (unsigned long long)check);
  return 0;
}
