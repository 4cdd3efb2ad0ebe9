/* Reading establishment tables: CSV (plain or gzip) -> per-thread partial aggregates.
 *
 * A file is processed in blocks (windows of a memory mapping, or buffers of inflated gzip data).
 * Each block is cut into sub-ranges that start exactly on record boundaries, found without
 * guessing: the threads first count the quote characters of their sub-range, a prefix sum of the
 * counts tells for every byte whether it lies inside a quoted field (RFC 4180 quotes toggle that
 * state, doubled quotes toggle it twice), and a sub-range starts after the first line feed that
 * lies outside quotes. The block ends after the last such line feed; the incomplete record after
 * it is carried into the next block. The threads then parse their sub-ranges into their own
 * partial aggregates (exact integer sums), which are merged at the end, so the result does not
 * depend on the thread count or on the order of rows or files. */
#include <errno.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <fcntl.h>
#include <isa-l/igzip_lib.h>
#include <math.h>
#include <omp.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h> /* gzread, for the line numbers of messages */

#include "aggregate/tables_impl.h"
#include "core/cells_impl.h"
#include "ingest/csv_impl.h"
#include "regio/dist.h"
#include "regio/ingest.h"

enum {
  SUBRANGES_PER_THREAD = 12, /* in three sizes: 4, 2 and 1 parts (process_block) */
  BLOCK_BYTES_PER_THREAD = 8 << 20,
  GZIP_READ_BYTES = 1 << 20,
};
/* A single record longer than this is taken for unbalanced quotes. */
#define REGIO_RECORD_MAX ((size_t)256 << 20)

/* Roles of the columns a row is read for. */
enum { ROLE_SECTOR = REGIO_MAX_DISTRICT_COLS, ROLE_EMPLOYEES, ROLE_ESTABLISHMENTS, ROLE_ACTOR, ROLE_COUNT };

typedef struct file_setup {
  const char *path;
  const regio_ingest_opts_t *opts;
  char delimiter;
  int n_columns;
  char **column_names; /* [n_columns] */
  int8_t *role;        /* [n_columns]: role + 1, 0 = not read */
  int role_field[ROLE_COUNT];
  uint8_t stops[256];    /* byte classes for scanning unquoted fields (see setup_header) */
  uint32_t needed_roles; /* bit r: role r has a column */
} file_setup_t;

/* Rows waiting to be added to the cell table: the table is large and accessed at random, so each
 * row's cell is prefetched when the row is parsed and added PENDING_ROWS rows later, which
 * overlaps the cache misses of consecutive rows. */
enum { PENDING_ROWS = 16 };
typedef struct pending_row {
  uint32_t district, sector; /* local ids (the cell key is made from them only where a slow path needs it) */
  int64_t employment, establishments;
  int sized; /* the row's establishment size is still to be recorded (the lane's; track_sizes) */
} pending_row_t;

/* Rows whose codes wait to be looked up in the dictionaries: the dictionary slots are prefetched
 * when the row is parsed and read STAGED_ROWS rows later. Codes are pointers into the block being
 * parsed, which stays in place while its range is parsed. Only large dictionaries, whose slots
 * (STAGE_SLOTS together, 8 MiB) miss the caches, are worth it: below that, copying the rows
 * through the ring costs more than the misses it hides (`narrow`, 3,500 + 1,200 codes: 9% of the
 * read; `us-tract`, 84,000 districts: 9%). */
enum { STAGED_ROWS = 8, STAGE_SLOTS = 1 << 19 };
typedef struct staged_row {
  const char *district, *sector;
  size_t district_len, sector_len;
  uint64_t district_hash, sector_hash;
  int64_t employment, establishments;
  int actor; /* local actor type id, -1 without an actor column */
} staged_row_t;

typedef struct worker {
  regio_partial_t partial;
  pending_row_t pending[PENDING_ROWS];
  size_t n_pending; /* rows pushed since the last flush */
  staged_row_t staged[STAGED_ROWS];
  size_t n_staged;
  int64_t rows_read, rows_used;
  int64_t skipped[REGIO_SKIP_COUNT];
  int64_t first_skip_offset[REGIO_SKIP_COUNT];
  int row_fields;       /* fields of the row being checked, for messages */
  int64_t error_offset; /* INT64_MAX: none */
  regio_err_t error_code;
  char error_message[600];
  char scratch[ROLE_COUNT][REGIO_CODE_MAX + 1]; /* unescaped quoted values */
  /* The next block's quote count, taken beside the parse (process_block): [side, side_end) is the
   * part of the next block's sub-range not counted yet, side_quotes the quotes counted so far.
   * lane_lines counts a 64-byte window of it with each window it parses, where the loads hide
   * behind the parse's work; the rest is counted after the range. side = NULL: none. */
  const char *side, *side_end;
  size_t side_quotes;
} worker_t;

typedef struct run_state {
  const file_setup_t *setup;
  worker_t *workers;
  int n_threads;
  int64_t stop_offset;  /* lowest error offset found so far (fail policy); read atomically */
  EVP_MD_CTX *sha;      /* hashing the raw bytes of a plain file inside the parse phase, or NULL */
  int64_t error_offset; /* where in the file the error reported was found (0: the file as a whole) */
  /* the quote counts of the sub-ranges of the block at ahead_base of ahead_len bytes, counted while
   * the block before it was parsed (valid: ahead_k > 0) */
  size_t *ahead_quotes; /* [n_threads * SUBRANGES_PER_THREAD] */
  int ahead_k;
  int64_t ahead_base;
  size_t ahead_len;
} run_state_t;

static const struct {
  const char *name, *text;
} skip_reasons[] = {
#define REGIO_X_SKIP(id, name, text) {name, text},
    REGIO_SKIP_REASONS(REGIO_X_SKIP)
#undef REGIO_X_SKIP
};

const char *regio_skip_reason_name(regio_skip_reason_t r) {
  return (r >= 0 && r < REGIO_SKIP_COUNT) ? skip_reasons[r].name : "unknown";
}
const char *regio_skip_reason_text(regio_skip_reason_t r) {
  return (r >= 0 && r < REGIO_SKIP_COUNT) ? skip_reasons[r].text : "unknown";
}

void regio_ingest_opts_default(regio_ingest_opts_t *opts) {
  memset(opts, 0, sizeof *opts);
  opts->district_cols[0] = "district";
  opts->n_district_cols = 1;
  opts->sector_col = "sector";
  opts->employees_col = "employees";
  opts->on_bad_row = REGIO_BAD_ROW_FAIL;
  opts->checksum = 1;
}

/* ---------------------------------------------------------------------------------------------
 * Row parsing (the hot path) */

static void worker_reset_file(worker_t *w) {
  w->rows_read = w->rows_used = 0;
  for (int r = 0; r < REGIO_SKIP_COUNT; r++) {
    w->skipped[r] = 0;
    w->first_skip_offset[r] = INT64_MAX;
  }
  w->error_offset = INT64_MAX;
  w->error_code = REGIO_OK;
  w->error_message[0] = '\0';
  for (int a = 0; a < w->partial.n_actors; a++) w->partial.actor_first[a] = INT64_MIN;
  w->partial.actor_over_offset = INT64_MAX;
}

