/* Unit test of regio_result_restrict and regio_io_regional_restrict (src/indices/restrict.c,
 * src/io/restrict.c): a complete result computed twice, one copy cut down to a block of districts,
 * must hold exactly the block's rows of every per-district array of the other (aggregate, levels,
 * specialisation, variety, micro share, helix diversity, areas, categories, screen) and the same
 * per-sector and national values; the block may be empty; bad blocks are refused. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "regio/categories.h"
#include "regio/indices.h"
#include "regio/ingest.h"
#include "regio/io.h"
#include "regio/screen.h"
#include "testing.h"

static regio_ctx_t *ctx;

/* Districts a to f (f without employment), sectors at levels 1 and 3, an actor column. */
static const char *const rows_csv =
    "district,sector,employees,actor\n"
    "a,111,10,firm\na,121,10,firm\na,211,10,university\na,411,10,firm\nb,111,10,government\nb,311,10,firm\n"
    "b,411,20,firm\nc,121,10,firm\nc,122,10,research\nc,411,20,firm\nd,411,100,firm\ne,111,3,firm\n"
    "e,211,7,university\ne,311,1,firm\nf,111,0,firm\n";

typedef struct pipeline {
  regio_result_t *res;
  regio_io_table_t *table;
  regio_io_national_t *national;
  regio_io_sector_map_t *sector_map;
  regio_io_regional_t *regional;
  char **district_code;
  int n_regional;
  double *io_employment;
} pipeline_t;

static void run_pipeline(pipeline_t *p) {
  memset(p, 0, sizeof *p);
  const char *data = test_path("rows.csv"), *cats = test_path("cats.csv"), *iomap = test_path("iomap.csv");
  const char *areas = test_path("areas.csv");
  regio_ingest_opts_t io;
  regio_ingest_opts_default(&io);
  io.actor_col = "actor";
  regio_aggregate_t *agg = NULL;
  REQUIRE(regio_ingest_files(&data, 1, &io, ctx, &agg) == REGIO_OK);
  regio_indices_opts_t o;
  memset(&o, 0, sizeof o);
  o.levels[0] = 1;
  o.levels[1] = 3;
  o.n_levels = 2;
  REQUIRE(regio_indices_compute(&agg, &o, ctx, &p->res) == REGIO_OK);
  regio_category_map_t *map = NULL;
  REQUIRE(regio_category_map_read(cats, ctx, &map) == REGIO_OK);
  REQUIRE(regio_categories_compute(p->res, map, ctx) == REGIO_OK);
  regio_category_map_destroy(&map);
  int64_t unknown = 0;
  REQUIRE(regio_district_areas_apply(p->res, areas, ctx, &unknown) == REGIO_OK);

  const char *codes[3] = {"X", "Y", "Z"};
  double Z[9] = {0, 3, 0, 1, 2, 0, 0, 0, .5}, x[3] = {10, 10, 10}, employment[3] = {5, 5, 5};
  REQUIRE(regio_io_table_create(3, codes, Z, x, NULL, employment, NULL, ctx, &p->table) == REGIO_OK);
  regio_io_national_opts_t no = {0, 0};
  REQUIRE(regio_io_national_compute(p->table, &no, ctx, &p->national) == REGIO_OK);
  REQUIRE(regio_io_sector_map_read(iomap, ctx, &p->sector_map) == REGIO_OK);
  double excluded = 0;
  REQUIRE(regio_io_district_employment(p->res, p->sector_map, p->table, 0, ctx, &p->n_regional, &p->district_code,
                                       &p->io_employment, &excluded) == REGIO_OK);
  regio_io_regional_opts_t ro = regio_io_regional_opts_default();
  REQUIRE(regio_io_regional_compute(p->table, p->national, p->n_regional, p->io_employment, &ro, ctx, &p->regional) ==
          REGIO_OK);

  regio_screen_opts_t so;
  regio_screen_opts_default(&so);
  so.thin_employment = 0;
  so.manufacturing_categories[0] = '\0';
  snprintf(so.knowledge_categories, sizeof so.knowledge_categories, "makers");
  snprintf(so.office_categories, sizeof so.office_categories, "makers");
  snprintf(so.amenity_categories, sizeof so.amenity_categories, "leisure");
  regio_err_t err = regio_screen_compute_io(p->res, &so, p->table, p->national, p->sector_map, ctx);
  CHECKF(err == REGIO_OK, "%s", regio_ctx_message(ctx));
  REQUIRE(err == REGIO_OK);
}

static void free_pipeline(pipeline_t *p) {
  regio_io_district_codes_free(p->district_code, p->n_regional);
  free(p->io_employment);
  regio_io_regional_destroy(&p->regional);
  regio_io_sector_map_destroy(&p->sector_map);
  regio_io_national_destroy(&p->national);
  regio_io_table_destroy(&p->table);
  regio_result_destroy(&p->res);
}

/* rows [offset, offset + count) of full (rows of row_bytes) equal cut's first count rows */
static int same_rows(const void *full, const void *cut, size_t offset, size_t count, size_t row_bytes) {
  if (!full || !cut) return full == cut;
  return count == 0 || memcmp((const char *)full + offset * row_bytes, cut, count * row_bytes) == 0;
}

