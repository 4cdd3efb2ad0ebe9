/* The regio program: parses options, calls the library, prints. */
#include <errno.h>
#include <getopt.h>
#include <hdf5.h>
#include <ini.h>
#include <libgen.h>
#include <math.h>
#include <omp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "regio/regio.h"

#define MAX_INPUTS 4096

/* Everything `regio run` can be told, from the command line or a config file. */
typedef struct run_options {
  char *inputs[MAX_INPUTS];
  int n_inputs;
  char *output;
  char *district_cols; /* comma-separated */
  char *sector_col, *employees_col, *establishments_col, *actor_col;
  char delimiter; /* 0 = detect */
  int sector_digits;
  char *sector_levels;  /* "2,6" or NULL */
  char *variety_levels; /* "6,2" or NULL */
  int on_bad_row_skip;
  int threads;
  int checksum;
  int quiet;
  /* input-output analysis (--io-table); the reading options are those of regio io */
  char *io_table, *io_label_col, *io_output_row, *io_output_col, *io_compensation_row, *io_value_added_rows;
  char *io_employment_row, *io_household_col, *io_sector_map;
  int io_sectors, io_full_inverse, io_sensitivity_from_ghosh, io_district_level;
  int regionalize; /* regio_io_regional_method_t; 0 = FLQ */
  int io_solver;   /* regio_io_solver_t; 0 = iterative */
  double flq_delta;
  char io_delimiter; /* 0 = detect */
  /* specialisation: n_specialised counts sectors with LQ >= specialised_lq and employment >=
   * specialised_min_milli */
  double specialised_lq;
  int64_t specialised_min_milli;
  char *categories;    /* category map (--categories) */
  char *district_area; /* district areas (--district-area) */
  int screen;          /* --screen, or a [screen] section in the config file */
  regio_screen_opts_t screen_opts;
} run_options_t;

static const char *usage_text =
    "usage: regio run [options] FILE... -o OUT.h5\n"
    "       regio info OUT.h5\n"
    "       regio gen --preset demo|kr|narrow|wide [--seed N] [--rows N] -o FILE[.gz]\n"
    "       regio io FILE -o OUT.h5 [--io-... options] (input-output analysis; regio io --help)\n"
    "       regio --help | --version\n"
    "\n"
    "regio run reads establishment tables (CSV, plain or gzip), aggregates employment exactly into\n"
    "district x sector matrices, computes location quotients and variety, and writes HDF5.\n"
    "\n"
    "Options of regio run:\n"
    "  -o, --output FILE          the HDF5 file to write (written to a temporary name, then renamed)\n"
    "  --district-col A[,B...]    district column(s); several are concatenated (default: district)\n"
    "  --sector-col NAME          sector code column (default: sector)\n"
    "  --employees-col NAME       employees column, exact decimal, <= 3 places (default: employees)\n"
    "  --establishments-col NAME  establishment count column (default: each row is one establishment)\n"
    "  --actor-col NAME           column of actor types (firm, university, research, government, civil\n"
    "                             society, ...; at most 16): employment by type and helix diversity\n"
    "  --delimiter C              , ; | tab (or comma, semicolon, pipe, tab); default: detected\n"
    "  --sector-digits N          keep only rows whose sector code has exactly N characters\n"
    "  --sector-levels N1,N2,...  sector levels as code prefix lengths (default: full codes)\n"
    "  --variety-levels FINE,COARSE  levels of the variety decomposition (default: finest, coarsest)\n"
    "  --on-bad-row fail|skip     stop at the first bad row (default) or skip and count bad rows\n"
    "  --specialised-lq T         a sector counts as specialised (n_specialised) when its LQ >= T\n"
    "                             (default 1.25)\n"
    "  --specialised-min-employment N  ... and its employment in the district >= N (default 0)\n"
    "  --categories FILE          CSV sector,category[,use]: functional categories (longest code prefix\n"
    "                             wins, unmapped sectors -> other): shares, LQs, mixed use (/categories)\n"
    "  --district-area FILE       CSV district,area_km2: establishments per km2 (/districts)\n"
    "  --screen                   classify every district (cluster, innovation district, CBD, CLD,\n"
    "                             diversified, thin; /screen); needs --categories with a use column and\n"
    "                             two sector levels; thresholds in a [screen] section of --config\n"
    "                             (docs/SCREENING.md)\n"
    "  --threads N                threads (default: OMP_NUM_THREADS, else all cores); results do not depend on it\n"
    "  --no-checksum              do not record the SHA-256 of the inputs\n"
    "  --io-table FILE            also the input-output analysis of this national IO table (group /io);\n"
    "                             read with the --io-* options of regio io (--io-output-row or\n"
    "                             --io-output-col, --io-label-col, --io-sectors, --io-compensation-row,\n"
    "                             --io-value-added-rows, --io-employment-row, --io-household-col,\n"
    "                             --io-full-inverse, --io-sensitivity-from-ghosh; --io-delimiter C is\n"
    "                             the --delimiter of regio io)\n"
    "  --io-sector-map FILE       CSV sector,io_sector (longest code prefix wins; io_sector - excludes):\n"
    "                             regional IO tables for every district (/io/regional)\n"
    "  --io-district-level N      regional tables for districts merged by their first N code characters\n"
    "  --regionalize M            slq, cilq, flq or aflq (default flq)\n"
    "  --flq-delta D              delta of FLQ and AFLQ (default 0.25)\n"
    "  --io-solver S              iterative (default: sweeps over the district's sectors, LU fallback)\n"
    "                             or lu (one LU factorisation per district, the reference)\n"
    "  --config FILE              read options from an INI file ([run] section); the command line\n"
    "                             overrides it\n"
    "  -q, --quiet                no progress line and no summary on stderr\n"
    "\n"
    "Exit codes: 0 success, 2 usage, 3 bad input data, 4 numerical, 5 file/output error,\n"
    "6 out of memory, 7 internal error, 130/143 interrupted (SIGINT/SIGTERM).\n";

/* ------------------------------------------------------------------------------------------- */
/* The temporary output file of the running command, removed by the signal handler. */
char cli_temp_output[CLI_TEMP_PATH_MAX];

static void on_signal(int sig) {
  if (cli_temp_output[0]) unlink(cli_temp_output);
  _exit(128 + sig);
}

static void install_signal_handlers(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  /* past `ulimit -f`, write() then fails with EFBIG (a clear error, the temporary file removed)
   * instead of the process being killed with the temporary file left behind */
  signal(SIGXFSZ, SIG_IGN);
}

