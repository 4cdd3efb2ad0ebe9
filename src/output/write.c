/* The HDF5 result file, schema version 1 (docs/SCHEMA.md).
 *
 * The file is written to a temporary path, closed, fsync'ed and renamed over the final path, so a
 * reader never sees a partial file and a failed run leaves an existing file untouched. Object time
 * stamps are off, so the same result gives a byte-identical file. HDF5 (serial build) is not
 * thread-safe: call this from one thread at a time. */
#include <hdf5.h>
#include <hdf5_hl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/atomic_impl.h"
#include "output/h5_impl.h"
#include "output/io_write_impl.h"
#include "regio/categories.h"
#include "regio/output.h"
#include "regio/screen.h"
#include "regio/version.h"

static const char *const skip_reason_names[REGIO_SKIP_COUNT] = {
#define REGIO_X_NAME(id, name, text) name,
    REGIO_SKIP_REASONS(REGIO_X_NAME)
#undef REGIO_X_NAME
};
static const char *const skip_reason_texts[REGIO_SKIP_COUNT] = {
#define REGIO_X_TEXT(id, name, text) text,
    REGIO_SKIP_REASONS(REGIO_X_TEXT)
#undef REGIO_X_TEXT
};

#define DESC_DISTRICT_CODE                                                                         \
  "District codes, sorted bytewise (fixed-length NUL-padded UTF-8); the dimension scale of every " \
  "district axis."
#define DESC_DISTRICT_EMPLOYMENT                                                              \
  "Total employment of each district (E_d), in employees; summed exactly in thousandths and " \
  "stored as float64 = milli / 1000."
#define DESC_DISTRICT_ESTABLISHMENTS "Number of establishments in each district."
#define DESC_DISTRICT_MICRO                                                                           \
  "Number of micro establishments (fewer than 10 employees, 0 included) in each district; only when " \
  "each input row is one establishment (absent for pre-aggregated input, an establishments column)."
#define DESC_SECTOR_CODE                                                                      \
  "Sector codes at this level (the full codes cut to the level's prefix length, or the full " \
  "codes), sorted bytewise; the dimension scale of the sector axis of this level."
#define DESC_SECTOR_EMPLOYMENT                                                               \
  "National employment of each sector at this level (E_s), in employees; summed exactly in " \
  "thousandths and stored as float64 = milli / 1000."
#define DESC_SECTOR_ESTABLISHMENTS "Number of establishments in each sector at this level."
#define DESC_EMPLOYMENT                                                                     \
  "Employment by district (rows) and sector (columns) at this level (E_ds), in employees; " \
  "summed exactly in thousandths and stored as float64 = milli / 1000."
#define DESC_LQ                                                                               \
  "Location quotient LQ = (E_ds / E_d) / (E_s / E) by district (rows) and sector (columns), " \
  "dimensionless; NaN where a denominator is zero (E_d = 0 or E_s = 0)."
#define DESC_ENTROPY                                                                         \
  "Shannon entropy (log base 2, 0 log 0 = 0) of each district's employment shares over the " \
  "sectors of the fine level, in bits; NaN for a district with zero employment."
#define DESC_UNRELATED                                                                            \
  "Unrelated variety: entropy (log base 2) of each district's employment shares over the sector " \
  "groups of the coarse level, in bits; NaN for a district with zero employment."
#define DESC_RELATED                                                                               \
  "Related variety: sum over coarse groups g of P_g * H_g, H_g the entropy (log base 2) of the "   \
  "fine-level shares inside g (Frenken, Van Oort & Verburg 2007), in bits; entropy = unrelated + " \
  "related. NaN for a district with zero employment."

#define DESC_LQ_SYMMETRIC                                                                        \
  "Symmetric location quotient (LQ - 1) / (LQ + 1) by district (rows) and sector (columns), in " \
  "[-1, 1) (Dalum, Laursen & Villumsen 1998); NaN where the LQ is NaN."

/* /specialisation/<level>: per district; s_ds = E_ds / E_d, p_s = E_s / E */
static const char *const specialisation_names[9] = {"krugman",      "hoover", "hhi",           "hhi_normalised",
                                                    "theil",        "max_lq", "max_lq_sector", "relative_diversity",
                                                    "n_specialised"};
static const char *const specialisation_descriptions[9] = {
    "Krugman specialisation index sum_s |s_ds - p_s| (s_ds = E_ds / E_d, p_s = E_s / E), in [0, 2]; NaN where "
    "E_d = 0.",
    "Hoover coefficient of specialisation, half the Krugman index, in [0, 1]; NaN where E_d = 0.",
    "Herfindahl-Hirschman index sum_s s_ds^2 of the district's sector shares; NaN where E_d = 0.",
    "Normalised Herfindahl-Hirschman index (H - 1/n) / (1 - 1/n), n the number of sectors of the level with "
    "national employment > 0; NaN where E_d = 0 or n = 1.",
    "Relative Theil index (Kullback-Leibler divergence of the district's shares from the national ones) sum_s "
    "s_ds ln(s_ds / p_s), natural log, 0 ln 0 = 0, >= 0; NaN where E_d = 0.",
    "Duranton-Puga relative specialisation: the largest location quotient of the district; NaN where E_d = 0.",
    "Sector of max_lq: index (from 0) into the sectors of /levels/<level>/sectors/code, the lowest index among "
    "ties; -1 where E_d = 0.",
    "Duranton-Puga relative diversity 1 / sum_s |s_ds - p_s| (the inverse of the Krugman index); +inf where the "
    "district's shares equal the national ones; NaN where E_d = 0.",
    "Number of specialised sectors: LQ >= the attribute lq_threshold and employment >= the attribute "
    "min_employment; 0 where E_d = 0."};

/* /localisation/<level>: per sector; s_sd = E_ds / E_s, x_d = E_d / E */
static const char *const localisation_names[6] = {
    "hoover", "gini", "concentration", "plant_herfindahl", "ellison_glaeser", "maurel_sedillot"};
static const char *const localisation_descriptions[6] = {
    "Hoover coefficient of localisation 1/2 sum_d |s_sd - x_d| (s_sd = E_ds / E_s, x_d = E_d / E), in [0, 1); NaN "
    "where E_s = 0.",
    "Locational Gini (Krugman 1991): districts sorted by LQ ascending, Lorenz curve of cumulative s_sd against "
    "cumulative x_d, Gini = 1 - sum_k x_k (Y_(k-1) + Y_k) = twice the area between the diagonal and the curve, in "
    "[0, 1); some authors report the area itself (half this value). NaN where E_s = 0.",
    "Raw geographic concentration G = sum_d (s_sd - x_d)^2 (Ellison & Glaeser 1997); NaN where E_s = 0.",
    "Plant Herfindahl H = sum_k (e_k / E_s)^2 over the sector's establishments k (each input row is one "
    "establishment); NaN for pre-aggregated input (an establishments column) or E_s = 0.",
    "Ellison-Glaeser (1997) agglomeration index gamma = [G - (1 - sum_d x_d^2) H] / [(1 - sum_d x_d^2)(1 - H)]; "
    "NaN where H is unknown (pre-aggregated input), H = 1 (one establishment), sum_d x_d^2 = 1 or E_s = 0.",
    "Maurel-Sedillot (1999) agglomeration index gamma = [sum_d s_sd^2 - sum_d x_d^2 - H (1 - sum_d x_d^2)] / "
    "[(1 - sum_d x_d^2)(1 - H)]; NaN as ellison_glaeser."};

/* ---- validation ------------------------------------------------------------------------------- */

#define BAD_RESULT(...) REGIO_ERROR(ctx, REGIO_ERR_INTERNAL, __VA_ARGS__)

static int level_name_ok(const char *name) {
  size_t len = strnlen(name, sizeof((regio_level_t *)0)->name);
  if (len == 0 || len >= sizeof((regio_level_t *)0)->name) return 0;
  if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) return 0;
  return strchr(name, '/') == NULL;
}

