/* Unit test of the HDF5 result file (src/output): builds a small result by hand, writes it, reads it
 * back with the HDF5 C API and checks shapes, values, strings, attributes and dimension scales;
 * checks that files are byte-identical across writes, that a failed write leaves an existing file
 * intact and removes its temporary file, and the errors for a directory or a missing folder. */
#include <dirent.h>
#include <errno.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "regio/regio.h"
#include "testing.h"

/* ---- a hand-made result ----------------------------------------------------------------------- */

enum { N_DISTRICTS = 3, N_FULL = 3, N_TWO = 2 };
static const char *const district_codes[N_DISTRICTS] = {"01001", "01002", "02000"};
static const char *const full_codes[N_FULL] = {"0111", "0112", "4711"};
static const char *const two_codes[N_TWO] = {"01", "47"};
/* milli-employees; district 02000 has no employment (NaN LQ and variety) */
static const int64_t full_milli[N_DISTRICTS][N_FULL] = {{1000, 2500, 500}, {0, 0, 4000}, {0, 0, 0}};
static const int64_t district_establishments[N_DISTRICTS] = {3, 1, 0};
static const int64_t sector_establishments[N_FULL] = {1, 2, 1};
static const double entropy_values[N_DISTRICTS] = {1.2, 0.0, NAN};
static const double unrelated_values[N_DISTRICTS] = {0.5, 0.0, NAN};
static const double related_values[N_DISTRICTS] = {0.7, 0.0, NAN};

/* From the X-macro list itself, so this test does not depend on the ingest module. */
static const char *const skip_names[REGIO_SKIP_COUNT] = {
#define X_NAME(id, name, text) name,
    REGIO_SKIP_REASONS(X_NAME)
#undef X_NAME
};
static const char *const skip_texts[REGIO_SKIP_COUNT] = {
#define X_TEXT(id, name, text) text,
    REGIO_SKIP_REASONS(X_TEXT)
#undef X_TEXT
};

static void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size);
  if (!p) {
    fprintf(stderr, "out of memory\n");
    exit(6);
  }
  return p;
}

static char *xstrdup(const char *s) {
  char *p = xcalloc(strlen(s) + 1, 1);
  memcpy(p, s, strlen(s));
  return p;
}

static void fill_codes(regio_codes_t *codes, const char *const *strings, size_t n, regio_ctx_t *ctx) {
  size_t width = 1;
  for (size_t i = 0; i < n; i++)
    if (strlen(strings[i]) > width) width = strlen(strings[i]);
  if (regio_codes_init(codes, n, width, ctx) != REGIO_OK) exit(6);
  for (size_t i = 0; i < n; i++) memcpy(codes->chars + i * width, strings[i], strlen(strings[i]));
}

/* The employment matrix of each level of make_result's result, dense, as built there (the result
 * keeps the non-zero cells only). */
static int64_t *level_dense[2];

/* The LQ the file must hold, computed here from the level's dense matrix (the result keeps no LQ
 * matrix). */
static void expected_lq(const regio_level_t *lvl, const int64_t *dense, const int64_t *district_total, int64_t total,
                        size_t n_districts, double *lq) {
  size_t n = lvl->sectors.count;
  for (size_t d = 0; d < n_districts; d++)
    for (size_t s = 0; s < n; s++) {
      double e_d = (double)district_total[d], e_s = (double)lvl->sector_employment[s];
      lq[d * n + s] = (e_d == 0 || e_s == 0) ? NAN : ((double)dense[d * n + s] / e_d) / (e_s / (double)total);
    }
}

/* two_levels: levels "2" and "full" with the variety decomposition; else "full" only.
 * n_districts: N_DISTRICTS or 0. */