static void worker_error(worker_t *w, int64_t offset, regio_err_t code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void worker_error(worker_t *w, int64_t offset, regio_err_t code, const char *fmt, ...) {
  if (offset >= w->error_offset) return;
  w->error_offset = offset;
  w->error_code = code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(w->error_message, sizeof w->error_message, fmt, ap);
  va_end(ap);
}

static void lower_stop(run_state_t *run, int64_t offset) {
  int64_t seen = __atomic_load_n(&run->stop_offset, __ATOMIC_RELAXED);
  while (offset < seen &&
         !__atomic_compare_exchange_n(&run->stop_offset, &seen, offset, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
  }
}

/* A bad row: an error under the fail policy, a counted skip otherwise. Returns 1 to stop. */
static int bad_row(run_state_t *run, worker_t *w, int64_t offset, regio_skip_reason_t reason, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int bad_row(run_state_t *run, worker_t *w, int64_t offset, regio_skip_reason_t reason, const char *fmt, ...) {
  if (run->setup->opts->on_bad_row == REGIO_BAD_ROW_SKIP || reason == REGIO_SKIP_SECTOR_DIGITS) {
    w->skipped[reason]++;
    if (offset < w->first_skip_offset[reason]) w->first_skip_offset[reason] = offset;
    return 0;
  }
  if (offset < w->error_offset) {
    w->error_offset = offset;
    w->error_code = REGIO_ERR_INPUT;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->error_message, sizeof w->error_message, fmt, ap);
    va_end(ap);
    lower_stop(run, offset);
  }
  return 1;
}

static const char *column_name(const file_setup_t *s, int role) {
  return s->column_names[s->role_field[role]];
}

/* Adds one pending row to the cells; returns 0, or nonzero after recording an error. */
static int add_pending(run_state_t *run, worker_t *w, const pending_row_t *row) {
  /* (a sum beyond the fixed-point range is reported by the merge, the same for any thread count) */
  if (regio_cells_add(&w->partial.cells, regio_cell_key(row->district, row->sector), row->employment,
                      row->establishments) == 0 &&
      (!row->sized || regio_partial_add_size(&w->partial, row->district, row->sector, row->employment) == 0))
    return 0;
  worker_error(w, 0, REGIO_ERR_NOMEM, "out of memory while aggregating");
  lower_stop(run, 0);
  return 1;
}

/* Adds the rows still pending, oldest first. */
static int flush_pending(run_state_t *run, worker_t *w) {
  size_t n = w->n_pending < PENDING_ROWS ? w->n_pending : PENDING_ROWS;
  size_t first = w->n_pending - n;
  for (size_t i = 0; i < n; i++)
    if (add_pending(run, w, &w->pending[(first + i) % PENDING_ROWS])) return 1;
  w->n_pending = 0;
  return 0;
}

/* Queues a row with known ids for the cell table (prefetching its cell); returns nonzero after an
 * error. */
static int push_pending(run_state_t *run, worker_t *w, uint32_t district_id, uint32_t sector_id, int64_t employment,
                        int64_t establishments) {
  pending_row_t *slot = &w->pending[w->n_pending % PENDING_ROWS];
  if (w->n_pending >= PENDING_ROWS && add_pending(run, w, slot)) return 1;
  slot->district = district_id;
  slot->sector = sector_id;
  slot->employment = employment;
  slot->establishments = establishments;
  slot->sized = 0;
  regio_cells_prefetch_ids(&w->partial.cells, district_id, sector_id);
  w->n_pending++;
  return 0;
}

/* Looks up a staged row's codes and queues it for the cell table. */
static int resolve_staged(run_state_t *run, worker_t *w, const staged_row_t *row) {
  int64_t district_id =
      regio_dict_intern_hashed(&w->partial.districts, row->district, row->district_len, row->district_hash);
  int64_t sector_id = regio_dict_intern_hashed(&w->partial.sectors, row->sector, row->sector_len, row->sector_hash);
  if (district_id < 0 || sector_id < 0 ||
      (w->partial.track_sizes &&
       regio_partial_add_size(&w->partial, (uint32_t)district_id, (uint32_t)sector_id, row->employment) != 0) ||
      (row->actor >= 0 && regio_partial_add_actor(&w->partial, (uint32_t)district_id, row->actor, row->employment))) {
    worker_error(w, 0, REGIO_ERR_NOMEM, "out of memory while aggregating");
    lower_stop(run, 0);
    return 1;
  }
  return push_pending(run, w, (uint32_t)district_id, (uint32_t)sector_id, row->employment, row->establishments);
}

/* The regio_short_key of a code of 1 to REGIO_SHORT_CODE_MAX bytes that lies in the block (ending
 * at limit) or in a worker's scratch memory (REGIO_CODE_MAX + 1 bytes or more). */
static inline uint64_t short_key_of(const char *code, size_t len, const char *limit) {
  if ((uintptr_t)limit - (uintptr_t)code >= 8) return regio_short_key(code, len);
  char word[8] = {0}; /* near the end of the block, or in scratch memory: copy */
  memcpy(word, code, len);
  return regio_short_key(word, len);
}

/* A row whose codes are short: looks them up in the short-code indexes and queues it. */
static int resolve_short(run_state_t *run, worker_t *w, uint64_t district_key, const char *district,
                         size_t district_len, uint64_t sector_key, const char *sector, size_t sector_len,
                         int64_t employment, int64_t establishments) {
  regio_partial_t *p = &w->partial;
  int64_t district_id =
      regio_dict_intern_short(&p->districts, &p->district_short, district_key, district, district_len);
  int64_t sector_id = regio_dict_intern_short(&p->sectors, &p->sector_short, sector_key, sector, sector_len);
  if (district_id < 0 || sector_id < 0 ||
      (p->track_sizes && regio_partial_add_size(p, (uint32_t)district_id, (uint32_t)sector_id, employment) != 0)) {
    worker_error(w, 0, REGIO_ERR_NOMEM, "out of memory while aggregating");
    lower_stop(run, 0);
    return 1;
  }
  return push_pending(run, w, (uint32_t)district_id, (uint32_t)sector_id, employment, establishments);
}

/* Resolves the rows still staged, oldest first. */
static int flush_staged(run_state_t *run, worker_t *w) {
  size_t n = w->n_staged < STAGED_ROWS ? w->n_staged : STAGED_ROWS;
  size_t first = w->n_staged - n;
  for (size_t i = 0; i < n; i++)
    if (resolve_staged(run, w, &w->staged[(first + i) % STAGED_ROWS])) return 1;
  w->n_staged = 0;
  return 0;
}

/* Employees: a whole number of up to 15 digits inline (the usual case), anything else through
 * regio_parse_milli, the reference. */
static inline int parse_employees(const char *text, size_t len, int64_t *milli) {
  if (len - 1 < 15) {
    int64_t v = 0;
    size_t i = 0;
    for (; i < len && (unsigned)(text[i] - '0') < 10u; i++) v = v * 10 + (text[i] - '0');
    if (i == len) {
      *milli = v * REGIO_MILLI;
      return 0;
    }
  }
  return regio_parse_milli(text, len, milli);
}

/* "column 'NAME' (field N)" for a field of the row, for messages. */
static const char *field_label(const file_setup_t *s, int field, char *out, size_t size) {
  if (field < s->n_columns)
    snprintf(out, size, "column '%s' (field %d)", s->column_names[field], field + 1);
  else
    snprintf(out, size, "field %d (beyond the header's %d columns)", field + 1, s->n_columns);
  return out;
}

/* For a value that is empty because the row ended before its field: a hint that the row is short
 * (a wrong or mixed delimiter, usually); "" otherwise. */
static const char *missing_note(const file_setup_t *s, int field, int row_fields, char *out, size_t size) {
  if (field < row_fields) return "";
  snprintf(out, size, " (the row has only %d field%s, the header %d: is the delimiter '%s' right?)", row_fields,
           row_fields == 1 ? "" : "s", s->n_columns, s->delimiter == '\t' ? "\\t" : (char[]){s->delimiter, 0});
  return out;
}

/* Copies a quoted value without its doubled quotes into scratch; returns its length, or (size_t)-1
 * when longer than a code may be. */
static size_t unescape(const char *text, size_t len, char *scratch) {
  size_t k = 0;
  for (size_t i = 0; i < len; i++) {
    if (k == REGIO_CODE_MAX) return (size_t)-1;
    scratch[k++] = text[i];
    if (text[i] == '"') i++;
  }
  return k;
}

/* Checks a code and reports a bad row for it; returns 0 when fine, 1 bad (skipped), 2 stop. */
static int check_code_slow(run_state_t *run, worker_t *w, int64_t offset, int role, const char *code, size_t len,
                           int unusual) {
  const file_setup_t *s = run->setup;
  char shown[256];
  if (len == 0) {
    return 1 + bad_row(run, w, offset, REGIO_SKIP_EMPTY_CODE, "column '%s' (field %d): empty code%s",
                       column_name(s, role), s->role_field[role] + 1,
                       missing_note(s, s->role_field[role], w->row_fields, shown, sizeof shown));
  }
  if (len > REGIO_CODE_MAX) {
    regio_csv_quote_for_message(code, len, shown, sizeof shown);
    return 1 + bad_row(run, w, offset, REGIO_SKIP_BAD_CODE,
                       "column '%s' (field %d): code \"%s\" is longer than %d bytes", column_name(s, role),
                       s->role_field[role] + 1, shown, REGIO_CODE_MAX);
  }
  int bytes = unusual ? regio_csv_check_code(code, len) : 0;
  if (bytes) {
    regio_csv_quote_for_message(code, len, shown, sizeof shown);
    return 1 + bad_row(run, w, offset, REGIO_SKIP_BAD_CODE, "column '%s' (field %d): code \"%s\" %s",
                       column_name(s, role), s->role_field[role] + 1, shown,
                       bytes == 1 ? "contains a control byte" : "is not valid UTF-8");
  }
  return 0;
}

/* The usual code (1 to 64 printable ASCII bytes) passes without a call. */
static inline int check_code(run_state_t *run, worker_t *w, int64_t offset, int role, const char *code, size_t len,
                             int unusual) {
  if (len - 1 < REGIO_CODE_MAX && !unusual) return 0;
  return check_code_slow(run, w, offset, role, code, len, unusual);
}

/* Bit i of the result: the XOR of bits 0..i of x (1 from an opening quote up to its closing one). */
static inline uint64_t prefix_xor(uint64_t x) {
  x ^= x << 1;
  x ^= x << 2;
  x ^= x << 4;
  x ^= x << 8;
  x ^= x << 16;
  x ^= x << 32;
  return x;
}

/* Whether the record at p (64 readable bytes) is a plain line: it ends with a line feed (outside
 * quotes) among its first 64 bytes; before it there are only printable ASCII bytes; and its
 * quotes, if any, are well formed: each quoted field starts with its quote right after a delimiter
 * (or at the line's start) and ends with a quote followed by a delimiter or the line feed, and the
 * quotes inside come doubled. Then *delims has bit i set where p[i] is a delimiter outside quotes,
 * *len is the line feed's index and *quoted has bit i set where a quoted field starts. A line that
 * is not plain (a control or non-ASCII byte, a quote out of place, a line feed inside quotes, no
 * line feed in 64 bytes) gives 0 and goes to the general loop of parse_range, which reads it or
 * reports it. That loop is the reference: test_ingest's test_plain_lane compares the two. */
static inline int plain_record(const char *p, char delim, uint64_t *delims, size_t *len, uint64_t *quoted) {
#ifdef __SSE2__
  const __m128i lf = _mm_set1_epi8('\n'), dl = _mm_set1_epi8(delim), quote = _mm_set1_epi8('"');
  const __m128i space = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7f);
  uint64_t lines = 0, stops = 0, odd = 0, quotes = 0;
  for (int k = 0; k < 4; k++) {
    /* a quote-free line of under 32 bytes, or a line with a byte that is never plain */
    if (k == 2 && ((lines && !quotes) || (odd & ~stops & ~lines))) break;
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
    __m128i is_lf = _mm_cmpeq_epi8(v, lf), is_dl = _mm_cmpeq_epi8(v, dl);
    /* (signed) below 0x20: a control byte (the line feed too) or a byte >= 0x80 */
    __m128i bad = _mm_or_si128(_mm_cmplt_epi8(v, space), _mm_cmpeq_epi8(v, del));
    lines |= (uint64_t)(uint16_t)_mm_movemask_epi8(is_lf) << (16 * k);
    stops |= (uint64_t)(uint16_t)_mm_movemask_epi8(is_dl) << (16 * k);
    odd |= (uint64_t)(uint16_t)_mm_movemask_epi8(bad) << (16 * k);
    quotes |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote)) << (16 * k);
  }
  const uint64_t inside = quotes ? prefix_xor(quotes) : 0; /* from each opening quote to its closing one */
  const uint64_t ends = lines & ~inside;
  if (ends == 0) return 0;
  const int n = __builtin_ctzll(ends);
  const uint64_t before = (UINT64_C(1) << n) - 1;
  if (odd & ~stops & before) return 0; /* (a tab delimiter is below 0x20) */
  const uint64_t d = stops & ~inside & before;
  *delims = d;
  *len = (size_t)n;
  *quoted = 0;
  if (quotes & before) {
    const uint64_t q = quotes & before, open = q & inside, close = q & ~inside;
    const uint64_t field_start = 1 | d << 1;
    /* a closing quote is followed by a delimiter, the line feed or a quote (doubled); an opening
     * quote starts a field or follows a closing quote (the second of a doubled pair) */
    if ((close << 1) & ~(d | (UINT64_C(1) << n) | q)) return 0;
    if (open & ~(field_start | close << 1)) return 0;
    *quoted = open & field_start;
  }
  return 1;
#else
  (void)p, (void)delim, (void)delims, (void)len, (void)quoted;
  return 0;
#endif
}

/* Whether none of the fields that have a role starts with a quote (plain_record's quoted). */
static inline int roles_unquoted(uint64_t quoted, const uint8_t *bound, const int8_t *role, int n_columns) {
  for (int f = 0; f < n_columns; f++)
    if (role[f] && (quoted >> (bound[f] + (f > 0))) & 1) return 0;
  return 1;
}

/* The field bounds of a plain line of n_columns fields (plain_record's delims and len): bound[0] =
 * 0, bound[k] = the index of the delimiter before field k, bound[n_columns] = len. 0 when the line
 * has another number of fields (the general path then reports or fills them). */
static inline int split_plain(uint64_t delims, size_t len, int n_columns, uint8_t bound[65]) {
  bound[0] = 0;
  for (int k = 1; k < n_columns; k++) {
    if (delims == 0) return 0;
    bound[k] = (uint8_t)__builtin_ctzll(delims);
    delims &= delims - 1;
  }
  bound[n_columns] = (uint8_t)len;
  return delims == 0;
}

/* The fast lane: plain lines whose codes are short (REGIO_SHORT_CODE_MAX bytes at most) and whose
 * numbers read as the general path reads them without complaint (parse_employees; a whole count of
 * establishments), with one district column and no actor column (decided per file). Such a row
 * passes every check of the general path, so the lane only adds it; any other row takes the
 * general path, which reports or skips it. */
enum { LANE_MARGIN = 128 }; /* bytes readable from a record's start for the vector loads and keys */
typedef struct lane {
  int on;
  int district_field, sector_field, employees_field, establishments_field; /* -1: no such column */
  size_t sector_digits, min_sector_len;                                    /* 0: no condition */
} lane_t;

static lane_t lane_setup(const file_setup_t *s) {
  const regio_ingest_opts_t *o = s->opts;
  lane_t lane = {0};
  lane.on = o->n_district_cols == 1 && o->actor_col == NULL;
  lane.district_field = s->role_field[0];
  lane.sector_field = s->role_field[ROLE_SECTOR];
  lane.employees_field = s->role_field[ROLE_EMPLOYEES];
  lane.establishments_field = o->establishments_col ? s->role_field[ROLE_ESTABLISHMENTS] : -1;
  lane.sector_digits = o->sector_digits > 0 ? (size_t)o->sector_digits : 0;
  lane.min_sector_len = o->min_sector_len > 0 ? (size_t)o->min_sector_len : 0;
  return lane;
}

/* A whole number of 1 to max_digits digits; -1 otherwise (empty, a sign, a point, any other byte).
 * (A branch-free conversion of up to 8 digits at once, fast_float's SWAR steps, measured slower on
 * the `narrow` table's numbers of 1 to 3 digits: 0.99-1.01 s against 0.90-0.92 s for 20 million
 * rows, one thread, interleaved runs; bench/NOTES.md.) */
static inline int64_t lane_whole(const char *text, size_t len, size_t max_digits) {
  if (len - 1 >= max_digits) return -1;
  int64_t v = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned digit = (unsigned char)text[i] - (unsigned)'0';
    if (digit > 9) return -1;
    v = v * 10 + digit;
  }
  return v;
}

/* Adds a queued row to a dense table's word when it fits there without carrying (the usual case),
 * else through regio_cells_add. Returns as regio_cells_add. */
static inline int lane_cells_add(regio_partial_t *part, const pending_row_t *row) {
  if (row->sized && regio_partial_add_size(part, row->district, row->sector, row->employment) != 0) return -1;
  regio_cells_t *c = &part->cells;
  const uint64_t e = (uint64_t)row->employment, n = (uint64_t)row->establishments;
  if (c->dense) {
    const size_t d = row->district, sc = row->sector;
    if (d < c->district_cap && sc < c->sector_cap) {
      uint64_t *cell = &c->dense[d * c->sector_cap + sc];
      const uint64_t v = *cell, add = e << REGIO_CELL_PACK | n;
      if (v != 0 && (e >> (64 - REGIO_CELL_PACK) | n >> REGIO_CELL_PACK) == 0 &&
          (v & REGIO_CELL_PACK_MASK) + n <= REGIO_CELL_PACK_MASK && v + add >= v) {
        *cell = v + add; /* a word already counted: nothing else to record */
        return 0;
      }
    }
  }
  return regio_cells_add(c, regio_cell_key(row->district, row->sector), row->employment, row->establishments);
}

/* parse_employees for the lane, where the byte after the field can be read: 1 or 2 digits (most
 * establishments are small: 97% of `narrow`'s rows) without a branch on which, since a loop
 * whose length is 1 or 2 at random mispredicts its exit (about one row in seven of `narrow`). */
static inline int lane_employees(const char *text, size_t len, int64_t *milli) {
  if (len - 1 < 2) {
    const unsigned d0 = (unsigned char)text[0] - (unsigned)'0', d1 = (unsigned char)text[1] - (unsigned)'0';
    const unsigned two = len == 2;
    if ((d0 < 10) & ((d1 < 10) | !two)) {
      *milli = (int64_t)(two ? d0 * 10 + d1 : d0) * REGIO_MILLI;
      return 0;
    }
  }
  return parse_employees(text, len, milli);
}

/* A lane row parsed, its codes not yet looked up: lane_parse's result, lane_resolve's input. The
 * codes point into the block being parsed. */
typedef struct lane_parsed {
  const char *district, *sector;
  size_t district_len, sector_len;
  uint64_t district_key, sector_key;
  int64_t employees, establishments; /* (in milli, decimals included, as the general path) */
} lane_parsed_t;

/* The lane's checks and numbers of a row, given its role fields (count NULL without an
 * establishments column): 1 when it is a lane row (*out filled), 0 when not. */
__attribute__((always_inline)) static inline int lane_parse(const lane_t *lane, const char *district,
                                                            size_t district_len, const char *sector, size_t sector_len,
                                                            const char *employees_text, size_t employees_len,
                                                            const char *count, size_t count_len, lane_parsed_t *out) {
  if (district_len - 1 >= REGIO_SHORT_CODE_MAX || sector_len - 1 >= REGIO_SHORT_CODE_MAX) return 0;
  if (lane->sector_digits && sector_len != lane->sector_digits) return 0;
  if (sector_len < lane->min_sector_len) return 0;
  if (lane_employees(employees_text, employees_len, &out->employees) != 0) return 0;
  out->establishments = 1;
  if (count) {
    out->establishments = lane_whole(count, count_len, 9);
    if (out->establishments < 0) return 0;
  }
  out->district = district, out->district_len = district_len;
  out->sector = sector, out->sector_len = sector_len;
  out->district_key = regio_short_key(district, district_len);
  out->sector_key = regio_short_key(sector, sector_len);
  return 1;
}

