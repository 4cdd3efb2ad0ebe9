/* Localisation of sectors: Hoover coefficient of localisation, locational Gini, raw geographic
 * concentration, and the Ellison-Glaeser (1997) and Maurel-Sedillot (1999) agglomeration indices;
 * formulas and conventions in include/regio/indices.h and docs/SCHEMA.md.
 *
 * Each sector's values are reductions over the districts, done serially in district order (the
 * Gini in an exact sort order) by the one thread that owns the sector, so they do not depend on
 * the thread count. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "indices/indices_impl.h"
#include "regio/dist.h"
#include "regio/indices.h"
#include "regio/memory.h"

/* A district in the Lorenz order of one sector: ascending E_ds / E_d, compared exactly, ties by
 * district, so the order is total and unique. The rounded ratio sorts first (rounding is monotone,
 * so it never contradicts the exact order) and the exact comparison by cross multiplication
 * decides only between equal rounded ratios. `district` may be any number in district order (the
 * cell's index in a column). */
typedef struct lorenz_entry {
  double ratio;              /* E_ds / E_d, rounded */
  int64_t sector_employment; /* E_ds */
  int64_t district_employment;
  size_t district;
} lorenz_entry_t;

static int lorenz_cmp(const void *a, const void *b) {
  const lorenz_entry_t *x = a, *y = b;
  if (x->ratio != y->ratio) return x->ratio < y->ratio ? -1 : 1;
  /* E_xs / E_x < E_ys / E_y  <=>  E_xs * E_y < E_ys * E_x (both denominators positive) */
  const __int128 left = (__int128)x->sector_employment * y->district_employment;
  const __int128 right = (__int128)y->sector_employment * x->district_employment;
  if (left != right) return left < right ? -1 : 1;
  return (x->district > y->district) - (x->district < y->district);
}

/* The indices of a sector from its sums: abs_sum = sum_d |s_d - x_d|, g = sum_d (s_d - x_d)^2,
 * sum_s2 = sum_d s_d^2, area = sum_k x_k (Y_(k-1) + Y_k) in the Lorenz order. */
static void localisation_finish(double abs_sum, double g, double sum_s2, double area, int64_t sector_total,
                                double sum_x2, const regio_u128_t *size_squares, regio_localisation_sector_t *out) {
  const double sector = (double)sector_total;
  out->hoover = 0.5 * abs_sum;
  out->concentration = g;
  out->gini = 1.0 - area;
  if (!size_squares) return;
  const regio_u128_t total_squared = (regio_u128_t)(uint64_t)sector_total * (uint64_t)sector_total;
  const double h = (double)*size_squares / (sector * sector);
  out->plant_herfindahl = h;
  /* H = 1 exactly (a single establishment holds all the sector's employment) or all employment in
   * one district (sum x^2 = 1): the indices are 0/0 */
  if (*size_squares == total_squared || !(sum_x2 < 1.0)) return;
  const double denominator = (1.0 - sum_x2) * (1.0 - h);
  out->ellison_glaeser = (g - (1.0 - sum_x2) * h) / denominator;
  out->maurel_sedillot = (sum_s2 - sum_x2 - h * (1.0 - sum_x2)) / denominator;
}

/* The reference: every district's terms in district order, the Lorenz order by a full sort with
 * lorenz_cmp. */
void regio_localisation_sector(const int64_t *employment, size_t stride, size_t n_districts,
                               const int64_t *district_totals, int64_t sector_total, int64_t national_total,
                               double sum_x2, const regio_u128_t *size_squares, void *scratch,
                               regio_localisation_sector_t *out) {
  out->hoover = out->gini = out->concentration = NAN;
  out->plant_herfindahl = out->ellison_glaeser = out->maurel_sedillot = NAN;
  if (sector_total <= 0 || national_total <= 0) return;
  const double sector = (double)sector_total, national = (double)national_total;
  double abs_sum = 0.0, g = 0.0, sum_s2 = 0.0;
  lorenz_entry_t *order = scratch;
  size_t n = 0;
  for (size_t d = 0; d < n_districts; d++) {
    const int64_t e = employment[d * stride];
    const double share = (double)e / sector, x = (double)district_totals[d] / national;
    abs_sum += fabs(share - x);
    g += (share - x) * (share - x);
    sum_s2 += share * share;
    /* districts without the sector come first in the Lorenz order and add nothing to the area
     * (Y stays 0 while they pass), so only the others are sorted */
    if (e > 0) order[n++] = (lorenz_entry_t){(double)e / (double)district_totals[d], e, district_totals[d], d};
  }
  qsort(order, n, sizeof *order, lorenz_cmp);
  double cumulative = 0.0, area = 0.0;
  for (size_t k = 0; k < n; k++) {
    const double share = (double)order[k].sector_employment / sector;
    const double x = (double)order[k].district_employment / national;
    area += x * (2.0 * cumulative + share);
    cumulative += share;
  }
  localisation_finish(abs_sum, g, sum_s2, area, sector_total, sum_x2, size_squares, out);
}

