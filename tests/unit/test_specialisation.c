/* Unit test of the specialisation and localisation indices (src/indices/specialisation.c,
 * localisation.c) and of the establishment sizes the reader keeps for them. Every expected value is
 * a fraction worked out by hand in the comments from the formulas (include/regio/indices.h), never
 * taken from the code under test. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "indices/indices_impl.h"
#include "regio/indices.h"
#include "regio/ingest.h"
#include "testing.h"

static regio_ctx_t *ctx;

#define TOL 1e-14

/* a and b the same number (NaN included), or within tol of each other, relative to |a| when |a| > 1 */
static int near(double a, double b, double tol) {
  if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
  if (a == b) return 1;
  return fabs(a - b) <= tol * (fabs(a) > 1.0 ? fabs(a) : 1.0);
}

/* The tuned localisation kernel's values against the reference's: the Gini and H_s the same to the
 * bit (the same terms in the same order); the Hoover sum and G take the districts without the
 * sector from exact integer sums, so they differ in the last bits only; EG and MS follow G and
 * sum s^2 (all terms the same). Relative tolerance of G: its terms are positive, each rounded
 * once or twice. */
static int localisation_close(const regio_localisation_sector_t *a, const regio_localisation_sector_t *b) {
  const int same_bits = memcmp(&a->gini, &b->gini, sizeof a->gini) == 0 &&
                        memcmp(&a->plant_herfindahl, &b->plant_herfindahl, sizeof a->plant_herfindahl) == 0;
  const int g_close = isnan(a->concentration) ? isnan(b->concentration)
                                              : fabs(a->concentration - b->concentration) <= 1e-12 * a->concentration;
  return same_bits && g_close && near(a->hoover, b->hoover, 1e-13) &&
         near(a->ellison_glaeser, b->ellison_glaeser, 1e-10) && near(a->maurel_sedillot, b->maurel_sedillot, 1e-10);
}

static void fill_codes(regio_codes_t *codes, const char *const *strings, size_t n) {
  size_t width = 1;
  for (size_t i = 0; i < n; i++)
    if (strlen(strings[i]) > width) width = strlen(strings[i]);
  REQUIRE(regio_codes_init(codes, n, width, ctx) == REGIO_OK);
  for (size_t i = 0; i < n; i++) memcpy(codes->chars + i * width, strings[i], strlen(strings[i]));
}

/* An aggregate built by hand (codes in sorted order, employment in milli); size_squares may be NULL
 * (pre-aggregated input). */
static regio_aggregate_t *make_agg(const char *const *districts, size_t D, const char *const *sectors, size_t S,
                                   const int64_t *milli, const regio_u128_t *size_squares) {
  regio_aggregate_t *agg = calloc(1, sizeof *agg);
  REQUIRE(agg != NULL);
  fill_codes(&agg->districts, districts, D);
  fill_codes(&agg->sectors, sectors, S);
  agg->employment = malloc(D * S * sizeof(int64_t));
  agg->district_establishments = calloc(D, sizeof(int64_t));
  agg->sector_establishments = calloc(S, sizeof(int64_t));
  REQUIRE(agg->employment && agg->district_establishments && agg->sector_establishments);
  memcpy(agg->employment, milli, D * S * sizeof(int64_t));
  if (size_squares) {
    agg->sector_size_squares = malloc(S * sizeof *agg->sector_size_squares);
    REQUIRE(agg->sector_size_squares);
    memcpy(agg->sector_size_squares, size_squares, S * sizeof *size_squares);
  }
  return agg;
}

static regio_result_t *compute_ok(regio_aggregate_t *agg, const regio_indices_opts_t *o, int threads) {
  regio_result_t *res = NULL;
  regio_ctx_clear(ctx);
  regio_ctx_set_threads(ctx, threads);
  if (regio_indices_compute(&agg, o, ctx, &res) != REGIO_OK) {
    fprintf(stderr, "regio_indices_compute failed: %s (%s)\n", regio_ctx_message(ctx), regio_ctx_origin(ctx));
    exit(1);
  }
  return res;
}

/* ---- the example ------------------------------------------------------------------------------- *
 * employees
 *          A   B   C   D  | E_d   x_d = E_d / E
 *   d1     6   2   0   4  |  12   1/4
 *   d2     3   3   3   3  |  12   1/4
 *   d3     1   5   9   9  |  24   1/2
 *   E_s   10  10  12  16  |  E = 48,  p_s = E_s / E = 5/24, 5/24, 6/24, 8/24
 * LQ: d1 12/5, 4/5, 0, 1;  d2 6/5, 6/5, 1, 3/4;  d3 1/5, 1, 3/2, 9/8
 * Establishments (each one input row): A: d1 3 + 3, d2 3, d3 1;  B: d1 2, d2 3, d3 5;
 * C: d2 3, d3 9;  D: d1 4, d2 3, d3 4 + 5. */
static const char *const districts[3] = {"d1", "d2", "d3"};
static const char *const sectors[4] = {"A", "B", "C", "D"};
static const int64_t milli[12] = {6000, 2000, 0, 4000, 3000, 3000, 3000, 3000, 1000, 5000, 9000, 9000};
/* sums of squared sizes in milli^2: A 9 + 9 + 9 + 1 = 28, B 4 + 9 + 25 = 38, C 9 + 81 = 90,
 * D 16 + 9 + 16 + 25 = 66 (employees^2), times 10^6 */
static const regio_u128_t squares[4] = {28000000, 38000000, 90000000, 66000000};

/* Per district, s_ds in 24ths: d1 (12, 4, 0, 8), d2 (6, 6, 6, 6), d3 (1, 5, 9, 9); p = (5, 5, 6, 8).
 * Krugman = sum |s - p|: d1 (7 + 1 + 6 + 0)/24 = 7/12; d2 (1 + 1 + 0 + 2)/24 = 1/6;
 *   d3 (4 + 0 + 3 + 1)/24 = 1/3.  Hoover = half.  Relative diversity = 1 / Krugman: 12/7, 6, 3.
 * HHI = sum s^2: d1 1/4 + 1/36 + 1/9 = 7/18; d2 4/16 = 1/4; d3 (1 + 25 + 81 + 81)/576 = 47/144.
 * Normalised, n = 4: (H - 1/4) / (3/4): d1 (14/36 - 9/36) 4/3 = 5/27; d2 0; d3 (11/144) 4/3 = 11/108.
 * Theil = sum s ln LQ: d1 1/2 ln(12/5) + 1/6 ln(4/5) + 1/3 ln 1; d2 1/4 (2 ln(6/5) + ln 1 + ln(3/4));
 *   d3 1/24 ln(1/5) + 5/24 ln 1 + 9/24 ln(3/2) + 9/24 ln(9/8).
 * Max LQ: d1 12/5 (A, 0); d2 6/5 (A and B tie: the lower index, 0); d3 3/2 (C, 2).
 * Specialised at LQ >= 1.25: d1 A (2.4): 1; d2 none (1.2): 0; d3 C (1.5): 1. */
