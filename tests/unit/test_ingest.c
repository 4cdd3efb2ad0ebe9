/* Unit test of reading establishment tables (src/ingest/reader.c with src/aggregate/): small CSV
 * files written to a scratch folder, each checked against aggregates computed by hand in the
 * comments; bad-row policies and their messages; gzip input; and the block / chunk boundaries of
 * the parallel reader, checked on a generated table against the totals the generator kept while
 * writing it (an independent reference), for every combination of thread count and block size.
 *
 * Run with REGIO_TEST_KEEP=1 to keep the scratch folder. */
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "regio/ingest.h"
#include "testing.h"

static regio_ctx_t *ctx;

/* ---- helpers ----------------------------------------------------------------------------------- */

static regio_err_t ingest_n(const char *const *paths, size_t n, const regio_ingest_opts_t *opts, int threads,
                            regio_aggregate_t **agg) {
  regio_ctx_clear(ctx);
  regio_ctx_set_threads(ctx, threads);
  return regio_ingest_files(paths, n, opts, ctx, agg);
}

static regio_err_t ingest1(const char *path, const regio_ingest_opts_t *opts, regio_aggregate_t **agg) {
  return ingest_n(&path, 1, opts, 2, agg);
}

/* Index of code in a code table by linear search (not the library's lookup), or -1. */
static long code_index(const regio_codes_t *codes, const char *code) {
  for (size_t i = 0; i < codes->count; i++)
    if (regio_codes_len(codes, i) == strlen(code) && memcmp(regio_codes_at(codes, i), code, strlen(code)) == 0)
      return (long)i;
  return -1;
}

/* Employment (milli) of a cell, or INT64_MIN when a code is missing. */
static int64_t cell(const regio_aggregate_t *agg, const char *district, const char *sector) {
  long d = code_index(&agg->districts, district), s = code_index(&agg->sectors, sector);
  if (d < 0 || s < 0) return INT64_MIN;
  return regio_aggregate_cell(agg, (size_t)d, (size_t)s);
}

/* The employment of all cells (milli), from whichever form the aggregate holds. */
static int64_t agg_total(const regio_aggregate_t *agg) {
  int64_t total = 0;
  if (agg->cell_start)
    for (size_t k = 0; k < agg->cell_start[agg->districts.count]; k++) total += agg->cell_employment[k];
  else
    for (size_t i = 0; agg->employment && i < agg->districts.count * agg->sectors.count; i++)
      total += agg->employment[i];
  return total;
}
static int64_t district_estab(const regio_aggregate_t *agg, const char *district) {
  long d = code_index(&agg->districts, district);
  return d < 0 ? INT64_MIN : agg->district_establishments[d];
}
static int64_t sector_estab(const regio_aggregate_t *agg, const char *sector) {
  long s = code_index(&agg->sectors, sector);
  return s < 0 ? INT64_MIN : agg->sector_establishments[s];
}

/* The codes in order must be exactly want[0..n). */
static void expect_codes(const char *file, int line, const regio_codes_t *codes, const char *const *want, size_t n) {
  test_checks++;
  int ok = codes->count == n;
  for (size_t i = 0; ok && i < n; i++)
    ok =
        regio_codes_len(codes, i) == strlen(want[i]) && memcmp(regio_codes_at(codes, i), want[i], strlen(want[i])) == 0;
  if (!ok) {
    test_failures++;
    fprintf(stderr, "%s:%d: codes differ: got %zu [", file, line, codes->count);
    for (size_t i = 0; i < codes->count; i++)
      fprintf(stderr, "%s\"%.*s\"", i ? ", " : "", (int)regio_codes_len(codes, i), regio_codes_at(codes, i));
    fprintf(stderr, "], want %zu [", n);
    for (size_t i = 0; i < n; i++) fprintf(stderr, "%s\"%s\"", i ? ", " : "", want[i]);
    fprintf(stderr, "]\n");
  }
}
#define CHECK_CODES(codes, ...)                                                     \
  do {                                                                              \
    static const char *const want_[] = {__VA_ARGS__};                               \
    expect_codes(__FILE__, __LINE__, codes, want_, sizeof want_ / sizeof want_[0]); \
  } while (0)

/* Expects an error code and message fragments (NULL-terminated list). */
static void expect_error(const char *file, int line, regio_err_t got, regio_err_t want, ...) {
  test_checks++;
  const char *msg = regio_ctx_message(ctx);
  int ok = got == want;
  va_list ap;
  va_start(ap, want);
  const char *missing = NULL;
  for (const char *part; (part = va_arg(ap, const char *)) != NULL;)
    if (!missing && !strstr(msg, part)) missing = part;
  va_end(ap);
  if (!ok || missing) {
    test_failures++;
    fprintf(stderr, "%s:%d: got error %d \"%s\", expected %d%s%s%s\n", file, line, (int)got, msg, (int)want,
            missing ? " with \"" : "", missing ? missing : "", missing ? "\"" : "");
  }
}
#define CHECK_ERROR(got, want, ...) expect_error(__FILE__, __LINE__, got, want, __VA_ARGS__, (const char *)NULL)

/* "PATH:LINE:" as the message prefix for a bad row. */
static const char *at_line(const char *path, long long line) {
  static char buf[8][4200];
  static int next = 0;
  char *out = buf[next];
  next = (next + 1) % 8;
  snprintf(out, sizeof buf[0], "%s:%lld: ", path, line);
  return out;
}

static void write_gzip(const char *path, const char *data, size_t len, int members) {
  for (int m = 0; m < members; m++) {
    size_t from = len * (size_t)m / (size_t)members, to = len * (size_t)(m + 1) / (size_t)members;
    gzFile gz = gzopen(path, m == 0 ? "wb6" : "ab6");
    REQUIRE(gz != NULL);
    /* several writes per member, to be sure the member is not one deflate block of one call */
    for (size_t at = from; at < to;) {
      size_t n = to - at < 1000 ? to - at : 1000;
      REQUIRE(gzwrite(gz, data + at, (unsigned)n) == (int)n);
      at += n;
    }
    REQUIRE(gzclose(gz) == Z_OK);
  }
}

static char *read_whole(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  REQUIRE(f != NULL);
  REQUIRE(fseek(f, 0, SEEK_END) == 0);
  long size = ftell(f);
  REQUIRE(size >= 0);
  rewind(f);
  char *data = malloc((size_t)size + 1);
  REQUIRE(data != NULL);
  REQUIRE(fread(data, 1, (size_t)size, f) == (size_t)size);
  fclose(f);
  *len = (size_t)size;
  return data;
}

