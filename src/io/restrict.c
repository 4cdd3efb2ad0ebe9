/* Cutting the regional input-output results down to a block of districts
 * (regio_io_regional_restrict, io.h). */
#include <stdlib.h>
#include <string.h>

#include "regio/io.h"

/* Keeps rows [offset, offset + count) of a row-major array of rows of row_bytes bytes: moves them
 * to the front. The allocation is not shrunk (nor reallocated: a NULL array stays NULL and a
 * non-NULL one non-NULL, also when no row is left, as the distributed writer expects). */
static void keep_rows(void *data, size_t offset, size_t count, size_t row_bytes) {
  if (!data || count == 0 || row_bytes == 0 || offset == 0) return;
  memmove(data, (char *)data + offset * row_bytes, count * row_bytes);
}

regio_err_t regio_io_regional_restrict(regio_io_regional_t *regional, char **district_code, size_t offset, size_t count,
                                       regio_ctx_t *ctx) {
  REGIO_CHECK(ctx, regional, REGIO_ERR_USAGE, "regio_io_regional_restrict: no regional results");
  const size_t D = regional->n_districts > 0 ? (size_t)regional->n_districts : 0, n = (size_t)regional->n;
  REGIO_CHECK(ctx, offset <= D && count <= D - offset, REGIO_ERR_USAGE,
              "regio_io_regional_restrict: districts %zu to %zu are not among the %zu of the regional results", offset,
              offset + count, D);
  keep_rows(regional->employment, offset, count, n * sizeof(double));
  keep_rows(regional->lambda, offset, count, sizeof(double));
  keep_rows(regional->empty_district, offset, count, sizeof(int));
  keep_rows(regional->output_multiplier, offset, count, n * sizeof(double));
  keep_rows(regional->backward_linkage, offset, count, n * sizeof(double));
  keep_rows(regional->forward_linkage, offset, count, n * sizeof(double));
  keep_rows(regional->employment_multiplier, offset, count, n * sizeof(double));
  keep_rows(regional->solver_sweeps, offset, count, sizeof(int));
  if (district_code) {
    /* the codes of the districts left out are freed; the array keeps its length */
    for (size_t d = 0; d < D; d++)
      if (d < offset || d >= offset + count) {
        free(district_code[d]);
        district_code[d] = NULL;
      }
    memmove(district_code, district_code + offset, count * sizeof *district_code);
    for (size_t d = count; d < D; d++) district_code[d] = NULL;
  }
  /* n_empty_districts and n_lu_fallbacks stay: national counts, as in the distributed mode */
  regional->n_districts = (int)count;
  return REGIO_OK;
}
