/* Reading a symmetric input-output table from a wide CSV (see include/regio/io.h). */
#include <errno.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ingest/csv_impl.h"
#include "regio/io.h"

/* Propagates an error to the enclosing function's cleanup label. */
#define TRY_GOTO(expr)                 \
  do {                                 \
    err = (expr);                      \
    if (err != REGIO_OK) goto cleanup; \
  } while (0)

/* A parsed file: header fields and records, each with its line number. */
typedef struct csv_table {
  int label_col; /* the column of row labels */
  int n_cols;
  char **header;
  int n_rows;
  char ***rows;
  int *row_fields;
  long *row_line;
} csv_table_t;

static void csv_table_free(csv_table_t *t) {
  regio_csv_free_fields(t->header, t->n_cols);
  for (int i = 0; i < t->n_rows; i++) regio_csv_free_fields(t->rows[i], t->row_fields[i]);
  free(t->rows);
  free(t->row_fields);
  free(t->row_line);
  memset(t, 0, sizeof *t);
}

static regio_err_t read_file(const char *path, regio_ctx_t *ctx, char **text, size_t *len, char sha[65]) {
  struct stat st;
  if (stat(path, &st) != 0)
    return REGIO_ERROR(ctx, REGIO_ERR_IO, "cannot read IO table '%s': %s", path, strerror(errno));
  if (S_ISDIR(st.st_mode)) return REGIO_ERROR(ctx, REGIO_ERR_IO, "cannot read IO table '%s': it is a directory", path);
  FILE *f = fopen(path, "rb");
  if (!f) return REGIO_ERROR(ctx, REGIO_ERR_IO, "cannot read IO table '%s': %s", path, strerror(errno));
  size_t cap = (size_t)st.st_size + 1, used = 0;
  char *buf = malloc(cap);
  if (!buf) {
    fclose(f);
    return REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "cannot read IO table '%s': out of memory", path);
  }
  for (;;) {
    if (used + 1 >= cap) {
      char *grown = realloc(buf, cap * 2);
      if (!grown) {
        free(buf);
        fclose(f);
        return REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "cannot read IO table '%s': out of memory", path);
      }
      buf = grown;
      cap *= 2;
    }
    size_t got = fread(buf + used, 1, cap - 1 - used, f);
    used += got;
    if (got == 0) break;
  }
  int bad = ferror(f);
  fclose(f);
  if (bad) {
    free(buf);
    return REGIO_ERROR(ctx, REGIO_ERR_IO, "cannot read IO table '%s': read error", path);
  }
  buf[used] = '\0';

  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int dlen = 0;
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 || EVP_DigestUpdate(md, buf, used) != 1 ||
      EVP_DigestFinal_ex(md, digest, &dlen) != 1) {
    EVP_MD_CTX_free(md);
    free(buf);
    return REGIO_ERROR(ctx, REGIO_ERR_INTERNAL, "cannot compute the SHA-256 of '%s'", path);
  }
  EVP_MD_CTX_free(md);
  for (unsigned i = 0; i < dlen && i < 32; i++) snprintf(sha + 2 * i, 3, "%02x", digest[i]);
  *text = buf;
  *len = used;
  return REGIO_OK;
}

