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

/* A district in the Lorenz order of one sector: ascending E_ds / E_d, compared exactly, ties by
 * district index, so the order is total and unique. The rounded ratio sorts first (rounding is
 * monotone, so it never contradicts the exact order) and the exact comparison by cross
 * multiplication decides only between equal rounded ratios. */
typedef struct lorenz_entry {
  double ratio;              /* E_ds / E_d, rounded */
  int64_t sector_employment; /* E_ds */
  int64_t district_employment;
  size_t district;
} lorenz_entry_t;

#define SWAP_ENTRIES(x, y)       \
  do {                           \
    const lorenz_entry_t t_ = x; \
    x = y;                       \
    y = t_;                      \
  } while (0)

static int lorenz_cmp(const void *a, const void *b) {
  const lorenz_entry_t *x = a, *y = b;
  if (x->ratio != y->ratio) return x->ratio < y->ratio ? -1 : 1;
  /* E_xs / E_x < E_ys / E_y  <=>  E_xs * E_y < E_ys * E_x (both denominators positive) */
  const __int128 left = (__int128)x->sector_employment * y->district_employment;
  const __int128 right = (__int128)y->sector_employment * x->district_employment;
  if (left != right) return left < right ? -1 : 1;
  return (x->district > y->district) - (x->district < y->district);
}

/* (ratio, district) order, inline for the sort below. */
static inline int lorenz_before(const lorenz_entry_t *x, const lorenz_entry_t *y) {
  return x->ratio < y->ratio || (x->ratio == y->ratio && x->district < y->district);
}

/* Sorts by (rounded ratio, district): quicksort with median-of-three, insertion sort for short
 * ranges; an inline comparison is several times faster than qsort's callback here. */
static void lorenz_sort(lorenz_entry_t *a, size_t n) {
  while (n > 16) {
    const size_t mid = n / 2, last = n - 1;
    if (lorenz_before(&a[mid], &a[0])) SWAP_ENTRIES(a[mid], a[0]);
    if (lorenz_before(&a[last], &a[0])) SWAP_ENTRIES(a[last], a[0]);
    if (lorenz_before(&a[last], &a[mid])) SWAP_ENTRIES(a[last], a[mid]);
    const lorenz_entry_t pivot = a[mid];
    size_t i = 0, j = last;
    for (;;) {
      while (lorenz_before(&a[i], &pivot)) i++;
      while (lorenz_before(&pivot, &a[j])) j--;
      if (i >= j) break;
      SWAP_ENTRIES(a[i], a[j]);
      i++;
      j--;
    }
    /* [0, j] and [j + 1, n): recurse into the smaller part, loop on the larger */
    const size_t left = j + 1;
    if (left < n - left) {
      lorenz_sort(a, left);
      a += left;
      n -= left;
    } else {
      lorenz_sort(a + left, n - left);
      n = left;
    }
  }
  for (size_t i = 1; i < n; i++) {
    const lorenz_entry_t e = a[i];
    size_t k = i;
    for (; k > 0 && lorenz_before(&e, &a[k - 1]); k--) a[k] = a[k - 1];
    a[k] = e;
  }
}

/* Order-preserving key of a ratio (not NaN): a < b <=> key(a) < key(b), but for -0 < +0 (a ratio
 * E_ds / E_d with E_ds > 0 is never 0). */
static inline uint64_t ratio_key(double ratio) {
  uint64_t u;
  memcpy(&u, &ratio, sizeof u);
  return u >> 63 ? ~u : u | (UINT64_C(1) << 63);
}

typedef struct radix_item {
  uint64_t key;
  size_t index; /* in the unsorted entries, which are in district order */
} radix_item_t;

enum { RADIX_BITS = 11, RADIX_SIZE = 1 << RADIX_BITS, RADIX_PASSES = (64 + RADIX_BITS - 1) / RADIX_BITS };

/* The room lorenz_radix_sort needs for up to n entries. */
typedef struct radix_scratch {
  lorenz_entry_t *entries, *sorted;
  radix_item_t *items, *swap;
  size_t (*counts)[RADIX_SIZE];
} radix_scratch_t;

