/* The synthetic economy behind the generated tables: presets, regions, districts, sector groups
 * and sectors, and the laws rows are drawn from. Built once per run from the seed (stream 0). */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gen/gen_impl.h"

/* ---- Presets ---------------------------------------------------------------------------------- */

typedef struct preset_def {
  regio_gen_preset_info_t info;
  regio_gen_layout_t layout;
} preset_def_t;

#define EST_COLUMNS "establishment_id,name,region,district,sector,employees"
#define NARROW_COLUMNS "district,sector,employees,establishments"
#define WIDE_COLUMNS                                                                               \
  "establishment_id,name,region,region_name,district,district_name,sector,sector_label,employees," \
  "annual_payroll,legal_form"

static const preset_def_t PRESETS[] = {
    {{"demo", "small establishment table (60 districts, 120 sectors) for examples and tests", EST_COLUMNS, 20000, 6, 6,
      60, 12, 120},
     REGIO_GEN_LAYOUT_ESTABLISHMENTS},
    {{"kr", "national establishment table like Korea's census (3,500 districts, 1,200 KSIC-like sectors)", EST_COLUMNS,
      6000000, 6, 17, 3500, 77, 1200},
     REGIO_GEN_LAYOUT_ESTABLISHMENTS},
    {{"narrow", "benchmark table: district,sector,employees,establishments rows in random order", NARROW_COLUMNS,
      50000000, 4, 17, 3500, 77, 1200},
     REGIO_GEN_LAYOUT_NARROW},
    {{"wide", "CBP-like wide table, every field quoted, names and labels with commas", WIDE_COLUMNS, 20000000, 11, 17,
      3500, 77, 1200},
     REGIO_GEN_LAYOUT_WIDE},
    {{"us-tract", "tract-level establishment table (84,000 districts with 7-character codes, 1,000 sectors)",
      EST_COLUMNS, 10000000, 6, 17, 84000, 77, 1000},
     REGIO_GEN_LAYOUT_ESTABLISHMENTS},
};
#define N_PRESETS ((int)(sizeof PRESETS / sizeof PRESETS[0]))

int regio_gen_preset_count(void) {
  return N_PRESETS;
}

const regio_gen_preset_info_t *regio_gen_preset_at(int i) {
  return i >= 0 && i < N_PRESETS ? &PRESETS[i].info : NULL;
}

const regio_gen_preset_info_t *regio_gen_preset_find(const char *name) {
  if (!name) return NULL;
  for (int i = 0; i < N_PRESETS; i++)
    if (strcmp(PRESETS[i].info.name, name) == 0) return &PRESETS[i].info;
  return NULL;
}

/* ---- Regions: Korean statistical province codes, in the order presets take them ---------------- */

typedef struct region_def {
  const char *code;
  const char *name;
  int metropolitan; /* cities have "-gu" and "-dong" districts, provinces "-si", "-gun", "-eup" */
  int units;        /* about how many eup, myeon and dong it has: its share of the districts */
} region_def_t;

static const region_def_t REGIONS[] = {
    {"11", "Seoul", 1, 426},     {"21", "Busan", 1, 205},    {"31", "Gyeonggi", 0, 564}, {"33", "Chungbuk", 0, 153},
    {"36", "Jeonnam", 0, 297},   {"39", "Jeju", 0, 43},      {"22", "Daegu", 1, 150},    {"23", "Incheon", 1, 156},
    {"24", "Gwangju", 1, 97},    {"25", "Daejeon", 1, 82},   {"26", "Ulsan", 1, 56},     {"29", "Sejong", 1, 24},
    {"32", "Gangwon", 0, 193},   {"34", "Chungnam", 0, 209}, {"35", "Jeonbuk", 0, 243},  {"37", "Gyeongbuk", 0, 332},
    {"38", "Gyeongnam", 0, 305},
};
#define N_REGIONS ((int)(sizeof REGIONS / sizeof REGIONS[0]))

/* ---- Sector groups: KSIC-like divisions (labels shortened; codes below them are synthetic) ----- */

enum kind { KIND_PRIMARY, KIND_MANUFACTURING, KIND_UTILITY, KIND_TRADE, KIND_BUSINESS, KIND_PUBLIC, N_KINDS };

typedef struct group_def {
  int code;
  int kind;
  const char *label;
  const char *noun;  /* for establishment names */
  double prevalence; /* rough share of establishments, percent (Korean census orders of magnitude) */
} group_def_t;