/* ------------------------------------------------------------------------------------------- */
/* Progress on stderr when it is a terminal. */
typedef struct progress_state {
  int shown;
  char phase[32];
  int percent;
} progress_state_t;

static void show_progress(void *user, const char *phase, double fraction) {
  progress_state_t *p = user;
  int percent = (int)(fraction * 100.0);
  if (p->shown && strcmp(phase, p->phase) == 0 && percent == p->percent) return;
  snprintf(p->phase, sizeof p->phase, "%s", phase);
  p->percent = percent;
  fprintf(stderr, "\rregio: %-10s %3d%%", phase, percent);
  fflush(stderr);
  p->shown = 1;
}

static void end_progress(progress_state_t *p) {
  if (p->shown) fprintf(stderr, "\r%40s\r", "");
  p->shown = 0;
}

/* ------------------------------------------------------------------------------------------- */
/* Option values */

static int set_string(char **slot, const char *value) {
  free(*slot);
  *slot = strdup(value);
  return *slot != NULL;
}

static int parse_delimiter(const char *value, char *out) {
  if (!strcmp(value, "tab") || !strcmp(value, "\\t") || !strcmp(value, "\t"))
    *out = '\t';
  else if (!strcmp(value, "comma") || !strcmp(value, ","))
    *out = ',';
  else if (!strcmp(value, "semicolon") || !strcmp(value, ";"))
    *out = ';';
  else if (!strcmp(value, "pipe") || !strcmp(value, "|"))
    *out = '|';
  else if (!strcmp(value, "auto"))
    *out = 0;
  else if (strlen(value) == 1 && value[0] != '"' && value[0] != '\n' && value[0] != '\r')
    *out = value[0];
  else
    return 0;
  return 1;
}

static const char *delimiter_name(char d) {
  switch (d) {
    case 0: return "auto";
    case ',': return "comma";
    case ';': return "semicolon";
    case '\t': return "tab";
    case '|': return "pipe";
    default: {
      static char one[2];
      one[0] = d;
      return one;
    }
  }
}

static int parse_int(const char *value, int lo, int hi, int *out) {
  char *end;
  errno = 0;
  long v = strtol(value, &end, 10);
  if (errno || end == value || *end || v < lo || v > hi) return 0;
  *out = (int)v;
  return 1;
}

static int parse_bool(const char *value, int *out) {
  if (!strcmp(value, "true") || !strcmp(value, "yes") || !strcmp(value, "1") || !strcmp(value, "on"))
    *out = 1;
  else if (!strcmp(value, "false") || !strcmp(value, "no") || !strcmp(value, "0") || !strcmp(value, "off"))
    *out = 0;
  else
    return 0;
  return 1;
}

/* Parses "2,6" into ascending prefix lengths; returns the count or -1. */
static int parse_level_list(const char *text, int *levels, int max) {
  int n = 0;
  const char *p = text;
  while (*p) {
    char *end;
    errno = 0;
    long v = strtol(p, &end, 10);
    if (errno || end == p || v < 1 || v > REGIO_CODE_MAX || n == max) return -1;
    levels[n++] = (int)v;
    if (*end == ',')
      end++;
    else if (*end)
      return -1;
    p = end;
  }
  return n;
}

/* Applies one option by its long name; returns NULL or an error text. */
static const char *apply_option(run_options_t *o, const char *name, const char *value) {
  static char message[512];
  int levels[REGIO_MAX_LEVELS + 1];
  if (!strcmp(name, "output")) return set_string(&o->output, value) ? NULL : "out of memory";
  if (!strcmp(name, "input")) {
    if (o->n_inputs == MAX_INPUTS) return "too many input files";
    o->inputs[o->n_inputs] = strdup(value);
    return o->inputs[o->n_inputs++] ? NULL : "out of memory";
  }
  if (!strcmp(name, "district-col")) return set_string(&o->district_cols, value) ? NULL : "out of memory";
  if (!strcmp(name, "sector-col")) return set_string(&o->sector_col, value) ? NULL : "out of memory";
  if (!strcmp(name, "employees-col")) return set_string(&o->employees_col, value) ? NULL : "out of memory";
  if (!strcmp(name, "establishments-col")) return set_string(&o->establishments_col, value) ? NULL : "out of memory";
  if (!strcmp(name, "actor-col")) return set_string(&o->actor_col, value) ? NULL : "out of memory";
  if (!strcmp(name, "delimiter"))
    return parse_delimiter(value, &o->delimiter) ? NULL : "expected one character, or comma, semicolon, tab, pipe";
  if (!strcmp(name, "sector-digits"))
    return parse_int(value, 1, REGIO_CODE_MAX, &o->sector_digits) ? NULL : "expected a whole number from 1 to 64";
  if (!strcmp(name, "sector-levels")) {
    if (parse_level_list(value, levels, REGIO_MAX_LEVELS) < 1) {
      snprintf(message, sizeof message, "expected prefix lengths separated by commas (at most %d), like 2,6",
               REGIO_MAX_LEVELS);
      return message;
    }
    return set_string(&o->sector_levels, value) ? NULL : "out of memory";
  }
  if (!strcmp(name, "variety-levels")) {
    if (parse_level_list(value, levels, 3) != 2) return "expected two prefix lengths FINE,COARSE, like 5,2";
    if (levels[0] <= levels[1]) return "the fine level (first) must be longer than the coarse level (second)";
    return set_string(&o->variety_levels, value) ? NULL : "out of memory";
  }
  if (!strcmp(name, "on-bad-row")) {
    if (!strcmp(value, "fail"))
      o->on_bad_row_skip = 0;
    else if (!strcmp(value, "skip"))
      o->on_bad_row_skip = 1;
    else
      return "expected fail or skip";
    return NULL;
  }
  if (!strcmp(name, "threads"))
    return parse_int(value, 1, 4096, &o->threads) ? NULL : "expected a whole number of threads from 1 to 4096";
  if (!strcmp(name, "checksum")) return parse_bool(value, &o->checksum) ? NULL : "expected true or false";
  if (!strcmp(name, "quiet")) return parse_bool(value, &o->quiet) ? NULL : "expected true or false";
  struct {
    const char *name;
    char **slot;
  } io_strings[] = {{"io-table", &o->io_table},
                    {"io-label-col", &o->io_label_col},
                    {"io-output-row", &o->io_output_row},
                    {"io-output-col", &o->io_output_col},
                    {"io-compensation-row", &o->io_compensation_row},
                    {"io-value-added-rows", &o->io_value_added_rows},
                    {"io-employment-row", &o->io_employment_row},
                    {"io-household-col", &o->io_household_col},
                    {"io-sector-map", &o->io_sector_map}};
  for (size_t k = 0; k < sizeof io_strings / sizeof io_strings[0]; k++)
    if (!strcmp(name, io_strings[k].name)) {
      if (!*value) return "expected a non-empty value";
      return set_string(io_strings[k].slot, value) ? NULL : "out of memory";
    }
  if (!strcmp(name, "io-delimiter"))
    return parse_delimiter(value, &o->io_delimiter) ? NULL : "expected one character, or comma, semicolon, tab, pipe";
  if (!strcmp(name, "io-sectors"))
    return parse_int(value, 1, 1000000, &o->io_sectors) ? NULL : "expected a positive whole number";
  if (!strcmp(name, "io-full-inverse")) return parse_bool(value, &o->io_full_inverse) ? NULL : "expected true or false";
  if (!strcmp(name, "io-sensitivity-from-ghosh"))
    return parse_bool(value, &o->io_sensitivity_from_ghosh) ? NULL : "expected true or false";
  if (!strcmp(name, "io-district-level"))
    return parse_int(value, 1, REGIO_CODE_MAX, &o->io_district_level) ? NULL : "expected a whole number from 1 to 64";
  if (!strcmp(name, "regionalize")) {
    o->regionalize = (int)regio_io_regional_method_parse(value);
    return o->regionalize ? NULL : "expected slq, cilq, flq or aflq";
  }
  if (!strcmp(name, "io-solver")) {
    int solver = regio_io_solver_parse(value);
    if (solver < 0) return "expected iterative or lu";
    o->io_solver = solver;
    return NULL;
  }
  if (!strcmp(name, "categories") || !strcmp(name, "district-area")) {
    if (!*value) return "expected a file name";
    return set_string(!strcmp(name, "categories") ? &o->categories : &o->district_area, value) ? NULL : "out of memory";
  }
  if (!strcmp(name, "screen")) return parse_bool(value, &o->screen) ? NULL : "expected true or false";
  if (!strcmp(name, "specialised-lq")) {
    char *end;
    errno = 0;
    double v = strtod(value, &end);
    if (errno || end == value || *end || !(v > 0) || !(v <= 1e12)) return "expected a number > 0, like 1.25";
    o->specialised_lq = v;
    return NULL;
  }
  if (!strcmp(name, "specialised-min-employment")) {
    int64_t milli;
    if (regio_parse_milli(value, strlen(value), &milli) != 0)
      return "expected a non-negative number of employees with at most 3 decimal places, like 10";
    o->specialised_min_milli = milli;
    return NULL;
  }
  if (!strcmp(name, "flq-delta")) {
    char *end;
    errno = 0;
    double v = strtod(value, &end);
    if (errno || end == value || *end || !(v >= 0) || !(v <= 1e6)) return "expected a number >= 0, like 0.25";
    o->flq_delta = v;
    return NULL;
  }
  snprintf(message, sizeof message, "unknown option '%s'", name);
  return message;
}

