/* Unit test of the indices stage (src/indices/): location quotients, sector levels by code prefix,
 * Shannon entropy and its decomposition into unrelated and related variety (Frenken, Van Oort &
 * Verburg 2007). Aggregates are built by hand; expected values are fractions and entropies
 * computed by hand in the comments, and on random matrices an independent computation in this
 * file (roll-ups by prefix, LQ = E_ds E / (E_d E_s), entropy from the full row). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "regio/indices.h"
#include "regio/ingest.h"
#include "testing.h"

static regio_ctx_t *ctx;

/* Matrices materialised for the checks, kept until exit, so the checks can hold the pointers. */
static void **kept;
static size_t n_kept;
static void free_kept(void) {
  for (size_t i = 0; i < n_kept; i++) free(kept[i]);
  free(kept);
}
static void *keep(size_t bytes) {
  void *m = malloc(bytes ? bytes : 1);
  void **grown = realloc(kept, (n_kept + 1) * sizeof *grown);
  if (!m || !grown) {
    fprintf(stderr, "out of memory\n");
    exit(1);
  }
  if (n_kept == 0) atexit(free_kept);
  kept = grown;
  kept[n_kept++] = m;
  return m;
}

/* The LQ matrix of a level (the result keeps none: they are computed row by row by
 * regio_level_lq_rows). */
static const double *level_lq(const regio_result_t *res, const regio_level_t *lvl) {
  const size_t D = res->agg->districts.count, S = lvl->sectors.count;
  double *m = keep(D * S * sizeof *m);
  regio_level_lq_rows(res, lvl, 0, D, 0, S, 0, m);
  return m;
}

/* The employment matrix of a level, dense (the result keeps its non-zero cells only), read row
 * by row by regio_level_row and cell by cell by regio_level_cell, which must agree; the cells are
 * checked to be what the header promises: each row's in strictly ascending sector order, none 0. */
static const int64_t *level_employment(const regio_result_t *res, const regio_level_t *lvl) {
  const size_t D = res->agg->districts.count, S = lvl->sectors.count;
  int64_t *m = keep(D * S * sizeof *m);
  int cells_ok = lvl->cell_start && lvl->cell_start[0] == 0, same = 1;
  for (size_t d = 0; cells_ok && d < D; d++) {
    cells_ok = lvl->cell_start[d + 1] >= lvl->cell_start[d];
    for (size_t k = lvl->cell_start[d]; cells_ok && k < lvl->cell_start[d + 1]; k++)
      cells_ok = lvl->cell_sector[k] < S && lvl->cell_employment[k] != 0 &&
                 (k == lvl->cell_start[d] || lvl->cell_sector[k - 1] < lvl->cell_sector[k]);
  }
  CHECKF(cells_ok, "level %s: its cells are not in ascending sector order, or one is 0", lvl->name);
  if (!cells_ok) {
    memset(m, 0, D * S * sizeof *m);
    return m;
  }
  for (size_t d = 0; d < D; d++) {
    regio_level_row(lvl, d, 0, S, m + d * S);
    for (size_t s = 0; s < S; s++) same &= regio_level_cell(lvl, d, s) == m[d * S + s];
  }
  CHECKF(same, "level %s: regio_level_row and regio_level_cell differ", lvl->name);
  return m;
}

/* ---- hand-built aggregates --------------------------------------------------------------------- */

static void fill_codes(regio_codes_t *codes, const char *const *strings, size_t n) {
  size_t width = 1;
  for (size_t i = 0; i < n; i++)
    if (strlen(strings[i]) > width) width = strlen(strings[i]);
  REQUIRE(regio_codes_init(codes, n, width, ctx) == REGIO_OK);
  for (size_t i = 0; i < n; i++) memcpy(codes->chars + i * width, strings[i], strlen(strings[i]));
}

/* An aggregate of D districts x S sectors (codes given in sorted order), employment in milli,
 * owned as regio_aggregate_destroy expects (malloc'd fields). */
static regio_aggregate_t *make_agg(const char *const *districts, size_t D, const char *const *sectors, size_t S,
                                   const int64_t *milli) {
  regio_aggregate_t *agg = calloc(1, sizeof *agg);
  REQUIRE(agg != NULL);
  fill_codes(&agg->districts, districts, D);
  fill_codes(&agg->sectors, sectors, S);
  agg->employment = malloc((D * S > 0 ? D * S : 1) * sizeof(int64_t));
  agg->district_establishments = calloc(D ? D : 1, sizeof(int64_t));
  agg->sector_establishments = calloc(S ? S : 1, sizeof(int64_t));
  REQUIRE(agg->employment && agg->district_establishments && agg->sector_establishments);
  if (D * S > 0) memcpy(agg->employment, milli, D * S * sizeof(int64_t));
  return agg;
}

static regio_indices_opts_t no_opts(void) {
  regio_indices_opts_t o;
  memset(&o, 0, sizeof o);
  return o;
}

static regio_err_t compute(regio_aggregate_t *agg, const regio_indices_opts_t *o, int threads, regio_result_t **res) {
  regio_ctx_clear(ctx);
  regio_ctx_set_threads(ctx, threads);
  regio_err_t err = regio_indices_compute(&agg, o, ctx, res);
  CHECK(agg == NULL); /* ownership taken on success and on failure */
  return err;
}

