/* regio: functional categories of sectors (knowledge-intensive business services, high-technology
 * manufacturing, lifestyle amenities, ...) and the district measures built on them: category shares
 * and location quotients, the mixed-use index, and (with district areas) establishment density.
 *
 * A category map is a CSV file with the header `sector,category` or `sector,category,use`: each row
 * maps a sector code or code prefix to a category; a sector takes the category of its longest
 * matching prefix, and a sector that no prefix matches goes to the category "other" (always the
 * last category). The optional `use` column says whether a category is a place of work, living
 * or leisure (work, living, leisure or empty), for the mixed-use index. docs/SCHEMA.md, inputs/README.md. */
#ifndef REGIO_CATEGORIES_H
#define REGIO_CATEGORIES_H

#include <stdint.h>

#include "regio/error.h"
#include "regio/indices.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a category is for the mixed-use index. */
typedef enum regio_use {
  REGIO_USE_NONE = 0, /* not counted (e.g. "other") */
  REGIO_USE_WORK = 1,
  REGIO_USE_LIVING = 2,
  REGIO_USE_LEISURE = 3
} regio_use_t;

typedef struct regio_category_map {
  char *path;
  int n;            /* rows */
  char **prefix;    /* [n] sector code or prefix */
  int *category;    /* [n] index into names */
  int *line;        /* [n] line in the file */
  int n_categories; /* named in the file, plus "other" last */
  char **names;     /* [n_categories] in order of first appearance, "other" last */
  regio_use_t *use; /* [n_categories] */
  int has_use;      /* the file has a use column */
} regio_category_map_t;

/* Reads a category map. Errors (REGIO_ERR_INPUT, with FILE:LINE): no header, a row without two
 * non-empty fields, a prefix listed twice, an unknown use, a category given two uses, a category
 * named "other" with a use other than none. */
regio_err_t regio_category_map_read(const char *path, regio_ctx_t *ctx, regio_category_map_t **out);
void regio_category_map_destroy(regio_category_map_t **map);

/* The category of a sector code: its longest matching prefix's, or n_categories - 1 ("other"). */
int regio_category_map_lookup(const regio_category_map_t *map, const char *code, size_t len);

/* Per-district category measures, from the finest sector level. All arrays owned. */
typedef struct regio_categories {
  int n_categories;
  char **names;                 /* [C] copies of the map's names */
  regio_use_t *use;             /* [C] */
  int level;                    /* index into regio_result_t.levels of the level mapped (the finest) */
  int64_t *sector_category;     /* [S of that level] category of each sector */
  int64_t *employment;          /* [D x C] milli */
  int64_t *category_employment; /* [C] national, milli */
  double *share;                /* [D x C] E_dc / E_d; NaN where E_d = 0 */
  double *lq;                   /* [D x C] (E_dc / E_d) / (E_c / E); NaN where E_d = 0 or E_c = 0 */
  double *mixed_use;            /* [D] normalised entropy (natural log / ln 3) of the district's
                                   employment shares in work, living and leisure categories, in
                                   [0, 1]; NaN where that employment is 0; NULL without a use column */
} regio_categories_t;

/* Computes the category measures of res with map; the result is stored in res->categories (owned
 * by res). */
regio_err_t regio_categories_compute(regio_result_t *res, const regio_category_map_t *map, regio_ctx_t *ctx);
void regio_categories_destroy(regio_categories_t **cat);

/* Reads district areas (CSV header `district,area_km2`, area > 0, each district once) and fills
 * res->district_area (km2, NaN for districts not in the file) and res->establishment_density
 * (establishments per km2). Districts in the file but not in the data are ignored and counted in
 * *n_unknown. */
regio_err_t regio_district_areas_apply(regio_result_t *res, const char *path, regio_ctx_t *ctx, int64_t *n_unknown);

#ifdef __cplusplus
}
#endif
#endif