/* ------------------------------------------------------------------------------------------- */
/* Config file */

typedef struct config_state {
  run_options_t *options;
  const char *path;
  char error[768];
} config_state_t;

static int on_config_entry(void *user, const char *section, const char *name, const char *value) {
  config_state_t *c = user;
  if (strcmp(section, "screen") == 0) {
    const char *problem = regio_screen_opts_set(&c->options->screen_opts, name, value);
    if (problem) {
      snprintf(c->error, sizeof c->error, "[screen] %s = %s: %s", name, value, problem);
      return 0;
    }
    c->options->screen = 1;
    return 1;
  }
  if (strcmp(section, "run") != 0) {
    snprintf(c->error, sizeof c->error,
             "unknown section [%s] (expected [run]); the thresholds of the screen go in [screen]", section);
    return 0;
  }
  const char *problem = apply_option(c->options, name, value);
  if (problem) {
    snprintf(c->error, sizeof c->error, "%s = %s: %s", name, value, problem);
    return 0;
  }
  return 1;
}

static int load_config(run_options_t *o, const char *path) {
  config_state_t c = {.options = o, .path = path};
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "regio: cannot open config file '%s': %s\n", path, strerror(errno));
    return REGIO_ERR_USAGE;
  }
  struct stat st;
  int stat_ok = fstat(fileno(f), &st) == 0;
  if (!stat_ok || !S_ISREG(st.st_mode)) {
    fprintf(stderr, "regio: config file '%s' is %s\n", path,
            !stat_ok              ? "unreadable"
            : S_ISDIR(st.st_mode) ? "a directory, not a file"
                                  : "not a regular file");
    fclose(f);
    return REGIO_ERR_USAGE;
  }
  int line = ini_parse_file(f, on_config_entry, &c);
  fclose(f);
  if (line != 0) {
    fprintf(stderr, "regio: %s:%d: %s\n", path, line, c.error[0] ? c.error : "not an INI line (expected key = value)");
    return REGIO_ERR_USAGE;
  }
  return 0;
}

