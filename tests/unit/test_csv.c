/* Unit test of the CSV helpers (src/ingest/csv.c): record splitting with RFC 4180 quoting,
 * delimiter detection, UTF-8 / control-byte validation of codes, and quoting of text for
 * messages. Expected values are written out by hand from the rules in csv_impl.h. */
#include <stdint.h>
#include <string.h>

#include "ingest/csv_impl.h"
#include "testing.h"

/* ---- regio_csv_split_record -------------------------------------------------------------------- */

/* Splits text (len bytes) and compares with the n_want fields and the bytes consumed. */
static void expect_split(const char *file, int line, const char *text, size_t len, char delim, int n_want,
                         const char *const *want, size_t consumed_want) {
  char **fields = NULL;
  size_t consumed = 0, error_at = 0;
  const char *what = NULL;
  int n = regio_csv_split_record(text, len, delim, &fields, &consumed, &error_at, &what);
  test_checks++;
  int ok = n == n_want && consumed == consumed_want;
  for (int i = 0; ok && i < n; i++) ok = strcmp(fields[i], want[i]) == 0;
  if (!ok) {
    test_failures++;
    fprintf(stderr, "%s:%d: split of \"%.*s\": got %d fields, consumed %zu (want %d, %zu)", file, line, (int)len, text,
            n, consumed, n_want, consumed_want);
    if (n < 0) fprintf(stderr, ", error at %zu: %s", error_at, what ? what : "(null)");
    for (int i = 0; i < n; i++)
      fprintf(stderr, "\n  field %d: \"%s\"%s", i + 1, fields[i],
              i < n_want && strcmp(fields[i], want[i]) ? " (differs)" : "");
    fputc('\n', stderr);
  }
  if (n > 0) regio_csv_free_fields(fields, n);
}

/* Expects malformed quoting: -1, the offset of the problem and a description containing part. */
static void expect_split_error(const char *file, int line, const char *text, char delim, size_t at_want,
                               const char *part) {
  char **fields = NULL;
  size_t consumed = 0, error_at = 12345;
  const char *what = NULL;
  int n = regio_csv_split_record(text, strlen(text), delim, &fields, &consumed, &error_at, &what);
  test_checks++;
  if (n != -1 || error_at != at_want || !what || !strstr(what, part)) {
    test_failures++;
    fprintf(stderr, "%s:%d: split of \"%s\": got %d, error at %zu, \"%s\"; want -1 at %zu with \"%s\"\n", file, line,
            text, n, error_at, what ? what : "(null)", at_want, part);
  }
  if (n > 0) regio_csv_free_fields(fields, n);
}

#define SPLIT(text, delim, consumed, ...)                                                                         \
  do {                                                                                                            \
    static const char *const want_[] = {__VA_ARGS__};                                                             \
    expect_split(__FILE__, __LINE__, text, sizeof(text) - 1, delim, (int)(sizeof want_ / sizeof want_[0]), want_, \
                 consumed);                                                                                       \
  } while (0)
#define SPLIT_ERROR(text, delim, at, part) expect_split_error(__FILE__, __LINE__, text, delim, at, part)

