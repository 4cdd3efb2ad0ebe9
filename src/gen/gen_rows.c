/* Rows of the generated tables: drawing establishments from the economy and formatting them by
 * hand (memcpy and digit pairs, no printf), since formatting is most of the generator's time. */
#include <assert.h>
#include <string.h>

#include "gen/gen_impl.h"

/* ---- Numbers ------------------------------------------------------------------------------------ */

static const char DIGIT_PAIRS[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

size_t regio_gen_format_u64(char *out, uint64_t v) {
  char tmp[20];
  size_t i = sizeof tmp;
  while (v >= 100) {
    const unsigned pair = (unsigned)(v % 100) * 2;
    v /= 100;
    tmp[--i] = DIGIT_PAIRS[pair + 1];
    tmp[--i] = DIGIT_PAIRS[pair];
  }
  if (v >= 10) {
    tmp[--i] = DIGIT_PAIRS[v * 2 + 1];
    tmp[--i] = DIGIT_PAIRS[v * 2];
  } else {
    tmp[--i] = (char)('0' + v);
  }
  const size_t n = sizeof tmp - i;
  memcpy(out, tmp + i, n);
  return n;
}

size_t regio_gen_format_milli(char *out, uint64_t milli) {
  size_t n = regio_gen_format_u64(out, milli / 1000);
  unsigned frac = (unsigned)(milli % 1000);
  if (frac) {
    out[n++] = '.';
    out[n++] = (char)('0' + frac / 100);
    frac %= 100;
    if (frac) {
      out[n++] = (char)('0' + frac / 10);
      if (frac % 10) out[n++] = (char)('0' + frac % 10);
    }
  }
  return n;
}

/* ---- Drawing ------------------------------------------------------------------------------------ */

/* Share of rows whose employees carry a part-time FTE fraction, out of 65536 (about 2%). */
#define FTE_SHARE_65536 1311

static inline uint32_t draw_district(const regio_gen_model_t *m, const regio_gen_sector_t *sec, regio_gen_rng_t *rng) {
  uint64_t r = regio_gen_next(rng);
  if (sec->n_hosts && (uint64_t)(uint32_t)r < sec->host_threshold)
    return sec->hosts[regio_gen_below32(r, (uint32_t)sec->n_hosts)];
  return regio_gen_alias_draw(&m->district_law[sec->urban], regio_gen_next(rng));
}

static inline uint64_t draw_employees_milli(const regio_gen_model_t *m, const regio_gen_sector_t *sec,
                                            regio_gen_rng_t *rng) {
  return (1 + (uint64_t)regio_gen_alias_draw(&m->size_law[sec->size_class], regio_gen_next(rng))) * 1000;
}

/* A few rows report full-time equivalents: k - 0.5, k - 0.25, k + 0.25 or k + 0.5 (>= 0.5). */
static inline uint64_t add_fte_fraction(uint64_t milli, regio_gen_rng_t *rng) {
  const uint64_t r = regio_gen_next(rng);
  if ((r & 0xFFFF) >= FTE_SHARE_65536) return milli;
  static const int64_t delta[4] = {-500, -250, 250, 500};
  return (uint64_t)((int64_t)milli + delta[(r >> 16) & 3]);
}

/* ---- Names -------------------------------------------------------------------------------------- */

static const char *const SURNAMES[] = {
    "Kim",  "Lee",   "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim",  "Han", "Oh",  "Seo",  "Shin",
    "Kwon", "Hwang", "Ahn",  "Song", "Jeon", "Hong", "Yoo", "Ko",   "Moon", "Yang", "Son", "Bae", "Baek", "Heo",
    "Nam",  "Noh",   "Ha",   "Kwak", "Sung", "Cha",  "Joo", "Woo",  "Koo",  "Min",  "Ryu", "Na",
};
static const char *const BRANDS[] = {
    "Hanil",    "Daehan",   "Samil",      "Pureun",      "Hana",     "Saerom",  "Mirae",     "Cheonji",
    "Sejin",    "Dongbang", "Shinsung",   "Kukje",       "Taeyang",  "Haneul",  "Baekdu",    "Hallim",
    "Jinheung", "Sambo",    "Blue Ocean", "Green Field", "New Wave", "Sunrise", "Evergreen", "First Star",
};
#define N_SURNAMES ((uint32_t)(sizeof SURNAMES / sizeof SURNAMES[0]))
#define N_BRANDS ((uint32_t)(sizeof BRANDS / sizeof BRANDS[0]))

static inline char *put_str(char *p, const char *s) {
  const size_t n = strlen(s);
  memcpy(p, s, n);
  return p + n;
}

/* Writes a synthetic establishment name as a CSV field: quoted when it holds a comma or a quote
 * (always when force_quotes), with quotes doubled as RFC 4180 says. */
static char *put_name(char *out, const regio_gen_model_t *m, const regio_gen_sector_t *sec, uint32_t district,
                      int force_quotes, regio_gen_rng_t *rng) {
  const uint64_t r = regio_gen_next(rng);
  const uint32_t pattern = regio_gen_below32(r, 100);
  const char *sur = SURNAMES[(uint32_t)r % N_SURNAMES];
  const char *sur2 = SURNAMES[((uint32_t)r >> 8) % N_SURNAMES];
  const char *brand = BRANDS[((uint32_t)r >> 16) % N_BRANDS];
  const char *noun = m->group_nouns[sec->group];
  const char *place = m->region_names[m->districts[district].region];
  char name[160], *p = name;
  if (pattern < 35) { /* Kim Foods */
    p = put_str(put_str(put_str(p, sur), " "), noun);
  } else if (pattern < 55) { /* Kim Foods Co., Ltd. */
    p = put_str(put_str(put_str(put_str(p, sur), " "), noun), " Co., Ltd.");
  } else if (pattern < 65) { /* Kim, Lee & Sons */
    p = put_str(put_str(put_str(put_str(p, sur), ", "), sur2), " & Sons");
  } else if (pattern < 77) { /* Busan Foods */
    p = put_str(put_str(put_str(p, place), " "), noun);
  } else if (pattern < 82) { /* Kim "Busan" Foods */
    p = put_str(put_str(put_str(put_str(put_str(p, sur), " \""), place), "\" "), noun);
  } else if (pattern < 85) { /* Kim, Lee & Sons "Busan" Ltd */
    p = put_str(put_str(put_str(put_str(put_str(put_str(p, sur), ", "), sur2), " & Sons \""), place), "\" Ltd");
  } else { /* Hanil Foods Inc. */
    p = put_str(put_str(put_str(put_str(p, brand), " "), noun), " Inc.");
  }
  *p = '\0';
  const int quote = force_quotes || (pattern >= 35 && pattern < 65) || (pattern >= 77 && pattern < 85);
  if (!quote) return put_str(out, name);
  *out++ = '"';
  for (const char *c = name; *c; c++) {
    if (*c == '"') *out++ = '"';
    *out++ = *c;
  }
  *out++ = '"';
  return out;
}

static const char *legal_form(const regio_gen_sector_t *sec, uint64_t milli, regio_gen_rng_t *rng) {
  const uint32_t u = regio_gen_below(rng, 100);
  if (sec->kind == 5 /* public and social */) {
    if (u < 35) return "Government, public body";
    if (u < 70) return "Corporation, non-profit";
  }
  if (milli <= 4000) return u < 75 ? "Sole proprietorship" : u < 92 ? "Corporation, for-profit" : "Partnership";
  return u < 15 ? "Sole proprietorship" : u < 90 ? "Corporation, for-profit" : u < 95 ? "Partnership" : "Cooperative";
}

/* ---- Rows --------------------------------------------------------------------------------------- */

size_t regio_gen_header(const regio_gen_model_t *m, char *out) {
  const char *columns = m->preset->columns;
  char *p = out;
  if (m->layout == REGIO_GEN_LAYOUT_WIDE) {
    *p++ = '"';
    for (const char *c = columns; *c; c++) {
      if (*c == ',') {
        p = put_str(p, "\",\"");
      } else {
        *p++ = *c;
      }
    }
    *p++ = '"';
  } else {
    p = put_str(p, columns);
  }
  *p++ = '\n';
  assert((size_t)(p - out) < REGIO_GEN_ROW_MAX);
  return (size_t)(p - out);
}

static char *row_establishment(char *p, const regio_gen_model_t *m, int64_t row, regio_gen_rng_t *rng) {
  const regio_gen_sector_t *sec = &m->sectors[regio_gen_alias_draw(&m->sector_law, regio_gen_next(rng))];
  const uint32_t district = draw_district(m, sec, rng);
  const regio_gen_district_t *dist = &m->districts[district];
  const uint64_t milli = add_fte_fraction(draw_employees_milli(m, sec, rng), rng);
  p += regio_gen_format_u64(p, (uint64_t)row + 1);
  *p++ = ',';
  p = put_name(p, m, sec, district, 0, rng);
  *p++ = ',';
  const int dl = m->district_code_len;
  memcpy(p, dist->region_code, 2);
  p[2] = ',';
  memcpy(p + 3, dist->code, (size_t)dl);
  p[3 + dl] = ',';
  memcpy(p + 4 + dl, sec->code, 5);
  p[9 + dl] = ',';
  p += 10 + dl;
  p += regio_gen_format_milli(p, milli);
  *p++ = '\n';
  return p;
}

static char *row_narrow(char *p, const regio_gen_model_t *m, regio_gen_rng_t *rng) {
  const regio_gen_sector_t *sec = &m->sectors[regio_gen_alias_draw(&m->sector_law, regio_gen_next(rng))];
  const regio_gen_district_t *dist = &m->districts[draw_district(m, sec, rng)];
  /* Establishments in the cell: 1 (62%), 2 (20%), 3 (10%), 4 (5%), 5 (3%). */
  const uint32_t u = (uint32_t)regio_gen_next(rng) & 0xFFFF;
  const int n = u < 40632 ? 1 : u < 53739 ? 2 : u < 60293 ? 3 : u < 63570 ? 4 : 5;
  uint64_t milli = 0;
  for (int k = 0; k < n; k++) milli += draw_employees_milli(m, sec, rng);
  milli = add_fte_fraction(milli, rng);
  const int dl = m->district_code_len;
  memcpy(p, dist->code, (size_t)dl);
  p[dl] = ',';
  memcpy(p + dl + 1, sec->code, 5);
  p[dl + 6] = ',';
  p += dl + 7;
  p += regio_gen_format_milli(p, milli);
  p[0] = ',';
  p[1] = (char)('0' + n);
  p[2] = '\n';
  return p + 3;
}

static char *row_wide(char *p, const regio_gen_model_t *m, int64_t row, regio_gen_rng_t *rng) {
  const regio_gen_sector_t *sec = &m->sectors[regio_gen_alias_draw(&m->sector_law, regio_gen_next(rng))];
  const uint32_t district = draw_district(m, sec, rng);
  const regio_gen_district_t *dist = &m->districts[district];
  const uint64_t milli = add_fte_fraction(draw_employees_milli(m, sec, rng), rng);
  /* Annual payroll in thousands: employees x the sector's wage x a factor in [0.7, 1.3). */
  const uint64_t payroll = milli * sec->wage / 1000 * (700 + regio_gen_below(rng, 600)) / 1000;
  *p++ = '"';
  p += regio_gen_format_u64(p, (uint64_t)row + 1);
  *p++ = '"';
  *p++ = ',';
  p = put_name(p, m, sec, district, 1, rng);
  *p++ = ',';
  memcpy(p, dist->wide_text, dist->wide_len);
  p += dist->wide_len;
  *p++ = ',';
  memcpy(p, sec->wide_text, sec->wide_len);
  p += sec->wide_len;
  p = put_str(p, ",\"");
  p += regio_gen_format_milli(p, milli);
  p = put_str(p, "\",\"");
  p += regio_gen_format_u64(p, payroll);
  p = put_str(p, "\",\"");
  p = put_str(p, legal_form(sec, milli, rng));
  p = put_str(p, "\"\n");
  return p;
}

size_t regio_gen_block(const regio_gen_model_t *m, int64_t block, int64_t n_rows, char *out) {
  regio_gen_rng_t rng = regio_gen_rng_key(m->seed, 1, (uint64_t)block);
  const int64_t first = block * REGIO_GEN_BLOCK_ROWS;
  char *p = out;
  switch (m->layout) {
    case REGIO_GEN_LAYOUT_ESTABLISHMENTS:
      for (int64_t i = 0; i < n_rows; i++) {
        char *start = p;
        p = row_establishment(p, m, first + i, &rng);
        assert(p - start < REGIO_GEN_ROW_MAX);
        (void)start;
      }
      break;
    case REGIO_GEN_LAYOUT_NARROW:
      for (int64_t i = 0; i < n_rows; i++) p = row_narrow(p, m, &rng);
      break;
    case REGIO_GEN_LAYOUT_WIDE:
      for (int64_t i = 0; i < n_rows; i++) {
        char *start = p;
        p = row_wide(p, m, first + i, &rng);
        assert(p - start < REGIO_GEN_ROW_MAX);
        (void)start;
      }
      break;
  }
  return (size_t)(p - out);
}