/* The (rounded ratio, district) order of lorenz_sort by a stable LSD radix sort of the ratios' keys:
 * order[0, n) is in district order, so stability puts equal ratios in district order. Returns the
 * sorted entries (order itself, sorted by lorenz_sort, for short lists, else scratch->sorted). */
static lorenz_entry_t *lorenz_radix_sort(lorenz_entry_t *order, size_t n, radix_scratch_t *scratch) {
  if (n < 256) {
    lorenz_sort(order, n);
    return order;
  }
  radix_item_t *a = scratch->items, *b = scratch->swap;
  size_t(*counts)[RADIX_SIZE] = scratch->counts;
  memset(counts, 0, RADIX_PASSES * sizeof *counts);
  for (size_t i = 0; i < n; i++) {
    const uint64_t key = ratio_key(order[i].ratio);
    a[i] = (radix_item_t){key, i};
    for (int p = 0; p < RADIX_PASSES; p++) counts[p][(key >> (p * RADIX_BITS)) & (RADIX_SIZE - 1)]++;
  }
  for (int p = 0; p < RADIX_PASSES; p++) {
    const int shift = p * RADIX_BITS;
    size_t *c = counts[p];
    if (c[(a[0].key >> shift) & (RADIX_SIZE - 1)] == n) continue; /* one digit: nothing moves */
    size_t total = 0;
    for (size_t v = 0; v < RADIX_SIZE; v++) {
      const size_t k = c[v];
      c[v] = total;
      total += k;
    }
    for (size_t i = 0; i < n; i++) b[c[(a[i].key >> shift) & (RADIX_SIZE - 1)]++] = a[i];
    radix_item_t *t = a;
    a = b;
    b = t;
  }
  for (size_t i = 0; i < n; i++) scratch->sorted[i] = order[a[i].index];
  return scratch->sorted;
}

/* The end of a sector's computation from its district sums: Hoover, G, the Lorenz order and the
 * Gini, and the EG and MS indices. order[0, n): the districts with E_ds > 0, sorted by
 * (rounded ratio, district) here unless `sorted`. */
static void localisation_sums_finish(lorenz_entry_t *order, size_t n, int sorted, double abs_sum, double g,
                                     double sum_s2, int64_t sector_total, int64_t national_total, double sum_x2,
                                     const regio_u128_t *size_squares, regio_localisation_sector_t *out) {
  const double sector = (double)sector_total, national = (double)national_total;
  out->hoover = 0.5 * abs_sum;
  out->concentration = g;

  if (!sorted) lorenz_sort(order, n);
  /* equal rounded ratios (rare beyond exact ties): put them in the exact order */
  for (size_t k = 0; k < n;) {
    size_t end = k + 1;
    while (end < n && order[end].ratio == order[k].ratio) end++;
    if (end - k > 1) qsort(order + k, end - k, sizeof *order, lorenz_cmp);
    k = end;
  }
  double cumulative = 0.0, area = 0.0; /* area = sum_k x_k (Y_(k-1) + Y_k), over districts with E_ds > 0 */
  for (size_t k = 0; k < n; k++) {
    const double share = (double)order[k].sector_employment / sector;
    const double x = (double)order[k].district_employment / national;
    area += x * (2.0 * cumulative + share);
    cumulative += share;
  }
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
  localisation_sums_finish(order, n, 0, abs_sum, g, sum_s2, sector_total, national_total, sum_x2, size_squares, out);
}

/* regio_localisation_sector with the districts' shares x[d] = E_d / E computed once for all
 * sectors, and the empty cells (most of them at fine levels) taking a short path: for E_ds = 0 the
 * share is exactly 0, so |0 - x| = x and (0 - x)^2 = x * x to the bit, and 0^2 adds nothing. Every
 * sum runs in the same district order with the same terms, so the values are the reference
 * kernel's, bit for bit (tests/unit/test_specialisation.c compares them). */