/* compute() that must succeed: stops the test with the message otherwise. */
static void compute_ok(regio_aggregate_t *agg, const regio_indices_opts_t *o, int threads, regio_result_t **res) {
  if (compute(agg, o, threads, res) != REGIO_OK) {
    fprintf(stderr, "regio_indices_compute failed: %s (%s)\n", regio_ctx_message(ctx), regio_ctx_origin(ctx));
    exit(1);
  }
}

static void expect_level_codes(const char *file, int line, const regio_codes_t *codes, const char *const *want,
                               size_t n) {
  test_checks++;
  int ok = codes->count == n;
  for (size_t i = 0; ok && i < n; i++)
    ok =
        regio_codes_len(codes, i) == strlen(want[i]) && memcmp(regio_codes_at(codes, i), want[i], strlen(want[i])) == 0;
  if (!ok) {
    test_failures++;
    fprintf(stderr, "%s:%d: level codes differ: got %zu [", file, line, codes->count);
    for (size_t i = 0; i < codes->count; i++)
      fprintf(stderr, "%s\"%.*s\"", i ? ", " : "", (int)regio_codes_len(codes, i), regio_codes_at(codes, i));
    fprintf(stderr, "]\n");
  }
}
#define CHECK_LEVEL_CODES(codes, ...)                                                     \
  do {                                                                                    \
    static const char *const want_[] = {__VA_ARGS__};                                     \
    expect_level_codes(__FILE__, __LINE__, codes, want_, sizeof want_ / sizeof want_[0]); \
  } while (0)

/* p log2(1/p) for p = num / den (0 for num = 0): one term of an entropy written by hand. */
static double h_term(double num, double den) {
  return num == 0 ? 0.0 : num / den * log2(den / num);
}

/* LQs agree with the hand fractions to a few units in the last place: the library rounds three
 * times ((a / b) / (c / d)), the fraction once. */
#define LQ_TOL 1e-14
#define H_TOL 1e-12

/* ---- location quotients ------------------------------------------------------------------------ */

/* employees (x 1000 milli)
 *          A   B   C   D  | E_d
 *   d1     6   2   0   4  |  12
 *   d2     3   3   3   3  |  12
 *   d3     1   5   9   9  |  24
 *   E_s   10  10  12  16  |  E = 48
 * LQ = (E_ds / E_d) / (E_s / E) = E_ds * E / (E_d * E_s):
 *   d1: A 6*48/(12*10) = 288/120 = 12/5;  B 2*48/120 = 4/5;  C 0;  D 4*48/(12*16) = 1
 *   d2: A 3*48/120 = 6/5;  B 6/5;  C 3*48/(12*12) = 1;  D 3*48/(12*16) = 3/4
 *   d3: A 1*48/(24*10) = 1/5;  B 5*48/240 = 1;  C 9*48/(24*12) = 3/2;  D 9*48/(24*16) = 9/8 */
static const char *const lq_districts[3] = {"d1", "d2", "d3"};
static const char *const lq_sectors[4] = {"A", "B", "C", "D"};
static const int64_t lq_milli[3 * 4] = {6000, 2000, 0, 4000, 3000, 3000, 3000, 3000, 1000, 5000, 9000, 9000};
static const double lq_want[3][4] = {
    {12.0 / 5, 4.0 / 5, 0.0, 1.0}, {6.0 / 5, 6.0 / 5, 1.0, 3.0 / 4}, {1.0 / 5, 1.0, 3.0 / 2, 9.0 / 8}};

static void test_lq_row(void) {
  const int64_t sector_totals[4] = {10000, 10000, 12000, 16000};
  const int64_t district_totals[3] = {12000, 12000, 24000};
  for (int d = 0; d < 3; d++) {
    double lq[4];
    regio_lq_row(lq_milli + 4 * d, district_totals[d], sector_totals, 48000, 4, lq);
    for (int s = 0; s < 4; s++) CHECK_NEAR(lq[s], lq_want[d][s], LQ_TOL);
  }
  /* the fixed-point scale cancels: the same in whole employees */
  {
    const int64_t row[4] = {6, 2, 0, 4}, totals[4] = {10, 10, 12, 16};
    double lq[4];
    regio_lq_row(row, 12, totals, 48, 4, lq);
    for (int s = 0; s < 4; s++) CHECK_NEAR(lq[s], lq_want[0][s], LQ_TOL);
  }
  /* NaN where E_d = 0 (all sectors), where E_s = 0 (that sector), where E = 0 */
  {
    const int64_t zero_row[4] = {0, 0, 0, 0}, row[4] = {5, 0, 5, 0}, totals[4] = {10, 0, 20, 10};
    double lq[4];
    regio_lq_row(zero_row, 0, totals, 40, 4, lq);
    for (int s = 0; s < 4; s++) CHECK(isnan(lq[s]));
    regio_lq_row(row, 10, totals, 40, 4, lq);
    /* A: 5*40/(10*10) = 2; B: E_s = 0 -> NaN; C: 5*40/(10*20) = 1; D: 0 */
    CHECK_NEAR(lq[0], 2.0, LQ_TOL);
    CHECK(isnan(lq[1]));
    CHECK_NEAR(lq[2], 1.0, LQ_TOL);
    CHECK(lq[3] == 0.0 && !signbit(lq[3]));
    regio_lq_row(row, 10, totals, 0, 4, lq);
    for (int s = 0; s < 4; s++) CHECK(isnan(lq[s]));
  }
}

