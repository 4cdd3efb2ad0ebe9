/* The cost of looking up a row's two codes, for the read benchmark's notes: the reader's
 * short-code index (regio_idcache: the code's bytes and length packed in a word, Fibonacci hash,
 * linear probing in 16-byte slots) at several fullnesses, against the first slot's load alone
 * and against arrays indexed by the numeric code (what bench/floor.c does).
 *
 * It reads the district and sector codes of the first ROWS rows of a `district,sector,...` table
 * (regio gen --preset narrow), builds the indexes in first-seen order and times, best of 3, one
 * pass over the rows in file order with the two lookups of each row and nothing else. The index
 * functions here copy src/aggregate/tables_impl.h's hash and layout (kept apart so that this
 * program measures a layout, not the library's state).
 *
 * usage: regio_lookup_bench FILE ROWS
 *   FILE: rows of numeric codes below 100,000; prints one line per layout: its name, the index's
 *   slots, the share of lookups not in their first slot, nanoseconds a row */
#define _DEFAULT_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
  uint64_t key, id;
} slot_t;
typedef struct {
  slot_t *slots;
  size_t mask;
  int shift;
} index_t;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* regio_short_key: the code's bytes (up to 7) and its length in the top byte */
static uint64_t short_key(const char *s, size_t len) {
  uint64_t w = 0;
  memcpy(&w, s, len);
  return w | (uint64_t)len << 56;
}

static size_t home(const index_t *x, uint64_t key) {
  return (size_t)((key * UINT64_C(0x9E3779B97F4A7C15)) >> x->shift);
}

static void put(index_t *x, uint64_t key, uint64_t id) {
  size_t j = home(x, key);
  while (x->slots[j].key && x->slots[j].key != key) j = (j + 1) & x->mask;
  x->slots[j] = (slot_t){key, id};
}

/* regio_idcache_get (every key is present here) */
static inline uint64_t get(const index_t *x, uint64_t key) {
  size_t j = home(x, key);
  while (x->slots[j].key != key) j = (j + 1) & x->mask;
  return x->slots[j].id;
}

/* an index of 2^bits slots holding codes[0..n) */
static index_t build(const uint64_t *codes, size_t n, int bits) {
  index_t x = {calloc((size_t)1 << bits, sizeof(slot_t)), ((size_t)1 << bits) - 1, 64 - bits};
  if (!x.slots) exit(1);
  for (size_t i = 0; i < n; i++) put(&x, codes[i], i);
  return x;
}

static int bits_for(size_t n, size_t fill) { /* the smallest index of at least fill x n slots */
  int b = 10;
  while (((size_t)1 << b) < fill * n) b++;
  return b;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: regio_lookup_bench FILE ROWS\n");
    return 2;
  }
  FILE *f = fopen(argv[1], "r");
  const size_t rows = (size_t)atol(argv[2]);
  if (!f || rows == 0) {
    perror(argv[1]);
    return 1;
  }
  uint64_t *dk = malloc(rows * sizeof *dk), *sk = malloc(rows * sizeof *sk);
  uint32_t *dv = malloc(rows * sizeof *dv), *sv = malloc(rows * sizeof *sv);
  int32_t *d_of = malloc(100000 * sizeof *d_of), *s_of = malloc(100000 * sizeof *s_of);
  uint64_t *d_codes = malloc(100000 * sizeof *d_codes), *s_codes = malloc(100000 * sizeof *s_codes);
  if (!dk || !sk || !dv || !sv || !d_of || !s_of || !d_codes || !s_codes) return 1;
  memset(d_of, -1, 100000 * sizeof *d_of);
  memset(s_of, -1, 100000 * sizeof *s_of);
  size_t nd = 0, ns = 0, n = 0;
  char line[256];
  if (!fgets(line, sizeof line, f)) return 1; /* the header */
  while (n < rows && fgets(line, sizeof line, f)) {
    char *comma1 = strchr(line, ','), *comma2 = comma1 ? strchr(comma1 + 1, ',') : NULL;
    if (!comma2 || comma1 - line > 7 || comma2 - comma1 - 1 > 7) {
      fprintf(stderr, "%s: line %zu: not a row of two short numeric codes\n", argv[1], n + 2);
      return 1;
    }
    dk[n] = short_key(line, (size_t)(comma1 - line));
    sk[n] = short_key(comma1 + 1, (size_t)(comma2 - comma1 - 1));
    dv[n] = (uint32_t)strtoul(line, NULL, 10) % 100000;
    sv[n] = (uint32_t)strtoul(comma1 + 1, NULL, 10) % 100000;
    if (d_of[dv[n]] < 0) d_of[dv[n]] = (int32_t)nd, d_codes[nd++] = dk[n];
    if (s_of[sv[n]] < 0) s_of[sv[n]] = (int32_t)ns, s_codes[ns++] = sk[n];
    n++;
  }
  fclose(f);
  printf("%zu rows, %zu district and %zu sector codes\n", n, nd, ns);

  static const struct {
    const char *name;
    size_t fill; /* slots per code, at least */
  } layouts[] = {{"index half full at most", 2}, {"index a quarter full at most", 4}, {"index an eighth full", 8}};
  for (size_t l = 0; l < sizeof layouts / sizeof *layouts; l++) {
    index_t di = build(d_codes, nd, bits_for(nd, layouts[l].fill)),
            si = build(s_codes, ns, bits_for(ns, layouts[l].fill));
    size_t away = 0; /* lookups of district codes not in their first slot */
    for (size_t i = 0; i < n; i++) away += di.slots[home(&di, dk[i])].key != dk[i];
    double best = 1e9, best_first = 1e9;
    uint64_t check = 0, check_first = 0;
    for (int rep = 0; rep < 3; rep++) {
      double t0 = now();
      uint64_t sum = 0;
      for (size_t i = 0; i < n; i++) sum += get(&di, dk[i]) * 4096 + get(&si, sk[i]);
      double t1 = now();
      uint64_t sum_first = 0; /* the first slot's id, no compare: a bound, not a lookup */
      for (size_t i = 0; i < n; i++) sum_first += di.slots[home(&di, dk[i])].id * 4096 + si.slots[home(&si, sk[i])].id;
      double t2 = now();
      best = t1 - t0 < best ? t1 - t0 : best;
      best_first = t2 - t1 < best_first ? t2 - t1 : best_first;
      check = sum, check_first = sum_first;
    }
    printf(
        "%s: %zu + %zu slots, %.1f%% of district lookups past the first slot, %.2f ns a row "
        "(the first slot's load alone %.2f ns) [%llu %llu]\n",
        layouts[l].name, di.mask + 1, si.mask + 1, 100.0 * (double)away / (double)n, 1e9 * best / (double)n,
        1e9 * best_first / (double)n, (unsigned long long)check, (unsigned long long)check_first);
    free(di.slots);
    free(si.slots);
  }
  double best = 1e9;
  uint64_t check = 0;
  for (int rep = 0; rep < 3; rep++) {
    double t0 = now();
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) sum += (uint64_t)d_of[dv[i]] * 4096 + (uint64_t)s_of[sv[i]];
    double t1 = now();
    best = t1 - t0 < best ? t1 - t0 : best;
    check = sum;
  }
  printf("arrays indexed by the numeric code (bench/floor.c): %.2f ns a row [%llu]\n", 1e9 * best / (double)n,
         (unsigned long long)check);
  return 0;
}
