/* The cluster versus innovation-district screen: rules in docs/SCREENING.md. All reductions over
 * districts are serial in district order, so the classes do not depend on the thread count. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regio/dist.h"
#include "regio/screen.h"
#include "screen/screen_impl.h"

static const char *const class_names[REGIO_CLASS_COUNT] = {"thin",
                                                           "specialised_cluster",
                                                           "innovation_district",
                                                           "central_lifestyle_district",
                                                           "central_business_district",
                                                           "diversified"};

const char *regio_screen_class_name(int cls) {
  return cls >= 0 && cls < REGIO_CLASS_COUNT ? class_names[cls] : "unknown";
}

void regio_screen_opts_default(regio_screen_opts_t *o) {
  memset(o, 0, sizeof *o);
  o->thin_employment = 50;
  o->cluster_krugman_z = 1.0;
  o->cluster_related_z = 0.0;
  o->cluster_needs_manufacturing = 1;
  o->innovation_related_z = 0.5;
  o->innovation_knowledge_lq = 1.0;
  o->innovation_mixed_use_quantile = 0.5;
  o->innovation_micro_quantile = 0.5;
  o->office_lq = 1.5;
  o->amenity_lq = 1.0;
  o->value_chain_quantile = 0.9;
  o->cluster_value_chain = 0.5;
  snprintf(o->knowledge_categories, sizeof o->knowledge_categories, "kibs");
  snprintf(o->office_categories, sizeof o->office_categories, "kibs,public_administration");
  snprintf(o->amenity_categories, sizeof o->amenity_categories, "lifestyle_amenities");
  snprintf(o->manufacturing_categories, sizeof o->manufacturing_categories,
           "high_tech_manufacturing,other_manufacturing");
}

static int parse_number(const char *value, double *out) {
  char *end;
  errno = 0;
  double v = strtod(value, &end);
  if (errno || end == value || *end || !isfinite(v)) return -1;
  *out = v;
  return 0;
}

const char *regio_screen_opts_set(regio_screen_opts_t *o, const char *key, const char *value) {
  struct {
    const char *key;
    double *slot;
    double lo, hi;
  } numbers[] = {{"thin-employment", &o->thin_employment, 0, 1e15},
                 {"cluster-krugman-z", &o->cluster_krugman_z, -1e6, 1e6},
                 {"cluster-related-variety-z", &o->cluster_related_z, -1e6, 1e6},
                 {"innovation-related-variety-z", &o->innovation_related_z, -1e6, 1e6},
                 {"innovation-knowledge-lq", &o->innovation_knowledge_lq, 0, 1e12},
                 {"innovation-mixed-use-quantile", &o->innovation_mixed_use_quantile, 0, 1},
                 {"innovation-micro-share-quantile", &o->innovation_micro_quantile, 0, 1},
                 {"office-lq", &o->office_lq, 0, 1e12},
                 {"amenity-lq", &o->amenity_lq, 0, 1e12},
                 {"value-chain-quantile", &o->value_chain_quantile, 0, 1},
                 {"cluster-value-chain", &o->cluster_value_chain, 0, 1}};
  for (size_t k = 0; k < sizeof numbers / sizeof numbers[0]; k++) {
    if (strcmp(key, numbers[k].key)) continue;
    double v;
    if (parse_number(value, &v) != 0 || v < numbers[k].lo || v > numbers[k].hi) return "expected a number in range";
    *numbers[k].slot = v;
    return NULL;
  }
  if (!strcmp(key, "cluster-needs-manufacturing")) {
    if (!strcmp(value, "true") || !strcmp(value, "1"))
      o->cluster_needs_manufacturing = 1;
    else if (!strcmp(value, "false") || !strcmp(value, "0"))
      o->cluster_needs_manufacturing = 0;
    else
      return "expected true or false";
    return NULL;
  }
  struct {
    const char *key;
    char *slot;
  } lists[] = {{"knowledge-categories", o->knowledge_categories},
               {"office-categories", o->office_categories},
               {"amenity-categories", o->amenity_categories},
               {"manufacturing-categories", o->manufacturing_categories}};
  for (size_t k = 0; k < sizeof lists / sizeof lists[0]; k++) {
    if (strcmp(key, lists[k].key)) continue;
    if (!*value || strlen(value) >= REGIO_SCREEN_LIST_MAX) return "expected a list of category names";
    snprintf(lists[k].slot, REGIO_SCREEN_LIST_MAX, "%s", value);
    return NULL;
  }
  return "unknown key in [screen]";
}

void regio_screen_opts_write(const regio_screen_opts_t *o, void *file) {
  FILE *f = file;
  fprintf(f, "thin-employment = %.17g\n", o->thin_employment);
  fprintf(f, "cluster-krugman-z = %.17g\n", o->cluster_krugman_z);
  fprintf(f, "cluster-related-variety-z = %.17g\n", o->cluster_related_z);
  fprintf(f, "cluster-needs-manufacturing = %s\n", o->cluster_needs_manufacturing ? "true" : "false");
  fprintf(f, "innovation-related-variety-z = %.17g\n", o->innovation_related_z);
  fprintf(f, "innovation-knowledge-lq = %.17g\n", o->innovation_knowledge_lq);
  fprintf(f, "innovation-mixed-use-quantile = %.17g\n", o->innovation_mixed_use_quantile);
  fprintf(f, "innovation-micro-share-quantile = %.17g\n", o->innovation_micro_quantile);
  fprintf(f, "office-lq = %.17g\n", o->office_lq);
  fprintf(f, "amenity-lq = %.17g\n", o->amenity_lq);
  fprintf(f, "value-chain-quantile = %.17g\n", o->value_chain_quantile);
  fprintf(f, "cluster-value-chain = %.17g\n", o->cluster_value_chain);
  fprintf(f, "knowledge-categories = %s\n", o->knowledge_categories);
  fprintf(f, "office-categories = %s\n", o->office_categories);
  fprintf(f, "amenity-categories = %s\n", o->amenity_categories);
  fprintf(f, "manufacturing-categories = %s\n", o->manufacturing_categories);
}

void regio_screen_destroy(regio_screen_t **p) {
  if (!p || !*p) return;
  regio_screen_t *s = *p;
  free(s->district_class);
  free(s->krugman_z);
  free(s->related_z);
  free(s->knowledge_lq);
  free(s->office_lq);
  free(s->amenity_lq);
  free(s->mixed_use);
  free(s->micro_share);
  free(s->max_lq_in_manufacturing);
  free(s->value_chain);
  free(s);
  *p = NULL;
}

/* Marks in `member` the categories named in the comma-separated list; an unknown name is an
 * error. */
