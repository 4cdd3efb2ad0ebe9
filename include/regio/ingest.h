/* regio: reading establishment tables (CSV, optionally gzip) into an exact district x sector
 * aggregate.
 *
 * Employment is parsed as an exact decimal with at most 3 decimal places into 64-bit fixed point
 * (thousandths of an employee, "milli") and summed in integers, so the aggregate is exact and does
 * not depend on the order of rows or files, nor on the thread count. */
#ifndef REGIO_INGEST_H
#define REGIO_INGEST_H

#include <stdint.h>

#include "regio/codes.h"
#include "regio/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Employment fixed point: value = milli / REGIO_MILLI. */
#define REGIO_MILLI 1000

/* A micro establishment has fewer than this many employees (the EU definition, 2003/361/EC). */
#define REGIO_MICRO_EMPLOYEES 10

/* Exact unsigned 128-bit integer (GCC and Clang), for sums of squared milli-employment. */
__extension__ typedef unsigned __int128 regio_u128_t;

/* Why a row was skipped. X(enum suffix, name in output, description) */
#define REGIO_SKIP_REASONS(X)                                                                 \
  X(SECTOR_DIGITS, "sector_digits", "sector code length differs from --sector-digits")        \
  X(EMPTY_CODE, "empty_code", "district or sector code is empty")                             \
  X(BAD_CODE, "bad_code", "code too long or has control bytes or invalid UTF-8")              \
  X(SECTOR_TOO_SHORT, "sector_too_short", "sector code shorter than the finest sector level") \
  X(BAD_EMPLOYEES, "bad_employees", "employees not a non-negative decimal with <= 3 places")  \
  X(BAD_ESTABLISHMENTS, "bad_establishments", "establishments not a non-negative integer")    \
  X(TOO_MANY_FIELDS, "too_many_fields", "row has more fields than the header")

typedef enum regio_skip_reason {
#define REGIO_X_SKIP(id, name, text) REGIO_SKIP_##id,
  REGIO_SKIP_REASONS(REGIO_X_SKIP)
#undef REGIO_X_SKIP
      REGIO_SKIP_COUNT
} regio_skip_reason_t;

const char *regio_skip_reason_name(regio_skip_reason_t reason);
const char *regio_skip_reason_text(regio_skip_reason_t reason);

typedef enum regio_bad_row_policy {
  REGIO_BAD_ROW_FAIL = 0, /* stop at the first bad row (in file order) with its message */
  REGIO_BAD_ROW_SKIP = 1  /* skip bad rows, count them by reason */
} regio_bad_row_policy_t;

#define REGIO_MAX_DISTRICT_COLS 8

typedef struct regio_ingest_opts {
  /* Distributed mode (regio/dist.h): the blocks of districts the ranks own end only where the
   * first district_align_prefix characters of the sorted codes change (0: anywhere), so that
   * groups of districts by code prefix stay on one rank. */
  int district_align_prefix;
  char delimiter;                                     /* 0 = detect from the header */
  const char *district_cols[REGIO_MAX_DISTRICT_COLS]; /* values concatenated in this order */
  int n_district_cols;
  const char *sector_col;
  const char *employees_col;
  const char *establishments_col; /* NULL: each row is one establishment */
  const char *actor_col;          /* NULL: none; else a column of actor types (firm, university, ...) whose
                                     employment per district is kept (at most REGIO_MAX_ACTORS types) */
  int sector_digits;              /* 0 = keep all lengths */
  int min_sector_len;             /* rows with shorter sector codes are bad (finest level); 0 = none */
  regio_bad_row_policy_t on_bad_row;
  int checksum;        /* compute the SHA-256 of each input file (default 1) */
  size_t block_bytes;  /* bytes parsed per block by all threads together; 0 = default (8 MiB per
                          thread). Small values exercise block and chunk boundaries in tests. */
  int64_t dense_bytes; /* what the threads' dense cell tables may touch together however few their
                          cells: 0 = default (128 MiB), negative = nothing (a table is laid out
                          dense only when that touches at most twice its hash form's memory) */
} regio_ingest_opts_t;