/* Catches a malformed result (a bug upstream) before anything is created. */
static regio_err_t check_result(const regio_result_t *res, const char *path, regio_ctx_t *ctx) {
  const regio_aggregate_t *agg = res->agg;
  if (!agg) return BAD_RESULT("cannot write output file '%s': the result has no aggregate", path);
  size_t n_districts = agg->districts.count;
  if (n_districts > 0 && (!agg->districts.chars || !res->district_employment || !agg->district_establishments))
    return BAD_RESULT("cannot write output file '%s': the result lacks district codes or totals", path);
  size_t total = res->n_districts_global ? res->n_districts_global : n_districts;
  if (res->district_offset > total || n_districts > total - res->district_offset)
    return BAD_RESULT("cannot write output file '%s': the result holds districts %zu to %zu of %zu", path,
                      res->district_offset, res->district_offset + n_districts, total);
  if (regio_dist_size(regio_ctx_dist(ctx)) == 1 && n_districts != total)
    return BAD_RESULT(
        "cannot write output file '%s': the result holds districts %zu to %zu of %zu, and one process "
        "writes them all",
        path, res->district_offset, res->district_offset + n_districts, total);
  if (res->n_levels < 0 || res->n_levels > REGIO_MAX_LEVELS)
    return BAD_RESULT("cannot write output file '%s': %d sector levels (at most %d)", path, res->n_levels,
                      REGIO_MAX_LEVELS);
  for (int i = 0; i < res->n_levels; i++) {
    const regio_level_t *lvl = &res->levels[i];
    if (!level_name_ok(lvl->name))
      return BAD_RESULT("cannot write output file '%s': sector level %d has an unusable name", path, i);
    for (int j = 0; j < i; j++)
      if (strcmp(res->levels[j].name, lvl->name) == 0)
        return BAD_RESULT("cannot write output file '%s': two sector levels named '%s'", path, lvl->name);
    size_t n_sectors = lvl->sectors.count;
    if (n_sectors > 0 && (!lvl->sectors.chars || !lvl->sector_employment))
      return BAD_RESULT("cannot write output file '%s': level '%s' lacks sector codes or totals", path, lvl->name);
    if (n_districts > 0 && n_sectors > 0 &&
        (!lvl->cell_start || !lvl->cell_sector || !lvl->cell_employment || !res->district_employment))
      return BAD_RESULT("cannot write output file '%s': level '%s' lacks its employment matrix or the district totals",
                        path, lvl->name);
  }
  const regio_variety_t *v = &res->variety;
  if (res->n_levels > 0) {
    if (v->fine_level < 0 || v->fine_level >= res->n_levels)
      return BAD_RESULT("cannot write output file '%s': variety fine level %d out of range", path, v->fine_level);
    if (n_districts > 0 && !v->entropy)
      return BAD_RESULT("cannot write output file '%s': the result has no entropy", path);
    if (v->unrelated || v->related) {
      if (v->coarse_level < 0 || v->coarse_level >= res->n_levels)
        return BAD_RESULT("cannot write output file '%s': variety coarse level %d out of range", path, v->coarse_level);
      if (n_districts > 0 && (!v->unrelated || !v->related))
        return BAD_RESULT("cannot write output file '%s': the result has only half of the variety decomposition", path);
    }
  }
  if (agg->n_inputs > 0 && !agg->inputs)
    return BAD_RESULT("cannot write output file '%s': the result lacks its input statistics", path);
  return REGIO_OK;
}

/* ---- small pieces ----------------------------------------------------------------------------- */

static regio_err_t codes_dataset(regio_h5w_t *w, hid_t loc, const char *name, const char *object,
                                 const regio_codes_t *codes, const char *description, hid_t *out) {
  regio_err_t err = REGIO_OK;
  hid_t type = -1;
  hsize_t dims[1] = {codes->count};
  REGIO_TRY_GOTO(regio_h5_string_type(w, codes->width, object, &type));
  REGIO_TRY_GOTO(regio_h5_dataset_write(w, loc, name, object, type, type, 1, dims, codes->chars, description, out));
cleanup:
  regio_h5_close(&type);
  return err;
}

static regio_err_t strings_dataset(regio_h5w_t *w, hid_t loc, const char *name, const char *object,
                                   const char *const *strings, size_t n, const char *description, hid_t *out) {
  regio_err_t err = REGIO_OK;
  char *chars = NULL;
  size_t width = 1;
  regio_codes_t packed;
  REGIO_AGREE_GOTO(w, regio_h5_pack_strings(w, strings, n, &width, &chars));
  packed.count = n;
  packed.width = width;
  packed.chars = chars;
  REGIO_TRY_GOTO(codes_dataset(w, loc, name, object, &packed, description, out));
cleanup:
  free(chars);
  return err;
}

/* The districts of the whole file (the length of every district axis): n_districts_global, or the
 * districts held when a result leaves it 0. */
static hsize_t districts_total(const regio_result_t *res) {
  return res->n_districts_global ? res->n_districts_global : res->agg->districts.count;
}

/* A dataset whose first axis is the districts (cols columns for rank 2) from this process's rows. */
static regio_err_t district_dataset(regio_h5w_t *w, const regio_result_t *res, hid_t loc, const char *name,
                                    const char *object, hid_t file_type, hid_t mem_type, int rank, size_t cols,
                                    const void *data, const char *description, hid_t *out) {
  hsize_t dims[2] = {districts_total(res), cols};
  return regio_h5_dataset_write_rows(w, loc, name, object, file_type, mem_type, rank, dims, res->district_offset,
                                     res->agg->districts.count, data, description, out);
}

/* /districts/code: this process's district codes, in slots as wide as the widest code of any rank. */
static regio_err_t district_codes_dataset(regio_h5w_t *w, const regio_result_t *res, hid_t loc, hid_t *out) {
  regio_err_t err = REGIO_OK;
  const regio_codes_t *codes = &res->agg->districts;
  hid_t type = -1;
  char *widened = NULL;
  const char *chars = codes->chars;
  size_t width = codes->width ? codes->width : 1;
  REGIO_TRY_GOTO(regio_h5_max_size(w, &width));
  regio_err_t local = REGIO_OK;
  if (width != codes->width && codes->count > 0) {
    widened = calloc(codes->count, width);
    if (!widened)
      local = REGIO_ERROR(w->ctx, REGIO_ERR_NOMEM, "cannot write output file '%s': out of memory", w->path);
    else
      for (size_t i = 0; i < codes->count; i++) memcpy(widened + i * width, regio_codes_at(codes, i), codes->width);
    chars = widened;
  }
  REGIO_AGREE_GOTO(w, local); /* on every rank, whether it widened its codes or not */
  REGIO_TRY_GOTO(regio_h5_string_type(w, width, "/districts/code", &type));
  REGIO_TRY_GOTO(
      district_dataset(w, res, loc, "code", "/districts/code", type, type, 1, 1, chars, DESC_DISTRICT_CODE, out));
cleanup:
  free(widened);
  regio_h5_close(&type);
  return err;
}

/* A 1-D float64 dataset of milli values / 1000: national (n values) when res is NULL, else per
 * district (this process's n districts of res). */
static regio_err_t milli_dataset(regio_h5w_t *w, const regio_result_t *res, hid_t loc, const char *name,
                                 const char *object, const int64_t *milli, size_t n, const char *description,
                                 hid_t *out) {
  regio_err_t err = REGIO_OK;
  double *values = malloc((n ? n : 1) * sizeof *values);
  hsize_t dims[1] = {n};
  regio_err_t local = REGIO_OK;
  if (!values)
    local =
        REGIO_ERROR(w->ctx, REGIO_ERR_NOMEM, "cannot write output file '%s': out of memory for '%s'", w->path, object);
  REGIO_AGREE_GOTO(w, local);
  for (size_t i = 0; i < n; i++) values[i] = (double)milli[i] / (double)REGIO_MILLI;
  if (res)
    REGIO_TRY_GOTO(
        district_dataset(w, res, loc, name, object, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, 1, values, description, out));
  else
    REGIO_TRY_GOTO(regio_h5_dataset_write(w, loc, name, object, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, dims, values,
                                          description, out));
  REGIO_TRY_GOTO(regio_h5_attr_string(w, *out, object, "units", "employees"));
cleanup:
  free(values);
  return err;
}