/* The effective configuration as INI text: `regio run --config` on it reproduces the run. */
static char *effective_config(const run_options_t *o) {
  char *text = NULL;
  size_t size = 0;
  FILE *f = open_memstream(&text, &size);
  if (!f) return NULL;
  fprintf(f, "# regio %s: the effective configuration of this run; reproduce it with\n", REGIO_VERSION_STRING);
  fprintf(f, "# regio run --config THIS_FILE (paths are relative to the directory it ran in)\n[run]\n");
  /* several inputs as one multi-line value (continuation lines are indented), which inih reads as
   * repeated keys and Python's configparser as one value with a line per file */
  for (int i = 0; i < o->n_inputs; i++) fprintf(f, i ? "    %s\n" : "input = %s\n", o->inputs[i]);
  fprintf(f, "output = %s\n", o->output);
  fprintf(f, "district-col = %s\n", o->district_cols);
  fprintf(f, "sector-col = %s\n", o->sector_col);
  fprintf(f, "employees-col = %s\n", o->employees_col);
  if (o->establishments_col) fprintf(f, "establishments-col = %s\n", o->establishments_col);
  if (o->actor_col) fprintf(f, "actor-col = %s\n", o->actor_col);
  fprintf(f, "delimiter = %s\n", delimiter_name(o->delimiter));
  if (o->sector_digits) fprintf(f, "sector-digits = %d\n", o->sector_digits);
  if (o->sector_levels) fprintf(f, "sector-levels = %s\n", o->sector_levels);
  if (o->variety_levels) fprintf(f, "variety-levels = %s\n", o->variety_levels);
  fprintf(f, "on-bad-row = %s\n", o->on_bad_row_skip ? "skip" : "fail");
  fprintf(f, "checksum = %s\n", o->checksum ? "true" : "false");
  if (o->categories) fprintf(f, "categories = %s\n", o->categories);
  if (o->district_area) fprintf(f, "district-area = %s\n", o->district_area);
  if (o->screen) fprintf(f, "screen = true\n");
  fprintf(f, "specialised-lq = %.17g\n", o->specialised_lq);
  fprintf(f, "specialised-min-employment = %lld.%03lld\n", (long long)(o->specialised_min_milli / REGIO_MILLI),
          (long long)(o->specialised_min_milli % REGIO_MILLI));
  if (o->io_table) {
    fprintf(f, "io-table = %s\n", o->io_table);
    const char *names[] = {"io-label-col",        "io-output-row",     "io-output-col",   "io-compensation-row",
                           "io-value-added-rows", "io-employment-row", "io-household-col"};
    const char *values[] = {o->io_label_col,        o->io_output_row,     o->io_output_col,   o->io_compensation_row,
                            o->io_value_added_rows, o->io_employment_row, o->io_household_col};
    for (int k = 0; k < 7; k++)
      if (values[k]) fprintf(f, "%s = %s\n", names[k], values[k]);
    if (o->io_sectors) fprintf(f, "io-sectors = %d\n", o->io_sectors);
    if (o->io_delimiter) fprintf(f, "io-delimiter = %s\n", delimiter_name(o->io_delimiter));
    if (o->io_full_inverse) fprintf(f, "io-full-inverse = true\n");
    if (o->io_sensitivity_from_ghosh) fprintf(f, "io-sensitivity-from-ghosh = true\n");
    if (o->io_sector_map) {
      fprintf(f, "io-sector-map = %s\n", o->io_sector_map);
      if (o->io_district_level) fprintf(f, "io-district-level = %d\n", o->io_district_level);
      fprintf(f, "regionalize = %s\n", o->regionalize ? regio_io_regional_method_name(o->regionalize) : "FLQ");
      fprintf(f, "flq-delta = %.17g\n", o->flq_delta);
      fprintf(f, "io-solver = %s\n", regio_io_solver_name((regio_io_solver_t)o->io_solver));
    }
  }
  if (o->screen) {
    fprintf(f, "[screen]\n");
    regio_screen_opts_write(&o->screen_opts, f);
  }
  fclose(f);
  return text;
}

static void free_options(run_options_t *o) {
  for (int i = 0; i < o->n_inputs; i++) free(o->inputs[i]);
  free(o->output);
  free(o->district_cols);
  free(o->sector_col);
  free(o->employees_col);
  free(o->establishments_col);
  free(o->actor_col);
  free(o->sector_levels);
  free(o->variety_levels);
  free(o->categories);
  free(o->district_area);
  char *io[] = {o->io_table,          o->io_label_col,        o->io_output_row,
                o->io_output_col,     o->io_compensation_row, o->io_value_added_rows,
                o->io_employment_row, o->io_household_col,    o->io_sector_map};
  for (size_t k = 0; k < sizeof io / sizeof io[0]; k++) free(io[k]);
}

/* The input-output part of a run: owned pieces, released by io_state_free. */
typedef struct io_state {
  regio_io_table_t *table;
  regio_io_national_t *national;
  regio_io_sector_map_t *map;
  regio_io_regional_t *regional;
  char **district_code;
  int n_districts;
  double *employment;
  char *va_buf;
  const char **va_items;
  regio_output_io_t out;
  double regional_seconds; /* regio_io_regional_compute alone */
} io_state_t;

static void io_state_free(io_state_t *s) {
  regio_io_regional_destroy(&s->regional);
  regio_io_sector_map_destroy(&s->map);
  regio_io_national_destroy(&s->national);
  regio_io_table_destroy(&s->table);
  regio_io_district_codes_free(s->district_code, s->n_districts);
  free(s->employment);
  free(s->va_buf);
  free(s->va_items);
}

