/* Unit test of the functional categories (src/indices/categories.c): the map file (longest prefix,
 * "other", errors with file:line), category shares, LQs and the mixed-use index, micro share, and
 * district areas. Expected values are worked out by hand in the comments. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "regio/categories.h"
#include "regio/indices.h"
#include "regio/ingest.h"
#include "testing.h"

static regio_ctx_t *ctx;

#define TOL 1e-14

static regio_category_map_t *read_map(const char *name, const char *text, regio_err_t want) {
  const char *path = test_path(name);
  test_write_text(path, text);
  regio_category_map_t *map = NULL;
  regio_ctx_clear(ctx);
  regio_err_t err = regio_category_map_read(path, ctx, &map);
  CHECKF(err == want, "%s: got %d (%s), expected %d", name, (int)err, regio_ctx_message(ctx), (int)want);
  return map;
}

static void test_map(void) {
  regio_category_map_t *map = read_map("map.csv",
                                       "# a comment\nsector,category,use\n54,kibs,work\n5417,anchors,work\n\n"
                                       "\"53\",housing,living\n722,amenities,leisure\n31,manufacturing,work\n",
                                       REGIO_OK);
  REQUIRE(map != NULL);
  CHECK_INT(map->n, 5);
  CHECK_INT(map->n_categories, 6); /* five named, "other" added last */
  CHECK_STR(map->names[5], "other");
  CHECK_INT(map->use[5], REGIO_USE_NONE);
  CHECK_INT(map->has_use, 1);
  /* longest prefix wins: 541711 -> 5417 anchors (1), 541511 -> 54 kibs (0), 53 -> housing (2) */
  CHECK_INT(regio_category_map_lookup(map, "541711", 6), 1);
  CHECK_INT(regio_category_map_lookup(map, "541511", 6), 0);
  CHECK_INT(regio_category_map_lookup(map, "531110", 6), 2);
  CHECK_INT(regio_category_map_lookup(map, "5", 1), 5);      /* shorter than every prefix: other */
  CHECK_INT(regio_category_map_lookup(map, "111110", 6), 5); /* unmapped: other */
  CHECK_INT(regio_category_map_lookup(map, "5417", 4), 1);   /* the code itself */
  CHECK_INT(map->line[1], 4);
  regio_category_map_destroy(&map);
  CHECK(map == NULL);

  /* "other" named in the file moves to the end, keeping its rows */
  map = read_map("other.csv", "sector,category\n11,other\n54,kibs\n", REGIO_OK);
  REQUIRE(map != NULL);
  CHECK_INT(map->n_categories, 2);
  CHECK_STR(map->names[0], "kibs");
  CHECK_STR(map->names[1], "other");
  CHECK_INT(regio_category_map_lookup(map, "1111", 4), 1);
  CHECK_INT(regio_category_map_lookup(map, "5411", 4), 0);
  CHECK_INT(map->has_use, 0);
  regio_category_map_destroy(&map);

  /* errors name the file and line */
  read_map("dup.csv", "sector,category\n54,kibs\n31,manufacturing\n54,other\n", REGIO_ERR_INPUT);
  CHECK_CONTAINS(regio_ctx_message(ctx), "dup.csv:4");
  CHECK_CONTAINS(regio_ctx_message(ctx), "'54' is mapped twice (first on line 2)");
  read_map("noheader.csv", "54,kibs\n", REGIO_ERR_INPUT);
  CHECK_CONTAINS(regio_ctx_message(ctx), "noheader.csv:1");
  read_map("baduse.csv", "sector,category,use\n54,kibs,office\n", REGIO_ERR_INPUT);
  CHECK_CONTAINS(regio_ctx_message(ctx), "baduse.csv:2");
  read_map("twouses.csv", "sector,category,use\n54,kibs,work\n55,kibs,leisure\n", REGIO_ERR_INPUT);
  CHECK_CONTAINS(regio_ctx_message(ctx), "twouses.csv:3");
  read_map("empty_field.csv", "sector,category\n54,\n", REGIO_ERR_INPUT);
  CHECK_CONTAINS(regio_ctx_message(ctx), "empty_field.csv:2");
  read_map("norows.csv", "sector,category\n", REGIO_ERR_INPUT);
  read_map("otheruse.csv", "sector,category,use\n11,other,work\n", REGIO_ERR_INPUT);
  CHECK_CONTAINS(regio_ctx_message(ctx), "otheruse.csv:2");
  regio_ctx_clear(ctx);
  regio_category_map_t *none = NULL;
  CHECK_INT(regio_category_map_read(test_path("missing.csv"), ctx, &none), REGIO_ERR_IO);
}

