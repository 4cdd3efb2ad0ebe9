/* Unit test of regio_parse_milli (src/ingest/number.c): exact decimals into thousandths, the four
 * failure reasons (1 not a number, 2 negative, 3 too many decimal places, 4 out of range) and the
 * exact upper boundary of the 64-bit fixed-point range. */
#include <stdint.h>
#include <string.h>

#include "regio/ingest.h"
#include "testing.h"

/* Sentinel written before each call: a success must overwrite it. */
#define UNTOUCHED INT64_C(-777)

static void expect_value(const char *file, int line, const char *text, int64_t want) {
  int64_t milli = UNTOUCHED;
  int rc = regio_parse_milli(text, strlen(text), &milli);
  test_checks++;
  if (rc != 0 || milli != want) {
    test_failures++;
    fprintf(stderr, "%s:%d: regio_parse_milli(\"%s\") = %d, milli %" PRId64 "; expected 0, milli %" PRId64 "\n", file,
            line, text, rc, milli, want);
  }
}

static void expect_reason(const char *file, int line, const char *text, size_t len, int want) {
  int64_t milli = UNTOUCHED;
  int rc = regio_parse_milli(text, len, &milli);
  test_checks++;
  if (rc != want) {
    test_failures++;
    fprintf(stderr, "%s:%d: regio_parse_milli(\"%.*s\") = %d, expected reason %d\n", file, line, (int)len, text, rc,
            want);
  }
}

#define VALUE(text, want) expect_value(__FILE__, __LINE__, text, want)
#define REASON(text, want) expect_reason(__FILE__, __LINE__, text, strlen(text), want)

int main(void) {
  /* plain decimals: value * 1000 */
  VALUE("0", 0);
  VALUE("12", 12000);    /* 12 * 1000 */
  VALUE("3.5", 3500);    /* 3 * 1000 + 500 */
  VALUE("0.125", 125);   /* 0 * 1000 + 125 */
  VALUE(".5", 500);      /* no whole digits: 0.5 */
  VALUE("1.", 1000);     /* no decimals after the point: 1.0 */
  VALUE("1.5000", 1500); /* extra decimal places that are zeros are accepted */
  VALUE("0.0000000", 0); /* ditto, all zero */
  VALUE("2.0", 2000);
  VALUE("0.001", 1);                                         /* the smallest positive value */
  VALUE("007", 7000);                                        /* leading zeros */
  VALUE("000000000000000000000000000000000000001.25", 1250); /* many leading zeros are not large */
  VALUE("10.05", 10050);                                     /* 10 * 1000 + 050 */
  VALUE("999.999", 999999);

  /* not a number, whatever its size or sign: the syntax is judged before the range */
  REASON("99999999999999999999x", 1);
  REASON("-12a", 1);
  REASON("--5", 1);
  REASON("-99999999999999999999", 2); /* a number, negative */

  /* len, not the NUL, ends the text */
  {
    int64_t milli = UNTOUCHED;
    CHECK_INT(regio_parse_milli("125xyz", 3, &milli), 0);
    CHECK_INT(milli, 125000);
    milli = UNTOUCHED;
    CHECK_INT(regio_parse_milli("4.25,7", 4, &milli), 0); /* "4.25" */
    CHECK_INT(milli, 4250);
  }

  /* 3: non-zero digits beyond the third decimal place */
  REASON("1.0001", 3);
  REASON("0.1234", 3);
  REASON("1.23456789", 3);
  REASON("0.00000001", 3);

  /* 2: negative (a sign followed by a digit) */
  REASON("-1", 2);
  REASON("-0", 2);
  REASON("-0.0", 2);
  REASON("-12.5", 2);

  /* 1: not a number */
  expect_reason(__FILE__, __LINE__, "", 0, 1);
  REASON("12a", 1);
  REASON("1e3", 1);
  REASON("1E3", 1);
  REASON("1,234", 1);
  REASON(" 12", 1);
  REASON("12 ", 1);
  REASON("+5", 1);
  REASON("NaN", 1);
  REASON("nan", 1);
  REASON("inf", 1);
  REASON("Infinity", 1);
  REASON(".", 1);
  REASON("-", 1);
  REASON("1.2.3", 1);
  REASON("1..2", 1);
  REASON("0x10", 1);
  REASON("1.5 ", 1);
  REASON("\t1", 1);
  REASON("1\r", 1);
  REASON("\xd9\xa1", 1); /* ARABIC-INDIC DIGIT ONE is not an ASCII digit */

  /* The range. INT64_MAX = 9223372036854775807 milli = 9223372036854775.807 employees:
   * 9223372036854775807 / 1000 = 9223372036854775 remainder 807. */
  VALUE("9223372036854775.807", INT64_MAX);
  VALUE("9223372036854775.8070", INT64_MAX);               /* trailing zero place */
  VALUE("9223372036854775", INT64_C(9223372036854775000)); /* largest whole number */
  VALUE("9223372036854775.8", INT64_C(9223372036854775800));
  REASON("9223372036854775.808", 4); /* INT64_MAX + 1 milli */
  REASON("9223372036854775.9", 4);   /* ... 900 > 807 */
  REASON("9223372036854776", 4);     /* whole part one above */
  REASON("9223372036854776.0", 4);
  REASON("18446744073709551615", 4);           /* UINT64_MAX whole units */
  REASON("18446744073709551616", 4);           /* UINT64_MAX + 1: wraps a uint64 */
  REASON("123456789012345678901234567890", 4); /* 30 digits */
  REASON("123456789012345678901234567890.5", 4);

  return test_summary("test_number");
}