/* The lane's lookups of codes in a short-code index of at least LANE_STAGE_MIN_SLOTS slots (16
 * bytes each: 1 MiB, half a core's L2 here; an index that large holds more than 8,192 codes, as
 * when this was measured with indexes half full) wait LANE_STAGE rows after the prefetch of their
 * slots. `us-tract`: 84,000 districts, 262,144 slots (4 MiB); a third of the lane's samples were
 * on that index's compare. `narrow`'s 3,500 districts (16,384 slots) were slower staged. */
enum { LANE_STAGE = 8, LANE_STAGE_MIN_SLOTS = 1 << 16 };

/* A parsed lane row's ids, and the row queued on the pending ring (whose count is *n_pending) with
 * its cell and, when the sizes are kept, its size entries prefetched: the size is recorded when
 * the row is added. 0, or -1 after an error (out of memory, recorded). */
__attribute__((always_inline)) static inline int lane_resolve(run_state_t *run, worker_t *w, size_t *n_pending,
                                                              const lane_parsed_t *row) {
  regio_partial_t *part = &w->partial;
  int64_t district_id = regio_dict_intern_short(&part->districts, &part->district_short, row->district_key,
                                                row->district, row->district_len);
  int64_t sector_id =
      regio_dict_intern_short(&part->sectors, &part->sector_short, row->sector_key, row->sector, row->sector_len);
  pending_row_t *slot = &w->pending[*n_pending % PENDING_ROWS];
  if (district_id < 0 || sector_id < 0 || (*n_pending >= PENDING_ROWS && lane_cells_add(part, slot) != 0)) {
    worker_error(w, 0, REGIO_ERR_NOMEM, "out of memory while aggregating");
    lower_stop(run, 0);
    return -1;
  }
  slot->district = (uint32_t)district_id;
  slot->sector = (uint32_t)sector_id;
  slot->employment = row->employees;
  slot->establishments = row->establishments;
  slot->sized = part->track_sizes;
  if (part->track_sizes) {
    if ((size_t)district_id < part->district_micro_cap) __builtin_prefetch(&part->district_micro[district_id], 1, 3);
    if ((size_t)sector_id < part->sector_size_squares_cap)
      __builtin_prefetch(&part->sector_size_squares[sector_id], 1, 3);
  }
  regio_cells_prefetch_ids(&part->cells, slot->district, slot->sector);
  (*n_pending)++;
  return 0;
}

/* The lane's work on a row, given its role fields (count NULL without an establishments column):
 * 1 when it was added (queued on the pending ring, whose count is *n_pending), 0 when it is not a
 * lane row (nothing done), -1 after an error (out of memory, recorded). The caller counts the
 * row as read and used. */
__attribute__((always_inline)) static inline int lane_row(run_state_t *run, worker_t *w, const lane_t *lane,
                                                          size_t *n_pending, const char *district, size_t district_len,
                                                          const char *sector, size_t sector_len,
                                                          const char *employees_text, size_t employees_len,
                                                          const char *count, size_t count_len) {
  lane_parsed_t row;
  if (!lane_parse(lane, district, district_len, sector, sector_len, employees_text, employees_len, count, count_len,
                  &row))
    return 0;
  return lane_resolve(run, w, n_pending, &row) < 0 ? -1 : 1;
}

/* The lane's work on a plain line at p with the given field bounds (split_plain's): as lane_row. */
static inline int lane_record(run_state_t *run, worker_t *w, const lane_t *lane, const char *p, const uint8_t *bound) {
#define LANE_FIELD(f, start, len)               \
  const char *start = p + bound[f] + ((f) > 0); \
  size_t len = (size_t)(p + bound[(f) + 1] - start)
  LANE_FIELD(lane->district_field, district, district_len);
  LANE_FIELD(lane->sector_field, sector, sector_len);
  LANE_FIELD(lane->employees_field, employees_text, employees_len);
  const char *count = NULL;
  size_t count_len = 0;
  if (lane->establishments_field >= 0) {
    LANE_FIELD(lane->establishments_field, count_text, count_text_len);
    count = count_text;
    count_len = count_text_len;
  }
#undef LANE_FIELD
  const int done = lane_row(run, w, lane, &w->n_pending, district, district_len, sector, sector_len, employees_text,
                            employees_len, count, count_len);
  if (done > 0) {
    w->rows_read++;
    w->rows_used++;
  }
  return done;
}

/* The lane over a run of lines, 64 bytes at a time: the masks of the line feeds, the delimiters
 * and the bytes that are not plain (controls, non-ASCII) and the quotes are taken once for 64
 * bytes, and every line that ends inside them is split from them, where plain_record takes the
 * masks of 32 or 64 bytes for each line. A line is taken when it has no byte that is not plain,
 * well-formed quotes in fields without a role only, as many fields as the header, and lane_row
 * takes it: exactly the lines that plain_record, split_plain, roles_unquoted and lane_record take. Needs 2 to 64
 * columns. Returns where it stopped: the first line it did not take (the caller reads it the other way), or where fewer
 * than LANE_MARGIN bytes are left before limit; NULL after an error (recorded). */
static const char *lane_lines(run_state_t *run, worker_t *w, const lane_t *lane, const char *p, const char *limit,
                              const char *buf, int64_t base) {
#ifdef __SSE2__
  const int n_columns = run->setup->n_columns;
  const int df = lane->district_field, sf = lane->sector_field, ef = lane->employees_field;
  const int cf = lane->establishments_field;
  const __m128i lf = _mm_set1_epi8('\n'), dl = _mm_set1_epi8(run->setup->delimiter), quote = _mm_set1_epi8('"');
  const __m128i space = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7f);
  size_t n_pending = w->n_pending; /* (a local, kept in a register) */
  /* rows whose codes are looked up LANE_STAGE rows after their index slots were prefetched, where
   * an index is too large for the caches */
  const int stage_district = w->partial.district_short.mask + 1 >= LANE_STAGE_MIN_SLOTS;
  const int stage_sector = w->partial.sector_short.mask + 1 >= LANE_STAGE_MIN_SLOTS;
  lane_parsed_t staged[LANE_STAGE];
  size_t n_staged = 0;
  int64_t rows = 0;
  const char *stop = p;
  /* the next block's quotes: a 64-byte window of it counted with each window parsed (the window
   * 2 kB ahead asked for: without it the loads stalled the parse, which then took longer than the
   * pass it replaces), in 8-bit lanes (side_sum) added up every 63 windows */
  const char *side = w->side;
  size_t side_windows = side ? (size_t)(w->side_end - side) / 64 : 0;
  __m128i side_sum = _mm_setzero_si128();
  unsigned side_steps = 0;
  while ((size_t)(limit - p) >= LANE_MARGIN) {
    if (base + (p - buf) > __atomic_load_n(&run->stop_offset, __ATOMIC_RELAXED)) break;
    if (side_windows) {
      _mm_prefetch(side + 2048, _MM_HINT_T0); /* (also past the range: a hint never faults) */
      for (int k = 0; k < 4; k++)
        side_sum = _mm_sub_epi8(side_sum,
                                _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(side + 16 * k)), quote));
      side += 64;
      side_windows--;
      if (++side_steps == 63) { /* (4 loads a window: at most 252 in a byte) */
        w->side_quotes += regio_byte_sum16(side_sum);
        side_sum = _mm_setzero_si128();
        side_steps = 0;
      }
    }
    uint64_t lines = 0, stops = 0, odd = 0, quotes = 0;
    for (int k = 0; k < 4; k++) {
      __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
      __m128i bad = _mm_or_si128(_mm_cmplt_epi8(v, space), _mm_cmpeq_epi8(v, del));
      lines |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, lf)) << (16 * k);
      stops |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, dl)) << (16 * k);
      odd |= (uint64_t)(uint16_t)_mm_movemask_epi8(bad) << (16 * k);
      quotes |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote)) << (16 * k);
    }
    odd &= ~stops; /* (a tab delimiter is below 0x20) */
    /* quote regions as plain_record finds them: the lines taken before a line have balanced quotes,
     * so the prefix XOR from the window's start is the line's own */
    const uint64_t inside = quotes ? prefix_xor(quotes) : 0;
    unsigned start = 0; /* of the first line not yet taken, in the window */
    uint64_t ends = lines & ~inside;
    for (; ends; ends &= ends - 1) {
      const unsigned e = (unsigned)__builtin_ctzll(ends);
      const uint64_t line_feed = UINT64_C(1) << e, span = (line_feed - 1) & (~UINT64_C(0) << start);
      if (odd & span) break; /* (a line feed inside quotes too) */
      /* at[k]: where field k starts (in the window), at[n_columns] - 1 = the line feed; a line
       * with fewer delimiters than n_columns - 1 gets at[n_columns - 1] = e + 1 */
      const uint64_t delims = stops & ~inside & span;
      uint64_t d = delims;
      uint8_t at[65];
      at[0] = (uint8_t)start;
      for (int k = 1; k < n_columns; k++, d &= d - 1) at[k] = (uint8_t)(__builtin_ctzll(d | line_feed) + 1);
      if (d || at[n_columns - 1] > e) break;
      at[n_columns] = (uint8_t)(e + 1);
      const uint64_t q = quotes & span;
      if (q) { /* plain_record's checks, and no field with a role quoted */
        const uint64_t open = q & inside, close = q & ~inside, field_starts = (UINT64_C(1) << start) | delims << 1;
        if ((close << 1) & ~(delims | line_feed | q)) break;
        if (open & ~(field_starts | close << 1)) break;
        const uint64_t quoted = open & field_starts;
        if ((quoted >> at[df] | quoted >> at[sf] | quoted >> at[ef] | (cf >= 0 ? quoted >> at[cf] : 0)) & 1) break;
      }
#define LANE_AT(f) p + at[f], (size_t)(at[(f) + 1] - 1 - at[f])
      lane_parsed_t row;
      if (!lane_parse(lane, LANE_AT(df), LANE_AT(sf), LANE_AT(ef), cf >= 0 ? p + at[cf] : NULL,
                      cf >= 0 ? (size_t)(at[cf + 1] - 1 - at[cf]) : 0, &row))
        break;
#undef LANE_AT
      if (stage_district) {
        regio_idcache_prefetch(&w->partial.district_short, row.district_key);
        if (stage_sector) regio_idcache_prefetch(&w->partial.sector_short, row.sector_key);
        if (n_staged >= LANE_STAGE && lane_resolve(run, w, &n_pending, &staged[n_staged % LANE_STAGE]) < 0) {
          stop = NULL;
          goto out;
        }
        staged[n_staged % LANE_STAGE] = row;
        n_staged++;
      } else if (lane_resolve(run, w, &n_pending, &row) < 0) {
        stop = NULL;
        goto out;
      }
      rows++;
      start = e + 1;
    }
    p += start;
    if (ends || start == 0) break; /* a line not taken, or none ending in the window */
  }
  stop = p;
  for (size_t k = n_staged > LANE_STAGE ? n_staged - LANE_STAGE : 0; k < n_staged; k++) /* oldest first */
    if (lane_resolve(run, w, &n_pending, &staged[k % LANE_STAGE]) < 0) {
      stop = NULL;
      break;
    }
out:
  w->n_pending = n_pending;
  w->rows_read += rows;
  w->rows_used += rows;
  if (w->side) {
    w->side = side;
    w->side_quotes += regio_byte_sum16(side_sum);
  }
  return stop;
#else
  (void)run, (void)w, (void)lane, (void)limit, (void)buf, (void)base;
  return p;
#endif
}

/* Parses the records that start in [begin, end) of buf; buf[end - 1] is a line feed. base is the
 * stream offset of buf[0]. Stops early at a structural error, or at a bad row under the fail
 * policy, or when another thread found an error earlier in the file. */