/* The tuned kernel sorts one 64-bit word a cell: the top 32 bits of the ratio's order-preserving
 * key above the cell's index. A positive ratio's key has its top bit set; the 32 bits below it
 * hold the exponent and 21 bits of the mantissa, so equal words' ratios differ by less than a
 * part in 2^21 (equal ratios included), and are put in their exact order after the sort. The
 * index (below 2^32: a column has at most one cell a district, and regio_localisation_compute
 * keeps the districts below 2^32) keeps equal keys in district order. */
static inline uint32_t ratio_key32(double ratio) {
  uint64_t u;
  memcpy(&u, &ratio, sizeof u); /* positive: the bits order as the values do */
  return (uint32_t)(u >> 31);
}

/* The words are sorted by a stable LSD radix sort of key - (the least key), in as few passes of at
 * most RADIX_BITS bits as the keys' range needs (a pass whose digit is the same in every word is
 * skipped), or, below RADIX_MIN words, where the radix sort's counts would cost more than the
 * words, by a bucket sort (words_sort). */
enum { RADIX_BITS = 13, RADIX_PASSES = 3, RADIX_MIN = 4096, SMALL_SORT = 32 };

/* A cell's terms of the Gini, at the cell's index, found through its word in the Lorenz order's
 * pass: E_ds and E_d, 16 bytes, from which the pass computes the share E_ds / E_s and x_d = E_d / E
 * again as the first pass did (the same divisions, so the same values), rather than loading 32
 * bytes: the records of a column of 84,000 cells then fit in a core's L2. */
typedef struct gini_terms {
  int64_t e, total; /* E_ds, E_d */
} gini_terms_t;

/* The Lorenz area sum_k x_k (Y_(k-1) + Y_k) over the sorted words, or NaN where two words of equal
 * keys are not in their exact order (E_ps / E_p > E_qs / E_q for p before q; equal ratios are in
 * index order already). sector, national: E_s and E as doubles. */
static double lorenz_area(const uint64_t *words, size_t n, const gini_terms_t *terms, double sector, double national) {
  double cumulative = 0.0, area = 0.0;
  gini_terms_t last = {0, 1};
  uint64_t last_key = UINT64_MAX;
  int out_of_order = 0;
  for (size_t i = 0; i < n; i++) {
    const gini_terms_t t = terms[(uint32_t)words[i]];
    /* checked at every word, without a branch: neighbours of equal keys come at random (39-50% of
     * `us-tract`'s cells) */
    out_of_order |= (words[i] >> 32 == last_key) & ((__int128)last.e * t.total > (__int128)t.e * last.total);
    last = t;
    last_key = words[i] >> 32;
    const double share = (double)t.e / sector, x = (double)t.total / national;
    area += x * (2.0 * cumulative + share);
    cumulative += share;
  }
  return out_of_order ? NAN : area;
}

/* The room regio_localisation_cells needs for up to n cells. */
struct regio_localisation_scratch {
  uint64_t *words, *swap;
  uint32_t *counts; /* 2 x RADIX_PASSES << RADIX_BITS (two copies), and at least n + 1 */
  gini_terms_t *terms;
  lorenz_entry_t *entries;
};

void regio_localisation_scratch_free(regio_localisation_scratch_t *scratch) {
  if (!scratch) return;
  free(scratch->words);
  free(scratch->swap);
  free(scratch->counts);
  free(scratch->terms);
  free(scratch->entries);
  free(scratch);
}

