/* Unit test of the screen's value-chain coherence score (src/screen/screen.c) and its option
 * parsing; the classes themselves are tested on a planted country in tests/cli/screen.sh. Expected
 * values are worked out by hand in the comments. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "regio/categories.h"
#include "regio/indices.h"
#include "regio/ingest.h"
#include "regio/io.h"
#include "regio/screen.h"
#include "screen/screen_impl.h"
#include "testing.h"

static regio_ctx_t *ctx;

/* IO sectors X, Y, Z with A = [[0, .3, 0], [.1, .2, 0], [0, 0, .05]]. Off-diagonal coefficients
 * sorted: 0, 0, 0, 0, .1, .3; the 0.9 quantile (linear): position 4.5 -> .1 + .5 (.3 - .1) = .2.
 * Map: 11 -> X, 12 -> Y, 21 -> Z, 31 and 41 -> "-" (left out).
 * Employees:   111  121  122  211  311  411 | E_d
 *   a           10   10    .   10    .   10 |  40
 *   b           10    .    .    .   10   20 |  40
 *   c            .   10   10    .    .   20 |  40
 *   d            .    .    .    .    .  100 | 100
 *   E_s         20   20   10   10   10  150 | 220
 * LQ >= 1.25: a: 111 (.25 / (20/220) = 2.75), 121 (2.75), 211 (5.5) -> X, Y, Z: pairs XY linked
 *   (max(.3, .1) = .3 >= .2), XZ (0) and YZ (0) not: 1/3.
 * b: 111 (2.75) and 311 (5.5, left out): one sector -> NaN.
 * c: 121 (2.75), 122 (5.5) -> Y, Y: a_YY = .2 >= .2: 1.
 * d: 411 (LQ 1.47, left out) -> NaN. */
