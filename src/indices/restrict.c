/* Cutting a complete result down to a block of districts (regio_result_restrict, indices.h). */
#include <stdint.h>
#include <string.h>

#include "regio/categories.h"
#include "regio/indices.h"
#include "regio/screen.h"

/* Keeps rows [offset, offset + count) of a row-major array of rows of row_bytes bytes: moves them
 * to the front. The allocation is not shrunk (nor reallocated: a NULL array stays NULL and a
 * non-NULL one non-NULL, also when no row is left, as the distributed writer expects). */
static void keep_rows(void *data, size_t offset, size_t count, size_t row_bytes) {
  if (!data || count == 0 || row_bytes == 0 || offset == 0) return;
  memmove(data, (char *)data + offset * row_bytes, count * row_bytes);
}

/* Keeps the cells of rows [offset, offset + count) of a matrix given by its non-zero cells (start
 * NULL: none): moves them to the front, their starts from 0. */
static void keep_cells(size_t *start, uint32_t *sector, int64_t *value, size_t offset, size_t count) {
  if (!start) return;
  const size_t first = start[offset], n = start[offset + count] - first;
  if (first > 0 && n > 0) {
    memmove(sector, sector + first, n * sizeof *sector);
    memmove(value, value + first, n * sizeof *value);
  }
  for (size_t d = 0; d <= count; d++) start[d] = start[offset + d] - first;
}

regio_err_t regio_result_restrict(regio_result_t *res, size_t offset, size_t count, regio_ctx_t *ctx) {
  REGIO_CHECK(ctx, res && res->agg, REGIO_ERR_USAGE, "regio_result_restrict: no result");
  regio_aggregate_t *agg = res->agg;
  const size_t D = agg->districts.count;
  REGIO_CHECK(ctx,
              res->district_offset == 0 && agg->district_offset == 0 &&
                  (res->n_districts_global == D || res->n_districts_global == 0),
              REGIO_ERR_USAGE,
              "regio_result_restrict: the result holds districts %zu to %zu of %zu, not all of them (restrict a "
              "complete result)",
              res->district_offset, res->district_offset + D, res->n_districts_global);
  REGIO_CHECK(ctx, offset <= D && count <= D - offset, REGIO_ERR_USAGE,
              "regio_result_restrict: districts %zu to %zu are not among the %zu of the result", offset, offset + count,
              D);

  /* the aggregate */
  keep_rows(agg->districts.chars, offset, count, agg->districts.width);
  keep_rows(agg->employment, offset, count, agg->sectors.count * sizeof *agg->employment);
  keep_cells(agg->cell_start, agg->cell_sector, agg->cell_employment, offset, count);
  keep_rows(agg->district_establishments, offset, count, sizeof *agg->district_establishments);
  keep_rows(agg->district_micro_establishments, offset, count, sizeof *agg->district_micro_establishments);
  keep_rows(agg->district_actor_employment, offset, count,
            (size_t)agg->n_actors * sizeof *agg->district_actor_employment);
  agg->districts.count = count;
  agg->district_offset = offset;
  agg->n_districts_global = D;

  /* per district: totals, levels and their specialisation */
  keep_rows(res->district_employment, offset, count, sizeof *res->district_employment);
  for (int i = 0; i < res->n_levels; i++) {
    regio_level_t *lvl = &res->levels[i];
    keep_cells(lvl->cell_start, lvl->cell_sector, lvl->cell_employment, offset, count);
    regio_specialisation_t *sp = &lvl->specialisation;
    double *values[] = {sp->krugman,           sp->hoover, sp->hhi, sp->hhi_normalised, sp->theil, sp->max_lq,
                        sp->relative_diversity};
    for (size_t k = 0; k < sizeof values / sizeof values[0]; k++) keep_rows(values[k], offset, count, sizeof(double));
    keep_rows(sp->max_lq_sector, offset, count, sizeof *sp->max_lq_sector);
    keep_rows(sp->n_specialised, offset, count, sizeof *sp->n_specialised);
  }
  keep_rows(res->variety.entropy, offset, count, sizeof(double));
  keep_rows(res->variety.unrelated, offset, count, sizeof(double));
  keep_rows(res->variety.related, offset, count, sizeof(double));
  keep_rows(res->micro_share, offset, count, sizeof(double));
  keep_rows(res->helix_diversity, offset, count, sizeof(double));
  keep_rows(res->district_area, offset, count, sizeof(double));
  keep_rows(res->establishment_density, offset, count, sizeof(double));

  /* categories: per-district matrices; the names, uses and national totals stay */
  regio_categories_t *cat = res->categories;
  if (cat) {
    const size_t C = (size_t)cat->n_categories;
    keep_rows(cat->employment, offset, count, C * sizeof *cat->employment);
    keep_rows(cat->share, offset, count, C * sizeof *cat->share);
    keep_rows(cat->lq, offset, count, C * sizeof *cat->lq);
    keep_rows(cat->mixed_use, offset, count, sizeof *cat->mixed_use);
  }

  /* the screen: per-district classes and scores; the thresholds, means and counts are national */
  regio_screen_t *sc = res->screen;
  if (sc) {
    keep_rows(sc->district_class, offset, count, sizeof *sc->district_class);
    keep_rows(sc->max_lq_in_manufacturing, offset, count, sizeof *sc->max_lq_in_manufacturing);
    double *scores[] = {sc->krugman_z,  sc->related_z, sc->knowledge_lq, sc->office_lq,
                        sc->amenity_lq, sc->mixed_use, sc->micro_share,  sc->value_chain};
    for (size_t k = 0; k < sizeof scores / sizeof scores[0]; k++) keep_rows(scores[k], offset, count, sizeof(double));
  }

  res->district_offset = offset;
  res->n_districts_global = D;
  return REGIO_OK;
}