static const group_def_t GROUPS[] = {
    {1, KIND_PRIMARY, "Agriculture", "Farm", 1.0},
    {2, KIND_PRIMARY, "Forestry", "Forestry", 0.1},
    {3, KIND_PRIMARY, "Fishing and aquaculture", "Fisheries", 0.2},
    {5, KIND_PRIMARY, "Mining of coal, crude petroleum and natural gas", "Energy", 0.01},
    {6, KIND_PRIMARY, "Mining of metal ores", "Mining", 0.01},
    {7, KIND_PRIMARY, "Mining of non-metallic minerals", "Quarry", 0.05},
    {8, KIND_PRIMARY, "Mining support services", "Drilling", 0.02},
    {10, KIND_MANUFACTURING, "Food products", "Foods", 1.2},
    {11, KIND_MANUFACTURING, "Beverages", "Brewery", 0.1},
    {12, KIND_MANUFACTURING, "Tobacco products", "Tobacco", 0.005},
    {13, KIND_MANUFACTURING, "Textiles, except apparel", "Textile", 0.6},
    {14, KIND_MANUFACTURING, "Wearing apparel, accessories and fur", "Fashion", 1.0},
    {15, KIND_MANUFACTURING, "Leather, luggage and footwear", "Leather", 0.2},
    {16, KIND_MANUFACTURING, "Wood and cork products, except furniture", "Timber", 0.2},
    {17, KIND_MANUFACTURING, "Pulp, paper and paper products", "Paper", 0.2},
    {18, KIND_MANUFACTURING, "Printing and recorded media", "Printing", 0.6},
    {19, KIND_MANUFACTURING, "Coke and refined petroleum products", "Refinery", 0.01},
    {20, KIND_MANUFACTURING, "Chemicals, except pharmaceuticals", "Chemical", 0.3},
    {21, KIND_MANUFACTURING, "Pharmaceuticals and medicinal chemicals", "Pharma", 0.05},
    {22, KIND_MANUFACTURING, "Rubber and plastic products", "Plastics", 0.6},
    {23, KIND_MANUFACTURING, "Other non-metallic mineral products", "Ceramics", 0.4},
    {24, KIND_MANUFACTURING, "Basic metals", "Steel", 0.2},
    {25, KIND_MANUFACTURING, "Fabricated metal products, except machinery", "Metal Works", 1.5},
    {26, KIND_MANUFACTURING, "Electronic components, computers and radio equipment", "Electronics", 0.3},
    {27, KIND_MANUFACTURING, "Medical, precision and optical instruments", "Precision", 0.3},
    {28, KIND_MANUFACTURING, "Electrical equipment", "Electric", 0.5},
    {29, KIND_MANUFACTURING, "Other machinery and equipment", "Machinery", 1.2},
    {30, KIND_MANUFACTURING, "Motor vehicles, trailers and semi-trailers", "Motors", 0.3},
    {31, KIND_MANUFACTURING, "Other transport equipment", "Shipbuilding", 0.2},
    {32, KIND_MANUFACTURING, "Furniture", "Furniture", 0.3},
    {33, KIND_MANUFACTURING, "Other manufacturing", "Industries", 0.5},
    {34, KIND_MANUFACTURING, "Repair of industrial machinery", "Repair", 0.3},
    {35, KIND_UTILITY, "Electricity, gas, steam and air conditioning", "Power", 0.1},
    {36, KIND_UTILITY, "Water supply", "Water", 0.02},
    {37, KIND_UTILITY, "Sewage and wastewater treatment", "Environment", 0.02},
    {38, KIND_UTILITY, "Waste collection, treatment and recovery", "Recycling", 0.2},
    {39, KIND_UTILITY, "Remediation activities", "Eco Services", 0.01},
    {41, KIND_UTILITY, "General construction", "Construction", 1.0},
    {42, KIND_UTILITY, "Specialized construction", "Engineering", 3.0},
    {45, KIND_TRADE, "Motor vehicles and parts, sale", "Auto Sales", 1.5},
    {46, KIND_TRADE, "Wholesale trade, except motor vehicles", "Trading", 7.0},
    {47, KIND_TRADE, "Retail trade, except motor vehicles", "Mart", 17.0},
    {49, KIND_TRADE, "Land transport", "Transport", 9.0},
    {50, KIND_TRADE, "Water transport", "Shipping", 0.05},
    {51, KIND_TRADE, "Air transport", "Airlines", 0.01},
    {52, KIND_TRADE, "Warehousing and transport support", "Logistics", 0.5},
    {55, KIND_TRADE, "Accommodation", "Hotel", 1.5},
    {56, KIND_TRADE, "Food and beverage services", "Restaurant", 18.0},
    {58, KIND_BUSINESS, "Publishing", "Publishing", 0.3},
    {59, KIND_BUSINESS, "Motion pictures, video and sound recording", "Studio", 0.3},
    {60, KIND_BUSINESS, "Broadcasting", "Broadcasting", 0.02},
    {61, KIND_BUSINESS, "Postal and telecommunications", "Telecom", 0.2},
    {62, KIND_BUSINESS, "Computer programming, consultancy and related", "Software", 0.6},
    {63, KIND_BUSINESS, "Information services", "Data", 0.2},
    {64, KIND_BUSINESS, "Financial services, except insurance", "Finance", 0.5},
    {65, KIND_BUSINESS, "Insurance and pension funding", "Insurance", 0.4},
    {66, KIND_BUSINESS, "Auxiliary financial services", "Capital", 0.6},
    {68, KIND_BUSINESS, "Real estate", "Realty", 4.0},
    {70, KIND_BUSINESS, "Research and development", "Research", 0.2},
    {71, KIND_BUSINESS, "Professional services", "Partners", 1.0},
    {72, KIND_BUSINESS, "Architecture, engineering and technical services", "Architects", 0.8},
    {73, KIND_BUSINESS, "Other professional, scientific and technical", "Design", 0.6},
    {74, KIND_BUSINESS, "Building and landscape services", "Facility", 0.7},
    {75, KIND_BUSINESS, "Business support services", "Services", 1.0},
    {76, KIND_BUSINESS, "Rental and leasing, except real estate", "Rental", 0.3},
    {84, KIND_PUBLIC, "Public administration and defence", "Office", 0.3},
    {85, KIND_PUBLIC, "Education", "Academy", 4.0},
    {86, KIND_PUBLIC, "Human health", "Clinic", 2.5},
    {87, KIND_PUBLIC, "Social work", "Care Center", 1.2},
    {90, KIND_PUBLIC, "Creative, arts and recreation", "Arts", 0.6},
    {91, KIND_PUBLIC, "Sports and amusement", "Sports", 1.6},
    {94, KIND_PUBLIC, "Membership organizations", "Association", 2.5},
    {95, KIND_TRADE, "Repair of personal and household goods", "Repair Shop", 2.0},
    {96, KIND_TRADE, "Other personal services", "Salon", 5.0},
    {97, KIND_PUBLIC, "Households as employers", "Household", 0.01},
    {98, KIND_PUBLIC, "Households producing for own use", "Homestead", 0.005},
    {99, KIND_PUBLIC, "Extraterritorial organizations", "Mission", 0.005},
};
#define N_GROUPS ((int)(sizeof GROUPS / sizeof GROUPS[0]))