static regio_result_t *make_result(int two_levels, size_t n_districts, regio_ctx_t *ctx) {
  regio_result_t *res = xcalloc(1, sizeof *res);
  regio_aggregate_t *agg = xcalloc(1, sizeof *agg);
  res->agg = agg;
  fill_codes(&agg->districts, district_codes, n_districts, ctx);
  fill_codes(&agg->sectors, full_codes, N_FULL, ctx);
  agg->employment = xcalloc(n_districts * N_FULL, sizeof(int64_t));
  agg->district_establishments = xcalloc(n_districts, sizeof(int64_t));
  agg->sector_establishments = xcalloc(N_FULL, sizeof(int64_t));
  res->district_employment = xcalloc(n_districts, sizeof(int64_t));
  for (size_t d = 0; d < n_districts; d++) {
    agg->district_establishments[d] = district_establishments[d];
    for (size_t s = 0; s < N_FULL; s++) {
      agg->employment[d * N_FULL + s] = full_milli[d][s];
      res->district_employment[d] += full_milli[d][s];
      res->total_employment += full_milli[d][s];
    }
  }
  for (size_t s = 0; s < N_FULL; s++) agg->sector_establishments[s] = sector_establishments[s];

  res->n_levels = two_levels ? 2 : 1;
  for (int l = 0; l < res->n_levels; l++) {
    regio_level_t *lvl = &res->levels[l];
    int full = l == res->n_levels - 1;
    lvl->prefix = full ? REGIO_LEVEL_FULL : 2;
    snprintf(lvl->name, sizeof lvl->name, "%s", full ? "full" : "2");
    fill_codes(&lvl->sectors, full ? full_codes : two_codes, full ? N_FULL : N_TWO, ctx);
    size_t n = lvl->sectors.count;
    int64_t *dense = level_dense[l] = xcalloc(n_districts * n, sizeof(int64_t));
    lvl->sector_employment = xcalloc(n, sizeof(int64_t));
    for (size_t d = 0; d < n_districts; d++)
      for (size_t s = 0; s < N_FULL; s++) {
        size_t k = full ? s : (s < 2 ? 0 : 1);
        dense[d * n + k] += full_milli[d][s];
        lvl->sector_employment[k] += full_milli[d][s];
      }
    /* the level's cells: the non-zero entries of each row in order */
    lvl->cell_start = xcalloc(n_districts + 1, sizeof *lvl->cell_start);
    lvl->cell_sector = xcalloc(n_districts * n, sizeof *lvl->cell_sector);
    lvl->cell_employment = xcalloc(n_districts * n, sizeof *lvl->cell_employment);
    size_t cells = 0;
    for (size_t d = 0; d < n_districts; d++) {
      for (size_t k = 0; k < n; k++)
        if (dense[d * n + k]) {
          lvl->cell_sector[cells] = (uint32_t)k;
          lvl->cell_employment[cells++] = dense[d * n + k];
        }
      lvl->cell_start[d + 1] = cells;
    }
  }

  res->variety.fine_level = res->n_levels - 1;
  res->variety.coarse_level = two_levels ? 0 : -1;
  res->variety.entropy = xcalloc(n_districts, sizeof(double));
  memcpy(res->variety.entropy, entropy_values, n_districts * sizeof(double));
  if (two_levels) {
    res->variety.unrelated = xcalloc(n_districts, sizeof(double));
    res->variety.related = xcalloc(n_districts, sizeof(double));
    memcpy(res->variety.unrelated, unrelated_values, n_districts * sizeof(double));
    memcpy(res->variety.related, related_values, n_districts * sizeof(double));
  }

  agg->n_inputs = 1;
  agg->inputs = xcalloc(1, sizeof *agg->inputs);
  regio_input_stats_t *in = &agg->inputs[0];
  in->path = xstrdup("data/establishments_2023.csv");
  in->bytes = 123456;
  memset(in->sha256, 'a', 64);
  in->sha256[64] = '\0';
  in->rows_read = 10;
  in->rows_used = 7;
  in->skipped[REGIO_SKIP_SECTOR_DIGITS] = 2;
  in->first_skipped_line[REGIO_SKIP_SECTOR_DIGITS] = 3;
  in->skipped[REGIO_SKIP_BAD_EMPLOYEES] = 1;
  in->first_skipped_line[REGIO_SKIP_BAD_EMPLOYEES] = 9;
  in->delimiter = ',';

  res->command_line = xstrdup("regio run --levels 2,full data/establishments_2023.csv -o out.h5");
  res->config_ini = xstrdup("[input]\ndelimiter = ,\n\n[levels]\nlevels = 2,full\n");
  return res;
}