/* Reads the IO table, computes the national analysis and, with a sector map, the regional tables. */
static regio_err_t run_io(const run_options_t *o, const regio_result_t *res, regio_ctx_t *ctx, io_state_t *s) {
  regio_io_read_opts_t ro = {0};
  ro.label_col = o->io_label_col;
  ro.output_row = o->io_output_row;
  ro.output_col = o->io_output_col;
  ro.compensation_row = o->io_compensation_row;
  ro.employment_row = o->io_employment_row;
  ro.household_col = o->io_household_col;
  ro.n_sectors = o->io_sectors;
  ro.delimiter = o->io_delimiter;
  /* Every rank reads the table and the sector map itself: a file that one rank alone cannot read
   * (a node's own disk, memory) fails there alone, so the reading is agreed before the first
   * collective call below (without a sector map there is none: the caller agrees). */
  regio_err_t err = REGIO_OK;
  if (o->io_value_added_rows) {
    size_t len = strlen(o->io_value_added_rows);
    s->va_buf = strdup(o->io_value_added_rows);
    s->va_items = malloc((len / 2 + 2) * sizeof *s->va_items);
    if (!s->va_buf || !s->va_items) err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory");
    int n = 0;
    for (char *save = NULL, *tok = err ? NULL : strtok_r(s->va_buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
      s->va_items[n++] = tok;
    ro.value_added_rows = s->va_items;
    ro.n_value_added_rows = n;
  }
  regio_io_national_opts_t no = {o->io_full_inverse, o->io_sensitivity_from_ghosh};
  if (!err) err = regio_io_table_read(o->io_table, &ro, ctx, &s->table);
  if (!err) err = regio_io_national_compute(s->table, &no, ctx, &s->national);
  s->out.table = s->table;
  s->out.national = s->national;
  if (!o->io_sector_map) return err;
  if (!err) err = regio_io_sector_map_read(o->io_sector_map, ctx, &s->map);
  if (!err)
    err = regio_io_district_employment(res, s->map, s->table, o->io_district_level, ctx, &s->n_districts,
                                       &s->district_code, &s->employment, &s->out.excluded_employment);
  regio_dist_t *dist = regio_ctx_dist(ctx);
  REGIO_TRY(regio_dist_agree(dist, err, ctx));
  /* distributed mode: where this rank's regional districts sit among all ranks', and the national
   * excluded employment (exact: the milli-employees are summed) */
  int64_t *counts = NULL;
  size_t *count_bytes = NULL;
  int64_t mine = s->n_districts, excluded = llround(s->out.excluded_employment * REGIO_MILLI);
  REGIO_TRY(regio_dist_allgatherv(dist, &mine, sizeof mine, (void **)&counts, &count_bytes, NULL, ctx));
  size_t offset = 0, total = 0;
  for (int r = 0; r < regio_dist_size(dist); r++) {
    if (r < regio_dist_rank(dist)) offset += (size_t)counts[r];
    total += (size_t)counts[r];
  }
  free(counts);
  free(count_bytes);
  REGIO_TRY(regio_dist_allreduce_i64(dist, &excluded, 1, REGIO_DIST_SUM, NULL, ctx));
  s->out.excluded_employment = (double)excluded / REGIO_MILLI;
  regio_io_regional_opts_t rop = regio_io_regional_opts_default();
  rop.district_offset = (int)offset;
  if (o->regionalize) rop.method = (regio_io_regional_method_t)o->regionalize;
  rop.delta = o->flq_delta;
  rop.solver = (regio_io_solver_t)o->io_solver;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  REGIO_TRY(regio_io_regional_compute(s->table, s->national, s->n_districts, s->employment, &rop, ctx, &s->regional));
  clock_gettime(CLOCK_MONOTONIC, &t1);
  s->regional_seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
  s->out.regional = s->regional;
  s->out.district_code = (const char *const *)s->district_code;
  s->out.regional_offset = offset;
  s->out.n_regional_global = total;
  s->out.sector_map_path = o->io_sector_map;
  s->out.district_level = o->io_district_level;
  return REGIO_OK;
}

/* ------------------------------------------------------------------------------------------- */

/* An option that only means something with another one that is missing: a contradiction, refused
 * rather than ignored. Returns NULL or the message. */
static const char *missing_companion(const run_options_t *o) {
  static char message[160];
  const struct {
    const char *name;
    int given;
  } io_reading[] = {{"--io-label-col", o->io_label_col != NULL},
                    {"--io-output-row", o->io_output_row != NULL},
                    {"--io-output-col", o->io_output_col != NULL},
                    {"--io-sectors", o->io_sectors != 0},
                    {"--io-delimiter", o->io_delimiter != 0},
                    {"--io-compensation-row", o->io_compensation_row != NULL},
                    {"--io-value-added-rows", o->io_value_added_rows != NULL},
                    {"--io-employment-row", o->io_employment_row != NULL},
                    {"--io-household-col", o->io_household_col != NULL},
                    {"--io-full-inverse", o->io_full_inverse},
                    {"--io-sensitivity-from-ghosh", o->io_sensitivity_from_ghosh},
                    {"--io-sector-map", o->io_sector_map != NULL}},
    regional[] = {{"--io-district-level", o->io_district_level != 0},
                  {"--regionalize", o->regionalize != 0},
                  {"--flq-delta", o->flq_delta != REGIO_IO_FLQ_DELTA_DEFAULT}};
  for (size_t k = 0; k < sizeof io_reading / sizeof io_reading[0]; k++)
    if (io_reading[k].given && !o->io_table) {
      snprintf(message, sizeof message, "%s needs --io-table (the input-output analysis)", io_reading[k].name);
      return message;
    }
  for (size_t k = 0; k < sizeof regional / sizeof regional[0]; k++)
    if (regional[k].given && !o->io_sector_map) {
      snprintf(message, sizeof message, "%s needs --io-sector-map (the regional input-output tables)",
               regional[k].name);
      return message;
    }
  return NULL;
}

/* Refuses an output that is one of the files the run reads (it would be replaced). */
static int check_output_not_input(const run_options_t *o) {
  struct stat out, in;
  if (stat(o->output, &out) != 0) return 0;
  const char *others[] = {o->io_table, o->io_sector_map};
  for (int i = 0; i < o->n_inputs + 2; i++) {
    const char *path = i < o->n_inputs ? o->inputs[i] : others[i - o->n_inputs];
    if (path && stat(path, &in) == 0 && in.st_dev == out.st_dev && in.st_ino == out.st_ino) {
      fprintf(stderr, "regio run: the output '%s' is the input '%s': give another -o\n", o->output, path);
      return REGIO_ERR_USAGE;
    }
  }
  return 0;
}

/* Checks before reading anything that the output can be written where asked. */
static int check_output_path(const char *path) {
  struct stat st;
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
    fprintf(stderr, "regio: output '%s' is an existing directory; give a file name\n", path);
    return REGIO_ERR_IO;
  }
  char *copy = strdup(path);
  if (!copy) return REGIO_ERR_NOMEM;
  const char *dir = dirname(copy);
  int rc = 0;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
    fprintf(stderr, "regio: cannot write output '%s': directory '%s' does not exist\n", path, dir);
    rc = REGIO_ERR_IO;
  } else if (access(dir, W_OK) != 0) {
    fprintf(stderr, "regio: cannot write output '%s': directory '%s' is not writable (%s)\n", path, dir,
            strerror(errno));
    rc = REGIO_ERR_IO;
  }
  free(copy);
  return rc;
}

/* The exit code of the checks before a run, the same on every rank: that of the lowest rank that
 * failed (0: none did). Collective. */
static int agree_exit_code(regio_dist_t *dist, int rc) {
  int64_t first = rc ? (int64_t)regio_dist_rank(dist) * 256 + (rc & 255) : INT64_MAX;
  if (regio_dist_allreduce_i64(dist, &first, 1, REGIO_DIST_MIN, NULL, NULL) != REGIO_OK) return REGIO_ERR_INTERNAL;
  return first == INT64_MAX ? 0 : (int)(first % 256);
}

static int fail_with(regio_ctx_t *ctx, regio_err_t err) {
  /* in the distributed mode every rank holds the agreed error: rank 0 reports it */
  if (regio_dist_rank(regio_ctx_dist(ctx)) != 0) return (int)err;
  fprintf(stderr, "regio: error: %s\n", regio_ctx_message(ctx));
  if (err == REGIO_ERR_INTERNAL) fprintf(stderr, "regio: (raised at %s)\n", regio_ctx_origin(ctx));
  return (int)err;
}

static double seconds_between(struct timespec a, struct timespec b) {
  return (double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec);
}