regio_localisation_scratch_t *regio_localisation_scratch_new(size_t n_cells) {
  regio_localisation_scratch_t *scratch = calloc(1, sizeof *scratch);
  if (!scratch) return NULL;
  const size_t room = n_cells ? n_cells : 1;
  const size_t counts = room + 1 > (2 * RADIX_PASSES << RADIX_BITS) ? room + 1 : 2 * RADIX_PASSES << RADIX_BITS;
  scratch->words = malloc(room * sizeof *scratch->words);
  scratch->swap = malloc(room * sizeof *scratch->swap);
  scratch->counts = malloc(counts * sizeof *scratch->counts);
  scratch->terms = malloc(room * sizeof *scratch->terms);
  scratch->entries = malloc(room * sizeof *scratch->entries);
  if (!scratch->words || !scratch->swap || !scratch->counts || !scratch->terms || !scratch->entries) {
    regio_localisation_scratch_free(scratch);
    return NULL;
  }
  return scratch;
}

static void insertion_sort_words(uint64_t *a, size_t n) {
  for (size_t i = 1; i < n; i++) {
    const uint64_t v = a[i];
    size_t k = i;
    for (; k > 0 && a[k - 1] > v; k--) a[k] = a[k - 1];
    a[k] = v;
  }
}

/* Sorts the words a[0, n) (distinct: their low halves are distinct indices) by a bucket sort on
 * their keys' range: about n / 2 buckets, a stable scatter into tmp, then an insertion sort, which
 * moves a word only within its bucket; a bucket of more than SMALL_SORT words is sorted the same
 * way by itself. The keys are logarithmic in the ratio, so the buckets fill evenly enough. */
static void words_sort(uint64_t *a, uint64_t *tmp, size_t n, uint32_t *counts) {
  if (n <= SMALL_SORT) {
    insertion_sort_words(a, n);
    return;
  }
  uint32_t lo = UINT32_MAX, hi = 0;
  for (size_t i = 0; i < n; i++) {
    const uint32_t key = (uint32_t)(a[i] >> 32);
    lo = key < lo ? key : lo;
    hi = key > hi ? key : hi;
  }
  if (lo == hi) return; /* one key: the words are in index order already */
  size_t buckets = 2;
  while (buckets * 2 < n) buckets *= 2;
  int shift = 0;
  while (((uint64_t)(hi - lo) >> shift) >= buckets) shift++;
  const size_t used = ((size_t)(hi - lo) >> shift) + 1;
  memset(counts, 0, used * sizeof *counts);
  for (size_t i = 0; i < n; i++) counts[((uint32_t)(a[i] >> 32) - lo) >> shift]++;
  uint32_t total = 0, largest = 0;
  for (size_t b = 0; b < used; b++) {
    const uint32_t c = counts[b];
    largest = c > largest ? c : largest;
    counts[b] = total;
    total += c;
  }
  for (size_t i = 0; i < n; i++) tmp[counts[((uint32_t)(a[i] >> 32) - lo) >> shift]++] = a[i];
  memcpy(a, tmp, n * sizeof *a);
  if (largest <= SMALL_SORT) {
    insertion_sort_words(a, n);
    return;
  }
  for (size_t i = 0; i < n;) { /* the buckets one by one; counts is free again */
    const uint32_t bucket = ((uint32_t)(a[i] >> 32) - lo) >> shift;
    size_t end = i + 1;
    while (end < n && ((uint32_t)(a[end] >> 32) - lo) >> shift == bucket) end++;
    words_sort(a + i, tmp + i, end - i, counts);
    i = end;
  }
}

/* A word's radix digit: the bits of key - lo from shift, under mask. */
static inline uint32_t word_digit(uint64_t word, uint32_t lo, int shift, uint32_t mask) {
  return (((uint32_t)(word >> 32) - lo) >> shift) & mask;
}