static void free_result(regio_result_t **resp) {
  regio_result_t *res = *resp;
  if (!res) return;
  regio_aggregate_t *agg = res->agg;
  regio_codes_free(&agg->districts);
  regio_codes_free(&agg->sectors);
  free(agg->employment);
  free(agg->district_establishments);
  free(agg->sector_establishments);
  for (size_t i = 0; i < agg->n_inputs; i++) free(agg->inputs[i].path);
  free(agg->inputs);
  free(agg);
  for (int l = 0; l < res->n_levels; l++) {
    regio_codes_free(&res->levels[l].sectors);
    free(res->levels[l].cell_start);
    free(res->levels[l].cell_sector);
    free(res->levels[l].cell_employment);
    free(level_dense[l]);
    level_dense[l] = NULL;
    free(res->levels[l].sector_employment);
  }
  free(res->variety.entropy);
  free(res->variety.unrelated);
  free(res->variety.related);
  free(res->district_employment);
  free(res->command_line);
  free(res->config_ini);
  free(res);
  *resp = NULL;
}

/* ---- reading back ----------------------------------------------------------------------------- */

static int exists(hid_t file, const char *path) {
  return H5Lexists(file, path, H5P_DEFAULT) > 0;
}

/* Shape of a dataset; returns its rank, or -1. */
static int shape(hid_t file, const char *path, hsize_t dims[2]) {
  hid_t dset = H5Dopen2(file, path, H5P_DEFAULT);
  if (dset < 0) return -1;
  hid_t space = H5Dget_space(dset);
  int rank = H5Sget_simple_extent_ndims(space);
  dims[0] = dims[1] = 0;
  if (rank >= 0 && rank <= 2) H5Sget_simple_extent_dims(space, dims, NULL);
  H5Sclose(space);
  H5Dclose(dset);
  return rank;
}