static void parse_range(run_state_t *run, worker_t *w, const char *buf, size_t begin, size_t end, int64_t base) {
  const file_setup_t *s = run->setup;
  const regio_ingest_opts_t *o = s->opts;
  const char delim = s->delimiter;
  const uint8_t *stops = s->stops;
  const int n_columns = s->n_columns;
  const int8_t *role = s->role;
  const int n_district = o->n_district_cols;
  const int has_estab = o->establishments_col != NULL;
  const int has_actor = o->actor_col != NULL;
  const char *p = buf + begin;
  const char *const limit = buf + end;
  const lane_t lane = lane_setup(s);
  int lane_wait = 0; /* records to read one at a time before lane_lines is tried again */

  while (p < limit) {
    if (lane.on && lane_wait == 0 && n_columns >= 2 && n_columns <= 64) {
      const char *q = lane_lines(run, w, &lane, p, limit, buf, base);
      if (!q) return;
      /* it stopped at a line it does not take: that one goes the other way; it took none: the
       * next 16 records too (lines it does not take cost it a window each) */
      lane_wait = q == p ? 16 : 1;
      p = q;
      if (p >= limit) break;
    }
    if (lane_wait > 0) lane_wait--;
    const char *record = p;
    const int64_t offset = base + (int64_t)(record - buf);
    if (*p == '\n') { /* blank line */
      p++;
      continue;
    }
    if (*p == '\r' && p[1] == '\n') {
      p += 2;
      continue;
    }
    if (offset > __atomic_load_n(&run->stop_offset, __ATOMIC_RELAXED)) return;

    const char *value[ROLE_COUNT];
    size_t value_len[ROLE_COUNT];
    /* bit r: role r's field was present / was quoted with doubled quotes / may hold bytes other
     * than printable ASCII (a quoted field, or a control or non-ASCII byte seen while scanning) */
    uint32_t seen = 0, escaped_roles = 0, unusual_roles = 0;
    int field = 0;
    const char *extra = NULL; /* the first field beyond the header's columns */
    size_t extra_len = 0;
    uint64_t row_delims;
    size_t row_len;
    uint8_t bound[65]; /* field k of a plain line is [bound[k] + (k > 0), bound[k + 1]) */
    uint64_t row_quoted;
    if ((size_t)(limit - p) >= LANE_MARGIN && plain_record(p, delim, &row_delims, &row_len, &row_quoted) &&
        split_plain(row_delims, row_len, n_columns, bound) &&
        (row_quoted == 0 || roles_unquoted(row_quoted, bound, role, n_columns))) {
      /* the usual record: a line of printable ASCII, as many fields as the header, the fields
       * that are read not quoted (others may be) */
      if (lane.on) {
        int done = lane_record(run, w, &lane, p, bound);
        if (done < 0) return;
        if (done) {
          p += row_len + 1;
          continue;
        }
      }
      for (field = 0; field < n_columns; field++) {
        int r = role[field];
        if (r) {
          size_t from = bound[field] + (field > 0);
          value[r - 1] = p + from;
          value_len[r - 1] = bound[field + 1] - from;
          seen |= 1u << (r - 1);
        }
      }
      p += row_len + 1;
    } else
      for (;;) {
        const char *start;
        size_t len;
        int escaped = 0, unusual = 0;
        int end_of_record;
        if (*p == '"') {
          const char *open = p;
          start = ++p;
          unusual = 1;
          for (;;) {
            const char *q = memchr(p, '"', (size_t)(limit - p));
            if (!q) {
              char label[320];
              worker_error(w, base + (open - buf), REGIO_ERR_INPUT, "%s: quoted field is never closed",
                           field_label(s, field, label, sizeof label));
              lower_stop(run, base + (open - buf));
              return;
            }
            if (q + 1 < limit && q[1] == '"') {
              escaped = 1;
              p = q + 2;
              continue;
            }
            len = (size_t)(q - start);
            p = q + 1;
            break;
          }
          if (*p == delim) {
            p++;
            end_of_record = 0;
          } else if (*p == '\n') {
            p++;
            end_of_record = 1;
          } else if (*p == '\r' && p[1] == '\n') {
            p += 2;
            end_of_record = 1;
          } else {
            char shown[128];
            regio_csv_quote_for_message(p, (size_t)(limit - p) < 20 ? (size_t)(limit - p) : 20, shown, sizeof shown);
            char label[320];
            worker_error(w, offset, REGIO_ERR_INPUT, "%s: unexpected text \"%s\" after a closing quote",
                         field_label(s, field, label, sizeof label), shown);
            lower_stop(run, offset);
            return;
          }
        } else {
          start = p;
          for (;;) { /* class 0: plain byte, 1: ends the field, 2: control or non-ASCII byte */
            uint8_t c = stops[(uint8_t)*p];
            if (c == 0) {
              p++;
            } else if (c == 2) {
              unusual = 1;
              p++;
            } else {
              break;
            }
          }
          len = (size_t)(p - start);
          if (*p == '"') {
            char shown[128];
            regio_csv_quote_for_message(start, len + 1, shown, sizeof shown);
            char label[320];
            worker_error(w, offset, REGIO_ERR_INPUT,
                         "%s: quote inside an unquoted field (\"%s\"); quote the whole field and double "
                         "the inner quotes",
                         field_label(s, field, label, sizeof label), shown);
            lower_stop(run, offset);
            return;
          }
          if (*p == delim) {
            end_of_record = 0;
          } else {
            end_of_record = 1;
            if (len && start[len - 1] == '\r') len--;
          }
          p++;
        }
        if (field < n_columns) {
          int r = role[field];
          if (r) {
            value[r - 1] = start;
            value_len[r - 1] = len;
            seen |= 1u << (r - 1);
            escaped_roles |= (uint32_t)escaped << (r - 1);
            unusual_roles |= (uint32_t)unusual << (r - 1);
          }
        } else if (field == n_columns) {
          extra = start;
          extra_len = len;
        }
        field++;
        if (end_of_record) break;
      }
    for (uint32_t missing = s->needed_roles & ~seen; missing; missing &= missing - 1) {
      int r = __builtin_ctz(missing); /* a field missing at the end of the row is empty */
      value[r] = "";
      value_len[r] = 0;
    }

    w->rows_read++;
    w->row_fields = field;
    if (field > n_columns) {
      char shown[128];
      regio_csv_quote_for_message(extra, extra_len, shown, sizeof shown);
      if (bad_row(run, w, offset, REGIO_SKIP_TOO_MANY_FIELDS,
                  "row has %d fields, the header has %d (field %d is \"%s\"; delimiter '%s')", field, n_columns,
                  n_columns + 1, shown, delim == '\t' ? "\\t" : (char[]){delim, 0}))
        return;
      continue;
    }
    for (uint32_t todo = escaped_roles; todo; todo &= todo - 1) {
      int r = __builtin_ctz(todo);
      size_t k = unescape(value[r], value_len[r], w->scratch[r]);
      if (k != (size_t)-1) {
        value[r] = w->scratch[r];
        value_len[r] = k;
      }
    }

    /* sector: empty, then the --sector-digits filter, then validity */
    const char *sector = value[ROLE_SECTOR];
    size_t sector_len = value_len[ROLE_SECTOR];
    if (sector_len == 0) {
      char note[160];
      if (bad_row(run, w, offset, REGIO_SKIP_EMPTY_CODE, "column '%s' (field %d): empty code%s",
                  column_name(s, ROLE_SECTOR), s->role_field[ROLE_SECTOR] + 1,
                  missing_note(s, s->role_field[ROLE_SECTOR], field, note, sizeof note)))
        return;
      continue;
    }
    if (o->sector_digits > 0 && sector_len != (size_t)o->sector_digits) {
      bad_row(run, w, offset, REGIO_SKIP_SECTOR_DIGITS, "sector digits");
      continue;
    }
    int verdict = check_code(run, w, offset, ROLE_SECTOR, sector, sector_len, (unusual_roles >> ROLE_SECTOR) & 1);
    if (verdict) {
      if (verdict == 2) return;
      continue;
    }
    if (o->min_sector_len > 0 && sector_len < (size_t)o->min_sector_len) {
      char shown[256];
      regio_csv_quote_for_message(sector, sector_len, shown, sizeof shown);
      if (bad_row(run, w, offset, REGIO_SKIP_SECTOR_TOO_SHORT,
                  "column '%s' (field %d): code \"%s\" is shorter than the finest sector level (%d characters)",
                  column_name(s, ROLE_SECTOR), s->role_field[ROLE_SECTOR] + 1, shown, o->min_sector_len))
        return;
      continue;
    }

    /* district: the columns' values concatenated */
    char district_buf[REGIO_CODE_MAX * REGIO_MAX_DISTRICT_COLS];
    const char *district;
    size_t district_len;
    if (n_district == 1) {
      district = value[0];
      district_len = value_len[0];
    } else {
      /* each part is checked on its own, so that a message names the column at fault */
      district_len = 0;
      for (int k = 0; k < n_district && !verdict; k++) {
        verdict = check_code(run, w, offset, k, value[k], value_len[k], (unusual_roles >> k) & 1);
        if (verdict) break;
        size_t take = value_len[k];
        if (district_len + take > REGIO_CODE_MAX) {
          verdict = 1 + bad_row(run, w, offset, REGIO_SKIP_BAD_CODE,
                                "district code joined from %d columns is longer than %d bytes (column '%s' adds "
                                "%zu)",
                                n_district, REGIO_CODE_MAX, column_name(s, k), take);
          break;
        }
        memcpy(district_buf + district_len, value[k], take);
        district_len += take;
      }
      if (verdict) {
        if (verdict == 2) return;
        continue;
      }
      district = district_buf;
    }
    if (n_district == 1) {
      verdict = check_code(run, w, offset, 0, district, district_len, unusual_roles & 1);
      if (verdict) {
        if (verdict == 2) return;
        continue;
      }
    }

    int64_t employees;
    int why = parse_employees(value[ROLE_EMPLOYEES], value_len[ROLE_EMPLOYEES], &employees);
    if (why) {
      static const char *const problems[] = {"", "is not a number", "is negative", "has more than 3 decimal places",
                                             "is out of range"};
      char shown[256], note[160];
      regio_csv_quote_for_message(value[ROLE_EMPLOYEES], value_len[ROLE_EMPLOYEES], shown, sizeof shown);
      if (bad_row(run, w, offset, REGIO_SKIP_BAD_EMPLOYEES, "column '%s' (field %d): \"%s\" %s%s",
                  column_name(s, ROLE_EMPLOYEES), s->role_field[ROLE_EMPLOYEES] + 1, shown,
                  value_len[ROLE_EMPLOYEES] == 0 ? "is empty, expected a number" : problems[why],
                  missing_note(s, s->role_field[ROLE_EMPLOYEES], field, note, sizeof note)))
        return;
      continue;
    }
    int64_t establishments = 1;
    if (has_estab) {
      int64_t milli = -1, whole = -1;
      const char *count = value[ROLE_ESTABLISHMENTS];
      size_t count_len = value_len[ROLE_ESTABLISHMENTS];
      if (count_len > 0 && count_len <= 9) { /* the usual small whole number */
        int64_t v = 0;
        size_t i = 0;
        for (; i < count_len && (unsigned)(count[i] - '0') < 10u; i++) v = v * 10 + (count[i] - '0');
        if (i == count_len) {
          whole = v;
          milli = v * REGIO_MILLI;
        }
      }
      why = milli >= 0 ? 0 : regio_parse_milli(count, count_len, &milli);
      if (why || milli % REGIO_MILLI != 0) {
        char shown[256];
        regio_csv_quote_for_message(value[ROLE_ESTABLISHMENTS], value_len[ROLE_ESTABLISHMENTS], shown, sizeof shown);
        if (bad_row(run, w, offset, REGIO_SKIP_BAD_ESTABLISHMENTS,
                    "column '%s' (field %d): \"%s\" is not a non-negative whole number",
                    column_name(s, ROLE_ESTABLISHMENTS), s->role_field[ROLE_ESTABLISHMENTS] + 1, shown))
          return;
        continue;
      }
      establishments = whole >= 0 ? whole : milli / REGIO_MILLI;
    }

    int actor = -1;
    if (has_actor) {
      const char *code = value[ROLE_ACTOR];
      size_t len = value_len[ROLE_ACTOR];
      verdict = check_code(run, w, offset, ROLE_ACTOR, code, len, (unusual_roles >> ROLE_ACTOR) & 1);
      if (verdict) {
        if (verdict == 2) return;
        continue;
      }
      actor = regio_partial_actor(&w->partial, code, len, offset);
      if (actor < 0) { /* one type too many here: named in file order by check_actor_types */
        lower_stop(run, offset);
        return;
      }
    }

    w->rows_used++;
    if ((district_len | sector_len) <= REGIO_SHORT_CODE_MAX && !has_actor) {
      /* short codes (most classifications' and district codes): exact one-word keys, looked up in
       * the dictionaries' short-code indexes */
      if (resolve_short(run, w, short_key_of(district, district_len, limit), district, district_len,
                        short_key_of(sector, sector_len, limit), sector, sector_len, employees, establishments))
        return;
      continue;
    }
    staged_row_t row = {district,
                        sector,
                        district_len,
                        sector_len,
                        regio_hash_code(district, district_len),
                        regio_hash_code(sector, sector_len),
                        employees,
                        establishments,
                        actor};
    if (w->partial.districts.mask + w->partial.sectors.mask < STAGE_SLOTS || district == district_buf ||
        ((escaped_roles >> ROLE_SECTOR) & 1) || (escaped_roles & 1)) {
      /* small dictionaries, or a code in this row's scratch memory: look it up now */
      if (resolve_staged(run, w, &row)) return;
      continue;
    }
    staged_row_t *slot = &w->staged[w->n_staged % STAGED_ROWS];
    if (w->n_staged >= STAGED_ROWS && resolve_staged(run, w, slot)) return;
    *slot = row;
    regio_dict_prefetch(&w->partial.districts, row.district_hash);
    regio_dict_prefetch(&w->partial.sectors, row.sector_hash);
    w->n_staged++;
  }
  if (flush_staged(run, w)) return;
  flush_pending(run, w);
}

/* ---------------------------------------------------------------------------------------------
 * Blocks */

/* First record start at or after pos, given the quote parity of buf[0, pos). */
static size_t first_record_start(const char *buf, size_t pos, size_t len, int parity) {
  if (pos == 0) return 0;
  while (pos < len) {
    if (buf[pos - 1] == '\n' && !parity) return pos;
    parity ^= buf[pos] == '"';
    pos++;
  }
  return len;
}

/* The K sub-ranges of a block of len bytes, bounds[0, K]. They come in three sizes, the largest
 * first: the threads take them in order (dynamic schedule), so the last ones, where a thread that
 * is done waits for the others, are small (with 8 equal sub-ranges per thread, a thread waited
 * 6-10% of the parse of `narrow`, 2 threads). Weights 4, 2, 1 for the thirds of them. */
static void subrange_bounds(size_t len, int K, size_t *bounds) {
  size_t weight = 0;
  const size_t total = (size_t)K / 3 * 7;
  for (int k = 0; k <= K; k++) {
    bounds[k] = (size_t)((unsigned __int128)len * weight / total);
    weight += k < K / 3 ? 4 : k < 2 * K / 3 ? 2 : 1;
  }
  bounds[K] = len;
}

/* Processes buf[0, len) which starts on a record boundary at stream offset base. Parses the
 * complete records and returns the bytes consumed (the start of the incomplete last record, or
 * len at the end of the stream). Sets *unbalanced when the stream ends inside a quoted field.
 * The bytes after buf[len) up to buf[avail) are in memory too (0: none, or not to be read), and the
 * next block will be the min(block_bytes, avail - consumed) bytes after the ones consumed: its
 * sub-ranges' quotes are counted beside this block's parse (run->ahead_quotes), so that the pass
 * that counts a block's quotes before it is parsed, a read of the block from memory with little
 * work to hide it behind, is made only for the first block (`narrow`, 2 threads: 6-9% of the
 * read). */
