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

/* A code of up to 6 decimal digits (its short key's bytes) as a slot of a table of 1,111,110 ids:
 * its value plus 10 + 100 + ... for the shorter lengths (so that "01" and "1" differ); SIZE_MAX
 * when the code is not all digits or is longer. The digits are checked and converted as one word
 * (SWAR: the first byte the most significant digit). */
#define DIGIT_SLOTS ((size_t)1111110)
static inline size_t digit_slot(uint64_t key) {
  static const uint32_t offset[8] = {0, 0, 10, 110, 1110, 11110, 111110, 1111110};
  const unsigned len = (unsigned)(key >> 56);
  if (len - 1 > 5) return SIZE_MAX;
  const unsigned pad = 8 * (8 - len);
  /* right-aligned in the word, the bytes before it '0' */
  const uint64_t w = (key << pad) | (UINT64_C(0x3030303030303030) >> (64 - pad));
  const uint64_t t = w - UINT64_C(0x3030303030303030);
  if (((t | (w + UINT64_C(0x4646464646464646))) & UINT64_C(0x8080808080808080)) != 0) return SIZE_MAX;
  uint64_t v = (t * 10 + (t >> 8)) & UINT64_C(0x00FF00FF00FF00FF);                /* pairs of digits */
  v = (v * (100 * (UINT64_C(1) << 16) + 1)) >> 16 & UINT64_C(0x0000FFFF0000FFFF); /* fours */
  v = (v * (10000 * (UINT64_C(1) << 32) + 1)) >> 32;
  return (size_t)v + offset[len];
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
  {
    /* ids by digit slot (0 = absent, else id + 1): the conversion and one load */
    uint32_t *dt = calloc(DIGIT_SLOTS, sizeof *dt), *st = calloc(DIGIT_SLOTS, sizeof *st);
    if (!dt || !st) return 1;
    for (size_t i = 0; i < nd; i++) {
      const size_t j = digit_slot(d_codes[i]);
      if (j == SIZE_MAX) return fprintf(stderr, "district code not of 1-6 digits\n"), 1;
      dt[j] = (uint32_t)i + 1;
    }
    for (size_t i = 0; i < ns; i++) {
      const size_t j = digit_slot(s_codes[i]);
      if (j == SIZE_MAX) return fprintf(stderr, "sector code not of 1-6 digits\n"), 1;
      st[j] = (uint32_t)i + 1;
    }
    double best = 1e9;
    uint64_t check = 0;
    for (int rep = 0; rep < 3; rep++) {
      double t0 = now();
      uint64_t sum = 0;
      for (size_t i = 0; i < n; i++) {
        const size_t a = digit_slot(dk[i]), b = digit_slot(sk[i]);
        if (a == SIZE_MAX || b == SIZE_MAX) return 1;
        sum += (uint64_t)(dt[a] - 1) * 4096 + (st[b] - 1);
      }
      double t1 = now();
      best = t1 - t0 < best ? t1 - t0 : best;
      check = sum;
    }
    printf("tables of 1,111,110 ids by the digits' value (conversion included): %.2f ns a row [%llu]\n",
           1e9 * best / (double)n, (unsigned long long)check);
    free(dt);
    free(st);
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
