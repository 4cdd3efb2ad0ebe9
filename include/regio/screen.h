/* regio: the cluster versus innovation-district screen. Every district gets one class from rules
 * on its specialisation, related variety and functional categories; the rules, their defaults and
 * their reasoning are in docs/SCREENING.md. The thresholds are national z-scores, quantiles and
 * location quotients, all settable (the [screen] section of a `regio run --config` file). */
#ifndef REGIO_SCREEN_H
#define REGIO_SCREEN_H

#include <stdint.h>

#include "regio/categories.h"
#include "regio/error.h"
#include "regio/indices.h"
#include "regio/io.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The classes, in the order the rules are tried after `thin` (the first rule that holds wins). The
 * values are those of the HDF5 enum /screen/class. */
typedef enum regio_screen_class {
  REGIO_CLASS_THIN = 0,
  REGIO_CLASS_SPECIALISED_CLUSTER = 1,
  REGIO_CLASS_INNOVATION_DISTRICT = 2,
  REGIO_CLASS_CENTRAL_LIFESTYLE_DISTRICT = 3,
  REGIO_CLASS_CENTRAL_BUSINESS_DISTRICT = 4,
  REGIO_CLASS_DIVERSIFIED = 5,
  REGIO_CLASS_COUNT = 6
} regio_screen_class_t;

/* "thin", "specialised_cluster", ...; "unknown" out of range. */
const char *regio_screen_class_name(int cls);

#define REGIO_SCREEN_LIST_MAX 256

typedef struct regio_screen_opts {
  double thin_employment;               /* E_d below this (employees): thin. Default 50 */
  double cluster_krugman_z;             /* cluster: z-score of the Krugman index >= this. Default 1 */
  double cluster_related_z;             /* cluster: z-score of related variety <= this. Default 0 */
  int cluster_needs_manufacturing;      /* cluster: the max-LQ sector is in a manufacturing category.
                                           Default 1 */
  double innovation_related_z;          /* innovation: z-score of related variety >= this. Default 0.5 */
  double innovation_knowledge_lq;       /* innovation: LQ of the knowledge categories >= this. Default 1 */
  double innovation_mixed_use_quantile; /* innovation: mixed use >= this national quantile. 0.5 */
  double innovation_micro_quantile;     /* innovation: micro share >= this national quantile. 0.5
                                           (skipped when establishment sizes are unknown) */
  double office_lq;                     /* CBD and CLD: LQ of the office categories >= this. 1.5 */
  double amenity_lq;                    /* CLD: LQ of the amenity categories >= this (CBD: below). 1 */
  double value_chain_quantile;          /* with an IO table: a pair of IO sectors is strongly linked when
                                           max(a_kl, a_lk) >= this quantile of the off-diagonal a. 0.9 */
  double cluster_value_chain;           /* with an IO table: a cluster's specialised sectors may instead
                                           form a value chain, value_chain >= this. 0.5 */
  /* comma-separated category names (as in the category map) */
  char knowledge_categories[REGIO_SCREEN_LIST_MAX];     /* default "kibs" */
  char office_categories[REGIO_SCREEN_LIST_MAX];        /* default "kibs,public_administration" */
  char amenity_categories[REGIO_SCREEN_LIST_MAX];       /* default "lifestyle_amenities" */
  char manufacturing_categories[REGIO_SCREEN_LIST_MAX]; /* "high_tech_manufacturing,other_manufacturing" */
} regio_screen_opts_t;

void regio_screen_opts_default(regio_screen_opts_t *opts);

/* Sets one option by its config key ("thin-employment", "cluster-krugman-z", ...); returns NULL or a
 * static message. */
const char *regio_screen_opts_set(regio_screen_opts_t *opts, const char *key, const char *value);

/* Writes the options as INI lines "key = value\n" to f (a FILE *). */
void regio_screen_opts_write(const regio_screen_opts_t *opts, void *file);

/* The classes and the scores the rules used. All arrays [D], owned. z-scores are (v - mean) / sd
 * over the districts that are not thin (population sd; NaN when sd = 0); quantiles are numpy's
 * default (linear interpolation) over the non-thin districts' values that are not NaN. */
typedef struct regio_screen {
  regio_screen_opts_t opts;
  int8_t *district_class;
  double *krugman_z; /* Krugman index at the finest level, z-score */
  double *related_z; /* related variety, z-score */
  double *knowledge_lq, *office_lq, *amenity_lq;
  double *mixed_use;               /* from the categories */
  double *micro_share;             /* NaN when establishment sizes are unknown */
  int8_t *max_lq_in_manufacturing; /* the finest level's max-LQ sector is in a manufacturing category */
  double krugman_mean, krugman_sd, related_mean, related_sd;
  double mixed_use_threshold, micro_threshold; /* the quantile values; NaN when not used */
  double *value_chain;                         /* NULL without an IO table; else the share of pairs of the district's
                                                  specialised sectors (finest level, LQ >= specialised_lq and E_ds >=
                                                  the minimum, mapped to an IO sector) whose IO sectors k, l are
                                                  linked: max(a_kl, a_lk) >= value_chain_threshold (a_kk for k = l);
                                                  NaN with fewer than two such sectors */
  double value_chain_threshold;                /* the coefficient the quantile gave; NaN without an IO table */
  int64_t counts[REGIO_CLASS_COUNT];
} regio_screen_t;

/* Classifies the districts of res (which needs two sector levels for related variety, and
 * categories with a use column, regio_categories_compute); stores the result in res->screen. */
regio_err_t regio_screen_compute(regio_result_t *res, const regio_screen_opts_t *opts, regio_ctx_t *ctx);

/* The same, with the value-chain coherence score from a national IO table (its technical
 * coefficients national->A) and the sector map from the finest level's codes to the table's
 * sectors (longest prefix; "-" and unmapped sectors are left out). table, national and map may be
 * NULL (no value chain). */
regio_err_t regio_screen_compute_io(regio_result_t *res, const regio_screen_opts_t *opts, const regio_io_table_t *table,
                                    const regio_io_national_t *national, const regio_io_sector_map_t *map,
                                    regio_ctx_t *ctx);
void regio_screen_destroy(regio_screen_t **screen);

#ifdef __cplusplus
}
#endif
#endif