static void test_specialisation_example(void) {
  regio_indices_opts_t o;
  memset(&o, 0, sizeof o);
  regio_result_t *res = compute_ok(make_agg(districts, 3, sectors, 4, milli, NULL), &o, 2);
  const regio_specialisation_t *sp = &res->levels[0].specialisation;
  const double krugman[3] = {7.0 / 12, 1.0 / 6, 1.0 / 3};
  const double hhi[3] = {7.0 / 18, 1.0 / 4, 47.0 / 144};
  const double hhi_norm[3] = {5.0 / 27, 0.0, 11.0 / 108};
  const double theil[3] = {0.5 * log(12.0 / 5) + log(4.0 / 5) / 6, 0.25 * (2 * log(6.0 / 5) + log(3.0 / 4)),
                           log(1.0 / 5) / 24 + 9.0 / 24 * log(3.0 / 2) + 9.0 / 24 * log(9.0 / 8)};
  const double max_lq[3] = {12.0 / 5, 6.0 / 5, 3.0 / 2};
  const int64_t max_sector[3] = {0, 0, 2}, n_spec[3] = {1, 0, 1};
  for (int d = 0; d < 3; d++) {
    CHECK_NEAR(sp->krugman[d], krugman[d], TOL);
    CHECK_NEAR(sp->hoover[d], krugman[d] / 2, TOL);
    CHECK_NEAR(sp->relative_diversity[d], 1.0 / krugman[d], TOL);
    CHECK_NEAR(sp->hhi[d], hhi[d], TOL);
    CHECK_NEAR(sp->hhi_normalised[d], hhi_norm[d], TOL);
    CHECK_NEAR(sp->theil[d], theil[d], TOL);
    CHECK_NEAR(sp->max_lq[d], max_lq[d], TOL);
    CHECK_INT(sp->max_lq_sector[d], max_sector[d]);
    CHECK_INT(sp->n_specialised[d], n_spec[d]);
  }
  CHECK(res->specialised_lq == 1.25);
  /* symmetric LQ (LQ - 1) / (LQ + 1): d1 A (7/5)/(17/5) = 7/17, d1 C -1, d1 D 0, d3 A (-4/5)/(6/5) = -2/3 */
  CHECK(res->levels[0].lq_symmetric);
  double sym[12];
  regio_level_lq_rows(res, &res->levels[0], 0, 3, 0, 4, 1, sym);
  CHECK_NEAR(sym[0], 7.0 / 17, TOL);
  CHECK(sym[2] == -1.0);
  CHECK_NEAR(sym[3], 0.0, TOL);
  CHECK_NEAR(sym[8], -2.0 / 3, TOL);
  regio_result_destroy(&res);

  /* threshold 1.1: d1 A: 1; d2 A, B (6/5): 2; d3 C (3/2), D (9/8): 2. With a minimum of 6
   * employees as well: d1 A (6): 1; d2 (3 each): 0; d3 C, D (9 each): 2. */
  o.specialised_lq = 1.1;
  res = compute_ok(make_agg(districts, 3, sectors, 4, milli, NULL), &o, 1);
  CHECK_INT(res->levels[0].specialisation.n_specialised[0], 1);
  CHECK_INT(res->levels[0].specialisation.n_specialised[1], 2);
  CHECK_INT(res->levels[0].specialisation.n_specialised[2], 2);
  regio_result_destroy(&res);
  o.specialised_min_milli = 6000;
  res = compute_ok(make_agg(districts, 3, sectors, 4, milli, NULL), &o, 1);
  CHECK_INT(res->levels[0].specialisation.n_specialised[0], 1);
  CHECK_INT(res->levels[0].specialisation.n_specialised[1], 0);
  CHECK_INT(res->levels[0].specialisation.n_specialised[2], 2);
  /* 6000 milli is exactly 6 employees: >= includes it; 6001 excludes d1 A */
  regio_result_destroy(&res);
  o.specialised_min_milli = 6001;
  res = compute_ok(make_agg(districts, 3, sectors, 4, milli, NULL), &o, 1);
  CHECK_INT(res->levels[0].specialisation.n_specialised[0], 0);
  regio_result_destroy(&res);
}

/* Per sector, s_sd = E_ds / E_s against x = (1/4, 1/4, 1/2); sum x^2 = 3/8.
 *   A: s = (.6, .3, .1): Hoover (.35 + .05 + .4)/2 = .4; G = .1225 + .0025 + .16 = .285
 *   B: s = (.2, .3, .5): Hoover (.05 + .05 + 0)/2 = .05; G = .0025 + .0025 = .005
 *   C: s = (0, .25, .75): Hoover (.25 + 0 + .25)/2 = .25; G = .0625 + .0625 = .125
 *   D: s = (.25, .1875, .5625): Hoover (0 + .0625 + .0625)/2 = .0625; G = 2 (.0625)^2 = .0078125
 * Gini: districts by ascending LQ, area = sum_k x_k (Y_(k-1) + Y_k), Gini = 1 - area:
 *   A: LQ 2.4, 1.2, .2 -> d3, d2, d1: .5 (.1) + .25 (.1 + .4) + .25 (.4 + 1) = .525 -> .475
 *   B: LQ .8, 1.2, 1 -> d1, d3, d2: .25 (.2) + .5 (.2 + .7) + .25 (.7 + 1) = .925 -> .075
 *   C: LQ 0, 1, 1.5 -> d1, d2, d3: .25 (0) + .25 (.25) + .5 (.25 + 1) = .6875 -> .3125
 *   D: LQ 1, .75, 1.125 -> d2, d1, d3: .25 (.1875) + .25 (.1875 + .4375) + .5 (.4375 + 1) = .921875
 *      -> .078125
 * Plant Herfindahl H = sum e^2 / E_s^2: A 28/100, B 38/100, C 90/144 = 5/8, D 66/256 = 33/128.
 * Ellison-Glaeser (1997): [G - (1 - sum x^2) H] / [(1 - sum x^2)(1 - H)], 1 - sum x^2 = 5/8:
 *   A: (.285 - .175) / (.625 .72) = .11 / .45 = 11/45
 *   B: (.005 - .2375) / (.625 .62) = -.2325 / .3875 = -3/5
 *   C: (.125 - .390625) / (.625 .375) = -.265625 / .234375 = -17/15
 *   D: (.0078125 - .1611328125) / (.625 .7421875) = -.1533203125 / .4638671875 = -157/475
 * Maurel-Sedillot (1999): [sum s^2 - sum x^2 - H (1 - sum x^2)] / [(1 - sum x^2)(1 - H)]:
 *   sum s^2: A .46, B .38, C .625, D 106/256 = .4140625
 *   A: (.46 - .375 - .175) / .45 = -.2;  B: (.38 - .375 - .2375) / .3875 = -3/5
 *   C: (.625 - .375 - .390625) / .234375 = -3/5;  D: (.4140625 - .375 - .1611328125) / .4638671875
 *      = -.1220703125 / .4638671875 = -125/475 = -5/19 */