/* SHA-256 of a file's bytes in one call (OpenSSL), as 64 hex digits. */
static void sha256_hex(const char *path, char out[65]) {
  size_t len;
  char *data = read_whole(path, &len);
  unsigned char digest[32];
  unsigned int n = 0;
  REQUIRE(EVP_Digest(data, len, digest, &n, EVP_sha256(), NULL) == 1 && n == 32);
  for (int i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", digest[i]);
  free(data);
}

static regio_ingest_opts_t default_opts(void) {
  regio_ingest_opts_t o;
  regio_ingest_opts_default(&o);
  return o;
}

/* ---- small hand-made tables -------------------------------------------------------------------- */

static void test_basic(void) {
  const char *path = test_path("basic.csv");
  /* 01/111: 2 + 4 = 6; 01/112: 1.5; 02/111: 3; 10/111: 0.25 */
  const char *text =
      "district,sector,employees\n"
      "02,111,3\n"
      "01,112,1.5\n"
      "01,111,2\n"
      "10,111,0.25\n"
      "01,111,4\n";
  test_write_text(path, text);
  regio_ingest_opts_t o = default_opts();
  regio_aggregate_t *agg = NULL;
  regio_err_t err = ingest1(path, &o, &agg);
  CHECK_ERROR(err, REGIO_OK, "");
  if (!agg) return;
  CHECK_CODES(&agg->districts, "01", "02", "10");
  CHECK_CODES(&agg->sectors, "111", "112");
  CHECK_INT(cell(agg, "01", "111"), 6000);
  CHECK_INT(cell(agg, "01", "112"), 1500);
  CHECK_INT(cell(agg, "02", "111"), 3000);
  CHECK_INT(cell(agg, "02", "112"), 0);
  CHECK_INT(cell(agg, "10", "111"), 250);
  CHECK_INT(cell(agg, "10", "112"), 0);
  /* no establishments column: each row is one establishment */
  CHECK_INT(district_estab(agg, "01"), 3);
  CHECK_INT(district_estab(agg, "02"), 1);
  CHECK_INT(district_estab(agg, "10"), 1);
  CHECK_INT(sector_estab(agg, "111"), 4);
  CHECK_INT(sector_estab(agg, "112"), 1);
  CHECK_INT(agg->n_inputs, 1);
  CHECK_STR(agg->inputs[0].path, path);
  CHECK_INT(agg->inputs[0].bytes, (long long)strlen(text));
  CHECK_INT(agg->inputs[0].rows_read, 5);
  CHECK_INT(agg->inputs[0].rows_used, 5);
  CHECK_INT(agg->inputs[0].delimiter, ',');
  for (int r = 0; r < REGIO_SKIP_COUNT; r++) {
    CHECK_INT(agg->inputs[0].skipped[r], 0);
    CHECK_INT(agg->inputs[0].first_skipped_line[r], 0);
  }
  char sha[65];
  sha256_hex(path, sha);
  CHECK_STR(agg->inputs[0].sha256, sha);
  regio_aggregate_destroy(&agg);
  CHECK(agg == NULL);
  regio_aggregate_destroy(&agg); /* NULL is fine */

  o.checksum = 0;
  err = ingest1(path, &o, &agg);
  CHECK_ERROR(err, REGIO_OK, "");
  if (agg) CHECK_STR(agg->inputs[0].sha256, "");
  regio_aggregate_destroy(&agg);
}

static void test_sorting(void) {
  /* bytewise order, a prefix before its extensions: "01" < "1" < "10" < "1A" < "9" < "B" < "b" <
   * "\xC3\xA9" (e acute, 0xC3) < "\xEC\x84\x9C\xEC\x9A\xB8" (Seoul, 0xEC) */
  const char *path = test_path("sorting.csv");
  test_write_text(path,
                  "district,sector,employees\n"
                  "b,9,1\n"
                  "\xEC\x84\x9C\xEC\x9A\xB8,10,1\n"
                  "1A,1,1\n"
                  "10,01,1\n"
                  "B,1A,1\n"
                  "9,1,1\n"
                  "1,B,1\n"
                  "\xC3\xA9,b,1\n"
                  "01,9,1\n");
  regio_ingest_opts_t o = default_opts();
  regio_aggregate_t *agg = NULL;
  CHECK_ERROR(ingest1(path, &o, &agg), REGIO_OK, "");
  if (!agg) return;
  CHECK_CODES(&agg->districts, "01", "1", "10", "1A", "9", "B", "b", "\xC3\xA9", "\xEC\x84\x9C\xEC\x9A\xB8");
  CHECK_CODES(&agg->sectors, "01", "1", "10", "1A", "9", "B", "b");
  CHECK_INT(agg->districts.width, 6); /* the longest code: Seoul, 6 bytes */
  CHECK_INT(cell(agg, "\xEC\x84\x9C\xEC\x9A\xB8", "10"), 1000);
  CHECK_INT(cell(agg, "01", "9"), 1000);
  CHECK_INT(cell(agg, "b", "9"), 1000);
  regio_aggregate_destroy(&agg);
}

static void test_establishments(void) {
  const char *path = test_path("estab.csv");
  /* district 01: 2 + 3 = 5; 02: 1 + 4 = 5; sector 111: 2 + 3 + 4 = 9; 112: 1;
   * employment 01/111: 10 + 5 = 15; 02/112: 1; 02/111: 0 */
  test_write_text(path,
                  "district,sector,employees,establishments\n"
                  "01,111,10,2\n"
                  "01,111,5,3\n"
                  "02,112,1,1\n"
                  "02,111,0,4\n");
  regio_ingest_opts_t o = default_opts();
  o.establishments_col = "establishments";
  regio_aggregate_t *agg = NULL;
  CHECK_ERROR(ingest1(path, &o, &agg), REGIO_OK, "");
  if (agg) {
    CHECK_INT(district_estab(agg, "01"), 5);
    CHECK_INT(district_estab(agg, "02"), 5);
    CHECK_INT(sector_estab(agg, "111"), 9);
    CHECK_INT(sector_estab(agg, "112"), 1);
    CHECK_INT(cell(agg, "01", "111"), 15000);
    CHECK_INT(cell(agg, "02", "112"), 1000);
    CHECK_INT(cell(agg, "02", "111"), 0); /* a zero row still creates the cell's codes */
    CHECK_INT(agg->inputs[0].rows_used, 4);
  }
  regio_aggregate_destroy(&agg);
  /* the same file without the option: one establishment per row (01: 2, 02: 2; 111: 3, 112: 1) */
  o.establishments_col = NULL;
  CHECK_ERROR(ingest1(path, &o, &agg), REGIO_OK, "");
  if (agg) {
    CHECK_INT(district_estab(agg, "01"), 2);
    CHECK_INT(district_estab(agg, "02"), 2);
    CHECK_INT(sector_estab(agg, "111"), 3);
    CHECK_INT(sector_estab(agg, "112"), 1);
  }
  regio_aggregate_destroy(&agg);

  /* bad establishment values (skipped): 1.5, -1, x, empty; whole numbers written 2.000 are
   * numerically whole (reason 3 would be places, not the case) */
  const char *bad = test_path("estab_bad.csv");
  test_write_text(bad,
                  "district,sector,employees,establishments\n" /* line 1 */
                  "01,111,1,1.5\n"                             /* 2: bad */
                  "01,111,2,-1\n"                              /* 3: bad */
                  "01,111,3,x\n"                               /* 4: bad */
                  "01,111,4,\n"                                /* 5: bad (empty) */
                  "01,111,5,2\n");                             /* 6: ok */
  o = default_opts();
  o.establishments_col = "establishments";
  o.on_bad_row = REGIO_BAD_ROW_SKIP;
  CHECK_ERROR(ingest1(bad, &o, &agg), REGIO_OK, "");
  if (agg) {
    CHECK_INT(agg->inputs[0].skipped[REGIO_SKIP_BAD_ESTABLISHMENTS], 4);
    CHECK_INT(agg->inputs[0].first_skipped_line[REGIO_SKIP_BAD_ESTABLISHMENTS], 2);
    CHECK_INT(agg->inputs[0].rows_read, 5);
    CHECK_INT(agg->inputs[0].rows_used, 1);
    CHECK_INT(cell(agg, "01", "111"), 5000);
    CHECK_INT(district_estab(agg, "01"), 2);
  }
  regio_aggregate_destroy(&agg);
  o.on_bad_row = REGIO_BAD_ROW_FAIL;
  CHECK_ERROR(ingest1(bad, &o, &agg), REGIO_ERR_INPUT, at_line(bad, 2), "column 'establishments'", "\"1.5\"");
  CHECK(agg == NULL);
}

static void test_multi_column_districts(void) {
  const char *path = test_path("multi.csv");
  /* district = state + county, in the order of the option (not of the header):
   * 01001: 1 + 4 = 5; 01002: 2; 02001: 3 */
  test_write_text(path,
                  "county,sector,state,employees\n"
                  "001,111,01,1\n"
                  "002,111,01,2\n"
                  "001,111,02,3\n"
                  "\"001\",111,\"01\",4\n");
  regio_ingest_opts_t o = default_opts();
  o.district_cols[0] = "state";
  o.district_cols[1] = "county";
  o.n_district_cols = 2;
  regio_aggregate_t *agg = NULL;
  CHECK_ERROR(ingest1(path, &o, &agg), REGIO_OK, "");
  if (agg) {
    CHECK_CODES(&agg->districts, "01001", "01002", "02001");
    CHECK_INT(cell(agg, "01001", "111"), 5000);
    CHECK_INT(cell(agg, "01002", "111"), 2000);
    CHECK_INT(cell(agg, "02001", "111"), 3000);
  }
  regio_aggregate_destroy(&agg);

  /* the other order gives 00101 etc. */
  o.district_cols[0] = "county";
  o.district_cols[1] = "state";
  CHECK_ERROR(ingest1(path, &o, &agg), REGIO_OK, "");
  if (agg) CHECK_CODES(&agg->districts, "00101", "00102", "00201");
  regio_aggregate_destroy(&agg);

  /* an empty part is an empty code, named by its column */
  const char *empty = test_path("multi_empty.csv");
  test_write_text(empty,
                  "state,county,sector,employees\n"
                  "01,001,111,1\n"
                  "01,,111,2\n");
  o.district_cols[0] = "state";
  o.district_cols[1] = "county";
  CHECK_ERROR(ingest1(empty, &o, &agg), REGIO_ERR_INPUT, at_line(empty, 3), "column 'county'", "empty");
  o.on_bad_row = REGIO_BAD_ROW_SKIP;
  CHECK_ERROR(ingest1(empty, &o, &agg), REGIO_OK, "");
  if (agg) {
    CHECK_INT(agg->inputs[0].skipped[REGIO_SKIP_EMPTY_CODE], 1);
    CHECK_INT(agg->inputs[0].first_skipped_line[REGIO_SKIP_EMPTY_CODE], 3);
    CHECK_CODES(&agg->districts, "01001");
  }
  regio_aggregate_destroy(&agg);

  /* a control byte in the second part: the message should name the column that holds it */
  const char *control = test_path("multi_control.csv");
  test_write_text(control,
                  "state,county,sector,employees\n01,0\x01"
                  "01,111,1\n");
  o.on_bad_row = REGIO_BAD_ROW_FAIL;
  CHECK_ERROR(ingest1(control, &o, &agg), REGIO_ERR_INPUT, at_line(control, 2), "\"0\\x0101\"", "control");
  CHECK(strstr(regio_ctx_message(ctx), "column 'county'") != NULL);

  /* the concatenation may not exceed REGIO_CODE_MAX (64) bytes: 40 + 24 = 64 is fine, 40 + 25 not */
  char text[512];
  char a40[41], b24[25], b25[26];
  memset(a40, 'a', 40);
  a40[40] = '\0';
  memset(b24, 'b', 24);
  b24[24] = '\0';
  memset(b25, 'b', 25);
  b25[25] = '\0';
  snprintf(text, sizeof text, "state,county,sector,employees\n%s,%s,111,1\n%s,%s,111,2\n", a40, b24, a40, b25);
  const char *longer = test_path("multi_long.csv");
  test_write_text(longer, text);
  o.on_bad_row = REGIO_BAD_ROW_SKIP;
  CHECK_ERROR(ingest1(longer, &o, &agg), REGIO_OK, "");
  if (agg) {
    CHECK_INT(agg->districts.count, 1);
    CHECK_INT(agg->districts.width, 64);
    CHECK_INT(agg->inputs[0].skipped[REGIO_SKIP_BAD_CODE], 1);
    CHECK_INT(agg->inputs[0].first_skipped_line[REGIO_SKIP_BAD_CODE], 3);
  }
  regio_aggregate_destroy(&agg);
}

static void test_dialects(void) {
  regio_ingest_opts_t o = default_opts();
  regio_aggregate_t *agg = NULL;

  /* BOM and CRLF: 01: 1; 02: 2.5 (the CR is not part of "2.5") */
  const char *bom = test_path("bom.csv");
  test_write_text(bom,
                  "\xEF\xBB\xBF"
                  "district,sector,employees\r\n01,111,1\r\n02,111,2.5\r\n");
  CHECK_ERROR(ingest1(bom, &o, &agg), REGIO_OK, "");
  if (agg) {
    CHECK_CODES(&agg->districts, "01", "02");
    CHECK_INT(cell(agg, "01", "111"), 1000);
    CHECK_INT(cell(agg, "02", "111"), 2500);
  }
  regio_aggregate_destroy(&agg);

  /* quoting in codes and in a non-code column (name):
   * line 2: 01001/11111 += 5; the name has a delimiter and doubled quotes
   * line 3-4: 01001/11112 += 1.5; the name spans two lines
   * line 5: district 0100"2 (doubled quote in a code), 11111 += 2
   * line 6: district "01,003" (delimiter in a code), 11111 += 0.125
   * line 7-8: 01003 / sector "111|2" += 4; the name has CRLF inside
   * line 9: 01003/11111 += 10 (quoted "10.000"), empty quoted name
   * line 10: 01001/11111 += 3; name """quoted""" */
  const char *quoting = test_path("quoting.csv");
  test_write_text(quoting,
                  "district,sector,employees,name\n"
                  "\"01001\",\"11111\",\"5\",\"Smith, John \"\"Jr.\"\"\"\n"
                  "01001,11112,1.5,\"two\nlines\"\n"
                  "\"0100\"\"2\",11111,2,plain\n"
                  "\"01,003\",11111,0.125,x\n"
                  "01003,\"111|2\",4,\"a\r\nb\"\n"
                  "01003,11111,\"10.000\",\"\"\n"
                  "\"01001\",11111,3,\"\"\"quoted\"\"\"\n");
  CHECK_ERROR(ingest1(quoting, &o, &agg), REGIO_OK, "");
  if (agg) {
    /* bytewise: "01,003" < "0100\"2" (byte 2: ',' 0x2C < '0' 0x30); "0100\"2" < "01001" (byte 4:
     * '"' 0x22 < '1' 0x31); "01001" < "01003". Sectors: "111|2" last ('|' 0x7C > '1') */
    CHECK_CODES(&agg->districts, "01,003", "0100\"2", "01001", "01003");
    CHECK_CODES(&agg->sectors, "11111", "11112", "111|2");
    CHECK_INT(cell(agg, "01001", "11111"), 8000); /* 5 + 3 */
    CHECK_INT(cell(agg, "01001", "11112"), 1500);
    CHECK_INT(cell(agg, "0100\"2", "11111"), 2000);
    CHECK_INT(cell(agg, "01,003", "11111"), 125);
    CHECK_INT(cell(agg, "01003", "111|2"), 4000);
    CHECK_INT(cell(agg, "01003", "11111"), 10000);
    CHECK_INT(agg->inputs[0].rows_read, 7);
    CHECK_INT(agg->inputs[0].rows_used, 7);
  }
  regio_aggregate_destroy(&agg);

  /* missing trailing fields, blank lines, a final record without a line feed:
   * line 3 has no name (fine), line 5 lacks employees (bad_employees), blank lines 4, 6, 7 (one
   * CRLF) are not rows; the last record (line 8) has no line feed: 02/111 += 7 */
  const char *missing = test_path("missing.csv");
  test_write_text(missing,
                  "district,sector,employees,name\n" /* 1 */
                  "01,111,5,ok\n"                    /* 2 */
                  "01,112,3\n"                       /* 3 */
                  "\n"                               /* 4 */
                  "02,111\n"                         /* 5 */
                  "\n"                               /* 6 */
                  "\r\n"                             /* 7 */
                  "02,111,7");                       /* 8 */
  o.on_bad_row = REGIO_BAD_ROW_SKIP;
  CHECK_ERROR(ingest1(missing, &o, &agg), REGIO_OK, "");
  if (agg) {
    CHECK_INT(agg->inputs[0].rows_read, 4);
    CHECK_INT(agg->inputs[0].rows_used, 3);
    CHECK_INT(agg->inputs[0].skipped[REGIO_SKIP_BAD_EMPLOYEES], 1);
    CHECK_INT(agg->inputs[0].first_skipped_line[REGIO_SKIP_BAD_EMPLOYEES], 5);
    CHECK_INT(cell(agg, "01", "111"), 5000);
    CHECK_INT(cell(agg, "01", "112"), 3000);
    CHECK_INT(cell(agg, "02", "111"), 7000);
  }
  regio_aggregate_destroy(&agg);
  o.on_bad_row = REGIO_BAD_ROW_FAIL;
  CHECK_ERROR(ingest1(missing, &o, &agg), REGIO_ERR_INPUT, at_line(missing, 5), "column 'employees'", "empty");

  /* final record without a line feed, quoted, and with CRLF elsewhere */
  const char *final = test_path("final.csv");
  test_write_text(final, "district,sector,employees\r\n01,111,1\r\n\"01\",\"111\",\"2.5\"");
  CHECK_ERROR(ingest1(final, &o, &agg), REGIO_OK, "");
  if (agg) CHECK_INT(cell(agg, "01", "111"), 3500);
  regio_aggregate_destroy(&agg);
  /* ... and a final record ending in a lone CR */
  test_write_text(final, "district,sector,employees\n01,111,1\n01,111,2\r");
  CHECK_ERROR(ingest1(final, &o, &agg), REGIO_OK, "");
  if (agg) CHECK_INT(cell(agg, "01", "111"), 3000);
  regio_aggregate_destroy(&agg);

  /* other delimiters, detected from the header; a comma is then ordinary text.
   * 01/111: 1 + 2 = 3; 02/111: 0.5 */
  static const struct {
    const char *name, *text;
    char delim;
  } dialects[] = {
      {"semicolon.csv", "district;sector;employees;name\n01;111;1;a,b\n01;111;2;\"c;d\"\n02;111;0.5;e\n", ';'},
      {"pipe.csv", "district|sector|employees|name\n01|111|1|a,b\n01|111|2|\"c|d\"\n02|111|0.5|e\n", '|'},
      {"tab.tsv", "district\tsector\temployees\tname\n01\t111\t1\ta,b\n01\t111\t2\t\"c\td\"\n02\t111\t0.5\te\n", '\t'},
      {"comma.csv", "district,sector,employees,name\n01,111,1,a;b\n01,111,2,\"c,d\"\n02,111,0.5,e\n", ','},
  };
  for (size_t i = 0; i < sizeof dialects / sizeof dialects[0]; i++) {
    const char *p = test_path(dialects[i].name);
    test_write_text(p, dialects[i].text);
    for (int given = 0; given < 2; given++) {
      o = default_opts();
      o.delimiter = given ? dialects[i].delim : 0;
      CHECKF(ingest1(p, &o, &agg) == REGIO_OK, "%s (delimiter %s): %s", dialects[i].name, given ? "given" : "detected",
             regio_ctx_message(ctx));
      if (!agg) continue;
      CHECK_INT(agg->inputs[0].delimiter, dialects[i].delim);
      CHECK_INT(cell(agg, "01", "111"), 3000);
      CHECK_INT(cell(agg, "02", "111"), 500);
      regio_aggregate_destroy(&agg);
    }
  }
  /* a header without any of the four delimiters */
  const char *none = test_path("nodelim.csv");
  test_write_text(none, "district sector employees\n01 111 1\n");
  o = default_opts();
  CHECK_ERROR(ingest1(none, &o, &agg), REGIO_ERR_INPUT, none, "delimiter");
  /* the wrong delimiter given: the header is one column */
  o.delimiter = ';';
  const char *comma = test_path("comma.csv");
  CHECK_ERROR(ingest1(comma, &o, &agg), REGIO_ERR_INPUT, "no column 'district'");
}

static void test_sector_filters(void) {
  regio_ingest_opts_t o = default_opts();
  regio_aggregate_t *agg = NULL;
  const char *path = test_path("digits.csv");
  test_write_text(path,
                  "district,sector,employees\n" /* 1 */
                  "01,111,1\n"                  /* 2 */
                  "01,1111,2\n"                 /* 3: 4 digits */
                  "01,11,4\n"                   /* 4: 2 digits */
                  "02,112,8\n"                  /* 5 */
                  "02,11111,16\n");             /* 6: 5 digits */
  /* --sector-digits 3: lines 3, 4, 6 filtered out, even under the fail policy */
  o.sector_digits = 3;
  CHECK_ERROR(ingest1(path, &o, &agg), REGIO_OK, "");
  if (agg) {
    CHECK_INT(agg->inputs[0].rows_read, 5);
    CHECK_INT(agg->inputs[0].rows_used, 2);
    CHECK_INT(agg->inputs[0].skipped[REGIO_SKIP_SECTOR_DIGITS], 3);
    CHECK_INT(agg->inputs[0].first_skipped_line[REGIO_SKIP_SECTOR_DIGITS], 3);
    CHECK_CODES(&agg->sectors, "111", "112");
    CHECK_INT(cell(agg, "01", "111"), 1000);
    CHECK_INT(cell(agg, "02", "112"), 8000);
  }
  regio_aggregate_destroy(&agg);
  /* --sector-digits 5: only line 6 */
  o.sector_digits = 5;
  CHECK_ERROR(ingest1(path, &o, &agg), REGIO_OK, "");
  if (agg) {
    CHECK_INT(agg->inputs[0].skipped[REGIO_SKIP_SECTOR_DIGITS], 4);
    CHECK_INT(agg->inputs[0].first_skipped_line[REGIO_SKIP_SECTOR_DIGITS], 2);
    CHECK_CODES(&agg->districts, "02");
    CHECK_CODES(&agg->sectors, "11111");
    CHECK_INT(cell(agg, "02", "11111"), 16000);
  }
  regio_aggregate_destroy(&agg);

  /* min_sector_len 3: line 4 (11) is too short; a bad row under the fail policy */
  o = default_opts();
  o.min_sector_len = 3;
  CHECK_ERROR(ingest1(path, &o, &agg), REGIO_ERR_INPUT, at_line(path, 4), "column 'sector'", "\"11\"");
  o.on_bad_row = REGIO_BAD_ROW_SKIP;
  CHECK_ERROR(ingest1(path, &o, &agg), REGIO_OK, "");
  if (agg) {
    CHECK_INT(agg->inputs[0].skipped[REGIO_SKIP_SECTOR_TOO_SHORT], 1);
    CHECK_INT(agg->inputs[0].first_skipped_line[REGIO_SKIP_SECTOR_TOO_SHORT], 4);
    CHECK_INT(agg->inputs[0].rows_used, 4);
    CHECK_CODES(&agg->sectors, "111", "1111", "11111", "112"); /* a prefix before its extensions */
  }
  regio_aggregate_destroy(&agg);
  o = default_opts();
  o.sector_digits = -1;
  CHECK_INT(ingest1(path, &o, &agg), REGIO_ERR_USAGE);
  o.sector_digits = 0;
  o.n_district_cols = 0;
  CHECK_INT(ingest1(path, &o, &agg), REGIO_ERR_USAGE);
  o = default_opts();
  o.delimiter = '"';
  CHECK_INT(ingest1(path, &o, &agg), REGIO_ERR_USAGE);
  CHECK(agg == NULL);
}

/* One row per skip reason, after a record that spans three physical lines, so that record numbers
 * and line numbers differ. */
static const char skip_table[] =
    "district,sector,employees,name\n"                                                   /* line 1 */
    "01,111,1,\"first\nsecond\nthird\"\n"                                                /* 2-4: ok */
    "01,,2,empty sector\n"                                                               /* 5: empty_code */
    ",111,2,empty district\n"                                                            /* 6: empty_code */
    "01,111,abc,word\n"                                                                  /* 7: bad_employees */
    "01,111,-3,negative\n"                                                               /* 8: bad_employees */
    "01,111,1.0005,places\n"                                                             /* 9: bad_employees */
    "01,111,1,x,extra\n"                                                                 /* 10: too_many_fields */
    "0\x01,111,1,control\n"                                                              /* 11: bad_code */
    "01,11\xff,1,utf8\n"                                                                 /* 12: bad_code */
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA,111,1,65 bytes\n" /* 13: bad_code */
    "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB,111,1,64 bytes\n"  /* 14: ok */
    "02,112,2.5,\"multi\nline\"\n"                                                       /* 15-16: ok */
    "02,11,1,short\n"; /* 17: ok without min_sector_len */

static void test_skip_policy(void) {
  const char *path = test_path("skip.csv");
  test_write_text(path, skip_table);
  regio_ingest_opts_t o = default_opts();
  o.on_bad_row = REGIO_BAD_ROW_SKIP;
  regio_aggregate_t *agg = NULL;
  CHECK_ERROR(ingest1(path, &o, &agg), REGIO_OK, "");
  if (agg) {
    const regio_input_stats_t *st = &agg->inputs[0];
    CHECK_INT(st->rows_read, 13); /* records on lines 2, 5-14, 15, 17 */
    CHECK_INT(st->rows_used, 4);  /* lines 2, 14, 15, 17 */
    CHECK_INT(st->skipped[REGIO_SKIP_EMPTY_CODE], 2);
    CHECK_INT(st->first_skipped_line[REGIO_SKIP_EMPTY_CODE], 5);
    CHECK_INT(st->skipped[REGIO_SKIP_BAD_EMPLOYEES], 3);
    CHECK_INT(st->first_skipped_line[REGIO_SKIP_BAD_EMPLOYEES], 7);
    CHECK_INT(st->skipped[REGIO_SKIP_TOO_MANY_FIELDS], 1);
    CHECK_INT(st->first_skipped_line[REGIO_SKIP_TOO_MANY_FIELDS], 10);
    CHECK_INT(st->skipped[REGIO_SKIP_BAD_CODE], 3);
    CHECK_INT(st->first_skipped_line[REGIO_SKIP_BAD_CODE], 11);
    CHECK_INT(st->skipped[REGIO_SKIP_SECTOR_DIGITS], 0);
    CHECK_INT(st->first_skipped_line[REGIO_SKIP_SECTOR_DIGITS], 0);
    CHECK_INT(st->skipped[REGIO_SKIP_SECTOR_TOO_SHORT], 0);
    CHECK_INT(st->skipped[REGIO_SKIP_BAD_ESTABLISHMENTS], 0);
    CHECK_CODES(&agg->districts, "01", "02", "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB");
    CHECK_CODES(&agg->sectors, "11", "111", "112");
    CHECK_INT(cell(agg, "01", "111"), 1000);
    CHECK_INT(cell(agg, "02", "112"), 2500);
    CHECK_INT(cell(agg, "02", "11"), 1000);
  }
  regio_aggregate_destroy(&agg);

  /* with min_sector_len 3 as well, line 17 is too short; with threads 1 and 4 the same */
  o.min_sector_len = 3;
  for (int threads = 1; threads <= 4; threads += 3) {
    CHECK_ERROR(ingest_n(&path, 1, &o, threads, &agg), REGIO_OK, "");
    if (!agg) continue;
    CHECK_INT(agg->inputs[0].skipped[REGIO_SKIP_SECTOR_TOO_SHORT], 1);
    CHECK_INT(agg->inputs[0].first_skipped_line[REGIO_SKIP_SECTOR_TOO_SHORT], 17);
    CHECK_INT(agg->inputs[0].rows_used, 3);
    regio_aggregate_destroy(&agg);
  }
}

/* Sums beyond the 64-bit fixed-point range: INT64_MAX milli (9223372036854775.807) + 0.001. */
static void test_overflow(void) {
  const char *path = test_path("overflow.csv");
  test_write_text(path, "district,sector,employees\n01,111,9223372036854775.807\n01,111,0.001\n");
  regio_ingest_opts_t o = default_opts();
  regio_aggregate_t *agg = NULL;
  /* the same message for any thread count and block size (in a thread's cell or at the merge):
   * the cell named, no line, since which row crosses the limit depends on the order */
  const char *want = "district 01 in sector 111 sum to more than the 64-bit fixed-point range";
  for (int threads = 1; threads <= 4; threads++) {
    o.block_bytes = threads == 4 ? 7 : 0;
    CHECK_ERROR(ingest_n(&path, 1, &o, threads, &agg), REGIO_ERR_INPUT, want);
    CHECK(agg == NULL);
  }
  /* under the skip policy too: an overflow is not a bad row */
  o.on_bad_row = REGIO_BAD_ROW_SKIP;
  CHECK_ERROR(ingest_n(&path, 1, &o, 1, &agg), REGIO_ERR_INPUT, want);
  /* INT64_MAX exactly is fine */
  test_write_text(path, "district,sector,employees\n01,111,9223372036854775.807\n02,111,0\n");
  CHECK_ERROR(ingest_n(&path, 1, &o, 2, &agg), REGIO_OK, "");
  if (agg) CHECK_INT(cell(agg, "01", "111"), INT64_MAX);
  regio_aggregate_destroy(&agg);
}

/* The fail policy: the first bad row, with file, line, column and text. */
static void test_fail_messages(void) {
  regio_ingest_opts_t o = default_opts();
  regio_aggregate_t *agg = NULL;
  const char *path = test_path("fail.csv");
  /* each case: the skip table's header and multi-line first record, then one bad row (line 5) */
  static const struct {
    const char *row;
    const char *column, *text;
  } cases[] = {
      {"01,111,12a,x\n", "column 'employees'", "\"12a\""},
      {"01,111,-1,x\n", "column 'employees'", "\"-1\""},
      {"01,111,1.2345,x\n", "column 'employees'", "\"1.2345\""},
      {"01,111,99999999999999999999,x\n", "column 'employees'", "\"99999999999999999999\""},
      {"01,111,,x\n", "column 'employees'", "empty"},
      {"01,,1,x\n", "column 'sector'", "empty"},
      {",111,1,x\n", "column 'district'", "empty"},
      {"0\t1,111,1,x\n", "column 'district'", "\"0\\x091\""},
      {"01,1\xc3,1,x\n", "column 'sector'", "\"1\\xC3\""},
      {"\"multi\nline\",111,1,x\n", "column 'district'", "\"multi\\x0Aline\""},
      {"01,111,1,x,y\n", "5 fields", "4"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char text[512];
    snprintf(text, sizeof text, "district,sector,employees,name\n01,111,1,\"first\nsecond\nthird\"\n%s02,111,1,x\n%s",
             cases[i].row, cases[i].row);
    test_write_text(path, text);
    regio_err_t err = ingest1(path, &o, &agg);
    CHECK_ERROR(err, REGIO_ERR_INPUT, at_line(path, 5), cases[i].column, cases[i].text);
    CHECK(agg == NULL);
  }

  /* a bad row whose record starts on line 5 and spans lines 5-7: the line where it starts */
  test_write_text(path,
                  "district,sector,employees,name\n"
                  "01,111,1,\"first\nsecond\nthird\"\n"
                  "01,111,\"1\n2\",\"x\ny\"\n"
                  "01,111,1,ok\n");
  CHECK_ERROR(ingest1(path, &o, &agg), REGIO_ERR_INPUT, at_line(path, 5), "column 'employees'", "\"1\\x0A2\"");

  /* structural errors: stray quote, text after a closing quote, unbalanced quotes */
  test_write_text(path,
                  "district,sector,employees,name\n"
                  "01,111,1,\"a\nb\"\n"
                  "01,111,1,ab\"c\n" /* line 4: stray quote */
                  "01,111,1,d\n");
  CHECK_ERROR(ingest1(path, &o, &agg), REGIO_ERR_INPUT, at_line(path, 4), "quote inside an unquoted field", "ab\"");
  test_write_text(path,
                  "district,sector,employees,name\n"
                  "01,111,1,\"a\nb\"\n"
                  "01,111,1,\"ab\"c\n" /* line 4: text after the closing quote */
                  "01,111,1,d\n");
  CHECK_ERROR(ingest1(path, &o, &agg), REGIO_ERR_INPUT, at_line(path, 4), "after a closing quote", "field 4");
  test_write_text(path,
                  "district,sector,employees,name\n"
                  "01,111,1,\"a\nb\"\n"
                  "01,111,1,\"ab\n" /* line 4: never closed */
                  "01,111,1,d\n");
  CHECK_ERROR(ingest1(path, &o, &agg), REGIO_ERR_INPUT, at_line(path, 4), "never closed");
  /* the same under the skip policy: structure errors are not skippable */
  o.on_bad_row = REGIO_BAD_ROW_SKIP;
  CHECK_ERROR(ingest1(path, &o, &agg), REGIO_ERR_INPUT, at_line(path, 4), "never closed");
  o.on_bad_row = REGIO_BAD_ROW_FAIL;

  /* of two bad rows the first in file order is reported */
  test_write_text(path, "district,sector,employees\n01,111,1\n01,111,x1\n01,111,1\n01,111,x2\n");
  CHECK_ERROR(ingest1(path, &o, &agg), REGIO_ERR_INPUT, at_line(path, 3), "\"x1\"");
}

static void test_header_problems(void) {
  regio_ingest_opts_t o = default_opts();
  regio_aggregate_t *agg = NULL;

  const char *empty = test_path("empty.csv");
  test_write_text(empty, "");
  CHECK_ERROR(ingest1(empty, &o, &agg), REGIO_ERR_INPUT, empty, "empty");
  CHECK(agg == NULL);

  /* header only: no rows, an empty aggregate (plain with and without the line feed, and gzip) */
  const char *header_only = test_path("header_only.csv");
  const char *header_nolf = test_path("header_nolf.csv");
  const char *header_gz = test_path("header_only.csv.gz");
  test_write_text(header_only, "district,sector,employees\n");
  test_write_text(header_nolf, "district,sector,employees");
  write_gzip(header_gz, "district,sector,employees\n", 26, 1);
  const char *const header_files[] = {header_gz, header_only, header_nolf};
  for (int i = 0; i < 3; i++) {
    regio_err_t err = ingest1(header_files[i], &o, &agg);
    CHECKF(err == REGIO_OK, "%s: error %d \"%s\"", header_files[i], (int)err, regio_ctx_message(ctx));
    if (!agg) continue;
    CHECK_INT(agg->districts.count, 0);
    CHECK_INT(agg->sectors.count, 0);
    CHECK_INT(agg->inputs[0].rows_read, 0);
    CHECK_INT(agg->inputs[0].rows_used, 0);
    regio_aggregate_destroy(&agg);
  }

  /* a blank first line is an empty header */
  const char *blank = test_path("blank_header.csv");
  test_write_text(blank, "\ndistrict,sector,employees\n01,111,1\n");
  CHECK_ERROR(ingest1(blank, &o, &agg), REGIO_ERR_INPUT, blank, "header");

  /* a directory and a missing file */
  CHECK_ERROR(ingest1(test_dir(), &o, &agg), REGIO_ERR_IO, test_dir(), "directory");
  const char *missing = test_path("no_such_file.csv");
  CHECK_ERROR(ingest1(missing, &o, &agg), REGIO_ERR_IO, missing);
  CHECK(agg == NULL);

  /* a selected column twice in the header */
  const char *dup = test_path("dup.csv");
  test_write_text(dup, "district,sector,employees,sector\n01,111,1,112\n");
  CHECK_ERROR(ingest1(dup, &o, &agg), REGIO_ERR_INPUT, dup, "'sector'", "twice");
  /* ... an unselected one twice is fine */
  test_write_text(dup, "district,name,sector,employees,name\n01,a,111,1,b\n");
  CHECK_ERROR(ingest1(dup, &o, &agg), REGIO_OK, "");
  if (agg) CHECK_INT(cell(agg, "01", "111"), 1000);
  regio_aggregate_destroy(&agg);

  /* a missing column: the message lists the columns */
  const char *cols = test_path("cols.csv");
  test_write_text(cols, "district,sector,staff\n01,111,1\n");
  CHECK_ERROR(ingest1(cols, &o, &agg), REGIO_ERR_INPUT, cols, "no column 'employees'", "'district', 'sector', 'staff'");
  o.establishments_col = "establishments";
  o.employees_col = "staff";
  CHECK_ERROR(ingest1(cols, &o, &agg), REGIO_ERR_INPUT, "no column 'establishments'", "'staff'");

  /* the same column for two roles */
  o = default_opts();
  o.establishments_col = "employees";
  const char *basic = test_path("basic.csv");
  CHECK_ERROR(ingest1(basic, &o, &agg), REGIO_ERR_USAGE, "employees");
  CHECK(agg == NULL);

  /* a header that is not text */
  const char *binary = test_path("binary.csv");
  test_write_text(binary, "dis\x01trict,sector,employees\n01,111,1\n");
  o = default_opts();
  CHECK_ERROR(ingest1(binary, &o, &agg), REGIO_ERR_INPUT, binary);
}

static void test_two_files(void) {
  /* two files, different delimiters: 01/111: 1 + 10 = 11; 02/112: 2; 03/111: 0.5 */
  const char *a = test_path("two_a.csv"), *b = test_path("two_b.csv");
  test_write_text(a, "district,sector,employees\n01,111,1\n02,112,2\n");
  test_write_text(b, "sector;district;employees\n111;01;10\n111;03;0.5\n111;03;x\n");
  regio_ingest_opts_t o = default_opts();
  o.on_bad_row = REGIO_BAD_ROW_SKIP;
  const char *const paths[] = {a, b};
  regio_aggregate_t *agg = NULL;
  CHECK_ERROR(ingest_n(paths, 2, &o, 3, &agg), REGIO_OK, "");
  if (agg) {
    CHECK_CODES(&agg->districts, "01", "02", "03");
    CHECK_INT(cell(agg, "01", "111"), 11000);
    CHECK_INT(cell(agg, "02", "112"), 2000);
    CHECK_INT(cell(agg, "03", "111"), 500);
    CHECK_INT(agg->n_inputs, 2);
    CHECK_STR(agg->inputs[0].path, a);
    CHECK_STR(agg->inputs[1].path, b);
    CHECK_INT(agg->inputs[0].rows_read, 2);
    CHECK_INT(agg->inputs[1].rows_read, 3);
    CHECK_INT(agg->inputs[1].rows_used, 2);
    CHECK_INT(agg->inputs[0].skipped[REGIO_SKIP_BAD_EMPLOYEES], 0);
    CHECK_INT(agg->inputs[1].skipped[REGIO_SKIP_BAD_EMPLOYEES], 1);
    CHECK_INT(agg->inputs[1].first_skipped_line[REGIO_SKIP_BAD_EMPLOYEES], 4);
    CHECK_INT(agg->inputs[0].delimiter, ',');
    CHECK_INT(agg->inputs[1].delimiter, ';');
    CHECK_INT(district_estab(agg, "03"), 1); /* the bad row is not an establishment */
    CHECK_INT(district_estab(agg, "01"), 2);
  }
  regio_aggregate_destroy(&agg);
  /* the fail policy names the second file */
  o.on_bad_row = REGIO_BAD_ROW_FAIL;
  CHECK_ERROR(ingest_n(paths, 2, &o, 3, &agg), REGIO_ERR_INPUT, at_line(b, 4), "\"x\"");
  CHECK(agg == NULL);
}

/* ---- gzip -------------------------------------------------------------------------------------- */

static void test_gzip(void) {
  regio_ingest_opts_t o = default_opts();
  regio_aggregate_t *agg = NULL;
  const char *plain = test_path("quoting.csv"); /* written by test_dialects */
  size_t len;
  char *text = read_whole(plain, &len);

  /* the same aggregate as the plain file (01001/11111: 8 etc., see test_dialects) */
  for (int members = 1; members <= 3; members++) {
    char name[64];
    snprintf(name, sizeof name, "quoting_%d.csv.gz", members);
    const char *gz = test_path(name);
    write_gzip(gz, text, len, members); /* members split in the middle of records */
    CHECKF(ingest1(gz, &o, &agg) == REGIO_OK, "%d members: %s", members, regio_ctx_message(ctx));
    if (!agg) continue;
    CHECK_CODES(&agg->districts, "01,003", "0100\"2", "01001", "01003");
    CHECK_INT(cell(agg, "01001", "11111"), 8000);
    CHECK_INT(cell(agg, "01003", "111|2"), 4000);
    CHECK_INT(cell(agg, "01,003", "11111"), 125);
    CHECK_INT(agg->inputs[0].rows_read, 7);
    size_t gz_len;
    free(read_whole(gz, &gz_len));
    CHECK_INT(agg->inputs[0].bytes, (long long)gz_len);
    char sha[65];
    sha256_hex(gz, sha);
    CHECK_STR(agg->inputs[0].sha256, sha); /* of the compressed bytes */
    regio_aggregate_destroy(&agg);
  }

  /* a bad row in gzip input: the line in the decompressed text (line 5 of the skip table) */
  const char *bad = test_path("skip.csv.gz");
  write_gzip(bad, skip_table, sizeof skip_table - 1, 2);
  CHECK_ERROR(ingest1(bad, &o, &agg), REGIO_ERR_INPUT, at_line(bad, 5), "column 'sector'", "empty");
  o.on_bad_row = REGIO_BAD_ROW_SKIP;
  CHECK_ERROR(ingest1(bad, &o, &agg), REGIO_OK, "");
  if (agg) {
    CHECK_INT(agg->inputs[0].first_skipped_line[REGIO_SKIP_BAD_CODE], 11);
    CHECK_INT(agg->inputs[0].first_skipped_line[REGIO_SKIP_TOO_MANY_FIELDS], 10);
    CHECK_INT(agg->inputs[0].rows_used, 4);
  }
  regio_aggregate_destroy(&agg);
  o.on_bad_row = REGIO_BAD_ROW_FAIL;

  /* a truncated gzip file; corrupt compressed bytes; a corrupt CRC; a corrupt length */
  const char *whole = test_path("quoting_1.csv.gz");
  size_t gz_len;
  char *gz = read_whole(whole, &gz_len);
  const char *broken = test_path("broken.csv.gz");
  test_write_file(broken, gz, gz_len / 2);
  CHECK_ERROR(ingest1(broken, &o, &agg), REGIO_ERR_INPUT, broken, "truncated");
  test_write_file(broken, gz, gz_len - 4); /* without the length of the trailer */
  CHECK_ERROR(ingest1(broken, &o, &agg), REGIO_ERR_INPUT, broken);
  char *copy = malloc(gz_len);
  REQUIRE(copy != NULL);
  memcpy(copy, gz, gz_len);
  copy[gz_len - 8] ^= 0x5a; /* CRC-32 of the trailer */
  test_write_file(broken, copy, gz_len);
  CHECK_ERROR(ingest1(broken, &o, &agg), REGIO_ERR_INPUT, broken);
  memcpy(copy, gz, gz_len);
  copy[gz_len - 2] ^= 0x01; /* ISIZE of the trailer */
  test_write_file(broken, copy, gz_len);
  CHECK_ERROR(ingest1(broken, &o, &agg), REGIO_ERR_INPUT, broken);
  { /* bytes after the last member that are not another member: corrupt, not ignored */
    char *junk = malloc(gz_len + 5);
    REQUIRE(junk != NULL);
    memcpy(junk, gz, gz_len);
    memcpy(junk + gz_len, "junk\n", 5);
    test_write_file(broken, junk, gz_len + 5);
    CHECK_ERROR(ingest1(broken, &o, &agg), REGIO_ERR_INPUT, broken, "corrupt gzip data near compressed byte");
    free(junk);
  }
  for (size_t at = 12; at < gz_len - 8; at += 7) { /* bytes of the deflate data, one at a time */
    memcpy(copy, gz, gz_len);
    copy[at] ^= 0xff;
    test_write_file(broken, copy, gz_len);
    regio_err_t err = ingest1(broken, &o, &agg);
    CHECKF(err == REGIO_ERR_INPUT, "byte %zu flipped: error %d \"%s\"", at, (int)err, regio_ctx_message(ctx));
    regio_aggregate_destroy(&agg);
  }
  free(copy);
  free(gz);
  free(text);
}

/* ---- block and chunk boundaries ---------------------------------------------------------------- */

enum { GEN_ROWS = 2000, N_GEN_DISTRICTS = 23, N_GEN_SECTORS = 17 };
static const char *const gen_districts[N_GEN_DISTRICTS] = {"01001",
                                                           "01002",
                                                           "01003",
                                                           "0100",
                                                           "010011",
                                                           "02001",
                                                           "02002",
                                                           "11010",
                                                           "11020",
                                                           "11030",
                                                           "26010",
                                                           "26020",
                                                           "\xEC\x84\x9C\xEC\x9A\xB8",
                                                           "\xEB\xB6\x80\xEC\x82\xB0",
                                                           "A1",
                                                           "a1",
                                                           "Z",
                                                           "z9",
                                                           "31011",
                                                           "31012",
                                                           "41",
                                                           "410",
                                                           "4"};
static const char *const gen_sectors[N_GEN_SECTORS] = {"111", "1110", "11100", "112", "12",      "121",
                                                       "2",   "211",  "311",   "312", "4711",    "47",
                                                       "5",   "9999", "A01",   "a01", "\xC3\xA9"};

/* Bad rows in the generated table (skip variant): one reason each. */
enum { GEN_OK = 0, GEN_BAD_EMPLOYEES, GEN_EMPTY_SECTOR, GEN_EXTRA_FIELD };

typedef struct gen_table {
  char *text;
  size_t len, cap;
  int64_t employment[N_GEN_DISTRICTS][N_GEN_SECTORS];
  int64_t district_estab[N_GEN_DISTRICTS], sector_estab[N_GEN_SECTORS];
  int used_district[N_GEN_DISTRICTS], used_sector[N_GEN_SECTORS];
  int64_t rows_read, rows_used;
  int64_t skipped[REGIO_SKIP_COUNT], first_line[REGIO_SKIP_COUNT];
  int64_t record_line[GEN_ROWS]; /* physical line where record i starts */
  int64_t line;                  /* current line */
} gen_table_t;

static uint64_t lcg_state;
static uint32_t lcg(void) {
  lcg_state = lcg_state * 6364136223846793005ull + 1442695040888963407ull;
  return (uint32_t)(lcg_state >> 33);
}
static uint32_t below(uint32_t n) {
  return lcg() % n;
}

static void gen_put(gen_table_t *t, const char *s, size_t n) {
  if (t->len + n + 1 > t->cap) {
    t->cap = (t->cap + n + 1) * 2;
    t->text = realloc(t->text, t->cap);
    REQUIRE(t->text != NULL);
  }
  memcpy(t->text + t->len, s, n);
  t->len += n;
  t->text[t->len] = '\0';
  for (size_t i = 0; i < n; i++) t->line += s[i] == '\n';
}
static void gen_puts(gen_table_t *t, const char *s) {
  gen_put(t, s, strlen(s));
}

/* A field, quoted (with doubled inner quotes) when asked; raw must not need quoting otherwise. */
static void gen_field(gen_table_t *t, const char *raw, int quote) {
  if (!quote) {
    gen_puts(t, raw);
    return;
  }
  gen_puts(t, "\"");
  for (const char *p = raw; *p; p++) gen_put(t, *p == '"' ? "\"\"" : p, *p == '"' ? 2 : 1);
  gen_puts(t, "\"");
}

/* The generated table of `rows` rows: id,name,district,sector,employees,establishments,note.
 * bad[i] says how row i is spoiled (GEN_OK for a good row). The last record has no line feed. A
 * table of fewer rows is a prefix of one with more (but for the last line feed). */
static void generate(gen_table_t *t, const int *bad, int rows) {
  memset(t, 0, sizeof *t);
  t->line = 1;
  for (int r = 0; r < REGIO_SKIP_COUNT; r++) t->first_line[r] = 0;
  lcg_state = 20240601;
  gen_puts(t, "id,name,district,sector,employees,establishments,note\r\n");
  static const char *const pieces[] = {"Smith", ", ",   "\"Jr.\"", "\r\n",       "\n",
                                       ";",     "|",    "\t",      " & Sons",    "\xEC\x84\x9C\xEC\x9A\xB8",
                                       "a,b,c", "\"\"", "x",       "0123456789", ",\n,"};
  const int n_pieces = (int)(sizeof pieces / sizeof pieces[0]);
  for (int i = 0; i < rows; i++) {
    int d = (int)below(N_GEN_DISTRICTS), s = (int)below(N_GEN_SECTORS);
    /* employees in milli: mostly whole, some with 1 to 3 places, some large */
    int64_t milli;
    char employees[64];
    uint32_t kind = below(10);
    if (kind < 5) {
      milli = (int64_t)below(60) * 1000;
      snprintf(employees, sizeof employees, "%lld", (long long)(milli / 1000));
    } else if (kind < 7) {
      milli = (int64_t)below(20000);
      snprintf(employees, sizeof employees, "%lld.%03lld", (long long)(milli / 1000), (long long)(milli % 1000));
    } else if (kind < 8) {
      milli = (int64_t)below(100) * 100 + 500; /* one place, trailing zeros: 7.5000 */
      snprintf(employees, sizeof employees, "%lld.%lld000", (long long)(milli / 1000), (long long)(milli % 1000 / 100));
    } else if (kind < 9) {
      milli = (int64_t)below(1000) * 1000000 + (int64_t)below(1000);
      snprintf(employees, sizeof employees, "%lld.%03lld", (long long)(milli / 1000), (long long)(milli % 1000));
    } else {
      milli = (int64_t)below(1000); /* below 1: .125 or 0.125 */
      snprintf(employees, sizeof employees, below(2) ? "0.%03lld" : ".%03lld", (long long)milli);
    }
    int64_t estab = 1 + (int64_t)below(5);
    char estab_text[16];
    snprintf(estab_text, sizeof estab_text, "%lld", (long long)estab);

    /* name: long, quoted, with delimiters, quotes, LF and CRLF inside; sometimes plain */
    char name[2048];
    size_t name_len = 0;
    int quote_name = 1;
    if (below(8) == 0) {
      snprintf(name, sizeof name, "plain%d", i);
      quote_name = 0;
    } else {
      int n = 1 + (int)below(60);
      if (below(16) == 0) n += 150; /* now and then a very long one */
      name[0] = '\0';
      for (int k = 0; k < n; k++) {
        const char *p = pieces[below((uint32_t)n_pieces)];
        size_t pl = strlen(p);
        if (name_len + pl + 1 >= sizeof name) break;
        memcpy(name + name_len, p, pl + 1);
        name_len += pl;
      }
      if (bad[i]) { /* bad rows start a record of several lines */
        memcpy(name + name_len, "\n\n", 3);
        name_len += 2;
      }
    }

    t->record_line[i] = t->line;
    char id[16];
    snprintf(id, sizeof id, "%d", i + 1);
    gen_field(t, id, 0);
    gen_puts(t, ",");
    gen_field(t, name, quote_name);
    gen_puts(t, ",");
    gen_field(t, gen_districts[d], below(4) == 0);
    gen_puts(t, ",");
    if (bad[i] == GEN_EMPTY_SECTOR)
      gen_field(t, "", below(2));
    else
      gen_field(t, gen_sectors[s], below(4) == 0);
    gen_puts(t, ",");
    gen_field(t, bad[i] == GEN_BAD_EMPLOYEES ? "x1" : employees, below(5) == 0);
    gen_puts(t, ",");
    gen_field(t, estab_text, below(8) == 0);
    gen_puts(t, ",");
    uint32_t note = below(4);
    if (note == 1) gen_field(t, "note", 0);
    if (note == 2) gen_field(t, "a \"note\"\r\nover lines,\n", 1);
    if (bad[i] == GEN_EXTRA_FIELD) gen_puts(t, ",extra");
    if (i + 1 < rows) {
      gen_puts(t, below(3) == 0 ? "\r\n" : "\n");
      if (below(50) == 0) gen_puts(t, below(2) ? "\n" : "\r\n"); /* a blank line */
    }

    t->rows_read++;
    int reason = -1;
    if (bad[i] == GEN_BAD_EMPLOYEES) reason = REGIO_SKIP_BAD_EMPLOYEES;
    if (bad[i] == GEN_EMPTY_SECTOR) reason = REGIO_SKIP_EMPTY_CODE;
    if (bad[i] == GEN_EXTRA_FIELD) reason = REGIO_SKIP_TOO_MANY_FIELDS;
    if (reason >= 0) {
      t->skipped[reason]++;
      if (!t->first_line[reason]) t->first_line[reason] = t->record_line[i];
      continue;
    }
    t->rows_used++;
    t->employment[d][s] += milli;
    t->district_estab[d] += estab;
    t->sector_estab[s] += estab;
    t->used_district[d] = t->used_sector[s] = 1;
  }
}

static const char *const *sort_codes_ptr;
static int cmp_code_index(const void *a, const void *b) {
  return strcmp(sort_codes_ptr[*(const int *)a], sort_codes_ptr[*(const int *)b]);
}

/* Indices of the used codes in strcmp (bytewise) order. */
static int sorted_used(const char *const *codes, const int *used, int n, int *order) {
  int k = 0;
  for (int i = 0; i < n; i++)
    if (used[i]) order[k++] = i;
  sort_codes_ptr = codes;
  qsort(order, (size_t)k, sizeof *order, cmp_code_index);
  return k;
}

/* The aggregate equals the generator's totals. Returns 1 when equal (reports the first difference). */
static int agg_matches_generated(const regio_aggregate_t *agg, const gen_table_t *t, const char *what) {
  int dorder[N_GEN_DISTRICTS], sorder[N_GEN_SECTORS];
  int D = sorted_used(gen_districts, t->used_district, N_GEN_DISTRICTS, dorder);
  int S = sorted_used(gen_sectors, t->used_sector, N_GEN_SECTORS, sorder);
  test_checks++;
  const char *problem = NULL;
  char detail[256] = "";
  if (agg->districts.count != (size_t)D || agg->sectors.count != (size_t)S) problem = "code counts";
  for (int i = 0; !problem && i < D; i++) {
    const char *c = gen_districts[dorder[i]];
    if (regio_codes_len(&agg->districts, (size_t)i) != strlen(c) ||
        memcmp(regio_codes_at(&agg->districts, (size_t)i), c, strlen(c)))
      problem = "district codes", snprintf(detail, sizeof detail, "position %d: want %s", i, c);
  }
  for (int i = 0; !problem && i < S; i++) {
    const char *c = gen_sectors[sorder[i]];
    if (regio_codes_len(&agg->sectors, (size_t)i) != strlen(c) ||
        memcmp(regio_codes_at(&agg->sectors, (size_t)i), c, strlen(c)))
      problem = "sector codes", snprintf(detail, sizeof detail, "position %d: want %s", i, c);
  }
  for (int i = 0; !problem && i < D; i++) {
    for (int j = 0; !problem && j < S; j++)
      if (regio_aggregate_cell(agg, (size_t)i, (size_t)j) != t->employment[dorder[i]][sorder[j]])
        problem = "employment",
        snprintf(detail, sizeof detail, "cell %s/%s: %lld, want %lld", gen_districts[dorder[i]], gen_sectors[sorder[j]],
                 (long long)regio_aggregate_cell(agg, (size_t)i, (size_t)j),
                 (long long)t->employment[dorder[i]][sorder[j]]);
    if (!problem && agg->district_establishments[i] != t->district_estab[dorder[i]])
      problem = "district establishments";
  }
  for (int j = 0; !problem && j < S; j++)
    if (agg->sector_establishments[j] != t->sector_estab[sorder[j]]) problem = "sector establishments";
  const regio_input_stats_t *st = &agg->inputs[0];
  if (!problem && (st->rows_read != t->rows_read || st->rows_used != t->rows_used))
    problem = "rows", snprintf(detail, sizeof detail, "read %lld used %lld, want %lld %lld", (long long)st->rows_read,
                               (long long)st->rows_used, (long long)t->rows_read, (long long)t->rows_used);
  for (int r = 0; !problem && r < REGIO_SKIP_COUNT; r++)
    if (st->skipped[r] != t->skipped[r] || st->first_skipped_line[r] != t->first_line[r])
      problem = "skip counts",
      snprintf(detail, sizeof detail, "reason %s: %lld at line %lld, want %lld at %lld",
               regio_skip_reason_name((regio_skip_reason_t)r), (long long)st->skipped[r],
               (long long)st->first_skipped_line[r], (long long)t->skipped[r], (long long)t->first_line[r]);
  if (problem) {
    test_failures++;
    fprintf(stderr, "%s:%d: %s: aggregate differs from the generated totals: %s %s\n", __FILE__, __LINE__, what,
            problem, detail);
  }
  return problem == NULL;
}

/* Bitwise identity of two aggregates (codes, matrices, row counts). */
static int agg_identical(const regio_aggregate_t *a, const regio_aggregate_t *b) {
  if (a->districts.count != b->districts.count || a->sectors.count != b->sectors.count) return 0;
  if (a->districts.width != b->districts.width || a->sectors.width != b->sectors.width) return 0;
  size_t D = a->districts.count, S = a->sectors.count;
  if (memcmp(a->districts.chars, b->districts.chars, D * a->districts.width)) return 0;
  if (memcmp(a->sectors.chars, b->sectors.chars, S * a->sectors.width)) return 0;
  if ((a->cell_start == NULL) != (b->cell_start == NULL) || (a->employment == NULL) != (b->employment == NULL))
    return 0;
  if (a->employment && memcmp(a->employment, b->employment, D * S * sizeof(int64_t))) return 0;
  if (a->cell_start) {
    if (memcmp(a->cell_start, b->cell_start, (D + 1) * sizeof *a->cell_start)) return 0;
    if (memcmp(a->cell_sector, b->cell_sector, a->cell_start[D] * sizeof *a->cell_sector)) return 0;
    if (memcmp(a->cell_employment, b->cell_employment, a->cell_start[D] * sizeof *a->cell_employment)) return 0;
  }
  if (memcmp(a->district_establishments, b->district_establishments, D * sizeof(int64_t))) return 0;
  if (memcmp(a->sector_establishments, b->sector_establishments, S * sizeof(int64_t))) return 0;
  const regio_input_stats_t *x = &a->inputs[0], *y = &b->inputs[0];
  if (x->rows_read != y->rows_read || x->rows_used != y->rows_used) return 0;
  if (memcmp(x->skipped, y->skipped, sizeof x->skipped)) return 0;
  if (memcmp(x->first_skipped_line, y->first_skipped_line, sizeof x->first_skipped_line)) return 0;
  return strcmp(x->sha256, y->sha256) == 0;
}

static const int thread_counts[] = {1, 2, 3, 4};
static const size_t block_sizes[] = {1, 7, 64, 333, 4096, 0};
enum { N_THREADS = 4, N_BLOCKS = 6 };

/* Every thread count and block size on one file: all results equal the generated totals and the
 * single-threaded default-block result. */
static void boundary_sweep(const char *path, const gen_table_t *t, const regio_ingest_opts_t *base) {
  regio_ingest_opts_t o = *base;
  regio_aggregate_t *ref = NULL;
  o.block_bytes = 0;
  regio_err_t err = ingest_n(&path, 1, &o, 1, &ref);
  CHECKF(err == REGIO_OK, "%s: reference run: %s", path, regio_ctx_message(ctx));
  if (!ref) return;
  agg_matches_generated(ref, t, "reference run");
  char sha[65];
  sha256_hex(path, sha);
  CHECK_STR(ref->inputs[0].sha256, sha);
  for (int ti = 0; ti < N_THREADS; ti++) {
    for (int bi = 0; bi < N_BLOCKS; bi++) {
      o.block_bytes = block_sizes[bi];
      regio_aggregate_t *agg = NULL;
      err = ingest_n(&path, 1, &o, thread_counts[ti], &agg);
      CHECKF(err == REGIO_OK, "%s threads %d block %zu: %s", path, thread_counts[ti], block_sizes[bi],
             regio_ctx_message(ctx));
      if (!agg) continue;
      char what[256];
      snprintf(what, sizeof what, "%s threads %d block %zu", path, thread_counts[ti], block_sizes[bi]);
      if (agg_matches_generated(agg, t, what))
        CHECKF(agg_identical(agg, ref), "%s: differs from the single-threaded default-block result", what);
      regio_aggregate_destroy(&agg);
    }
  }
  regio_aggregate_destroy(&ref);
}

static void test_boundaries(void) {
  static int bad[GEN_ROWS];
  static gen_table_t t;
  memset(bad, 0, sizeof bad);
  generate(&t, bad, GEN_ROWS);
  CHECK(t.len > 200000); /* hundreds of kilobytes: many blocks of 4096 bytes */
  const char *plain = test_path("gen.csv"), *gz = test_path("gen.csv.gz");
  test_write_file(plain, t.text, t.len);
  write_gzip(gz, t.text, t.len, 1);
  regio_ingest_opts_t o = default_opts();
  o.establishments_col = "establishments";
  boundary_sweep(plain, &t, &o);
  boundary_sweep(gz, &t, &o);
  const char *gz2 = test_path("gen2.csv.gz");
  write_gzip(gz2, t.text, t.len, 2);
  {
    regio_aggregate_t *agg = NULL;
    o.block_bytes = 333;
    CHECK_ERROR(ingest_n(&gz2, 1, &o, 3, &agg), REGIO_OK, "");
    if (agg) agg_matches_generated(agg, &t, "two gzip members");
    regio_aggregate_destroy(&agg);
    o.block_bytes = 0;
  }
  free(t.text);

  /* skip policy: bad rows of three reasons spread over the first half of the table */
  for (int i = 0; i < GEN_ROWS; i++)
    bad[i] = i % 97 == 5     ? GEN_BAD_EMPLOYEES
             : i % 131 == 17 ? GEN_EMPTY_SECTOR
             : i % 173 == 40 ? GEN_EXTRA_FIELD
                             : GEN_OK;
  generate(&t, bad, GEN_ROWS / 2);
  /* rows 5 + 97k, 17 + 131k, 40 + 173k below 1000 (fewer where two rules meet) */
  CHECK(t.skipped[REGIO_SKIP_BAD_EMPLOYEES] >= 8 && t.skipped[REGIO_SKIP_EMPTY_CODE] >= 5 &&
        t.skipped[REGIO_SKIP_TOO_MANY_FIELDS] >= 4);
  const char *skip = test_path("gen_skip.csv");
  test_write_file(skip, t.text, t.len);
  o.on_bad_row = REGIO_BAD_ROW_SKIP;
  boundary_sweep(skip, &t, &o);
  free(t.text);
  o.on_bad_row = REGIO_BAD_ROW_FAIL;

  /* fail policy, on the first BAD_ROWS rows of the table (about 80 kB): a bad row at various
   * positions (the first, the second, one in the middle, the final record without a line feed),
   * and two bad rows (the first in file order is reported) */
  enum { BAD_ROWS = 500 };
  static const int positions[][2] = {{0, -1},    {1, -1},    {250, -1},        {BAD_ROWS - 1, -1},
                                     {100, 400}, {200, 201}, {7, BAD_ROWS - 1}};
  for (size_t p = 0; p < sizeof positions / sizeof positions[0]; p++) {
    memset(bad, 0, sizeof bad);
    bad[positions[p][0]] = GEN_BAD_EMPLOYEES;
    if (positions[p][1] >= 0) bad[positions[p][1]] = GEN_BAD_EMPLOYEES;
    generate(&t, bad, BAD_ROWS);
    const int64_t line = t.record_line[positions[p][0]];
    const char *file = test_path("gen_bad.csv"), *file_gz = test_path("gen_bad.csv.gz");
    test_write_file(file, t.text, t.len);
    write_gzip(file_gz, t.text, t.len, 1);
    free(t.text);
    const char *const files[] = {file, file_gz};
    for (int f = 0; f < 2; f++) {
      for (int ti = 0; ti < N_THREADS; ti++) {
        for (int bi = 0; bi < N_BLOCKS; bi++) {
          o.block_bytes = block_sizes[bi];
          regio_aggregate_t *agg = NULL;
          regio_err_t err = ingest_n(&files[f], 1, &o, thread_counts[ti], &agg);
          const char *msg = regio_ctx_message(ctx);
          const char *want = at_line(files[f], line);
          CHECKF(
              err == REGIO_ERR_INPUT && strstr(msg, want) && strstr(msg, "column 'employees'") && strstr(msg, "\"x1\""),
              "bad row %d (and %d), threads %d, block %zu: error %d \"%s\", want \"%s...\"", positions[p][0],
              positions[p][1], thread_counts[ti], block_sizes[bi], (int)err, msg, want);
          regio_aggregate_destroy(&agg);
        }
      }
    }
  }
}

/* ---- the fast lane of plain lines against the general path ------------------------------------- */

/* Lines of plain printable ASCII with short codes and whole numbers take the reader's fast lane;
 * everything else the general path. The same table with every field quoted takes the general path
 * only, so the two must give identical aggregates, row counts and skip counts, for every thread
 * count and block size. The codes and numbers are picked to sit on both sides of each of the
 * lane's conditions: codes of 1 to 9 bytes (the lane takes up to 7) and longer, whole numbers of
 * up to 15 digits and 16, decimals, bad values, rows one field short or long, rows over 64 bytes,
 * CRLF lines and blank lines. */
static const char *const lane_districts[] = {
    "1",        "01",           "001",
    "0001",     "00001",        "000001",
    "0000001",  "00000001",     "000000001",
    "31426",    "31427",        "4",
    "A",        "z9",           "11010",
    "1101",     "110100",       "1101000",
    "11010001", "110100010011", "a-long-district-code-of-48-bytes-xxxxxxxxxxxxxxx"};
static const char *const lane_sectors[] = {"1",        "2",     "11",   "111",    "1111", "11111", "111111", "1111111",
                                           "11111111", "96121", "9612", "961211", "A01",  "a01",   "47121"};
static const char *const lane_employees[] = {"0",
                                             "7",
                                             "12",
                                             "305",
                                             "000000000000012",
                                             "1000000000000001",
                                             "3.5",
                                             ".25",
                                             "",
                                             "x",
                                             "-1",
                                             "1e3",
                                             " 5",
                                             "4.",
                                             "99",
                                             "1",
                                             "2",
                                             "8",
                                             "1:2",
                                             "/1",
                                             "12345678",
                                             "9?",
                                             "99999999",
                                             "876543210"};
static const char *const lane_counts[] = {"1",     "2",   "3", "9", "123456789", "0000000001",
                                          "2.000", "1.5", "",  "x", "1",         "1"};

/* A table of rows for the lane test; quote: every field quoted. valid_only: only values that are
 * good, and then *employment and *rows get their totals (computed here, independently); 2: also
 * 75,000 possible cells instead of the short lists of codes; 3: as 2 for the first half of the
 * rows, then more and more new districts, so that a dense per-thread table is laid out again
 * (more rows) and at last goes back to a hash table while the lane has rows queued for it; 4: as
 * 2 with 2,000 x 600 possible cells. */
static char *lane_table(int rows, char delim, int quote, int valid_only, uint64_t seed, int64_t *employment,
                        int64_t *used) {
  gen_table_t t;
  memset(&t, 0, sizeof t);
  lcg_state = seed;
  char header[64];
  snprintf(header, sizeof header, "district%cname%csector%cemployees%cestablishments\n", delim, delim, delim, delim);
  gen_puts(&t, header);
  const int nd = (int)(sizeof lane_districts / sizeof *lane_districts);
  const int ns = (int)(sizeof lane_sectors / sizeof *lane_sectors);
  *employment = 0;
  *used = 0;
  for (int i = 0; i < rows; i++) {
    const char *field[5];
    int n_fields = 4;
    char district[16], sector[16];
    if (valid_only >= 2) { /* many cells (the per-thread tables turn dense), each with several rows */
      const uint32_t districts = valid_only == 4                    ? 2000
                                 : valid_only == 3 && i >= rows / 2 ? 500 + (uint32_t)(i - rows / 2) / 8
                                                                    : 500;
      snprintf(district, sizeof district, "%05u", below(districts) * 7);
      snprintf(sector, sizeof sector, "%05u", 10000 + below(valid_only == 4 ? 600 : 150) * 3);
      field[0] = district;
      field[1] = sector;
    } else {
      field[0] = lane_districts[below((uint32_t)nd)];
      field[1] = lane_sectors[below((uint32_t)ns)];
    }
    if (valid_only) {
      static const char *const good[] = {"0",   "7",   "12", "305",      "000000000000012",
                                         "3.5", ".25", "99", "12345678", "876543210"};
      static const int64_t milli[] = {0, 7000, 12000, 305000, 12000, 3500, 250, 99000, 12345678000, 876543210000};
      int k = (int)below(10);
      field[2] = good[k];
      field[3] = below(2) ? "1" : "3";
      *employment += milli[k];
      (*used)++;
    } else {
      field[2] = lane_employees[below(sizeof lane_employees / sizeof *lane_employees)];
      field[3] = lane_counts[below(sizeof lane_counts / sizeof *lane_counts)];
      uint32_t shape = below(40);
      if (shape == 0) n_fields = 3; /* one short */
      if (shape == 1) n_fields = 5, field[4] = "extra";
      if (shape == 2) n_fields = 5, field[4] = "\"quoted, extra\"";
      /* codes with bytes that are not plain: a control byte or a byte that is not UTF-8 (bad
       * codes), UTF-8 (a good one) */
      if (shape == 3) field[0] = "31\x01";
      if (shape == 4) field[1] = "96\xff";
      if (shape == 5) field[0] = "3\xc3\xa9";
    }
    /* the name, a column no role reads: quoted when it holds the delimiter or a quote, and now and
     * then when it need not be */
    /* ("1,2" in a row one field short: a delimiter inside the quotes counted as one would make
     * the row look whole, with a short code for the sector) */
    static const char *const names[] = {
        "Kwak Clinic", "Oh, Yoo & Sons", "Son \"Gyeonggi\" Salon", "", "\"", "a;b|c\td", "\"\"", "x,\"y\",z", "1,2"};
    const char *name = names[below(sizeof names / sizeof *names)];
    int quote_name = below(5) == 0; /* (drawn in both variants, so that they stay the same table) */
    quote_name = quote_name || quote || strchr(name, delim) || strchr(name, '"');
    for (int f = 0; f < n_fields; f++) {
      if (f) gen_put(&t, &delim, 1);
      gen_field(&t, field[f], quote);
      if (f == 0) {
        gen_put(&t, &delim, 1);
        gen_field(&t, name, quote_name);
      }
    }
    gen_puts(&t, !valid_only && below(10) == 0 ? "\r\n" : "\n");
    if (!valid_only && below(100) == 0) gen_puts(&t, "\n");
  }
  return t.text;
}

/* The quotes of a block are counted beside the parse of the block before it (process_block), a
 * 64-byte window with each window the lane parses, the rest after each sub-range. Stretches of
 * plain rows, which the lane parses, alternate with stretches whose names are nearly all quotes
 * (doubled quotes, a comma and a line feed inside: a count off by one moves a sub-range's first
 * record start), so that plain blocks count quote-dense ones. Every block size and thread count
 * gives the totals counted here and the result of one block. (Losing the lane's counts at its
 * exit fails here; only the parity of a count is used, so counters that wrap at 256 would not.) */
static void test_quotes_ahead(void) {
  gen_table_t t;
  memset(&t, 0, sizeof t);
  gen_puts(&t, "district,sector,employees,establishments,name\n");
  lcg_state = 4242;
  int64_t want_employment = 0, rows = 0;
  for (int stretch = 0; stretch < 12; stretch++) {
    for (int i = 0; i < 2500; i++, rows++) {
      char row[160];
      const unsigned employees = 1 + below(9);
      if (stretch % 2 == 0)
        snprintf(row, sizeof row, "%05u,%05u,%u,1,x\n", 10000 + below(300), 20000 + below(50), employees);
      else
        snprintf(row, sizeof row,
                 "%05u,%05u,%u,1,\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"a,\nb\"\n",
                 10000 + below(300), 20000 + below(50), employees);
      gen_puts(&t, row);
      want_employment += (int64_t)employees * 1000;
    }
  }
  const char *path = test_path("quotes_ahead.csv");
  test_write_file(path, t.text, t.len);
  free(t.text);
  regio_ingest_opts_t o = default_opts();
  o.checksum = 0;
  o.establishments_col = "establishments";
  regio_aggregate_t *ref = NULL;
  CHECK_ERROR(ingest_n(&path, 1, &o, 1, &ref), REGIO_OK, "");
  if (!ref) return;
  CHECK_INT(agg_total(ref), want_employment);
  CHECK_INT(ref->inputs[0].rows_used, rows);
  static const size_t sizes[] = {40000, 65536, 100003, 262144};
  for (int threads = 1; threads <= 3; threads++)
    for (size_t b = 0; b < sizeof sizes / sizeof *sizes; b++) {
      o.block_bytes = sizes[b];
      regio_aggregate_t *agg = NULL;
      CHECK_ERROR(ingest_n(&path, 1, &o, threads, &agg), REGIO_OK, "");
      if (agg)
        CHECKF(agg_identical(agg, ref) && agg->inputs[0].rows_used == rows,
               "threads %d, blocks of %zu bytes: differs from one block", threads, sizes[b]);
      regio_aggregate_destroy(&agg);
    }
  regio_aggregate_destroy(&ref);
}

static void test_plain_lane(void) {
  regio_ingest_opts_t base = default_opts();
  base.checksum = 0;
  base.establishments_col = "establishments";
  base.on_bad_row = REGIO_BAD_ROW_SKIP;
  struct {
    const char *what;
    char delim;
    int sector_digits, min_sector_len, no_count, valid_only;
    int64_t dense_bytes;
  } variants[] = {
      {"comma", ',', 0, 0, 0, 0, 0},
      {"tab", '\t', 0, 0, 0, 0, 0},
      {"sector digits 5", ',', 5, 0, 0, 0, 0},
      {"min sector 3", '|', 0, 3, 0, 0, 0},
      {"row = establishment", ';', 0, 0, 1, 0, 0},
      {"valid", ',', 0, 0, 0, 1, 0},
      {"valid, dense tables", ',', 0, 0, 0, 2, 0},
      /* the tables laid out dense when no larger than twice their hash form, then again with
       * more rows, then back to a hash table; and within an allowance of 3 MB, with wider rows
       * from the start and back to a hash table at other points */
      {"valid, dense tables that move", ',', 0, 0, 0, 3, -1},
      {"valid, dense tables that move, within an allowance", ',', 0, 0, 0, 3, 3 << 20},
      /* 2,000 x 600 ids: dense at the first growth only through the allowance */
      {"valid, dense tables within the allowance", ',', 0, 0, 0, 4, 0},
  };
  enum { LANE_ROWS = 4000 };
  for (size_t v = 0; v < sizeof variants / sizeof *variants; v++) {
    int64_t want_employment, want_used, ignored_e, ignored_u;
    const int rows = variants[v].valid_only >= 2 ? 75 * LANE_ROWS : LANE_ROWS;
    char *plain = lane_table(rows, variants[v].delim, 0, variants[v].valid_only, 777 + v, &want_employment, &want_used);
    char *quoted = lane_table(rows, variants[v].delim, 1, variants[v].valid_only, 777 + v, &ignored_e, &ignored_u);
    const char *plain_path = test_path("lane_plain.csv"), *quoted_path = test_path("lane_quoted.csv");
    test_write_file(plain_path, plain, strlen(plain));
    test_write_file(quoted_path, quoted, strlen(quoted));
    free(plain);
    free(quoted);
    regio_ingest_opts_t o = base;
    o.sector_digits = variants[v].sector_digits;
    o.min_sector_len = variants[v].min_sector_len;
    o.dense_bytes = variants[v].dense_bytes;
    if (variants[v].no_count) o.establishments_col = NULL;
    regio_aggregate_t *ref = NULL;
    CHECK_ERROR(ingest_n(&quoted_path, 1, &o, 1, &ref), REGIO_OK, "");
    if (!ref) continue;
    const regio_input_stats_t *st = &ref->inputs[0];
    if (variants[v].valid_only) {
      CHECK_INT(agg_total(ref), want_employment);
      CHECK_INT(st->rows_used, want_used);
    } else {
      int64_t skipped = 0;
      for (int r = 0; r < REGIO_SKIP_COUNT; r++) skipped += st->skipped[r];
      CHECKF(skipped > LANE_ROWS / 10 && st->rows_used > LANE_ROWS / 20, "%s: %lld skipped, %lld used",
             variants[v].what, (long long)skipped, (long long)st->rows_used);
    }
    for (int ti = 0; ti < N_THREADS; ti++) {
      /* (blocks of 1 and 7 bytes: see test_boundaries; the dense variant: large blocks only) */
      for (int bi = variants[v].valid_only >= 2 ? 4 : 2; bi < N_BLOCKS; bi++) {
        o.block_bytes = block_sizes[bi];
        regio_aggregate_t *agg = NULL;
        CHECK_ERROR(ingest_n(&plain_path, 1, &o, thread_counts[ti], &agg), REGIO_OK, "");
        if (agg)
          CHECKF(agg_identical(agg, ref), "%s, threads %d, block %zu: the plain table differs from the quoted one",
                 variants[v].what, thread_counts[ti], block_sizes[bi]);
        regio_aggregate_destroy(&agg);
      }
    }
    o.block_bytes = 0;
    regio_aggregate_destroy(&ref);
  }

  /* A quoted field over several lines, last in its row: the line feed inside the quotes does not
   * end the record (the lane must see that, or it would take the row cut short). */
  {
    gen_table_t t;
    memset(&t, 0, sizeof t);
    gen_puts(&t, "district,sector,employees,establishments,note\n");
    for (int i = 0; i < 3000; i++) gen_puts(&t, i % 3 ? "31426,96121,5,1,\"a\nb\"\n" : "31426,96121,2,1,plain\n");
    const char *path = test_path("lane_multiline.csv");
    test_write_file(path, t.text, t.len);
    free(t.text);
    regio_ingest_opts_t o = base;
    regio_aggregate_t *agg = NULL;
    CHECK_ERROR(ingest_n(&path, 1, &o, 1, &agg), REGIO_OK, "");
    if (agg) {
      CHECK_INT(agg->inputs[0].rows_used, 3000);
      CHECK_INT(cell(agg, "31426", "96121"), (1000 * 2 + 2000 * 5) * 1000); /* rows 0, 3, 6, ...: 2 each */
    }
    regio_aggregate_destroy(&agg);
  }

  /* Quotes out of place in a column no role reads: the lane must not take such a line for a plain
   * one; the general path reports it (even under the skip policy), naming its line. */
  static const char *const malformed[] = {
      "31426,ab\"c,96121,1,1",    /* a quote inside an unquoted field */
      "31426,\"ab\"c,96121,1,1",  /* text after the closing quote */
      "31426,\"ab\" ,96121,1,1",  /* a space after it */
      "31426,\"a\"b\",96121,1,1", /* a lone quote inside */
      "31426,x\"\",96121,1,1",    /* a doubled quote in an unquoted field */
      "31426,\"ab,96121,1,1",     /* never closed */
  };
  for (size_t m = 0; m < sizeof malformed / sizeof *malformed; m++) {
    gen_table_t t;
    memset(&t, 0, sizeof t);
    gen_puts(&t, "district,name,sector,employees,establishments\n");
    for (int i = 0; i < 2000; i++) { /* (enough lines for the lane: it needs 128 bytes ahead in a range) */
      gen_puts(&t, i == 1000 ? malformed[m] : "31426,\"Oh, \"\"Yoo\"\"\",96121,1,1");
      gen_puts(&t, "\n");
    }
    const char *path = test_path("lane_malformed.csv");
    test_write_file(path, t.text, t.len);
    free(t.text);
    for (int threads = 1; threads <= 2; threads++) {
      regio_ingest_opts_t o = base;
      regio_aggregate_t *agg = NULL;
      regio_err_t err = ingest_n(&path, 1, &o, threads, &agg);
      CHECKF(err == REGIO_ERR_INPUT && strstr(regio_ctx_message(ctx), at_line(path, 1002)),
             "malformed line %zu (%s), %d threads: error %d \"%s\"", m, malformed[m], threads, (int)err,
             regio_ctx_message(ctx));
      regio_aggregate_destroy(&agg);
    }
  }
}

int main(void) {
  REQUIRE(regio_ctx_create(&ctx) == REGIO_OK);
  test_basic();
  test_sorting();
  test_establishments();
  test_multi_column_districts();
  test_dialects();
  test_sector_filters();
  test_skip_policy();
  test_overflow();
  test_fail_messages();
  test_header_problems();
  test_two_files();
  test_gzip();
  test_boundaries();
  test_plain_lane();
  test_quotes_ahead();
  regio_ctx_destroy(&ctx);
  return test_summary("test_ingest");
}