/* The 12 groups of the demo preset: a cross-section of the economy. */
static const int DEMO_GROUP_CODES[] = {1, 10, 20, 26, 30, 41, 46, 47, 49, 56, 62, 86};

/* Qualifiers of 5-digit sectors inside a group (sector label = group label + ": " + qualifier). */
static const char *const QUALIFIERS[] = {
    "general",
    "specialised",
    "parts and components",
    "wholesale",
    "retail",
    "processing",
    "repair, maintenance",
    "household",
    "industrial",
    "small-scale",
    "export-oriented",
    "contract work",
    "precision",
    "bulk",
    "custom-made",
    "organic",
    "recycled, reused",
    "franchise",
    "online",
    "mobile",
    "design",
    "rental",
    "premium",
    "local",
    "frozen, chilled",
    "automated",
    "seasonal",
    "import",
    "luxury",
    "basic",
};
#define N_QUALIFIERS ((int)(sizeof QUALIFIERS / sizeof QUALIFIERS[0]))

/* Per kind: urbanisation class, size class, cluster probability, wage (thousands). */
static const int KIND_URBAN[N_KINDS] = {0, 1, 1, 1, 2, 1};
static const int KIND_SIZE[N_KINDS] = {2, 0, 1, 3, 1, 1};
static const double KIND_CLUSTER[N_KINDS] = {0.3, 0.6, 0.12, 0.12, 0.12, 0.12};
static const double KIND_WAGE[N_KINDS] = {24000, 42000, 40000, 28000, 52000, 36000};