/* Sorts the words scratch->words[0, n); returns where they are (scratch->words or ->swap). */
static uint64_t *lorenz_sort_words(size_t n, uint32_t lo, uint32_t hi, regio_localisation_scratch_t *scratch) {
  uint64_t *a = scratch->words, *b = scratch->swap;
  if (n < RADIX_MIN) {
    words_sort(a, b, n, scratch->counts);
    return a;
  }
  if (lo == hi) return a; /* one key: the words are in index order already */
  /* the digits of key - lo: as few passes of at most RADIX_BITS bits as its range needs */
  const int bits = 32 - __builtin_clz(hi - lo), passes = (bits + RADIX_BITS - 1) / RADIX_BITS;
  const int digit = (bits + passes - 1) / passes;
  const uint32_t mask = (UINT32_C(1) << digit) - 1;
  uint32_t *counts = scratch->counts;
  const size_t used = (size_t)passes * (mask + 1);
  size_t counted = 0; /* words counted by the two copies */
  if (passes == 2) {
    /* the usual case (keys within 2^26): the two digits counted without the loop over the passes,
     * the even and the odd words in two copies of the counts added after, since an increment of a
     * count that the word before incremented waits for it, and equal digits are common (equal
     * ratios: 39-50% of `us-tract`'s cells); 12% less time for the sort (bench/NOTES.md) */
    uint32_t *odd = counts + used;
    memset(counts, 0, 2 * used * sizeof *counts);
    for (; counted + 2 <= n; counted += 2) {
      const uint32_t k0 = (uint32_t)(a[counted] >> 32) - lo, k1 = (uint32_t)(a[counted + 1] >> 32) - lo;
      counts[k0 & mask]++;
      counts[mask + 1 + (k0 >> digit)]++;
      odd[k1 & mask]++;
      odd[mask + 1 + (k1 >> digit)]++;
    }
    for (size_t v = 0; v < used; v++) counts[v] += odd[v];
  } else {
    memset(counts, 0, used * sizeof *counts);
  }
  for (size_t i = counted; i < n; i++) {
    const uint32_t key = (uint32_t)(a[i] >> 32) - lo;
    for (int p = 0; p < passes; p++) counts[(size_t)p * (mask + 1) + ((key >> (p * digit)) & mask)]++;
  }
  for (int p = 0; p < passes; p++) {
    const int shift = p * digit;
    uint32_t *c = counts + (size_t)p * (mask + 1);
    if (c[word_digit(a[0], lo, shift, mask)] == n) continue; /* one digit: nothing moves */
    uint32_t total = 0;
    for (size_t v = 0; v <= mask; v++) {
      const uint32_t k = c[v];
      c[v] = total;
      total += k;
    }
    /* the words by pairs, both counts loaded before either is stored: a word whose digit is the
     * word before's (common after the first pass: equal keys are then neighbours) takes the next
     * place without waiting for the count's store (12% less time for the sort, bench/NOTES.md) */
    size_t i = 0;
    for (; i + 2 <= n; i += 2) {
      const uint64_t w0 = a[i], w1 = a[i + 1];
      const uint32_t d0 = word_digit(w0, lo, shift, mask), d1 = word_digit(w1, lo, shift, mask);
      const uint32_t at0 = c[d0], next = c[d1];
      const uint32_t at1 = d1 == d0 ? at0 + 1 : next;
      c[d0] = at0 + 1;
      c[d1] = at1 + 1;
      b[at0] = w0;
      b[at1] = w1;
    }
    for (; i < n; i++) b[c[word_digit(a[i], lo, shift, mask)]++] = a[i];
    uint64_t *t = a;
    a = b;
    b = t;
  }
  return a;
}