static regio_err_t attach(regio_h5w_t *w, hid_t dset, const char *object, hid_t scale, unsigned dim,
                          const char *label) {
  regio_err_t err = REGIO_OK;
  REGIO_H5_TRY(w, H5DSattach_scale(dset, scale, dim), object);
  REGIO_H5_TRY(w, H5DSset_label(dset, dim, label), object);
cleanup:
  return err;
}

/* ---- districts -------------------------------------------------------------------------------- */

static regio_err_t write_districts(regio_h5w_t *w, const regio_result_t *res, hid_t *district_scale) {
  regio_err_t err = REGIO_OK;
  const regio_aggregate_t *agg = res->agg;
  size_t n = agg->districts.count;
  hid_t group = -1, scale = -1, dset = -1;
  REGIO_TRY_GOTO(regio_h5_group(w, w->file, "districts", "/districts", &group));
  REGIO_TRY_GOTO(regio_h5_attr_double(w, group, "/districts", "total_employment",
                                      (double)res->total_employment / (double)REGIO_MILLI));
  REGIO_TRY_GOTO(district_codes_dataset(w, res, group, &scale));
  REGIO_H5_TRY(w, H5DSset_scale(scale, "district"), "/districts/code");

  REGIO_TRY_GOTO(milli_dataset(w, res, group, "employment", "/districts/employment", res->district_employment, n,
                               DESC_DISTRICT_EMPLOYMENT, &dset));
  REGIO_TRY_GOTO(attach(w, dset, "/districts/employment", scale, 0, "district"));
  regio_h5_close(&dset);

  REGIO_TRY_GOTO(district_dataset(w, res, group, "establishments", "/districts/establishments", H5T_STD_I64LE,
                                  H5T_NATIVE_INT64, 1, 1, agg->district_establishments, DESC_DISTRICT_ESTABLISHMENTS,
                                  &dset));
  REGIO_TRY_GOTO(attach(w, dset, "/districts/establishments", scale, 0, "district"));
  if (agg->district_micro_establishments) { /* establishment rows only: sizes known */
    regio_h5_close(&dset);
    REGIO_TRY_GOTO(district_dataset(w, res, group, "micro_establishments", "/districts/micro_establishments",
                                    H5T_STD_I64LE, H5T_NATIVE_INT64, 1, 1, agg->district_micro_establishments,
                                    DESC_DISTRICT_MICRO, &dset));
    REGIO_TRY_GOTO(attach(w, dset, "/districts/micro_establishments", scale, 0, "district"));
  }
  {
    const double *values[4] = {res->micro_share, res->district_area, res->establishment_density, res->helix_diversity};
    static const char *const names[4] = {"micro_share", "area_km2", "establishment_density", "helix_diversity"};
    static const char *const objects[4] = {"/districts/micro_share", "/districts/area_km2",
                                           "/districts/establishment_density", "/districts/helix_diversity"};
    static const char *const descriptions[4] = {
        "Share of the district's establishments with fewer than 10 employees (micro); only when each input row is "
        "one establishment; NaN for a district without establishments.",
        "Area of the district in km2, from --district-area; NaN for a district not in that file.",
        "Establishments per km2 (establishments / area_km2); NaN where the area is unknown.",
        "Helix diversity: Shannon entropy (log2) of the district's employment over the actor types of "
        "--actor-col (/actors/code), 0 for one type, log2(number of types) at most; NaN for a district without "
        "employment."};
    for (int k = 0; k < 4; k++) {
      if (!values[k]) continue;
      regio_h5_close(&dset);
      REGIO_TRY_GOTO(district_dataset(w, res, group, names[k], objects[k], H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, 1,
                                      values[k], descriptions[k], &dset));
      REGIO_TRY_GOTO(attach(w, dset, objects[k], scale, 0, "district"));
    }
  }
  *district_scale = scale;
  scale = -1;
cleanup:
  regio_h5_close(&dset);
  regio_h5_close(&scale);
  regio_h5_close(&group);
  return err;
}

/* ---- levels ----------------------------------------------------------------------------------- */

/* Establishments per sector of a level, summed from the full sector codes. Returns 0 when a full
 * code has no sector at this level (then the dataset is left out). */
static int level_establishments(const regio_aggregate_t *agg, const regio_level_t *lvl, int64_t *out) {
  if (!agg->sector_establishments) return 0;
  memset(out, 0, lvl->sectors.count * sizeof *out);
  for (size_t j = 0; j < agg->sectors.count; j++) {
    size_t len = regio_codes_len(&agg->sectors, j);
    if (lvl->prefix > 0 && len > (size_t)lvl->prefix) len = (size_t)lvl->prefix;
    size_t k = regio_codes_find(&lvl->sectors, regio_codes_at(&agg->sectors, j), len);
    if (k == (size_t)-1) return 0;
    out[k] += agg->sector_establishments[j];
  }
  return 1;
}

/* Source of the employment matrix: a level's cells converted to float64 employees chunk by chunk,
 * so that no full matrix is allocated. */
static void fill_employees(void *user, size_t row0, size_t rows, size_t col0, size_t cols, size_t elem_size,
                           size_t chunk_cols, void *out) {
  const regio_level_t *lvl = user;
  double *dst = out;
  (void)elem_size;
  for (size_t r = 0; r < rows; r++) {
    double *row = dst + r * chunk_cols;
    memset(row, 0, cols * sizeof *row); /* +0: the empty cells, most of them at a fine level */
    const size_t d = row0 + r, end = lvl->cell_start[d + 1];
    for (size_t k = regio_level_cell_from(lvl, d, col0); k < end && lvl->cell_sector[k] < col0 + cols; k++)
      if (lvl->cell_employment[k])
        row[lvl->cell_sector[k] - col0] = (double)lvl->cell_employment[k] / (double)REGIO_MILLI;
  }
}

static regio_err_t write_employment_matrix(regio_h5w_t *w, const regio_result_t *res, hid_t loc, const char *object,
                                           const regio_level_t *lvl, hid_t *out) {
  regio_err_t err = REGIO_OK;
  hsize_t dims[2] = {districts_total(res), lvl->sectors.count};
  hid_t dset = -1;
  REGIO_TRY_GOTO(regio_h5_dataset(w, loc, "employment", object, H5T_IEEE_F64LE, 2, dims, DESC_EMPLOYMENT, &dset, NULL));
  REGIO_TRY_GOTO(regio_h5_attr_string(w, dset, object, "units", "employees"));
  REGIO_TRY_GOTO(regio_h5_dataset_fill(w, dset, object, H5T_IEEE_F64LE, 2, dims, res->district_offset,
                                       res->agg->districts.count, fill_employees, (void *)lvl));
  *out = dset;
  dset = -1;
cleanup:
  regio_h5_close(&dset);
  return err;
}

/* Source of the LQ and symmetric LQ matrices: computed chunk by chunk from the employment matrix
 * and the totals (regio_level_lq_rows), the values the indices used; no matrix of them is kept. */
typedef struct lq_source {
  const regio_result_t *res;
  const regio_level_t *level;
  int symmetric;
} lq_source_t;

static void fill_lq(void *user, size_t row0, size_t rows, size_t col0, size_t cols, size_t elem_size, size_t chunk_cols,
                    void *out) {
  const lq_source_t *src = user;
  double *dst = out;
  (void)elem_size;
  regio_level_lq_block(src->res, src->level, row0, rows, col0, cols, src->symmetric, dst, chunk_cols);
}

