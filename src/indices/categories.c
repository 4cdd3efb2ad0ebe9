/* Functional categories of sectors: the map file, category shares, LQs and the mixed-use index;
 * district areas and establishment density. Formulas in include/regio/categories.h. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/csv_impl.h"
#include "regio/categories.h"
#include "regio/dist.h"

#define OTHER_CATEGORY "other"

/* Reads the next non-empty line (comment lines starting with # are skipped, a UTF-8 BOM on the
 * first line dropped); returns NULL at the end. *nul is set to the 1-based position of a NUL byte
 * in the returned line (a binary file), 0 when there is none. */
static char *next_line(FILE *f, char **line, size_t *cap, int *lineno, int *nul) {
  ssize_t len;
  *nul = 0;
  while ((len = getline(line, cap, f)) >= 0) {
    (*lineno)++;
    const char *zero = memchr(*line, '\0', (size_t)len);
    if (zero) {
      *nul = (int)(zero - *line) + 1;
      return *line;
    }
    while (len > 0 && ((*line)[len - 1] == '\n' || (*line)[len - 1] == '\r')) (*line)[--len] = '\0';
    char *text = *line;
    if (*lineno == 1 && (unsigned char)text[0] == 0xEF && (unsigned char)text[1] == 0xBB &&
        (unsigned char)text[2] == 0xBF)
      text += 3;
    if (!*text || *text == '#') continue;
    return text;
  }
  return NULL;
}

void regio_category_map_destroy(regio_category_map_t **map) {
  if (!map || !*map) return;
  regio_category_map_t *m = *map;
  for (int i = 0; i < m->n; i++) free(m->prefix[i]);
  for (int i = 0; i < m->n_categories; i++) free(m->names[i]);
  free(m->prefix);
  free(m->category);
  free(m->line);
  free(m->names);
  free(m->use);
  free(m->path);
  free(m);
  *map = NULL;
}

static int parse_use(const char *text, regio_use_t *use) {
  if (!*text || !strcmp(text, "none"))
    *use = REGIO_USE_NONE;
  else if (!strcmp(text, "work"))
    *use = REGIO_USE_WORK;
  else if (!strcmp(text, "living"))
    *use = REGIO_USE_LIVING;
  else if (!strcmp(text, "leisure"))
    *use = REGIO_USE_LEISURE;
  else
    return -1;
  return 0;
}

/* The index of category name, added when new (use recorded); -1 out of memory. */
static int intern_category(regio_category_map_t *m, const char *name, int *cap) {
  for (int i = 0; i < m->n_categories; i++)
    if (!strcmp(m->names[i], name)) return i;
  if (m->n_categories == *cap) {
    int grown = *cap ? 2 * *cap : 16;
    char **names = realloc(m->names, (size_t)grown * sizeof *names);
    if (names) m->names = names;
    regio_use_t *use = realloc(m->use, (size_t)grown * sizeof *use);
    if (use) m->use = use;
    if (!names || !use) return -1;
    *cap = grown;
  }
  if (!(m->names[m->n_categories] = strdup(name))) return -1;
  m->use[m->n_categories] = REGIO_USE_NONE;
  return m->n_categories++;
}