static const double loc_hoover[4] = {0.4, 0.05, 0.25, 0.0625};
static const double loc_g[4] = {0.285, 0.005, 0.125, 0.0078125};
static const double loc_gini[4] = {0.475, 0.075, 0.3125, 0.078125};
static const double loc_h[4] = {0.28, 0.38, 5.0 / 8, 33.0 / 128};
static const double loc_eg[4] = {11.0 / 45, -3.0 / 5, -17.0 / 15, -157.0 / 475};
static const double loc_ms[4] = {-0.2, -3.0 / 5, -3.0 / 5, -5.0 / 19};

static void check_localisation(const regio_localisation_t *lo, int sizes_known) {
  for (int s = 0; s < 4; s++) {
    CHECK_NEAR(lo->hoover[s], loc_hoover[s], TOL);
    CHECK_NEAR(lo->concentration[s], loc_g[s], TOL);
    CHECK_NEAR(lo->gini[s], loc_gini[s], TOL);
    CHECK_NEAR(lo->plant_herfindahl[s], sizes_known ? loc_h[s] : NAN, TOL);
    CHECK_NEAR(lo->ellison_glaeser[s], sizes_known ? loc_eg[s] : NAN, 1e-13);
    CHECK_NEAR(lo->maurel_sedillot[s], sizes_known ? loc_ms[s] : NAN, 1e-13);
  }
}

static void test_localisation_example(void) {
  regio_indices_opts_t o;
  memset(&o, 0, sizeof o);
  regio_result_t *res = compute_ok(make_agg(districts, 3, sectors, 4, milli, squares), &o, 2);
  check_localisation(&res->levels[0].localisation, 1);
  regio_result_destroy(&res);
  /* pre-aggregated input: no sizes, so H, EG and MS are NaN; the rest is the same */
  res = compute_ok(make_agg(districts, 3, sectors, 4, milli, NULL), &o, 2);
  check_localisation(&res->levels[0].localisation, 0);
  regio_result_destroy(&res);
}

/* The same example read from establishment rows: the reader's sums of squares and micro counts, then
 * the indices. With an establishments column (pre-aggregated input) no sizes are kept. */
static void test_from_csv(void) {
  const char *path = test_path("establishments.csv");
  test_write_text(path,
                  "district,sector,employees,n\n"
                  "d1,A,3,1\nd3,D,4,1\nd1,A,3,1\nd2,A,3,1\nd3,A,1,1\nd1,B,2,1\nd2,B,3,1\nd3,B,5,1\n"
                  "d2,C,3,1\nd3,C,9,1\nd1,D,4,1\nd2,D,3,1\nd3,D,5,1\n");
  regio_ingest_opts_t io;
  regio_ingest_opts_default(&io);
  io.block_bytes = 64; /* rows spread over blocks and both threads */
  regio_aggregate_t *agg = NULL;
  regio_ctx_set_threads(ctx, 2);
  REQUIRE(regio_ingest_files(&path, 1, &io, ctx, &agg) == REGIO_OK);
  REQUIRE(agg->sector_size_squares != NULL && agg->district_micro_establishments != NULL);
  for (int s = 0; s < 4; s++) CHECK(agg->sector_size_squares[s] == squares[s]);
  /* every establishment has fewer than 10 employees: d1 4, d2 4, d3 5 */
  CHECK_INT(agg->district_micro_establishments[0], 4);
  CHECK_INT(agg->district_micro_establishments[1], 4);
  CHECK_INT(agg->district_micro_establishments[2], 5);
  regio_indices_opts_t o;
  memset(&o, 0, sizeof o);
  regio_result_t *res = compute_ok(agg, &o, 2);
  check_localisation(&res->levels[0].localisation, 1);
  regio_result_destroy(&res);

  io.establishments_col = "n";
  REQUIRE(regio_ingest_files(&path, 1, &io, ctx, &agg) == REGIO_OK);
  CHECK(agg->sector_size_squares == NULL && agg->district_micro_establishments == NULL);
  res = compute_ok(agg, &o, 2);
  check_localisation(&res->levels[0].localisation, 0);
  regio_result_destroy(&res);

  /* micro: fewer than 10 employees, 0 included; 9.999 is micro, 10 is not. Squares are exact
   * beyond 64 bits: 3,000,000,000 employees = 3e12 milli, squared 9e24 > 2^64. */
  path = test_path("micro.csv");
  test_write_text(path,
                  "district,sector,employees\n"
                  "a,X,9.999\na,X,10\na,X,0\na,Y,25\nb,Y,3000000000\nb,X,1\n");
  io.establishments_col = NULL;
  REQUIRE(regio_ingest_files(&path, 1, &io, ctx, &agg) == REGIO_OK);
  CHECK_INT(agg->district_micro_establishments[0], 2);
  CHECK_INT(agg->district_micro_establishments[1], 1);
  /* X: 9999^2 + 10000^2 + 0 + 1000^2 = 99,980,001 + 100,000,000 + 1,000,000 = 200,980,001 */
  CHECK(agg->sector_size_squares[0] == (regio_u128_t)200980001u);
  /* Y: 25000^2 + (3e12)^2 = 625,000,000 + 9 * 10^24 */
  const regio_u128_t big = (regio_u128_t)3000000000000u * 3000000000000u;
  CHECK(agg->sector_size_squares[1] == big + 625000000u);
  regio_aggregate_destroy(&agg);
}

