/* Writing the national input-output results (/io, /provenance; docs/SCHEMA.md). */
#include <hdf5_hl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/atomic_impl.h"
#include "output/h5_impl.h"
#include "output/io_write_impl.h"
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

/* The regional districts of the whole file (n_regional_global, or the districts held when it is 0). */
static hsize_t regional_total(const regio_output_io_t *io) {
  return io->n_regional_global ? (hsize_t)io->n_regional_global : (hsize_t)io->regional->n_districts;
}

/* A dataset of /io/regional whose first axis is the regional districts (cols columns for rank 2),
 * from this process's districts. */
static regio_err_t regional_dataset(regio_h5w_t *w, const regio_output_io_t *io, hid_t loc, const char *name,
                                    const char *object, hid_t file_type, hid_t mem_type, int rank, int cols,
                                    const void *data, const char *description, hid_t *out) {
  hsize_t dims[2] = {regional_total(io), (hsize_t)cols};
  return regio_h5_dataset_write_rows(w, loc, name, object, file_type, mem_type, rank, dims, io->regional_offset,
                                     (hsize_t)io->regional->n_districts, data, description, out);
}

/* One [districts x sectors] matrix of /io/regional, with its dimension scales. */
static regio_err_t district_matrix(regio_h5w_t *w, const regio_output_io_t *io, hid_t loc, const char *name, int n,
                                   const double *data, const char *description, hid_t district_scale,
                                   hid_t sector_scale) {
  regio_err_t err = REGIO_OK;
  char object[256];
  snprintf(object, sizeof object, "/io/regional/%s", name);
  hid_t dset = -1;
  REGIO_TRY_GOTO(
      regional_dataset(w, io, loc, name, object, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, n, data, description, &dset));
  REGIO_H5_TRY(w, H5DSattach_scale(dset, district_scale, 0), object);
  REGIO_H5_TRY(w, H5DSset_label(dset, 0, "district"), object);
  REGIO_H5_TRY(w, H5DSattach_scale(dset, sector_scale, 1), object);
  REGIO_H5_TRY(w, H5DSset_label(dset, 1, "io_sector"), object);
cleanup:
  regio_h5_close(&dset);
  return err;
}

static regio_err_t write_regional(regio_h5w_t *w, hid_t io_group, const regio_output_io_t *io, hid_t sector_scale) {
  regio_err_t err = REGIO_OK;
  const regio_io_regional_t *r = io->regional;
  hid_t group = -1, type = -1, scale = -1, dset = -1;
  char *chars = NULL;
  size_t width = 0;
  int D = r->n_districts, n = r->n;
  const char *where = "/io/regional";
  REGIO_TRY_GOTO(regio_h5_group(w, io_group, "regional", where, &group));
  REGIO_TRY_GOTO(regio_h5_attr_string(w, group, where, "method", regio_io_regional_method_name(r->method)));
  REGIO_TRY_GOTO(regio_h5_attr_double(w, group, where, "delta", r->delta));
  REGIO_TRY_GOTO(regio_h5_attr_string(w, group, where, "sector_map", io->sector_map_path));
  REGIO_TRY_GOTO(regio_h5_attr_int(w, group, where, "district_level", io->district_level));
  REGIO_TRY_GOTO(regio_h5_attr_int(w, group, where, "n_empty_districts", r->n_empty_districts));
  REGIO_TRY_GOTO(regio_h5_attr_double(w, group, where, "excluded_employment", io->excluded_employment));
  REGIO_TRY_GOTO(regio_h5_attr_string(
      w, group, where, "conventions",
      "a^r_ij = min(Q_ij, 1) a_ij (i supplies, j buys). SLQ_i = (RE_i/TRE)/(NE_i/TNE), NE the sum of the districts; "
      "CILQ_ij = SLQ_i/SLQ_j, SLQ_i on the diagonal; FLQ_ij = lambda* CILQ_ij, lambda* SLQ_i on the diagonal, "
      "lambda* = [log2(1 + TRE/TNE)]^delta; AFLQ_ij = FLQ_ij log2(1 + SLQ_j) where SLQ_j > 1. RE_i = 0: Q_ij = 0; "
      "RE_i > 0, RE_j = 0: Q_ij = 1 (CILQ, FLQ, AFLQ); TRE = 0: the district's results are NaN."));
  REGIO_AGREE_GOTO(w, regio_h5_pack_strings(w, io->district_code, (size_t)D, &width, &chars));
  {
    /* slots as wide as the longest code of any rank */
    size_t local_width = width;
    REGIO_TRY_GOTO(regio_h5_max_size(w, &width));
    regio_err_t local = REGIO_OK;
    if (width != local_width) {
      free(chars);
      chars = NULL;
      local = regio_h5_pack_strings(w, io->district_code, (size_t)D, &width, &chars);
    }
    REGIO_AGREE_GOTO(w, local); /* on every rank, whether it packed again or not */
  }
  REGIO_TRY_GOTO(regio_h5_string_type(w, width, "/io/regional/district_code", &type));
  REGIO_TRY_GOTO(regional_dataset(w, io, group, "district_code", "/io/regional/district_code", type, type, 1, 1, chars,
                                  "District codes (cut to district_level characters when it is > 0), the "
                                  "first axis of every matrix under /io/regional.",
                                  &scale));
  REGIO_H5_TRY(w, H5DSset_scale(scale, "district"), "/io/regional/district_code");
  REGIO_TRY_GOTO(regional_dataset(w, io, group, "lambda", "/io/regional/lambda", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1,
                                  1, r->lambda,
                                  "FLQ scale lambda* = [log2(1 + TRE/TNE)]^delta of each district (FLQ and "
                                  "AFLQ; NaN for SLQ and CILQ and for a district without employment).",
                                  &dset));
  REGIO_H5_TRY(w, H5DSattach_scale(dset, scale, 0), "/io/regional/lambda");
  regio_h5_close(&dset);
  REGIO_TRY_GOTO(regio_h5_attr_string(w, group, where, "solver", regio_io_solver_name(r->solver)));
  REGIO_TRY_GOTO(regio_h5_attr_int(w, group, where, "n_lu_fallbacks", r->n_lu_fallbacks));
  REGIO_TRY_GOTO(regional_dataset(w, io, group, "solver_sweeps", "/io/regional/solver_sweeps", H5T_STD_I32LE,
                                  H5T_NATIVE_INT, 1, 1, r->solver_sweeps,
                                  "Jacobi sweeps the iterative solver needed for each district; 0 = solved by "
                                  "one LU factorisation (the lu solver, a fallback of the iterative one, or a "
                                  "district without employment).",
                                  &dset));
  REGIO_H5_TRY(w, H5DSattach_scale(dset, scale, 0), "/io/regional/solver_sweeps");
  regio_h5_close(&dset);
  REGIO_TRY_GOTO(district_matrix(w, io, group, "employment", n, r->employment,
                                 "Employment of each district by IO sector (employees), from the finest sector level "
                                 "through the sector map.",
                                 scale, sector_scale));
  REGIO_TRY_GOTO(district_matrix(w, io, group, "output_multiplier", n, r->output_multiplier,
                                 "Regional Type I output multipliers: column sums of (I - A^r)^-1.", scale,
                                 sector_scale));
  REGIO_TRY_GOTO(district_matrix(w, io, group, "backward_linkage", n, r->backward_linkage,
                                 "Rasmussen power of dispersion in the district: output multiplier / its mean over "
                                 "the sectors.",
                                 scale, sector_scale));
  REGIO_TRY_GOTO(district_matrix(w, io, group, "forward_linkage", n, r->forward_linkage,
                                 "Rasmussen sensitivity of dispersion in the district: row sums of (I - A^r)^-1 / "
                                 "their mean.",
                                 scale, sector_scale));
  if (r->employment_multiplier)
    REGIO_TRY_GOTO(district_matrix(w, io, group, "employment_multiplier", n, r->employment_multiplier,
                                   "Regional Type I employment multipliers (e L^r)_j / e_j with the national "
                                   "coefficients e = employment / x; NaN where e_j = 0.",
                                   scale, sector_scale));
cleanup:
  free(chars);
  regio_h5_close(&dset);
  regio_h5_close(&scale);
  regio_h5_close(&type);
  regio_h5_close(&group);
  return err;
}