static regio_err_t write_lq_matrix(regio_h5w_t *w, const regio_result_t *res, const regio_level_t *lvl, hid_t loc,
                                   const char *name, const char *object, int symmetric, const char *description,
                                   hid_t *out) {
  regio_err_t err = REGIO_OK;
  hsize_t dims[2] = {districts_total(res), lvl->sectors.count};
  hid_t dset = -1;
  REGIO_TRY_GOTO(regio_h5_dataset(w, loc, name, object, H5T_IEEE_F64LE, 2, dims, description, &dset, NULL));
  lq_source_t src = {res, lvl, symmetric};
  REGIO_TRY_GOTO(regio_h5_dataset_fill(w, dset, object, H5T_IEEE_F64LE, 2, dims, res->district_offset,
                                       res->agg->districts.count, fill_lq, &src));
  *out = dset;
  dset = -1;
cleanup:
  regio_h5_close(&dset);
  return err;
}

/* ---- categories ------------------------------------------------------------------------------ */

static regio_err_t write_categories(regio_h5w_t *w, const regio_result_t *res, hid_t district_scale) {
  regio_err_t err = REGIO_OK;
  const regio_categories_t *cat = res->categories;
  const regio_level_t *lvl = &res->levels[cat->level];
  const size_t D = res->agg->districts.count, C = (size_t)cat->n_categories, S = lvl->sectors.count;
  hid_t group = -1, scale = -1, dset = -1;
  int64_t *category_use = malloc(C * sizeof *category_use);
  double *employment = malloc((D * C > 0 ? D * C : 1) * sizeof *employment);
  hsize_t dims_c[1] = {C}, dims_s[1] = {S};
  regio_err_t local = REGIO_OK;
  if (!category_use || !employment)
    local = REGIO_ERROR(w->ctx, REGIO_ERR_NOMEM, "cannot write output file '%s': out of memory", w->path);
  REGIO_AGREE_GOTO(w, local);
  for (size_t c = 0; c < C; c++) category_use[c] = cat->use[c];
  REGIO_TRY_GOTO(regio_h5_group(w, w->file, "categories", "/categories", &group));
  REGIO_TRY_GOTO(regio_h5_attr_string(w, group, "/categories", "level", lvl->name));
  REGIO_TRY_GOTO(strings_dataset(w, group, "name", "/categories/name", (const char *const *)cat->names, C,
                                 "Functional categories, in the order of the category map; 'other' (sectors no "
                                 "prefix of the map matches) last. The dimension scale of the category axis.",
                                 &scale));
  REGIO_H5_TRY(w, H5DSset_scale(scale, "category"), "/categories/name");
  REGIO_TRY_GOTO(regio_h5_dataset_write(w, group, "use", "/categories/use", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, dims_c,
                                        category_use,
                                        "Use of each category in the mixed-use index: 0 none, 1 work, 2 living, "
                                        "3 leisure.",
                                        &dset));
  REGIO_TRY_GOTO(attach(w, dset, "/categories/use", scale, 0, "category"));
  regio_h5_close(&dset);
  REGIO_TRY_GOTO(regio_h5_dataset_write(w, group, "sector_category", "/categories/sector_category", H5T_STD_I64LE,
                                        H5T_NATIVE_INT64, 1, dims_s, cat->sector_category,
                                        "Category (index into /categories/name) of each sector of the level named "
                                        "by the attribute level of /categories (the finest level), by the longest "
                                        "matching prefix of the category map.",
                                        &dset));
  regio_h5_close(&dset);
  for (size_t i = 0; i < D * C; i++) employment[i] = (double)cat->employment[i] / (double)REGIO_MILLI;
  REGIO_TRY_GOTO(district_dataset(w, res, group, "employment", "/categories/employment", H5T_IEEE_F64LE,
                                  H5T_NATIVE_DOUBLE, 2, C, employment,
                                  "Employment by district (rows) and category (columns) E_dc, in employees; "
                                  "summed exactly in thousandths and stored as float64 = milli / 1000.",
                                  &dset));
  REGIO_TRY_GOTO(regio_h5_attr_string(w, dset, "/categories/employment", "units", "employees"));
  REGIO_TRY_GOTO(attach(w, dset, "/categories/employment", district_scale, 0, "district"));
  REGIO_TRY_GOTO(attach(w, dset, "/categories/employment", scale, 1, "category"));
  regio_h5_close(&dset);
  REGIO_TRY_GOTO(district_dataset(w, res, group, "share", "/categories/share", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, C,
                                  cat->share,
                                  "Share E_dc / E_d of the district's employment in each category; NaN where "
                                  "E_d = 0.",
                                  &dset));
  REGIO_TRY_GOTO(attach(w, dset, "/categories/share", district_scale, 0, "district"));
  REGIO_TRY_GOTO(attach(w, dset, "/categories/share", scale, 1, "category"));
  regio_h5_close(&dset);
  REGIO_TRY_GOTO(district_dataset(w, res, group, "lq", "/categories/lq", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, C,
                                  cat->lq,
                                  "Category location quotient (E_dc / E_d) / (E_c / E); NaN where E_d = 0 or "
                                  "E_c = 0.",
                                  &dset));
  REGIO_TRY_GOTO(attach(w, dset, "/categories/lq", district_scale, 0, "district"));
  REGIO_TRY_GOTO(attach(w, dset, "/categories/lq", scale, 1, "category"));
  regio_h5_close(&dset);
  if (cat->mixed_use) {
    REGIO_TRY_GOTO(district_dataset(w, res, group, "mixed_use", "/categories/mixed_use", H5T_IEEE_F64LE,
                                    H5T_NATIVE_DOUBLE, 1, 1, cat->mixed_use,
                                    "Mixed-use index: entropy of the district's employment shares in the work, "
                                    "living and leisure categories (use 1, 2, 3), divided by ln 3, in [0, 1]; "
                                    "NaN where that employment is 0.",
                                    &dset));
    REGIO_TRY_GOTO(attach(w, dset, "/categories/mixed_use", district_scale, 0, "district"));
  }
cleanup:
  free(category_use);
  free(employment);
  regio_h5_close(&dset);
  regio_h5_close(&scale);
  regio_h5_close(&group);
  return err;
}

/* ---- screen ----------------------------------------------------------------------------------- */