static void print_summary(const regio_result_t *res, const double *phase_seconds) {
  const regio_aggregate_t *agg = res->agg;
  for (size_t f = 0; f < agg->n_inputs; f++) {
    const regio_input_stats_t *in = &agg->inputs[f];
    int64_t skipped = 0;
    for (int r = 0; r < REGIO_SKIP_COUNT; r++) skipped += in->skipped[r];
    fprintf(stderr, "regio: %s: %lld rows read, %lld used, %lld skipped\n", in->path, (long long)in->rows_read,
            (long long)in->rows_used, (long long)skipped);
    for (int r = 0; r < REGIO_SKIP_COUNT; r++)
      if (in->skipped[r])
        fprintf(stderr, "regio:   skipped %lld rows: %s (%s; first at line %lld)\n", (long long)in->skipped[r],
                regio_skip_reason_name((regio_skip_reason_t)r), regio_skip_reason_text((regio_skip_reason_t)r),
                (long long)in->first_skipped_line[r]);
  }
  fprintf(stderr, "regio: %zu districts;", res->n_districts_global);
  for (int i = 0; i < res->n_levels; i++)
    fprintf(stderr, " level %s: %zu sectors;", res->levels[i].name, res->levels[i].sectors.count);
  fprintf(stderr, " total employment %.3f\n", (double)res->total_employment / REGIO_MILLI);
  fprintf(stderr, "regio: time: read+aggregate %.3f s, indices %.3f s, write %.3f s, total %.3f s\n", phase_seconds[0],
          phase_seconds[1], phase_seconds[2], phase_seconds[0] + phase_seconds[1] + phase_seconds[2]);
}