regio_err_t regio_category_map_read(const char *path, regio_ctx_t *ctx, regio_category_map_t **out) {
  REGIO_CHECK(ctx, path && out, REGIO_ERR_USAGE, "no category map file given");
  *out = NULL;
  FILE *f = fopen(path, "r");
  REGIO_CHECK(ctx, f, REGIO_ERR_IO, "cannot open the category map '%s': %s", path, strerror(errno));
  regio_err_t err = REGIO_OK;
  regio_category_map_t *m = calloc(1, sizeof *m);
  char *line = NULL;
  size_t cap = 0, rows_cap = 0;
  int lineno = 0, categories_cap = 0, n_fields = 0;
  int *use_line = NULL; /* line where each category's use was first given */
  int nul = 0;
  char *shown = NULL; /* the line as read, for messages (the fields are cut in place) */
  if (!m || !(m->path = strdup(path))) goto nomem;
  char *text = next_line(f, &line, &cap, &lineno, &nul);
  if (nul) {
    err = REGIO_ERROR(ctx, REGIO_ERR_INPUT, "%s:%d: byte %d of the line is a NUL byte (a binary file?)", path, lineno,
                      nul);
    goto cleanup;
  }
  {
    char *fields[3];
    int k = text ? regio_csv_split_fields(text, fields, 3) : 0;
    if (k < 2 || k > 3 || strcmp(fields[0], "sector") || strcmp(fields[1], "category") ||
        (k == 3 && strcmp(fields[2], "use"))) {
      err = REGIO_ERROR(ctx, REGIO_ERR_INPUT,
                        "%s:%d: the category map needs a header line 'sector,category' or "
                        "'sector,category,use'",
                        path, lineno);
      goto cleanup;
    }
    n_fields = k;
    m->has_use = k == 3;
  }
  while ((text = next_line(f, &line, &cap, &lineno, &nul))) {
    if (nul) {
      err = REGIO_ERROR(ctx, REGIO_ERR_INPUT, "%s:%d: byte %d of the line is a NUL byte (a binary file?)", path, lineno,
                        nul);
      goto cleanup;
    }
    free(shown);
    if (!(shown = strdup(text))) goto nomem;
    char *fields[3];
    int k = regio_csv_split_fields(text, fields, 3);
    if (k < 2 || k > n_fields || !*fields[0] || !*fields[1]) {
      err = REGIO_ERROR(ctx, REGIO_ERR_INPUT, "%s:%d: expected %s with non-empty sector and category: '%s'", path,
                        lineno, n_fields == 3 ? "'sector,category,use'" : "'sector,category'", shown);
      goto cleanup;
    }
    for (int i = 0; i < m->n; i++)
      if (!strcmp(m->prefix[i], fields[0])) {
        err = REGIO_ERROR(ctx, REGIO_ERR_INPUT, "%s:%d: sector '%s' is mapped twice (first on line %d)", path, lineno,
                          fields[0], m->line[i]);
        goto cleanup;
      }
    regio_use_t use = REGIO_USE_NONE;
    if (k == 3 && parse_use(fields[2], &use) != 0) {
      err = REGIO_ERROR(ctx, REGIO_ERR_INPUT, "%s:%d: use '%s': expected work, living, leisure, none or empty", path,
                        lineno, fields[2]);
      goto cleanup;
    }
    int before = m->n_categories;
    int c = intern_category(m, fields[1], &categories_cap);
    if (c < 0) goto nomem;
    if (c == before) {
      int *grown = realloc(use_line, (size_t)categories_cap * sizeof *grown);
      if (!grown) goto nomem;
      use_line = grown;
      m->use[c] = use;
      use_line[c] = lineno;
    } else if (m->use[c] != use) {
      err = REGIO_ERROR(ctx, REGIO_ERR_INPUT, "%s:%d: category '%s' has use '%s' here but another use on line %d", path,
                        lineno, fields[1], k == 3 ? fields[2] : "", use_line[c]);
      goto cleanup;
    }
    if (!strcmp(fields[1], OTHER_CATEGORY) && use != REGIO_USE_NONE) {
      err = REGIO_ERROR(ctx, REGIO_ERR_INPUT, "%s:%d: the category 'other' (unmapped sectors) cannot have a use", path,
                        lineno);
      goto cleanup;
    }
    if ((size_t)m->n == rows_cap) {
      rows_cap = rows_cap ? 2 * rows_cap : 64;
      char **p = realloc(m->prefix, rows_cap * sizeof *p);
      if (p) m->prefix = p;
      int *cat = realloc(m->category, rows_cap * sizeof *cat);
      if (cat) m->category = cat;
      int *l = realloc(m->line, rows_cap * sizeof *l);
      if (l) m->line = l;
      if (!p || !cat || !l) goto nomem;
    }
    if (!(m->prefix[m->n] = strdup(fields[0]))) goto nomem;
    m->category[m->n] = c;
    m->line[m->n] = lineno;
    m->n++;
  }
  if (m->n == 0) {
    err = REGIO_ERROR(ctx, REGIO_ERR_INPUT, "%s: the category map has no rows", path);
    goto cleanup;
  }
  /* "other" last: move it there when the file names it, add it otherwise */
  {
    int other = -1;
    for (int i = 0; i < m->n_categories; i++)
      if (!strcmp(m->names[i], OTHER_CATEGORY)) other = i;
    if (other < 0) {
      if (intern_category(m, OTHER_CATEGORY, &categories_cap) < 0) goto nomem;
    } else if (other != m->n_categories - 1) {
      char *name = m->names[other];
      for (int i = other; i + 1 < m->n_categories; i++) {
        m->names[i] = m->names[i + 1];
        m->use[i] = m->use[i + 1];
      }
      m->names[m->n_categories - 1] = name;
      m->use[m->n_categories - 1] = REGIO_USE_NONE;
      for (int r = 0; r < m->n; r++) {
        if (m->category[r] == other)
          m->category[r] = m->n_categories - 1;
        else if (m->category[r] > other)
          m->category[r]--;
      }
    }
  }
  *out = m;
  m = NULL;
  goto cleanup;
nomem:
  err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory reading the category map '%s'", path);
cleanup:
  fclose(f);
  free(line);
  free(shown);
  free(use_line);
  regio_category_map_destroy(&m);
  return err;
}