static regio_err_t category_set(const regio_categories_t *cat, const char *list, const char *key, char *member,
                                regio_ctx_t *ctx) {
  memset(member, 0, (size_t)cat->n_categories);
  const char *p = list;
  while (*p) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    while (len > 0 && *p == ' ') p++, len--;
    while (len > 0 && p[len - 1] == ' ') len--;
    int found = 0;
    for (int c = 0; c < cat->n_categories; c++)
      if (strlen(cat->names[c]) == len && memcmp(cat->names[c], p, len) == 0) member[c] = found = 1;
    REGIO_CHECK(ctx, found || len == 0, REGIO_ERR_USAGE,
                "[screen] %s: category '%.*s' is not in the category map (its categories: %s%s...)", key, (int)len, p,
                cat->names[0], cat->n_categories > 1 ? ", " : "");
    p = end ? end + 1 : p + len;
  }
  return REGIO_OK;
}

/* LQ of a set of categories: (sum E_dc / E_d) / (sum E_c / E). */
static void set_lq(const regio_result_t *res, const char *member, double *out) {
  const regio_categories_t *cat = res->categories;
  const size_t D = res->agg->districts.count, C = (size_t)cat->n_categories;
  int64_t national = 0;
  for (size_t c = 0; c < C; c++)
    if (member[c]) national += cat->category_employment[c];
  for (size_t d = 0; d < D; d++) {
    int64_t local = 0;
    for (size_t c = 0; c < C; c++)
      if (member[c]) local += cat->employment[d * C + c];
    regio_lq_row(&local, res->district_employment[d], &national, res->total_employment, 1, &out[d]);
  }
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* numpy.quantile(values, q) (linear interpolation) of the finite values at districts not thin. */
static double quantile(const double *values, const int8_t *cls, size_t D, double q, double *scratch) {
  size_t n = 0;
  for (size_t d = 0; d < D; d++)
    if (cls[d] != REGIO_CLASS_THIN && isfinite(values[d])) scratch[n++] = values[d];
  if (n == 0) return NAN;
  qsort(scratch, n, sizeof *scratch, cmp_double);
  const double pos = q * (double)(n - 1);
  const size_t lo = (size_t)floor(pos);
  const size_t hi = lo + 1 < n ? lo + 1 : lo;
  return scratch[lo] + (pos - (double)lo) * (scratch[hi] - scratch[lo]);
}

/* z-scores over the districts not thin, serially in district order. */
static void z_scores(const double *values, const int8_t *cls, size_t D, double *out, double *mean_out, double *sd_out) {
  double sum = 0.0;
  size_t n = 0;
  for (size_t d = 0; d < D; d++)
    if (cls[d] != REGIO_CLASS_THIN && isfinite(values[d])) sum += values[d], n++;
  const double mean = n ? sum / (double)n : NAN;
  double ss = 0.0;
  for (size_t d = 0; d < D; d++)
    if (cls[d] != REGIO_CLASS_THIN && isfinite(values[d])) ss += (values[d] - mean) * (values[d] - mean);
  const double sd = n ? sqrt(ss / (double)n) : NAN;
  for (size_t d = 0; d < D; d++) out[d] = sd > 0 ? (values[d] - mean) / sd : NAN;
  *mean_out = mean;
  *sd_out = sd;
}

/* screen_impl.h */
double regio_select_kth(double *v, size_t n, size_t k) {
  size_t lo = 0, hi = n - 1;
  while (hi > lo) {
    const size_t mid = lo + (hi - lo) / 2;
    double a = v[lo], b = v[mid], c = v[hi];
    const double pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
    size_t i = lo, j = hi;
    while (i <= j) { /* Hoare: stops on values equal to the pivot, so duplicates split evenly */
      while (v[i] < pivot) i++;
      while (v[j] > pivot) j--;
      if (i <= j) {
        const double x = v[i];
        v[i] = v[j];
        v[j] = x;
        i++;
        if (j == 0) break; /* j would go below 0: v[0] is then the pivot itself, and k <= 0 ends */
        j--;
      }
    }
    /* now v[lo..j] <= pivot <= v[i..hi], and any value between j and i equals the pivot */
    if (k <= j)
      hi = j;
    else if (k >= i)
      lo = i;
    else
      break;
  }
  return v[k];
}

/* The value-chain coherence of every district (see screen.h). */
static regio_err_t value_chain(regio_result_t *res, regio_screen_t *s, const regio_io_table_t *table,
                               const regio_io_national_t *national, const regio_io_sector_map_t *map,
                               regio_ctx_t *ctx) {
  const regio_level_t *fine = &res->levels[res->n_levels - 1];
  const size_t D = res->agg->districts.count, S = fine->sectors.count;
  const int n = table->n;
  regio_err_t err = REGIO_OK;
  int *io_of_entry = malloc((size_t)(map->n ? map->n : 1) * sizeof *io_of_entry);
  int *io_of_sector = malloc((S ? S : 1) * sizeof *io_of_sector);
  double *off = malloc((size_t)(n > 1 ? n * (n - 1) : 1) * sizeof *off);
  s->value_chain = malloc((D ? D : 1) * sizeof(double));
  if (!io_of_entry || !io_of_sector || !off || !s->value_chain) {
    err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for the value-chain scores");
    goto done;
  }
  /* each sector: the IO sector of its longest listed prefix; -1 (left out) for "-", an IO sector
   * the table lacks, or no entry */
  if ((err = regio_io_sector_map_match(map, table, &fine->sectors, io_of_entry, io_of_sector, ctx))) goto done;
  for (size_t k = 0; k < S; k++) {
    const int e = io_of_sector[k];
    io_of_sector[k] = e >= 0 && io_of_entry[e] >= 0 ? io_of_entry[e] : -1;
  }
  /* the threshold: a quantile (linear interpolation) of the off-diagonal coefficients */
  size_t m = 0;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++)
      if (i != j) off[m++] = national->A[(size_t)i * (size_t)n + (size_t)j];
  if (m > 0) { /* the order statistics lo and lo + 1, as a sort would place them */
    const double pos = s->opts.value_chain_quantile * (double)(m - 1);
    const size_t lo = (size_t)floor(pos);
    const double v_lo = regio_select_kth(off, m, lo);
    double v_hi = v_lo;
    if (lo + 1 < m) { /* regio_select_kth left the larger values after position lo */
      v_hi = off[lo + 1];
      for (size_t j = lo + 2; j < m; j++) v_hi = off[j] < v_hi ? off[j] : v_hi;
    }
    s->value_chain_threshold = v_lo + (pos - (double)lo) * (v_hi - v_lo);
  } else {
    s->value_chain_threshold = NAN;
  }
  const double t = s->value_chain_threshold;
  /* the districts on all threads, each with its own row buffers; a district's score is its own
   * counts, so it does not depend on the threads */
  int nomem = 0;
#pragma omp parallel num_threads(regio_ctx_threads(ctx))
  {
    int *spec = malloc((S ? S : 1) * sizeof *spec);
    double *row = malloc((S ? S : 1) * sizeof *row);
    if (!spec || !row) {
#pragma omp atomic write
      nomem = 1;
    }
#pragma omp for schedule(dynamic, 16)
    for (size_t d = 0; d < D; d++) {
      if (!spec || !row) continue;
      size_t count = 0;
      regio_level_lq_rows(res, fine, d, 1, 0, S, 0, row);
      /* the sectors in order, each with its cell's employment (0 between the cells) */
      size_t cell = fine->cell_start[d];
      for (size_t k = 0; k < S; k++) {
        while (cell < fine->cell_start[d + 1] && fine->cell_sector[cell] < k) cell++;
        const int64_t e =
            cell < fine->cell_start[d + 1] && fine->cell_sector[cell] == k ? fine->cell_employment[cell] : 0;
        if (io_of_sector[k] >= 0 && row[k] >= res->specialised_lq && e >= res->specialised_min_milli)
          spec[count++] = io_of_sector[k];
      }
      if (count < 2) {
        s->value_chain[d] = NAN;
        continue;
      }
      size_t pairs = 0, linked = 0;
      for (size_t a = 0; a < count; a++)
        for (size_t b = a + 1; b < count; b++) {
          const size_t k = (size_t)spec[a], l = (size_t)spec[b];
          const double akl = national->A[k * (size_t)n + l], alk = national->A[l * (size_t)n + k];
          pairs++;
          linked += (akl > alk ? akl : alk) >= t;
        }
      s->value_chain[d] = (double)linked / (double)pairs;
    }
    free(spec);
    free(row);
  }
  if (nomem) err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for the value-chain scores");
done:
  free(io_of_entry);
  free(io_of_sector);
  free(off);
  return err;
}