static const double URBAN_EXPONENT[REGIO_GEN_URBAN_CLASSES] = {0.6, 1.0, 1.35};
static const double SIZE_EXPONENT[REGIO_GEN_SIZE_CLASSES] = {1.0, 1.15, 1.3, 1.45};
#define SIZE_CAP 20000           /* largest establishment */
#define DISTRICT_ZIPF 0.9        /* district size ~ (rank + n/50)^-0.9 */
#define SECTOR_ZIPF 1.0          /* sector weight inside its group ~ rank^-1 */
#define MAX_SECTORS_PER_GROUP 81 /* 3-digit suffixes a b c with a, b, c in 1..9 used as below */

/* ---- District names: romanised Korean syllables ------------------------------------------------ */

static const char *const SYLLABLE1[] = {
    "Jong", "Jung", "Gang", "Yong",   "Seong",  "Gwang", "Ma",  "Song",  "Dong", "Seo", "Nam",  "Buk", "Su",   "An",
    "Bu",   "Il",   "Hwa",  "Pyeong", "Cheong", "Mok",   "Gim", "Chang", "Won",  "Dal", "Geum", "Sam", "Yeon", "Eun",
    "Dae",  "Hae",  "Ui",   "O",      "Jin",    "Hyo",   "Gyo", "Mun",   "Sin",  "Bo",  "Han",  "Ha",
};
static const char *const SYLLABLE2[] = {
    "no",   "san",   "nam",  "buk",  "dong",  "seo",   "po",  "pa",  "ro",     "won",
    "yang", "cheon", "ju",   "hae",  "seong", "jeong", "gok", "rim", "pyeong", "do",
    "gye",  "am",    "chon", "gang", "sa",    "ho",    "mun", "jin", "wol",    "ryeong",
};
#define N_SYL1 ((uint32_t)(sizeof SYLLABLE1 / sizeof SYLLABLE1[0]))
#define N_SYL2 ((uint32_t)(sizeof SYLLABLE2 / sizeof SYLLABLE2[0]))

/* ---- Alias tables ------------------------------------------------------------------------------ */

int regio_gen_alias_init(regio_gen_alias_t *table, const double *weights, uint32_t n) {
  memset(table, 0, sizeof *table);
  double *scaled = malloc((size_t)n * sizeof *scaled);
  uint32_t *small = malloc((size_t)n * sizeof *small);
  uint32_t *large = malloc((size_t)n * sizeof *large);
  table->threshold = malloc((size_t)n * sizeof *table->threshold);
  table->alias = malloc((size_t)n * sizeof *table->alias);
  if (!scaled || !small || !large || !table->threshold || !table->alias) {
    free(scaled);
    free(small);
    free(large);
    regio_gen_alias_free(table);
    return -1;
  }
  table->n = n;
  double total = 0;
  for (uint32_t i = 0; i < n; i++) total += weights[i];
  assert(total > 0);
  uint32_t n_small = 0, n_large = 0;
  for (uint32_t i = 0; i < n; i++) {
    scaled[i] = weights[i] * n / total;
    if (scaled[i] < 1.0)
      small[n_small++] = i;
    else
      large[n_large++] = i;
  }
  while (n_small > 0 && n_large > 0) {
    uint32_t s = small[--n_small], l = large[n_large - 1];
    table->threshold[s] = (uint64_t)(scaled[s] * 4294967296.0);
    table->alias[s] = l;
    scaled[l] -= 1.0 - scaled[s];
    if (scaled[l] < 1.0) {
      n_large--;
      small[n_small++] = l;
    }
  }
  /* Left-overs have probability 1 up to rounding. */
  while (n_large > 0) {
    uint32_t l = large[--n_large];
    table->threshold[l] = (uint64_t)1 << 32;
    table->alias[l] = l;
  }
  while (n_small > 0) {
    uint32_t s = small[--n_small];
    table->threshold[s] = (uint64_t)1 << 32;
    table->alias[s] = s;
  }
  free(scaled);
  free(small);
  free(large);
  return 0;
}

void regio_gen_alias_free(regio_gen_alias_t *table) {
  free(table->threshold);
  free(table->alias);
  memset(table, 0, sizeof *table);
}

/* ---- Building the economy ---------------------------------------------------------------------- */

