/* Internal to the generator: random streams, alias tables, the synthetic economy and row
 * formatting. */
#ifndef REGIO_GEN_IMPL_H
#define REGIO_GEN_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "regio/gen.h"

/* ---- Random streams: splitmix64 (Steele, Lea & Flood 2014), a Weyl counter through a mixer, so
 * a stream is fixed by its key and any block's stream can be started without running the others. */

#define REGIO_GEN_GAMMA 0x9E3779B97F4A7C15ULL

static inline uint64_t regio_gen_mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

typedef struct regio_gen_rng {
  uint64_t state;
} regio_gen_rng_t;

/* The stream of (seed, stream, index): stream 0 builds the economy, stream 1 block `index`. */
static inline regio_gen_rng_t regio_gen_rng_key(uint64_t seed, uint64_t stream, uint64_t index) {
  regio_gen_rng_t rng;
  rng.state = regio_gen_mix64(regio_gen_mix64(seed ^ 0x5265672D47656E31ULL) + stream * 0xD1B54A32D192ED03ULL +
                              regio_gen_mix64(index + 0x632BE59BD9B4E019ULL));
  return rng;
}

static inline uint64_t regio_gen_next(regio_gen_rng_t *rng) {
  rng->state += REGIO_GEN_GAMMA;
  return regio_gen_mix64(rng->state);
}

/* Uniform in [0, 1) with 53 random bits. */
static inline double regio_gen_unit(regio_gen_rng_t *rng) {
  return (double)(regio_gen_next(rng) >> 11) * 0x1.0p-53;
}

/* Uniform in [0, n) from the high 32 bits of r (multiply-shift; bias < n / 2^32, irrelevant here). */
static inline uint32_t regio_gen_below32(uint64_t r, uint32_t n) {
  return (uint32_t)(((r >> 32) * (uint64_t)n) >> 32);
}

static inline uint32_t regio_gen_below(regio_gen_rng_t *rng, uint32_t n) {
  return regio_gen_below32(regio_gen_next(rng), n);
}

/* ---- Walker's alias method (Vose 1991): O(1) draws from a discrete law. */
typedef struct regio_gen_alias {
  uint32_t n;
  uint64_t *threshold; /* [n] in [0, 2^32]: keep i when the low 32 random bits are below it */
  uint32_t *alias;     /* [n] */
} regio_gen_alias_t;

/* Builds the table for weights[0..n) (non-negative, not all zero). Returns 0 or -1 (no memory). */
int regio_gen_alias_init(regio_gen_alias_t *table, const double *weights, uint32_t n);
void regio_gen_alias_free(regio_gen_alias_t *table);

static inline uint32_t regio_gen_alias_draw(const regio_gen_alias_t *table, uint64_t r) {
  uint32_t i = regio_gen_below32(r, table->n);
  return (uint64_t)(uint32_t)r < table->threshold[i] ? i : table->alias[i];
}

/* ---- The synthetic economy of a preset and seed. */

typedef enum regio_gen_layout {
  REGIO_GEN_LAYOUT_ESTABLISHMENTS, /* establishment_id,name,region,district,sector,employees */
  REGIO_GEN_LAYOUT_NARROW,         /* district,sector,employees,establishments */
  REGIO_GEN_LAYOUT_WIDE            /* every field quoted, names and labels */
} regio_gen_layout_t;

#define REGIO_GEN_URBAN_CLASSES 3 /* district weight = size^{0.6, 1.0, 1.35} */
#define REGIO_GEN_SIZE_CLASSES 4  /* Pareto exponents {1.0, 1.15, 1.3, 1.45} */
#define REGIO_GEN_MAX_HOSTS 3

typedef struct regio_gen_district {
  char code[8];        /* "11010", or "1100010" with more than 999 districts in a region */
  char region_code[3]; /* "11" */
  int region;          /* index into the preset's regions */
  double size;         /* relative population */
  char *wide_text;     /* "11","Seoul","11010","Jongno-gu, Seoul" (owned) */
  uint32_t wide_len;
} regio_gen_district_t;

typedef struct regio_gen_sector {
  char code[6]; /* "29102" */
  int group;    /* index into the groups in use */
  int kind;     /* economic kind of the group (primary, manufacturing, ...) */
  int urban;    /* urbanisation class */
  int size_class;
  int n_hosts; /* cluster host districts, 0 = spread */
  uint32_t hosts[REGIO_GEN_MAX_HOSTS];
  uint64_t host_threshold; /* P(host) * 2^32 */
  uint32_t wage;           /* annual wage per employee, thousands */
  char *wide_text;         /* "29102","Motor vehicles, trailers and semi-trailers: parts" (owned) */
  uint32_t wide_len;
} regio_gen_sector_t;

typedef struct regio_gen_model {
  const regio_gen_preset_info_t *preset;
  regio_gen_layout_t layout;
  uint64_t seed;
  int n_districts, n_sectors, n_groups;
  int district_code_len; /* 5, or 7 for presets with more than 999 districts in a region */
  regio_gen_district_t *districts;
  regio_gen_sector_t *sectors;
  const char **group_nouns;  /* [n_groups] business nouns for names (static strings) */
  const char **region_names; /* [n_regions] (static strings) */
  regio_gen_alias_t sector_law;
  regio_gen_alias_t district_law[REGIO_GEN_URBAN_CLASSES];
  regio_gen_alias_t size_law[REGIO_GEN_SIZE_CLASSES]; /* value i = i + 1 employees */
} regio_gen_model_t;

/* Builds the economy of a preset and seed. Errors: REGIO_ERR_NOMEM. */
regio_err_t regio_gen_model_create(const regio_gen_preset_info_t *preset, uint64_t seed, regio_ctx_t *ctx,
                                   regio_gen_model_t **out);
void regio_gen_model_destroy(regio_gen_model_t **model);

/* Longest row any layout can produce (bytes, newline included); checked by an assertion. */
#define REGIO_GEN_ROW_MAX 1024

/* Appends the header row (with its LF) to out; returns the bytes written (< REGIO_GEN_ROW_MAX). */
size_t regio_gen_header(const regio_gen_model_t *model, char *out);

/* Appends rows [block * REGIO_GEN_BLOCK_ROWS, + n_rows) of the table to out, which must hold
 * n_rows * REGIO_GEN_ROW_MAX bytes; returns the bytes written. Thread-safe (model is read-only). */
size_t regio_gen_block(const regio_gen_model_t *model, int64_t block, int64_t n_rows, char *out);

/* ---- Number formatting (hand-written, no printf; checked against snprintf in test_gen.c). */

/* Writes v in decimal; returns the number of characters. */
size_t regio_gen_format_u64(char *out, uint64_t v);
/* Writes milli / 1000 with at most 3 decimals and no trailing zeros ("2.5", "0.125", "7"). */
size_t regio_gen_format_milli(char *out, uint64_t milli);

#endif