static void test_split(void) {
  /* plain fields; consumed counts the line feed */
  SPLIT("a,b,c\n", ',', 6, "a", "b", "c");
  SPLIT("a,b,c\nd,e\n", ',', 6, "a", "b", "c"); /* stops after the first record */
  SPLIT("a,b,c", ',', 5, "a", "b", "c");        /* no line feed at the end */
  SPLIT("single\n", ',', 7, "single");
  SPLIT("\n", ',', 1, ""); /* a blank line is one empty field */

  /* quoted fields: the quotes go, a delimiter inside stays */
  SPLIT("\"a,b\",c\n", ',', 8, "a,b", "c");
  SPLIT("x,\"a,b,c\"\n", ',', 10, "x", "a,b,c");
  /* doubled quotes are one quote: "say ""hi""" (12 bytes: 1 + 4 + 2 + 2 + 2 + 1) -> say "hi",
   * then ",x" and LF: 15 */
  SPLIT("\"say \"\"hi\"\"\",x\n", ',', 15, "say \"hi\"", "x");
  SPLIT("\"\"\"\"\n", ',', 5, "\"");       /* """" -> one quote */
  SPLIT("\"\"\"\"\"\"\n", ',', 7, "\"\""); /* """""" -> two quotes */
  SPLIT("\"\",x\n", ',', 5, "", "x");      /* empty quoted field */
  SPLIT("\"a\"\"\",\"\"\"b\"\n", ',', 12, "a\"", "\"b");

  /* line breaks inside quotes belong to the field; the record ends at the first LF outside:
   * "line1\nline2" is 13 bytes, ",z\n" 3 more */
  SPLIT("\"line1\nline2\",z\nnext\n", ',', 16, "line1\nline2", "z");
  SPLIT("\"a\r\nb\",c\r\n", ',', 10, "a\r\nb", "c"); /* CRLF inside quotes is kept as is */
  SPLIT("\"a\rb\",c\n", ',', 8, "a\rb", "c");

  /* CRLF ends a record; the CR is not part of the last field */
  SPLIT("a,b\r\nc\r\n", ',', 5, "a", "b");
  SPLIT("\"a\",\"b\"\r\nx", ',', 9, "a", "b");
  SPLIT("a,b\r", ',', 4, "a", "b"); /* CR at the very end, no LF */
  SPLIT("a,\r\n", ',', 4, "a", ""); /* empty last field before CRLF */

  /* empty fields */
  SPLIT(",,\n", ',', 3, "", "", "");
  SPLIT("a,,b\n", ',', 5, "a", "", "b");
  SPLIT("a,b,\n", ',', 5, "a", "b", ""); /* trailing empty field */
  SPLIT("a,b,", ',', 4, "a", "b", "");   /* ... also without a line feed */

  /* other delimiters: a comma is ordinary text then */
  SPLIT("a,b;c\n", ';', 6, "a,b", "c");
  SPLIT("a;\"b;c\";d\n", ';', 10, "a", "b;c", "d");
  SPLIT("a\tb\t\"c\td\"\n", '\t', 10, "a", "b", "c\td");
  SPLIT("a|b||c\n", '|', 7, "a", "b", "", "c");

  /* malformed quoting: offsets point at the problem */
  SPLIT_ERROR("ab\"c,d\n", ',', 2, "quote inside an unquoted field"); /* stray quote at byte 2 */
  SPLIT_ERROR("x,y\"\n", ',', 3, "quote inside an unquoted field");
  SPLIT_ERROR("\"ab\"c,d\n", ',', 4, "after a closing quote");   /* c at byte 4 */
  SPLIT_ERROR("1,\"ab\" ,d\n", ',', 6, "after a closing quote"); /* space at byte 6 */
  SPLIT_ERROR("\"ab\"\rx\n", ',', 4, "after a closing quote");   /* CR not followed by LF */
  SPLIT_ERROR("x,\"abc\n", ',', 2, "never closed");              /* the opening quote at 2 */
  SPLIT_ERROR("x,\"abc\"\"\n", ',', 2, "never closed");          /* "" is an escaped quote */
  SPLIT_ERROR("\"", ',', 0, "never closed");
}

/* ---- regio_csv_detect_delimiter ---------------------------------------------------------------- */

#define DETECT(text, want)                                                        \
  do {                                                                            \
    char got_ = regio_csv_detect_delimiter(text, sizeof(text) - 1);               \
    CHECKF(got_ == (want), "detect(\"%s\") = %d, expected %d", text, got_, want); \
  } while (0)

static void test_detect(void) {
  DETECT("district,sector,employees", ',');
  DETECT("district;sector;employees", ';');
  DETECT("district\tsector\temployees", '\t');
  DETECT("district|sector|employees", '|');
  DETECT("district", 0); /* none of the four */
  DETECT("", 0);
  DETECT("a:b:c", 0);
  /* the most frequent wins: 2 semicolons against 1 comma */
  DETECT("a,b;c;d", ';');
  DETECT("a|b|c,d", '|');
  /* ties in the order , ; TAB | */
  DETECT("a,b;c", ',');
  DETECT("a;b|c", ';');
  DETECT("a\tb|c", '\t');
  DETECT("a|b\tc;d,e", ',');
  /* delimiters inside quotes do not count: 4 commas quoted, 1 semicolon outside */
  DETECT("\"a,b,c,d,e\";f", ';');
  DETECT("\"x;y;z\",\"p;q\"", ',');
  DETECT("\"a,b\"", 0);
  /* only the first line counts */
  DETECT("a;b\nc,d,e,f\n", ';');
  DETECT("abc\nd,e\n", 0);
  /* ... but a line feed inside quotes does not end it */
  DETECT("\"x\ny,z,w\";v\n", ';');
  /* CRLF: the CR is not a delimiter */
  DETECT("a|b\r\n", '|');
}

