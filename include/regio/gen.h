/* regio: deterministic generator of synthetic national establishment tables (CSV, optionally gzip).
 *
 * A synthetic economy is built from the seed: regions with 2-digit codes, districts with 5-digit
 * codes (2-digit region + 3-digit district, like Korean sigungu or US state + county) whose sizes
 * follow a Zipf-Mandelbrot law (population-like), and 5-digit sector codes in 2-digit groups (like
 * KSIC subclasses in divisions). Establishments are drawn independently: the sector from the
 * groups' shares of the economy (rough Korean census orders of magnitude), split inside a group by
 * a Zipf law; the district either from one of the sector's 1-3 host districts (specialised
 * clusters, about a quarter of sectors and most manufacturing) or in proportion to district size
 * raised to an urbanisation exponent of the sector's kind; the employees from a truncated discrete
 * Pareto law (about 95% of establishments have 1-9 employees, a few thousands, at most 20,000),
 * with part-time FTE decimals (2.5, 0.75) in about 2% of rows. Text columns (names with commas and doubled quotes,
 * labels) are quoted as RFC 4180 says; lines end in LF; the header row is always written.
 *
 * Presets (regio_gen_preset_at lists them):
 *   demo    6 regions, 60 districts, 12 groups, 120 sectors, 20,000 rows (about 0.8 MB):
 *           establishment_id,name,region,district,sector,employees
 *   kr      17 regions, 3,500 districts, 77 groups, 1,200 sectors, 6,000,000 rows; demo's columns
 *   narrow  kr's economy, 50,000,000 rows in random order of district,sector,employees,establishments
 *           (establishments 1..5 per row, employees their sum: a pre-aggregated-like table; about
 *           16 bytes a row, 0.8 GB)
 *   wide    kr's economy, 20,000,000 rows, every field quoted, about 160 bytes a row (CBP-like):
 *           establishment_id,name,region,region_name,district,district_name,sector,sector_label,
 *           employees,annual_payroll,legal_form
 *
 * Determinism: rows are generated in fixed blocks of REGIO_GEN_BLOCK_ROWS rows, each from a
 * counter-based random stream keyed by (seed, block index), in parallel, and written in block
 * order; with gzip each block is compressed on its own (raw deflate ended by a sync flush, as pigz
 * does) and the blocks are joined under one gzip header and trailer. So the same preset, seed, row
 * count and gzip level give byte-identical files whatever the thread count, and a table with fewer
 * rows is a prefix of one with more. Across machines the text is identical as long as the C
 * libraries' pow() agree (the economy's weights use it); compressed bytes also depend on the zlib
 * version, the text they hold does not. */
#ifndef REGIO_GEN_H
#define REGIO_GEN_H

#include <stdint.h>

#include "regio/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Rows per block: the unit of parallel work and of the random streams (part of the output's
 * definition: changing it changes every file). */
#define REGIO_GEN_BLOCK_ROWS 16384

/* gzip_level value: gzip (level 6) iff the path ends in ".gz". */
#define REGIO_GEN_GZIP_AUTO (-1)

typedef struct regio_gen_opts {
  const char *preset;    /* "demo", "kr", "narrow", "wide" */
  uint64_t seed;         /* any value; the same seed gives the same table */
  int64_t rows;          /* data rows (header not counted); 0 = the preset's default */
  int threads;           /* 0 = regio_ctx_threads(ctx) */
  int gzip_level;        /* REGIO_GEN_GZIP_AUTO, 0 = plain text, 1..9 = gzip at that level */
  const char *temp_path; /* NULL: path + ".tmp.<pid>"; must be in path's directory */
} regio_gen_opts_t;

/* Fills defaults: preset "demo", seed 1, the preset's rows, ctx threads, gzip by file name. */
void regio_gen_opts_default(regio_gen_opts_t *opts);

/* A preset's constants (static storage; never freed). */
typedef struct regio_gen_preset_info {
  const char *name;
  const char *description; /* one line */
  const char *columns;     /* the header row, without quotes */
  int64_t default_rows;
  int n_columns;
  int n_regions;
  int n_districts;
  int n_groups; /* 2-digit sector groups */
  int n_sectors;
} regio_gen_preset_info_t;

/* Number of presets, the i-th (NULL when out of range), and the one named name (NULL if none). */
int regio_gen_preset_count(void);
const regio_gen_preset_info_t *regio_gen_preset_at(int i);
const regio_gen_preset_info_t *regio_gen_preset_find(const char *name);

/* What regio_gen_write produced. */
typedef struct regio_gen_summary {
  int64_t rows;       /* data rows written */
  int64_t text_bytes; /* bytes of CSV text (before compression) */
  int64_t file_bytes; /* bytes written to the file (== text_bytes when plain) */
  int gzip_level;     /* 0 = plain */
  int threads;        /* threads used */
  int n_districts;    /* districts and sectors of the synthetic economy */
  int n_sectors;
} regio_gen_summary_t;

/* Writes the preset's table for opts->seed to path: plain CSV, or gzip (see gzip_level).
 *
 * The table is written to a temporary file in the same directory and renamed over path only when
 * complete, so a failed run leaves no partial file and an existing file at path stays intact. When
 * path exists and is not a regular file (a pipe, /dev/null, /dev/full) it is written directly.
 *
 * opts: NULL means the defaults. summary: filled on success, may be NULL.
 * Errors: REGIO_ERR_USAGE (unknown preset, negative rows, gzip level > 9), REGIO_ERR_IO with a
 * message naming the file ("cannot write 'x.csv': No space left on device"), REGIO_ERR_NOMEM.
 * Uses opts->threads (or regio_ctx_threads(ctx)) OpenMP threads; progress phase "gen" is reported
 * from the calling thread. One call per context at a time. */
regio_err_t regio_gen_write(const regio_gen_opts_t *opts, const char *path, regio_ctx_t *ctx,
                            regio_gen_summary_t *summary);

#ifdef __cplusplus
}
#endif
#endif