static void test_full_level(void) {
  regio_result_t *res = NULL;
  regio_indices_opts_t o = no_opts();
  compute_ok(make_agg(lq_districts, 3, lq_sectors, 4, lq_milli), &o, 2, &res);
  CHECK_INT(res->n_levels, 1);
  const regio_level_t *full = &res->levels[0];
  CHECK_INT(full->prefix, REGIO_LEVEL_FULL);
  CHECK_STR(full->name, "full");
  CHECK_LEVEL_CODES(&full->sectors, "A", "B", "C", "D");
  CHECK(res->agg != NULL && res->agg->districts.count == 3);
  CHECK_INT(res->total_employment, 48000);
  CHECK_INT(res->district_employment[0], 12000);
  CHECK_INT(res->district_employment[1], 12000);
  CHECK_INT(res->district_employment[2], 24000);
  const int64_t sector_want[4] = {10000, 10000, 12000, 16000};
  for (int s = 0; s < 4; s++) CHECK_INT(full->sector_employment[s], sector_want[s]);
  for (int i = 0; i < 12; i++) CHECK_INT(level_employment(res, full)[i], lq_milli[i]);
  const double *full_lq = level_lq(res, full);
  for (int d = 0; d < 3; d++)
    for (int s = 0; s < 4; s++) CHECK_NEAR(full_lq[4 * d + s], lq_want[d][s], LQ_TOL);

  /* one level: entropy only.
   * d1: shares 6/12, 2/12, 0, 4/12: H = 1/2 log2 2 + 1/6 log2 6 + 1/3 log2 3
   * d2: four equal shares: H = 2 bits exactly
   * d3: 1/24, 5/24, 9/24, 9/24: H = 1/24 log2 24 + 5/24 log2 (24/5) + 2 * 9/24 log2 (24/9) */
  CHECK_INT(res->variety.fine_level, 0);
  CHECK_INT(res->variety.coarse_level, -1);
  CHECK(res->variety.unrelated == NULL && res->variety.related == NULL);
  CHECK_NEAR(res->variety.entropy[0], 0.5 + log2(6.0) / 6 + log2(3.0) / 3, H_TOL);
  CHECK_NEAR(res->variety.entropy[1], 2.0, H_TOL);
  CHECK_NEAR(res->variety.entropy[2], log2(24.0) / 24 + 5.0 / 24 * log2(24.0 / 5) + 18.0 / 24 * log2(24.0 / 9), H_TOL);
  regio_result_destroy(&res);
  CHECK(res == NULL);
  regio_result_destroy(&res); /* NULL is fine */
}

/* NaN where E_d = 0 (district z) or E_s = 0 (sector Z) in the full computation.
 *          A   B   Z  | E_d
 *   x      2   2   0  |  4
 *   y      0   4   0  |  4
 *   z      0   0   0  |  0
 *   E_s    2   6   0  |  E = 8
 * x: A 2*8/(4*2) = 2, B 2*8/(4*6) = 2/3, Z NaN; y: A 0, B 4*8/(4*6) = 4/3, Z NaN; z: NaN
 * entropy x: 1 bit (two equal shares); y: 0 (one sector); z: NaN */
static void test_nan(void) {
  static const char *const districts[3] = {"x", "y", "z"};
  static const char *const sectors[3] = {"A", "B", "Z"};
  static const int64_t milli[9] = {2000, 2000, 0, 0, 4000, 0, 0, 0, 0};
  regio_result_t *res = NULL;
  regio_indices_opts_t o = no_opts();
  compute_ok(make_agg(districts, 3, sectors, 3, milli), &o, 3, &res);
  const double *lq = level_lq(res, &res->levels[0]);
  CHECK_NEAR(lq[0], 2.0, LQ_TOL);
  CHECK_NEAR(lq[1], 2.0 / 3, LQ_TOL);
  CHECK(isnan(lq[2]));
  CHECK(lq[3] == 0.0);
  CHECK_NEAR(lq[4], 4.0 / 3, LQ_TOL);
  CHECK(isnan(lq[5]));
  for (int s = 0; s < 3; s++) CHECK(isnan(lq[6 + s]));
  /* a block of rows and columns (as the writer asks for a chunk) holds the same values, bit for bit,
   * and its symmetric LQ are (LQ - 1) / (LQ + 1), NaN where the LQ is */
  double block[4], sym[4];
  regio_level_lq_rows(res, &res->levels[0], 1, 2, 1, 2, 0, block);
  regio_level_lq_rows(res, &res->levels[0], 1, 2, 1, 2, 1, sym);
  CHECK(memcmp(block, lq + 4, 2 * sizeof *block) == 0 && memcmp(block + 2, lq + 7, 2 * sizeof *block) == 0);
  CHECK_NEAR(sym[0], (4.0 / 3 - 1) / (4.0 / 3 + 1), LQ_TOL);
  CHECK(isnan(sym[1]) && isnan(sym[2]) && isnan(sym[3]));
  CHECK_NEAR(res->variety.entropy[0], 1.0, H_TOL);
  CHECK(res->variety.entropy[1] == 0.0);
  CHECK(isnan(res->variety.entropy[2]));
  regio_result_destroy(&res);
}

/* ---- levels and variety ------------------------------------------------------------------------ */