/* ---- regio_csv_check_code_bytes ---------------------------------------------------------------- */

/* Both the reference check and the one with the ASCII fast path. */
#define CODE_BYTES(text, want)                                                           \
  do {                                                                                   \
    int got_ = regio_csv_check_code_bytes(text, sizeof(text) - 1);                       \
    CHECKF(got_ == (want), "check_code_bytes(%s) = %d, expected %d", #text, got_, want); \
    int fast_ = regio_csv_check_code(text, sizeof(text) - 1);                            \
    CHECKF(fast_ == (want), "check_code(%s) = %d, expected %d", #text, fast_, want);     \
  } while (0)

static void test_code_bytes(void) {
  /* ASCII */
  CODE_BYTES("01001", 0);
  CODE_BYTES("", 0);
  CODE_BYTES("A-1 b.c/~", 0);
  CODE_BYTES(" ", 0); /* space is not a control byte */
  /* valid UTF-8 of 2, 3 and 4 bytes */
  CODE_BYTES("\xC3\xA9", 0);                 /* e acute U+00E9 */
  CODE_BYTES("\xEC\x84\x9C\xEC\x9A\xB8", 0); /* Seoul U+C11C U+C6B8 */
  CODE_BYTES("\xE2\x82\xAC", 0);             /* euro sign U+20AC */
  CODE_BYTES("\xF0\x9F\x98\x80", 0);         /* U+1F600 */
  CODE_BYTES("11\xEC\x84\x9C", 0);           /* mixed */
  /* boundaries of each length: the smallest and largest code points */
  CODE_BYTES("\xC2\x80", 0);         /* U+0080 (a C1 control code point, but no control byte) */
  CODE_BYTES("\xDF\xBF", 0);         /* U+07FF */
  CODE_BYTES("\xE0\xA0\x80", 0);     /* U+0800 */
  CODE_BYTES("\xEF\xBF\xBF", 0);     /* U+FFFF */
  CODE_BYTES("\xED\x9F\xBF", 0);     /* U+D7FF, just below the surrogates */
  CODE_BYTES("\xEE\x80\x80", 0);     /* U+E000, just above */
  CODE_BYTES("\xF0\x90\x80\x80", 0); /* U+10000 */
  CODE_BYTES("\xF4\x8F\xBF\xBF", 0); /* U+10FFFF */

  /* control bytes */
  CODE_BYTES("\t", 1);
  CODE_BYTES("a\nb", 1);
  CODE_BYTES("a\rb", 1);
  CODE_BYTES("\x1f", 1);
  CODE_BYTES("\x7f", 1); /* DEL */
  CODE_BYTES("ab\x01", 1);
  CHECK_INT(regio_csv_check_code_bytes("a\0b", 3), 1); /* NUL inside the code */
  CHECK_INT(regio_csv_check_code_bytes("\0", 1), 1);
  CHECK_INT(regio_csv_check_code("a\0b", 3), 1);
  CHECK_INT(regio_csv_check_code("\0", 1), 1);

  /* overlong encodings */
  CODE_BYTES("\xC0\x80", 2);         /* U+0000 in 2 bytes */
  CODE_BYTES("\xC1\xBF", 2);         /* U+007F in 2 bytes */
  CODE_BYTES("\xE0\x80\x80", 2);     /* U+0000 in 3 bytes */
  CODE_BYTES("\xE0\x9F\xBF", 2);     /* U+07FF in 3 bytes */
  CODE_BYTES("\xF0\x80\x80\x80", 2); /* U+0000 in 4 bytes */
  CODE_BYTES("\xF0\x8F\xBF\xBF", 2); /* U+FFFF in 4 bytes */
  /* surrogates */
  CODE_BYTES("\xED\xA0\x80", 2); /* U+D800 */
  CODE_BYTES("\xED\xBF\xBF", 2); /* U+DFFF */
  /* beyond U+10FFFF and bytes that never occur */
  CODE_BYTES("\xF4\x90\x80\x80", 2); /* U+110000 */
  CODE_BYTES("\xF5\x80\x80\x80", 2);
  CODE_BYTES("\xFE", 2);
  CODE_BYTES("\xFF", 2);
  /* continuation bytes without a lead */
  CODE_BYTES("\x80", 2);
  CODE_BYTES("a\xBF", 2);
  /* lead bytes followed by a non-continuation */
  CODE_BYTES("\xC3\x28", 2);
  CODE_BYTES("\xE2\x28\xA1", 2);
  CODE_BYTES("\xE2\x82\x28", 2);
  CODE_BYTES("\xF0\x9F\x28\x80", 2);
  /* truncated sequences */
  CODE_BYTES("\xC3", 2);
  CODE_BYTES("a\xC3", 2);
  CODE_BYTES("\xE2\x82", 2);
  CODE_BYTES("\xF0\x9F\x98", 2);
  CHECK_INT(regio_csv_check_code_bytes("\xEC\x84\x9C\xEC\x9A\xB8", 5), 2); /* Seoul cut by len */
  CHECK_INT(regio_csv_check_code_bytes("\xC3\xA9", 1), 2);
}

/* The tuned check (ASCII fast path) against the reference: every string of 1 and 2 bytes, all
 * 3-byte strings over an alphabet of edge bytes, and random strings. */
static void test_code_check_vs_reference(void) {
  int mismatches = 0;
  unsigned char buf[16];
  for (int a = 0; a < 256; a++) {
    buf[0] = (unsigned char)a;
    mismatches += regio_csv_check_code((char *)buf, 1) != regio_csv_check_code_bytes((char *)buf, 1);
    for (int b = 0; b < 256; b++) {
      buf[1] = (unsigned char)b;
      mismatches += regio_csv_check_code((char *)buf, 2) != regio_csv_check_code_bytes((char *)buf, 2);
    }
  }
  static const unsigned char edges[] = {0x00, 0x09, 0x1f, 0x20, 0x30, 0x7e, 0x7f, 0x80, 0x9f, 0xa0, 0xbf,
                                        0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff};
  const int n_edges = (int)sizeof edges;
  for (int a = 0; a < n_edges; a++)
    for (int b = 0; b < n_edges; b++)
      for (int c = 0; c < n_edges; c++) {
        buf[0] = edges[a], buf[1] = edges[b], buf[2] = edges[c];
        mismatches += regio_csv_check_code((char *)buf, 3) != regio_csv_check_code_bytes((char *)buf, 3);
      }
  uint64_t state = 99;
  for (int trial = 0; trial < 200000; trial++) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    size_t len = 1 + (size_t)(state >> 60); /* 1..16 */
    for (size_t i = 0; i < len; i++) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      uint32_t r = (uint32_t)(state >> 33);
      /* mostly printable ASCII, sometimes an edge byte */
      buf[i] = r % 8 ? (unsigned char)(0x20 + (r >> 8) % 0x5f) : edges[(r >> 8) % (uint32_t)n_edges];
    }
    mismatches += regio_csv_check_code((char *)buf, len) != regio_csv_check_code_bytes((char *)buf, len);
  }
  CHECK_INT(mismatches, 0);
}