static regio_err_t write_screen(regio_h5w_t *w, const regio_result_t *res, hid_t district_scale) {
  regio_err_t err = REGIO_OK;
  const regio_screen_t *sc = res->screen;
  const regio_screen_opts_t *o = &sc->opts;
  hid_t group = -1, scores = -1, type = -1, dset = -1;
  REGIO_TRY_GOTO(regio_h5_group(w, w->file, "screen", "/screen", &group));
  REGIO_H5_TRY(w, type = H5Tenum_create(H5T_NATIVE_INT8), "/screen/class");
  for (int c = 0; c < REGIO_CLASS_COUNT; c++) {
    int8_t value = (int8_t)c;
    REGIO_H5_TRY(w, H5Tenum_insert(type, regio_screen_class_name(c), &value), "/screen/class");
  }
  REGIO_TRY_GOTO(district_dataset(w, res, group, "class", "/screen/class", type, type, 1, 1, sc->district_class,
                                  "Class of each district (HDF5 enum, int8): thin, specialised_cluster, "
                                  "innovation_district, central_lifestyle_district, central_business_district, "
                                  "diversified; the rules are in docs/SCREENING.md and the thresholds used in "
                                  "the attributes of /screen.",
                                  &dset));
  REGIO_TRY_GOTO(attach(w, dset, "/screen/class", district_scale, 0, "district"));
  regio_h5_close(&dset);
  {
    struct {
      const char *name;
      double value;
    } attrs[] = {{"thin_employment", o->thin_employment},
                 {"cluster_krugman_z", o->cluster_krugman_z},
                 {"cluster_related_variety_z", o->cluster_related_z},
                 {"innovation_related_variety_z", o->innovation_related_z},
                 {"innovation_knowledge_lq", o->innovation_knowledge_lq},
                 {"innovation_mixed_use_quantile", o->innovation_mixed_use_quantile},
                 {"innovation_micro_share_quantile", o->innovation_micro_quantile},
                 {"office_lq", o->office_lq},
                 {"amenity_lq", o->amenity_lq},
                 {"mixed_use_threshold", sc->mixed_use_threshold},
                 {"micro_share_threshold", sc->micro_threshold},
                 {"value_chain_quantile", o->value_chain_quantile},
                 {"value_chain_threshold", sc->value_chain_threshold},
                 {"cluster_value_chain", o->cluster_value_chain},
                 {"krugman_mean", sc->krugman_mean},
                 {"krugman_sd", sc->krugman_sd},
                 {"related_variety_mean", sc->related_mean},
                 {"related_variety_sd", sc->related_sd}};
    for (size_t k = 0; k < sizeof attrs / sizeof attrs[0]; k++)
      REGIO_TRY_GOTO(regio_h5_attr_double(w, group, "/screen", attrs[k].name, attrs[k].value));
    REGIO_TRY_GOTO(
        regio_h5_attr_int(w, group, "/screen", "cluster_needs_manufacturing", o->cluster_needs_manufacturing));
    REGIO_TRY_GOTO(regio_h5_attr_string(w, group, "/screen", "knowledge_categories", o->knowledge_categories));
    REGIO_TRY_GOTO(regio_h5_attr_string(w, group, "/screen", "office_categories", o->office_categories));
    REGIO_TRY_GOTO(regio_h5_attr_string(w, group, "/screen", "amenity_categories", o->amenity_categories));
    REGIO_TRY_GOTO(regio_h5_attr_string(w, group, "/screen", "manufacturing_categories", o->manufacturing_categories));
  }
  REGIO_TRY_GOTO(regio_h5_group(w, group, "scores", "/screen/scores", &scores));
  {
    const double *values[7] = {sc->krugman_z,  sc->related_z, sc->knowledge_lq, sc->office_lq,
                               sc->amenity_lq, sc->mixed_use, sc->micro_share};
    static const char *const names[7] = {"krugman_z",  "related_variety_z", "knowledge_lq", "office_lq",
                                         "amenity_lq", "mixed_use",         "micro_share"};
    static const char *const descriptions[7] = {
        "z-score of the Krugman index at the finest level over the districts that are not thin (population sd).",
        "z-score of related variety over the districts that are not thin (population sd).",
        "LQ of the knowledge categories (attribute knowledge_categories of /screen).",
        "LQ of the office categories (attribute office_categories of /screen).",
        "LQ of the amenity categories (attribute amenity_categories of /screen).",
        "Mixed-use index (/categories/mixed_use).",
        "Share of micro establishments (/districts/micro_share); NaN when establishment sizes are unknown."};
    for (int k = 0; k < 7; k++) {
      char object[64];
      snprintf(object, sizeof object, "/screen/scores/%s", names[k]);
      REGIO_TRY_GOTO(district_dataset(w, res, scores, names[k], object, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, 1,
                                      values[k], descriptions[k], &dset));
      REGIO_TRY_GOTO(attach(w, dset, object, district_scale, 0, "district"));
      regio_h5_close(&dset);
    }
    REGIO_TRY_GOTO(district_dataset(w, res, scores, "max_lq_in_manufacturing", "/screen/scores/max_lq_in_manufacturing",
                                    H5T_STD_I8LE, H5T_NATIVE_INT8, 1, 1, sc->max_lq_in_manufacturing,
                                    "1 when the district's largest LQ at the finest level is in a manufacturing "
                                    "category (attribute manufacturing_categories of /screen).",
                                    &dset));
    REGIO_TRY_GOTO(attach(w, dset, "/screen/scores/max_lq_in_manufacturing", district_scale, 0, "district"));
    if (sc->value_chain) {
      regio_h5_close(&dset);
      REGIO_TRY_GOTO(district_dataset(
          w, res, scores, "value_chain", "/screen/scores/value_chain", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, 1,
          sc->value_chain,
          "Value-chain coherence: share of the pairs of the district's specialised sectors (finest level, as "
          "n_specialised, mapped to IO sectors by the sector map) whose IO sectors k, l have max(a_kl, a_lk) >= the "
          "attribute value_chain_threshold of /screen; NaN with fewer than two such sectors.",
          &dset));
      REGIO_TRY_GOTO(attach(w, dset, "/screen/scores/value_chain", district_scale, 0, "district"));
    }
  }
cleanup:
  regio_h5_close(&dset);
  regio_h5_close(&type);
  regio_h5_close(&scores);
  regio_h5_close(&group);
  return err;
}

/* ---- specialisation and localisation ----------------------------------------------------------- */

/* /specialisation/<level>: the per-district indices of one level. */
static regio_err_t write_specialisation(regio_h5w_t *w, const regio_result_t *res, const regio_level_t *lvl,
                                        hid_t parent, hid_t district_scale) {
  regio_err_t err = REGIO_OK;
  const regio_specialisation_t *sp = &lvl->specialisation;
  hid_t group = -1, dset = -1;
  char base[64], object[128];
  const void *values[9] = {sp->krugman,      sp->hoover, sp->hhi,           sp->hhi_normalised,
                           sp->theil,        sp->max_lq, sp->max_lq_sector, sp->relative_diversity,
                           sp->n_specialised};
  snprintf(base, sizeof base, "/specialisation/%s", lvl->name);
  REGIO_TRY_GOTO(regio_h5_group(w, parent, lvl->name, base, &group));
  REGIO_TRY_GOTO(regio_h5_attr_string(w, group, base, "level", lvl->name));
  REGIO_TRY_GOTO(regio_h5_attr_double(w, group, base, "lq_threshold", res->specialised_lq));
  REGIO_TRY_GOTO(
      regio_h5_attr_double(w, group, base, "min_employment", (double)res->specialised_min_milli / (double)REGIO_MILLI));
  for (int k = 0; k < 9; k++) {
    const int integer = k == 6 || k == 8;
    snprintf(object, sizeof object, "%s/%s", base, specialisation_names[k]);
    REGIO_TRY_GOTO(district_dataset(
        w, res, group, specialisation_names[k], object, integer ? H5T_STD_I64LE : H5T_IEEE_F64LE,
        integer ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE, 1, 1, values[k], specialisation_descriptions[k], &dset));
    REGIO_TRY_GOTO(attach(w, dset, object, district_scale, 0, "district"));
    regio_h5_close(&dset);
  }
cleanup:
  regio_h5_close(&dset);
  regio_h5_close(&group);
  return err;
}

/* /localisation/<level>: the per-sector indices of one level, on the level's sector scale. */
static regio_err_t write_localisation(regio_h5w_t *w, const regio_level_t *lvl, hid_t parent, hid_t sector_scale) {
  regio_err_t err = REGIO_OK;
  const regio_localisation_t *lo = &lvl->localisation;
  hid_t group = -1, dset = -1;
  char base[64], object[128];
  hsize_t dims[1] = {lvl->sectors.count};
  const double *values[6] = {lo->hoover,          lo->gini,           lo->concentration, lo->plant_herfindahl,
                             lo->ellison_glaeser, lo->maurel_sedillot};
  snprintf(base, sizeof base, "/localisation/%s", lvl->name);
  REGIO_TRY_GOTO(regio_h5_group(w, parent, lvl->name, base, &group));
  REGIO_TRY_GOTO(regio_h5_attr_string(w, group, base, "level", lvl->name));
  REGIO_TRY_GOTO(regio_h5_attr_int(w, group, base, "establishment_sizes", lvl->sector_size_squares != NULL));
  for (int k = 0; k < 6; k++) {
    snprintf(object, sizeof object, "%s/%s", base, localisation_names[k]);
    REGIO_TRY_GOTO(regio_h5_dataset_write(w, group, localisation_names[k], object, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1,
                                          dims, values[k], localisation_descriptions[k], &dset));
    REGIO_TRY_GOTO(attach(w, dset, object, sector_scale, 0, "sector"));
    regio_h5_close(&dset);
  }
cleanup:
  regio_h5_close(&dset);
  regio_h5_close(&group);
  return err;
}