regio_err_t regio_screen_compute(regio_result_t *res, const regio_screen_opts_t *opts, regio_ctx_t *ctx) {
  return regio_screen_compute_io(res, opts, NULL, NULL, NULL, ctx);
}

regio_err_t regio_screen_compute_io(regio_result_t *res, const regio_screen_opts_t *opts, const regio_io_table_t *table,
                                    const regio_io_national_t *national, const regio_io_sector_map_t *map,
                                    regio_ctx_t *ctx) {
  REGIO_CHECK(ctx, res && opts, REGIO_ERR_USAGE, "no result or screen options");
  REGIO_CHECK(ctx, res->categories, REGIO_ERR_USAGE, "the screen needs functional categories (--categories)");
  REGIO_CHECK(ctx, res->categories->mixed_use, REGIO_ERR_USAGE,
              "the screen needs a category map with a use column (sector,category,use) for the mixed-use index");
  REGIO_CHECK(ctx, res->variety.related, REGIO_ERR_USAGE,
              "the screen needs related variety: give two sector levels (--sector-levels)");
  regio_screen_destroy(&res->screen);
  const regio_categories_t *cat = res->categories;
  const size_t D = res->agg->districts.count, C = (size_t)cat->n_categories;
  const regio_level_t *fine = &res->levels[res->n_levels - 1];
  /* What fails before the gathers below (memory, the value chains) fails on this rank alone: it is
   * agreed before them. */
  regio_dist_t *dist = regio_ctx_dist(ctx);
  regio_screen_t *s = calloc(1, sizeof *s);
  if (!s) return regio_dist_agree(dist, REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for the screen"), ctx);
  res->screen = s;
  s->opts = *opts;
  s->value_chain_threshold = NAN;
  const size_t nD = D ? D : 1;
  s->district_class = malloc(nD);
  s->krugman_z = malloc(nD * sizeof(double));
  s->related_z = malloc(nD * sizeof(double));
  s->knowledge_lq = malloc(nD * sizeof(double));
  s->office_lq = malloc(nD * sizeof(double));
  s->amenity_lq = malloc(nD * sizeof(double));
  s->mixed_use = malloc(nD * sizeof(double));
  s->micro_share = malloc(nD * sizeof(double));
  s->max_lq_in_manufacturing = malloc(nD);
  double *scratch = malloc(nD * sizeof(double));
  char *member = malloc(C);
  const size_t Dg = res->n_districts_global, d0 = res->district_offset;
  double *z = malloc((Dg ? Dg : 1) * sizeof *z), *all_scratch = malloc((Dg ? Dg : 1) * sizeof *all_scratch);
  regio_err_t err = REGIO_OK;
  if (!s->district_class || !s->krugman_z || !s->related_z || !s->knowledge_lq || !s->office_lq || !s->amenity_lq ||
      !s->mixed_use || !s->micro_share || !s->max_lq_in_manufacturing || !scratch || !member || !z || !all_scratch) {
    err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory for the screen");
    goto agree;
  }
  if ((err = category_set(cat, opts->knowledge_categories, "knowledge-categories", member, ctx))) goto agree;
  set_lq(res, member, s->knowledge_lq);
  if ((err = category_set(cat, opts->office_categories, "office-categories", member, ctx))) goto agree;
  set_lq(res, member, s->office_lq);
  if ((err = category_set(cat, opts->amenity_categories, "amenity-categories", member, ctx))) goto agree;
  set_lq(res, member, s->amenity_lq);
  if ((err = category_set(cat, opts->manufacturing_categories, "manufacturing-categories", member, ctx))) goto agree;

  const int64_t thin_milli = (int64_t)llround(opts->thin_employment * REGIO_MILLI);
  for (size_t d = 0; d < D; d++) {
    s->district_class[d] = res->district_employment[d] < thin_milli || res->district_employment[d] == 0
                               ? REGIO_CLASS_THIN
                               : REGIO_CLASS_DIVERSIFIED;
    const int64_t sector = fine->specialisation.max_lq_sector[d];
    s->max_lq_in_manufacturing[d] = sector >= 0 && member[cat->sector_category[sector]];
    s->mixed_use[d] = cat->mixed_use[d];
    s->micro_share[d] = res->micro_share ? res->micro_share[d] : NAN;
  }
  if (table && national && map) err = value_chain(res, s, table, national, map, ctx);
agree:
  if ((err = regio_dist_agree(dist, err, ctx))) goto done;
  /* z-scores and quantiles are over every district: in the distributed mode the four scores and
   * the thin flags of all ranks are gathered (D values each), and every rank computes the same
   * statistics in the same district order as one process */
  {
    double *all[4] = {NULL, NULL, NULL, NULL};
    const double *local[4] = {fine->specialisation.krugman, res->variety.related, s->mixed_use, s->micro_share};
    int8_t *all_class = NULL;
    for (int k = 0; !err && k < 4; k++)
      err = regio_dist_allgatherv(dist, local[k], D * sizeof(double), (void **)&all[k], NULL, NULL, ctx);
    if (!err) err = regio_dist_allgatherv(dist, s->district_class, D, (void **)&all_class, NULL, NULL, ctx);
    if (!err) {
      z_scores(all[0], all_class, Dg, z, &s->krugman_mean, &s->krugman_sd);
      memcpy(s->krugman_z, z + d0, D * sizeof *z);
      z_scores(all[1], all_class, Dg, z, &s->related_mean, &s->related_sd);
      memcpy(s->related_z, z + d0, D * sizeof *z);
      s->mixed_use_threshold = quantile(all[2], all_class, Dg, opts->innovation_mixed_use_quantile, all_scratch);
      s->micro_threshold =
          res->micro_share ? quantile(all[3], all_class, Dg, opts->innovation_micro_quantile, all_scratch) : NAN;
    }
    for (int k = 0; k < 4; k++) free(all[k]);
    free(all_class);
    if (err) goto done;
  }

  for (size_t d = 0; d < D; d++) {
    if (s->district_class[d] == REGIO_CLASS_THIN) continue;
    const int in_chain = s->value_chain && s->value_chain[d] >= opts->cluster_value_chain;
    int cls = REGIO_CLASS_DIVERSIFIED;
    const int micro_ok = !res->micro_share || s->micro_share[d] >= s->micro_threshold;
    if (s->krugman_z[d] >= opts->cluster_krugman_z && s->related_z[d] <= opts->cluster_related_z &&
        (!opts->cluster_needs_manufacturing || s->max_lq_in_manufacturing[d] || in_chain))
      cls = REGIO_CLASS_SPECIALISED_CLUSTER;
    else if (s->related_z[d] >= opts->innovation_related_z && s->knowledge_lq[d] >= opts->innovation_knowledge_lq &&
             s->mixed_use[d] >= s->mixed_use_threshold && micro_ok)
      cls = REGIO_CLASS_INNOVATION_DISTRICT;
    else if (s->office_lq[d] >= opts->office_lq && s->amenity_lq[d] >= opts->amenity_lq)
      cls = REGIO_CLASS_CENTRAL_LIFESTYLE_DISTRICT;
    else if (s->office_lq[d] >= opts->office_lq)
      cls = REGIO_CLASS_CENTRAL_BUSINESS_DISTRICT;
    s->district_class[d] = (int8_t)cls;
  }
  for (size_t d = 0; d < D; d++) s->counts[s->district_class[d]]++;
  err = regio_dist_allreduce_i64(dist, s->counts, REGIO_CLASS_COUNT, REGIO_DIST_SUM, NULL, ctx);
done:
  free(scratch);
  free(member);
  free(z);
  free(all_scratch);
  if (err) regio_screen_destroy(&res->screen);
  return err;
}
