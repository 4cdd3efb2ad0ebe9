/* Unit tests of the table generator (regio_gen_write): determinism across thread counts, the
 * shape and realism of the tables, RFC 4180 quoting, gzip, and errors. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "gen/gen_impl.h"
#include "regio/error.h"
#include "regio/gen.h"
#include "testing.h"

static char tmpdir[256];

static const char *tmp_path(const char *name) {
  static char paths[8][512];
  static int next = 0;
  char *p = paths[next++ % 8];
  snprintf(p, 512, "%s/%s", tmpdir, name);
  return p;
}

typedef struct buffer {
  char *data;
  size_t len;
} buffer_t;

static buffer_t read_file(const char *path) {
  buffer_t b = {NULL, 0};
  FILE *f = fopen(path, "rb");
  if (!f) return b;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  b.data = malloc((size_t)n + 1);
  if (b.data && fread(b.data, 1, (size_t)n, f) == (size_t)n) {
    b.len = (size_t)n;
    b.data[n] = '\0';
  }
  fclose(f);
  return b;
}

static buffer_t read_gzip(const char *path) {
  buffer_t b = {NULL, 0};
  gzFile f = gzopen(path, "rb");
  if (!f) return b;
  size_t cap = 1 << 20;
  b.data = malloc(cap);
  for (;;) {
    if (cap - b.len < (1 << 16)) b.data = realloc(b.data, cap *= 2);
    int n = gzread(f, b.data + b.len, 1 << 16);
    if (n <= 0) break;
    b.len += (size_t)n;
  }
  gzclose(f);
  return b;
}

static int same_bytes(buffer_t a, buffer_t b) {
  return a.data && b.data && a.len == b.len && memcmp(a.data, b.data, a.len) == 0;
}

static regio_err_t gen(regio_ctx_t *ctx, const char *preset, uint64_t seed, int64_t rows, int threads, int gzip_level,
                       const char *path, regio_gen_summary_t *summary) {
  regio_gen_opts_t opts;
  regio_gen_opts_default(&opts);
  opts.preset = preset;
  opts.seed = seed;
  opts.rows = rows;
  opts.threads = threads;
  opts.gzip_level = gzip_level;
  regio_err_t err = regio_gen_write(&opts, path, ctx, summary);
  if (err) fprintf(stderr, "(regio_gen_write: %s)\n", regio_ctx_message(ctx));
  return err;
}

/* ---- An independent RFC 4180 reader ------------------------------------------------------------ */

#define MAX_FIELDS 16
#define MAX_FIELD 512

typedef struct record {
  int n_fields;
  int quoted[MAX_FIELDS];
  char field[MAX_FIELDS][MAX_FIELD]; /* unquoted, doubled quotes undone */
} record_t;

/* Reads one record at *pos; returns 1, 0 at the end, -1 on malformed text (stray quote, CR, a
 * record not ended by LF, too many fields). */
static int next_record(const buffer_t *b, size_t *pos, record_t *rec) {
  size_t i = *pos;
  if (i >= b->len) return 0;
  memset(rec, 0, sizeof *rec);
  int f = 0;
  size_t len = 0;
  for (;;) {
    if (f >= MAX_FIELDS) return -1;
    len = 0;
    if (i < b->len && b->data[i] == '"') {
      rec->quoted[f] = 1;
      i++;
      for (;;) {
        if (i >= b->len) return -1;
        char c = b->data[i++];
        if (c == '"') {
          if (i < b->len && b->data[i] == '"') {
            c = '"';
            i++;
          } else {
            break;
          }
        }
        if (len + 1 >= MAX_FIELD) return -1;
        rec->field[f][len++] = c;
      }
    } else {
      while (i < b->len && b->data[i] != ',' && b->data[i] != '\n') {
        char c = b->data[i++];
        if (c == '"' || c == '\r' || len + 1 >= MAX_FIELD) return -1;
        rec->field[f][len++] = c;
      }
    }
    rec->field[f][len] = '\0';
    f++;
    if (i >= b->len) return -1; /* no final LF */
    if (b->data[i] == ',') {
      i++;
      continue;
    }
    if (b->data[i] != '\n') return -1;
    i++;
    break;
  }
  rec->n_fields = f;
  *pos = i;
  return 1;
}

