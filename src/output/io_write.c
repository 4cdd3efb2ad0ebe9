/* Writing the national input-output results (/io, /provenance; docs/SCHEMA.md). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/atomic_impl.h"
#include "output/h5_impl.h"
#include "regio/io.h"
#include "regio/output.h"
#include "regio/version.h"

static regio_err_t vector(regio_h5w_t *w, hid_t loc, const char *name, int n, const double *data,
                          const char *description) {
  char object[256];
  snprintf(object, sizeof object, "/io/national/%s", name);
  hsize_t dims[1] = {(hsize_t)n};
  return regio_h5_dataset_write(w, loc, name, object, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, dims, data, description,
                                NULL);
}

static regio_err_t matrix(regio_h5w_t *w, hid_t loc, const char *name, int n, const double *data,
                          const char *description) {
  char object[256];
  snprintf(object, sizeof object, "/io/national/%s", name);
  hsize_t dims[2] = {(hsize_t)n, (hsize_t)n};
  return regio_h5_dataset_write(w, loc, name, object, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, dims, data, description,
                                NULL);
}

static regio_err_t ints(regio_h5w_t *w, hid_t loc, const char *name, int n, const int *data, const char *description) {
  char object[256];
  snprintf(object, sizeof object, "/io/national/%s", name);
  hsize_t dims[1] = {(hsize_t)n};
  return regio_h5_dataset_write(w, loc, name, object, H5T_STD_I32LE, H5T_NATIVE_INT, 1, dims, data, description, NULL);
}

static regio_err_t write_io(regio_h5w_t *w, const regio_io_table_t *t, const regio_io_national_t *r) {
  regio_err_t err = REGIO_OK;
  hid_t io = -1, sectors = -1, national = -1, type = -1;
  char *chars = NULL;
  size_t width = 0;
  int n = r->n;

  REGIO_TRY_GOTO(regio_h5_group(w, w->file, "io", "/io", &io));
  REGIO_TRY_GOTO(regio_h5_attr_string(w, io, "/io", "input", t->path));
  REGIO_TRY_GOTO(regio_h5_attr_string(w, io, "/io", "input_sha256", t->sha256));
  REGIO_TRY_GOTO(regio_h5_attr_string(w, io, "/io", "read_options", t->description));
  REGIO_TRY_GOTO(regio_h5_group(w, io, "sectors", "/io/sectors", &sectors));
  REGIO_TRY_GOTO(regio_h5_pack_strings(w, (const char *const *)t->sector_code, (size_t)n, &width, &chars));
  REGIO_TRY_GOTO(regio_h5_string_type(w, width, "/io/sectors/code", &type));
  hsize_t dims[1] = {(hsize_t)n};
  REGIO_TRY_GOTO(regio_h5_dataset_write(w, sectors, "code", "/io/sectors/code", type, type, 1, dims, chars,
                                        "IO sector labels, in the column order of the input table; the order of "
                                        "every vector and both axes of every matrix under /io/national.",
                                        NULL));
  REGIO_TRY_GOTO(vector(w, sectors, "output", n, t->x, "Total output x of each sector, as read."));

  REGIO_TRY_GOTO(regio_h5_group(w, io, "national", "/io/national", &national));
  const char *where = "/io/national";
  REGIO_TRY_GOTO(regio_h5_attr_double(w, national, where, "rcond", r->rcond));
  REGIO_TRY_GOTO(regio_h5_attr_int(w, national, where, "n_zero_output", r->n_zero_output));
  REGIO_TRY_GOTO(
      regio_h5_attr_string(w, national, where, "forward_linkage_from", r->sensitivity_from_ghosh ? "G" : "L"));
  REGIO_TRY_GOTO(regio_h5_attr_string(w, national, where, "key_sector_classes",
                                      "1 key (both linkages > 1), 2 backward-oriented (only backward > 1), "
                                      "3 forward-oriented (only forward > 1), 4 weak (neither)"));
  double rc[1] = {r->rcond};
  hsize_t one[1] = {1};
  REGIO_TRY_GOTO(regio_h5_dataset_write(w, national, "rcond", "/io/national/rcond", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                                        1, one, rc,
                                        "Reciprocal condition number of I - A in the 1-norm (LAPACK dgecon on the "
                                        "dgetrf factors).",
                                        NULL));
  REGIO_TRY_GOTO(matrix(w, national, "A", n, r->A,
                        "Technical coefficients A = Z x^-1, a_ij = z_ij / x_j [row i supplies, column j buys]; "
                        "the column of a zero-output sector is 0."));
  REGIO_TRY_GOTO(vector(w, national, "output_multiplier", n, r->output_multiplier,
                        "Type I output multipliers: column sums of the Leontief inverse L = (I - A)^-1."));
  REGIO_TRY_GOTO(vector(w, national, "forward_total", n, r->forward_total,
                        "Ghosh forward totals: row sums of G = x^-1 L x (NaN for zero output)."));
  REGIO_TRY_GOTO(vector(w, national, "backward_linkage", n, r->backward_linkage,
                        "Rasmussen-Hirschman power of dispersion: output multiplier / its mean."));
  REGIO_TRY_GOTO(vector(w, national, "forward_linkage", n, r->forward_linkage,
                        r->sensitivity_from_ghosh
                            ? "Rasmussen-Hirschman sensitivity of dispersion from the Ghosh inverse: row sums of G / "
                              "their mean."
                            : "Rasmussen-Hirschman sensitivity of dispersion: row sums of L / their mean."));
  REGIO_TRY_GOTO(vector(w, national, "cw_backward", n, r->cw_backward,
                        "Chenery-Watanabe direct backward linkage: column sums of A."));
  REGIO_TRY_GOTO(vector(w, national, "cw_forward", n, r->cw_forward,
                        "Chenery-Watanabe direct forward linkage: row sums of B = x^-1 Z (0 for zero output)."));
  REGIO_TRY_GOTO(ints(w, national, "key_sector_class", n, r->key_sector_class,
                      "Key-sector class from backward_linkage and forward_linkage: 1 key (both > 1), 2 "
                      "backward-oriented, 3 forward-oriented, 4 weak (neither > 1)."));
  REGIO_TRY_GOTO(vector(w, national, "extraction_loss", n, r->extraction_loss,
                        "Hypothetical extraction: total output lost when the sector is removed (its row and column "
                        "of A) with the other sectors' final demand kept; x_j (1'L e_j) / L_jj."));
  REGIO_TRY_GOTO(ints(w, national, "zero_output", n, r->zero_output, "1 for a sector with zero total output."));
  if (r->L) REGIO_TRY_GOTO(matrix(w, national, "L", n, r->L, "Leontief inverse L = (I - A)^-1 (--io-full-inverse)."));
  if (r->G)
    REGIO_TRY_GOTO(matrix(w, national, "G", n, r->G,
                          "Ghosh inverse G = x^-1 L x = (I - B)^-1 (--io-full-inverse); rows of zero-output sectors "
                          "are NaN."));
  if (r->income_multiplier)
    REGIO_TRY_GOTO(vector(w, national, "income_multiplier", n, r->income_multiplier,
                          "Type I income (employment-cost) multipliers (w L)_j / w_j, w = compensation / x; NaN where "
                          "w_j = 0."));
  if (r->value_added_multiplier)
    REGIO_TRY_GOTO(vector(w, national, "value_added_multiplier", n, r->value_added_multiplier,
                          "Type I value-added (GVA) multipliers (v L)_j / v_j, v = sum of the value-added rows / x; "
                          "NaN where v_j = 0."));
  if (r->employment_multiplier)
    REGIO_TRY_GOTO(vector(w, national, "employment_multiplier", n, r->employment_multiplier,
                          "Type I employment multipliers (e L)_j / e_j, e = employment / x; NaN where e_j = 0."));
  if (r->type2_output_multiplier) {
    REGIO_TRY_GOTO(regio_h5_attr_double(w, national, where, "type2_rcond", r->type2_rcond));
    REGIO_TRY_GOTO(vector(w, national, "type2_output_multiplier", n, r->type2_output_multiplier,
                          "Type II output multipliers: sums over the n sector rows of the columns of the inverse of "
                          "the system closed with households (household row w = compensation / x, household column "
                          "household consumption / total compensation)."));
    REGIO_TRY_GOTO(vector(w, national, "type2_income_multiplier", n, r->type2_income_multiplier,
                          "Type II income multipliers: household row of the closed inverse / w_j."));
  }
  if (r->type2_employment_multiplier)
    REGIO_TRY_GOTO(vector(w, national, "type2_employment_multiplier", n, r->type2_employment_multiplier,
                          "Type II employment multipliers: (e, 0) times the closed inverse / e_j."));
cleanup:
  free(chars);
  regio_h5_close(&type);
  regio_h5_close(&national);
  regio_h5_close(&sectors);
  regio_h5_close(&io);
  return err;
}

static regio_err_t write_provenance(regio_h5w_t *w, const regio_io_table_t *t, const char *command_line) {
  regio_err_t err = REGIO_OK;
  hid_t group = -1;
  REGIO_TRY_GOTO(regio_h5_provenance_group(w, command_line, &group));
  REGIO_TRY_GOTO(regio_h5_attr_string(w, group, "/provenance", "io_input", t->path));
  REGIO_TRY_GOTO(regio_h5_attr_string(w, group, "/provenance", "io_input_sha256", t->sha256));
cleanup:
  regio_h5_close(&group);
  return err;
}

regio_err_t regio_io_write(const regio_io_table_t *table, const regio_io_national_t *res, const char *path,
                           const char *temp_path, const char *command_line, regio_ctx_t *ctx) {
  REGIO_CHECK(ctx, table && res && table->n == res->n, REGIO_ERR_INTERNAL, "no IO results to write");
  regio_h5_atomic_t a;
  REGIO_TRY(regio_h5_atomic_begin(&a, path, temp_path, ctx));
  regio_err_t err = REGIO_OK;
  REGIO_TRY_GOTO(regio_h5_attr_int(&a.w, a.w.file, "/", "schema_version", REGIO_SCHEMA_VERSION));
  REGIO_TRY_GOTO(regio_h5_attr_string(&a.w, a.w.file, "/", "generator", "regio " REGIO_VERSION_STRING));
  REGIO_TRY_GOTO(write_io(&a.w, table, res));
  REGIO_TRY_GOTO(write_provenance(&a.w, table, command_line));
cleanup:;
  regio_err_t fin = regio_h5_atomic_finish(&a, err == REGIO_OK);
  return err != REGIO_OK ? err : fin;
}