/* ---- regio_csv_quote_for_message --------------------------------------------------------------- */

#define QUOTE(text, want)                                                   \
  do {                                                                      \
    char out_[512];                                                         \
    memset(out_, 'Z', sizeof out_);                                         \
    regio_csv_quote_for_message(text, sizeof(text) - 1, out_, sizeof out_); \
    CHECK_STR(out_, want);                                                  \
  } while (0)

static void test_quote(void) {
  QUOTE("abc", "abc");
  QUOTE("", "");
  QUOTE("a b,\"c\"", "a b,\"c\""); /* printable ASCII as is, quotes included */
  QUOTE("a\tb", "a\\x09b");
  QUOTE("x\r\n", "x\\x0D\\x0A");
  QUOTE("\x7f", "\\x7F");
  QUOTE("\xC3\xA9", "\\xC3\\xA9"); /* non-ASCII bytes one by one */
  QUOTE("\xff", "\\xFF");
  {
    char out[16];
    regio_csv_quote_for_message("a\0b", 3, out, sizeof out);
    CHECK_STR(out, "a\\x00b");
  }

  /* at most 60 bytes of the text, then "..." */
  char text[100], want[100];
  memset(text, 'x', sizeof text);
  memset(want, 'x', 60);
  want[60] = '\0';
  char out[512];
  regio_csv_quote_for_message(text, 60, out, sizeof out);
  CHECK_STR(out, want); /* exactly 60: not cut */
  strcpy(want + 60, "...");
  regio_csv_quote_for_message(text, 61, out, sizeof out);
  CHECK_STR(out, want);
  regio_csv_quote_for_message(text, 100, out, sizeof out);
  CHECK_STR(out, want);

  /* the output never exceeds out_size bytes and is NUL-terminated */
  {
    char small[24];
    memset(small, 'Z', sizeof small);
    const char *alphabet = "abcdefghijklmnopqrstuvwxyz";
    regio_csv_quote_for_message(alphabet, 26, small, 16);
    CHECK(memchr(small, '\0', 16) != NULL);
    CHECK(small[16] == 'Z'); /* nothing written past out_size */
    size_t n = strlen(small);
    CHECK(n > 0 && n < 16);
    /* what is shown is a prefix of the text, marked as cut ("..." when cut, csv_impl.h) */
    int prefix_ok = 1;
    for (size_t i = 0; i < n && small[i] != '.'; i++) prefix_ok &= small[i] == alphabet[i];
    CHECK(prefix_ok);
    CHECK(n >= 3 && strcmp(small + n - 3, "...") == 0);
  }
  {
    /* non-ASCII bytes take 4 characters each: 20 bytes of Korean text (60 escaped characters + NUL)
     * fit in 100 */
    char korean[21];
    for (int i = 0; i < 20; i += 2) memcpy(korean + i, "\xEC\x84", 2);
    char shown[100];
    regio_csv_quote_for_message(korean, 20, shown, sizeof shown);
    CHECK_INT(strlen(shown), 80); /* 20 bytes x 4 characters */
    CHECK(strncmp(shown, "\\xEC\\x84", 8) == 0);
  }
}