static regio_err_t write_level(regio_h5w_t *w, const regio_result_t *res, const regio_level_t *lvl, hid_t levels,
                               hid_t district_scale, hid_t localisation) {
  regio_err_t err = REGIO_OK;
  const regio_aggregate_t *agg = res->agg;
  size_t n_sectors = lvl->sectors.count;
  hid_t group = -1, sectors = -1, scale = -1, dset = -1;
  int64_t *establishments = NULL;
  char base[64], object[128];
  snprintf(base, sizeof base, "/levels/%s", lvl->name);

  REGIO_TRY_GOTO(regio_h5_group(w, levels, lvl->name, base, &group));
  REGIO_TRY_GOTO(regio_h5_attr_int(w, group, base, "prefix", lvl->prefix));
  snprintf(object, sizeof object, "%s/sectors", base);
  REGIO_TRY_GOTO(regio_h5_group(w, group, "sectors", object, &sectors));

  snprintf(object, sizeof object, "%s/sectors/code", base);
  REGIO_TRY_GOTO(codes_dataset(w, sectors, "code", object, &lvl->sectors, DESC_SECTOR_CODE, &scale));
  REGIO_H5_TRY(w, H5DSset_scale(scale, "sector"), object);

  snprintf(object, sizeof object, "%s/sectors/employment", base);
  REGIO_TRY_GOTO(milli_dataset(w, NULL, sectors, "employment", object, lvl->sector_employment, n_sectors,
                               DESC_SECTOR_EMPLOYMENT, &dset));
  REGIO_TRY_GOTO(attach(w, dset, object, scale, 0, "sector"));
  regio_h5_close(&dset);

  establishments = malloc((n_sectors ? n_sectors : 1) * sizeof *establishments);
  regio_err_t local = REGIO_OK;
  if (!establishments)
    local = REGIO_ERROR(w->ctx, REGIO_ERR_NOMEM, "cannot write output file '%s': out of memory", w->path);
  REGIO_AGREE_GOTO(w, local);
  if (level_establishments(agg, lvl, establishments)) {
    hsize_t dims[1] = {n_sectors};
    snprintf(object, sizeof object, "%s/sectors/establishments", base);
    REGIO_TRY_GOTO(regio_h5_dataset_write(w, sectors, "establishments", object, H5T_STD_I64LE, H5T_NATIVE_INT64, 1,
                                          dims, establishments, DESC_SECTOR_ESTABLISHMENTS, &dset));
    REGIO_TRY_GOTO(attach(w, dset, object, scale, 0, "sector"));
    regio_h5_close(&dset);
  }

  snprintf(object, sizeof object, "%s/employment", base);
  REGIO_TRY_GOTO(write_employment_matrix(w, res, group, object, lvl, &dset));
  REGIO_TRY_GOTO(attach(w, dset, object, district_scale, 0, "district"));
  REGIO_TRY_GOTO(attach(w, dset, object, scale, 1, "sector"));
  regio_h5_close(&dset);

  snprintf(object, sizeof object, "%s/lq", base);
  REGIO_TRY_GOTO(write_lq_matrix(w, res, lvl, group, "lq", object, 0, DESC_LQ, &dset));
  REGIO_TRY_GOTO(attach(w, dset, object, district_scale, 0, "district"));
  REGIO_TRY_GOTO(attach(w, dset, object, scale, 1, "sector"));
  regio_h5_close(&dset);
  if (lvl->lq_symmetric) {
    snprintf(object, sizeof object, "%s/lq_symmetric", base);
    REGIO_TRY_GOTO(write_lq_matrix(w, res, lvl, group, "lq_symmetric", object, 1, DESC_LQ_SYMMETRIC, &dset));
    REGIO_TRY_GOTO(attach(w, dset, object, district_scale, 0, "district"));
    REGIO_TRY_GOTO(attach(w, dset, object, scale, 1, "sector"));
  }
  if (lvl->localisation.hoover && localisation >= 0) REGIO_TRY_GOTO(write_localisation(w, lvl, localisation, scale));
cleanup:
  free(establishments);
  regio_h5_close(&dset);
  regio_h5_close(&scale);
  regio_h5_close(&sectors);
  regio_h5_close(&group);
  return err;
}

/* ---- variety ---------------------------------------------------------------------------------- */

static regio_err_t variety_attrs(regio_h5w_t *w, hid_t obj, const char *object, const regio_result_t *res,
                                 int decomposed) {
  regio_err_t err = REGIO_OK;
  REGIO_TRY_GOTO(regio_h5_attr_string(w, obj, object, "fine_level", res->levels[res->variety.fine_level].name));
  if (decomposed)
    REGIO_TRY_GOTO(regio_h5_attr_string(w, obj, object, "coarse_level", res->levels[res->variety.coarse_level].name));
  REGIO_TRY_GOTO(regio_h5_attr_int(w, obj, object, "log_base", 2));
cleanup:
  return err;
}

/* /actors: the actor types of --actor-col and each district's employment by type. */
static regio_err_t write_actors(regio_h5w_t *w, const regio_result_t *res, hid_t district_scale) {
  regio_err_t err = REGIO_OK;
  const regio_aggregate_t *agg = res->agg;
  hid_t group = -1, type = -1, scale = -1, dset = -1;
  char *chars = NULL;
  double *employees = NULL;
  size_t width = 0, D = agg->districts.count, A = (size_t)agg->n_actors;
  REGIO_TRY_GOTO(regio_h5_group(w, w->file, "actors", "/actors", &group));
  REGIO_AGREE_GOTO(w, regio_h5_pack_strings(w, (const char *const *)agg->actor_codes, A, &width, &chars));
  REGIO_TRY_GOTO(regio_h5_string_type(w, width, "/actors/code", &type));
  hsize_t dims1[1] = {A};
  REGIO_TRY_GOTO(regio_h5_dataset_write(w, group, "code", "/actors/code", type, type, 1, dims1, chars,
                                        "The actor types: the distinct values of the --actor-col column, sorted.",
                                        &scale));
  REGIO_H5_TRY(w, H5DSset_scale(scale, "actor"), "/actors/code");
  employees = malloc((D * A > 0 ? D * A : 1) * sizeof *employees);
  regio_err_t local = REGIO_OK;
  if (!employees) local = REGIO_ERROR(w->ctx, REGIO_ERR_NOMEM, "cannot write output file '%s': out of memory", w->path);
  REGIO_AGREE_GOTO(w, local);
  for (size_t k = 0; k < D * A; k++) employees[k] = (double)agg->district_actor_employment[k] / (double)REGIO_MILLI;
  REGIO_TRY_GOTO(district_dataset(w, res, group, "employment", "/actors/employment", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                                  2, A, employees, "Employment of each district by actor type (employees).", &dset));
  REGIO_TRY_GOTO(attach(w, dset, "/actors/employment", district_scale, 0, "district"));
  REGIO_TRY_GOTO(attach(w, dset, "/actors/employment", scale, 1, "actor"));
cleanup:
  free(chars);
  free(employees);
  regio_h5_close(&dset);
  regio_h5_close(&scale);
  regio_h5_close(&type);
  regio_h5_close(&group);
  return err;
}