static regio_err_t parse_csv(const char *path, const char *text, size_t len, char delimiter, regio_ctx_t *ctx,
                             csv_table_t *t) {
  size_t pos = 0;
  long line = 1;
  if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) pos = 3;
  if (!delimiter) {
    const char *eol = memchr(text + pos, '\n', len - pos);
    delimiter = regio_csv_detect_delimiter(text + pos, eol ? (size_t)(eol - text - pos) : len - pos);
    if (!delimiter) delimiter = ',';
  }
  int cap = 0;
  while (pos < len) {
    /* blank lines are ignored */
    if (text[pos] == '\n' || (text[pos] == '\r' && pos + 1 < len && text[pos + 1] == '\n')) {
      pos += text[pos] == '\r' ? 2 : 1;
      line++;
      continue;
    }
    char **fields = NULL;
    size_t consumed = 0, error_at = 0;
    const char *what = NULL;
    int nf = regio_csv_split_record(text + pos, len - pos, delimiter, &fields, &consumed, &error_at, &what);
    if (nf == -2) return REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "%s:%ld: out of memory", path, line);
    if (nf < 0) {
      char shown[96];
      size_t from = error_at > 20 ? error_at - 20 : 0;
      regio_csv_quote_for_message(text + pos + from, error_at - from + 1, shown, sizeof shown);
      return REGIO_ERROR(ctx, REGIO_ERR_INPUT, "%s:%ld: field %d: %s, at \"%s\"", path, line,
                         regio_csv_field_at(text + pos, error_at, delimiter), what ? what : "malformed quoting", shown);
    }
    long record_line = line;
    const char *nul = memchr(text + pos, '\0', consumed);
    if (nul) {
      regio_csv_free_fields(fields, nf);
      return REGIO_ERROR(ctx, REGIO_ERR_INPUT, "%s:%ld: field %d contains a NUL byte (a binary file?)", path,
                         record_line, regio_csv_field_at(text + pos, (size_t)(nul - text - pos), delimiter));
    }
    for (size_t k = 0; k < consumed; k++)
      if (text[pos + k] == '\n') line++;
    pos += consumed;
    if (!t->header) {
      t->header = fields;
      t->n_cols = nf;
      continue;
    }
    for (int k = t->n_cols; k < nf; k++) /* empty trailing fields are harmless, text is not */
      if (fields[k][0]) {
        char shown[96];
        regio_csv_quote_for_message(fields[k], strlen(fields[k]), shown, sizeof shown);
        regio_csv_free_fields(fields, nf);
        return REGIO_ERROR(ctx, REGIO_ERR_INPUT, "%s:%ld: row has %d fields, the header has %d (field %d is \"%s\")",
                           path, record_line, nf, t->n_cols, k + 1, shown);
      }
    if (t->n_rows == cap) {
      int ncap = cap ? 2 * cap : 64;
      char ***rows = realloc(t->rows, (size_t)ncap * sizeof *rows);
      int *nfs = rows ? realloc(t->row_fields, (size_t)ncap * sizeof *nfs) : NULL;
      if (nfs) t->row_fields = nfs;
      long *lines = nfs ? realloc(t->row_line, (size_t)ncap * sizeof *lines) : NULL;
      if (rows) t->rows = rows;
      if (!lines) {
        regio_csv_free_fields(fields, nf);
        return REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "%s:%ld: out of memory", path, record_line);
      }
      t->row_line = lines;
      cap = ncap;
    }
    t->rows[t->n_rows] = fields;
    t->row_fields[t->n_rows] = nf;
    t->row_line[t->n_rows] = record_line;
    t->n_rows++;
  }
  REGIO_CHECK(ctx, t->header, REGIO_ERR_INPUT, "%s: the IO table is empty", path);
  return REGIO_OK;
}

static int find_col(const csv_table_t *t, const char *label) {
  for (int j = 0; j < t->n_cols; j++)
    if (!strcmp(t->header[j], label)) return j;
  return -1;
}

/* The row whose label (in column label_col) is label; -1 when none, -2 when several. */
static int find_row(const csv_table_t *t, int label_col, const char *label) {
  int found = -1;
  for (int i = 0; i < t->n_rows; i++)
    if (label_col < t->row_fields[i] && !strcmp(t->rows[i][label_col], label)) {
      if (found >= 0) return -2;
      found = i;
    }
  return found;
}