void regio_localisation_cells(const uint32_t *district, const int64_t *employment, size_t n_cells,
                              const int64_t *district_totals, const double *x, int64_t sector_total,
                              int64_t national_total, double sum_x2, regio_u128_t sum_sq_totals,
                              const regio_u128_t *size_squares, regio_localisation_scratch_t *scratch,
                              regio_localisation_sector_t *out) {
  out->hoover = out->gini = out->concentration = NAN;
  out->plant_herfindahl = out->ellison_glaeser = out->maurel_sedillot = NAN;
  if (sector_total <= 0 || national_total <= 0) return;
  const double sector = (double)sector_total, national = (double)national_total;
  double abs_sum = 0.0, g = 0.0, sum_s2 = 0.0;
  int64_t in_cells = 0;         /* sum of E_d over the districts with the sector */
  regio_u128_t sq_in_cells = 0; /* and of E_d^2 */
  uint64_t *words = scratch->words;
  gini_terms_t *terms = scratch->terms;
  size_t n = 0;
  uint32_t lo = UINT32_MAX, hi = 0; /* the range of the keys */
  for (size_t k = 0; k < n_cells; k++) {
    const int64_t e = employment[k];
    if (e == 0) continue; /* an empty cell given explicitly: as one not given */
    const size_t d = district[k];
    const int64_t total = district_totals[d];
    const double share = (double)e / sector;
    abs_sum += fabs(share - x[d]);
    g += (share - x[d]) * (share - x[d]);
    sum_s2 += share * share;
    in_cells += total;
    sq_in_cells += (regio_u128_t)(uint64_t)total * (uint64_t)total;
    /* districts without the sector come first in the Lorenz order and add nothing to the area
     * (Y stays 0 while they pass), so only the others are sorted (a negative cell is given by hand
     * only: the reader takes no negative employment) */
    if (e > 0) {
      const uint32_t key = ratio_key32((double)e / (double)total);
      lo = key < lo ? key : lo;
      hi = key > hi ? key : hi;
      words[n++] = (uint64_t)key << 32 | k;
      terms[k] = (gini_terms_t){e, total};
    }
  }
  /* the districts without the sector: s_sd = 0, so |0 - x_d| = x_d and (0 - x_d)^2 = x_d^2, summed
   * exactly as integers and rounded once */
  abs_sum += (double)(national_total - in_cells) / national;
  g += (double)(sum_sq_totals - sq_in_cells) / (national * national);

  words = lorenz_sort_words(n, lo, hi, scratch);
  double area = lorenz_area(words, n, terms, sector, national);
  if (isnan(area)) { /* words of equal keys out of their exact order: each such run sorted exactly */
    for (size_t i = 0; i < n;) {
      size_t end = i + 1;
      while (end < n && words[end] >> 32 == words[i] >> 32) end++;
      if (end - i > 1) {
        lorenz_entry_t *run = scratch->entries;
        for (size_t j = i; j < end; j++) {
          const size_t k = (uint32_t)words[j];
          run[j - i] = (lorenz_entry_t){(double)terms[k].e / (double)terms[k].total, terms[k].e, terms[k].total, k};
        }
        qsort(run, end - i, sizeof *run, lorenz_cmp);
        for (size_t j = i; j < end; j++) words[j] = (words[j] >> 32 << 32) | run[j - i].district;
      }
      i = end;
    }
    area = lorenz_area(words, n, terms, sector, national);
  }
  localisation_finish(abs_sum, g, sum_s2, area, sector_total, sum_x2, size_squares, out);
}

static void free_localisation(regio_localisation_t *lo) {
  free(lo->hoover);
  free(lo->gini);
  free(lo->concentration);
  free(lo->plant_herfindahl);
  free(lo->ellison_glaeser);
  free(lo->maurel_sedillot);
}

static void store_sector(regio_localisation_t *lo, size_t s, const regio_localisation_sector_t *one) {
  lo->hoover[s] = one->hoover;
  lo->gini[s] = one->gini;
  lo->concentration[s] = one->concentration;
  lo->plant_herfindahl[s] = one->plant_herfindahl;
  lo->ellison_glaeser[s] = one->ellison_glaeser;
  lo->maurel_sedillot[s] = one->maurel_sedillot;
}

/* The non-zero cells of sectors [s0, s1) by sector (CSC): sector s's cells are district[k],
 * employment[k] for k in [start[s - s0], start[s - s0 + 1]), in ascending district order. */
typedef struct columns {
  size_t *start;
  uint32_t *district;
  int64_t *employment;
} columns_t;

static void columns_free(columns_t *c) {
  free(c->start);
  free(c->district);
  free(c->employment);
}

/* The indices of sectors [s0, s1) from their columns over all n_districts districts; results
 * written at index s. Each sector's sums run over its cells in district order, on the one thread
 * that owns the sector. */