static const preset_def_t *preset_def_of(const regio_gen_preset_info_t *info) {
  for (int i = 0; i < N_PRESETS; i++)
    if (&PRESETS[i].info == info) return &PRESETS[i];
  return NULL;
}

/* Fisher-Yates permutation of 0..n-1. */
static void shuffle_ranks(uint32_t *ranks, uint32_t n, regio_gen_rng_t *rng) {
  for (uint32_t i = 0; i < n; i++) ranks[i] = i;
  for (uint32_t i = n; i > 1; i--) {
    uint32_t j = regio_gen_below(rng, i);
    uint32_t t = ranks[i - 1];
    ranks[i - 1] = ranks[j];
    ranks[j] = t;
  }
}

/* Appends text as a quoted CSV field (quotes doubled). */
static size_t put_quoted(char *out, const char *text) {
  size_t n = 0;
  out[n++] = '"';
  for (const char *p = text; *p; p++) {
    if (*p == '"') out[n++] = '"';
    out[n++] = *p;
  }
  out[n++] = '"';
  return n;
}

static char *dup_text(const char *text, size_t len) {
  char *copy = malloc(len + 1);
  if (copy) {
    memcpy(copy, text, len);
    copy[len] = '\0';
  }
  return copy;
}

/* Index drawn in proportion to weights (linear search: set-up only). */
static uint32_t draw_weighted(const double *weights, uint32_t n, double total, regio_gen_rng_t *rng) {
  double target = regio_gen_unit(rng) * total;
  for (uint32_t i = 0; i < n; i++) {
    target -= weights[i];
    if (target < 0) return i;
  }
  return n - 1;
}