/* employees by full code
 *          111 112 121 211 | E_d
 *   A       1   1   2   4  |  8
 *   B       0   0   5   5  | 10
 *   C       0   0   0   0  |  0
 *   E_s     1   1   7   9  | E = 18
 * level 1 ("1" = 111+112+121, "2" = 211): A 4 4; B 5 5; C 0 0; E_s 9 9
 * level 2 ("11" = 111+112, "12", "21"):   A 2 2 4; B 0 5 5; C 0 0 0; E_s 2 7 9
 * LQ level 1: A 4*18/(8*9) = 1, 1; B 5*18/(10*9) = 1, 1; C NaN
 * LQ level 2: A "11" 2*18/(8*2) = 9/4, "12" 2*18/(8*7) = 9/14, "21" 4*18/(8*9) = 1;
 *             B 0, 5*18/(10*7) = 9/7, 5*18/(10*9) = 1
 * LQ level 3: A 1*18/(8*1) = 9/4, 9/4, 2*18/(8*7) = 9/14, 1; B 0, 0, 9/7, 1
 * variety of A, fine level 3: shares 1/8 1/8 1/4 1/2: H = 3/8 + 3/8 + 1/2 + 1/2 = 1.75
 *   coarse level 1: groups 4/8 4/8: unrelated = 1; related = 1/2 H(1/4, 1/4, 1/2) + 1/2 H(1)
 *   = 1/2 * 1.5 + 0 = 0.75; 1 + 0.75 = 1.75
 *   coarse level 2: groups 2/8 2/8 4/8: unrelated = 1.5; related = 1/4 H(1/2, 1/2) = 0.25
 *   fine level 2, coarse 1: H(1/4, 1/4, 1/2) = 1.5; unrelated 1; related 1/2 H(1/2, 1/2) = 0.5
 * variety of B (shares 0 0 1/2 1/2): H = 1; unrelated 1 at levels 1 and 2; related 0
 * C: NaN */
static const char *const lv_districts[3] = {"A", "B", "C"};
static const char *const lv_sectors[4] = {"111", "112", "121", "211"};
static const int64_t lv_milli[12] = {1000, 1000, 2000, 4000, 0, 0, 5000, 5000, 0, 0, 0, 0};

static void expect_variety(const char *file, int line, const regio_result_t *res, const double want[3][3]) {
  for (int d = 0; d < 3; d++) {
    const double got[3] = {res->variety.entropy[d], res->variety.unrelated ? res->variety.unrelated[d] : -1,
                           res->variety.related ? res->variety.related[d] : -1};
    for (int k = 0; k < 3; k++) {
      test_checks++;
      int ok = isnan(want[d][k]) ? isnan(got[k]) : fabs(got[k] - want[d][k]) <= H_TOL;
      if (!ok) {
        test_failures++;
        fprintf(stderr, "%s:%d: district %d %s = %.17g, expected %.17g\n", file, line, d,
                k == 0   ? "entropy"
                : k == 1 ? "unrelated"
                         : "related",
                got[k], want[d][k]);
      }
    }
  }
}