int regio_category_map_lookup(const regio_category_map_t *map, const char *code, size_t len) {
  int best = -1;
  size_t best_len = 0;
  for (int i = 0; i < map->n; i++) {
    size_t plen = strlen(map->prefix[i]);
    if (plen <= len && plen > best_len && memcmp(map->prefix[i], code, plen) == 0) {
      best = map->category[i];
      best_len = plen;
    }
  }
  return best >= 0 ? best : map->n_categories - 1;
}

void regio_categories_destroy(regio_categories_t **p) {
  if (!p || !*p) return;
  regio_categories_t *c = *p;
  if (c->names)
    for (int i = 0; i < c->n_categories; i++) free(c->names[i]);
  free(c->names);
  free(c->use);
  free(c->sector_category);
  free(c->employment);
  free(c->category_employment);
  free(c->share);
  free(c->lq);
  free(c->mixed_use);
  free(c);
  *p = NULL;
}

regio_err_t regio_categories_compute(regio_result_t *res, const regio_category_map_t *map, regio_ctx_t *ctx) {
  REGIO_CHECK(ctx, res && map && res->n_levels > 0, REGIO_ERR_USAGE, "no result or category map");
  regio_categories_destroy(&res->categories);
  const int level_index = res->n_levels - 1; /* the finest */
  const regio_level_t *level = &res->levels[level_index];
  const size_t D = res->agg->districts.count, S = level->sectors.count, C = (size_t)map->n_categories;
  /* what fails here fails on this rank alone: agreed before the national sums */
  regio_dist_t *dist = regio_ctx_dist(ctx);
  regio_err_t err = REGIO_OK;
  regio_categories_t *cat = calloc(1, sizeof *cat);
  if (!cat) return regio_dist_agree(dist, REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for the categories"), ctx);
  res->categories = cat;
  cat->n_categories = map->n_categories;
  cat->level = level_index;
  cat->names = calloc(C, sizeof *cat->names);
  cat->use = malloc(C * sizeof *cat->use);
  cat->sector_category = malloc((S ? S : 1) * sizeof(int64_t));
  cat->employment = calloc((D * C) > 0 ? D * C : 1, sizeof(int64_t));
  cat->category_employment = calloc(C, sizeof(int64_t));
  cat->share = malloc(((D * C) > 0 ? D * C : 1) * sizeof(double));
  cat->lq = malloc(((D * C) > 0 ? D * C : 1) * sizeof(double));
  if (map->has_use) cat->mixed_use = malloc((D ? D : 1) * sizeof(double));
  if (!cat->names || !cat->use || !cat->sector_category || !cat->employment || !cat->category_employment ||
      !cat->share || !cat->lq || (map->has_use && !cat->mixed_use))
    err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for the categories");
  for (size_t c = 0; !err && c < C; c++) {
    cat->use[c] = map->use[c];
    if (!(cat->names[c] = strdup(map->names[c]))) err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory");
  }
  REGIO_TRY(regio_dist_agree(dist, err, ctx));
  for (size_t s = 0; s < S; s++)
    cat->sector_category[s] =
        regio_category_map_lookup(map, regio_codes_at(&level->sectors, s), regio_codes_len(&level->sectors, s));
  for (size_t d = 0; d < D; d++) { /* exact sums; totals <= E */
    int64_t *out = cat->employment + d * C;
    for (size_t k = level->cell_start[d]; k < level->cell_start[d + 1]; k++)
      out[cat->sector_category[level->cell_sector[k]]] += level->cell_employment[k];
    for (size_t c = 0; c < C; c++) cat->category_employment[c] += out[c];
  }
  /* national totals over every rank's districts (distributed mode), exact */
  REGIO_TRY(regio_dist_allreduce_i64(dist, cat->category_employment, C, REGIO_DIST_SUM, NULL, ctx));
  const double ln3 = log(3.0);
  for (size_t d = 0; d < D; d++) {
    const int64_t *row = cat->employment + d * C;
    const int64_t total = res->district_employment[d];
    regio_lq_row(row, total, cat->category_employment, res->total_employment, C, cat->lq + d * C);
    for (size_t c = 0; c < C; c++) cat->share[d * C + c] = total > 0 ? (double)row[c] / (double)total : NAN;
    if (!cat->mixed_use) continue;
    int64_t by_use[4] = {0, 0, 0, 0};
    for (size_t c = 0; c < C; c++) by_use[cat->use[c]] += row[c];
    const int64_t counted = by_use[REGIO_USE_WORK] + by_use[REGIO_USE_LIVING] + by_use[REGIO_USE_LEISURE];
    if (counted <= 0) {
      cat->mixed_use[d] = NAN;
      continue;
    }
    double h = 0.0;
    for (int u = REGIO_USE_WORK; u <= REGIO_USE_LEISURE; u++) {
      if (by_use[u] <= 0) continue;
      const double p = (double)by_use[u] / (double)counted;
      h -= p * log(p);
    }
    cat->mixed_use[d] = h / ln3;
  }
  return REGIO_OK;
}

regio_err_t regio_district_areas_apply(regio_result_t *res, const char *path, regio_ctx_t *ctx, int64_t *n_unknown) {
  REGIO_CHECK(ctx, res && path, REGIO_ERR_USAGE, "no district area file given");
  const regio_codes_t *districts = &res->agg->districts;
  const size_t D = districts->count;
  *n_unknown = 0;
  /* every rank opens the file: one that a rank alone cannot open (a node's own disk) is agreed
   * below like the other errors, before the collective sum */
  FILE *f = fopen(path, "r");
  regio_err_t err =
      f ? REGIO_OK
        : REGIO_ERROR(ctx, REGIO_ERR_IO, "cannot open the district area file '%s': %s", path, strerror(errno));
  char *line = NULL;
  size_t cap = 0;
  int lineno = 0;
  int *seen_line = calloc(D ? D : 1, sizeof *seen_line);
  int64_t data_lines = 0, matched = 0;
  if (err) goto cleanup;
  free(res->district_area);
  free(res->establishment_density);
  res->district_area = malloc((D ? D : 1) * sizeof(double));
  res->establishment_density = malloc((D ? D : 1) * sizeof(double));
  if (!seen_line || !res->district_area || !res->establishment_density) {
    err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for the district areas");
    goto cleanup;
  }
  for (size_t d = 0; d < D; d++) res->district_area[d] = res->establishment_density[d] = NAN;
  int nul = 0;
  char *text = next_line(f, &line, &cap, &lineno, &nul);
  if (nul) {
    err = REGIO_ERROR(ctx, REGIO_ERR_INPUT, "%s:%d: byte %d of the line is a NUL byte (a binary file?)", path, lineno,
                      nul);
    goto cleanup;
  }
  {
    char *fields[2];
    int k = text ? regio_csv_split_fields(text, fields, 2) : 0;
    if (k != 2 || strcmp(fields[0], "district") || strcmp(fields[1], "area_km2")) {
      err = REGIO_ERROR(ctx, REGIO_ERR_INPUT, "%s:%d: the district area file needs a header line 'district,area_km2'",
                        path, lineno);
      goto cleanup;
    }
  }
  while ((text = next_line(f, &line, &cap, &lineno, &nul))) {
    if (nul) {
      err = REGIO_ERROR(ctx, REGIO_ERR_INPUT, "%s:%d: byte %d of the line is a NUL byte (a binary file?)", path, lineno,
                        nul);
      goto cleanup;
    }
    char shown[256];
    snprintf(shown, sizeof shown, "%s", text); /* the fields are cut in place */
    char *fields[2];
    int k = regio_csv_split_fields(text, fields, 2);
    char *end = NULL;
    double area = k == 2 ? strtod(fields[1], &end) : NAN;
    if (k != 2 || !*fields[0] || end == fields[1] || *end || !(area > 0) || !isfinite(area)) {
      err = REGIO_ERROR(ctx, REGIO_ERR_INPUT, "%s:%d: expected 'district,area_km2' with an area > 0 in km2: '%s'", path,
                        lineno, shown);
      goto cleanup;
    }
    data_lines++;
    size_t d = regio_codes_find(districts, fields[0], strlen(fields[0]));
    if (d == (size_t)-1) continue; /* not in the data (or, distributed, on another rank) */
    matched++;
    if (seen_line[d]) {
      err = REGIO_ERROR(ctx, REGIO_ERR_INPUT, "%s:%d: district '%s' is listed twice (first on line %d)", path, lineno,
                        fields[0], seen_line[d]);
      goto cleanup;
    }
    seen_line[d] = lineno;
    res->district_area[d] = area;
    res->establishment_density[d] = (double)res->agg->district_establishments[d] / area;
  }
cleanup:
  if (f) fclose(f);
  free(line);
  free(seen_line);
  /* distributed mode: each rank matched the lines of its own districts */
  regio_dist_t *dist = regio_ctx_dist(ctx);
  REGIO_TRY(regio_dist_agree(dist, err, ctx));
  REGIO_TRY(regio_dist_allreduce_i64(dist, &matched, 1, REGIO_DIST_SUM, NULL, ctx));
  *n_unknown = data_lines - matched;
  return REGIO_OK;
}