static regio_err_t build_districts(regio_gen_model_t *m, regio_gen_rng_t *rng, regio_ctx_t *ctx) {
  const regio_gen_preset_info_t *p = m->preset;
  const int n_regions = p->n_regions, n = p->n_districts;
  assert(n_regions <= N_REGIONS && n >= n_regions && n <= n_regions * 99999);
  m->n_districts = n;
  /* region code and a 3-digit number, or a 5-digit one when a region may need more than 999 */
  const int max_per_region = n <= n_regions * 600 ? 999 : 99999;
  m->district_code_len = max_per_region == 999 ? 5 : 7;
  m->districts = calloc((size_t)n, sizeof *m->districts);
  m->region_names = calloc((size_t)n_regions, sizeof *m->region_names);
  int *per_region = calloc((size_t)n_regions, sizeof *per_region);
  int *region_order = calloc((size_t)n_regions, sizeof *region_order);
  uint32_t *ranks = malloc((size_t)n * sizeof *ranks);
  if (!m->districts || !m->region_names || !per_region || !region_order || !ranks) {
    free(per_region);
    free(region_order);
    free(ranks);
    return REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory building %d districts", n);
  }
  /* Regions in code order. */
  for (int r = 0; r < n_regions; r++) region_order[r] = r;
  for (int a = 1; a < n_regions; a++)
    for (int b = a; b > 0 && strcmp(REGIONS[region_order[b]].code, REGIONS[region_order[b - 1]].code) < 0; b--) {
      int t = region_order[b];
      region_order[b] = region_order[b - 1];
      region_order[b - 1] = t;
    }
  for (int r = 0; r < n_regions; r++) m->region_names[r] = REGIONS[region_order[r]].name;

  /* Districts per region: one each, the rest in proportion to the region's administrative units
   * (their square root for small presets, so that every region has a few districts). */
  double weights[N_REGIONS], total = 0;
  for (int r = 0; r < n_regions; r++)
    total += weights[r] =
        pow(REGIONS[region_order[r]].units, n >= 1000 ? 1.0 : 0.5) * (0.8 + 0.4 * regio_gen_unit(rng));
  for (int r = 0; r < n_regions; r++) per_region[r] = 1;
  for (int left = n - n_regions; left > 0; left--) {
    uint32_t r = draw_weighted(weights, (uint32_t)n_regions, total, rng);
    if (per_region[r] == max_per_region) {
      left++;
      continue;
    }
    per_region[r]++;
  }

  /* Sizes: a Zipf-Mandelbrot law (rank + q)^-s over a random ranking of all districts; the offset
   * q = n / 50 flattens the head, so that with 3,500 small districts the largest holds a few per
   * mille of the establishments rather than a tenth. */
  shuffle_ranks(ranks, (uint32_t)n, rng);
  const double offset = n / 50.0;
  char text[256];
  int d = 0;
  for (int r = 0; r < n_regions; r++) {
    const region_def_t *region = &REGIONS[region_order[r]];
    const int count = per_region[r];
    const int scale = max_per_region == 999 ? 1 : 100; /* numbers up to 999 or 99,999 */
    const int step = count <= 99 * scale ? 10 : count <= 199 * scale ? 5 : count <= 499 * scale ? 2 : 1;
    const int first = d;
    for (int k = 0; k < count; k++, d++) {
      regio_gen_district_t *dist = &m->districts[d];
      const int number = (k + 1) * step;
      memcpy(dist->region_code, region->code, 3);
      memcpy(dist->code, region->code, 2);
      for (int c = m->district_code_len - 1, rest = number; c >= 2; c--, rest /= 10)
        dist->code[c] = (char)('0' + rest % 10);
      dist->code[m->district_code_len] = '\0';
      dist->region = r;
      dist->size = pow(ranks[d] + 1.0 + offset, -DISTRICT_ZIPF);

      /* A name not yet used in the region (a few tries; duplicates are allowed after that, as
       * real district names repeat across and sometimes within provinces). */
      char name[64];
      for (int attempt = 0; attempt < 16; attempt++) {
        const char *suffix;
        uint32_t u = regio_gen_below(rng, 100);
        if (count > 60)
          suffix = region->metropolitan ? "-dong" : u < 30 ? "-eup" : u < 80 ? "-myeon" : "-dong";
        else
          suffix = region->metropolitan ? (u < 90 ? "-gu" : "-gun") : u < 50 ? "-si" : u < 90 ? "-gun" : "-gu";
        const char *s1 = SYLLABLE1[regio_gen_below(rng, N_SYL1)];
        const char *s2 = SYLLABLE2[regio_gen_below(rng, N_SYL2)];
        size_t len = strlen(s1);
        memcpy(name, s1, len);
        strcpy(name + len, s2);
        strcat(name, suffix);
        char probe[80] = "\"";
        strcat(strcat(probe, name), ","); /* the start of the quoted district_name field */
        int used = 0;
        /* (checked among the region's districts when they are few; tract-level presets repeat names) */
        for (int o = first; o < d && !used && count <= 999; o++)
          used = strstr(m->districts[o].wide_text, probe) != NULL;
        if (!used) break;
      }
      size_t len = 0;
      len += put_quoted(text + len, region->code);
      text[len++] = ',';
      len += put_quoted(text + len, region->name);
      text[len++] = ',';
      len += put_quoted(text + len, dist->code);
      text[len++] = ',';
      char full_name[128];
      strcpy(full_name, name);
      strcat(full_name, ", ");
      strcat(full_name, region->name);
      len += put_quoted(text + len, full_name);
      dist->wide_text = dup_text(text, len);
      dist->wide_len = (uint32_t)len;
      if (!dist->wide_text) {
        free(per_region);
        free(region_order);
        free(ranks);
        return REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory building district names");
      }
    }
  }
  free(per_region);
  free(region_order);
  free(ranks);
  return REGIO_OK;
}

/* The 3-digit suffix of the i-th sector of a group: a (1..9), b (1..3), c (1, 2 or 9 = "other"). */
static int sector_suffix(int i, int *is_other) {
  const int a = 1 + i / 9, j = i % 9, b = 1 + j / 3, c = j % 3 == 2 ? 9 : j % 3 + 1;
  *is_other = c == 9;
  return a * 100 + b * 10 + c;
}