int cli_run_main(int argc, char **argv, const char *command_line, regio_dist_t *dist) {
  run_options_t o;
  memset(&o, 0, sizeof o);
  o.checksum = 1;
  o.flq_delta = REGIO_IO_FLQ_DELTA_DEFAULT;
  o.specialised_lq = REGIO_SPECIALISED_LQ;
  regio_screen_opts_default(&o.screen_opts);
  enum { OPT_CONFIG = 1000, OPT_NO_CHECKSUM, OPT_NAMED, OPT_FLAG };
  static const struct option long_options[] = {
      {"output", required_argument, 0, 'o'},
      {"district-col", required_argument, 0, OPT_NAMED},
      {"sector-col", required_argument, 0, OPT_NAMED},
      {"employees-col", required_argument, 0, OPT_NAMED},
      {"establishments-col", required_argument, 0, OPT_NAMED},
      {"actor-col", required_argument, 0, OPT_NAMED},
      {"delimiter", required_argument, 0, OPT_NAMED},
      {"sector-digits", required_argument, 0, OPT_NAMED},
      {"sector-levels", required_argument, 0, OPT_NAMED},
      {"variety-levels", required_argument, 0, OPT_NAMED},
      {"on-bad-row", required_argument, 0, OPT_NAMED},
      {"threads", required_argument, 0, OPT_NAMED},
      {"io-table", required_argument, 0, OPT_NAMED},
      {"io-label-col", required_argument, 0, OPT_NAMED},
      {"io-output-row", required_argument, 0, OPT_NAMED},
      {"io-output-col", required_argument, 0, OPT_NAMED},
      {"io-sectors", required_argument, 0, OPT_NAMED},
      {"io-delimiter", required_argument, 0, OPT_NAMED},
      {"io-compensation-row", required_argument, 0, OPT_NAMED},
      {"io-value-added-rows", required_argument, 0, OPT_NAMED},
      {"io-employment-row", required_argument, 0, OPT_NAMED},
      {"io-household-col", required_argument, 0, OPT_NAMED},
      {"io-full-inverse", no_argument, 0, OPT_FLAG},
      {"io-sensitivity-from-ghosh", no_argument, 0, OPT_FLAG},
      {"io-sector-map", required_argument, 0, OPT_NAMED},
      {"io-district-level", required_argument, 0, OPT_NAMED},
      {"regionalize", required_argument, 0, OPT_NAMED},
      {"flq-delta", required_argument, 0, OPT_NAMED},
      {"io-solver", required_argument, 0, OPT_NAMED},
      {"specialised-lq", required_argument, 0, OPT_NAMED},
      {"categories", required_argument, 0, OPT_NAMED},
      {"screen", no_argument, 0, OPT_FLAG},
      {"district-area", required_argument, 0, OPT_NAMED},
      {"specialised-min-employment", required_argument, 0, OPT_NAMED},
      {"config", required_argument, 0, OPT_CONFIG},
      {"no-checksum", no_argument, 0, OPT_NO_CHECKSUM},
      {"quiet", no_argument, 0, 'q'},
      {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0},
  };
  int rc = 0, help = 0;
  regio_ctx_t *ctx = NULL;
  char *district_cols = NULL;

  /* the config file first, so that the command line overrides it */
  for (int i = 1; i < argc; i++) {
    const char *path = NULL;
    if (!strcmp(argv[i], "--config") && i + 1 < argc)
      path = argv[i + 1];
    else if (!strncmp(argv[i], "--config=", 9))
      path = argv[i] + 9;
    if (path && (rc = load_config(&o, path))) goto checked;
  }
  int config_inputs = o.n_inputs;

  optind = 1;
  opterr = 0;
  int c, index = 0;
  while ((c = getopt_long(argc, argv, ":o:qh", long_options, &index)) != -1) {
    const char *problem = NULL;
    switch (c) {
      case 'o': problem = apply_option(&o, "output", optarg); break;
      case 'q': o.quiet = 1; break;
      case 'h':
        fputs(usage_text, stdout);
        help = 1;
        goto checked;
      case OPT_CONFIG: break;
      case OPT_NO_CHECKSUM: o.checksum = 0; break;
      case OPT_NAMED: problem = apply_option(&o, long_options[index].name, optarg); break;
      case OPT_FLAG: problem = apply_option(&o, long_options[index].name, "true"); break;
      case ':':
        fprintf(stderr, "regio run: option '%s' needs a value\n", argv[optind - 1]);
        rc = REGIO_ERR_USAGE;
        goto checked;
      default:
        fprintf(stderr, "regio run: unknown option '%s' (see regio --help)\n", argv[optind - 1]);
        rc = REGIO_ERR_USAGE;
        goto checked;
    }
    if (problem) {
      fprintf(stderr, "regio run: --%s %s: %s\n", c == 'o' ? "output" : long_options[index].name, optarg, problem);
      rc = REGIO_ERR_USAGE;
      goto checked;
    }
  }
  if (optind < argc) { /* inputs on the command line replace those of the config file */
    for (int i = 0; i < config_inputs; i++) free(o.inputs[i]);
    o.n_inputs = 0;
    for (int i = optind; i < argc; i++) apply_option(&o, "input", argv[i]);
  }
  if (o.n_inputs == 0) {
    fprintf(stderr, "regio run: no input files (see regio --help)\n");
    rc = REGIO_ERR_USAGE;
    goto checked;
  }
  if (!o.output) {
    fprintf(stderr, "regio run: no output file: give -o OUT.h5\n");
    rc = REGIO_ERR_USAGE;
    goto checked;
  }
  const char *contradiction = missing_companion(&o);
  if (contradiction) {
    fprintf(stderr, "regio run: %s\n", contradiction);
    rc = REGIO_ERR_USAGE;
    goto checked;
  }
  if ((rc = check_output_not_input(&o))) goto checked;
  if (o.io_table && !o.io_output_row == !o.io_output_col) {
    fprintf(stderr, "regio run: --io-table: give exactly one of --io-output-row and --io-output-col\n");
    rc = REGIO_ERR_USAGE;
    goto checked;
  }
  if (!o.io_sector_map && o.io_district_level) {
    fprintf(stderr, "regio run: --io-district-level needs --io-sector-map\n");
    rc = REGIO_ERR_USAGE;
    goto checked;
  }
  if (o.screen && !o.categories) {
    fprintf(stderr, "regio run: --screen needs --categories (a map with a use column)\n");
    rc = REGIO_ERR_USAGE;
    goto checked;
  }
  if (!o.district_cols) o.district_cols = strdup("district");
  if (!o.sector_col) o.sector_col = strdup("sector");
  if (!o.employees_col) o.employees_col = strdup("employees");

  regio_ingest_opts_t ingest;
  regio_ingest_opts_default(&ingest);
  district_cols = strdup(o.district_cols);
  ingest.n_district_cols = 0;
  for (char *save = NULL, *tok = strtok_r(district_cols, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    if (ingest.n_district_cols == REGIO_MAX_DISTRICT_COLS) {
      fprintf(stderr, "regio run: --district-col: at most %d columns\n", REGIO_MAX_DISTRICT_COLS);
      rc = REGIO_ERR_USAGE;
      goto checked;
    }
    ingest.district_cols[ingest.n_district_cols++] = tok;
  }
  if (ingest.n_district_cols == 0) {
    fprintf(stderr, "regio run: --district-col: no column name given\n");
    rc = REGIO_ERR_USAGE;
    goto checked;
  }
  ingest.sector_col = o.sector_col;
  ingest.employees_col = o.employees_col;
  ingest.establishments_col = o.establishments_col;
  ingest.actor_col = o.actor_col;
  ingest.delimiter = o.delimiter;
  ingest.sector_digits = o.sector_digits;
  ingest.on_bad_row = o.on_bad_row_skip ? REGIO_BAD_ROW_SKIP : REGIO_BAD_ROW_FAIL;
  ingest.checksum = o.checksum;
  /* the regional tables of districts grouped by code prefix: each group on one rank */
  if (o.io_sector_map) ingest.district_align_prefix = o.io_district_level;

  regio_indices_opts_t indices;
  memset(&indices, 0, sizeof indices);
  if (o.sector_levels) indices.n_levels = parse_level_list(o.sector_levels, indices.levels, REGIO_MAX_LEVELS);
  if (o.variety_levels) {
    int pair[3];
    parse_level_list(o.variety_levels, pair, 3);
    indices.variety_fine = pair[0];
    indices.variety_coarse = pair[1];
  }
  indices.specialised_lq = o.specialised_lq;
  indices.specialised_min_milli = o.specialised_min_milli;
  for (int i = 0; i < indices.n_levels; i++)
    if (indices.levels[i] > ingest.min_sector_len) ingest.min_sector_len = indices.levels[i];
  if (indices.variety_fine > ingest.min_sector_len) ingest.min_sector_len = indices.variety_fine;
  if (o.sector_digits && ingest.min_sector_len > o.sector_digits) {
    fprintf(stderr,
            "regio run: --sector-levels/--variety-levels ask for level %d but --sector-digits %d keeps only "
            "%d-character codes\n",
            ingest.min_sector_len, o.sector_digits, o.sector_digits);
    rc = REGIO_ERR_USAGE;
    goto checked;
  }

  if ((rc = check_output_path(o.output))) goto checked;

  if (regio_ctx_create(&ctx) != REGIO_OK) {
    fprintf(stderr, "regio: error: out of memory\n");
    rc = REGIO_ERR_NOMEM;
  }
checked:
  /* distributed mode: the checks above read files and directories that a rank may see alone (a
   * config file, the output's directory on a node's own disk) and every rank goes on to collective
   * calls, so all ranks take the exit code of the first that failed (it printed its message) */
  if ((rc = agree_exit_code(dist, rc)) || help) goto done;
  regio_ctx_set_threads(ctx, o.threads);
  regio_ctx_set_dist(ctx, dist);
  if (regio_dist_rank(dist) != 0) o.quiet = 1; /* rank 0 speaks for all */
  progress_state_t progress = {0};
  if (!o.quiet && isatty(STDERR_FILENO)) regio_ctx_set_progress(ctx, show_progress, &progress);

  struct timespec t[4];
  uint64_t sent[4] = {0, 0, 0, 0}; /* bytes this rank sent to others, at the same points */
  clock_gettime(CLOCK_MONOTONIC, &t[0]);
  sent[0] = regio_dist_bytes_sent(dist);
  t[1] = t[2] = t[3] = t[0];
  regio_aggregate_t *agg = NULL;
  regio_result_t *res = NULL;
  io_state_t io;
  memset(&io, 0, sizeof io);
  regio_err_t err = regio_ingest_files((const char *const *)o.inputs, (size_t)o.n_inputs, &ingest, ctx, &agg);
  clock_gettime(CLOCK_MONOTONIC, &t[1]);
  sent[1] = regio_dist_bytes_sent(dist);
  /* distributed mode: every phase ends with all ranks agreeing on its outcome, so a rank that fails
   * alone (its own block too large for its memory, ...) stops them all with its message */
  if (!err) err = regio_indices_memory_check(agg, &indices, ctx);
  err = regio_dist_agree(dist, err, ctx);
  if (!err) err = regio_indices_compute(&agg, &indices, ctx, &res);
  err = regio_dist_agree(dist, err, ctx);
  if (!err && o.categories) {
    regio_category_map_t *map = NULL;
    err = regio_dist_agree(dist, regio_category_map_read(o.categories, ctx, &map), ctx);
    if (!err) err = regio_categories_compute(res, map, ctx);
    err = regio_dist_agree(dist, err, ctx);
    regio_category_map_destroy(&map);
    if (!err && !o.quiet) { /* sectors no prefix matched count as "other": say how many, not silently */
      const regio_categories_t *cat = res->categories;
      const regio_level_t *lvl = &res->levels[cat->level];
      size_t unmapped = 0, first = (size_t)-1;
      for (size_t s = 0; s < lvl->sectors.count; s++)
        if (cat->sector_category[s] == cat->n_categories - 1 && lvl->sector_employment[s] > 0) {
          if (!unmapped) first = s;
          unmapped++;
        }
      if (unmapped)
        fprintf(stderr,
                "regio: categories: %zu of %zu sectors (%.1f%% of employment) match no code of %s and count as "
                "'other' (the first: %.*s)\n",
                unmapped, lvl->sectors.count,
                100.0 * (double)cat->category_employment[cat->n_categories - 1] / (double)res->total_employment,
                o.categories, (int)regio_codes_len(&lvl->sectors, first), regio_codes_at(&lvl->sectors, first));
    }
  }
  int64_t unknown_areas = 0;
  if (!err && o.district_area) err = regio_district_areas_apply(res, o.district_area, ctx, &unknown_areas);
  if (!err && o.io_table) err = regio_dist_agree(dist, run_io(&o, res, ctx, &io), ctx);
  if (!err && o.screen)
    err = regio_dist_agree(dist, regio_screen_compute_io(res, &o.screen_opts, io.table, io.national, io.map, ctx), ctx);
  clock_gettime(CLOCK_MONOTONIC, &t[2]);
  sent[2] = regio_dist_bytes_sent(dist);
  if (!err) {
    res->command_line = strdup(command_line);
    res->config_ini = effective_config(&o);
    if (!res->command_line || !res->config_ini) err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory");
  }
  if (!err) {
    snprintf(cli_temp_output, sizeof cli_temp_output, "%s.tmp.%ld", o.output, (long)getpid());
    regio_ctx_progress(ctx, "writing", 0.0);
    err = regio_output_write_with_io(res, o.io_table ? &io.out : NULL, o.output, cli_temp_output, ctx);
    cli_temp_output[0] = '\0';
  }
  end_progress(&progress);
  clock_gettime(CLOCK_MONOTONIC, &t[3]);
  sent[3] = regio_dist_bytes_sent(dist);
  int64_t traffic[3] = {(int64_t)(sent[1] - sent[0]), (int64_t)(sent[2] - sent[1]), (int64_t)(sent[3] - sent[2])};
  if (!err && regio_dist_size(dist) > 1) /* every rank is here: each phase ended with an agreement */
    err = regio_dist_allreduce_i64(dist, traffic, 3, REGIO_DIST_SUM, NULL, ctx);
  if (err) {
    rc = fail_with(ctx, err);
  } else if (!o.quiet) {
    if (regio_dist_size(dist) > 1)
      fprintf(stderr,
              "regio: mpi: %d ranks x %d threads; sent between ranks: read+aggregate %.3f MB, indices %.3f MB, write "
              "%.3f MB\n",
              regio_dist_size(dist), regio_ctx_threads(ctx), (double)traffic[0] * 1e-6, (double)traffic[1] * 1e-6,
              (double)traffic[2] * 1e-6);
    double phases[3] = {seconds_between(t[0], t[1]), seconds_between(t[1], t[2]), seconds_between(t[2], t[3])};
    print_summary(res, phases);
    if (res->screen) {
      fprintf(stderr, "regio: screen:");
      for (int k = 0; k < REGIO_CLASS_COUNT; k++)
        fprintf(stderr, " %s %lld;", regio_screen_class_name(k), (long long)res->screen->counts[k]);
      fprintf(stderr, "\n");
    }
    if (o.district_area && unknown_areas)
      fprintf(stderr, "regio: %s: %lld districts not in the data (ignored)\n", o.district_area,
              (long long)unknown_areas);
    fprintf(stderr, "regio: wrote %s\n", o.output);
  }
  if (!err && !o.quiet && io.regional)
    fprintf(stderr,
            "regio: io: %d sectors, %d districts regionalized (%s, %s solver, %d LU fallbacks), %d without "
            "employment; regional time %.3f s, %.3g GFLOP\n",
            io.table->n, io.n_districts, regio_io_regional_method_name(io.regional->method),
            regio_io_solver_name(io.regional->solver), io.regional->n_lu_fallbacks, io.regional->n_empty_districts,
            io.regional_seconds, io.regional->flops * 1e-9);
  io_state_free(&io);
  regio_result_destroy(&res);
  regio_aggregate_destroy(&agg);
done:
  regio_ctx_destroy(&ctx);
  free(district_cols);
  free_options(&o);
  return rc;
}

/* The command line as one shell-quoted string, for provenance. */
static char *join_command_line(int argc, char **argv) {
  char *text = NULL;
  size_t size = 0;
  FILE *f = open_memstream(&text, &size);
  if (!f) return NULL;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    int plain = *a != '\0';
    for (const char *p = a; *p; p++)
      if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=,:+@%", *p)) plain = 0;
    if (i) fputc(' ', f);
    if (plain) {
      fputs(a, f);
    } else {
      fputc('\'', f);
      for (const char *p = a; *p; p++) {
        if (*p == '\'')
          fputs("'\\''", f);
        else
          fputc(*p, f);
      }
      fputc('\'', f);
    }
  }
  fclose(f);
  return text;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fputs(usage_text, stderr);
    return REGIO_ERR_USAGE;
  }
  const char *command = argv[1];
  if (!strcmp(command, "--help") || !strcmp(command, "-h") || !strcmp(command, "help")) {
    fputs(usage_text, stdout);
    return 0;
  }
  if (!strcmp(command, "--version") || !strcmp(command, "version")) {
    printf("regio %s%s\n", REGIO_VERSION_STRING, regio_dist_available() ? " (MPI build)" : "");
    return 0;
  }
  install_signal_handlers();
  /* HDF5 1.10 leaves a file whose final flush failed (disk full, `ulimit -f`) half-closed and
   * crashes on it in its exit handler; the program closes its files itself, so that handler is off */
  H5dont_atexit();
  if (!strcmp(command, "run")) {
    char *command_line = join_command_line(argc, argv);
    /* the MPI build starts MPI here (one rank without mpirun/srun); the serial build has one process */
    regio_dist_t *dist = NULL;
    if (regio_dist_init(&argc, &argv, &dist) != REGIO_OK) {
      fprintf(stderr, "regio: error: cannot start MPI\n");
      free(command_line);
      return REGIO_ERR_INTERNAL;
    }
    int rc = cli_run_main(argc - 1, argv + 1, command_line ? command_line : "regio run", dist);
    free(command_line);
    regio_dist_finalize(&dist);
    return rc;
  }
  if (!strcmp(command, "info")) return cli_info_main(argc - 1, argv + 1);
  if (!strcmp(command, "gen")) return cli_gen_main(argc - 1, argv + 1);
  if (!strcmp(command, "io")) return cli_io_main(argc - 1, argv + 1);
  fprintf(stderr, "regio: unknown command '%s' (see regio --help)\n", command);
  return REGIO_ERR_USAGE;
}