/* Undefined cases. Districts x (1, 1), y (2, 2), z (0, 0); sectors A, B, one establishment each
 * in x, two each in y:
 *   x and y have the national shares (1/2, 1/2): Krugman 0, relative diversity +inf, Theil 0,
 *   HHI 1/2, normalised 0, max LQ 1 (A, index 0), no sector at LQ >= 1.25;
 *   z: E_d = 0: NaN, max_lq_sector -1, n_specialised 0; its LQ and symmetric LQ are NaN.
 * Sector Q has one establishment (all its employment): H = 1, EG and MS NaN.
 * A country of one district: sum x^2 = 1, EG and MS NaN. */
static void test_undefined(void) {
  static const char *const d3[3] = {"x", "y", "z"}, *const s2[2] = {"A", "B"};
  static const int64_t m[6] = {1000, 1000, 2000, 2000, 0, 0};
  static const regio_u128_t sq[2] = {1000000 + 2 * 1000000, 1000000 + 2 * 1000000};
  regio_indices_opts_t o;
  memset(&o, 0, sizeof o);
  regio_result_t *res = compute_ok(make_agg(d3, 3, s2, 2, m, sq), &o, 2);
  const regio_specialisation_t *sp = &res->levels[0].specialisation;
  for (int d = 0; d < 2; d++) {
    CHECK(sp->krugman[d] == 0.0);
    CHECK(isinf(sp->relative_diversity[d]) && sp->relative_diversity[d] > 0);
    CHECK_NEAR(sp->theil[d], 0.0, TOL);
    CHECK_NEAR(sp->hhi[d], 0.5, TOL);
    CHECK_NEAR(sp->hhi_normalised[d], 0.0, TOL);
    CHECK_NEAR(sp->max_lq[d], 1.0, TOL);
    CHECK_INT(sp->max_lq_sector[d], 0);
    CHECK_INT(sp->n_specialised[d], 0);
  }
  CHECK(isnan(sp->krugman[2]) && isnan(sp->hoover[2]) && isnan(sp->hhi[2]) && isnan(sp->hhi_normalised[2]));
  CHECK(isnan(sp->theil[2]) && isnan(sp->max_lq[2]) && isnan(sp->relative_diversity[2]));
  CHECK_INT(sp->max_lq_sector[2], -1);
  CHECK_INT(sp->n_specialised[2], 0);
  double lq[6], sym[6];
  regio_level_lq_rows(res, &res->levels[0], 0, 3, 0, 2, 0, lq);
  regio_level_lq_rows(res, &res->levels[0], 0, 3, 0, 2, 1, sym);
  CHECK(isnan(lq[4]) && isnan(lq[5]) && isnan(sym[4]) && isnan(sym[5]));
  /* A: s = (1/3, 2/3, 0) = x: Hoover 0, G 0, Gini 0; H = 3/9 = 1/3; sum x^2 = 1/9 + 4/9 = 5/9:
   * EG = (0 - 4/9 1/3) / (4/9 2/3) = -1/2; MS = (5/9 - 5/9 - 4/27) / (8/27) = -1/2 */
  const regio_localisation_t *lo = &res->levels[0].localisation;
  CHECK_NEAR(lo->hoover[0], 0.0, TOL);
  CHECK_NEAR(lo->concentration[0], 0.0, TOL);
  CHECK_NEAR(lo->gini[0], 0.0, TOL);
  CHECK_NEAR(lo->plant_herfindahl[0], 1.0 / 3, TOL);
  CHECK_NEAR(lo->ellison_glaeser[0], -0.5, TOL);
  CHECK_NEAR(lo->maurel_sedillot[0], -0.5, TOL);
  regio_result_destroy(&res);

  /* one establishment in sector Q (x: Q 5, one row), R spread: Q's EG and MS are NaN, H = 1 */
  static const char *const sq2[2] = {"Q", "R"};
  static const int64_t m2[6] = {5000, 1000, 0, 3000, 0, 0};
  static const regio_u128_t sizes2[2] = {25000000, 1000000 + 9000000};
  res = compute_ok(make_agg(d3, 3, sq2, 2, m2, sizes2), &o, 2);
  lo = &res->levels[0].localisation;
  CHECK_NEAR(lo->plant_herfindahl[0], 1.0, TOL);
  CHECK(isnan(lo->ellison_glaeser[0]) && isnan(lo->maurel_sedillot[0]));
  CHECK(!isnan(lo->ellison_glaeser[1]) && !isnan(lo->maurel_sedillot[1]));
  regio_result_destroy(&res);

  /* a single district: sum x^2 = 1 */
  static const int64_t m3[2] = {1000, 2000};
  static const regio_u128_t sizes3[2] = {1000000, 4000000};
  res = compute_ok(make_agg(d3, 1, s2, 2, m3, sizes3), &o, 2);
  lo = &res->levels[0].localisation;
  CHECK(isnan(lo->ellison_glaeser[0]) && isnan(lo->maurel_sedillot[0]));
  CHECK(isnan(lo->ellison_glaeser[1]) && isnan(lo->maurel_sedillot[1]));
  /* and one active sector: the normalised HHI is NaN (n = 1 when one sector has employment) */
  regio_result_destroy(&res);
  static const int64_t m4[2] = {1000, 0};
  res = compute_ok(make_agg(d3, 1, s2, 2, m4, NULL), &o, 2);
  CHECK(isnan(res->levels[0].specialisation.hhi_normalised[0]));
  CHECK(isnan(res->levels[0].localisation.hoover[1])); /* E_s = 0 */
  regio_result_destroy(&res);
}

/* Coarser levels sum the finer sectors' squares: codes A1, A2, B1 at level 1 -> A, B. */
static void test_levels_squares(void) {
  static const char *const d2[2] = {"x", "y"}, *const s3[3] = {"A1", "A2", "B1"};
  static const int64_t m[6] = {1000, 2000, 3000, 4000, 5000, 6000};
  static const regio_u128_t sq[3] = {5, 7, 11};
  regio_indices_opts_t o;
  memset(&o, 0, sizeof o);
  o.levels[0] = 1;
  o.levels[1] = 2;
  o.n_levels = 2;
  regio_result_t *res = compute_ok(make_agg(d2, 2, s3, 3, m, sq), &o, 2);
  CHECK(res->levels[0].sector_size_squares[0] == 12 && res->levels[0].sector_size_squares[1] == 11);
  CHECK(res->levels[1].sector_size_squares[0] == 5 && res->levels[1].sector_size_squares[2] == 11);
  regio_result_destroy(&res);
}