static size_t process_block(run_state_t *run, const char *buf, size_t len, int at_end, int64_t base, size_t *tail_start,
                            int *unbalanced, int threads, size_t avail, size_t block_bytes) {
  const int T = threads;
  const int K = T * SUBRANGES_PER_THREAD;
  size_t bounds[K + 1];
  size_t quotes[K];
  size_t starts[K + 1];
  subrange_bounds(len, K, bounds);

  if (run->ahead_k == K && run->ahead_base == base && run->ahead_len == len) {
    memcpy(quotes, run->ahead_quotes, (size_t)K * sizeof *quotes);
  } else {
#pragma omp parallel for num_threads(T) schedule(static, 1)
    for (int k = 0; k < K; k++) quotes[k] = regio_csv_count_quotes(buf + bounds[k], bounds[k + 1] - bounds[k]);
  }
  run->ahead_k = 0;

  int parity[K + 1];
  parity[0] = 0;
  for (int k = 0; k < K; k++) parity[k + 1] = parity[k] ^ (int)(quotes[k] & 1);

  /* The complete part ends after the last line feed outside quotes. */
  size_t complete = 0;
  {
    int back = parity[K];
    for (size_t i = len; i > 0; i--) {
      char c = buf[i - 1];
      if (c == '"')
        back ^= 1;
      else if (c == '\n' && !back) {
        complete = i;
        break;
      }
    }
  }
  *unbalanced = at_end && parity[K];
  *tail_start = complete;

  /* the next block, where it is in memory: [next, next + next_len), its sub-ranges next_bounds */
  const char *next = NULL;
  size_t next_len = 0, next_bounds[K + 1], next_quotes[K];
  if (!at_end && run->ahead_quotes && complete > 0 && avail > len) {
    next = buf + complete;
    next_len = avail - complete < block_bytes ? avail - complete : block_bytes;
    subrange_bounds(next_len, K, next_bounds);
  }

#pragma omp parallel for num_threads(T) schedule(static)
  for (int k = 0; k < K; k++) {
    size_t b = bounds[k] < complete ? bounds[k] : complete;
    starts[k] = b >= complete ? complete : first_record_start(buf, b, complete, parity[k]);
  }
  starts[K] = complete;

  /* the raw bytes of a plain file are hashed here, beside the parsing, exactly once */
  EVP_MD_CTX *sha = run->sha;
  size_t hash_len = at_end ? len : complete;
#pragma omp parallel num_threads(T)
  {
    if (sha && hash_len) {
#pragma omp single nowait
      EVP_DigestUpdate(sha, buf, hash_len);
    }
    worker_t *w = &run->workers[omp_get_thread_num()];
#pragma omp for schedule(dynamic, 1)
    for (int k = 0; k < K; k++) {
      if (next) {
        w->side = next + next_bounds[k];
        w->side_end = next + next_bounds[k + 1];
        w->side_quotes = 0;
      }
      if (starts[k] < starts[k + 1]) parse_range(run, w, buf, starts[k], starts[k + 1], base);
      if (next) { /* what the parse left uncounted */
        next_quotes[k] = w->side_quotes + regio_csv_count_quotes(w->side, (size_t)(w->side_end - w->side));
        w->side = w->side_end = NULL;
      }
    }
  }
  if (next) {
    memcpy(run->ahead_quotes, next_quotes, (size_t)K * sizeof *next_quotes);
    run->ahead_k = K;
    run->ahead_base = base + (int64_t)complete;
    run->ahead_len = next_len;
  }
  return complete;
}

/* Parses a last record that has no line feed: copied with one appended. */
static void process_final_record(run_state_t *run, const char *text, size_t len, int64_t base) {
  char *copy = malloc(len + 2);
  if (!copy) {
    worker_error(&run->workers[0], 0, REGIO_ERR_NOMEM, "out of memory");
    return;
  }
  memcpy(copy, text, len);
  copy[len] = '\n';
  copy[len + 1] = '\0';
  parse_range(run, &run->workers[0], copy, 0, len + 1, base);
  free(copy);
}

/* ---------------------------------------------------------------------------------------------
 * Files */

typedef struct source {
  const char *path;
  int fd;
  int gzip;
  int64_t size;
  /* plain: the mapping */
  const char *map;
  /* gzip: ISA-L's inflate (igzip), about 4 times as fast as zlib's here (narrow.csv.gz: 0.74 s
   * against 2.97 s for 809 MB), which matters because inflating cannot be split over threads */
  struct inflate_state *inflate;
  int z_done; /* a member ended; another may follow */
  unsigned char *zin;
  EVP_MD_CTX *sha;
  int64_t compressed_read;
} source_t;

/* The part of a file this rank reads in the distributed mode (NULL: all of it). A plain file is
 * cut into byte ranges, one per rank; a gzip file, which cannot be cut, is read whole by one rank
 * (whole = 1) and skipped by the others (skip = 1). */
typedef struct file_share {
  int64_t begin, end;           /* plain: this rank's byte range */
  int begin_parity, end_parity; /* quotes before begin / end, mod 2 */
  int whole, skip;
  int hash; /* this rank computes the file's SHA-256 */
} file_share_t;

static regio_err_t io_error(regio_ctx_t *ctx, const char *what, const char *path, int err) {
  return REGIO_ERROR(ctx, REGIO_ERR_IO, "%s '%s': %s", what, path, strerror(err));
}

static regio_err_t source_open(source_t *src, const char *path, int advise, regio_ctx_t *ctx) {
  memset(src, 0, sizeof *src);
  src->path = path;
  /* non-blocking, so that a FIFO without a writer is refused below instead of waiting forever */
  src->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (src->fd < 0) return io_error(ctx, "cannot open input", path, errno);
  struct stat st;
  if (fstat(src->fd, &st) != 0) return io_error(ctx, "cannot stat input", path, errno);
  REGIO_CHECK(ctx, !S_ISDIR(st.st_mode), REGIO_ERR_IO, "input '%s' is a directory, not a file", path);
  REGIO_CHECK(ctx, S_ISREG(st.st_mode), REGIO_ERR_IO, "input '%s' is not a regular file", path);
  src->size = st.st_size;
  REGIO_CHECK(ctx, src->size > 0, REGIO_ERR_INPUT, "%s: empty file (expected a header row)", path);
  unsigned char magic[2] = {0, 0};
  ssize_t got = pread(src->fd, magic, 2, 0);
  if (got < 0) return io_error(ctx, "cannot read input", path, errno);
  src->gzip = got == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
  if (!src->gzip) {
    void *map = mmap(NULL, (size_t)src->size, PROT_READ, MAP_PRIVATE, src->fd, 0);
    if (map == MAP_FAILED) return io_error(ctx, "cannot map input", path, errno);
    /* the whole file is read ahead when one process reads it all (a rank of the distributed mode
     * reads a part: advise = 0, the caller advises its range) */
    madvise(map, (size_t)src->size, advise ? MADV_SEQUENTIAL | MADV_WILLNEED : MADV_SEQUENTIAL);
    src->map = map;
  } else {
    src->zin = malloc(GZIP_READ_BYTES);
    src->inflate = malloc(sizeof *src->inflate);
    REGIO_CHECK(ctx, src->zin && src->inflate, REGIO_ERR_NOMEM, "out of memory");
    isal_inflate_init(src->inflate);
    src->inflate->crc_flag = ISAL_GZIP; /* header, trailer and CRC-32 checked by ISA-L */
  }
  return REGIO_OK;
}

static void source_close(source_t *src) {
  if (src->map) munmap((void *)src->map, (size_t)src->size);
  free(src->inflate);
  free(src->zin);
  if (src->fd >= 0) close(src->fd);
  src->fd = -1;
  src->map = NULL;
  src->inflate = NULL;
  src->zin = NULL;
}

/* Inflates into out[0, cap); returns bytes produced, sets *eof at the end of the data. Handles
 * concatenated gzip members. */
static const char *isal_problem(int rc) {
  switch (rc) {
    case ISAL_INVALID_BLOCK: return "invalid deflate block";
    case ISAL_INVALID_SYMBOL: return "invalid code";
    case ISAL_INVALID_LOOKBACK: return "invalid distance too far back";
    case ISAL_INVALID_WRAPPER: return "invalid gzip header";
    case ISAL_UNSUPPORTED_METHOD: return "unknown compression method";
    case ISAL_INCORRECT_CHECKSUM: return "incorrect data check (CRC-32 or length)";
    case ISAL_NEED_DICT: return "needs a preset dictionary";
    default: return "inflate error";
  }
}

/* Inflates up to cap bytes into out (fewer only at the end of the data: *eof). Several members
 * (concatenated gzip files) are read as one stream; anything else after a member is corrupt. */
static regio_err_t source_inflate(source_t *src, unsigned char *out, size_t cap, size_t *produced, int *eof,
                                  regio_ctx_t *ctx) {
  struct inflate_state *st = src->inflate;
  size_t done = 0;
  *produced = 0;
  *eof = 0;
  while (done < cap) {
    if (st->avail_in == 0) {
      ssize_t got = read(src->fd, src->zin, GZIP_READ_BYTES);
      if (got < 0) return io_error(ctx, "cannot read input", src->path, errno);
      if (got == 0) {
        if (!src->z_done)
          return REGIO_ERROR(ctx, REGIO_ERR_INPUT,
                             "%s: truncated gzip file (the compressed stream ends early after %lld bytes)", src->path,
                             (long long)src->compressed_read);
        *eof = 1;
        break;
      }
      if (src->sha) EVP_DigestUpdate(src->sha, src->zin, (size_t)got);
      src->compressed_read += got;
      st->next_in = src->zin;
      st->avail_in = (uint32_t)got;
    }
    if (src->z_done) { /* another member follows, or bytes that are not one */
      if (st->next_in[0] != 0x1f || (st->avail_in > 1 && st->next_in[1] != 0x8b))
        return REGIO_ERROR(ctx, REGIO_ERR_INPUT,
                           "%s: corrupt gzip data near compressed byte %lld: bytes after the end of the gzip data "
                           "that do not start another gzip member",
                           src->path, (long long)(src->compressed_read - st->avail_in));
      isal_inflate_reset(st);
      st->crc_flag = ISAL_GZIP;
      src->z_done = 0;
    }
    const size_t room = cap - done < ((size_t)1 << 30) ? cap - done : (size_t)1 << 30;
    st->next_out = out + done;
    st->avail_out = (uint32_t)room;
    int rc = isal_inflate(st);
    done += room - st->avail_out;
    if (rc != ISAL_DECOMP_OK)
      return REGIO_ERROR(ctx, REGIO_ERR_INPUT, "%s: corrupt gzip data near compressed byte %lld: %s", src->path,
                         (long long)(src->compressed_read - st->avail_in), isal_problem(rc));
    if (st->block_state == ISAL_BLOCK_FINISH) src->z_done = 1;
  }
  *produced = done;
  return REGIO_OK;
}

/* Line numbers (1-based) of sorted stream offsets, by counting line feeds from the start. */
static void lines_of_offsets(const char *path, const int64_t *offsets, int64_t *lines, int n) {
  for (int i = 0; i < n; i++) lines[i] = 0;
  gzFile gz = gzopen(path, "rb");
  if (!gz) return;
  gzbuffer(gz, 1 << 20);
  char *buf = malloc(1 << 20);
  int64_t pos = 0, line = 1;
  int next = 0;
  while (buf && next < n) {
    int got = gzread(gz, buf, 1 << 20);
    if (got <= 0) break;
    for (int i = 0; i < got && next < n; i++) {
      while (next < n && offsets[next] == pos + i) lines[next++] = line;
      if (buf[i] == '\n') line++;
    }
    pos += got;
  }
  free(buf);
  gzclose(gz);
}

static int64_t line_of_offset(const char *path, int64_t offset) {
  int64_t line;
  lines_of_offsets(path, &offset, &line, 1);
  return line;
}