static regio_err_t write_variety(regio_h5w_t *w, const regio_result_t *res, hid_t district_scale) {
  regio_err_t err = REGIO_OK;
  const regio_variety_t *v = &res->variety;
  int decomposed = v->unrelated != NULL;
  hid_t group = -1, dset = -1;
  static const char *const names[3] = {"entropy", "unrelated", "related"};
  static const char *const objects[3] = {"/variety/entropy", "/variety/unrelated", "/variety/related"};
  static const char *const descriptions[3] = {DESC_ENTROPY, DESC_UNRELATED, DESC_RELATED};
  const double *values[3] = {v->entropy, v->unrelated, v->related};

  REGIO_TRY_GOTO(regio_h5_group(w, w->file, "variety", "/variety", &group));
  REGIO_TRY_GOTO(variety_attrs(w, group, "/variety", res, decomposed));
  if (!decomposed)
    REGIO_TRY_GOTO(regio_h5_attr_string(w, group, "/variety", "note",
                                        "Only one sector level was computed, so the entropy is not decomposed into "
                                        "unrelated and related variety (that needs a coarse and a fine level)."));
  for (int i = 0; i < (decomposed ? 3 : 1); i++) {
    REGIO_TRY_GOTO(district_dataset(w, res, group, names[i], objects[i], H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, 1,
                                    values[i], descriptions[i], &dset));
    REGIO_TRY_GOTO(variety_attrs(w, dset, objects[i], res, decomposed));
    REGIO_TRY_GOTO(attach(w, dset, objects[i], district_scale, 0, "district"));
    regio_h5_close(&dset);
  }
cleanup:
  regio_h5_close(&dset);
  regio_h5_close(&group);
  return err;
}

/* ---- provenance ------------------------------------------------------------------------------- */

static regio_err_t write_inputs(regio_h5w_t *w, const regio_aggregate_t *agg, hid_t provenance, hid_t reason_scale) {
  regio_err_t err = REGIO_OK;
  size_t n = agg->n_inputs, r = REGIO_SKIP_COUNT;
  hid_t group = -1, scale = -1, dset = -1;
  const char **paths = NULL, **sums = NULL;
  int64_t *column = NULL, *table = NULL;
  hsize_t dims1[1] = {n}, dims2[2] = {n, r};

  paths = calloc(n ? n : 1, sizeof *paths);
  sums = calloc(n ? n : 1, sizeof *sums);
  column = calloc(n ? n : 1, sizeof *column);
  table = calloc(n ? n * r : 1, sizeof *table);
  regio_err_t local = REGIO_OK;
  if (!paths || !sums || !column || !table)
    local = REGIO_ERROR(w->ctx, REGIO_ERR_NOMEM, "cannot write output file '%s': out of memory", w->path);
  REGIO_AGREE_GOTO(w, local);
  for (size_t i = 0; i < n; i++) {
    paths[i] = agg->inputs[i].path;
    sums[i] = agg->inputs[i].sha256;
  }

  REGIO_TRY_GOTO(regio_h5_group(w, provenance, "inputs", "/provenance/inputs", &group));
  REGIO_TRY_GOTO(strings_dataset(w, group, "path", "/provenance/inputs/path", paths, n,
                                 "Input files as given, in the order read; the dimension scale of the input axis.",
                                 &scale));
  REGIO_H5_TRY(w, H5DSset_scale(scale, "input"), "/provenance/inputs/path");

  REGIO_TRY_GOTO(strings_dataset(w, group, "sha256", "/provenance/inputs/sha256", sums, n,
                                 "SHA-256 of each input file as 64 lower-case hex digits; empty when checksums were "
                                 "off.",
                                 &dset));
  REGIO_TRY_GOTO(attach(w, dset, "/provenance/inputs/sha256", scale, 0, "input"));
  regio_h5_close(&dset);

  static const char *const names[3] = {"bytes", "rows_read", "rows_used"};
  static const char *const objects[3] = {"/provenance/inputs/bytes", "/provenance/inputs/rows_read",
                                         "/provenance/inputs/rows_used"};
  static const char *const descriptions[3] = {
      "Size of each input file on disk, in bytes.", "Data rows (records after the header) read from each input file.",
      "Rows of each input file that were aggregated (rows_read minus the rows skipped)."};
  for (int k = 0; k < 3; k++) {
    for (size_t i = 0; i < n; i++) {
      const regio_input_stats_t *in = &agg->inputs[i];
      column[i] = k == 0 ? in->bytes : k == 1 ? in->rows_read : in->rows_used;
    }
    REGIO_TRY_GOTO(regio_h5_dataset_write(w, group, names[k], objects[k], H5T_STD_I64LE, H5T_NATIVE_INT64, 1, dims1,
                                          column, descriptions[k], &dset));
    REGIO_TRY_GOTO(attach(w, dset, objects[k], scale, 0, "input"));
    regio_h5_close(&dset);
  }

  for (int k = 0; k < 2; k++) {
    const char *name = k == 0 ? "rows_skipped" : "first_skipped_line";
    const char *object = k == 0 ? "/provenance/inputs/rows_skipped" : "/provenance/inputs/first_skipped_line";
    const char *description =
        k == 0 ? "Rows skipped by input file (rows) and reason (columns, named in /provenance/skip_reasons)."
               : "Line number (1 = the header) of the first row skipped by input file (rows) and reason (columns, "
                 "named in /provenance/skip_reasons); 0 when none was skipped for that reason.";
    for (size_t i = 0; i < n; i++)
      for (size_t j = 0; j < r; j++)
        table[i * r + j] = k == 0 ? agg->inputs[i].skipped[j] : agg->inputs[i].first_skipped_line[j];
    REGIO_TRY_GOTO(regio_h5_dataset_write(w, group, name, object, H5T_STD_I64LE, H5T_NATIVE_INT64, 2, dims2, table,
                                          description, &dset));
    REGIO_TRY_GOTO(attach(w, dset, object, scale, 0, "input"));
    REGIO_TRY_GOTO(attach(w, dset, object, reason_scale, 1, "skip_reason"));
    regio_h5_close(&dset);
  }
cleanup:
  free(paths);
  free(sums);
  free(column);
  free(table);
  regio_h5_close(&dset);
  regio_h5_close(&scale);
  regio_h5_close(&group);
  return err;
}

static regio_err_t write_provenance(regio_h5w_t *w, const regio_result_t *res) {
  regio_err_t err = REGIO_OK;
  hid_t group = -1, reasons = -1, dset = -1;
  REGIO_TRY_GOTO(regio_h5_provenance_group(w, res->command_line, &group));
  REGIO_TRY_GOTO(regio_h5_attr_string(w, group, "/provenance", "config", res->config_ini));

  REGIO_TRY_GOTO(strings_dataset(w, group, "skip_reasons", "/provenance/skip_reasons", skip_reason_names,
                                 REGIO_SKIP_COUNT,
                                 "Names of the reasons for skipping an input row, in the order of the last axis of "
                                 "inputs/rows_skipped and inputs/first_skipped_line.",
                                 &reasons));
  REGIO_H5_TRY(w, H5DSset_scale(reasons, "skip_reason"), "/provenance/skip_reasons");
  REGIO_TRY_GOTO(strings_dataset(w, group, "skip_reason_descriptions", "/provenance/skip_reason_descriptions",
                                 skip_reason_texts, REGIO_SKIP_COUNT,
                                 "What each skip reason means, in the order of skip_reasons.", &dset));
  REGIO_TRY_GOTO(attach(w, dset, "/provenance/skip_reason_descriptions", reasons, 0, "skip_reason"));
  regio_h5_close(&dset);
  REGIO_TRY_GOTO(write_inputs(w, res->agg, group, reasons));
cleanup:
  regio_h5_close(&dset);
  regio_h5_close(&reasons);
  regio_h5_close(&group);
  return err;
}

/* ---- the file --------------------------------------------------------------------------------- */