/* District codes d0000.. and sector codes s000.. in names[D + S] (8 bytes each). */
static void code_names(const char **dn, int D, const char **sn, int S, char (*names)[8]) {
  for (int i = 0; i < D; i++) {
    snprintf(names[i], 8, "d%04d", i);
    dn[i] = names[i];
  }
  for (int i = 0; i < S; i++) {
    snprintf(names[D + i], 8, "s%03d", i);
    sn[i] = names[D + i];
  }
}

/* The thread count changes nothing, bit for bit: a random 300 x 70 table with sizes, 1 and 3
 * threads. */
static void test_threads(void) {
  enum { D = 300, S = 70 };
  static const char *dn[D], *sn[S];
  static char names[D + S][8];
  code_names(dn, D, sn, S, names);
  int64_t *m = malloc(D * S * sizeof *m);
  regio_u128_t sq[S];
  REQUIRE(m);
  uint64_t state = 12345;
  for (int s = 0; s < S; s++) sq[s] = 0;
  for (int i = 0; i < D * S; i++) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    m[i] = (state >> 33) % 4 == 0 ? 0 : (int64_t)((state >> 20) % 50000);
    sq[i % S] += (regio_u128_t)(uint64_t)m[i] * (uint64_t)m[i]; /* each cell one establishment */
  }
  regio_indices_opts_t o;
  memset(&o, 0, sizeof o);
  o.levels[0] = 2;
  o.levels[1] = 4;
  o.n_levels = 2;
  regio_result_t *a = compute_ok(make_agg(dn, D, sn, S, m, sq), &o, 1);
  regio_result_t *b = compute_ok(make_agg(dn, D, sn, S, m, sq), &o, 3);
  for (int l = 0; l < a->n_levels; l++) {
    const regio_level_t *x = &a->levels[l], *y = &b->levels[l];
    const size_t n = x->sectors.count;
    double *sx = malloc(D * n * sizeof *sx), *sy = malloc(D * n * sizeof *sy);
    REQUIRE(sx && sy);
    regio_level_lq_rows(a, x, 0, D, 0, n, 1, sx);
    regio_level_lq_rows(b, y, 0, D, 0, n, 1, sy);
    CHECK(memcmp(sx, sy, D * n * sizeof(double)) == 0);
    free(sx);
    free(sy);
    const double *dx[7] = {x->specialisation.krugman,           x->specialisation.hoover, x->specialisation.hhi,
                           x->specialisation.hhi_normalised,    x->specialisation.theil,  x->specialisation.max_lq,
                           x->specialisation.relative_diversity};
    const double *dy[7] = {y->specialisation.krugman,           y->specialisation.hoover, y->specialisation.hhi,
                           y->specialisation.hhi_normalised,    y->specialisation.theil,  y->specialisation.max_lq,
                           y->specialisation.relative_diversity};
    for (int k = 0; k < 7; k++) CHECKF(memcmp(dx[k], dy[k], D * sizeof(double)) == 0, "level %d index %d", l, k);
    CHECK(memcmp(x->specialisation.max_lq_sector, y->specialisation.max_lq_sector, D * sizeof(int64_t)) == 0);
    CHECK(memcmp(x->specialisation.n_specialised, y->specialisation.n_specialised, D * sizeof(int64_t)) == 0);
    const double *lx[6] = {x->localisation.hoover,          x->localisation.gini,
                           x->localisation.concentration,   x->localisation.plant_herfindahl,
                           x->localisation.ellison_glaeser, x->localisation.maurel_sedillot};
    const double *ly[6] = {y->localisation.hoover,          y->localisation.gini,
                           y->localisation.concentration,   y->localisation.plant_herfindahl,
                           y->localisation.ellison_glaeser, y->localisation.maurel_sedillot};
    for (int k = 0; k < 6; k++) CHECKF(memcmp(lx[k], ly[k], n * sizeof(double)) == 0, "level %d index %d", l, k);
    /* and the values are defined: every sector has employment and several establishments */
    for (size_t s = 0; s < n; s++) CHECK(!isnan(x->localisation.ellison_glaeser[s]) && !isnan(x->localisation.gini[s]));
  }
  regio_result_destroy(&a);
  regio_result_destroy(&b);
  free(m);
}

/* The kernel regio_localisation_compute uses (a sector's non-zero cells only, the districts without
 * it summed exactly as integers) against the reference kernel on random columns: mostly empty, some
 * sectors with one district, one with none, sizes known and unknown. The Gini and H_s must be the
 * same to the bit, the Hoover coefficient, G, EG and MS within the last bits
 * (localisation_close). */
static void test_kernel_matches_reference(void) {
  enum { D = 997, S = 7 };
  static int64_t employment[D * S], totals[D], cells[D];
  static uint32_t cell_district[D];
  static double x[D];
  static unsigned char scratch[D * 32];
  uint64_t state = 12345;
  int64_t sector_totals[S] = {0}, national = 0;
  for (size_t d = 0; d < D; d++)
    for (size_t s = 0; s < S; s++) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      const int empty = (state >> 33) % 100 < (s == 2 ? 100 : 90) || (s == 3 && d != 5);
      employment[d * S + s] = empty ? 0 : (int64_t)((state >> 20) % 50000) + 1;
    }
  regio_u128_t sum_sq = 0;
  for (size_t d = 0; d < D; d++) {
    totals[d] = 0;
    for (size_t s = 0; s < S; s++) totals[d] += employment[d * S + s];
    totals[d] += 1000; /* employment in other sectors */
    national += totals[d];
    sum_sq += (regio_u128_t)(uint64_t)totals[d] * (uint64_t)totals[d];
  }
  for (size_t s = 0; s < S; s++)
    for (size_t d = 0; d < D; d++) sector_totals[s] += employment[d * S + s];
  double sum_x2 = 0.0;
  for (size_t d = 0; d < D; d++) {
    x[d] = (double)totals[d] / (double)national;
    sum_x2 += x[d] * x[d];
  }
  regio_localisation_scratch_t *room = regio_localisation_scratch_new(D);
  REQUIRE(room != NULL);
  int differ = 0;
  for (size_t s = 0; s < S; s++) {
    size_t n = 0;
    for (size_t d = 0; d < D; d++)
      if (employment[d * S + s]) {
        cell_district[n] = (uint32_t)d;
        cells[n++] = employment[d * S + s];
      }
    for (int sizes = 0; sizes < 2; sizes++) {
      const regio_u128_t size_sq = (regio_u128_t)(uint64_t)sector_totals[s] * 1000u;
      regio_localisation_sector_t a, b;
      regio_localisation_sector(employment + s, S, D, totals, sector_totals[s], national, sum_x2,
                                sizes ? &size_sq : NULL, scratch, &a);
      regio_localisation_cells(cell_district, cells, n, totals, x, sector_totals[s], national, sum_x2, sum_sq,
                               sizes ? &size_sq : NULL, room, &b);
      differ += memcmp(&a, &b, sizeof a) != 0;
      CHECKF(localisation_close(&a, &b),
             "sector %zu, sizes %d: the kernels differ (hoover %.17g / %.17g, gini "
             "%.17g / %.17g, G %.17g / %.17g, MS %.17g / %.17g)",
             s, sizes, a.hoover, b.hoover, a.gini, b.gini, a.concentration, b.concentration, a.maurel_sedillot,
             b.maurel_sedillot);
    }
  }
  regio_localisation_scratch_free(room);
  printf("localisation kernels: %d of %d sectors differ in their last bits\n", differ, 2 * S);
}