static void test_levels(void) {
  regio_result_t *res = NULL;
  regio_indices_opts_t o = no_opts();
  o.levels[0] = 3;
  o.levels[1] = 1;
  o.levels[2] = 2; /* any order */
  o.n_levels = 3;
  compute_ok(make_agg(lv_districts, 3, lv_sectors, 4, lv_milli), &o, 2, &res);
  CHECK_INT(res->n_levels, 3);
  CHECK_INT(res->levels[0].prefix, 1);
  CHECK_INT(res->levels[1].prefix, 2);
  CHECK_INT(res->levels[2].prefix, 3);
  CHECK_STR(res->levels[0].name, "1");
  CHECK_STR(res->levels[1].name, "2");
  CHECK_STR(res->levels[2].name, "3");
  CHECK_LEVEL_CODES(&res->levels[0].sectors, "1", "2");
  CHECK_LEVEL_CODES(&res->levels[1].sectors, "11", "12", "21");
  CHECK_LEVEL_CODES(&res->levels[2].sectors, "111", "112", "121", "211");
  {
    const int64_t want1[6] = {4000, 4000, 5000, 5000, 0, 0}, want1_s[2] = {9000, 9000};
    const int64_t want2[9] = {2000, 2000, 4000, 0, 5000, 5000, 0, 0, 0}, want2_s[3] = {2000, 7000, 9000};
    const int64_t want3_s[4] = {1000, 1000, 7000, 9000};
    for (int i = 0; i < 6; i++) CHECK_INT(level_employment(res, &res->levels[0])[i], want1[i]);
    for (int i = 0; i < 2; i++) CHECK_INT(res->levels[0].sector_employment[i], want1_s[i]);
    for (int i = 0; i < 9; i++) CHECK_INT(level_employment(res, &res->levels[1])[i], want2[i]);
    for (int i = 0; i < 3; i++) CHECK_INT(res->levels[1].sector_employment[i], want2_s[i]);
    for (int i = 0; i < 12; i++) CHECK_INT(level_employment(res, &res->levels[2])[i], lv_milli[i]);
    for (int i = 0; i < 4; i++) CHECK_INT(res->levels[2].sector_employment[i], want3_s[i]);
  }
  {
    const double nan = NAN;
    const double lq1[6] = {1, 1, 1, 1, nan, nan};
    const double lq2[9] = {9.0 / 4, 9.0 / 14, 1, 0, 9.0 / 7, 1, nan, nan, nan};
    const double lq3[12] = {9.0 / 4, 9.0 / 4, 9.0 / 14, 1, 0, 0, 9.0 / 7, 1, nan, nan, nan, nan};
    for (int i = 0; i < 6; i++) CHECK_NEAR(level_lq(res, &res->levels[0])[i], lq1[i], LQ_TOL);
    for (int i = 0; i < 9; i++) CHECK_NEAR(level_lq(res, &res->levels[1])[i], lq2[i], LQ_TOL);
    for (int i = 0; i < 12; i++) CHECK_NEAR(level_lq(res, &res->levels[2])[i], lq3[i], LQ_TOL);
  }
  CHECK_INT(res->total_employment, 18000);
  /* default variety levels: the finest (3) and the coarsest (1) */
  CHECK_INT(res->variety.fine_level, 2);
  CHECK_INT(res->variety.coarse_level, 0);
  {
    const double want[3][3] = {{1.75, 1.0, 0.75}, {1.0, 1.0, 0.0}, {NAN, NAN, NAN}};
    expect_variety(__FILE__, __LINE__, res, want);
  }
  regio_result_destroy(&res);

  /* --variety-levels 3,2 */
  o.variety_fine = 3;
  o.variety_coarse = 2;
  compute_ok(make_agg(lv_districts, 3, lv_sectors, 4, lv_milli), &o, 1, &res);
  CHECK_INT(res->variety.fine_level, 2);
  CHECK_INT(res->variety.coarse_level, 1);
  {
    const double want[3][3] = {{1.75, 1.5, 0.25}, {1.0, 1.0, 0.0}, {NAN, NAN, NAN}};
    expect_variety(__FILE__, __LINE__, res, want);
  }
  regio_result_destroy(&res);

  /* --variety-levels 2,1 with --sector-levels 3 only: the variety levels are added */
  o = no_opts();
  o.levels[0] = 3;
  o.n_levels = 1;
  o.variety_fine = 2;
  o.variety_coarse = 1;
  compute_ok(make_agg(lv_districts, 3, lv_sectors, 4, lv_milli), &o, 4, &res);
  CHECK_INT(res->n_levels, 3);
  CHECK_INT(res->variety.fine_level, 1);
  CHECK_INT(res->variety.coarse_level, 0);
  {
    const double want[3][3] = {{1.5, 1.0, 0.5}, {1.0, 1.0, 0.0}, {NAN, NAN, NAN}};
    expect_variety(__FILE__, __LINE__, res, want);
  }
  regio_result_destroy(&res);

  /* levels 1 and 2 only: the finest level is a roll-up (not the full matrix) */
  o = no_opts();
  o.levels[0] = 1;
  o.levels[1] = 2;
  o.n_levels = 2;
  compute_ok(make_agg(lv_districts, 3, lv_sectors, 4, lv_milli), &o, 2, &res);
  CHECK_INT(res->n_levels, 2);
  CHECK_LEVEL_CODES(&res->levels[1].sectors, "11", "12", "21");
  {
    const int64_t want2[9] = {2000, 2000, 4000, 0, 5000, 5000, 0, 0, 0};
    for (int i = 0; i < 9; i++) CHECK_INT(level_employment(res, &res->levels[1])[i], want2[i]);
    CHECK_NEAR(level_lq(res, &res->levels[1])[1], 9.0 / 14, LQ_TOL);
    const double want[3][3] = {{1.5, 1.0, 0.5}, {1.0, 1.0, 0.0}, {NAN, NAN, NAN}};
    expect_variety(__FILE__, __LINE__, res, want);
  }
  regio_result_destroy(&res);

  /* one prefix level: entropy at that level, no decomposition */
  o = no_opts();
  o.levels[0] = 2;
  o.n_levels = 1;
  compute_ok(make_agg(lv_districts, 3, lv_sectors, 4, lv_milli), &o, 2, &res);
  CHECK_INT(res->n_levels, 1);
  CHECK_INT(res->variety.coarse_level, -1);
  CHECK(res->variety.unrelated == NULL);
  CHECK_NEAR(res->variety.entropy[0], 1.5, H_TOL);
  regio_result_destroy(&res);
}

/* Codes of different lengths under one prefix: "11" and "111" both belong to group "11".
 *          11  111  12 | E_d
 *   p       1    2   1 | 4
 *   q       0    0   4 | 4
 * level 2: "11" p 3, q 0; "12" p 1, q 4; E_s 3 5, E = 8
 * LQ p: "11" 3*8/(4*3) = 2, "12" 1*8/(4*5) = 2/5; q: 0, 4*8/(4*5) = 8/5 */
static void test_prefix_extensions(void) {
  static const char *const districts[2] = {"p", "q"};
  static const char *const sectors[3] = {"11", "111", "12"};
  static const int64_t milli[6] = {1000, 2000, 1000, 0, 0, 4000};
  regio_result_t *res = NULL;
  regio_indices_opts_t o = no_opts();
  o.levels[0] = 2;
  o.n_levels = 1;
  compute_ok(make_agg(districts, 2, sectors, 3, milli), &o, 2, &res);
  CHECK_LEVEL_CODES(&res->levels[0].sectors, "11", "12");
  CHECK_INT(level_employment(res, &res->levels[0])[0], 3000);
  CHECK_INT(level_employment(res, &res->levels[0])[1], 1000);
  CHECK_INT(level_employment(res, &res->levels[0])[2], 0);
  CHECK_INT(level_employment(res, &res->levels[0])[3], 4000);
  CHECK_NEAR(level_lq(res, &res->levels[0])[0], 2.0, LQ_TOL);
  CHECK_NEAR(level_lq(res, &res->levels[0])[1], 2.0 / 5, LQ_TOL);
  CHECK_NEAR(level_lq(res, &res->levels[0])[3], 8.0 / 5, LQ_TOL);
  /* p at level 2: shares 3/4, 1/4: H = 3/4 log2 (4/3) + 1/4 log2 4 */
  CHECK_NEAR(res->variety.entropy[0], h_term(3, 4) + h_term(1, 4), H_TOL);
  regio_result_destroy(&res);
}