static regio_err_t need_row(const char *path, const csv_table_t *t, int label_col, const char *what, const char *label,
                            regio_ctx_t *ctx, int *out) {
  int r = find_row(t, label_col, label);
  REGIO_CHECK(ctx, r != -2, REGIO_ERR_INPUT, "%s: %s row '%s' occurs more than once in column '%s'", path, what, label,
              t->header[label_col]);
  REGIO_CHECK(ctx, r >= 0, REGIO_ERR_INPUT,
              "%s: no %s row '%s' in column '%s' (the column of row labels; another can be chosen with "
              "--io-label-col)",
              path, what, label, t->header[label_col]);
  *out = r;
  return REGIO_OK;
}

static regio_err_t need_col(const char *path, const csv_table_t *t, const char *what, const char *label,
                            regio_ctx_t *ctx, int *out) {
  int c = find_col(t, label);
  REGIO_CHECK(ctx, c >= 0, REGIO_ERR_INPUT, "%s:1: no %s column '%s' in the header", path, what, label);
  *out = c;
  return REGIO_OK;
}

static regio_err_t cell(const char *path, const csv_table_t *t, int row, int col, regio_ctx_t *ctx, double *out) {
  const char *text = col < t->row_fields[row] ? t->rows[row][col] : "";
  char shown[96];
  char *end = NULL;
  errno = 0;
  double v = strtod(text, &end);
  int ok = *text && end != text;
  if (ok)
    while (*end == ' ') end++;
  if (!ok || *end || !isfinite(v) || errno == ERANGE) {
    regio_csv_quote_for_message(text, strlen(text), shown, sizeof shown);
    return REGIO_ERROR(ctx, REGIO_ERR_INPUT, "%s:%ld: column '%s' (field %d), row '%s': \"%s\" is not a number", path,
                       t->row_line[row], t->header[col], col + 1,
                       t->label_col < t->row_fields[row] ? t->rows[row][t->label_col] : "", shown);
  }
  *out = v;
  return REGIO_OK;
}

static int named(const regio_io_read_opts_t *o, const char *label) {
  const char *names[] = {o->output_row, o->output_col, o->compensation_row, o->employment_row, o->household_col};
  for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
    if (names[k] && !strcmp(names[k], label)) return 1;
  for (int k = 0; k < o->n_value_added_rows; k++)
    if (o->value_added_rows[k] && !strcmp(o->value_added_rows[k], label)) return 1;
  return 0;
}

static char *dup_string(const char *s) {
  size_t len = strlen(s);
  char *d = malloc(len + 1);
  if (d) memcpy(d, s, len + 1);
  return d;
}

static regio_err_t table_alloc(int n, int comp, int va, int emp, int hh, regio_ctx_t *ctx, regio_io_table_t **out) {
  regio_io_table_t *t = calloc(1, sizeof *t);
  REGIO_CHECK(ctx, t, REGIO_ERR_NOMEM, "out of memory for an IO table of %d sectors", n);
  t->n = n;
  size_t nn = (size_t)n;
  t->sector_code = calloc(nn ? nn : 1, sizeof *t->sector_code);
  t->Z = calloc(nn > 0 ? nn * nn : 1, sizeof *t->Z);
  t->x = calloc(nn ? nn : 1, sizeof *t->x);
  int ok = t->sector_code && t->Z && t->x;
  if (comp) ok = ok && (t->compensation = calloc(nn ? nn : 1, sizeof(double)));
  if (va) ok = ok && (t->value_added = calloc(nn ? nn : 1, sizeof(double)));
  if (emp) ok = ok && (t->employment = calloc(nn ? nn : 1, sizeof(double)));
  if (hh) ok = ok && (t->household = calloc(nn ? nn : 1, sizeof(double)));
  if (!ok) {
    regio_io_table_destroy(&t);
    return REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for an IO table of %d sectors", n);
  }
  *out = t;
  return REGIO_OK;
}