/* The Lorenz order of ratios that share the top bits of their keys, which the radix sort leaves in
 * district order: 600 districts of about 10^12 milli-employees each, a sector of about 10^7 in each,
 * falling with the district index while the district totals rise, so the ratios (about 10^-5)
 * differ by a few parts in 10^7 and fall with the district. The kernel must put them in the exact
 * order: its Gini is the reference's (a full sort) to the bit, and is not the Gini of the district
 * order. */
static void test_lorenz_near_ties(void) {
  enum { D = 600 };
  static int64_t employment[D], totals[D];
  static uint32_t district[D];
  static double x[D];
  static unsigned char scratch[D * 32];
  int64_t sector_total = 0, national = 0;
  regio_u128_t sum_sq = 0;
  double sum_x2 = 0.0;
  for (int d = 0; d < D; d++) {
    employment[d] = 10000000 + 3 * (D - d);
    totals[d] = 1000000000000 + 7 * d + employment[d];
    district[d] = (uint32_t)d;
    sector_total += employment[d];
    national += totals[d];
    sum_sq += (regio_u128_t)(uint64_t)totals[d] * (uint64_t)totals[d];
  }
  for (int d = 0; d < D; d++) {
    x[d] = (double)totals[d] / (double)national;
    sum_x2 += x[d] * x[d];
  }
  regio_localisation_scratch_t *room = regio_localisation_scratch_new(D);
  REQUIRE(room != NULL);
  regio_localisation_sector_t a, b;
  regio_localisation_sector(employment, 1, D, totals, sector_total, national, sum_x2, NULL, scratch, &a);
  regio_localisation_cells(district, employment, D, totals, x, sector_total, national, sum_x2, sum_sq, NULL, room, &b);
  CHECKF(localisation_close(&a, &b), "gini %.17g / %.17g", a.gini, b.gini);
  /* the Gini of the district order (descending ratios): what a missing exact order would give */
  double cumulative = 0.0, area = 0.0;
  for (int d = 0; d < D; d++) {
    const double share = (double)employment[d] / (double)sector_total;
    area += x[d] * (2.0 * cumulative + share);
    cumulative += share;
  }
  CHECKF(1.0 - area != b.gini, "the district order's Gini %.17g differs from the Lorenz order's", 1.0 - area);
  regio_localisation_scratch_free(room);
}

/* A sector in more districts than 2^16 (70,000 of 75,000, or 69,999: an odd count, whose last word
 * the radix sort's two-digit count takes apart from the pairs; the radix sort packs each district's
 * index beside its key's bits, in 32 bits): the kernel against the reference, whose Gini it gives
 * to the bit, with repeated ratios and a fifth of the districts holding the sector alone. */
static void test_lorenz_many_districts(int odd) {
  enum { D = 75000 };
  int64_t *employment = malloc(D * sizeof *employment), *totals = malloc(D * sizeof *totals);
  int64_t *cell_employment = malloc(D * sizeof *cell_employment);
  uint32_t *district = malloc(D * sizeof *district);
  double *x = malloc(D * sizeof *x);
  unsigned char *scratch = malloc((size_t)D * 32);
  REQUIRE(employment && totals && cell_employment && district && x && scratch);
  int64_t sector_total = 0, national = 0;
  regio_u128_t sum_sq = 0;
  double sum_x2 = 0.0;
  size_t n = 0;
  uint64_t state = 4242;
  for (int d = 0; d < D; d++) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    const int has = d % 15 != 0 && !(odd && d == 7); /* 70,000 districts with the sector (69,999) */
    employment[d] = has ? (int64_t)((state >> 33) % 2000 + 1) * 500 : 0;
    totals[d] = d % 5 == 1 ? employment[d] : employment[d] + (int64_t)((state >> 20) % 4000) * 250 + 1000;
    if (has) {
      district[n] = (uint32_t)d;
      cell_employment[n++] = employment[d];
    }
    sector_total += employment[d];
    national += totals[d];
    sum_sq += (regio_u128_t)(uint64_t)totals[d] * (uint64_t)totals[d];
  }
  REQUIRE(n > 65536 && n % 2 == (size_t)odd);
  for (int d = 0; d < D; d++) {
    x[d] = (double)totals[d] / (double)national;
    sum_x2 += x[d] * x[d];
  }
  regio_localisation_scratch_t *room = regio_localisation_scratch_new(n);
  REQUIRE(room != NULL);
  regio_localisation_sector_t a, b;
  regio_localisation_sector(employment, 1, D, totals, sector_total, national, sum_x2, NULL, scratch, &a);
  regio_localisation_cells(district, cell_employment, n, totals, x, sector_total, national, sum_x2, sum_sq, NULL, room,
                           &b);
  CHECKF(localisation_close(&a, &b), "%zu cells: gini %.17g / %.17g, hoover %.17g / %.17g", n, a.gini, b.gini, a.hoover,
         b.hoover);
  regio_localisation_scratch_free(room);
  free(employment);
  free(totals);
  free(cell_employment);
  free(district);
  free(x);
  free(scratch);
}

/* regio_localisation_compute (the rows of non-zero cells, their transpose by sectors and the radix
 * sort of the Lorenz order) against the reference kernel on each level's matrix (localisation_close;
 * every thread count gives the same bits, test_threads), with 1, 2 and 3 threads: 2000 districts x 60 sectors, sectors
 * from 99% empty to full, one empty, one in a single district, exact ties of the Lorenz ratios (districts with one
 * sector: ratio 1; repeated cells), sizes known, and a coarse level of 6 sectors. */