static regio_err_t build_sectors(regio_gen_model_t *m, regio_gen_rng_t *rng, regio_ctx_t *ctx) {
  const regio_gen_preset_info_t *p = m->preset;
  const int n_groups = p->n_groups, n = p->n_sectors;
  assert(n_groups <= N_GROUPS && n >= n_groups && n <= n_groups * MAX_SECTORS_PER_GROUP);

  /* Groups in use, in code order. */
  int used[N_GROUPS];
  if (n_groups == N_GROUPS) {
    for (int g = 0; g < N_GROUPS; g++) used[g] = g;
  } else {
    const int n_demo = (int)(sizeof DEMO_GROUP_CODES / sizeof DEMO_GROUP_CODES[0]);
    int k = 0;
    for (int g = 0; g < N_GROUPS && k < n_groups; g++)
      for (int i = 0; i < n_demo && i < n_groups; i++)
        if (GROUPS[g].code == DEMO_GROUP_CODES[i]) used[k++] = g;
    for (int g = 0; g < N_GROUPS && k < n_groups; g++) {
      int taken = 0;
      for (int i = 0; i < k; i++) taken |= used[i] == g;
      if (!taken) used[k++] = g;
    }
    assert(k == n_groups);
    for (int a = 1; a < k; a++) /* back to code order */
      for (int b = a; b > 0 && GROUPS[used[b]].code < GROUPS[used[b - 1]].code; b--) {
        int t = used[b];
        used[b] = used[b - 1];
        used[b - 1] = t;
      }
  }
  m->n_groups = n_groups;
  m->group_nouns = calloc((size_t)n_groups, sizeof *m->group_nouns);
  m->n_sectors = n;
  m->sectors = calloc((size_t)n, sizeof *m->sectors);
  double *weights = malloc(((size_t)n + (size_t)m->n_districts) * sizeof *weights);
  uint32_t *ranks = malloc((size_t)n * sizeof *ranks);
  int per_group[N_GROUPS];
  if (!m->group_nouns || !m->sectors || !weights || !ranks) {
    free(weights);
    free(ranks);
    return REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory building %d sectors", n);
  }
  for (int g = 0; g < n_groups; g++) m->group_nouns[g] = GROUPS[used[g]].noun;

  /* Sectors per group: manufacturing divisions are finer, as in KSIC. */
  double total = 0;
  for (int g = 0; g < n_groups; g++) {
    weights[g] = (GROUPS[used[g]].kind == KIND_MANUFACTURING ? 2.0 : 1.0) * (0.5 + regio_gen_unit(rng));
    total += weights[g];
    per_group[g] = 1;
  }
  for (int left = n - n_groups; left > 0; left--) {
    uint32_t g = draw_weighted(weights, (uint32_t)n_groups, total, rng);
    if (per_group[g] == MAX_SECTORS_PER_GROUP) {
      left++;
      continue;
    }
    per_group[g]++;
  }

  /* Host districts of clusters are drawn in proportion to size^0.3: clusters sit in small towns
   * as often as in cities (shipyards, steel towns). */
  double *host_weights = weights + n;
  double host_total = 0;
  for (int d = 0; d < m->n_districts; d++) host_total += host_weights[d] = pow(m->districts[d].size, 0.3);

  char text[512];
  int s = 0;
  for (int g = 0; g < n_groups; g++) {
    const group_def_t *group = &GROUPS[used[g]];
    /* Establishments: the group's share of the economy (its square root for a preset with a few
     * groups, so that manufacturing is visible there), split over its sectors by a Zipf law on a
     * random ranking (one subclass dominates, as Korean restaurants do in division 56). */
    const double prevalence = n_groups == N_GROUPS ? group->prevalence : sqrt(group->prevalence);
    shuffle_ranks(ranks, (uint32_t)per_group[g], rng);
    double harmonic = 0;
    for (int i = 0; i < per_group[g]; i++) harmonic += pow(i + 1.0, -SECTOR_ZIPF);
    for (int i = 0; i < per_group[g]; i++, s++) {
      regio_gen_sector_t *sec = &m->sectors[s];
      weights[s] = prevalence * pow(ranks[i] + 1.0, -SECTOR_ZIPF) / harmonic;
      int is_other;
      const int code = group->code * 1000 + sector_suffix(i, &is_other);
      for (int k = 4, rest = code; k >= 0; k--, rest /= 10) sec->code[k] = (char)('0' + rest % 10);
      sec->code[5] = '\0';
      sec->group = g;
      sec->kind = group->kind;
      sec->urban = KIND_URBAN[group->kind];
      int size_class = KIND_SIZE[group->kind];
      uint32_t u = regio_gen_below(rng, 10);
      if (u == 0 && size_class > 0) size_class--;
      if (u == 1 && size_class < REGIO_GEN_SIZE_CLASSES - 1) size_class++;
      if (regio_gen_unit(rng) < KIND_CLUSTER[group->kind]) {
        sec->n_hosts = 1 + (int)regio_gen_below(rng, REGIO_GEN_MAX_HOSTS);
        for (int h = 0; h < sec->n_hosts; h++)
          sec->hosts[h] = draw_weighted(host_weights, (uint32_t)m->n_districts, host_total, rng);
        sec->host_threshold = (uint64_t)((0.35 + 0.4 * regio_gen_unit(rng)) * 4294967296.0);
        if (size_class > 0) size_class--; /* cluster plants are larger */
      }
      sec->size_class = size_class;
      sec->wage = (uint32_t)(KIND_WAGE[group->kind] * (0.8 + 0.45 * regio_gen_unit(rng)));

      char label[256];
      strcpy(label, group->label);
      strcat(label, ": ");
      strcat(label, is_other ? "other, n.e.c." : QUALIFIERS[(group->code * 7 + i) % N_QUALIFIERS]);
      size_t len = put_quoted(text, sec->code);
      text[len++] = ',';
      len += put_quoted(text + len, label);
      sec->wide_text = dup_text(text, len);
      sec->wide_len = (uint32_t)len;
      if (!sec->wide_text) {
        free(weights);
        free(ranks);
        return REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory building sector labels");
      }
    }
  }
  int failed = regio_gen_alias_init(&m->sector_law, weights, (uint32_t)n);
  free(weights);
  free(ranks);
  if (failed) return REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory building the sector law");
  return REGIO_OK;
}