static regio_err_t localisation_columns(const columns_t *col, size_t n_districts, const int64_t *district_totals,
                                        const regio_level_t *level, int64_t national_total, size_t s0, size_t s1,
                                        regio_localisation_t *lo, regio_ctx_t *ctx) {
  const int T = regio_ctx_threads(ctx) > 0 ? regio_ctx_threads(ctx) : 1;
  /* the districts' shares of all employment, sum_d x_d^2 serially in district order, and
   * sum_d E_d^2 exactly */
  double sum_x2 = 0.0;
  regio_u128_t sum_sq = 0;
  const double national = (double)national_total;
  double *x = malloc((n_districts ? n_districts : 1) * sizeof *x);
  if (!x)
    return REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for the localisation indices of level %s", level->name);
  for (size_t d = 0; d < n_districts; d++) {
    x[d] = (double)district_totals[d] / national;
    sum_x2 += x[d] * x[d];
    sum_sq += (regio_u128_t)(uint64_t)district_totals[d] * (uint64_t)district_totals[d];
  }
  size_t longest = 0; /* the most cells in one column */
  for (size_t s = s0; s < s1; s++)
    if (col->start[s - s0 + 1] - col->start[s - s0] > longest) longest = col->start[s - s0 + 1] - col->start[s - s0];
  int out_of_memory = 0;
#pragma omp parallel num_threads(T)
  {
    regio_localisation_scratch_t *scratch = regio_localisation_scratch_new(longest);
    if (!scratch) {
#pragma omp atomic write
      out_of_memory = 1;
    }
#pragma omp for schedule(dynamic, 1)
    for (size_t s = s0; s < s1; s++) {
      if (!scratch) continue;
      const size_t a = col->start[s - s0], n = col->start[s - s0 + 1] - a;
      regio_localisation_sector_t one;
      regio_localisation_cells(col->district + a, col->employment + a, n, district_totals, x,
                               level->sector_employment[s], national_total, sum_x2, sum_sq,
                               level->sector_size_squares ? &level->sector_size_squares[s] : NULL, scratch, &one);
      store_sector(lo, s, &one);
    }
    regio_localisation_scratch_free(scratch);
  }
  free(x);
  if (out_of_memory)
    return REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for the localisation indices of level %s", level->name);
  return REGIO_OK;
}

/* The columns of a level from its rows: every thread counts, then copies, the cells of a
 * contiguous range of districts, and the prefix sums of the counts place each thread's cells after
 * those of the threads before it in each column, so every column is in district order. */
static regio_err_t columns_from_rows(const regio_rows_t *rows, size_t D, size_t S, int T, columns_t *col,
                                     regio_ctx_t *ctx) {
  if (T < 1) T = 1;
  /* counts[t * S + s]: thread t's cells of sector s, then where they start in the column */
  size_t *counts = calloc((size_t)T * (S ? S : 1), sizeof *counts);
  col->start = malloc((S + 1) * sizeof *col->start);
  const size_t nnz = rows->start[D];
  col->district = malloc((nnz ? nnz : 1) * sizeof *col->district);
  col->employment = malloc((nnz ? nnz : 1) * sizeof *col->employment);
  regio_advise_huge(col->district, nnz * sizeof *col->district);
  regio_advise_huge(col->employment, nnz * sizeof *col->employment);
  if (!counts || !col->start || !col->district || !col->employment) {
    free(counts);
    return REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for the sector columns (%zu cells)", nnz);
  }
#pragma omp parallel num_threads(T)
  {
    const size_t t = (size_t)omp_get_thread_num(), nt = (size_t)omp_get_num_threads();
    const size_t d0 = D * t / nt, d1 = D * (t + 1) / nt;
    size_t *mine = counts + t * S;
    for (size_t k = rows->start[d0]; k < rows->start[d1]; k++) mine[rows->sector[k]]++;
#pragma omp barrier
#pragma omp single
    {
      size_t total = 0;
      for (size_t s = 0; s < S; s++) {
        col->start[s] = total;
        for (size_t q = 0; q < nt; q++) {
          const size_t c = counts[q * S + s];
          counts[q * S + s] = total;
          total += c;
        }
      }
      col->start[S] = total;
    } /* implicit barrier */
    for (size_t d = d0; d < d1; d++)
      for (size_t k = rows->start[d]; k < rows->start[d + 1]; k++) {
        const size_t at = mine[rows->sector[k]]++;
        /* each column is a stream of writes, too many streams for the hardware's prefetchers: ask
         * for its next line now (us-tract, 2 threads: 144-173 -> 61-70 ms of CPU here) */
        __builtin_prefetch(&col->district[at + 16], 1);
        __builtin_prefetch(&col->employment[at + 8], 1);
        col->district[at] = (uint32_t)d;
        col->employment[at] = rows->value[k];
      }
  }
  free(counts);
  return REGIO_OK;
}