static void test_compute_matches_reference(void) {
  enum { D = 2000, S = 60 };
  static const char *dn[D], *sn[S];
  static char names[D + S][8];
  code_names(dn, D, sn, S, names);
  int64_t *m = malloc((size_t)D * S * sizeof *m);
  unsigned char *scratch = malloc((size_t)D * 32);
  regio_u128_t sq[S];
  REQUIRE(m && scratch);
  uint64_t state = 987654321;
  for (int s = 0; s < S; s++) sq[s] = 0;
  for (int d = 0; d < D; d++)
    for (int s = 0; s < S; s++) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      const int percent_full = s == 7 ? 0 : s < 20 ? 1 + s / 2 : s < 40 ? 20 + s : 100;
      int64_t e = (int)((state >> 33) % 100) < percent_full ? (int64_t)((state >> 20) % 50000) + 1 : 0;
      if (s == 11) e = d == 1234 ? 5000 : 0;
      if (s == 12 && e) e = 3000;              /* repeated values */
      if (d % 97 == 0) e = s == 40 ? 7000 : 0; /* one sector only: ratio 1 */
      m[(size_t)d * S + s] = e;
      sq[s] += (regio_u128_t)(uint64_t)e * (uint64_t)e;
    }
  regio_indices_opts_t o;
  memset(&o, 0, sizeof o);
  o.levels[0] = 3;
  o.levels[1] = 4;
  o.n_levels = 2;
  for (int threads = 1; threads <= 3; threads++) {
    regio_result_t *res = compute_ok(make_agg(dn, D, sn, S, m, sq), &o, threads);
    const size_t nd = res->agg->districts.count;
    double sum_x2 = 0.0;
    for (size_t d = 0; d < nd; d++) {
      const double x = (double)res->district_employment[d] / (double)res->total_employment;
      sum_x2 += x * x;
    }
    for (int l = 0; l < res->n_levels; l++) {
      const regio_level_t *level = &res->levels[l];
      const size_t ns = level->sectors.count;
      CHECK(ns == (l == 0 ? 6u : (size_t)S));
      int64_t *dense = malloc((nd * ns > 0 ? nd * ns : 1) * sizeof *dense); /* the reference walks dense columns */
      REQUIRE(dense);
      for (size_t d = 0; d < nd; d++) regio_level_row(level, d, 0, ns, dense + d * ns);
      for (size_t s = 0; s < ns; s++) {
        regio_localisation_sector_t a;
        regio_localisation_sector(dense + s, ns, nd, res->district_employment, level->sector_employment[s],
                                  res->total_employment, sum_x2, &level->sector_size_squares[s], scratch, &a);
        const regio_localisation_t *lo = &level->localisation;
        const regio_localisation_sector_t b = {lo->hoover[s],          lo->gini[s],
                                               lo->concentration[s],   lo->plant_herfindahl[s],
                                               lo->ellison_glaeser[s], lo->maurel_sedillot[s]};
        CHECKF(localisation_close(&a, &b),
               "threads %d, level %d, sector %zu: differs from the reference (hoover %.17g / %.17g, gini %.17g / "
               "%.17g, G %.17g / %.17g, MS %.17g / %.17g)",
               threads, l, s, a.hoover, b.hoover, a.gini, b.gini, a.concentration, b.concentration, a.maurel_sedillot,
               b.maurel_sedillot);
      }
      free(dense);
      if (l == 1) CHECK(isnan(level->localisation.hoover[7])); /* E_s = 0 */
    }
    regio_result_destroy(&res);
  }
  free(m);
  free(scratch);
}

/* regio_level_lq_block (the empty cells copied from one model row, the others computed) against
 * regio_lq_row and regio_lq_symmetric row by row, bit for bit: 300 districts x 23 sectors with a
 * district without employment, a sector without any, cells from empty to full; blocks of 1, 7 and
 * all rows, sector ranges not multiples of 4, a stride wider than the block. */
static void test_lq_block_matches_rows(void) {
  enum { D = 300, S = 23 };
  static const char *dn[D], *sn[S];
  static char names[D + S][8];
  code_names(dn, D, sn, S, names);
  int64_t *m = malloc((size_t)D * S * sizeof *m);
  REQUIRE(m != NULL);
  uint64_t state = 777;
  for (int d = 0; d < D; d++)
    for (int s = 0; s < S; s++) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      const int full = (int)((state >> 40) % 100) < (s % 5) * 25;
      m[(size_t)d * S + s] = d == 17 || s == 9 || !full ? 0 : (int64_t)((state >> 20) % 90000) + 1;
    }
  regio_indices_opts_t o;
  memset(&o, 0, sizeof o);
  regio_result_t *res = compute_ok(make_agg(dn, D, sn, S, m, NULL), &o, 2);
  const regio_level_t *level = &res->levels[0];
  REQUIRE(level->sectors.count == S && res->district_employment[17] == 0 && level->sector_employment[9] == 0);
  enum { STRIDE = S + 5 };
  double *got = malloc((size_t)D * STRIDE * sizeof *got), want[S];
  REQUIRE(got != NULL);
  int differ = 0;
  static const size_t blocks[3] = {1, 7, D};
  static const size_t ranges[3][2] = {{0, S}, {3, 13}, {21, 2}};
  for (int symmetric = 0; symmetric < 2; symmetric++)
    for (int b = 0; b < 3; b++)
      for (int c = 0; c < 3; c++) {
        const size_t s0 = ranges[c][0], ns = ranges[c][1];
        for (size_t d0 = 0; d0 < D; d0 += blocks[b]) {
          const size_t n = d0 + blocks[b] <= D ? blocks[b] : D - d0;
          regio_level_lq_block(res, level, d0, n, s0, ns, symmetric, got, STRIDE);
          for (size_t r = 0; r < n; r++) {
            regio_lq_row(m + (d0 + r) * S + s0, res->district_employment[d0 + r], level->sector_employment + s0,
                         res->total_employment, ns, want);
            if (symmetric) regio_lq_symmetric(want, ns, want);
            differ += memcmp(got + r * STRIDE, want, ns * sizeof *want) != 0;
          }
        }
      }
  CHECKF(differ == 0, "%d rows of regio_level_lq_block differ from regio_lq_row's", differ);
  regio_result_destroy(&res);
  free(got);
  free(m);
}

/* NaN in one form: the sign of a NaN (x86 gives -NaN for log of a negative number, and an addition of
 * two NaNs keeps the first operand's, in whatever order the compiler put them) means nothing. */