/* Parses the header: delimiter, column names, roles. text starts at the beginning of the stream. */
static regio_err_t setup_header(file_setup_t *s, const char *text, size_t len, size_t *header_bytes, regio_ctx_t *ctx) {
  const regio_ingest_opts_t *o = s->opts;
  size_t skip = 0;
  if (len >= 3 && (unsigned char)text[0] == 0xEF && (unsigned char)text[1] == 0xBB && (unsigned char)text[2] == 0xBF)
    skip = 3;
  const char *line = text + skip;
  size_t line_len = len - skip;
  REGIO_CHECK(ctx, line_len > 0 && line[0] != '\n' && line[0] != '\r', REGIO_ERR_INPUT,
              "%s:1: the header row is empty (expected column names)", s->path);
  s->delimiter = o->delimiter ? o->delimiter : regio_csv_detect_delimiter(line, line_len);
  if (!s->delimiter) {
    char shown[256];
    const char *nl = memchr(line, '\n', line_len);
    regio_csv_quote_for_message(line, nl ? (size_t)(nl - line) : line_len, shown, sizeof shown);
    return REGIO_ERROR(ctx, REGIO_ERR_INPUT,
                       "%s:1: cannot detect the delimiter: the header \"%s\" contains none of , ; TAB | "
                       "(give --delimiter)",
                       s->path, shown);
  }
  size_t consumed = 0, error_at = 0;
  const char *what = NULL;
  int n = regio_csv_split_record(line, line_len, s->delimiter, &s->column_names, &consumed, &error_at, &what);
  REGIO_CHECK(ctx, n != -2, REGIO_ERR_NOMEM, "out of memory");
  if (n < 0) {
    char shown[256];
    size_t from = error_at > 20 ? error_at - 20 : 0;
    regio_csv_quote_for_message(line + from,
                                error_at - from + 1 <= line_len - from ? error_at - from + 1 : line_len - from, shown,
                                sizeof shown);
    return REGIO_ERROR(ctx, REGIO_ERR_INPUT, "%s:1: header row, field %d: %s, at \"%s\"", s->path,
                       regio_csv_field_at(line, error_at, s->delimiter), what, shown);
  }
  s->n_columns = n;
  *header_bytes = skip + consumed;
  const char *nul = memchr(line, '\0', consumed);
  REGIO_CHECK(ctx, !nul, REGIO_ERR_INPUT, "%s:1: header field %d contains a NUL byte (a binary file?)", s->path,
              regio_csv_field_at(line, (size_t)(nul - line), s->delimiter));
  for (int i = 0; i < n; i++) {
    REGIO_CHECK(ctx, regio_csv_check_code_bytes(s->column_names[i], strlen(s->column_names[i])) == 0, REGIO_ERR_INPUT,
                "%s:1: header field %d is not valid UTF-8 text or contains control bytes (binary file?)", s->path,
                i + 1);
  }

  s->role = calloc((size_t)n, sizeof *s->role);
  REGIO_CHECK(ctx, s->role, REGIO_ERR_NOMEM, "out of memory");
  const char *wanted[ROLE_COUNT] = {0};
  for (int k = 0; k < o->n_district_cols; k++) wanted[k] = o->district_cols[k];
  wanted[ROLE_SECTOR] = o->sector_col;
  wanted[ROLE_EMPLOYEES] = o->employees_col;
  wanted[ROLE_ESTABLISHMENTS] = o->establishments_col;
  wanted[ROLE_ACTOR] = o->actor_col;
  for (int r = 0; r < ROLE_COUNT; r++) {
    s->role_field[r] = -1;
    if (!wanted[r]) continue;
    int found = -1;
    for (int i = 0; i < n; i++) {
      if (strcmp(s->column_names[i], wanted[r]) != 0) continue;
      REGIO_CHECK(ctx, found < 0, REGIO_ERR_INPUT, "%s:1: column '%s' appears twice in the header (fields %d and %d)",
                  s->path, wanted[r], found + 1, i + 1);
      found = i;
    }
    if (found < 0) {
      char list[1024];
      size_t k = 0;
      for (int i = 0; i < n && k + 4 < sizeof list; i++) {
        int w = snprintf(list + k, sizeof list - k, "%s'%s'", i ? ", " : "", s->column_names[i]);
        if (w < 0) break;
        k += (size_t)w;
      }
      if (k >= sizeof list) k = sizeof list - 1;
      list[k] = '\0';
      return REGIO_ERROR(ctx, REGIO_ERR_INPUT,
                         "%s:1: no column '%s' in the header (delimiter '%s'); the columns are: %s", s->path, wanted[r],
                         s->delimiter == '\t' ? "\\t" : (char[]){s->delimiter, 0}, list);
    }
    REGIO_CHECK(ctx, s->role[found] == 0, REGIO_ERR_USAGE, "column '%s' is chosen for two roles", wanted[r]);
    s->role[found] = (int8_t)(r + 1);
    s->role_field[r] = found;
  }
  /* byte classes of the unquoted-field scan: 1 ends the field, 2 needs a closer look in a code */
  for (int c = 0; c < 256; c++) s->stops[c] = (c < 0x20 || c >= 0x7f) ? 2 : 0;
  s->stops[(uint8_t)s->delimiter] = 1;
  s->stops['\n'] = 1;
  s->stops['"'] = 1;
  s->needed_roles = 0;
  for (int r = 0; r < ROLE_COUNT; r++)
    if (s->role_field[r] >= 0) s->needed_roles |= 1u << r;
  return REGIO_OK;
}

static void setup_free(file_setup_t *s) {
  regio_csv_free_fields(s->column_names, s->n_columns);
  free(s->role);
  memset(s, 0, sizeof *s);
}

typedef struct actor_seen {
  const char *code;
  size_t len;
  int64_t first; /* offset in the file, INT64_MIN for an earlier file */
} actor_seen_t;

static int actor_seen_cmp(const void *a, const void *b) {
  const actor_seen_t *x = a, *y = b;
  if (x->first != y->first) return x->first < y->first ? -1 : 1;
  size_t n = x->len < y->len ? x->len : y->len;
  int c = memcmp(x->code, y->code, n);
  return c ? c : (x->len > y->len) - (x->len < y->len);
}

static void actor_seen_add(actor_seen_t *seen, int *n, const char *code, size_t len, int64_t first) {
  for (int k = 0; k < *n; k++)
    if (seen[k].len == len && memcmp(seen[k].code, code, len) == 0) {
      if (first < seen[k].first) seen[k].first = first;
      return;
    }
  seen[(*n)++] = (actor_seen_t){code, len, first};
}

/* More than REGIO_MAX_ACTORS actor types in the threads' partials together: records an error at
 * the first row of the type that is one too many in file order (the same for any thread count:
 * every row before it has been parsed, since a thread only stops after its own extra type). */
static void check_actor_types(run_state_t *run) {
  if (!run->setup->opts->actor_col) return;
  actor_seen_t *seen = malloc((size_t)run->n_threads * (REGIO_MAX_ACTORS + 1) * sizeof *seen);
  if (!seen) {
    worker_error(&run->workers[0], 0, REGIO_ERR_NOMEM, "out of memory");
    return;
  }
  int n = 0;
  for (int t = 0; t < run->n_threads; t++) {
    const regio_partial_t *p = &run->workers[t].partial;
    for (int a = 0; a < p->n_actors; a++)
      actor_seen_add(seen, &n, p->actor_code[a], p->actor_len[a], p->actor_first[a]);
    if (p->actor_over_offset != INT64_MAX)
      actor_seen_add(seen, &n, p->actor_over_code, p->actor_over_len, p->actor_over_offset);
  }
  if (n <= REGIO_MAX_ACTORS) {
    free(seen);
    return;
  }
  qsort(seen, (size_t)n, sizeof *seen, actor_seen_cmp);
  const actor_seen_t *extra = &seen[REGIO_MAX_ACTORS];
  char shown[256];
  regio_csv_quote_for_message(extra->code, extra->len, shown, sizeof shown);
  const file_setup_t *s = run->setup;
  worker_error(&run->workers[0], extra->first, REGIO_ERR_INPUT,
               "column '%s' (field %d): \"%s\" is a %dth distinct actor type; at most %d are supported (actor "
               "types such as firm, university, research, government, civil society)",
               column_name(s, ROLE_ACTOR), s->role_field[ROLE_ACTOR] + 1, shown, REGIO_MAX_ACTORS + 1,
               REGIO_MAX_ACTORS);
  free(seen);
}

/* Locates and reports the first error of the file in file order. */
static regio_err_t report_worker_error(run_state_t *run, regio_ctx_t *ctx) {
  check_actor_types(run);
  worker_t *first = NULL;
  for (int t = 0; t < run->n_threads; t++) {
    worker_t *w = &run->workers[t];
    if (w->error_code != REGIO_OK && (!first || w->error_offset < first->error_offset)) first = w;
  }
  if (!first) return REGIO_OK;
  run->error_offset = first->error_offset;
  if (first->error_code == REGIO_ERR_NOMEM)
    return REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "%s: %s", run->setup->path, first->error_message);
  return REGIO_ERROR(ctx, first->error_code, "%s:%lld: %s", run->setup->path,
                     (long long)line_of_offset(run->setup->path, first->error_offset), first->error_message);
}

/* The error for a stream whose quotes do not balance: text is the record where the imbalance
 * starts. A stray quote in an unquoted field on its first line is named precisely. */
static regio_err_t unbalanced_error(const file_setup_t *s, const char *text, size_t len, int64_t offset,
                                    regio_ctx_t *ctx) {
  const long long line = (long long)line_of_offset(s->path, offset);
  const char *nl = memchr(text, '\n', len);
  size_t line_len = nl ? (size_t)(nl - text) + 1 : len;
  char **fields = NULL;
  size_t consumed = 0, error_at = 0;
  const char *what = NULL;
  int n = regio_csv_split_record(text, line_len, s->delimiter, &fields, &consumed, &error_at, &what);
  if (n >= 0) regio_csv_free_fields(fields, n);
  if (n == -1 && what && strstr(what, "unquoted")) {
    char shown[256];
    size_t from = error_at > 20 ? error_at - 20 : 0;
    regio_csv_quote_for_message(text + from, error_at - from + 1, shown, sizeof shown);
    return REGIO_ERROR(ctx, REGIO_ERR_INPUT, "%s:%lld: field %d: %s, at \"%s\"", s->path, line,
                       regio_csv_field_at(text, error_at, s->delimiter), what, shown);
  }
  return REGIO_ERROR(ctx, REGIO_ERR_INPUT,
                     "%s:%lld: unbalanced quotes: a quoted field opened in the row starting on this line is never "
                     "closed",
                     s->path, line);
}

/* Runs the block loop over one plain (memory-mapped) file, or over the part of it that this rank
 * reads in the distributed mode: the records that start in the byte range [share->begin,
 * share->end) of the file, share->begin_parity / end_parity being the parity of the quotes before
 * either end (so that the record boundaries are found exactly as one process would find them). */
static regio_err_t read_plain(run_state_t *run, source_t *src, file_setup_t *s, size_t block_bytes,
                              const file_share_t *share, regio_ctx_t *ctx) {
  const size_t size = (size_t)src->size;
  size_t header_bytes = 0;
  REGIO_TRY(setup_header(s, src->map, size, &header_bytes, ctx));
  if (run->sha) EVP_DigestUpdate(run->sha, src->map, header_bytes);
  size_t pos = header_bytes, end = size;
  if (share) {
    size_t a = first_record_start(src->map, (size_t)share->begin, size, share->begin_parity);
    size_t b = first_record_start(src->map, (size_t)share->end, size, share->end_parity);
    pos = a > header_bytes ? a : header_bytes;
    end = b > header_bytes ? b : header_bytes;
    if (end > pos) madvise((void *)(((uintptr_t)src->map + pos) & ~(uintptr_t)4095), end - pos + 4096, MADV_WILLNEED);
  }
  size_t window = block_bytes, tail = 0;
  run->ahead_k = 0;
  if (pos >= end) return REGIO_OK; /* a header without data rows, or no record starts in this part */
  int unbalanced = 0;
  /* the pages parsed are handed back as the read advances (the mapping is private and read-only:
   * a page touched again is read again from the file), so the resident memory does not grow with
   * the input; released = the first byte not yet handed back, on a page boundary */
  const size_t page = (size_t)sysconf(_SC_PAGESIZE);
  size_t released = pos / page * page;
  while (pos < end) {
    size_t len = end - pos < window ? end - pos : window;
    int at_end = pos + len == end;
    size_t used = process_block(run, src->map + pos, len, at_end, (int64_t)pos, &tail, &unbalanced, run->n_threads,
                                end - pos, block_bytes);
    REGIO_TRY(report_worker_error(run, ctx));
    if (at_end) {
      if (unbalanced) break;
      if (used < len) process_final_record(run, src->map + pos + used, len - used, (int64_t)(pos + used));
      REGIO_TRY(report_worker_error(run, ctx));
      return REGIO_OK;
    }
    if (used == 0) { /* one record longer than the window */
      if (window >= REGIO_RECORD_MAX) break;
      window *= 2;
      continue;
    }
    pos += used;
    window = block_bytes;
    if (pos / page * page > released) {
      madvise((void *)(src->map + released), pos / page * page - released, MADV_DONTNEED);
      released = pos / page * page;
    }
    regio_ctx_progress(ctx, "reading", (double)pos / (double)size);
  }
  run->error_offset = (int64_t)(pos + tail);
  return unbalanced_error(s, src->map + pos + tail, end - pos - tail, (int64_t)(pos + tail), ctx);
}

/* Runs the block loop over a gzip file: inflate into a buffer, parse its complete records, carry
 * the incomplete last record to the front of the buffer. */
/* gzip input: inflating is sequential, and on short rows it takes about as long as parsing them,
 * so a producer thread inflates the next block while the workers parse this one. Two buffers
 * (slots), each with room in front (headroom) for the unfinished record carried over from the
 * block before, so that a block and its carry are contiguous without copying the block. Errors
 * come out in file order: the consumer reports a block's inflate error only after parsing every
 * block before it. */
enum { GZ_SLOTS = 2, GZ_THREAD_MIN_BLOCK = 1 << 20 };
typedef struct gz_slot {
  char *mem;       /* headroom + cap bytes */
  size_t cap;      /* of this slot (the pipe's cap may have grown since) */
  size_t filled;   /* inflated bytes after the headroom */
  int eof;         /* the compressed stream ended in this block */
  regio_err_t err; /* a read or inflate error (the message in the pipe's ctx) */
  int64_t compressed_read;
  double seconds; /* inflating it took */
} gz_slot_t;

typedef struct gz_pipe {
  source_t *src;
  size_t headroom, cap;
  gz_slot_t slot[GZ_SLOTS];
  regio_ctx_t *ctx; /* the producer's own, for its errors */
  pthread_mutex_t lock;
  pthread_cond_t changed;
  int64_t produced; /* blocks filled */
  int64_t released; /* blocks the consumer no longer needs: 0 .. released - 1 */
  int stop;         /* the consumer is done */
} gz_pipe_t;