/* regio_csv_count_quotes (SSE2 byte counters, flushed every 255 steps) against a plain count: all
 * quotes (runs far beyond 255 x 16 bytes), mostly quotes, random bytes; every length up to 300 and
 * long buffers, at offsets 0 to 16. */
static void test_count_quotes(void) {
  enum { N = 70000 };
  static char buf[N];
  uint64_t state = 7;
  int bad = 0;
  for (int mode = 0; mode < 3; mode++) {
    for (size_t i = 0; i < N; i++) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      buf[i] = mode == 0 ? '"' : mode == 1 ? ((state >> 33) % 4 ? '"' : ',') : (char)(state >> 40);
    }
    for (size_t off = 0; off <= 16; off++) {
      const size_t lengths[] = {0, 1, 7, 15, 16, 17, 31, 255 * 16 - 1, 255 * 16, 255 * 16 + 1, 65000, N - off};
      for (size_t n = 0; n < 300 + sizeof lengths / sizeof lengths[0]; n++) {
        size_t len = n < 300 ? n : lengths[n - 300];
        if (off + len > N) continue;
        size_t want = 0;
        for (size_t i = 0; i < len; i++) want += buf[off + i] == '"';
        bad += regio_csv_count_quotes(buf + off, len) != want;
      }
    }
  }
  CHECK(bad == 0);
}

int main(void) {
  test_count_quotes();
  test_split();
  test_detect();
  test_code_bytes();
  test_code_check_vs_reference();
  test_quote();
  return test_summary("test_csv");
}
