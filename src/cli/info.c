/* `regio info FILE.h5`: a readable summary of a result file (schema in docs/SCHEMA.md).
 *
 * Reads the file with the HDF5 C API directly; errors go to stderr with exit code 5 (REGIO_ERR_IO)
 * for a missing, unreadable or non-regio file and 2 (REGIO_ERR_USAGE) for a bad command line. */
#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "regio/error.h"
#include "regio/output.h"
#include "regio/screen.h"

#define TOP_N 5
#define LQ_MIN_EMPLOYMENT 10.0
/* Rows of the finest level's matrices read at a time: about 8 MiB per matrix. */
#define BLOCK_ELEMENTS ((size_t)1 << 20)

typedef struct info {
  const char *path;
  hid_t file;
} info_t;

typedef struct top_entry {
  double value;
  size_t district, sector;
  double employment;
} top_entry_t;

static void usage(FILE *out) {
  fprintf(out,
          "usage: regio info FILE.h5\n"
          "Prints a summary of a regio result file: districts, sector levels, employment, inputs and\n"
          "skipped rows, variety, and the highest related variety and location quotients.\n");
}

static herr_t innermost_cb(unsigned n, const H5E_error2_t *e, void *data) {
  if (n == 0 && e->desc) snprintf((char *)data, 512, "%s", e->desc);
  return 0;
}

/* Reports that `what` could not be read, with HDF5's innermost message; returns the exit code. */
static int fail(const info_t *in, const char *what) {
  char inner[512] = "";
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost_cb, inner);
  H5Eclear2(H5E_DEFAULT);
  fprintf(stderr, "regio info: '%s': cannot read %s%s%s\n", in->path, what, inner[0] ? ": " : "", inner);
  return REGIO_ERR_IO;
}

static int exists(const info_t *in, const char *path) {
  /* H5Lexists fails when an intermediate group is missing; that also means "no". */
  const char *p = path;
  char prefix[256];
  while ((p = strchr(p + 1, '/')) != NULL) {
    size_t len = (size_t)(p - path);
    if (len >= sizeof prefix) return 0;
    memcpy(prefix, path, len);
    prefix[len] = '\0';
    if (H5Lexists(in->file, prefix, H5P_DEFAULT) <= 0) return 0;
  }
  return H5Lexists(in->file, path, H5P_DEFAULT) > 0;
}

/* A scalar string attribute (variable- or fixed-length) into buf; -1 when absent or unreadable. */
static int attr_string(const info_t *in, const char *object, const char *name, char *buf, size_t size) {
  int rc = -1;
  buf[0] = '\0';
  if (H5Aexists_by_name(in->file, object, name, H5P_DEFAULT) <= 0) return -1;
  hid_t attr = H5Aopen_by_name(in->file, object, name, H5P_DEFAULT, H5P_DEFAULT);
  hid_t type = attr >= 0 ? H5Aget_type(attr) : -1;
  if (type < 0 || H5Tget_class(type) != H5T_STRING) goto done;
  if (H5Tis_variable_str(type) > 0) {
    /* Read with the file's own type: HDF5 does not convert between ASCII and UTF-8. */
    char *value = NULL;
    if (H5Aread(attr, type, &value) >= 0) {
      snprintf(buf, size, "%s", value ? value : "");
      rc = 0;
    }
    H5free_memory(value);
  } else {
    size_t width = H5Tget_size(type);
    char *value = calloc(width + 1, 1);
    if (value && H5Aread(attr, type, value) >= 0) {
      snprintf(buf, size, "%s", value);
      rc = 0;
    }
    free(value);
  }
done:
  if (type >= 0) H5Tclose(type);
  if (attr >= 0) H5Aclose(attr);
  return rc;
}

static int attr_number(const info_t *in, const char *object, const char *name, hid_t mem_type, void *value) {
  if (H5Aexists_by_name(in->file, object, name, H5P_DEFAULT) <= 0) return -1;
  hid_t attr = H5Aopen_by_name(in->file, object, name, H5P_DEFAULT, H5P_DEFAULT);
  if (attr < 0) return -1;
  herr_t rc = H5Aread(attr, mem_type, value);
  H5Aclose(attr);
  return rc < 0 ? -1 : 0;
}