/* Establishment rows, employees:
 *   d1: 5411 x 4 (one establishment), 5411 x 12, 7221 x 4   -> E = 20, kibs 16, amenities 4
 *   d2: 5311 x 10, 7221 x 5, 1111 x 5                        -> E = 20, housing 10, amenities 5, other 5
 *   d3: 5411 x 20                                            -> E = 20, kibs 20
 * Map: 54 kibs (work), 53 housing (living), 72 amenities (leisure). Categories kibs, housing,
 * amenities, other; national E_c = 36, 10, 9, 5 of E = 60.
 * Shares: d1 (16, 0, 4, 0)/20 = (.8, 0, .2, 0); d2 (0, .5, .25, .25); d3 (1, 0, 0, 0).
 * LQ = share / (E_c / E): national shares (.6, 1/6, .15, 1/12):
 *   d1 (.8/.6 = 4/3, 0, .2/.15 = 4/3, 0); d2 (0, 3, 5/3, 3); d3 (5/3, 0, 0, 0).
 * Mixed use over work, living, leisure (other not counted), entropy / ln 3:
 *   d1 (16, 0, 4)/20: -(.8 ln .8 + .2 ln .2) / ln 3;  d2 (0, 10, 5)/15: -(2/3 ln 2/3 + 1/3 ln 1/3) / ln 3;
 *   d3: 0.
 * Micro (fewer than 10 employees): d1 2 of 3, d2 2 of 3 (10 is not micro), d3 0 of 1.
 * Areas: d1 2 km2, d3 0.5 km2, d2 missing, "d9" unknown: density d1 3 / 2 = 1.5, d2 NaN, d3 1 / .5 = 2. */