static regio_err_t write_contents(regio_h5w_t *w, const regio_result_t *res, const regio_output_io_t *io) {
  regio_err_t err = REGIO_OK;
  hid_t district_scale = -1, levels = -1, localisation = -1;
  double steps = (double)res->n_levels + 3.0;

  REGIO_TRY_GOTO(regio_h5_attr_int(w, w->file, "/", "schema_version", REGIO_SCHEMA_VERSION));
  REGIO_TRY_GOTO(regio_h5_attr_string(w, w->file, "/", "generator", "regio " REGIO_VERSION_STRING));
  REGIO_TRY_GOTO(write_districts(w, res, &district_scale));
  regio_ctx_progress(w->ctx, "output", 1.0 / steps);

  REGIO_TRY_GOTO(regio_h5_group(w, w->file, "levels", "/levels", &levels));
  if (res->n_levels > 0 && res->levels[0].localisation.hoover)
    REGIO_TRY_GOTO(regio_h5_group(w, w->file, "localisation", "/localisation", &localisation));
  for (int i = 0; i < res->n_levels; i++) {
    REGIO_TRY_GOTO(write_level(w, res, &res->levels[i], levels, district_scale, localisation));
    regio_ctx_progress(w->ctx, "output", (2.0 + i) / steps);
  }
  if (res->n_levels > 0) REGIO_TRY_GOTO(write_variety(w, res, district_scale));
  if (res->n_levels > 0 && res->levels[0].specialisation.krugman) {
    hid_t group = -1;
    REGIO_TRY_GOTO(regio_h5_group(w, w->file, "specialisation", "/specialisation", &group));
    for (int i = 0; i < res->n_levels && err == REGIO_OK; i++)
      err = write_specialisation(w, res, &res->levels[i], group, district_scale);
    regio_h5_close(&group);
    if (err) goto cleanup;
  }
  if (res->categories) REGIO_TRY_GOTO(write_categories(w, res, district_scale));
  if (res->agg->n_actors > 0) REGIO_TRY_GOTO(write_actors(w, res, district_scale));
  if (res->screen) REGIO_TRY_GOTO(write_screen(w, res, district_scale));
  if (io) REGIO_TRY_GOTO(regio_io_write_group(w, io));
  REGIO_TRY_GOTO(write_provenance(w, res));
cleanup:
  regio_h5_close(&localisation);
  regio_h5_close(&levels);
  regio_h5_close(&district_scale);
  return err;
}

regio_err_t regio_output_write(const regio_result_t *res, const char *path, const char *temp_path, regio_ctx_t *ctx) {
  return regio_output_write_with_io(res, NULL, path, temp_path, ctx);
}

/* The optional parts of the file, and the national sizes, as numbers that every rank must share in
 * the distributed mode (each rank makes the same HDF5 calls). */
enum { LAYOUT_BITS, LAYOUT_LEVELS, LAYOUT_ACTORS, LAYOUT_DISTRICTS, LAYOUT_REGIONAL, LAYOUT_COUNT };

static void result_layout(const regio_result_t *res, const regio_output_io_t *io, int64_t *layout) {
  const regio_aggregate_t *agg = res->agg;
  int64_t bits = 0;
  const void *optional[] = {agg->district_micro_establishments,
                            res->micro_share,
                            res->district_area,
                            res->establishment_density,
                            res->helix_diversity,
                            res->variety.unrelated,
                            res->n_levels > 0 ? (const void *)res->levels[0].specialisation.krugman : NULL,
                            res->categories,
                            res->categories ? (const void *)res->categories->mixed_use : NULL,
                            res->screen,
                            res->screen ? (const void *)res->screen->value_chain : NULL,
                            io,
                            io ? (const void *)io->regional : NULL,
                            io && io->regional ? (const void *)io->regional->employment_multiplier : NULL};
  int n = (int)(sizeof optional / sizeof optional[0]);
  for (int k = 0; k < n; k++)
    if (optional[k]) bits |= (int64_t)1 << k;
  for (int i = 0; i < res->n_levels; i++) {
    if (res->levels[i].lq_symmetric) bits |= (int64_t)1 << (n + i);
    if (res->levels[i].localisation.hoover) bits |= (int64_t)1 << (n + REGIO_MAX_LEVELS + i);
  }
  layout[LAYOUT_BITS] = bits;
  layout[LAYOUT_LEVELS] = res->n_levels;
  layout[LAYOUT_ACTORS] = agg->n_actors;
  layout[LAYOUT_DISTRICTS] = (int64_t)districts_total(res);
  layout[LAYOUT_REGIONAL] =
      io && io->regional ? (int64_t)(io->n_regional_global ? io->n_regional_global : (size_t)io->regional->n_districts)
                         : 0;
}

/* Distributed mode: the ranks' blocks [offset, offset + count) must tile [0, total) in rank order. */
static regio_err_t check_blocks(regio_dist_t *d, size_t offset, size_t count, size_t total, const char *what,
                                const char *path, regio_ctx_t *ctx) {
  int64_t mine[2] = {(int64_t)offset, (int64_t)count};
  void *all = NULL;
  REGIO_TRY(regio_dist_allgatherv(d, mine, sizeof mine, &all, NULL, NULL, ctx));
  const int64_t *block = all;
  int64_t next = 0;
  int bad_rank = -1;
  for (int r = 0; r < regio_dist_size(d) && bad_rank < 0; r++) {
    if (block[2 * r] != next) bad_rank = r;
    next += block[2 * r + 1];
  }
  if (bad_rank < 0 && next != (int64_t)total) bad_rank = regio_dist_size(d) - 1;
  int64_t bad_offset = bad_rank >= 0 ? block[2 * bad_rank] : 0, bad_count = bad_rank >= 0 ? block[2 * bad_rank + 1] : 0;
  free(all);
  if (bad_rank >= 0)
    return BAD_RESULT(
        "cannot write output file '%s': the ranks' blocks of %s do not tile the %zu of the file (rank %d "
        "holds %lld from %lld)",
        path, what, total, bad_rank, (long long)bad_count, (long long)bad_offset);
  return REGIO_OK;
}

/* Distributed mode: every rank must have the same optional parts and national sizes, and the
 * blocks of districts (and of regional IO districts) must tile the file's. */
static regio_err_t check_ranks(const regio_result_t *res, const regio_output_io_t *io, const char *path,
                               regio_ctx_t *ctx) {
  regio_dist_t *d = regio_ctx_dist(ctx);
  int64_t least[LAYOUT_COUNT], most[LAYOUT_COUNT];
  result_layout(res, io, least);
  memcpy(most, least, sizeof most);
  REGIO_TRY(regio_dist_allreduce_i64(d, least, LAYOUT_COUNT, REGIO_DIST_MIN, NULL, ctx));
  REGIO_TRY(regio_dist_allreduce_i64(d, most, LAYOUT_COUNT, REGIO_DIST_MAX, NULL, ctx));
  if (memcmp(least, most, sizeof least) != 0)
    return BAD_RESULT(
        "cannot write output file '%s': the ranks' results differ in their optional parts or national "
        "sizes (every rank, also one without districts, must hold the same arrays)",
        path);
  REGIO_TRY(
      check_blocks(d, res->district_offset, res->agg->districts.count, districts_total(res), "districts", path, ctx));
  if (io && io->regional)
    REGIO_TRY(check_blocks(d, io->regional_offset, (size_t)io->regional->n_districts,
                           io->n_regional_global ? io->n_regional_global : (size_t)io->regional->n_districts,
                           "regional IO districts", path, ctx));
  return REGIO_OK;
}

regio_err_t regio_output_write_with_io(const regio_result_t *res, const regio_output_io_t *io, const char *path,
                                       const char *temp_path, regio_ctx_t *ctx) {
  regio_dist_t *d = regio_ctx_dist(ctx);
  regio_err_t err = REGIO_OK;
  if (!(path && *path))
    err = REGIO_ERROR(ctx, REGIO_ERR_USAGE, "no output file given");
  else if (!res)
    err = REGIO_ERROR(ctx, REGIO_ERR_INTERNAL, "cannot write output file '%s': no result", path);
  else
    err = check_result(res, path, ctx);
  REGIO_TRY(regio_dist_agree(d, err, ctx));
  if (regio_dist_size(d) > 1) REGIO_TRY(regio_dist_agree(d, check_ranks(res, io, path, ctx), ctx));
  regio_h5_atomic_t out;
  REGIO_TRY(regio_h5_atomic_begin(&out, path, temp_path, ctx));
  err = regio_h5_agree(&out.w, write_contents(&out.w, res, io));
  regio_err_t finished = regio_h5_atomic_finish(&out, err == REGIO_OK);
  if (err == REGIO_OK) err = finished;
  if (err == REGIO_OK) regio_ctx_progress(ctx, "output", 1.0);
  return err;
}