/* Shape of a dataset of rank <= 2 (dims[1] = 1 for rank 1); -1 when unreadable. */
static int shape(const info_t *in, const char *path, hsize_t dims[2]) {
  dims[0] = dims[1] = 1;
  hid_t dset = H5Dopen2(in->file, path, H5P_DEFAULT);
  if (dset < 0) return -1;
  hid_t space = H5Dget_space(dset);
  int rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
  if (rank >= 1 && rank <= 2)
    H5Sget_simple_extent_dims(space, dims, NULL);
  else
    rank = -1;
  if (space >= 0) H5Sclose(space);
  H5Dclose(dset);
  return rank;
}

/* Reads a whole numeric dataset of n elements; NULL on failure (n = 0 gives a valid buffer). */
static void *read_all(const info_t *in, const char *path, hid_t mem_type, size_t elem_size, size_t *n) {
  hsize_t dims[2];
  if (shape(in, path, dims) < 0) return NULL;
  size_t count = (size_t)(dims[0] * dims[1]);
  void *buf = calloc(count ? count : 1, elem_size);
  hid_t dset = H5Dopen2(in->file, path, H5P_DEFAULT);
  if (!buf || dset < 0 || (count > 0 && H5Dread(dset, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)) {
    free(buf);
    buf = NULL;
  }
  if (dset >= 0) H5Dclose(dset);
  *n = count;
  return buf;
}

/* Reads a fixed-length string dataset: n slots of *width bytes (not NUL-terminated). */
static char *read_strings(const info_t *in, const char *path, size_t *width, size_t *n) {
  hsize_t dims[2];
  if (shape(in, path, dims) != 1) return NULL;
  hid_t dset = H5Dopen2(in->file, path, H5P_DEFAULT);
  hid_t type = dset >= 0 ? H5Dget_type(dset) : -1;
  char *buf = NULL;
  if (type >= 0 && H5Tget_class(type) == H5T_STRING && H5Tis_variable_str(type) == 0) {
    *width = H5Tget_size(type);
    *n = (size_t)dims[0];
    buf = calloc(*n ? *n : 1, *width);
    if (buf && *n > 0 && H5Dread(dset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
      free(buf);
      buf = NULL;
    }
  }
  if (type >= 0) H5Tclose(type);
  if (dset >= 0) H5Dclose(dset);
  return buf;
}

static int slot_len(const char *slots, size_t width, size_t i) {
  const char *s = slots + i * width;
  const char *nul = memchr(s, '\0', width);
  return (int)(nul ? (size_t)(nul - s) : width);
}

/* Employment with at most three decimals and no trailing zeros. */
static void format_employment(double value, char *buf, size_t size) {
  snprintf(buf, size, "%.3f", value);
  char *dot = strchr(buf, '.');
  if (!dot) return;
  char *end = buf + strlen(buf);
  while (end > dot + 1 && end[-1] == '0') *--end = '\0';
  if (end == dot + 1) *dot = '\0';
}

/* Keeps the n largest values, earlier entries first among equals. */
static void top_insert(top_entry_t *top, int *count, top_entry_t entry) {
  if (isnan(entry.value)) return;
  if (*count == TOP_N && !(entry.value > top[TOP_N - 1].value)) return;
  int i = *count < TOP_N ? (*count)++ : TOP_N - 1;
  while (i > 0 && entry.value > top[i - 1].value) {
    top[i] = top[i - 1];
    i--;
  }
  top[i] = entry;
}

typedef struct level_info {
  char name[32];
  int prefix;
  size_t n_sectors;
} level_info_t;

typedef struct level_list {
  level_info_t levels[16];
  int count;
} level_list_t;

static herr_t collect_level(hid_t group, const char *name, const H5L_info_t *linfo, void *data) {
  (void)group;
  (void)linfo;
  level_list_t *list = data;
  if (list->count < 16 && strlen(name) < sizeof list->levels[0].name) {
    snprintf(list->levels[list->count].name, sizeof list->levels[0].name, "%s", name);
    list->count++;
  }
  return 0;
}

/* Coarse to fine: ascending prefix, the full codes (prefix 0) last. */
static int level_cmp(const void *a, const void *b) {
  const level_info_t *x = a, *y = b;
  long kx = x->prefix == 0 ? 1L << 30 : x->prefix, ky = y->prefix == 0 ? 1L << 30 : y->prefix;
  if (kx != ky) return kx < ky ? -1 : 1;
  return strcmp(x->name, y->name);
}

static int print_inputs(const info_t *in) {
  int rc = REGIO_ERR_IO;
  size_t n = 0, width = 0, sum_width = 0, n_sums = 0, n_reasons = 0, reason_width = 0, n1, n2, n3, n4, n5;
  char *paths = read_strings(in, "/provenance/inputs/path", &width, &n);
  char *sums = read_strings(in, "/provenance/inputs/sha256", &sum_width, &n_sums);
  char *reasons = read_strings(in, "/provenance/skip_reasons", &reason_width, &n_reasons);
  int64_t *bytes = read_all(in, "/provenance/inputs/bytes", H5T_NATIVE_INT64, sizeof(int64_t), &n1);
  int64_t *read = read_all(in, "/provenance/inputs/rows_read", H5T_NATIVE_INT64, sizeof(int64_t), &n2);
  int64_t *used = read_all(in, "/provenance/inputs/rows_used", H5T_NATIVE_INT64, sizeof(int64_t), &n3);
  int64_t *skipped = read_all(in, "/provenance/inputs/rows_skipped", H5T_NATIVE_INT64, sizeof(int64_t), &n4);
  int64_t *first = read_all(in, "/provenance/inputs/first_skipped_line", H5T_NATIVE_INT64, sizeof(int64_t), &n5);
  if (!paths || !sums || !reasons || !bytes || !read || !used || !skipped || !first || n_sums != n || n1 != n ||
      n2 != n || n3 != n || n4 != n * n_reasons || n5 != n * n_reasons) {
    rc = fail(in, "the input statistics in /provenance");
    goto done;
  }
  printf("inputs:            %zu file%s\n", n, n == 1 ? "" : "s");
  for (size_t i = 0; i < n; i++) {
    printf("  %.*s  (%lld bytes", slot_len(paths, width, i), paths + i * width, (long long)bytes[i]);
    if (slot_len(sums, sum_width, i) > 0) printf(", sha256 %.*s", slot_len(sums, sum_width, i), sums + i * sum_width);
    printf(")\n");
    int64_t total_skipped = 0;
    for (size_t r = 0; r < n_reasons; r++) total_skipped += skipped[i * n_reasons + r];
    printf("    rows read %lld, used %lld, skipped %lld\n", (long long)read[i], (long long)used[i],
           (long long)total_skipped);
    for (size_t r = 0; r < n_reasons; r++) {
      int64_t k = skipped[i * n_reasons + r];
      if (k == 0) continue;
      printf("      %-20.*s %lld", slot_len(reasons, reason_width, r), reasons + r * reason_width, (long long)k);
      if (first[i * n_reasons + r] > 0) printf(" (first at line %lld)", (long long)first[i * n_reasons + r]);
      printf("\n");
    }
  }
  rc = 0;
done:
  free(paths);
  free(sums);
  free(reasons);
  free(bytes);
  free(read);
  free(used);
  free(skipped);
  free(first);
  return rc;
}

static int print_top_related(const info_t *in, const char *districts, size_t district_width, size_t n_districts) {
  if (!exists(in, "/variety/related")) {
    printf("\ntop %d districts by related variety: not in this file (one sector level only)\n", TOP_N);
    return 0;
  }
  size_t n = 0;
  double *related = read_all(in, "/variety/related", H5T_NATIVE_DOUBLE, sizeof(double), &n);
  if (!related || n != n_districts) {
    free(related);
    return fail(in, "/variety/related");
  }
  top_entry_t top[TOP_N];
  int count = 0;
  for (size_t d = 0; d < n; d++) top_insert(top, &count, (top_entry_t){related[d], d, 0, 0.0});
  printf("\ntop %d districts by related variety (bits):\n", TOP_N);
  if (count == 0) printf("  (none: no district has employment)\n");
  for (int i = 0; i < count; i++)
    printf("  %d. %-*.*s %8.4f\n", i + 1, (int)district_width, slot_len(districts, district_width, top[i].district),
           districts + top[i].district * district_width, top[i].value);
  free(related);
  return 0;
}

/* The largest location quotients at the finest level among cells with enough employment, reading
 * the matrices a block of rows at a time. */
static int print_top_lq(const info_t *in, const level_info_t *level, const char *districts, size_t district_width,
                        size_t n_districts) {
  int rc = REGIO_ERR_IO;
  char lq_path[96], emp_path[96], code_path[96];
  snprintf(lq_path, sizeof lq_path, "/levels/%s/lq", level->name);
  snprintf(emp_path, sizeof emp_path, "/levels/%s/employment", level->name);
  snprintf(code_path, sizeof code_path, "/levels/%s/sectors/code", level->name);
  size_t sector_width = 0, n_sectors = 0;
  hsize_t lq_dims[2], emp_dims[2];
  hid_t lq = -1, emp = -1, lq_space = -1, emp_space = -1, mem_space = -1;
  double *lq_block = NULL, *emp_block = NULL;
  char *sectors = read_strings(in, code_path, &sector_width, &n_sectors);
  if (!sectors) {
    rc = fail(in, code_path);
    goto done;
  }
  if (shape(in, lq_path, lq_dims) != 2 || shape(in, emp_path, emp_dims) != 2 || lq_dims[0] != n_districts ||
      lq_dims[1] != n_sectors || emp_dims[0] != n_districts || emp_dims[1] != n_sectors) {
    rc = fail(in, lq_path);
    goto done;
  }
  top_entry_t top[TOP_N];
  int count = 0;
  if (n_districts > 0 && n_sectors > 0) {
    size_t block_rows = BLOCK_ELEMENTS / n_sectors;
    if (block_rows < 1) block_rows = 1;
    if (block_rows > n_districts) block_rows = n_districts;
    lq_block = malloc(block_rows * n_sectors * sizeof *lq_block);
    emp_block = malloc(block_rows * n_sectors * sizeof *emp_block);
    lq = H5Dopen2(in->file, lq_path, H5P_DEFAULT);
    emp = H5Dopen2(in->file, emp_path, H5P_DEFAULT);
    lq_space = lq >= 0 ? H5Dget_space(lq) : -1;
    emp_space = emp >= 0 ? H5Dget_space(emp) : -1;
    if (!lq_block || !emp_block || lq_space < 0 || emp_space < 0) {
      rc = fail(in, lq_path);
      goto done;
    }
    for (size_t row = 0; row < n_districts; row += block_rows) {
      size_t rows = n_districts - row < block_rows ? n_districts - row : block_rows;
      hsize_t start[2] = {row, 0}, cnt[2] = {rows, n_sectors};
      mem_space = H5Screate_simple(2, cnt, NULL);
      if (mem_space < 0 || H5Sselect_hyperslab(lq_space, H5S_SELECT_SET, start, NULL, cnt, NULL) < 0 ||
          H5Sselect_hyperslab(emp_space, H5S_SELECT_SET, start, NULL, cnt, NULL) < 0 ||
          H5Dread(lq, H5T_NATIVE_DOUBLE, mem_space, lq_space, H5P_DEFAULT, lq_block) < 0 ||
          H5Dread(emp, H5T_NATIVE_DOUBLE, mem_space, emp_space, H5P_DEFAULT, emp_block) < 0) {
        rc = fail(in, lq_path);
        goto done;
      }
      H5Sclose(mem_space);
      mem_space = -1;
      for (size_t k = 0; k < rows * n_sectors; k++)
        if (emp_block[k] >= LQ_MIN_EMPLOYMENT)
          top_insert(top, &count, (top_entry_t){lq_block[k], row + k / n_sectors, k % n_sectors, emp_block[k]});
    }
  }
  printf("\ntop %d location quotients at level %s (cells with employment >= %g):\n", TOP_N, level->name,
         LQ_MIN_EMPLOYMENT);
  if (count == 0) printf("  (none)\n");
  for (int i = 0; i < count; i++) {
    char employment[64];
    format_employment(top[i].employment, employment, sizeof employment);
    printf("  %d. district %-*.*s sector %-*.*s LQ %10.4f  employment %s\n", i + 1, (int)district_width,
           slot_len(districts, district_width, top[i].district), districts + top[i].district * district_width,
           (int)sector_width, slot_len(sectors, sector_width, top[i].sector), sectors + top[i].sector * sector_width,
           top[i].value, employment);
  }
  rc = 0;
done:
  if (mem_space >= 0) H5Sclose(mem_space);
  if (lq_space >= 0) H5Sclose(lq_space);
  if (emp_space >= 0) H5Sclose(emp_space);
  if (lq >= 0) H5Dclose(lq);
  if (emp >= 0) H5Dclose(emp);
  free(lq_block);
  free(emp_block);
  free(sectors);
  return rc;
}

/* The input-output part (/io, written by `regio io` or `regio run --io-table`). */
/* The screen: class counts and, for each class, the districts with the highest score of the rule
 * that put them there. */
static int print_screen(const info_t *in, const char *districts, size_t district_width, size_t n_districts) {
  hid_t dset = H5Dopen2(in->file, "/screen/class", H5P_DEFAULT);
  if (dset < 0) return fail(in, "/screen/class");
  hid_t type = H5Dget_type(dset);
  int8_t *cls = malloc((n_districts ? n_districts : 1) * sizeof *cls);
  hsize_t dims[2];
  int ok = type >= 0 && cls && shape(in, "/screen/class", dims) == 1 && dims[0] == n_districts &&
           H5Tget_class(type) == H5T_ENUM && H5Tget_size(type) == 1 &&
           H5Dread(dset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, cls) >= 0;
  if (type >= 0) H5Tclose(type);
  H5Dclose(dset);
  if (!ok) {
    free(cls);
    return fail(in, "/screen/class");
  }
  static const char *const score_of[REGIO_CLASS_COUNT] = {NULL,         "krugman_z", "related_variety_z",
                                                          "amenity_lq", "office_lq", NULL};
  static const char *const score_text[REGIO_CLASS_COUNT] = {NULL,         "Krugman z-score", "related variety z-score",
                                                            "amenity LQ", "office LQ",       NULL};
  int64_t counts[REGIO_CLASS_COUNT] = {0};
  for (size_t d = 0; d < n_districts; d++)
    if (cls[d] >= 0 && cls[d] < REGIO_CLASS_COUNT) counts[cls[d]]++;
  printf("\nscreen (docs/SCREENING.md):\n");
  for (int c = 0; c < REGIO_CLASS_COUNT; c++)
    printf("  %-27s %lld\n", regio_screen_class_name(c), (long long)counts[c]);
  int rc = 0;
  for (int c = 0; c < REGIO_CLASS_COUNT && rc == 0; c++) {
    if (!score_of[c] || counts[c] == 0) continue;
    char path[64];
    snprintf(path, sizeof path, "/screen/scores/%s", score_of[c]);
    size_t n = 0;
    double *score = read_all(in, path, H5T_NATIVE_DOUBLE, sizeof(double), &n);
    if (!score || n != n_districts) {
      free(score);
      rc = fail(in, path);
      break;
    }
    top_entry_t top[TOP_N];
    int count = 0;
    for (size_t d = 0; d < n; d++)
      if (cls[d] == c) top_insert(top, &count, (top_entry_t){score[d], d, 0, 0.0});
    printf("top %d %s districts by %s:\n", TOP_N, regio_screen_class_name(c), score_text[c]);
    for (int i = 0; i < count; i++)
      printf("  %d. %-*.*s %8.3f\n", i + 1, (int)district_width, slot_len(districts, district_width, top[i].district),
             districts + top[i].district * district_width, top[i].value);
    free(score);
  }
  free(cls);
  return rc;
}

static int print_io(const info_t *in) {
  size_t width = 0, n = 0, n_mult = 0;
  char *sectors = read_strings(in, "/io/sectors/code", &width, &n);
  double *mult = read_all(in, "/io/national/output_multiplier", H5T_NATIVE_DOUBLE, sizeof(double), &n_mult);
  if (!sectors || !mult || n_mult != n) {
    free(sectors);
    free(mult);
    return fail(in, "/io/national/output_multiplier");
  }
  double rcond = NAN;
  size_t n_rcond = 0;
  double *rc = read_all(in, "/io/national/rcond", H5T_NATIVE_DOUBLE, sizeof(double), &n_rcond);
  if (rc && n_rcond > 0) rcond = rc[0];
  free(rc);
  printf("\ninput-output:      %zu sectors (reciprocal condition number of I - A: %.3g)\n", n, rcond);
  top_entry_t top[TOP_N];
  int count = 0;
  for (size_t i = 0; i < n; i++)
    if (!isnan(mult[i])) top_insert(top, &count, (top_entry_t){mult[i], 0, i, 0.0});
  printf("top %d national output multipliers:\n", count);
  for (int k = 0; k < count; k++)
    printf("  %d. %-10.*s %.4f\n", k + 1, slot_len(sectors, width, top[k].sector), sectors + top[k].sector * width,
           top[k].value);
  free(mult);

  if (exists(in, "/io/regional/output_multiplier")) {
    char method[64] = "";
    double delta = NAN;
    attr_string(in, "/io/regional", "method", method, sizeof method);
    attr_number(in, "/io/regional", "delta", H5T_NATIVE_DOUBLE, &delta);
    size_t dwidth = 0, n_districts = 0, n_cells = 0;
    char *districts = read_strings(in, "/io/regional/district_code", &dwidth, &n_districts);
    double *regional = read_all(in, "/io/regional/output_multiplier", H5T_NATIVE_DOUBLE, sizeof(double), &n_cells);
    if (!districts || !regional || n_cells != n_districts * n) {
      free(sectors);
      free(districts);
      free(regional);
      return fail(in, "/io/regional/output_multiplier");
    }
    printf("regional tables:   %zu districts, method %s", n_districts, method[0] ? method : "(unknown)");
    if (!isnan(delta)) printf(", delta %.3g", delta);
    printf("\ntop %d districts by mean regional output multiplier:\n", TOP_N);
    count = 0;
    for (size_t d = 0; d < n_districts; d++) {
      double sum = 0.0;
      size_t used = 0;
      for (size_t i = 0; i < n; i++)
        if (!isnan(regional[d * n + i])) {
          sum += regional[d * n + i];
          used++;
        }
      if (used) top_insert(top, &count, (top_entry_t){sum / (double)used, d, 0, 0.0});
    }
    for (int k = 0; k < count; k++)
      printf("  %d. %-10.*s %.4f\n", k + 1, slot_len(districts, dwidth, top[k].district),
             districts + top[k].district * dwidth, top[k].value);
    free(districts);
    free(regional);
  }
  free(sectors);
  return 0;
}

static int summarize(info_t *in) {
  int rc = REGIO_ERR_IO;
  char text[4096];
  char *districts = NULL;
  double *district_employment = NULL;
  size_t district_width = 0, n_districts = 0;

  int schema = 0;
  if (attr_number(in, "/", "schema_version", H5T_NATIVE_INT, &schema) < 0) {
    fprintf(stderr, "regio info: '%s' is not a regio result file (no schema_version attribute)\n", in->path);
    return REGIO_ERR_IO;
  }
  if (schema != REGIO_SCHEMA_VERSION) {
    fprintf(stderr, "regio info: '%s' has schema version %d; this regio reads version %d\n", in->path, schema,
            REGIO_SCHEMA_VERSION);
    return REGIO_ERR_IO;
  }
  printf("file:              %s\n", in->path);
  printf("schema version:    %d\n", schema);
  attr_string(in, "/provenance", "regio_version", text, sizeof text);
  printf("regio version:     %s", text[0] ? text : "(unknown)");
  if (attr_string(in, "/provenance", "hdf5_version", text, sizeof text) == 0) printf(" (HDF5 %s)", text);
  printf("\n");
  attr_string(in, "/provenance", "command_line", text, sizeof text);
  printf("command line:      %s\n", text[0] ? text : "(not recorded)");
  int64_t processes = 0;
  if (attr_number(in, "/provenance", "processes", H5T_NATIVE_INT64, &processes) == 0)
    printf("processes:         %lld%s\n", (long long)processes, processes > 1 ? " (MPI ranks)" : "");

  if (!exists(in, "/districts") && exists(in, "/io")) { /* a file of `regio io` */
    rc = print_io(in);
    goto done;
  }
  districts = read_strings(in, "/districts/code", &district_width, &n_districts);
  if (!districts) {
    rc = fail(in, "/districts/code");
    goto done;
  }
  printf("districts:         %zu\n", n_districts);
  double total = 0.0;
  if (attr_number(in, "/districts", "total_employment", H5T_NATIVE_DOUBLE, &total) < 0) {
    size_t n = 0;
    district_employment = read_all(in, "/districts/employment", H5T_NATIVE_DOUBLE, sizeof(double), &n);
    if (!district_employment) {
      rc = fail(in, "/districts/employment");
      goto done;
    }
    for (size_t d = 0; d < n; d++) total += district_employment[d];
  }
  format_employment(total, text, sizeof text);
  printf("total employment:  %s\n", text);

  level_list_t list = {.count = 0};
  hsize_t idx = 0;
  if (!exists(in, "/levels") || H5Literate_by_name(in->file, "/levels", H5_INDEX_NAME, H5_ITER_INC, &idx, collect_level,
                                                   &list, H5P_DEFAULT) < 0) {
    rc = fail(in, "/levels");
    goto done;
  }
  for (int i = 0; i < list.count; i++) {
    level_info_t *lvl = &list.levels[i];
    char path[96];
    snprintf(path, sizeof path, "/levels/%s", lvl->name);
    if (attr_number(in, path, "prefix", H5T_NATIVE_INT, &lvl->prefix) < 0)
      lvl->prefix = strcmp(lvl->name, "full") == 0 ? 0 : atoi(lvl->name);
    hsize_t dims[2];
    snprintf(path, sizeof path, "/levels/%s/sectors/code", lvl->name);
    if (shape(in, path, dims) != 1) {
      rc = fail(in, path);
      goto done;
    }
    lvl->n_sectors = (size_t)dims[0];
  }
  qsort(list.levels, (size_t)list.count, sizeof list.levels[0], level_cmp);
  printf("sector levels:     %d\n", list.count);
  for (int i = 0; i < list.count; i++)
    printf("  %-6s %zu sectors%s\n", list.levels[i].name, list.levels[i].n_sectors,
           list.levels[i].prefix == 0 ? " (full codes)" : "");

  if (exists(in, "/provenance/inputs/path")) {
    rc = print_inputs(in);
    if (rc != 0) goto done;
  }

  if (exists(in, "/variety")) {
    char fine[64] = "", coarse[64] = "";
    int log_base = 2;
    attr_string(in, "/variety", "fine_level", fine, sizeof fine);
    attr_string(in, "/variety", "coarse_level", coarse, sizeof coarse);
    attr_number(in, "/variety", "log_base", H5T_NATIVE_INT, &log_base);
    if (coarse[0])
      printf("variety:           fine level %s, coarse level %s (entropy = unrelated + related, log base %d)\n", fine,
             coarse, log_base);
    else
      printf("variety:           entropy at level %s only (log base %d; one sector level, no decomposition)\n", fine,
             log_base);
    rc = print_top_related(in, districts, district_width, n_districts);
    if (rc != 0) goto done;
  } else {
    printf("variety:           not in this file\n");
  }

  if (list.count > 0) {
    rc = print_top_lq(in, &list.levels[list.count - 1], districts, district_width, n_districts);
    if (rc != 0) goto done;
  }
  if (exists(in, "/screen/class")) {
    rc = print_screen(in, districts, district_width, n_districts);
    if (rc != 0) goto done;
  }
  if (exists(in, "/io")) {
    rc = print_io(in);
    if (rc != 0) goto done;
  }
  rc = 0;
done:
  free(districts);
  free(district_employment);
  return rc;
}

int cli_info_main(int argc, char **argv) {
  if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
    usage(stdout);
    return 0;
  }
  if (argc != 2 || argv[1][0] == '\0' || (argv[1][0] == '-' && argv[1][1] != '\0')) {
    if (argc >= 2 && argv[1][0] == '-') fprintf(stderr, "regio info: unknown option '%s'\n", argv[1]);
    usage(stderr);
    return REGIO_ERR_USAGE;
  }
  info_t in = {argv[1], -1};
  struct stat st;
  if (stat(in.path, &st) != 0) {
    fprintf(stderr, "regio info: cannot open '%s': %s\n", in.path, strerror(errno));
    return REGIO_ERR_IO;
  }
  if (S_ISDIR(st.st_mode)) {
    fprintf(stderr, "regio info: cannot open '%s': it is a directory\n", in.path);
    return REGIO_ERR_IO;
  }
  H5E_auto2_t old_func = NULL;
  void *old_data = NULL;
  H5Eget_auto2(H5E_DEFAULT, &old_func, &old_data);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  int rc;
  if (H5Fis_hdf5(in.path) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    fprintf(stderr, "regio info: '%s' is not an HDF5 file\n", in.path);
    rc = REGIO_ERR_IO;
  } else if ((in.file = H5Fopen(in.path, H5F_ACC_RDONLY, H5P_DEFAULT)) < 0) {
    rc = fail(&in, "the file");
  } else {
    rc = summarize(&in);
    H5Fclose(in.file);
  }
  fflush(stdout);
  H5Eset_auto2(H5E_DEFAULT, old_func, old_data);
  return rc;
}