static int all_digits(const char *s, size_t n) {
  if (strlen(s) != n) return 0;
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9') return 0;
  return 1;
}

/* Employees: a positive decimal with at most 3 places, in thousandths; -1 when malformed. */
static int64_t parse_employees(const char *s) {
  int64_t whole = 0, frac = 0;
  int places = 0, dot = 0, digits = 0;
  for (const char *p = s; *p; p++) {
    if (*p == '.' && !dot) {
      dot = 1;
    } else if (*p >= '0' && *p <= '9') {
      digits++;
      if (dot) {
        if (++places > 3) return -1;
        frac = frac * 10 + (*p - '0');
      } else {
        whole = whole * 10 + (*p - '0');
      }
    } else {
      return -1;
    }
  }
  if (!digits || (dot && places == 0)) return -1;
  for (int k = places; k < 3; k++) frac *= 10;
  return whole * 1000 + frac;
}

static int compare_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* ---- Tests ------------------------------------------------------------------------------------- */

static void test_formatting(void) {
  char fast[32], ref[48];
  regio_gen_rng_t rng = regio_gen_rng_key(42, 9, 9);
  for (int i = 0; i < 300000; i++) {
    uint64_t v = i < 100000 ? (uint64_t)i : i < 200000 ? regio_gen_next(&rng) >> (i % 64) : regio_gen_next(&rng);
    if (i == 299999) v = UINT64_MAX;
    size_t n = regio_gen_format_u64(fast, v);
    fast[n] = '\0';
    snprintf(ref, sizeof ref, "%" PRIu64, v);
    CHECKF(strcmp(fast, ref) == 0, "format_u64(%" PRIu64 ") gave '%s'", v, fast);

    uint64_t milli = i < 100000 ? (uint64_t)i : v / 1000;
    n = regio_gen_format_milli(fast, milli);
    fast[n] = '\0';
    /* Reference: printf with 3 places, trailing zeros and a bare dot removed. */
    snprintf(ref, sizeof ref, "%" PRIu64 ".%03u", milli / 1000, (unsigned)(milli % 1000));
    size_t m = strlen(ref);
    while (ref[m - 1] == '0') ref[--m] = '\0';
    if (ref[m - 1] == '.') ref[--m] = '\0';
    CHECKF(strcmp(fast, ref) == 0, "format_milli(%" PRIu64 ") gave '%s', expected '%s'", milli, fast, ref);
    if (test_failures > 20) return;
  }
}

static void test_alias(void) {
  const double weights[5] = {1, 2, 3, 4, 0};
  regio_gen_alias_t table;
  CHECKF(regio_gen_alias_init(&table, weights, 5) == 0, "alias init");
  int64_t counts[5] = {0};
  regio_gen_rng_t rng = regio_gen_rng_key(7, 1, 0);
  const int n = 1000000;
  for (int i = 0; i < n; i++) counts[regio_gen_alias_draw(&table, regio_gen_next(&rng))]++;
  for (int k = 0; k < 5; k++) {
    double share = (double)counts[k] / n, expected = weights[k] / 10;
    CHECKF(share > expected - 0.003 && share < expected + 0.003, "alias value %d: share %.4f, expected %.4f", k, share,
           expected);
  }
  regio_gen_alias_free(&table);
}

static void test_presets(void) {
  CHECKF(regio_gen_preset_count() == 5, "5 presets");
  const char *names[] = {"demo", "kr", "narrow", "wide", "us-tract"};
  for (int i = 0; i < 5; i++) {
    const regio_gen_preset_info_t *p = regio_gen_preset_find(names[i]);
    CHECKF(p != NULL && strcmp(p->name, names[i]) == 0, "preset %s", names[i]);
  }
  CHECKF(regio_gen_preset_find("nope") == NULL, "unknown preset");
  CHECKF(regio_gen_preset_at(5) == NULL && regio_gen_preset_at(-1) == NULL, "out of range");
  const regio_gen_preset_info_t *narrow = regio_gen_preset_find("narrow");
  CHECKF(narrow && narrow->default_rows == 50000000 && narrow->n_columns == 4, "narrow defaults");
}