void regio_localisation_sector_shares(const int64_t *employment, size_t stride, size_t n_districts,
                                      const int64_t *district_totals, const double *x, int64_t sector_total,
                                      int64_t national_total, double sum_x2, const regio_u128_t *size_squares,
                                      void *scratch, regio_localisation_sector_t *out) {
  out->hoover = out->gini = out->concentration = NAN;
  out->plant_herfindahl = out->ellison_glaeser = out->maurel_sedillot = NAN;
  if (sector_total <= 0 || national_total <= 0) return;
  const double sector = (double)sector_total;
  double abs_sum = 0.0, g = 0.0, sum_s2 = 0.0;
  lorenz_entry_t *order = scratch;
  size_t n = 0;
  for (size_t d = 0; d < n_districts; d++) {
    const int64_t e = employment[d * stride];
    if (e == 0) {
      abs_sum += x[d];
      g += x[d] * x[d];
      continue;
    }
    const double share = (double)e / sector;
    abs_sum += fabs(share - x[d]);
    g += (share - x[d]) * (share - x[d]);
    sum_s2 += share * share;
    if (e > 0) order[n++] = (lorenz_entry_t){(double)e / (double)district_totals[d], e, district_totals[d], d};
  }
  localisation_sums_finish(order, n, 0, abs_sum, g, sum_s2, sector_total, national_total, sum_x2, size_squares, out);
}

static void free_localisation(regio_localisation_t *lo) {
  free(lo->hoover);
  free(lo->gini);
  free(lo->concentration);
  free(lo->plant_herfindahl);
  free(lo->ellison_glaeser);
  free(lo->maurel_sedillot);
}

/* The indices of one sector from its non-zero cells (district[k], employment[k]), k < n_cells, in
 * ascending district order: regio_localisation_sector_shares walking the districts without the
 * sector between the cells on its short path, so every sum adds the same terms in the same district
 * order and the values are the same to the bit. order: room for n_cells entries. */
static void localisation_sector_cells(const uint32_t *district, const int64_t *employment, size_t n_cells,
                                      size_t n_districts, const int64_t *district_totals, const double *x,
                                      int64_t sector_total, int64_t national_total, double sum_x2,
                                      const regio_u128_t *size_squares, radix_scratch_t *scratch,
                                      regio_localisation_sector_t *out) {
  out->hoover = out->gini = out->concentration = NAN;
  out->plant_herfindahl = out->ellison_glaeser = out->maurel_sedillot = NAN;
  if (sector_total <= 0 || national_total <= 0) return;
  const double sector = (double)sector_total;
  double abs_sum = 0.0, g = 0.0, sum_s2 = 0.0;
  lorenz_entry_t *order = scratch->entries;
  size_t n = 0, d = 0;
  for (size_t k = 0;; k++) {
    const size_t next = k < n_cells ? district[k] : n_districts;
    for (; d < next; d++) { /* E_ds = 0 */
      abs_sum += x[d];
      g += x[d] * x[d];
    }
    if (k == n_cells) break;
    const int64_t e = employment[k];
    const double share = (double)e / sector;
    abs_sum += fabs(share - x[d]);
    g += (share - x[d]) * (share - x[d]);
    sum_s2 += share * share;
    if (e > 0) order[n++] = (lorenz_entry_t){(double)e / (double)district_totals[d], e, district_totals[d], d};
    d++;
  }
  order = lorenz_radix_sort(order, n, scratch);
  localisation_sums_finish(order, n, 1, abs_sum, g, sum_s2, sector_total, national_total, sum_x2, size_squares, out);
}

static void store_sector(regio_localisation_t *lo, size_t s, const regio_localisation_sector_t *one) {
  lo->hoover[s] = one->hoover;
  lo->gini[s] = one->gini;
  lo->concentration[s] = one->concentration;
  lo->plant_herfindahl[s] = one->plant_herfindahl;
  lo->ellison_glaeser[s] = one->ellison_glaeser;
  lo->maurel_sedillot[s] = one->maurel_sedillot;
}