static int cmp_double_test(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* regio_select_kth against qsort: every position k of arrays of 1 to 300 values, drawn from few
 * distinct values (many duplicates), from many, or sorted either way; v[k] must be the sorted
 * array's, with nothing larger before it and nothing smaller after it. */
static void test_select_kth(void) {
  uint64_t st = 99;
  int bad = 0, cases = 0;
  for (int shape = 0; shape < 4; shape++)
    for (size_t n = 1; n <= 300; n += (n < 20 ? 1 : 37)) {
      double *v = malloc(n * sizeof *v), *sorted = malloc(n * sizeof *sorted), *w = malloc(n * sizeof *w);
      REQUIRE(v && sorted && w);
      for (size_t i = 0; i < n; i++) {
        st = st * 6364136223846793005u + 1442695040888963407u;
        const double u = (double)(st >> 11) / 9007199254740992.0;
        v[i] = shape == 0 ? floor(u * 3) : shape == 1 ? u - 0.5 : shape == 2 ? (double)i : -(double)i;
      }
      memcpy(sorted, v, n * sizeof *v);
      qsort(sorted, n, sizeof *sorted, cmp_double_test);
      for (size_t k = 0; k < n; k++) {
        memcpy(w, v, n * sizeof *v);
        const double got = regio_select_kth(w, n, k);
        int ok = got == sorted[k] && w[k] == got;
        for (size_t j = 0; j < n; j++) ok &= j < k ? w[j] <= got : j > k ? w[j] >= got : 1;
        bad += !ok;
        cases++;
      }
      free(v);
      free(sorted);
      free(w);
    }
  CHECKF(bad == 0, "regio_select_kth: %d of %d cases differ from the sorted order", bad, cases);
}

static void test_value_chain(void) {
  const char *data = test_path("rows.csv");
  test_write_text(data,
                  "district,sector,employees\n"
                  "a,111,10\na,121,10\na,211,10\na,411,10\nb,111,10\nb,311,10\nb,411,20\n"
                  "c,121,10\nc,122,10\nc,411,20\nd,411,100\n");
  const char *cats = test_path("cats.csv");
  test_write_text(cats, "sector,category,use\n1,makers,work\n2,makers,work\n4,leisure,leisure\n");
  const char *iomap = test_path("iomap.csv");
  test_write_text(iomap, "sector,io_sector\n11,X\n12,Y\n21,Z\n31,-\n41,-\n");
  regio_ingest_opts_t io;
  regio_ingest_opts_default(&io);
  regio_aggregate_t *agg = NULL;
  REQUIRE(regio_ingest_files(&data, 1, &io, ctx, &agg) == REGIO_OK);
  regio_indices_opts_t o;
  memset(&o, 0, sizeof o);
  o.levels[0] = 1;
  o.levels[1] = 3;
  o.n_levels = 2;
  regio_result_t *res = NULL;
  REQUIRE(regio_indices_compute(&agg, &o, ctx, &res) == REGIO_OK);
  regio_category_map_t *map = NULL;
  REQUIRE(regio_category_map_read(cats, ctx, &map) == REGIO_OK);
  REQUIRE(regio_categories_compute(res, map, ctx) == REGIO_OK);
  regio_io_sector_map_t *sector_map = NULL;
  REQUIRE(regio_io_sector_map_read(iomap, ctx, &sector_map) == REGIO_OK);

  char x[] = "X", y[] = "Y", z[] = "Z";
  char *codes[3] = {x, y, z};
  double A[9] = {0, .3, 0, .1, .2, 0, 0, 0, .05};
  regio_io_table_t table;
  memset(&table, 0, sizeof table);
  table.n = 3;
  table.sector_code = codes;
  regio_io_national_t national;
  memset(&national, 0, sizeof national);
  national.n = 3;
  national.A = A;

  regio_screen_opts_t so;
  regio_screen_opts_default(&so);
  so.thin_employment = 0;
  so.manufacturing_categories[0] = '\0';
  snprintf(so.knowledge_categories, sizeof so.knowledge_categories, "makers");
  snprintf(so.office_categories, sizeof so.office_categories, "makers");
  snprintf(so.amenity_categories, sizeof so.amenity_categories, "leisure");
  regio_ctx_clear(ctx);
  regio_err_t err = regio_screen_compute_io(res, &so, &table, &national, sector_map, ctx);
  CHECKF(err == REGIO_OK, "%s", regio_ctx_message(ctx));
  REQUIRE(err == REGIO_OK && res->screen && res->screen->value_chain);
  const regio_screen_t *s = res->screen;
  CHECK_NEAR(s->value_chain_threshold, 0.2, 1e-15);
  CHECK_NEAR(s->value_chain[0], 1.0 / 3, 1e-15);
  CHECK(isnan(s->value_chain[1]));
  CHECK_NEAR(s->value_chain[2], 1.0, 0);
  CHECK(isnan(s->value_chain[3]));
  int64_t total = 0;
  for (int c = 0; c < REGIO_CLASS_COUNT; c++) total += s->counts[c];
  CHECK_INT(total, 4);

  /* without the IO pieces: no value chain */
  REQUIRE(regio_screen_compute(res, &so, ctx) == REGIO_OK);
  CHECK(res->screen->value_chain == NULL && isnan(res->screen->value_chain_threshold));

  /* an unknown category in a list is an error naming it */
  snprintf(so.office_categories, sizeof so.office_categories, "offices");
  CHECK_INT(regio_screen_compute(res, &so, ctx), REGIO_ERR_USAGE);
  CHECK_CONTAINS(regio_ctx_message(ctx), "'offices'");
  CHECK(res->screen == NULL);

  regio_io_sector_map_destroy(&sector_map);
  regio_category_map_destroy(&map);
  regio_result_destroy(&res);
}

static void test_options(void) {
  regio_screen_opts_t so;
  regio_screen_opts_default(&so);
  CHECK(regio_screen_opts_set(&so, "office-lq", "2.5") == NULL && so.office_lq == 2.5);
  CHECK(regio_screen_opts_set(&so, "innovation-mixed-use-quantile", "1.5") != NULL); /* a quantile is in [0, 1] */
  CHECK(regio_screen_opts_set(&so, "cluster-needs-manufacturing", "false") == NULL && !so.cluster_needs_manufacturing);
  CHECK(regio_screen_opts_set(&so, "amenity-lq", "lots") != NULL);
  CHECK(regio_screen_opts_set(&so, "no-such-key", "1") != NULL);
  CHECK(regio_screen_opts_set(&so, "office-categories", "kibs, finance") == NULL);
  CHECK_STR(so.office_categories, "kibs, finance");
  CHECK_STR(regio_screen_class_name(REGIO_CLASS_INNOVATION_DISTRICT), "innovation_district");
  CHECK_STR(regio_screen_class_name(99), "unknown");
}

int main(void) {
  REQUIRE(regio_ctx_create(&ctx) == REGIO_OK);
  regio_ctx_set_threads(ctx, 2);
  test_select_kth();
  test_value_chain();
  test_options();
  regio_ctx_destroy(&ctx);
  return test_summary("test_screen");
}