static int compare_codes(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* us-tract: 84,000 districts need 7-character codes (region + 5 digits), all distinct, each
 * starting with its region's code; kr keeps 5-character ones. */
static void test_tract_codes(void) {
  regio_ctx_t *ctx = NULL;
  regio_gen_model_t *m = NULL;
  CHECKF(regio_ctx_create(&ctx) == REGIO_OK, "context");
  CHECKF(regio_gen_model_create(regio_gen_preset_find("us-tract"), 1, ctx, &m) == REGIO_OK, "us-tract model");
  if (m) {
    CHECKF(m->n_districts == 84000 && m->district_code_len == 7, "84,000 districts, 7-character codes");
    const char **codes = malloc((size_t)m->n_districts * sizeof *codes);
    int ok = codes != NULL;
    for (int d = 0; ok && d < m->n_districts; d++) {
      codes[d] = m->districts[d].code;
      ok = strlen(codes[d]) == 7 && strncmp(codes[d], m->districts[d].region_code, 2) == 0;
    }
    CHECKF(ok, "every code has 7 characters and starts with its region");
    if (codes) {
      qsort(codes, (size_t)m->n_districts, sizeof *codes, compare_codes);
      int distinct = 1;
      for (int d = 1; d < m->n_districts; d++) distinct &= strcmp(codes[d - 1], codes[d]) != 0;
      CHECKF(distinct, "district codes are distinct");
    }
    free(codes);
  }
  regio_gen_model_destroy(&m);
  CHECKF(regio_gen_model_create(regio_gen_preset_find("kr"), 1, ctx, &m) == REGIO_OK, "kr model");
  if (m) CHECKF(m->district_code_len == 5 && strlen(m->districts[0].code) == 5, "kr: 5-character codes");
  regio_gen_model_destroy(&m);
  regio_ctx_destroy(&ctx);
}

static void progress_cb(void *user, const char *phase, double fraction) {
  double *last = user;
  if (strcmp(phase, "gen") == 0) *last = fraction;
}

static void test_demo(regio_ctx_t *ctx) {
  regio_gen_summary_t s1, s2, s3;
  double last_progress = -1;
  regio_ctx_set_progress(ctx, progress_cb, &last_progress);
  CHECKF(gen(ctx, "demo", 1, 0, 1, REGIO_GEN_GZIP_AUTO, tmp_path("demo1.csv"), &s1) == REGIO_OK, "demo 1 thread");
  regio_ctx_set_progress(ctx, NULL, NULL);
  CHECKF(last_progress == 1.0, "progress reached 1 (%g)", last_progress);
  last_progress = -1;
  regio_ctx_set_progress(ctx, progress_cb, &last_progress);
  CHECKF(gen(ctx, "demo", 1, 0, 2, REGIO_GEN_GZIP_AUTO, tmp_path("demo2.csv"), &s2) == REGIO_OK, "demo 2 threads");
  regio_ctx_set_progress(ctx, NULL, NULL);
  CHECKF(last_progress == 1.0, "progress reached 1 with 2 threads (%g)", last_progress);
  CHECKF(gen(ctx, "demo", 1, 0, 3, REGIO_GEN_GZIP_AUTO, tmp_path("demo3.csv"), &s3) == REGIO_OK, "demo 3 threads");
  buffer_t a = read_file(tmp_path("demo1.csv")), b = read_file(tmp_path("demo2.csv"));
  buffer_t c = read_file(tmp_path("demo3.csv"));
  CHECKF(a.len > 0 && same_bytes(a, b) && same_bytes(a, c), "demo identical with 1, 2, 3 threads (%zu, %zu, %zu bytes)",
         a.len, b.len, c.len);
  CHECKF(s1.rows == 20000 && s1.gzip_level == 0 && s1.file_bytes == (int64_t)a.len && s1.text_bytes == (int64_t)a.len,
         "summary: %" PRId64 " rows, %" PRId64 " bytes", s1.rows, s1.file_bytes);
  CHECKF(s2.threads == 2 && s1.n_districts == 60 && s1.n_sectors == 120, "summary threads and economy");
  CHECKF(a.len < 2000000, "demo under 2 MB (%zu bytes)", a.len);

  /* Parse every record. */
  size_t pos = 0;
  record_t rec;
  CHECKF(next_record(&a, &pos, &rec) == 1 && rec.n_fields == 6, "header");
  const char *header[6] = {"establishment_id", "name", "region", "district", "sector", "employees"};
  for (int f = 0; f < 6; f++) CHECKF(strcmp(rec.field[f], header[f]) == 0, "header field %d '%s'", f, rec.field[f]);
  int64_t *employees = malloc(20000 * sizeof *employees);
  int64_t rows = 0, with_comma = 0, with_quote = 0, with_fraction = 0, small = 0;
  static char seen_district[100000], seen_sector[100000], seen_group[100];
  static int64_t cell[100000]; /* establishments per sector code */
  int n_districts = 0, n_sectors = 0, n_groups = 0, rc;
  while ((rc = next_record(&a, &pos, &rec)) == 1) {
    CHECKF(rec.n_fields == 6, "row %" PRId64 ": %d fields", rows + 1, rec.n_fields);
    if (rec.n_fields != 6) break;
    char id[24];
    snprintf(id, sizeof id, "%" PRId64, rows + 1);
    CHECKF(strcmp(rec.field[0], id) == 0, "row %" PRId64 ": id '%s'", rows + 1, rec.field[0]);
    CHECKF(rec.field[1][0] != '\0', "row %" PRId64 ": empty name", rows + 1);
    with_comma += strchr(rec.field[1], ',') != NULL;
    with_quote += strchr(rec.field[1], '"') != NULL;
    CHECKF(all_digits(rec.field[2], 2) && all_digits(rec.field[3], 5) && all_digits(rec.field[4], 5),
           "row %" PRId64 ": codes '%s' '%s' '%s'", rows + 1, rec.field[2], rec.field[3], rec.field[4]);
    CHECKF(strncmp(rec.field[2], rec.field[3], 2) == 0, "row %" PRId64 ": district %s not in region %s", rows + 1,
           rec.field[3], rec.field[2]);
    int64_t milli = parse_employees(rec.field[5]);
    CHECKF(milli > 0, "row %" PRId64 ": employees '%s'", rows + 1, rec.field[5]);
    with_fraction += milli % 1000 != 0;
    small += milli >= 1000 && milli < 10000;
    if (rows < 20000) employees[rows] = milli;
    const int district = atoi(rec.field[3]), sector = atoi(rec.field[4]);
    n_districts += !seen_district[district];
    n_sectors += !seen_sector[sector];
    n_groups += !seen_group[sector / 1000];
    seen_district[district] = seen_sector[sector] = seen_group[sector / 1000] = 1;
    cell[sector]++;
    rows++;
  }
  CHECKF(rc == 0, "malformed CSV after row %" PRId64, rows);
  CHECKF(rows == 20000, "demo has %" PRId64 " rows", rows);
  CHECKF(n_districts == 60, "%d districts", n_districts);
  CHECKF(n_groups == 12, "%d sector groups", n_groups);
  CHECKF(n_sectors > 100 && n_sectors <= 120, "%d sectors", n_sectors);
  CHECKF(with_comma > 1000 && with_quote > 100, "names with commas %" PRId64 ", with quotes %" PRId64, with_comma,
         with_quote);
  CHECKF(with_fraction > 100 && with_fraction < 1000, "%" PRId64 " rows with FTE fractions (about 2%%)", with_fraction);
  CHECKF(small > 15000, "%" PRId64 " of 20000 establishments have 1-9 employees", small);
  if (rows == 20000) {
    qsort(employees, 20000, sizeof *employees, compare_i64);
    int64_t median = employees[10000], max = employees[19999];
    CHECKF(max > 50 * median && max >= 1000000, "heavy tail: median %" PRId64 ", max %" PRId64 " (milli)", median, max);
  }
  free(employees);

  /* Clusters: some sector with >= 50 establishments has more than 40% of them in one district,
   * while the largest district holds less than a third of all establishments. */
  int district_index[100000], sector_index[100000];
  int nd = 0, ns = 0;
  for (int k = 0; k < 100000; k++) {
    district_index[k] = seen_district[k] ? nd++ : -1;
    sector_index[k] = seen_sector[k] ? ns++ : -1;
  }
  int64_t *pair = calloc((size_t)ns * 60, sizeof *pair);
  int64_t district_total[60] = {0};
  pos = 0;
  next_record(&a, &pos, &rec);
  while (nd == 60 && next_record(&a, &pos, &rec) == 1) {
    int d = district_index[atoi(rec.field[3])];
    pair[(size_t)sector_index[atoi(rec.field[4])] * 60 + (size_t)d]++;
    district_total[d]++;
  }
  double best_share = 0;
  for (int k = 0; k < 100000; k++) {
    if (cell[k] < 50) continue;
    for (int d = 0; d < 60; d++) {
      double share = (double)pair[(size_t)sector_index[k] * 60 + (size_t)d] / (double)cell[k];
      if (share > best_share) best_share = share;
    }
  }
  int64_t biggest = 0;
  for (int d = 0; d < 60; d++)
    if (district_total[d] > biggest) biggest = district_total[d];
  CHECKF(best_share > 0.4, "most concentrated sector has %.2f in one district", best_share);
  CHECKF(biggest < 20000 / 3 && biggest > 20000 / 60 * 3, "largest district has %" PRId64 " establishments", biggest);
  free(pair);

  /* Another seed, another table. */
  CHECKF(gen(ctx, "demo", 2, 0, 2, REGIO_GEN_GZIP_AUTO, tmp_path("demo_seed2.csv"), NULL) == REGIO_OK, "seed 2");
  buffer_t other = read_file(tmp_path("demo_seed2.csv"));
  CHECKF(other.len > 0 && !same_bytes(a, other), "seed changes the output");
  free(other.data);

  /* gzip: the same bytes for any thread count, and they inflate to the plain table. */
  regio_gen_summary_t gz;
  CHECKF(gen(ctx, "demo", 1, 0, 2, REGIO_GEN_GZIP_AUTO, tmp_path("demo2.csv.gz"), &gz) == REGIO_OK, "demo gzip");
  CHECKF(gen(ctx, "demo", 1, 0, 1, REGIO_GEN_GZIP_AUTO, tmp_path("demo1.csv.gz"), NULL) == REGIO_OK, "demo gzip");
  buffer_t z1 = read_file(tmp_path("demo1.csv.gz")), z2 = read_file(tmp_path("demo2.csv.gz"));
  CHECKF(z2.len > 10 && (unsigned char)z2.data[0] == 0x1f && (unsigned char)z2.data[1] == 0x8b, "gzip magic");
  CHECKF(same_bytes(z1, z2), "gzip identical with 1 and 2 threads");
  CHECKF(
      gz.gzip_level == 6 && gz.file_bytes == (int64_t)z2.len && gz.text_bytes == (int64_t)a.len && z2.len < a.len / 2,
      "gzip summary: level %d, %" PRId64 " of %" PRId64 " bytes", gz.gzip_level, gz.file_bytes, gz.text_bytes);
  buffer_t inflated = read_gzip(tmp_path("demo2.csv.gz"));
  CHECKF(same_bytes(inflated, a), "gzip inflates to the plain table (%zu vs %zu bytes)", inflated.len, a.len);
  free(inflated.data);
  free(z1.data);
  free(z2.data);

  /* Explicit levels override the file name. */
  CHECKF(gen(ctx, "demo", 1, 0, 2, 0, tmp_path("plain.csv.gz"), NULL) == REGIO_OK, "level 0");
  buffer_t plain = read_file(tmp_path("plain.csv.gz"));
  CHECKF(same_bytes(plain, a), "level 0 writes plain text even to .gz");
  free(plain.data);
  CHECKF(gen(ctx, "demo", 1, 0, 2, 1, tmp_path("fast.csv"), NULL) == REGIO_OK, "level 1");
  inflated = read_gzip(tmp_path("fast.csv"));
  buffer_t fast = read_file(tmp_path("fast.csv"));
  CHECKF(fast.len > 2 && (unsigned char)fast.data[0] == 0x1f && same_bytes(inflated, a), "level 1 gzip to .csv");
  free(fast.data);
  free(inflated.data);

  free(a.data);
  free(b.data);
  free(c.data);
}

/* Multi-block tables of the other layouts: identity across threads, prefixes, field counts. */
static void test_layouts(regio_ctx_t *ctx) {
  const int64_t rows = 3 * REGIO_GEN_BLOCK_ROWS + 123;
  CHECKF(gen(ctx, "narrow", 5, rows, 1, 0, tmp_path("narrow1.csv"), NULL) == REGIO_OK, "narrow 1");
  CHECKF(gen(ctx, "narrow", 5, rows, 3, 0, tmp_path("narrow3.csv"), NULL) == REGIO_OK, "narrow 3");
  CHECKF(gen(ctx, "narrow", 5, REGIO_GEN_BLOCK_ROWS + 7, 2, 0, tmp_path("narrow_short.csv"), NULL) == REGIO_OK,
         "narrow short");
  buffer_t n1 = read_file(tmp_path("narrow1.csv")), n3 = read_file(tmp_path("narrow3.csv"));
  buffer_t shorter = read_file(tmp_path("narrow_short.csv"));
  CHECKF(same_bytes(n1, n3), "narrow identical with 1 and 3 threads");
  CHECKF(shorter.len > 0 && shorter.len < n1.len && memcmp(shorter.data, n1.data, shorter.len) == 0,
         "a shorter table is a prefix of a longer one");
  size_t pos = 0;
  record_t rec;
  CHECKF(next_record(&n1, &pos, &rec) == 1 && rec.n_fields == 4 && strcmp(rec.field[0], "district") == 0 &&
             strcmp(rec.field[3], "establishments") == 0,
         "narrow header");
  int64_t count = 0, multi = 0;
  int rc;
  while ((rc = next_record(&n1, &pos, &rec)) == 1) {
    count++;
    int ok = rec.n_fields == 4 && all_digits(rec.field[0], 5) && all_digits(rec.field[1], 5) &&
             parse_employees(rec.field[2]) > 0 && all_digits(rec.field[3], 1) && rec.field[3][0] >= '1' &&
             rec.field[3][0] <= '5' && !rec.quoted[0];
    CHECKF(ok, "narrow row %" PRId64 " malformed", count);
    if (!ok) break;
    multi += rec.field[3][0] > '1';
  }
  CHECKF(rc == 0 && count == rows, "narrow: %" PRId64 " rows of %" PRId64, count, rows);
  CHECKF(multi > rows / 5 && multi < rows / 2, "narrow: %" PRId64 " rows with several establishments", multi);
  CHECKF((double)n1.len / (double)rows < 24, "narrow rows are short (%.1f bytes)", (double)n1.len / (double)rows);
  free(n1.data);
  free(n3.data);
  free(shorter.data);

  CHECKF(gen(ctx, "wide", 5, 5000, 1, 0, tmp_path("wide1.csv"), NULL) == REGIO_OK, "wide 1");
  CHECKF(gen(ctx, "wide", 5, 5000, 2, 0, tmp_path("wide2.csv"), NULL) == REGIO_OK, "wide 2");
  buffer_t w1 = read_file(tmp_path("wide1.csv")), w2 = read_file(tmp_path("wide2.csv"));
  CHECKF(same_bytes(w1, w2), "wide identical with 1 and 2 threads");
  pos = 0;
  count = 0;
  int64_t label_commas = 0;
  while ((rc = next_record(&w1, &pos, &rec)) == 1) {
    int all_quoted = rec.n_fields == 11;
    for (int f = 0; f < rec.n_fields && all_quoted; f++) all_quoted = rec.quoted[f];
    CHECKF(all_quoted, "wide record %" PRId64 ": %d fields, not all quoted", count, rec.n_fields);
    if (!all_quoted) break;
    if (count == 0)
      CHECKF(strcmp(rec.field[4], "district") == 0 && strcmp(rec.field[8], "employees") == 0, "wide header");
    else
      label_commas += strchr(rec.field[5], ',') != NULL && strchr(rec.field[10], ',') != NULL;
    count++;
  }
  CHECKF(rc == 0 && count == 5001, "wide: %" PRId64 " records", count);
  CHECKF(label_commas > 1000, "wide: commas inside quoted text (%" PRId64 ")", label_commas);
  double per_row = (double)w1.len / 5000.0;
  CHECKF(per_row > 120 && per_row < 200, "wide rows about 150 bytes (%.1f)", per_row);
  free(w1.data);
  free(w2.data);

  CHECKF(gen(ctx, "kr", 5, 1000, 2, 0, tmp_path("kr.csv"), NULL) == REGIO_OK, "kr");
  buffer_t kr = read_file(tmp_path("kr.csv"));
  pos = 0;
  count = 0;
  while ((rc = next_record(&kr, &pos, &rec)) == 1) {
    CHECKF(rec.n_fields == 6, "kr record %" PRId64, count);
    count++;
  }
  CHECKF(rc == 0 && count == 1001, "kr: %" PRId64 " records", count);
  free(kr.data);
}

static int dir_entries(void) {
  DIR *dir = opendir(tmpdir);
  int n = 0;
  struct dirent *e;
  while (dir && (e = readdir(dir)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
  if (dir) closedir(dir);
  return n;
}

static void test_errors(regio_ctx_t *ctx) {
  const int before = dir_entries();
  regio_gen_opts_t opts;
  regio_gen_opts_default(&opts);
  opts.preset = "nope";
  CHECKF(
      regio_gen_write(&opts, tmp_path("x.csv"), ctx, NULL) == REGIO_ERR_USAGE && strstr(regio_ctx_message(ctx), "nope"),
      "unknown preset: %s", regio_ctx_message(ctx));
  opts.preset = "demo";
  opts.rows = -1;
  CHECKF(regio_gen_write(&opts, tmp_path("x.csv"), ctx, NULL) == REGIO_ERR_USAGE, "negative rows");
  opts.rows = 0;
  opts.gzip_level = 10;
  CHECKF(regio_gen_write(&opts, tmp_path("x.csv"), ctx, NULL) == REGIO_ERR_USAGE, "gzip level 10");
  opts.gzip_level = REGIO_GEN_GZIP_AUTO;

  const char *missing = tmp_path("no/such/dir/x.csv");
  CHECKF(regio_gen_write(&opts, missing, ctx, NULL) == REGIO_ERR_IO && strstr(regio_ctx_message(ctx), missing),
         "missing directory: %s", regio_ctx_message(ctx));
  CHECKF(regio_gen_write(&opts, tmpdir, ctx, NULL) == REGIO_ERR_IO, "a directory: %s", regio_ctx_message(ctx));

  if (access("/dev/full", W_OK) == 0) {
    CHECKF(regio_gen_write(&opts, "/dev/full", ctx, NULL) == REGIO_ERR_IO &&
               strstr(regio_ctx_message(ctx), "cannot write '/dev/full'") &&
               strstr(regio_ctx_message(ctx), strerror(ENOSPC)),
           "full device: %s", regio_ctx_message(ctx));
  }
  CHECKF(dir_entries() == before, "failed runs left files behind (%d entries, %d before)", dir_entries(), before);

  /* A failed run leaves an existing file intact. */
  FILE *f = fopen(tmp_path("keep.csv"), "w");
  fputs("old\n", f);
  fclose(f);
  opts.preset = "nope";
  regio_gen_write(&opts, tmp_path("keep.csv"), ctx, NULL);
  buffer_t kept = read_file(tmp_path("keep.csv"));
  CHECKF(kept.len == 4 && memcmp(kept.data, "old\n", 4) == 0, "existing file kept");
  free(kept.data);
  /* And a successful one replaces it. */
  opts.preset = "demo";
  opts.rows = 10;
  CHECKF(regio_gen_write(&opts, tmp_path("keep.csv"), ctx, NULL) == REGIO_OK, "overwrite");
  kept = read_file(tmp_path("keep.csv"));
  CHECKF(kept.len > 10 && strncmp(kept.data, "establishment_id,", 17) == 0, "file replaced");
  free(kept.data);
}

static void remove_tmpdir(void) {
  DIR *dir = opendir(tmpdir);
  struct dirent *e;
  char path[1024];
  while (dir && (e = readdir(dir))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    snprintf(path, sizeof path, "%s/%s", tmpdir, e->d_name);
    unlink(path);
  }
  if (dir) closedir(dir);
  rmdir(tmpdir);
}

int main(void) {
  const char *base = getenv("TMPDIR");
  snprintf(tmpdir, sizeof tmpdir, "%s/regio_test_gen.XXXXXX", base && base[0] ? base : "/tmp");
  if (!mkdtemp(tmpdir)) {
    fprintf(stderr, "cannot create a temporary directory in %s: %s\n", base ? base : "/tmp", strerror(errno));
    return 1;
  }
  regio_ctx_t *ctx = NULL;
  if (regio_ctx_create(&ctx) != REGIO_OK) return 1;

  test_formatting();
  test_alias();
  test_presets();
  test_tract_codes();
  test_demo(ctx);
  test_layouts(ctx);
  test_errors(ctx);

  regio_ctx_destroy(&ctx);
  remove_tmpdir();
  return test_summary("test_gen");
}