/* Distributed mode: a sector's indices need its whole column, over every district. The matrix is
 * transposed by blocks: rank q receives the non-zero cells of sectors [S q / P, S (q + 1) / P) from
 * every rank, computes their indices exactly as one process would (same values, same district
 * order), and the results are gathered. Collective. */
typedef struct column_cell {
  uint32_t district, sector; /* global district, sector within the receiver's block */
  int64_t employment;
} column_cell_t;

static regio_err_t localisation_dist(regio_result_t *res, regio_level_t *level, const regio_rows_t *rows,
                                     regio_ctx_t *ctx) {
  regio_dist_t *dist = regio_ctx_dist(ctx);
  const int P = regio_dist_size(dist), rank = regio_dist_rank(dist);
  const size_t D = res->agg->districts.count, S = level->sectors.count, Dg = res->n_districts_global;
  const size_t d0 = res->district_offset;
  regio_localisation_t *lo = &level->localisation;
  regio_err_t err = REGIO_OK;
  int64_t *totals = NULL;
  columns_t col = {NULL, NULL, NULL};
  size_t *send_bytes = calloc((size_t)P, sizeof *send_bytes), *fill = calloc((size_t)P, sizeof *fill);
  size_t *first_sector = malloc(((size_t)P + 1) * sizeof *first_sector);
  size_t *recv_bytes = NULL;
  column_cell_t *send = NULL, *recv = NULL;
  double *mine = NULL, *all = NULL;
  if (!send_bytes || !fill || !first_sector) err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory");
  if (!err && Dg > UINT32_MAX)
    err = REGIO_ERROR(ctx, REGIO_ERR_INPUT, "%zu districts in level %s: more than the localisation indices handle", Dg,
                      level->name);
  if ((err = regio_dist_agree(dist, err, ctx))) goto done;
  /* every district's total, in district order */
  if ((err = regio_dist_allgatherv(dist, res->district_employment, D * sizeof(int64_t), (void **)&totals, NULL, NULL,
                                   ctx)))
    goto done;
  for (int q = 0; q <= P; q++) first_sector[q] = S * (size_t)q / (size_t)P;
  for (int pass = 0; pass < 2; pass++) {
    for (size_t d = 0; d < D; d++) {
      int q = 0;
      for (size_t k = rows->start[d]; k < rows->start[d + 1]; k++) {
        const size_t s = rows->sector[k];
        while (s >= first_sector[q + 1]) q++;
        if (!rows->value[k]) continue;
        if (pass == 0)
          send_bytes[q] += sizeof(column_cell_t);
        else
          send[fill[q]++] = (column_cell_t){(uint32_t)(d0 + d), (uint32_t)(s - first_sector[q]), rows->value[k]};
      }
    }
    if (pass == 0) {
      size_t total = 0;
      for (int q = 0; q < P; q++) {
        fill[q] = total / sizeof(column_cell_t);
        total += send_bytes[q];
      }
      send = malloc(total ? total : 1);
      err = send ? REGIO_OK : REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory transposing level %s", level->name);
      if ((err = regio_dist_agree(dist, err, ctx))) goto done;
    }
  }
  if ((err = regio_dist_alltoallv(dist, send, send_bytes, (void **)&recv, &recv_bytes, ctx))) goto done;
  free(send);
  send = NULL;
  const size_t s0 = first_sector[rank], s1 = first_sector[rank + 1], width = s1 - s0;
  {
    /* the columns: a stable counting sort of the cells by sector. The ranks' blocks arrive in rank
     * order, which is district order, and each rank sent its cells in district order, so every
     * column is in district order (checked) */
    size_t n = 0;
    for (int q = 0; q < P; q++) n += recv_bytes[q] / sizeof(column_cell_t);
    col.start = calloc(width + 1, sizeof *col.start);
    col.district = malloc((n ? n : 1) * sizeof *col.district);
    col.employment = malloc((n ? n : 1) * sizeof *col.employment);
    err = col.start && col.district && col.employment
              ? REGIO_OK
              : REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for the columns of level %s", level->name);
    int ordered = 1;
    if (!err) {
      for (size_t i = 0; i < n; i++) col.start[recv[i].sector + 1]++;
      for (size_t j = 0; j < width; j++) col.start[j + 1] += col.start[j];
      for (size_t i = 0; i < n; i++) {
        const size_t j = recv[i].sector, at = col.start[j]++;
        col.district[at] = recv[i].district;
        col.employment[at] = recv[i].employment;
      }
      for (size_t j = width; j > 0; j--) col.start[j] = col.start[j - 1];
      col.start[0] = 0;
      for (size_t j = 0; j < width; j++)
        for (size_t k = col.start[j] + 1; k < col.start[j + 1]; k++) ordered &= col.district[k - 1] < col.district[k];
      if (!ordered)
        err = REGIO_ERROR(ctx, REGIO_ERR_INTERNAL, "level %s: the columns arrived out of district order", level->name);
    }
    if (!err) err = localisation_columns(&col, Dg, totals, level, res->total_employment, s0, s1, lo, ctx);
  }
  if ((err = regio_dist_agree(dist, err, ctx))) goto done;
  /* the six indices of every sector block, gathered into every rank's arrays */
  mine = malloc((width ? width : 1) * 6 * sizeof *mine);
  err = mine ? REGIO_OK : REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory");
  if ((err = regio_dist_agree(dist, err, ctx))) goto done;
  {
    double *const arrays[6] = {lo->hoover,          lo->gini,           lo->concentration, lo->plant_herfindahl,
                               lo->ellison_glaeser, lo->maurel_sedillot};
    for (int k = 0; k < 6; k++) memcpy(mine + (size_t)k * width, arrays[k] + s0, width * sizeof *mine);
    if ((err = regio_dist_allgatherv(dist, mine, width * 6 * sizeof *mine, (void **)&all, NULL, NULL, ctx))) goto done;
    for (int q = 0; q < P; q++) {
      const size_t a = first_sector[q], w = first_sector[q + 1] - a;
      const double *from = all + a * 6; /* the blocks before q hold 6 * a values */
      for (int k = 0; k < 6; k++) memcpy(arrays[k] + a, from + (size_t)k * w, w * sizeof *from);
    }
  }
done:
  free(totals);
  columns_free(&col);
  free(send_bytes);
  free(fill);
  free(first_sector);
  free(recv_bytes);
  free(send);
  free(recv);
  free(mine);
  free(all);
  return err;
}