/* Entropy of equal shares and of one sector, through the whole computation. */
static void test_entropy_known(void) {
  static const char *const districts[3] = {"two", "four", "one"};
  static const char *const districts_sorted[3] = {"four", "one", "two"};
  static const char *const sectors[4] = {"1", "2", "3", "4"};
  (void)districts;
  /* four: 4 equal sectors -> 2 bits; one: one sector -> 0; two: 2 equal -> 1 bit */
  static const int64_t milli[12] = {250, 250, 250, 250, 0, 0, 7000, 0, 1500, 0, 0, 1500};
  regio_result_t *res = NULL;
  regio_indices_opts_t o = no_opts();
  compute_ok(make_agg(districts_sorted, 3, sectors, 4, milli), &o, 2, &res);
  CHECK_NEAR(res->variety.entropy[0], 2.0, H_TOL);
  CHECK(res->variety.entropy[1] == 0.0);
  CHECK_NEAR(res->variety.entropy[2], 1.0, H_TOL);
  regio_result_destroy(&res);
}

/* ---- random matrices: the decomposition identity and an independent computation ---------------- */

static uint64_t lcg_state = 12345;
static uint32_t lcg(void) {
  lcg_state = lcg_state * 6364136223846793005ull + 1442695040888963407ull;
  return (uint32_t)(lcg_state >> 33);
}

enum { RD = 40, MAX_RS = 64 };

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static regio_aggregate_t *copy_agg(const regio_aggregate_t *a) {
  const char *d[RD], *s[MAX_RS];
  static char dbuf[RD][8], sbuf[MAX_RS][8];
  for (size_t i = 0; i < a->districts.count; i++) {
    memcpy(dbuf[i], regio_codes_at(&a->districts, i), regio_codes_len(&a->districts, i));
    dbuf[i][regio_codes_len(&a->districts, i)] = '\0';
    d[i] = dbuf[i];
  }
  for (size_t i = 0; i < a->sectors.count; i++) {
    memcpy(sbuf[i], regio_codes_at(&a->sectors, i), regio_codes_len(&a->sectors, i));
    sbuf[i][regio_codes_len(&a->sectors, i)] = '\0';
    s[i] = sbuf[i];
  }
  return make_agg(d, a->districts.count, s, a->sectors.count, a->employment);
}