/* Inflates block k into its slot. */
static void gz_fill(gz_pipe_t *p, int64_t k) {
  gz_slot_t *slot = &p->slot[k % GZ_SLOTS];
  slot->filled = 0;
  slot->eof = 0;
  if (slot->cap < p->cap) { /* grown (without the thread only): this slot holds no carry */
    char *bigger = realloc(slot->mem, p->headroom + p->cap);
    if (!bigger) {
      slot->err = REGIO_ERROR(p->ctx, REGIO_ERR_NOMEM, "out of memory for a %zu-byte read buffer", p->cap);
      return;
    }
    slot->mem = bigger;
    slot->cap = p->cap;
  }
  const double t0 = omp_get_wtime();
  slot->err =
      source_inflate(p->src, (unsigned char *)slot->mem + p->headroom, slot->cap, &slot->filled, &slot->eof, p->ctx);
  slot->seconds = omp_get_wtime() - t0;
  slot->compressed_read = p->src->compressed_read;
}

static void *gz_produce(void *arg) {
  gz_pipe_t *p = arg;
  for (int64_t k = 0;; k++) {
    pthread_mutex_lock(&p->lock);
    while (!p->stop && p->released < k - (GZ_SLOTS - 1)) pthread_cond_wait(&p->changed, &p->lock);
    const int stop = p->stop;
    pthread_mutex_unlock(&p->lock);
    if (stop) break;
    gz_fill(p, k);
    const gz_slot_t *slot = &p->slot[k % GZ_SLOTS];
    pthread_mutex_lock(&p->lock);
    p->produced = k + 1;
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->lock);
    if (slot->err || slot->eof) break;
  }
  return NULL;
}

/* Waits for block k (or, without a producer thread, inflates it). */
static gz_slot_t *gz_wait(gz_pipe_t *p, int64_t k, int threaded) {
  if (!threaded) {
    gz_fill(p, k);
    return &p->slot[k % GZ_SLOTS];
  }
  pthread_mutex_lock(&p->lock);
  while (p->produced <= k) pthread_cond_wait(&p->changed, &p->lock);
  pthread_mutex_unlock(&p->lock);
  return &p->slot[k % GZ_SLOTS];
}

/* How many workers parse the next block. The producer and w workers share the T cores; inflating
 * runs at I bytes/s on a core of its own, parsing at P bytes/s per worker, so the read goes at
 * min(I, w P) x min(1, T / (w + 1)), less some 15% when they share cores. On 2 cores: narrow rows (P = 0.28 GB/s, I
 * = 1.1 GB/s) want 2 workers, wide ones (P = 1.07 GB/s) one, which leaves the producer its core (wide.csv.gz: 3.2 s
 * instead of 3.9 s). Rates are measured on every block (each time scaled by the share of a core
 * it had) and smoothed; the choice changes the speed only, never a result. */
typedef struct gz_rates {
  double inflate, parse; /* bytes per second on a core of their own; 0 = not measured yet */
} gz_rates_t;

static int gz_workers(gz_rates_t *r, const gz_slot_t *slot, double parse_seconds, int used, int T) {
  if (slot->filled == 0 || slot->seconds <= 0 || parse_seconds <= 0) return used;
  const double share = used + 1 > T ? (double)T / (used + 1) : 1.0;
  const double inflate = (double)slot->filled / (slot->seconds * share);
  const double parse = (double)slot->filled / (parse_seconds * used * share);
  r->inflate = r->inflate > 0 ? 0.5 * (r->inflate + inflate) : inflate;
  r->parse = r->parse > 0 ? 0.5 * (r->parse + parse) : parse;
  int best = T;
  double best_rate = 0;
  for (int w = 1; w <= T; w++) {
    /* sharing cores costs more than the share (spinning workers, caches): 15% more, measured */
    const double rate = fmin(r->inflate, w * r->parse) * (w + 1 > T ? 0.85 * T / (w + 1) : 1.0);
    if (rate > best_rate * 1.02) { /* a clear gain only */
      best = w;
      best_rate = rate;
    }
  }
  return best;
}

/* Hands the slots of the blocks before k back to the producer. */
static void gz_release(gz_pipe_t *p, int64_t k, int threaded) {
  if (!threaded) return;
  pthread_mutex_lock(&p->lock);
  p->released = k;
  pthread_cond_broadcast(&p->changed);
  pthread_mutex_unlock(&p->lock);
}

static regio_err_t read_gzip(run_state_t *run, source_t *src, file_setup_t *s, size_t block_bytes, regio_ctx_t *ctx) {
  gz_pipe_t pipe;
  memset(&pipe, 0, sizeof pipe);
  pipe.src = src;
  pipe.cap = block_bytes;
  pipe.headroom = block_bytes / 4 + 64;
  pthread_t producer;
  int started = 0;
  regio_err_t err = REGIO_OK;
  char *joined = NULL; /* a carry longer than the headroom, joined with the next block */
  pthread_mutex_init(&pipe.lock, NULL);
  pthread_cond_init(&pipe.changed, NULL);
  if (regio_ctx_create(&pipe.ctx) != REGIO_OK) {
    err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory");
    goto done;
  }
  for (int i = 0; i < GZ_SLOTS; i++) {
    pipe.slot[i].cap = pipe.cap;
    pipe.slot[i].mem = malloc(pipe.headroom + pipe.cap);
    if (!pipe.slot[i].mem) {
      err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for a %zu-byte read buffer", pipe.headroom + pipe.cap);
      goto done;
    }
  }
  /* Small blocks (the tests' boundary sweeps) are inflated in turn, without the thread: a hand-over
   * per block would cost more than it saves. */
  if (block_bytes >= GZ_THREAD_MIN_BLOCK) {
    if (pthread_create(&producer, NULL, gz_produce, &pipe) != 0) {
      err = REGIO_ERROR(ctx, REGIO_ERR_INTERNAL, "cannot start the thread that inflates %s", s->path);
      goto done;
    }
    started = 1;
  }

  gz_rates_t rates = {0, 0};
  int workers = run->n_threads; /* parsing a block */
  const char *carry = "";       /* the unfinished record of the blocks before */
  size_t carry_len = 0;
  int64_t base = 0; /* stream offset of carry[0] */
  int header_done = 0, unbalanced = 0;
  for (int64_t k = 0;; k++) {
    gz_slot_t *slot = gz_wait(&pipe, k, started);
    if (slot->err) {
      err = REGIO_ERROR(ctx, slot->err, "%s", regio_ctx_message(pipe.ctx));
      goto done;
    }
    /* data = carry + this block, contiguous */
    char *data;
    const size_t len = carry_len + slot->filled;
    if (carry_len <= pipe.headroom) {
      data = slot->mem + pipe.headroom - carry_len;
      memcpy(data, carry, carry_len);
    } else {
      char *both = malloc(len);
      if (!both) {
        err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for a %zu-byte record", carry_len);
        goto done;
      }
      memcpy(both, carry, carry_len);
      memcpy(both + carry_len, slot->mem + pipe.headroom, slot->filled);
      free(joined);
      joined = data = both;
    }
    gz_release(&pipe, k, started); /* the carry is copied: the producer may refill the other slot */
    const int eof = slot->eof;
    size_t used = 0, tail = 0;
    if (!header_done) {
      int quoted = 0, complete = eof;
      for (size_t i = 0; i < len && !complete; i++) {
        if (data[i] == '"')
          quoted = !quoted;
        else if (data[i] == '\n' && !quoted)
          complete = 1;
      }
      if (!complete) {
        carry = data;
        carry_len = len;
        if (len >= REGIO_RECORD_MAX) break;
        continue;
      }
      if (len == 0) {
        err = REGIO_ERROR(ctx, REGIO_ERR_INPUT, "%s: empty file (expected a header row)", s->path);
        goto done;
      }
      if ((err = setup_header(s, data, len, &used, ctx))) goto done;
      header_done = 1;
    }
    /* a record can only end in the new bytes if they hold a line feed (tiny test blocks: many
     * do not, and a block without a record would cost the threads a start for nothing) */
    if (!eof && header_done && used == 0 && !memchr(data + carry_len, '\n', slot->filled)) {
      carry = data;
      carry_len = len;
      if (carry_len >= REGIO_RECORD_MAX) break;
      if (!started && pipe.cap < REGIO_RECORD_MAX) pipe.cap *= 2; /* blocks grow until records fit */
      continue;
    }
    if (len > used) {
      const double t0 = omp_get_wtime();
      used += process_block(run, data + used, len - used, eof, base + (int64_t)used, &tail, &unbalanced, workers, 0, 0);
      if (started) workers = gz_workers(&rates, slot, omp_get_wtime() - t0, workers, run->n_threads);
      if ((err = report_worker_error(run, ctx))) goto done;
    }
    if (eof) {
      if (unbalanced) {
        carry = data + used;
        carry_len = len - used;
        base += (int64_t)used;
        break;
      }
      if (used < len) process_final_record(run, data + used, len - used, base + (int64_t)used);
      err = report_worker_error(run, ctx);
      goto done;
    }
    carry = data + used;
    carry_len = len - used;
    base += (int64_t)used;
    if (carry_len >= REGIO_RECORD_MAX) break;
    regio_ctx_progress(ctx, "reading", (double)slot->compressed_read / (double)src->size);
  }
  run->error_offset = base;
  err = unbalanced_error(s, carry, carry_len, base, ctx);
done:
  if (started) {
    pthread_mutex_lock(&pipe.lock);
    pipe.stop = 1;
    pthread_cond_broadcast(&pipe.changed);
    pthread_mutex_unlock(&pipe.lock);
    pthread_join(producer, NULL);
  }
  pthread_cond_destroy(&pipe.changed);
  pthread_mutex_destroy(&pipe.lock);
  for (int i = 0; i < GZ_SLOTS; i++) free(pipe.slot[i].mem);
  free(joined);
  regio_ctx_destroy(&pipe.ctx);
  return err;
}

static void hex_digest(EVP_MD_CTX *sha, char out[65]) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(sha, digest, &n);
  for (unsigned int i = 0; i < n && i < 32; i++) snprintf(out + 2 * i, 3, "%02x", digest[i]);
  out[64] = '\0';
}

/* The SHA-256 of a whole file, read apart from the parsing (a rank of the distributed mode that
 * parses only part of a plain file). */
static regio_err_t hash_whole_file(const char *path, EVP_MD_CTX *sha, regio_ctx_t *ctx) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error(ctx, "cannot open input", path, errno);
  enum { CHUNK = 1 << 20 };
  unsigned char *chunk = malloc(CHUNK);
  regio_err_t err = REGIO_OK;
  if (!chunk) err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory");
  ssize_t got = 0;
  while (!err && (got = read(fd, chunk, CHUNK)) > 0) EVP_DigestUpdate(sha, chunk, (size_t)got);
  if (!err && got < 0) err = io_error(ctx, "cannot read input", path, errno);
  free(chunk);
  close(fd);
  return err;
}

static regio_err_t read_file(run_state_t *run, const char *path, const regio_ingest_opts_t *opts,
                             const file_share_t *share, regio_input_stats_t *stats, regio_ctx_t *ctx) {
  file_setup_t setup;
  memset(&setup, 0, sizeof setup);
  setup.path = path;
  setup.opts = opts;
  run->setup = &setup;
  run->stop_offset = INT64_MAX;
  run->error_offset = 0;
  for (int t = 0; t < run->n_threads; t++) worker_reset_file(&run->workers[t]);

  source_t src;
  regio_err_t err = source_open(&src, path, !share || share->whole, ctx);
  EVP_MD_CTX *sha = NULL;
  const int hashing = opts->checksum && (!share || share->hash);
  if (!err && hashing) {
    sha = EVP_MD_CTX_new();
    if (!sha || EVP_DigestInit_ex(sha, EVP_sha256(), NULL) != 1)
      err = REGIO_ERROR(ctx, REGIO_ERR_INTERNAL, "cannot start SHA-256");
  }
  if (!err && share && share->skip) { /* a gzip file another rank reads */
  } else if (!err) {
    size_t block_bytes = opts->block_bytes ? opts->block_bytes : (size_t)run->n_threads * BLOCK_BYTES_PER_THREAD;
    if (src.gzip) {
      src.sha = sha;
      run->sha = NULL;
      err = read_gzip(run, &src, &setup, block_bytes, ctx);
    } else if (share && !share->whole) {
      run->sha = NULL;
      err = read_plain(run, &src, &setup, block_bytes, share, ctx);
      if (!err && sha) err = hash_whole_file(path, sha, ctx);
    } else {
      run->sha = sha;
      err = read_plain(run, &src, &setup, block_bytes, NULL, ctx);
    }
  }
  if (!err && sha && src.gzip) {
    /* hash the rest of the compressed file (bytes after the end of the gzip data, if any) */
    unsigned char chunk[65536];
    ssize_t got;
    while ((got = read(src.fd, chunk, sizeof chunk)) > 0) EVP_DigestUpdate(sha, chunk, (size_t)got);
  }
  if (!err) {
    stats->bytes = src.size;
    stats->delimiter = setup.delimiter;
    if (sha) hex_digest(sha, stats->sha256);
    int64_t first[REGIO_SKIP_COUNT];
    for (int r = 0; r < REGIO_SKIP_COUNT; r++) first[r] = INT64_MAX;
    for (int t = 0; t < run->n_threads; t++) {
      worker_t *w = &run->workers[t];
      stats->rows_read += w->rows_read;
      stats->rows_used += w->rows_used;
      for (int r = 0; r < REGIO_SKIP_COUNT; r++) {
        stats->skipped[r] += w->skipped[r];
        if (w->first_skip_offset[r] < first[r]) first[r] = w->first_skip_offset[r];
      }
    }
    /* line numbers of the first skipped row per reason, in one pass */
    int64_t sorted[REGIO_SKIP_COUNT], lines[REGIO_SKIP_COUNT];
    int n = 0;
    for (int r = 0; r < REGIO_SKIP_COUNT; r++)
      if (first[r] != INT64_MAX) sorted[n++] = first[r];
    for (int i = 1; i < n; i++)
      for (int j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
        int64_t x = sorted[j];
        sorted[j] = sorted[j - 1];
        sorted[j - 1] = x;
      }
    if (n) lines_of_offsets(path, sorted, lines, n);
    for (int r = 0; r < REGIO_SKIP_COUNT; r++)
      for (int i = 0; i < n; i++)
        if (first[r] == sorted[i]) stats->first_skipped_line[r] = lines[i];
  }
  if (sha) EVP_MD_CTX_free(sha);
  run->sha = NULL;
  source_close(&src);
  setup_free(&setup);
  run->setup = NULL;
  return err;
}