/* Fills defaults: district, sector, employees; detect delimiter; fail on bad rows; checksum on. */
void regio_ingest_opts_default(regio_ingest_opts_t *opts);

/* What happened to one input file. */
typedef struct regio_input_stats {
  char *path;        /* as given, owned */
  int64_t bytes;     /* size on disk */
  char sha256[65];   /* hex, "" when checksums are off */
  int64_t rows_read; /* data rows (records) after the header */
  int64_t rows_used; /* rows aggregated */
  int64_t skipped[REGIO_SKIP_COUNT];
  int64_t first_skipped_line[REGIO_SKIP_COUNT]; /* line of the first row skipped per reason, 0 = none */
  char delimiter;
} regio_input_stats_t;

/* Distinct values of the actor column (--actor-col) a run may have. */
#define REGIO_MAX_ACTORS 16

/* The exact aggregate over all input files. */
typedef struct regio_aggregate {
  /* In the distributed mode (regio/dist.h) a rank holds the contiguous block of the sorted
   * districts [district_offset, district_offset + districts.count) of n_districts_global; every
   * per-sector and national array is the national one on every rank. One process: 0 and D. */
  size_t district_offset, n_districts_global;
  regio_codes_t districts; /* sorted */
  regio_codes_t sectors;   /* full sector codes as read, sorted */
  /* The employment matrix [D x S] in milli-employees, in one of two forms (the other NULL), owned:
   * - by its non-zero cells (compressed rows, as regio_level_t's): district d's cells are
   *   (cell_sector[k], cell_employment[k]) for k in [cell_start[d], cell_start[d + 1]), in
   *   ascending sector order, none 0; what regio_ingest_files gives (in the distributed mode,
   *   regio/dist.h, for the rank's block of districts);
   * - dense, row-major (district rows): what a hand-built aggregate may give instead.
   * regio_aggregate_cell reads either. */
  size_t *cell_start;               /* [D + 1] */
  uint32_t *cell_sector;            /* [cell_start[D]] */
  int64_t *cell_employment;         /* [cell_start[D]] */
  int64_t *employment;              /* [D x S] */
  int64_t *district_establishments; /* [D] */
  int64_t *sector_establishments;   /* [S] */
  /* When each row is one establishment (no establishments column), the sizes the concentration
   * indices need; NULL for pre-aggregated input (an establishments column), where they are
   * unknown: */
  regio_u128_t *sector_size_squares;      /* [S] sum over establishments of (milli-employees)^2, exact */
  int64_t *district_micro_establishments; /* [D] establishments with fewer than REGIO_MICRO_EMPLOYEES
                                             employees (0 employees included) */
  /* With an actor column: its distinct values, sorted (byte order), and the employment of each
   * district by actor type; n_actors = 0 and NULL without one. */
  int n_actors;
  char **actor_codes;                 /* [n_actors] */
  int64_t *district_actor_employment; /* [D x n_actors] milli-employees */
  size_t n_inputs;
  regio_input_stats_t *inputs; /* [n_inputs] */
} regio_aggregate_t;

/* Reads the files (plain or .gz, by content) and aggregates them. On failure nothing is returned
 * and ctx holds a message "FILE:LINE: column 'NAME': ...". Uses regio_ctx_threads(ctx) threads. */
regio_err_t regio_ingest_files(const char *const *paths, size_t n_paths, const regio_ingest_opts_t *opts,
                               regio_ctx_t *ctx, regio_aggregate_t **out);
void regio_aggregate_destroy(regio_aggregate_t **agg);
/* The employment of district d (of this process's rows) in sector s, in milli-employees, from
 * whichever form the aggregate holds (0 when it holds neither). */
int64_t regio_aggregate_cell(const regio_aggregate_t *agg, size_t d, size_t s);

/* Parses an exact non-negative decimal ("12", "3.5", "0.125") into thousandths. Extra decimal
 * places are accepted only when they are zeros. Returns 0 and sets *milli, or a nonzero reason:
 * 1 not a number, 2 negative, 3 too many decimal places, 4 out of range. */
int regio_parse_milli(const char *text, size_t len, int64_t *milli);

#ifdef __cplusplus
}
#endif
#endif