regio_err_t regio_io_write_group(regio_h5w_t *w, const regio_output_io_t *iop) {
  const regio_io_table_t *t = iop->table;
  const regio_io_national_t *r = iop->national;
  regio_err_t err = REGIO_OK;
  hid_t io = -1, sectors = -1, national = -1, type = -1, code = -1;
  char *chars = NULL;
  size_t width = 0;
  int n = r->n;

  REGIO_TRY_GOTO(regio_h5_group(w, w->file, "io", "/io", &io));
  REGIO_TRY_GOTO(regio_h5_attr_string(w, io, "/io", "input", t->path));
  REGIO_TRY_GOTO(regio_h5_attr_string(w, io, "/io", "input_sha256", t->sha256));
  REGIO_TRY_GOTO(regio_h5_attr_string(w, io, "/io", "read_options", t->description));
  REGIO_TRY_GOTO(regio_h5_group(w, io, "sectors", "/io/sectors", &sectors));
  REGIO_AGREE_GOTO(w, regio_h5_pack_strings(w, (const char *const *)t->sector_code, (size_t)n, &width, &chars));
  REGIO_TRY_GOTO(regio_h5_string_type(w, width, "/io/sectors/code", &type));
  hsize_t dims[1] = {(hsize_t)n};
  REGIO_TRY_GOTO(regio_h5_dataset_write(w, sectors, "code", "/io/sectors/code", type, type, 1, dims, chars,
                                        "IO sector labels, in the column order of the input table; the order of "
                                        "every vector and both axes of every matrix under /io/national, and of the "
                                        "second axis of the matrices under /io/regional.",
                                        &code));
  if (iop->regional) REGIO_H5_TRY(w, H5DSset_scale(code, "io_sector"), "/io/sectors/code");
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
  if (iop->regional) REGIO_TRY_GOTO(write_regional(w, io, iop, code));
cleanup:
  free(chars);
  regio_h5_close(&code);
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
  regio_output_io_t io = {.table = table, .national = res};
  REGIO_TRY_GOTO(regio_io_write_group(&a.w, &io));
  REGIO_TRY_GOTO(write_provenance(&a.w, table, command_line));
cleanup:;
  regio_err_t fin = regio_h5_atomic_finish(&a, err == REGIO_OK);
  return err != REGIO_OK ? err : fin;
}