static int read_numbers(hid_t file, const char *path, hid_t mem_type, void *buf) {
  hid_t dset = H5Dopen2(file, path, H5P_DEFAULT);
  if (dset < 0) return -1;
  herr_t rc = H5Dread(dset, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
  H5Dclose(dset);
  return rc < 0 ? -1 : 0;
}

/* Checks a fixed-length NUL-padded UTF-8 string dataset against expected strings. */
static void check_strings(hid_t file, const char *path, const char *const *expected, size_t n) {
  hid_t dset = H5Dopen2(file, path, H5P_DEFAULT);
  CHECKF(dset >= 0, "open %s", path);
  if (dset < 0) return;
  hid_t type = H5Dget_type(dset);
  CHECKF(H5Tget_class(type) == H5T_STRING, "%s is a string dataset", path);
  CHECKF(!H5Tis_variable_str(type), "%s has fixed-length strings", path);
  CHECKF(H5Tget_strpad(type) == H5T_STR_NULLPAD, "%s is NUL-padded", path);
  CHECKF(H5Tget_cset(type) == H5T_CSET_UTF8, "%s is UTF-8", path);
  size_t width = H5Tget_size(type);
  hsize_t dims[2];
  CHECKF(shape(file, path, dims) == 1 && dims[0] == n, "%s has %zu strings, not %llu", path, n,
         (unsigned long long)dims[0]);
  if (dims[0] == n && n > 0) {
    char *buf = xcalloc(n, width);
    CHECKF(H5Dread(dset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0, "read %s", path);
    for (size_t i = 0; i < n; i++) {
      size_t len = strnlen(buf + i * width, width);
      CHECKF(len == strlen(expected[i]) && memcmp(buf + i * width, expected[i], len) == 0,
             "%s[%zu] = '%.*s', expected '%s'", path, i, (int)len, buf + i * width, expected[i]);
    }
    free(buf);
  }
  H5Tclose(type);
  H5Dclose(dset);
}

/* A variable-length string attribute of object path; "" and a failed check when absent. */
static void check_attr_string(hid_t file, const char *path, const char *name, const char *expected) {
  char *value = NULL;
  hid_t attr = H5Aopen_by_name(file, path, name, H5P_DEFAULT, H5P_DEFAULT);
  CHECKF(attr >= 0, "attribute %s of %s exists", name, path);
  if (attr < 0) return;
  hid_t type = H5Aget_type(attr);
  CHECKF(H5Tis_variable_str(type) > 0, "attribute %s of %s is a variable-length string", name, path);
  hid_t mem = H5Tcopy(H5T_C_S1);
  H5Tset_size(mem, H5T_VARIABLE);
  H5Tset_cset(mem, H5T_CSET_UTF8);
  CHECKF(H5Aread(attr, mem, &value) >= 0, "read attribute %s of %s", name, path);
  if (expected)
    CHECKF(value && strcmp(value, expected) == 0, "attribute %s of %s = '%s', expected '%s'", name, path,
           value ? value : "(null)", expected);
  else
    CHECKF(value && strlen(value) > 0, "attribute %s of %s is not empty", name, path);
  H5free_memory(value);
  H5Tclose(mem);
  H5Tclose(type);
  H5Aclose(attr);
}

static void check_attr_int(hid_t file, const char *path, const char *name, int expected) {
  int value = -12345;
  hid_t attr = H5Aopen_by_name(file, path, name, H5P_DEFAULT, H5P_DEFAULT);
  CHECKF(attr >= 0, "attribute %s of %s exists", name, path);
  if (attr < 0) return;
  CHECKF(H5Aread(attr, H5T_NATIVE_INT, &value) >= 0, "read attribute %s of %s", name, path);
  CHECKF(value == expected, "attribute %s of %s = %d, expected %d", name, path, value, expected);
  H5Aclose(attr);
}

static void check_scale(hid_t file, const char *path, int dim, const char *scale_path) {
  hid_t dset = H5Dopen2(file, path, H5P_DEFAULT);
  hid_t scale = H5Dopen2(file, scale_path, H5P_DEFAULT);
  CHECKF(dset >= 0 && scale >= 0, "open %s and %s", path, scale_path);
  if (dset >= 0 && scale >= 0) {
    CHECKF(H5DSis_scale(scale) > 0, "%s is a dimension scale", scale_path);
    CHECKF(H5DSis_attached(dset, scale, (unsigned)dim) > 0, "%s is attached to dim %d of %s", scale_path, dim, path);
  }
  if (scale >= 0) H5Dclose(scale);
  if (dset >= 0) H5Dclose(dset);
}

static int same_double(double a, double b) {
  return (isnan(a) && isnan(b)) || a == b;
}

/* Layout of a matrix: chunked with shuffle + deflate. */
static void check_compressed(hid_t file, const char *path) {
  hid_t dset = H5Dopen2(file, path, H5P_DEFAULT);
  if (dset < 0) return;
  hid_t dcpl = H5Dget_create_plist(dset);
  CHECKF(H5Pget_layout(dcpl) == H5D_CHUNKED, "%s is chunked", path);
  int n_filters = H5Pget_nfilters(dcpl);
  int shuffle = 0, deflate = 0;
  for (int i = 0; i < n_filters; i++) {
    unsigned flags = 0, cd[8];
    size_t n_cd = 8;
    H5Z_filter_t f = H5Pget_filter2(dcpl, (unsigned)i, &flags, &n_cd, cd, 0, NULL, NULL);
    if (f == H5Z_FILTER_SHUFFLE) shuffle = 1;
    if (f == H5Z_FILTER_DEFLATE) deflate = 1;
  }
  CHECKF(shuffle && deflate, "%s has shuffle and deflate filters", path);
  H5Pclose(dcpl);
  H5Dclose(dset);
}

static void check_file(const char *path, const regio_result_t *res) {
  hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  CHECKF(file >= 0, "open %s", path);
  if (file < 0) return;
  size_t n_districts = res->agg->districts.count;
  hsize_t dims[2];

  check_attr_int(file, "/", "schema_version", 1);
  check_attr_string(file, "/", "generator", "regio " REGIO_VERSION_STRING);

  /* districts */
  check_strings(file, "/districts/code", district_codes, n_districts);
  CHECKF(shape(file, "/districts/employment", dims) == 1 && dims[0] == n_districts, "districts/employment shape");
  double values[64];
  int64_t integers[64];
  if (n_districts > 0) {
    CHECKF(read_numbers(file, "/districts/employment", H5T_NATIVE_DOUBLE, values) == 0, "read");
    CHECKF(values[0] == 4.0 && values[1] == 4.0 && values[2] == 0.0, "district employment %g %g %g", values[0],
           values[1], values[2]);
    CHECKF(read_numbers(file, "/districts/establishments", H5T_NATIVE_INT64, integers) == 0, "read");
    CHECKF(integers[0] == 3 && integers[1] == 1 && integers[2] == 0, "district establishments");
  }
  check_scale(file, "/districts/employment", 0, "/districts/code");
  check_scale(file, "/districts/establishments", 0, "/districts/code");
  check_attr_string(file, "/districts/employment", "description", NULL);
  check_attr_string(file, "/districts/employment", "units", "employees");
  check_attr_string(file, "/districts/code", "description", NULL);

  /* levels */
  for (int l = 0; l < res->n_levels; l++) {
    const regio_level_t *lvl = &res->levels[l];
    size_t n = lvl->sectors.count;
    char p[128], scale[128];
    snprintf(scale, sizeof scale, "/levels/%s/sectors/code", lvl->name);
    const char *expect_codes[8];
    for (size_t s = 0; s < n; s++) expect_codes[s] = n == N_FULL ? full_codes[s] : two_codes[s];
    check_strings(file, scale, expect_codes, n);
    snprintf(p, sizeof p, "/levels/%s", lvl->name);
    check_attr_int(file, p, "prefix", lvl->prefix);

    snprintf(p, sizeof p, "/levels/%s/sectors/employment", lvl->name);
    CHECKF(shape(file, p, dims) == 1 && dims[0] == n, "%s shape", p);
    CHECKF(read_numbers(file, p, H5T_NATIVE_DOUBLE, values) == 0, "read %s", p);
    for (size_t s = 0; s < n; s++)
      CHECKF(values[s] == (double)lvl->sector_employment[s] / 1000.0, "%s[%zu] = %g", p, s, values[s]);
    check_scale(file, p, 0, scale);

    snprintf(p, sizeof p, "/levels/%s/sectors/establishments", lvl->name);
    CHECKF(read_numbers(file, p, H5T_NATIVE_INT64, integers) == 0, "read %s", p);
    if (n == N_FULL)
      CHECKF(integers[0] == 1 && integers[1] == 2 && integers[2] == 1, "%s", p);
    else if (n == N_TWO)
      CHECKF(integers[0] == 3 && integers[1] == 1, "%s = %lld %lld", p, (long long)integers[0], (long long)integers[1]);

    snprintf(p, sizeof p, "/levels/%s/employment", lvl->name);
    CHECKF(shape(file, p, dims) == 2 && dims[0] == n_districts && dims[1] == n, "%s shape", p);
    if (n_districts > 0) {
      CHECKF(read_numbers(file, p, H5T_NATIVE_DOUBLE, values) == 0, "read %s", p);
      for (size_t k = 0; k < n_districts * n; k++)
        CHECKF(values[k] == (double)level_dense[l][k] / 1000.0, "%s[%zu] = %g", p, k, values[k]);
      check_compressed(file, p);
    }
    check_scale(file, p, 0, "/districts/code");
    check_scale(file, p, 1, scale);
    check_attr_string(file, p, "units", "employees");

    snprintf(p, sizeof p, "/levels/%s/lq", lvl->name);
    CHECKF(shape(file, p, dims) == 2 && dims[0] == n_districts && dims[1] == n, "%s shape", p);
    if (n_districts > 0) {
      CHECKF(read_numbers(file, p, H5T_NATIVE_DOUBLE, values) == 0, "read %s", p);
      double *lq = xcalloc(n_districts * n, sizeof *lq);
      expected_lq(lvl, level_dense[l], res->district_employment, res->total_employment, n_districts, lq);
      for (size_t k = 0; k < n_districts * n; k++)
        CHECKF(same_double(values[k], lq[k]), "%s[%zu] = %g, expected %g", p, k, values[k], lq[k]);
      free(lq);
      CHECKF(isnan(values[2 * n]), "LQ of the district without employment is NaN");
      check_compressed(file, p);
    }
    check_scale(file, p, 0, "/districts/code");
    check_scale(file, p, 1, scale);
    check_attr_string(file, p, "description", NULL);
  }

  /* variety */
  const char *fine = res->levels[res->variety.fine_level].name;
  check_attr_string(file, "/variety/entropy", "fine_level", fine);
  check_attr_int(file, "/variety/entropy", "log_base", 2);
  check_scale(file, "/variety/entropy", 0, "/districts/code");
  CHECKF(shape(file, "/variety/entropy", dims) == 1 && dims[0] == n_districts, "entropy shape");
  if (n_districts > 0) {
    CHECKF(read_numbers(file, "/variety/entropy", H5T_NATIVE_DOUBLE, values) == 0, "read entropy");
    for (size_t d = 0; d < n_districts; d++) CHECKF(same_double(values[d], entropy_values[d]), "entropy[%zu]", d);
  }
  if (res->variety.unrelated) {
    check_attr_string(file, "/variety/related", "coarse_level", res->levels[res->variety.coarse_level].name);
    check_attr_string(file, "/variety/unrelated", "fine_level", fine);
    check_attr_int(file, "/variety/related", "log_base", 2);
    check_scale(file, "/variety/related", 0, "/districts/code");
    if (n_districts > 0) {
      CHECKF(read_numbers(file, "/variety/related", H5T_NATIVE_DOUBLE, values) == 0, "read related");
      for (size_t d = 0; d < n_districts; d++) CHECKF(same_double(values[d], related_values[d]), "related[%zu]", d);
      CHECKF(read_numbers(file, "/variety/unrelated", H5T_NATIVE_DOUBLE, values) == 0, "read unrelated");
      for (size_t d = 0; d < n_districts; d++) CHECKF(same_double(values[d], unrelated_values[d]), "unrelated[%zu]", d);
    }
    CHECKF(H5Aexists_by_name(file, "/variety", "note", H5P_DEFAULT) == 0, "no note when decomposed");
  } else {
    CHECKF(!exists(file, "/variety/related") && !exists(file, "/variety/unrelated"), "no decomposition");
    check_attr_string(file, "/variety", "note", NULL);
  }

  /* provenance */
  check_attr_string(file, "/provenance", "regio_version", REGIO_VERSION_STRING);
  check_attr_int(file, "/provenance", "schema_version", 1);
  check_attr_string(file, "/provenance", "command_line", res->command_line);
  check_attr_string(file, "/provenance", "config", res->config_ini);
  check_attr_string(file, "/provenance", "hdf5_version", NULL);
  const char *names[REGIO_SKIP_COUNT], *texts[REGIO_SKIP_COUNT];
  for (int r = 0; r < REGIO_SKIP_COUNT; r++) {
    names[r] = skip_names[r];
    texts[r] = skip_texts[r];
  }
  check_strings(file, "/provenance/skip_reasons", names, REGIO_SKIP_COUNT);
  check_strings(file, "/provenance/skip_reason_descriptions", texts, REGIO_SKIP_COUNT);
  const char *paths[1] = {res->agg->inputs[0].path};
  const char *sums[1] = {res->agg->inputs[0].sha256};
  check_strings(file, "/provenance/inputs/path", paths, 1);
  check_strings(file, "/provenance/inputs/sha256", sums, 1);
  CHECKF(read_numbers(file, "/provenance/inputs/bytes", H5T_NATIVE_INT64, integers) == 0 && integers[0] == 123456,
         "bytes");
  CHECKF(read_numbers(file, "/provenance/inputs/rows_read", H5T_NATIVE_INT64, integers) == 0 && integers[0] == 10,
         "rows_read");
  CHECKF(read_numbers(file, "/provenance/inputs/rows_used", H5T_NATIVE_INT64, integers) == 0 && integers[0] == 7,
         "rows_used");
  CHECKF(shape(file, "/provenance/inputs/rows_skipped", dims) == 2 && dims[0] == 1 && dims[1] == REGIO_SKIP_COUNT,
         "rows_skipped shape");
  CHECKF(read_numbers(file, "/provenance/inputs/rows_skipped", H5T_NATIVE_INT64, integers) == 0, "read");
  for (int r = 0; r < REGIO_SKIP_COUNT; r++)
    CHECKF(integers[r] == res->agg->inputs[0].skipped[r], "rows_skipped[%d] = %lld", r, (long long)integers[r]);
  CHECKF(read_numbers(file, "/provenance/inputs/first_skipped_line", H5T_NATIVE_INT64, integers) == 0, "read");
  for (int r = 0; r < REGIO_SKIP_COUNT; r++)
    CHECKF(integers[r] == res->agg->inputs[0].first_skipped_line[r], "first_skipped_line[%d]", r);
  check_scale(file, "/provenance/inputs/rows_skipped", 0, "/provenance/inputs/path");
  check_scale(file, "/provenance/inputs/rows_skipped", 1, "/provenance/skip_reasons");

  H5Fclose(file);
}

/* ---- files ------------------------------------------------------------------------------------ */

static char *slurp(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = xcalloc((size_t)n + 1, 1);
  size_t got = fread(buf, 1, (size_t)n, f);
  fclose(f);
  *size = got;
  return buf;
}

static int same_bytes(const char *a, const char *b) {
  size_t na = 0, nb = 0;
  char *ba = slurp(a, &na), *bb = slurp(b, &nb);
  int same = ba && bb && na == nb && memcmp(ba, bb, na) == 0;
  free(ba);
  free(bb);
  return same;
}

/* Number of entries in dir whose name contains ".tmp". */
static int count_temp_files(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (strstr(e->d_name, ".tmp")) n++;
  closedir(d);
  return n;
}

static void remove_tree(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  char p[4096];
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    struct stat st;
    if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
      remove_tree(p);
    else
      unlink(p);
  }
  closedir(d);
  rmdir(dir);
}

/* Progress callback that sabotages the file half-way: it creates /levels before the writer does,
 * so the writer's H5Gcreate2 fails and the error path runs with the file open. */
static void sabotage(void *user, const char *phase, double fraction) {
  (void)user;
  if (strcmp(phase, "output") != 0 || fraction >= 1.0) return;
  ssize_t n = H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_FILE);
  if (n <= 0) return;
  hid_t ids[8];
  n = H5Fget_obj_ids(H5F_OBJ_ALL, H5F_OBJ_FILE, 8, ids);
  for (ssize_t i = 0; i < n; i++) {
    H5E_BEGIN_TRY {
      hid_t g = H5Gcreate2(ids[i], "levels", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      if (g >= 0) H5Gclose(g);
    }
    H5E_END_TRY;
  }
}

int main(void) {
  regio_ctx_t *ctx = NULL;
  if (regio_ctx_create(&ctx) != REGIO_OK) return 6;
  char dir[256], out[512], out2[512], temp[512], subdir[512];
  snprintf(dir, sizeof dir, "test_output.dir.%ld", (long)getpid());
  remove_tree(dir);
  if (mkdir(dir, 0777) != 0) {
    fprintf(stderr, "cannot create %s: %s\n", dir, strerror(errno));
    return 1;
  }
  snprintf(out, sizeof out, "%s/out.h5", dir);
  snprintf(out2, sizeof out2, "%s/out2.h5", dir);

  /* 1. two levels, three districts */
  regio_result_t *res = make_result(1, N_DISTRICTS, ctx);
  regio_err_t err = regio_output_write(res, out, NULL, ctx);
  CHECKF(err == REGIO_OK, "write %s: %s", out, regio_ctx_message(ctx));
  CHECKF(count_temp_files(dir) == 0, "no temporary file left behind");
  check_file(out, res);

  /* 2. byte-identical output, also when written over an existing file */
  err = regio_output_write(res, out2, NULL, ctx);
  CHECKF(err == REGIO_OK, "write %s: %s", out2, regio_ctx_message(ctx));
  CHECKF(same_bytes(out, out2), "two writes of the same result are byte-identical");
  err = regio_output_write(res, out2, NULL, ctx);
  CHECKF(err == REGIO_OK, "overwrite %s: %s", out2, regio_ctx_message(ctx));
  CHECKF(same_bytes(out, out2), "an overwrite gives the same bytes");

  /* 3. a failure before the file is created leaves the old file alone */
  snprintf(temp, sizeof temp, "%s/missing/out.h5.tmp", dir);
  regio_ctx_clear(ctx);
  err = regio_output_write(res, out2, temp, ctx);
  CHECKF(err == REGIO_ERR_IO, "temp file in a missing folder fails with REGIO_ERR_IO (got %d)", (int)err);
  CHECKF(strstr(regio_ctx_message(ctx), "cannot create output file") && strstr(regio_ctx_message(ctx), temp) &&
             strstr(regio_ctx_message(ctx), "No such file or directory"),
         "message: %s", regio_ctx_message(ctx));
  printf("expected error: %s\n", regio_ctx_message(ctx));
  CHECKF(same_bytes(out, out2), "the existing file is intact");

  /* 4. a failure half-way through removes the temporary file and leaves the old file alone */
  regio_ctx_set_progress(ctx, sabotage, NULL);
  regio_ctx_clear(ctx);
  err = regio_output_write(res, out2, NULL, ctx);
  regio_ctx_set_progress(ctx, NULL, NULL);
  CHECKF(err == REGIO_ERR_IO, "sabotaged write fails with REGIO_ERR_IO (got %d)", (int)err);
  CHECKF(strstr(regio_ctx_message(ctx), out2) && strstr(regio_ctx_message(ctx), "H5Gcreate2") &&
             strstr(regio_ctx_message(ctx), "'/levels'"),
         "message names the file, the call and the group: %s", regio_ctx_message(ctx));
  printf("expected error: %s\n", regio_ctx_message(ctx));
  CHECKF(count_temp_files(dir) == 0, "the temporary file was removed");
  CHECKF(same_bytes(out, out2), "the existing file is intact after a failed write");
  CHECKF(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) == 0, "no HDF5 object left open (%ld)",
         (long)H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL));

  /* 5. an existing temporary file is not overwritten */
  snprintf(temp, sizeof temp, "%s/taken.tmp", dir);
  FILE *f = fopen(temp, "w");
  if (f) fclose(f);
  regio_ctx_clear(ctx);
  err = regio_output_write(res, out2, temp, ctx);
  CHECKF(err == REGIO_ERR_IO && strstr(regio_ctx_message(ctx), "File exists"), "existing temp file: %s",
         regio_ctx_message(ctx));
  struct stat st;
  printf("expected error: %s\n", regio_ctx_message(ctx));
  CHECKF(stat(temp, &st) == 0, "someone else's temporary file is not removed");
  unlink(temp);

  /* 6. a directory as output path */
  snprintf(subdir, sizeof subdir, "%s/adir.h5", dir);
  mkdir(subdir, 0777);
  regio_ctx_clear(ctx);
  err = regio_output_write(res, subdir, NULL, ctx);
  CHECKF(err == REGIO_ERR_IO, "directory as output fails with REGIO_ERR_IO (got %d)", (int)err);
  CHECKF(strstr(regio_ctx_message(ctx), subdir) && strstr(regio_ctx_message(ctx), "directory"), "message: %s",
         regio_ctx_message(ctx));
  printf("expected error: %s\n", regio_ctx_message(ctx));
  CHECKF(count_temp_files(dir) == 0, "no temporary file after the directory error");
  free_result(&res);

  /* 7. one level only: entropy without decomposition, and a note */
  char one_level[512];
  snprintf(one_level, sizeof one_level, "%s/one_level.h5", dir);
  res = make_result(0, N_DISTRICTS, ctx);
  err = regio_output_write(res, one_level, NULL, ctx);
  CHECKF(err == REGIO_OK, "write one level: %s", regio_ctx_message(ctx));
  check_file(one_level, res);
  free_result(&res);

  /* 8. no districts at all (out2.h5 keeps the two-level file) */
  res = make_result(1, 0, ctx);
  err = regio_output_write(res, out, NULL, ctx);
  CHECKF(err == REGIO_OK, "write zero districts: %s", regio_ctx_message(ctx));
  check_file(out, res);

  /* 9. nothing at all: no districts and no sectors (an input without data rows) */
  res->agg->sectors.count = 0;
  for (int l = 0; l < res->n_levels; l++) res->levels[l].sectors.count = 0;
  err = regio_output_write(res, out, NULL, ctx);
  CHECKF(err == REGIO_OK, "write an empty result: %s", regio_ctx_message(ctx));
  check_file(out, res);
  free_result(&res);

  /* REGIO_TEST_KEEP=1 keeps the folder (with the zero-district file as out.h5 and the one-level file
   * as one_level.h5) for looking at with h5dump or h5py. */
  if (!getenv("REGIO_TEST_KEEP")) remove_tree(dir);
  regio_ctx_destroy(&ctx);
  return test_summary("test_output");
}