void regio_io_table_destroy(regio_io_table_t **table) {
  if (!table || !*table) return;
  regio_io_table_t *t = *table;
  if (t->sector_code)
    for (int i = 0; i < t->n; i++) free(t->sector_code[i]);
  free(t->sector_code);
  free(t->Z);
  free(t->x);
  free(t->compensation);
  free(t->value_added);
  free(t->employment);
  free(t->household);
  free(t->path);
  free(t->description);
  free(t);
  *table = NULL;
}

regio_err_t regio_io_table_create(int n, const char *const *codes, const double *Z, const double *x,
                                  const double *compensation, const double *employment, const double *household,
                                  regio_ctx_t *ctx, regio_io_table_t **out) {
  REGIO_CHECK(ctx, n >= 1 && Z && x && out, REGIO_ERR_USAGE, "an IO table needs at least one sector, Z and x");
  regio_io_table_t *t = NULL;
  REGIO_TRY(table_alloc(n, compensation != NULL, 0, employment != NULL, household != NULL, ctx, &t));
  size_t nn = (size_t)n;
  memcpy(t->Z, Z, nn * nn * sizeof *Z);
  memcpy(t->x, x, nn * sizeof *x);
  if (compensation) memcpy(t->compensation, compensation, nn * sizeof(double));
  if (employment) memcpy(t->employment, employment, nn * sizeof(double));
  if (household) memcpy(t->household, household, nn * sizeof(double));
  for (int i = 0; i < n; i++) {
    char number[24];
    snprintf(number, sizeof number, "%d", i + 1);
    t->sector_code[i] = dup_string(codes && codes[i] ? codes[i] : number);
    if (!t->sector_code[i]) {
      regio_io_table_destroy(&t);
      return REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for sector codes");
    }
  }
  t->path = dup_string("");
  t->description = dup_string("created from arrays");
  if (!t->path || !t->description) {
    regio_io_table_destroy(&t);
    return REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory");
  }
  *out = t;
  return REGIO_OK;
}

/* The reading options as "key=value; ..." for provenance. */
static char *describe(const regio_io_read_opts_t *o, const char *label_col, int n) {
  size_t size = 4096;
  for (int k = 0; k < o->n_value_added_rows; k++) size += strlen(o->value_added_rows[k]) + 1;
  char *s = malloc(size);
  if (!s) return NULL;
  int len = snprintf(s, size, "label_col=%s; %s=%s; compensation_row=%s; value_added_rows=", label_col,
                     o->output_row ? "output_row" : "output_col", o->output_row ? o->output_row : o->output_col,
                     o->compensation_row ? o->compensation_row : "");
  for (int k = 0; k < o->n_value_added_rows && len > 0 && (size_t)len < size; k++)
    len += snprintf(s + len, size - (size_t)len, "%s%s", k ? "," : "", o->value_added_rows[k]);
  if (len > 0 && (size_t)len < size)
    snprintf(s + len, size - (size_t)len, "; employment_row=%s; household_col=%s; sectors=%d",
             o->employment_row ? o->employment_row : "", o->household_col ? o->household_col : "", n);
  return s;
}