static void test_measures(void) {
  const char *data = test_path("rows.csv");
  test_write_text(data,
                  "district,sector,employees\n"
                  "d1,5411,4\nd1,5411,12\nd1,7221,4\nd2,5311,10\nd2,7221,5\nd2,1111,5\nd3,5411,20\n");
  regio_ingest_opts_t io;
  regio_ingest_opts_default(&io);
  regio_aggregate_t *agg = NULL;
  regio_ctx_set_threads(ctx, 2);
  REQUIRE(regio_ingest_files(&data, 1, &io, ctx, &agg) == REGIO_OK);
  regio_indices_opts_t o;
  memset(&o, 0, sizeof o);
  o.levels[0] = 2;
  o.levels[1] = 4;
  o.n_levels = 2;
  regio_result_t *res = NULL;
  REQUIRE(regio_indices_compute(&agg, &o, ctx, &res) == REGIO_OK);
  REQUIRE(res->micro_share != NULL);
  CHECK_NEAR(res->micro_share[0], 2.0 / 3, TOL);
  CHECK_NEAR(res->micro_share[1], 2.0 / 3, TOL);
  CHECK_NEAR(res->micro_share[2], 0.0, TOL);

  regio_category_map_t *map = read_map("m.csv",
                                       "sector,category,use\n54,kibs,work\n53,housing,living\n"
                                       "72,amenities,leisure\n",
                                       REGIO_OK);
  REQUIRE(map != NULL);
  REQUIRE(regio_categories_compute(res, map, ctx) == REGIO_OK);
  const regio_categories_t *cat = res->categories;
  REQUIRE(cat != NULL && cat->n_categories == 4);
  CHECK_INT(cat->level, 1); /* the finest level, 4 digits */
  const double share[3][4] = {{.8, 0, .2, 0}, {0, .5, .25, .25}, {1, 0, 0, 0}};
  const double lq[3][4] = {{4.0 / 3, 0, 4.0 / 3, 0}, {0, 3, 5.0 / 3, 3}, {5.0 / 3, 0, 0, 0}};
  const int64_t national[4] = {36000, 10000, 9000, 5000};
  for (int c = 0; c < 4; c++) CHECK_INT(cat->category_employment[c], national[c]);
  for (int d = 0; d < 3; d++)
    for (int c = 0; c < 4; c++) {
      CHECK_NEAR(cat->share[d * 4 + c], share[d][c], TOL);
      CHECK_NEAR(cat->lq[d * 4 + c], lq[d][c], TOL);
    }
  /* sectors of level 4: 1111 other, 5311 housing, 5411 kibs, 7221 amenities */
  CHECK_INT(cat->sector_category[0], 3);
  CHECK_INT(cat->sector_category[1], 1);
  CHECK_INT(cat->sector_category[2], 0);
  CHECK_INT(cat->sector_category[3], 2);
  REQUIRE(cat->mixed_use != NULL);
  CHECK_NEAR(cat->mixed_use[0], -(0.8 * log(0.8) + 0.2 * log(0.2)) / log(3.0), TOL);
  CHECK_NEAR(cat->mixed_use[1], -(2.0 / 3 * log(2.0 / 3) + 1.0 / 3 * log(1.0 / 3)) / log(3.0), TOL);
  CHECK_NEAR(cat->mixed_use[2], 0.0, TOL);
  regio_category_map_destroy(&map);

  /* a map without uses: no mixed-use index */
  map = read_map("m2.csv", "sector,category\n54,kibs\n", REGIO_OK);
  REQUIRE(regio_categories_compute(res, map, ctx) == REGIO_OK);
  CHECK(res->categories->mixed_use == NULL);
  CHECK_INT(res->categories->n_categories, 2);
  regio_category_map_destroy(&map);

  /* areas */
  const char *areas = test_path("areas.csv");
  test_write_text(areas, "district,area_km2\nd1,2\nd9,4\nd3,0.5\n");
  int64_t unknown = -1;
  REQUIRE(regio_district_areas_apply(res, areas, ctx, &unknown) == REGIO_OK);
  CHECK_INT(unknown, 1);
  CHECK_NEAR(res->district_area[0], 2.0, TOL);
  CHECK(isnan(res->district_area[1]) && isnan(res->establishment_density[1]));
  CHECK_NEAR(res->establishment_density[0], 1.5, TOL);
  CHECK_NEAR(res->establishment_density[2], 2.0, TOL);
  test_write_text(areas, "district,area_km2\nd1,2\nd1,3\n");
  CHECK_INT(regio_district_areas_apply(res, areas, ctx, &unknown), REGIO_ERR_INPUT);
  CHECK_CONTAINS(regio_ctx_message(ctx), "areas.csv:3");
  test_write_text(areas, "district,area_km2\nd1,0\n");
  CHECK_INT(regio_district_areas_apply(res, areas, ctx, &unknown), REGIO_ERR_INPUT);
  CHECK_CONTAINS(regio_ctx_message(ctx), "areas.csv:2");
  test_write_text(areas, "district,area\nd1,1\n");
  CHECK_INT(regio_district_areas_apply(res, areas, ctx, &unknown), REGIO_ERR_INPUT);
  regio_result_destroy(&res);
}

int main(void) {
  REQUIRE(regio_ctx_create(&ctx) == REGIO_OK);
  test_map();
  test_measures();
  regio_ctx_destroy(&ctx);
  return test_summary("test_categories");
}