/* Distributed mode: which part of each file this rank reads. Plain files are cut into P equal byte
 * ranges; the quotes of each range are counted here (reading the range once, which also brings it
 * into the page cache) and gathered, so every rank knows the quote parity at both ends of its
 * range and finds the same record boundaries one process would. Gzip files go whole to the rank
 * with the fewest gzip bytes so far, largest files first (ties: the lower rank, the earlier file).
 * A file that cannot be opened here is left to read_file to report. Collective. */
static regio_err_t plan_shares(const char *const *paths, size_t n, regio_dist_t *dist, regio_err_t err,
                               file_share_t **out, regio_ctx_t *ctx) {
  const int P = regio_dist_size(dist), rank = regio_dist_rank(dist);
  file_share_t *shares = calloc(n ? n : 1, sizeof *shares);
  int64_t *size = calloc(n ? n : 1, sizeof *size);
  uint8_t *gzip = calloc(n ? n : 1, 1), *parity = calloc(n ? n : 1, 1);
  if (!err && (!shares || !size || !gzip || !parity)) err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory");
  for (size_t f = 0; !err && f < n; f++) {
    int fd = open(paths[f], O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0) continue;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
      size[f] = st.st_size;
      unsigned char magic[2] = {0, 0};
      gzip[f] = pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
      const int64_t begin = size[f] / P * rank, end = rank == P - 1 ? size[f] : size[f] / P * (rank + 1);
      if (!gzip[f] && end > begin) {
        void *map = mmap(NULL, (size_t)size[f], PROT_READ, MAP_PRIVATE, fd, 0);
        if (map != MAP_FAILED) {
          madvise(map, (size_t)size[f], MADV_SEQUENTIAL);
          parity[f] = (uint8_t)(regio_csv_count_quotes((const char *)map + begin, (size_t)(end - begin)) & 1);
          munmap(map, (size_t)size[f]);
        }
      }
      shares[f].begin = begin;
      shares[f].end = end;
    }
    close(fd);
  }
  /* this rank's error so far (the caller's and this memory) agreed before the gather; what fails
   * after it is agreed by the caller, whose next collective call is an agreement */
  if ((err = regio_dist_agree(dist, err, ctx))) goto done;
  uint8_t *all = NULL;
  if ((err = regio_dist_allgatherv(dist, parity, n, (void **)&all, NULL, NULL, ctx))) goto done;
  int64_t *load = calloc((size_t)P, sizeof *load);
  size_t *order = malloc((n ? n : 1) * sizeof *order);
  if (!load || !order) {
    free(all);
    free(load);
    free(order);
    err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory");
    goto done;
  }
  size_t n_gzip = 0;
  for (size_t f = 0; f < n; f++) {
    int before = 0;
    for (int r = 0; r < rank; r++) before ^= all[(size_t)r * n + f];
    shares[f].begin_parity = before;
    shares[f].end_parity = before ^ parity[f];
    shares[f].hash = (int)(f % (size_t)P) == rank;
    if (gzip[f]) order[n_gzip++] = f;
  }
  for (size_t i = 1; i < n_gzip; i++) /* largest first, then file order: insertion sort, few files */
    for (size_t j = i; j > 0 && size[order[j - 1]] < size[order[j]]; j--) {
      size_t x = order[j];
      order[j] = order[j - 1];
      order[j - 1] = x;
    }
  for (size_t i = 0; i < n_gzip; i++) {
    int least = 0;
    for (int r = 1; r < P; r++)
      if (load[r] < load[least]) least = r;
    load[least] += size[order[i]];
    file_share_t *sh = &shares[order[i]];
    sh->whole = least == rank;
    sh->skip = !sh->whole;
    sh->hash = sh->whole;
  }
  free(all);
  free(load);
  free(order);
done:
  free(size);
  free(gzip);
  free(parity);
  if (err) {
    free(shares);
    return err;
  }
  *out = shares;
  return REGIO_OK;
}

/* Distributed mode: the statistics of every file summed over the ranks (the first skipped line per
 * reason is the lowest any rank found; the checksum comes from the rank that computed it).
 * Collective. */
static regio_err_t combine_input_stats(regio_aggregate_t *agg, const file_share_t *shares, regio_dist_t *dist,
                                       regio_ctx_t *ctx) {
  const size_t F = agg->n_inputs, per = 2 + 2 * REGIO_SKIP_COUNT + 1;
  int64_t *sums = calloc(F * per, sizeof *sums);
  char *digests = calloc(F ? F : 1, 65);
  int64_t *counts = malloc(F * (2 + REGIO_SKIP_COUNT) * sizeof *counts);
  int64_t *lines = malloc(F * (REGIO_SKIP_COUNT + 1) * sizeof *lines);
  char *all = NULL;
  regio_err_t err = REGIO_OK;
  if (!sums || !digests || !counts || !lines) err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory");
  for (size_t f = 0; !err && f < F; f++) {
    const regio_input_stats_t *st = &agg->inputs[f];
    int64_t *v = sums + f * per;
    v[0] = st->rows_read;
    v[1] = st->rows_used;
    for (int r = 0; r < REGIO_SKIP_COUNT; r++) {
      v[2 + r] = st->skipped[r];
      /* the lowest line: negated for a MAX reduction that also keeps "none" (0) lowest */
      v[2 + REGIO_SKIP_COUNT + r] = st->first_skipped_line[r] > 0 ? -st->first_skipped_line[r] : INT64_MIN;
    }
    v[2 + 2 * REGIO_SKIP_COUNT] = (unsigned char)st->delimiter;
    if (shares[f].hash) memcpy(digests + f * 65, st->sha256, 65);
  }
  for (size_t f = 0; !err && f < F; f++) {
    memcpy(counts + f * (2 + REGIO_SKIP_COUNT), sums + f * per, (2 + REGIO_SKIP_COUNT) * sizeof *counts);
    memcpy(lines + f * (REGIO_SKIP_COUNT + 1), sums + f * per + 2 + REGIO_SKIP_COUNT,
           (REGIO_SKIP_COUNT + 1) * sizeof *lines);
  }
  /* (this rank's memory: agreed before the reductions) */
  if (!(err = regio_dist_agree(dist, err, ctx)))
    err = regio_dist_allreduce_i64(dist, counts, F * (2 + REGIO_SKIP_COUNT), REGIO_DIST_SUM, NULL, ctx);
  if (!err) err = regio_dist_allreduce_i64(dist, lines, F * (REGIO_SKIP_COUNT + 1), REGIO_DIST_MAX, NULL, ctx);
  if (!err) err = regio_dist_allgatherv(dist, digests, F * 65, (void **)&all, NULL, NULL, ctx);
  const int P = regio_dist_size(dist);
  for (size_t f = 0; !err && f < F; f++) {
    regio_input_stats_t *st = &agg->inputs[f];
    const int64_t *c = counts + f * (2 + REGIO_SKIP_COUNT), *l = lines + f * (REGIO_SKIP_COUNT + 1);
    st->rows_read = c[0];
    st->rows_used = c[1];
    for (int r = 0; r < REGIO_SKIP_COUNT; r++) {
      st->skipped[r] = c[2 + r];
      st->first_skipped_line[r] = l[r] == INT64_MIN ? 0 : -l[r];
    }
    st->delimiter = (char)l[REGIO_SKIP_COUNT];
    for (int r = 0; r < P; r++) /* only the rank that hashed the file has a digest */
      if (all[((size_t)r * F + f) * 65] != '\0') memcpy(st->sha256, all + ((size_t)r * F + f) * 65, 65);
  }
  free(all);
  free(counts);
  free(lines);
  free(sums);
  free(digests);
  return err;
}

regio_err_t regio_ingest_files(const char *const *paths, size_t n_paths, const regio_ingest_opts_t *opts,
                               regio_ctx_t *ctx, regio_aggregate_t **out) {
  *out = NULL;
  REGIO_CHECK(ctx, n_paths > 0, REGIO_ERR_USAGE, "no input files");
  REGIO_CHECK(ctx, opts->n_district_cols >= 1 && opts->n_district_cols <= REGIO_MAX_DISTRICT_COLS, REGIO_ERR_USAGE,
              "between 1 and %d district columns are supported", REGIO_MAX_DISTRICT_COLS);
  REGIO_CHECK(ctx, opts->delimiter != '"' && opts->delimiter != '\n' && opts->delimiter != '\r', REGIO_ERR_USAGE,
              "the delimiter cannot be a quote or a line break");
  REGIO_CHECK(ctx, opts->sector_digits >= 0 && opts->sector_digits <= REGIO_CODE_MAX, REGIO_ERR_USAGE,
              "--sector-digits must be between 1 and %d", REGIO_CODE_MAX);

  const int T = regio_ctx_threads(ctx);
  regio_dist_t *dist = regio_ctx_dist(ctx);
  const int P = regio_dist_size(dist);
  regio_aggregate_t *agg = calloc(1, sizeof *agg);
  file_share_t *shares = NULL;
  run_state_t run;
  memset(&run, 0, sizeof run);
  run.n_threads = T;
  run.workers = calloc((size_t)T, sizeof *run.workers);
  /* (without it, every block's quotes are counted before it is parsed) */
  run.ahead_quotes = calloc((size_t)T * SUBRANGES_PER_THREAD, sizeof *run.ahead_quotes);
  regio_err_t err = REGIO_OK;
  int64_t error_key = 0; /* the position of this rank's error in the input (distributed agreement) */
  /* what fails before the reading fails on this rank alone: plan_shares agrees on it first */
  if (!agg || !run.workers) err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory");
  if (!err && !(agg->inputs = calloc(n_paths, sizeof *agg->inputs)))
    err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory");
  if (!err) agg->n_inputs = n_paths;
  for (int t = 0; !err && t < T; t++) {
    if (regio_partial_init(&run.workers[t].partial) != 0) {
      err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory");
      break;
    }
    run.workers[t].partial.track_sizes = opts->establishments_col == NULL;
    run.workers[t].partial.cells.dense_allowance =
        opts->dense_bytes < 0
            ? 0
            : (opts->dense_bytes ? (size_t)opts->dense_bytes : REGIO_CELLS_DENSE_ALLOWANCE) / (size_t)T;
  }
  for (size_t f = 0; !err && f < n_paths; f++)
    if (!(agg->inputs[f].path = strdup(paths[f]))) err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory");
  if (P > 1) err = plan_shares(paths, n_paths, dist, err, &shares, ctx);
  for (size_t f = 0; !err && f < n_paths; f++) {
    if ((err = read_file(&run, paths[f], opts, shares ? &shares[f] : NULL, &agg->inputs[f], ctx))) {
      const int64_t position = run.error_offset < ((int64_t)1 << 40) ? run.error_offset : ((int64_t)1 << 40) - 1;
      error_key = ((int64_t)f << 40) | position;
      break;
    }
  }
  if (P > 1) {
    /* every rank stops here: the first error in file order wins, then the statistics of the files
     * and the partial aggregates are combined across ranks */
    err = regio_dist_agree_keyed(dist, err, error_key, ctx);
    if (!err) err = regio_dist_agree(dist, combine_input_stats(agg, shares, dist, ctx), ctx);
  }
  if (err) goto fail;
  regio_ctx_progress(ctx, "merging", 1.0);
  {
    regio_partial_t *partials[T];
    for (int t = 0; t < T; t++) partials[t] = &run.workers[t].partial;
    if (P > 1)
      err = regio_partials_merge_dist(partials, T, opts->district_align_prefix, agg, ctx);
    else
      err = regio_partials_merge(partials, T, agg, ctx);
  }
  if (!err && P == 1) {
    agg->district_offset = 0;
    agg->n_districts_global = agg->districts.count;
  }
fail:
  free(shares);
  if (run.workers)
    for (int t = 0; t < T; t++) regio_partial_free(&run.workers[t].partial);
  free(run.workers);
  free(run.ahead_quotes);
  if (err) {
    regio_aggregate_destroy(&agg);
    return err;
  }
  *out = agg;
  return REGIO_OK;
}

void regio_aggregate_destroy(regio_aggregate_t **p) {
  if (!p || !*p) return;
  regio_aggregate_t *agg = *p;
  regio_codes_free(&agg->districts);
  regio_codes_free(&agg->sectors);
  free(agg->cell_start);
  free(agg->cell_sector);
  free(agg->cell_employment);
  free(agg->employment);
  free(agg->district_establishments);
  free(agg->sector_establishments);
  free(agg->sector_size_squares);
  free(agg->district_micro_establishments);
  for (int a = 0; a < agg->n_actors; a++) free(agg->actor_codes[a]);
  free(agg->actor_codes);
  free(agg->district_actor_employment);
  for (size_t f = 0; f < agg->n_inputs; f++) free(agg->inputs[f].path);
  free(agg->inputs);
  free(agg);
  *p = NULL;
}

int64_t regio_aggregate_cell(const regio_aggregate_t *agg, size_t d, size_t s) {
  if (agg->employment) return agg->employment[d * agg->sectors.count + s];
  if (!agg->cell_start) return 0;
  const size_t k = regio_cells_lower_bound(agg->cell_sector, agg->cell_start[d], agg->cell_start[d + 1], s);
  return k < agg->cell_start[d + 1] && agg->cell_sector[k] == s ? agg->cell_employment[k] : 0;
}