static void canonical_nans(regio_specialisation_row_t *r) {
  double *const fields[] = {&r->krugman,           &r->hoover, &r->hhi, &r->hhi_normalised, &r->theil, &r->max_lq,
                            &r->relative_diversity};
  for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
    if (isnan(*fields[i])) *fields[i] = NAN;
}

/* The kernel regio_specialisation_compute uses (the non-zero cells only, the LQ computed where used,
 * the empty cells' part of Krugman from an exact integer sum) against the reference row function fed
 * with regio_lq_row's LQ: Krugman within 1e-13 (the reference adds up to 60 rounded shares one by
 * one), Hoover and the relative diversity K / 2 and 1 / K of the kernel's own K, every other value
 * the same to the bit. 3000 random
 * rows of 1 to 60 sectors (every tenth up to 700), from empty to full, sectors with no national employment (NaN LQ),
 * negative cells (the API allows them), districts with a zero or negative total, and thresholds
 * that an LQ of 0 passes (0 and -1, minimum employment 0 and -5) or not (1.25, 1000). */
static void test_specialisation_kernel_matches_reference(void) {
  enum { S_MAX = 700 }; /* every tenth row up to 700 sectors: the Theil sum's chunks of 256 terms */
  uint64_t state = 4242;
#define NEXT() (state = state * 6364136223846793005ull + 1442695040888963407ull, state >> 33)
  int mismatches = 0, rows = 0, zero_max = 0, long_theil = 0;
  for (int trial = 0; trial < 3000; trial++) {
    /* a long row has no sector without national employment and no negative cell: its Theil index is
     * a number, not NaN, and sums more than one chunk of terms */
    const int long_row = trial % 10 == 0;
    const size_t S = 1 + NEXT() % (long_row ? S_MAX : 60);
    const unsigned density = (unsigned)(NEXT() % 101);
    int64_t row[S_MAX], sector_totals[S_MAX], district_total = 0;
    double ns[S_MAX], lq[S_MAX];
    uint32_t cell_sector[S_MAX];
    int64_t cells[S_MAX];
    __int128 abs_total = 0;
    const int64_t national = 1000000 + (int64_t)(NEXT() % 100000000);
    size_t n_active = 0, n_nonzero = 0;
    for (size_t s = 0; s < S; s++) {
      const unsigned kind = (unsigned)(long_row ? 2 + NEXT() % 18 : NEXT() % 20);
      sector_totals[s] = kind == 0 ? 0 : kind == 1 ? -(int64_t)(1 + NEXT() % 1000) : (int64_t)(1 + NEXT() % 5000000);
      row[s] = NEXT() % 100 < density ? (int64_t)(1 + NEXT() % 40000) : 0;
      if (NEXT() % 50 == 0 && !long_row) row[s] = -row[s];
      district_total += row[s];
      ns[s] = (double)sector_totals[s] / (double)national;
      abs_total += sector_totals[s] < 0 ? -(__int128)sector_totals[s] : sector_totals[s];
      n_active += sector_totals[s] > 0;
      n_nonzero += ns[s] != 0.0;
    }
    regio_lq_row(row, district_total, sector_totals, national, S, lq);
    size_t n_cells = 0;
    for (size_t s = 0; s < S; s++)
      if (row[s]) {
        cell_sector[n_cells] = (uint32_t)s;
        cells[n_cells++] = row[s];
      }
    static const double thresholds[3] = {1.25, 0.0, -1.0};
    static const int64_t minimums[3] = {1000, 0, -5};
    for (int t = 0; t < 3; t++)
      for (int m = 0; m < 3; m++) {
        regio_specialisation_row_t a, b;
        memset(&a, 0, sizeof a);
        memset(&b, 0, sizeof b);
        regio_specialisation_row(row, lq, district_total, national, ns, S, n_active, thresholds[t], minimums[m], &a);
        regio_specialisation_cells(cell_sector, cells, n_cells, district_total, national, sector_totals, ns, S,
                                   abs_total, n_nonzero, n_active, thresholds[t], minimums[m], &b);
        rows++;
        zero_max += a.max_lq == 0.0;
        long_theil += n_cells > 256 && !isnan(a.theil);
        regio_specialisation_row_t same = a; /* a with the kernel's own K, K / 2 and 1 / K */
        same.krugman = b.krugman;
        same.hoover = b.hoover;
        same.relative_diversity = b.relative_diversity;
        canonical_nans(&same);
        canonical_nans(&b);
        const int own_k = isnan(b.krugman) ? isnan(b.hoover) && isnan(b.relative_diversity)
                                           : b.hoover == 0.5 * b.krugman && b.relative_diversity == 1.0 / b.krugman;
        if (!near(a.krugman, b.krugman, 1e-13) || !own_k || memcmp(&same, &b, sizeof b) != 0) {
          if (mismatches++ < 5)
            fprintf(stderr,
                    "trial %d (S %zu, threshold %g, min %lld): krugman %.17g / %.17g, hhi %.17g / %.17g, theil "
                    "%.17g / %.17g, max_lq %.17g / %.17g at %lld / %lld, n_specialised %lld / %lld\n",
                    trial, S, thresholds[t], (long long)minimums[m], a.krugman, b.krugman, a.hhi, b.hhi, a.theil,
                    b.theil, a.max_lq, b.max_lq, (long long)a.max_lq_sector, (long long)b.max_lq_sector,
                    (long long)a.n_specialised, (long long)b.n_specialised);
        }
      }
  }
#undef NEXT
  CHECKF(mismatches == 0, "%d of %d rows differ between the tuned and the reference specialisation kernels", mismatches,
         rows);
  CHECKF(zero_max > 0, "some rows have their maximum LQ at an empty cell (%d)", zero_max);
  CHECKF(long_theil > 0, "some rows sum more than 256 Theil terms (%d)", long_theil);
}

int main(void) {
  REQUIRE(regio_ctx_create(&ctx) == REGIO_OK);
  test_specialisation_example();
  test_localisation_example();
  test_from_csv();
  test_undefined();
  test_levels_squares();
  test_threads();
  test_kernel_matches_reference();
  test_lorenz_near_ties();
  test_lorenz_many_districts(0);
  test_lorenz_many_districts(1);
  test_lq_block_matches_rows();
  test_compute_matches_reference();
  test_specialisation_kernel_matches_reference();
  regio_ctx_destroy(&ctx);
  return test_summary("test_specialisation");
}