static void test_random(void) {
  for (int trial = 0; trial < 5; trial++) {
    /* sector codes: 3 characters, first in 1-4, second 0-3, third 0-4; about half of the 80 kept */
    static char pool[80][4];
    const char *sectors[MAX_RS];
    size_t S = 0;
    for (int a = 0; a < 4; a++)
      for (int b = 0; b < 4; b++)
        for (int c = 0; c < 5; c++)
          if (lcg() % 2 == 0 && S < MAX_RS) {
            char *code = pool[a * 20 + b * 5 + c];
            code[0] = (char)('1' + a), code[1] = (char)('0' + b), code[2] = (char)('0' + c), code[3] = '\0';
            sectors[S++] = code;
          }
    qsort(sectors, S, sizeof *sectors, cmp_str);
    static char dnames[RD][8];
    const char *districts[RD];
    for (int d = 0; d < RD; d++) {
      snprintf(dnames[d], sizeof dnames[d], "d%02d", d);
      districts[d] = dnames[d];
    }
    static int64_t milli[RD * MAX_RS];
    for (int d = 0; d < RD; d++)
      for (size_t s = 0; s < S; s++) {
        uint32_t r = lcg();
        /* 40% zeros, otherwise 1 to 5000 milli-employees with, now and then, a big one */
        milli[d * S + s] = r % 10 < 4 ? 0 : (int64_t)(lcg() % 5000) + 1 + (r % 97 == 0 ? INT64_C(10000000) : 0);
      }
    for (size_t s = 0; s < S; s++) milli[7 * S + s] = 0; /* district d07 has no employment */

    regio_aggregate_t *agg = make_agg(districts, RD, sectors, S, milli);
    regio_aggregate_t *agg4 = copy_agg(agg);
    regio_indices_opts_t o = no_opts();
    o.levels[0] = 1;
    o.levels[1] = 2;
    o.levels[2] = 3;
    o.n_levels = 3;
    if (trial % 2) o.variety_coarse = 2; /* decompose 3 into 2 on odd trials */
    regio_result_t *res = NULL, *res4 = NULL;
    compute_ok(agg, &o, 1, &res);
    compute_ok(agg4, &o, 4, &res4);
    const int coarse_prefix = trial % 2 ? 2 : 1;

    /* independent roll-ups, totals and LQs per level */
    int64_t E = 0, E_d[RD] = {0};
    for (int d = 0; d < RD; d++)
      for (size_t s = 0; s < S; s++) E_d[d] += milli[d * S + s], E += milli[d * S + s];
    CHECK_INT(res->total_employment, E);
    for (int d = 0; d < RD; d++) CHECK_INT(res->district_employment[d], E_d[d]);
    for (int L = 0; L < 3; L++) {
      const regio_level_t *lvl = &res->levels[L];
      const int p = L + 1;
      /* group codes: the distinct prefixes of the sorted full codes */
      char groups[MAX_RS][4];
      size_t G = 0, group_of[MAX_RS];
      for (size_t s = 0; s < S; s++) {
        if (G == 0 || strncmp(groups[G - 1], sectors[s], (size_t)p) != 0) {
          memcpy(groups[G], sectors[s], (size_t)p);
          groups[G][p] = '\0';
          G++;
        }
        group_of[s] = G - 1;
      }
      CHECK_INT(lvl->prefix, p);
      CHECK_INT(lvl->sectors.count, G);
      int codes_ok = lvl->sectors.count == G;
      for (size_t g = 0; codes_ok && g < G; g++)
        codes_ok = regio_codes_len(&lvl->sectors, g) == (size_t)p &&
                   memcmp(regio_codes_at(&lvl->sectors, g), groups[g], (size_t)p) == 0;
      CHECKF(codes_ok, "trial %d level %d codes", trial, p);
      if (!codes_ok) continue;
      static int64_t rolled[RD * MAX_RS];
      int64_t E_s[MAX_RS] = {0};
      memset(rolled, 0, sizeof rolled);
      for (int d = 0; d < RD; d++)
        for (size_t s = 0; s < S; s++)
          rolled[d * G + group_of[s]] += milli[d * S + s], E_s[group_of[s]] += milli[d * S + s];
      int same = memcmp(level_employment(res, lvl), rolled, RD * G * sizeof(int64_t)) == 0 &&
                 memcmp(lvl->sector_employment, E_s, G * sizeof(int64_t)) == 0;
      CHECKF(same, "trial %d level %d: roll-up differs", trial, p);
      int lq_ok = 1;
      const double *lq = level_lq(res, lvl);
      for (int d = 0; d < RD && lq_ok; d++)
        for (size_t g = 0; g < G && lq_ok; g++) {
          double want = (E_d[d] == 0 || E_s[g] == 0)
                            ? NAN
                            : (double)rolled[d * G + g] * (double)E / ((double)E_d[d] * (double)E_s[g]);
          double got = lq[d * G + g];
          lq_ok = isnan(want) ? isnan(got) : fabs(got - want) <= 1e-13 * fmax(1.0, fabs(want));
          if (!lq_ok)
            fprintf(stderr, "trial %d level %d d%02d g%zu: lq %.17g, want %.17g\n", trial, p, d, g, got, want);
        }
      CHECKF(lq_ok, "trial %d level %d: LQ", trial, p);
      /* bitwise identical with 4 threads */
      const regio_level_t *lvl4 = &res4->levels[L];
      CHECKF(memcmp(lq, level_lq(res4, lvl4), RD * G * sizeof(double)) == 0 &&
                 memcmp(level_employment(res, lvl), level_employment(res4, lvl4), RD * G * sizeof(int64_t)) == 0,
             "trial %d level %d: 1 and 4 threads differ", trial, p);
    }

    /* variety: the identity, and the entropy from the full row computed here */
    CHECK_INT(res->variety.fine_level, 2);
    CHECK_INT(res->variety.coarse_level, coarse_prefix - 1);
    int identity_ok = 1, entropy_ok = 1, nan_ok = 1;
    for (int d = 0; d < RD; d++) {
      const double H = res->variety.entropy[d], U = res->variety.unrelated[d], R = res->variety.related[d];
      if (E_d[d] == 0) {
        nan_ok &= isnan(H) && isnan(U) && isnan(R);
        continue;
      }
      if (!(fabs(H - (U + R)) <= 1e-12)) {
        identity_ok = 0;
        fprintf(stderr, "trial %d d%02d: entropy %.17g != unrelated %.17g + related %.17g\n", trial, d, H, U, R);
      }
      double h = 0;
      for (size_t s = 0; s < S; s++)
        if (milli[d * S + s]) h += h_term((double)milli[d * S + s], (double)E_d[d]);
      if (!(fabs(H - h) <= 1e-12)) {
        entropy_ok = 0;
        fprintf(stderr, "trial %d d%02d: entropy %.17g, want %.17g\n", trial, d, H, h);
      }
      /* unrelated: entropy of the coarse shares, computed here */
      double u = 0;
      for (size_t s = 0; s < S;) {
        size_t e = s;
        int64_t sum = 0;
        while (e < S && strncmp(sectors[e], sectors[s], (size_t)coarse_prefix) == 0) sum += milli[d * S + e], e++;
        if (sum) u += h_term((double)sum, (double)E_d[d]);
        s = e;
      }
      if (!(fabs(U - u) <= 1e-12)) {
        entropy_ok = 0;
        fprintf(stderr, "trial %d d%02d: unrelated %.17g, want %.17g\n", trial, d, U, u);
      }
    }
    CHECKF(identity_ok, "trial %d: entropy = unrelated + related", trial);
    CHECKF(entropy_ok, "trial %d: entropy and unrelated variety", trial);
    CHECKF(nan_ok, "trial %d: NaN variety for the district without employment", trial);
    CHECKF(memcmp(res->variety.entropy, res4->variety.entropy, RD * sizeof(double)) == 0 &&
               memcmp(res->variety.related, res4->variety.related, RD * sizeof(double)) == 0 &&
               memcmp(res->variety.unrelated, res4->variety.unrelated, RD * sizeof(double)) == 0,
           "trial %d: variety with 1 and 4 threads differs", trial);
    regio_result_destroy(&res);
    regio_result_destroy(&res4);
  }
}

/* ---- errors ------------------------------------------------------------------------------------ */