/* The indices of sectors [s0, s1) from a column block of the matrix: employment[d * stride + s - s0]
 * over all n_districts districts, in district order; results written at index s.
 *
 * Walking a column with stride `stride` touches a new cache line (and often a new page) per cell,
 * so the block is first transposed by rows into lists of its non-zero cells by column (CSR), each
 * in district order: every thread counts, then copies, the cells of a contiguous range of
 * districts, and the prefix sums of the counts place each thread's cells after those of the
 * threads before it in each column. Then each sector walks the districts once, with x[] in
 * cache, merging in its list. */
static regio_err_t localisation_block(const int64_t *employment, size_t stride, size_t n_districts,
                                      const int64_t *district_totals, const regio_level_t *level,
                                      int64_t national_total, size_t s0, size_t s1, regio_localisation_t *lo,
                                      regio_ctx_t *ctx) {
  const size_t W = s1 - s0;
  if (n_districts > UINT32_MAX)
    return REGIO_ERROR(ctx, REGIO_ERR_INPUT, "%zu districts in level %s: more than the localisation indices handle",
                       n_districts, level->name);
  const int T = regio_ctx_threads(ctx) > 0 ? regio_ctx_threads(ctx) : 1;
  /* the districts' shares of all employment, and sum_d x_d^2 serially in district order */
  double sum_x2 = 0.0;
  const double national = (double)national_total;
  double *x = malloc((n_districts ? n_districts : 1) * sizeof *x);
  /* counts[t * W + j]: thread t's cells of column j, then where they start in the column lists */
  size_t *counts = calloc((size_t)T * (W ? W : 1), sizeof *counts);
  size_t *start = malloc((W + 1) * sizeof *start);
  uint32_t *cell_district = NULL;
  int64_t *cell_employment = NULL;
  if (!x || !counts || !start) {
    free(x);
    free(counts);
    free(start);
    return REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for the localisation indices of level %s", level->name);
  }
  for (size_t d = 0; d < n_districts; d++) {
    x[d] = (double)district_totals[d] / national;
    sum_x2 += x[d] * x[d];
  }
  int lists_failed = 0, out_of_memory = 0;
  size_t longest = 0; /* the most cells in one column */
#pragma omp parallel num_threads(T)
  {
    const size_t t = (size_t)omp_get_thread_num(), nt = (size_t)omp_get_num_threads();
    const size_t d0 = n_districts * t / nt, d1 = n_districts * (t + 1) / nt;
    size_t *mine = counts + t * W;
    for (size_t d = d0; d < d1; d++) {
      const int64_t *row = employment + d * stride;
      for (size_t j = 0; j < W; j++) mine[j] += row[j] != 0;
    }
#pragma omp barrier
#pragma omp single
    {
      size_t total = 0;
      for (size_t j = 0; j < W; j++) {
        start[j] = total;
        for (size_t q = 0; q < nt; q++) {
          const size_t c = counts[q * W + j];
          counts[q * W + j] = total;
          total += c;
        }
        if (total - start[j] > longest) longest = total - start[j];
      }
      start[W] = total;
      cell_district = malloc((total ? total : 1) * sizeof *cell_district);
      cell_employment = malloc((total ? total : 1) * sizeof *cell_employment);
      lists_failed = !cell_district || !cell_employment;
    } /* implicit barrier */
    if (!lists_failed) {
      for (size_t d = d0; d < d1; d++) {
        const int64_t *row = employment + d * stride;
        for (size_t j = 0; j < W; j++)
          if (row[j]) {
            const size_t k = mine[j]++;
            cell_district[k] = (uint32_t)d;
            cell_employment[k] = row[j];
          }
      }
    }
#pragma omp barrier
    radix_scratch_t scratch = {NULL, NULL, NULL, NULL, NULL};
    int ready = 0;
    if (!lists_failed) {
      const size_t room = longest ? longest : 1;
      scratch.entries = malloc(room * sizeof *scratch.entries);
      scratch.sorted = malloc(room * sizeof *scratch.sorted);
      scratch.items = malloc(room * sizeof *scratch.items);
      scratch.swap = malloc(room * sizeof *scratch.swap);
      scratch.counts = malloc(RADIX_PASSES * sizeof *scratch.counts);
      ready = scratch.entries && scratch.sorted && scratch.items && scratch.swap && scratch.counts;
      if (!ready) {
#pragma omp atomic write
        out_of_memory = 1;
      }
    }
#pragma omp for schedule(dynamic, 1)
    for (size_t s = s0; s < s1; s++) {
      if (!ready) continue;
      const size_t a = start[s - s0], n = start[s - s0 + 1] - a;
      regio_localisation_sector_t one;
      localisation_sector_cells(cell_district + a, cell_employment + a, n, n_districts, district_totals, x,
                                level->sector_employment[s], national_total, sum_x2,
                                level->sector_size_squares ? &level->sector_size_squares[s] : NULL, &scratch, &one);
      store_sector(lo, s, &one);
    }
    free(scratch.entries);
    free(scratch.sorted);
    free(scratch.items);
    free(scratch.swap);
    free(scratch.counts);
  }
  free(x);
  free(counts);
  free(start);
  free(cell_district);
  free(cell_employment);
  if (lists_failed || out_of_memory)
    return REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for the localisation indices of level %s", level->name);
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

static regio_err_t localisation_dist(regio_result_t *res, regio_level_t *level, regio_ctx_t *ctx) {
  regio_dist_t *dist = regio_ctx_dist(ctx);
  const int P = regio_dist_size(dist), rank = regio_dist_rank(dist);
  const size_t D = res->agg->districts.count, S = level->sectors.count, Dg = res->n_districts_global;
  const size_t d0 = res->district_offset;
  regio_localisation_t *lo = &level->localisation;
  regio_err_t err = REGIO_OK;
  int64_t *totals = NULL, *block = NULL;
  size_t *send_bytes = calloc((size_t)P, sizeof *send_bytes), *fill = calloc((size_t)P, sizeof *fill);
  size_t *first_sector = malloc(((size_t)P + 1) * sizeof *first_sector);
  size_t *recv_bytes = NULL;
  column_cell_t *send = NULL, *recv = NULL;
  double *mine = NULL, *all = NULL;
  if (!send_bytes || !fill || !first_sector) err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory");
  if ((err = regio_dist_agree(dist, err, ctx))) goto done;
  /* every district's total, in district order */
  if ((err = regio_dist_allgatherv(dist, res->district_employment, D * sizeof(int64_t), (void **)&totals, NULL, NULL,
                                   ctx)))
    goto done;
  for (int q = 0; q <= P; q++) first_sector[q] = S * (size_t)q / (size_t)P;
  for (int pass = 0; pass < 2; pass++) {
    for (size_t d = 0; d < D; d++) {
      const int64_t *row = level->employment + d * S;
      int q = 0;
      for (size_t s = 0; s < S; s++) {
        while (s >= first_sector[q + 1]) q++;
        if (!row[s]) continue;
        if (pass == 0)
          send_bytes[q] += sizeof(column_cell_t);
        else
          send[fill[q]++] = (column_cell_t){(uint32_t)(d0 + d), (uint32_t)(s - first_sector[q]), row[s]};
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
  block = calloc(Dg * width > 0 ? Dg * width : 1, sizeof *block);
  err = block ? REGIO_OK
              : REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for %zu x %zu columns of level %s", Dg, width,
                            level->name);
  if (!err) {
    size_t n = 0;
    for (int q = 0; q < P; q++) n += recv_bytes[q] / sizeof(column_cell_t);
    for (size_t i = 0; i < n; i++) block[(size_t)recv[i].district * width + recv[i].sector] = recv[i].employment;
    err = localisation_block(block, width, Dg, totals, level, res->total_employment, s0, s1, lo, ctx);
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
  free(block);
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

regio_err_t regio_localisation_compute(regio_result_t *res, regio_level_t *level, regio_ctx_t *ctx) {
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
    return localisation_dist(res, level, ctx);
  }
  if (err) return err;
  return localisation_block(level->employment, S, D, res->district_employment, level, res->total_employment, 0, S, lo,
                            ctx);
}

void regio_localisation_free(regio_level_t *level) {
  free_localisation(&level->localisation);
}