regio_err_t regio_localisation_compute(regio_result_t *res, regio_level_t *level, const regio_rows_t *rows,
                                       regio_ctx_t *ctx) {
  const size_t D = res->agg->districts.count, S = level->sectors.count;
  const size_t nS = S ? S : 1;
  regio_localisation_t *lo = &level->localisation;
  lo->hoover = malloc(nS * sizeof(double));
  lo->gini = malloc(nS * sizeof(double));
  lo->concentration = malloc(nS * sizeof(double));
  lo->plant_herfindahl = malloc(nS * sizeof(double));
  lo->ellison_glaeser = malloc(nS * sizeof(double));
  lo->maurel_sedillot = malloc(nS * sizeof(double));
  regio_err_t err = REGIO_OK;
  if (!lo->hoover || !lo->gini || !lo->concentration || !lo->plant_herfindahl || !lo->ellison_glaeser ||
      !lo->maurel_sedillot)
    err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for the localisation indices of level %s", level->name);
  if (regio_dist_size(regio_ctx_dist(ctx)) > 1) {
    if ((err = regio_dist_agree(regio_ctx_dist(ctx), err, ctx))) return err;
    return localisation_dist(res, level, rows, ctx);
  }
  if (err) return err;
  if (D > UINT32_MAX)
    return REGIO_ERROR(ctx, REGIO_ERR_INPUT, "%zu districts in level %s: more than the localisation indices handle", D,
                       level->name);
  columns_t col = {NULL, NULL, NULL};
  err = columns_from_rows(rows, D, S, regio_ctx_threads(ctx), &col, ctx);
  if (!err) err = localisation_columns(&col, D, res->district_employment, level, res->total_employment, 0, S, lo, ctx);
  columns_free(&col);
  return err;
}

void regio_localisation_free(regio_level_t *level) {
  free_localisation(&level->localisation);
}