#define CHECK_ROWS(field, row_bytes) \
  CHECKF(same_rows(full->field, cut->field, offset, count, (row_bytes)), "%s, block %zu+%zu", #field, offset, count)
#define CHECK_SAME(field, bytes) \
  CHECKF(same_rows(full->field, cut->field, 0, 1, (bytes)), "%s (national), block %zu+%zu", #field, offset, count)

static void compare(const regio_result_t *full, const regio_result_t *cut, size_t offset, size_t count) {
  const size_t D = full->agg->districts.count, S0 = full->agg->sectors.count, A = (size_t)full->agg->n_actors;
  const size_t d8 = sizeof(double), i8 = sizeof(int64_t);
  CHECK_INT(cut->agg->districts.count, count);
  CHECK_INT(cut->district_offset, offset);
  CHECK_INT(cut->n_districts_global, D);
  CHECK_INT(cut->agg->district_offset, offset);
  CHECK_INT(cut->agg->n_districts_global, D);
  CHECK_INT(cut->agg->districts.width, full->agg->districts.width);
  CHECK_ROWS(agg->districts.chars, full->agg->districts.width);
  CHECK_ROWS(agg->employment, S0 * i8);
  CHECK_ROWS(agg->district_establishments, i8);
  CHECK_ROWS(agg->district_micro_establishments, i8);
  CHECK_ROWS(agg->district_actor_employment, A * i8);
  CHECK_SAME(agg->sectors.chars, S0 * full->agg->sectors.width);
  CHECK_SAME(agg->sector_establishments, S0 * i8);
  CHECK_ROWS(district_employment, i8);
  CHECK_INT(cut->total_employment, full->total_employment);
  for (int i = 0; i < full->n_levels; i++) {
    const size_t S = full->levels[i].sectors.count;
    { /* the level's cells: each kept row's, from 0 */
      const regio_level_t *a = &full->levels[i], *b = &cut->levels[i];
      int64_t *want = malloc((S ? S : 1) * i8), *got = malloc((S ? S : 1) * i8);
      int same = want && got && b->cell_start[0] == 0;
      for (size_t r = 0; same && r < count; r++) {
        regio_level_row(a, offset + r, 0, S, want);
        regio_level_row(b, r, 0, S, got);
        same = memcmp(want, got, S * i8) == 0 &&
               b->cell_start[r + 1] - b->cell_start[r] == a->cell_start[offset + r + 1] - a->cell_start[offset + r];
      }
      CHECKF(same, "level %d: the cells of districts %zu to %zu", i, offset, offset + count);
      free(want);
      free(got);
    }
    CHECK_INT(cut->levels[i].lq_symmetric, full->levels[i].lq_symmetric);
    for (int symmetric = 0; symmetric < 2; symmetric++) { /* the LQ rows the cut result computes */
      double *want = malloc((count * S > 0 ? count * S : 1) * sizeof *want);
      double *got = malloc((count * S > 0 ? count * S : 1) * sizeof *got);
      REQUIRE(want && got);
      regio_level_lq_rows(full, &full->levels[i], offset, count, 0, S, symmetric, want);
      regio_level_lq_rows(cut, &cut->levels[i], 0, count, 0, S, symmetric, got);
      CHECKF(memcmp(want, got, count * S * sizeof *got) == 0, "level %d LQ (symmetric %d), block %zu+%zu", i, symmetric,
             offset, count);
      free(want);
      free(got);
    }
    CHECK_ROWS(levels[i].specialisation.krugman, d8);
    CHECK_ROWS(levels[i].specialisation.hoover, d8);
    CHECK_ROWS(levels[i].specialisation.hhi, d8);
    CHECK_ROWS(levels[i].specialisation.hhi_normalised, d8);
    CHECK_ROWS(levels[i].specialisation.theil, d8);
    CHECK_ROWS(levels[i].specialisation.max_lq, d8);
    CHECK_ROWS(levels[i].specialisation.max_lq_sector, i8);
    CHECK_ROWS(levels[i].specialisation.relative_diversity, d8);
    CHECK_ROWS(levels[i].specialisation.n_specialised, i8);
    CHECK_SAME(levels[i].sector_employment, S * i8);
    CHECK_SAME(levels[i].localisation.hoover, S * d8);
    CHECK_SAME(levels[i].localisation.gini, S * d8);
  }
  CHECK_ROWS(variety.entropy, d8);
  CHECK_ROWS(variety.unrelated, d8);
  CHECK_ROWS(variety.related, d8);
  CHECK_ROWS(micro_share, d8);
  CHECK_ROWS(helix_diversity, d8);
  CHECK_ROWS(district_area, d8);
  CHECK_ROWS(establishment_density, d8);
  const size_t C = (size_t)full->categories->n_categories;
  CHECK_ROWS(categories->employment, C * i8);
  CHECK_ROWS(categories->share, C * d8);
  CHECK_ROWS(categories->lq, C * d8);
  CHECK_ROWS(categories->mixed_use, d8);
  CHECK_SAME(categories->category_employment, C * i8);
  CHECK_SAME(categories->sector_category, full->levels[full->categories->level].sectors.count * i8);
  CHECK_ROWS(screen->district_class, 1);
  CHECK_ROWS(screen->krugman_z, d8);
  CHECK_ROWS(screen->related_z, d8);
  CHECK_ROWS(screen->knowledge_lq, d8);
  CHECK_ROWS(screen->office_lq, d8);
  CHECK_ROWS(screen->amenity_lq, d8);
  CHECK_ROWS(screen->mixed_use, d8);
  CHECK_ROWS(screen->micro_share, d8);
  CHECK_ROWS(screen->max_lq_in_manufacturing, 1);
  CHECK_ROWS(screen->value_chain, d8);
  CHECK_SAME(screen->counts, sizeof full->screen->counts);
  CHECK(cut->screen->krugman_mean == full->screen->krugman_mean);
}

static void compare_regional(const pipeline_t *f, const pipeline_t *c, size_t offset, size_t count) {
  const regio_io_regional_t *full = f->regional, *cut = c->regional;
  const size_t n = (size_t)full->n, d8 = sizeof(double);
  CHECK_INT(cut->n_districts, count);
  CHECK_ROWS(employment, n * d8);
  CHECK_ROWS(lambda, d8);
  CHECK_ROWS(empty_district, sizeof(int));
  CHECK_ROWS(output_multiplier, n * d8);
  CHECK_ROWS(backward_linkage, n * d8);
  CHECK_ROWS(forward_linkage, n * d8);
  CHECK_ROWS(employment_multiplier, n * d8);
  CHECK_ROWS(solver_sweeps, sizeof(int));
  CHECK_SAME(national_share, n * d8);
  CHECK_INT(cut->n_empty_districts, full->n_empty_districts); /* national counts */
  CHECK_INT(cut->n_lu_fallbacks, full->n_lu_fallbacks);
  for (size_t d = 0; d < count; d++) CHECK_STR(c->district_code[d], f->district_code[offset + d]);
  for (size_t d = count; d < (size_t)c->n_regional; d++) CHECK(c->district_code[d] == NULL);
}

int main(void) {
  REQUIRE(regio_ctx_create(&ctx) == REGIO_OK);
  regio_ctx_set_threads(ctx, 1);
  test_write_text(test_path("rows.csv"), rows_csv);
  test_write_text(test_path("cats.csv"), "sector,category,use\n1,makers,work\n2,makers,work\n4,leisure,leisure\n");
  test_write_text(test_path("iomap.csv"), "sector,io_sector\n11,X\n12,Y\n21,Z\n31,-\n41,-\n");
  test_write_text(test_path("areas.csv"), "district,area_km2\na,2\nc,0.5\nf,1\n");

  pipeline_t full;
  run_pipeline(&full);
  const size_t D = full.res->agg->districts.count, R = (size_t)full.n_regional;
  REQUIRE(D == 6 && R == 6);
  /* the whole, a middle block, the first and last district, and empty blocks */
  const size_t blocks[][2] = {{0, 6}, {2, 3}, {0, 1}, {5, 1}, {0, 0}, {3, 0}, {6, 0}};
  for (size_t k = 0; k < sizeof blocks / sizeof blocks[0]; k++) {
    size_t offset = blocks[k][0], count = blocks[k][1];
    pipeline_t part;
    run_pipeline(&part);
    regio_err_t err = regio_result_restrict(part.res, offset, count, ctx);
    CHECKF(err == REGIO_OK, "%s", regio_ctx_message(ctx));
    compare(full.res, part.res, offset, count);
    err = regio_io_regional_restrict(part.regional, part.district_code, offset, count, ctx);
    CHECKF(err == REGIO_OK, "%s", regio_ctx_message(ctx));
    compare_regional(&full, &part, offset, count);
    /* a present array stays present on an empty block, as the distributed writer needs */
    CHECK(part.res->levels[0].cell_start != NULL && part.res->screen->krugman_z != NULL);
    /* a restricted result cannot be restricted again */
    CHECK_INT(regio_result_restrict(part.res, 0, 0, ctx), offset == 0 && count == D ? REGIO_OK : REGIO_ERR_USAGE);
    free_pipeline(&part);
  }

  /* blocks outside the districts */
  pipeline_t bad;
  run_pipeline(&bad);
  CHECK_INT(regio_result_restrict(bad.res, 7, 0, ctx), REGIO_ERR_USAGE);
  CHECK_INT(regio_result_restrict(bad.res, 4, 3, ctx), REGIO_ERR_USAGE);
  CHECK_CONTAINS(regio_ctx_message(ctx), "districts 4 to 7");
  CHECK_INT(regio_io_regional_restrict(bad.regional, NULL, 2, 5, ctx), REGIO_ERR_USAGE);
  CHECK_INT(bad.res->agg->districts.count, 6);
  free_pipeline(&bad);

  free_pipeline(&full);
  regio_ctx_destroy(&ctx);
  return test_summary("restrict");
}