static void test_errors(void) {
  regio_result_t *res = NULL;
  regio_indices_opts_t o = no_opts();
  static const int64_t zeros[12] = {0};
  /* all employment zero */
  regio_err_t err = compute(make_agg(lv_districts, 3, lv_sectors, 4, zeros), &o, 2, &res);
  CHECK_INT(err, REGIO_ERR_INPUT);
  CHECK_CONTAINS(regio_ctx_message(ctx), "zero");
  CHECK(res == NULL);
  /* no districts at all (every row skipped) */
  err = compute(make_agg(NULL, 0, NULL, 0, NULL), &o, 2, &res);
  CHECK_INT(err, REGIO_ERR_INPUT);
  CHECK(res == NULL);
  /* variety levels: the fine one must be longer */
  o.levels[0] = 1;
  o.levels[1] = 3;
  o.n_levels = 2;
  o.variety_fine = 1;
  o.variety_coarse = 3;
  CHECK_INT(compute(make_agg(lv_districts, 3, lv_sectors, 4, lv_milli), &o, 2, &res), REGIO_ERR_USAGE);
  o.variety_fine = o.variety_coarse = 3;
  CHECK_INT(compute(make_agg(lv_districts, 3, lv_sectors, 4, lv_milli), &o, 2, &res), REGIO_ERR_USAGE);
  /* a level is a prefix length in 1..REGIO_CODE_MAX, at most REGIO_MAX_LEVELS of them */
  o = no_opts();
  o.levels[0] = 0;
  o.n_levels = 1;
  CHECK_INT(compute(make_agg(lv_districts, 3, lv_sectors, 4, lv_milli), &o, 2, &res), REGIO_ERR_USAGE);
  o.levels[0] = REGIO_CODE_MAX + 1;
  CHECK_INT(compute(make_agg(lv_districts, 3, lv_sectors, 4, lv_milli), &o, 2, &res), REGIO_ERR_USAGE);
  o.n_levels = REGIO_MAX_LEVELS;
  for (int i = 0; i < REGIO_MAX_LEVELS; i++) o.levels[i] = i + 1;
  o.variety_fine = REGIO_MAX_LEVELS + 1; /* one level too many with the variety level */
  CHECK_INT(compute(make_agg(lv_districts, 3, lv_sectors, 4, lv_milli), &o, 2, &res), REGIO_ERR_USAGE);
  CHECK(res == NULL);

  /* exact sums beyond the 64-bit range: a district (two cells of 2^62) and the nation (two
   * districts of 2^62 + 2^62 - 1 = INT64_MAX each) */
  o = no_opts();
  {
    static const char *const one[1] = {"x"}, *const two[2] = {"x", "y"}, *const sectors[2] = {"A", "B"};
    const int64_t big = INT64_C(1) << 62;
    const int64_t cells[2] = {big, big};
    CHECK_INT(compute(make_agg(one, 1, sectors, 2, cells), &o, 2, &res), REGIO_ERR_INPUT);
    CHECK_CONTAINS(regio_ctx_message(ctx), "exceeds");
    const int64_t rows[4] = {big, big - 1, big, big - 1};
    CHECK_INT(compute(make_agg(two, 2, sectors, 2, rows), &o, 2, &res), REGIO_ERR_INPUT);
    CHECK_CONTAINS(regio_ctx_message(ctx), "exceeds");
    /* one district of INT64_MAX is fine: LQ 1 and 1 (each sector is the whole nation's) */
    compute_ok(make_agg(one, 1, sectors, 2, rows), &o, 2, &res);
    CHECK_INT(res->total_employment, INT64_MAX);
    CHECK_NEAR(level_lq(res, &res->levels[0])[0], 1.0, LQ_TOL);
    CHECK_NEAR(level_lq(res, &res->levels[0])[1], 1.0, LQ_TOL);
    regio_result_destroy(&res);
  }
}

/* ---- through ingestion ------------------------------------------------------------------------- */

/* The LQ example above, read from a CSV file (rows split and in another order). */
static void test_from_csv(void) {
  const char *path = test_path("lq.csv");
  test_write_text(path,
                  "district,sector,employees\n"
                  "d3,D,9\nd1,A,6\nd2,A,3\nd2,B,3\nd3,C,4.5\nd2,C,3\nd2,D,3\nd3,A,1\n"
                  "d1,B,2\nd1,D,4\nd3,B,5\nd3,C,4.5\n");
  regio_ingest_opts_t io;
  regio_ingest_opts_default(&io);
  regio_aggregate_t *agg = NULL;
  regio_ctx_set_threads(ctx, 2);
  REQUIRE(regio_ingest_files(&path, 1, &io, ctx, &agg) == REGIO_OK);
  regio_result_t *res = NULL;
  regio_indices_opts_t o = no_opts();
  compute_ok(agg, &o, 2, &res);
  CHECK_LEVEL_CODES(&res->levels[0].sectors, "A", "B", "C", "D");
  for (int d = 0; d < 3; d++)
    for (int s = 0; s < 4; s++) CHECK_NEAR(level_lq(res, &res->levels[0])[4 * d + s], lq_want[d][s], LQ_TOL);
  CHECK_NEAR(res->variety.entropy[1], 2.0, H_TOL);
  regio_result_destroy(&res);
}

int main(void) {
  REQUIRE(regio_ctx_create(&ctx) == REGIO_OK);
  test_lq_row();
  test_full_level();
  test_nan();
  test_levels();
  test_prefix_extensions();
  test_entropy_known();
  test_random();
  test_errors();
  test_from_csv();
  regio_ctx_destroy(&ctx);
  return test_summary("test_indices");
}