static regio_err_t build_laws(regio_gen_model_t *m, regio_ctx_t *ctx) {
  const uint32_t n_d = (uint32_t)m->n_districts;
  double *weights = malloc((n_d > SIZE_CAP ? n_d : SIZE_CAP) * sizeof *weights);
  if (!weights) return REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory building the district laws");
  for (int c = 0; c < REGIO_GEN_URBAN_CLASSES; c++) {
    for (uint32_t d = 0; d < n_d; d++) weights[d] = pow(m->districts[d].size, URBAN_EXPONENT[c]);
    if (regio_gen_alias_init(&m->district_law[c], weights, n_d)) {
      free(weights);
      return REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory building the district laws");
    }
  }
  /* Truncated discrete Pareto: P(X >= k) proportional to k^-a - (cap+1)^-a, k = 1..cap. */
  for (int c = 0; c < REGIO_GEN_SIZE_CLASSES; c++) {
    const double a = SIZE_EXPONENT[c];
    for (uint32_t k = 1; k <= SIZE_CAP; k++) weights[k - 1] = pow(k, -a) - pow(k + 1.0, -a);
    if (regio_gen_alias_init(&m->size_law[c], weights, SIZE_CAP)) {
      free(weights);
      return REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory building the size laws");
    }
  }
  free(weights);
  return REGIO_OK;
}

regio_err_t regio_gen_model_create(const regio_gen_preset_info_t *preset, uint64_t seed, regio_ctx_t *ctx,
                                   regio_gen_model_t **out) {
  *out = NULL;
  const preset_def_t *def = preset_def_of(preset);
  REGIO_CHECK(ctx, def != NULL, REGIO_ERR_INTERNAL, "preset '%s' is not one of the built-in presets",
              preset ? preset->name : "(null)");
  regio_gen_model_t *m = calloc(1, sizeof *m);
  if (!m) return REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory building the synthetic economy");
  m->preset = preset;
  m->layout = def->layout;
  m->seed = seed;
  regio_gen_rng_t rng = regio_gen_rng_key(seed, 0, 0);
  regio_err_t err = build_districts(m, &rng, ctx);
  if (!err) err = build_sectors(m, &rng, ctx);
  if (!err) err = build_laws(m, ctx);
  if (err) {
    regio_gen_model_destroy(&m);
    return err;
  }
  *out = m;
  return REGIO_OK;
}

void regio_gen_model_destroy(regio_gen_model_t **model) {
  if (!model || !*model) return;
  regio_gen_model_t *m = *model;
  if (m->districts)
    for (int d = 0; d < m->n_districts; d++) free(m->districts[d].wide_text);
  if (m->sectors)
    for (int s = 0; s < m->n_sectors; s++) free(m->sectors[s].wide_text);
  free(m->districts);
  free(m->sectors);
  free((void *)m->group_nouns);
  free((void *)m->region_names);
  regio_gen_alias_free(&m->sector_law);
  for (int c = 0; c < REGIO_GEN_URBAN_CLASSES; c++) regio_gen_alias_free(&m->district_law[c]);
  for (int c = 0; c < REGIO_GEN_SIZE_CLASSES; c++) regio_gen_alias_free(&m->size_law[c]);
  free(m);
  *model = NULL;
}