regio_err_t regio_io_table_read(const char *path, const regio_io_read_opts_t *opts, regio_ctx_t *ctx,
                                regio_io_table_t **out) {
  REGIO_CHECK(ctx, path && opts && out, REGIO_ERR_USAGE, "no IO table given");
  REGIO_CHECK(ctx, (opts->output_row != NULL) != (opts->output_col != NULL), REGIO_ERR_USAGE,
              "an IO table needs exactly one of an output row or an output column");
  REGIO_CHECK(ctx, opts->n_sectors >= 0, REGIO_ERR_USAGE, "the number of IO sectors must not be negative");
  *out = NULL;
  regio_err_t err = REGIO_OK;
  char *text = NULL;
  size_t len = 0;
  csv_table_t t = {0};
  int *sector_col = NULL, *sector_row = NULL;
  regio_io_table_t *tab = NULL;
  char sha[65] = "";

  REGIO_TRY(read_file(path, ctx, &text, &len, sha));
  err = parse_csv(path, text, len, opts->delimiter, ctx, &t);
  free(text);
  if (err) goto cleanup;

  int label_col = 0;
  if (opts->label_col) {
    label_col = find_col(&t, opts->label_col);
    if (label_col < 0) {
      err = REGIO_ERROR(ctx, REGIO_ERR_INPUT, "%s:1: no label column '%s' in the header", path, opts->label_col);
      goto cleanup;
    }
  }

  t.label_col = label_col;
  /* the named rows and columns first: a misspelt label is reported as such */
  int out_row = -1, out_col = -1, comp_row = -1, emp_row = -1, hh_col = -1;
  if (opts->output_row)
    TRY_GOTO(need_row(path, &t, label_col, "output", opts->output_row, ctx, &out_row));
  else
    TRY_GOTO(need_col(path, &t, "output", opts->output_col, ctx, &out_col));
  if (opts->compensation_row)
    TRY_GOTO(need_row(path, &t, label_col, "compensation", opts->compensation_row, ctx, &comp_row));
  for (int k = 0; k < opts->n_value_added_rows; k++) {
    int r = -1;
    TRY_GOTO(need_row(path, &t, label_col, "value-added", opts->value_added_rows[k], ctx, &r));
  }
  if (opts->employment_row) TRY_GOTO(need_row(path, &t, label_col, "employment", opts->employment_row, ctx, &emp_row));
  if (opts->household_col) TRY_GOTO(need_col(path, &t, "household consumption", opts->household_col, ctx, &hh_col));

  /* the intermediate block: column labels that also label a row, in column order */
  sector_col = malloc((size_t)t.n_cols * sizeof *sector_col);
  sector_row = malloc((size_t)t.n_cols * sizeof *sector_row);
  if (!sector_col || !sector_row) {
    err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "%s: out of memory", path);
    goto cleanup;
  }
  int n = 0;
  for (int j = 0; j < t.n_cols && (opts->n_sectors == 0 || n < opts->n_sectors); j++) {
    if (j == label_col || named(opts, t.header[j])) continue;
    int r = find_row(&t, label_col, t.header[j]);
    if (r == -1) continue;
    if (r == -2) {
      err = REGIO_ERROR(ctx, REGIO_ERR_INPUT, "%s: sector '%s' labels more than one row in column '%s'", path,
                        t.header[j], t.header[label_col]);
      goto cleanup;
    }
    for (int k = 0; k < n; k++)
      if (!strcmp(t.header[sector_col[k]], t.header[j])) {
        err = REGIO_ERROR(ctx, REGIO_ERR_INPUT, "%s:1: sector '%s' labels more than one column", path, t.header[j]);
        goto cleanup;
      }
    sector_col[n] = j;
    sector_row[n] = r;
    n++;
  }
  if (n == 0) {
    err = REGIO_ERROR(ctx, REGIO_ERR_INPUT,
                      "%s: no column label of the header is also a row label in column '%s' (choose the column of "
                      "row labels with --io-label-col)",
                      path, t.header[label_col]);
    goto cleanup;
  }
  /* a column or row inside the intermediate block that is not a sector: the labels of the rows and
   * columns do not match (a misspelt label, a table that is not square) */
  for (int j = sector_col[0] + 1; j < sector_col[n - 1]; j++) {
    int k = 0;
    while (k < n && sector_col[k] != j) k++;
    if (k < n || j == label_col || named(opts, t.header[j])) continue;
    err = REGIO_ERROR(ctx, REGIO_ERR_INPUT,
                      "%s:1: column '%s' (field %d) lies between the sector columns but labels no row in column '%s': "
                      "the row and column labels of the intermediate block do not match",
                      path, t.header[j], j + 1, t.header[label_col]);
    goto cleanup;
  }
  {
    int lo = sector_row[0], hi = sector_row[0];
    for (int k = 1; k < n; k++) {
      if (sector_row[k] < lo) lo = sector_row[k];
      if (sector_row[k] > hi) hi = sector_row[k];
    }
    for (int r = lo + 1; r < hi; r++) {
      int k = 0;
      while (k < n && sector_row[k] != r) k++;
      const char *label = label_col < t.row_fields[r] ? t.rows[r][label_col] : "";
      if (k < n || named(opts, label)) continue;
      err = REGIO_ERROR(ctx, REGIO_ERR_INPUT,
                        "%s:%ld: row '%s' lies between the sector rows but labels no column of the intermediate "
                        "block: the row and column labels do not match",
                        path, t.row_line[r], label);
      goto cleanup;
    }
  }
  if (opts->n_sectors > 0 && n < opts->n_sectors) {
    err = REGIO_ERROR(ctx, REGIO_ERR_INPUT, "%s: %d sectors asked for, but only %d column labels are also row labels",
                      path, opts->n_sectors, n);
    goto cleanup;
  }

  TRY_GOTO(table_alloc(n, opts->compensation_row != NULL, opts->n_value_added_rows > 0, opts->employment_row != NULL,
                       opts->household_col != NULL, ctx, &tab));
  for (int i = 0; i < n; i++) {
    tab->sector_code[i] = dup_string(t.header[sector_col[i]]);
    if (!tab->sector_code[i]) {
      err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "%s: out of memory", path);
      goto cleanup;
    }
    for (int j = 0; j < n; j++)
      TRY_GOTO(cell(path, &t, sector_row[i], sector_col[j], ctx, &tab->Z[(size_t)i * (size_t)n + (size_t)j]));
  }
  if (out_row >= 0)
    for (int j = 0; j < n; j++) TRY_GOTO(cell(path, &t, out_row, sector_col[j], ctx, &tab->x[j]));
  else
    for (int i = 0; i < n; i++) TRY_GOTO(cell(path, &t, sector_row[i], out_col, ctx, &tab->x[i]));
  for (int i = 0; i < n; i++) {
    if (tab->x[i] >= 0) continue;
    int r = out_row >= 0 ? out_row : sector_row[i], c = out_row >= 0 ? sector_col[i] : out_col;
    err = REGIO_ERROR(ctx, REGIO_ERR_INPUT,
                      "%s:%ld: column '%s' (field %d), row '%s': the total output of sector '%s' is %g, expected a "
                      "number >= 0",
                      path, t.row_line[r], t.header[c], c + 1, t.rows[r][label_col], tab->sector_code[i], tab->x[i]);
    goto cleanup;
  }
  if (comp_row >= 0)
    for (int j = 0; j < n; j++) TRY_GOTO(cell(path, &t, comp_row, sector_col[j], ctx, &tab->compensation[j]));
  for (int k = 0; k < opts->n_value_added_rows; k++) {
    int r = -1;
    TRY_GOTO(need_row(path, &t, label_col, "value-added", opts->value_added_rows[k], ctx, &r));
    for (int j = 0; j < n; j++) {
      double v = 0;
      TRY_GOTO(cell(path, &t, r, sector_col[j], ctx, &v));
      tab->value_added[j] += v;
    }
  }
  if (emp_row >= 0)
    for (int j = 0; j < n; j++) TRY_GOTO(cell(path, &t, emp_row, sector_col[j], ctx, &tab->employment[j]));
  if (hh_col >= 0)
    for (int i = 0; i < n; i++) TRY_GOTO(cell(path, &t, sector_row[i], hh_col, ctx, &tab->household[i]));
  tab->path = dup_string(path);
  tab->description = describe(opts, t.header[label_col], n);
  if (!tab->path || !tab->description) {
    err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "%s: out of memory", path);
    goto cleanup;
  }
  memcpy(tab->sha256, sha, sizeof tab->sha256);
  *out = tab;
  tab = NULL;
cleanup:
  regio_io_table_destroy(&tab);
  free(sector_col);
  free(sector_row);
  csv_table_free(&t);
  return err;
}
