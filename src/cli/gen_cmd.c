/* `regio gen`: writes a synthetic establishment table (the library's regio_gen_write). */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "regio/error.h"
#include "regio/gen.h"

static void gen_usage(FILE *out) {
  fprintf(out,
          "usage: regio gen --preset NAME [--seed N] [--rows N] [--threads N] [--gzip-level L] -o FILE[.gz]\n"
          "\n"
          "Writes a synthetic national establishment table as CSV (gzip when FILE ends in .gz or\n"
          "--gzip-level is 1..9). The same preset, seed and rows give the same bytes whatever --threads.\n"
          "\n"
          "  --preset NAME      table to generate (below)\n"
          "  --seed N           random seed, a non-negative integer (default 1)\n"
          "  --rows N           data rows (default: the preset's)\n"
          "  --threads N        threads (default: all cores)\n"
          "  --gzip-level L     0 = plain text, 1..9 = gzip level (default: 6 for .gz, else plain)\n"
          "  -o, --output FILE  output file, written to FILE.tmp.<pid> and renamed when complete\n"
          "  -h, --help         this help\n"
          "\n"
          "presets:\n");
  for (int i = 0; i < regio_gen_preset_count(); i++) {
    const regio_gen_preset_info_t *p = regio_gen_preset_at(i);
    fprintf(out, "  %-7s %" PRId64 " rows: %s\n          columns %s\n", p->name, p->default_rows, p->description,
            p->columns);
  }
}

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "regio gen: ");
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nTry 'regio gen --help'.\n");
  return REGIO_ERR_USAGE;
}

/* Parses a whole non-negative decimal integer no larger than max. */
static int parse_count(const char *text, uint64_t max, uint64_t *out) {
  if (!text || text[0] < '0' || text[0] > '9') return -1;
  errno = 0;
  char *end;
  unsigned long long v = strtoull(text, &end, 10);
  if (errno || *end != '\0' || v > max) return -1;
  *out = v;
  return 0;
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int cli_gen_main(int argc, char **argv) {
  regio_gen_opts_t opts;
  regio_gen_opts_default(&opts);
  const char *preset = NULL, *output = NULL;
  int threads = 0;

  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
      gen_usage(stdout);
      return 0;
    }
    /* --name VALUE or --name=VALUE */
    const char *value = NULL;
    char name[32];
    const char *eq = strncmp(arg, "--", 2) == 0 ? strchr(arg, '=') : NULL;
    if (eq && (size_t)(eq - arg) < sizeof name) {
      memcpy(name, arg, (size_t)(eq - arg));
      name[eq - arg] = '\0';
      value = eq + 1;
    } else {
      snprintf(name, sizeof name, "%s", arg);
      if (strlen(arg) >= sizeof name) return usage_error("unknown option '%s'", arg);
    }
    int known = strcmp(name, "--preset") == 0 || strcmp(name, "--seed") == 0 || strcmp(name, "--rows") == 0 ||
                strcmp(name, "--threads") == 0 || strcmp(name, "--gzip-level") == 0 || strcmp(name, "-o") == 0 ||
                strcmp(name, "--output") == 0;
    if (!known) return usage_error(arg[0] == '-' ? "unknown option '%s'" : "unexpected argument '%s'", arg);
    if (!value) {
      if (i + 1 >= argc) return usage_error("option '%s' needs a value", name);
      value = argv[++i];
    }
    uint64_t v;
    if (strcmp(name, "--preset") == 0) {
      preset = value;
      if (!regio_gen_preset_find(preset))
        return usage_error("unknown preset '%s' (presets: demo, kr, narrow, wide)", preset);
    } else if (strcmp(name, "--seed") == 0) {
      if (parse_count(value, UINT64_MAX, &v))
        return usage_error("--seed needs a non-negative integer, not '%s'", value);
      opts.seed = v;
    } else if (strcmp(name, "--rows") == 0) {
      if (parse_count(value, INT64_MAX, &v) || v == 0)
        return usage_error("--rows needs a positive integer, not '%s'", value);
      opts.rows = (int64_t)v;
    } else if (strcmp(name, "--threads") == 0) {
      if (parse_count(value, 4096, &v))
        return usage_error("--threads needs an integer 0..4096 (0 = all cores), not '%s'", value);
      threads = (int)v;
    } else if (strcmp(name, "--gzip-level") == 0) {
      if (parse_count(value, 9, &v)) return usage_error("--gzip-level needs an integer 0..9, not '%s'", value);
      opts.gzip_level = (int)v;
    } else {
      if (value[0] == '\0') return usage_error("%s needs a file name", name);
      output = value;
    }
  }
  if (!preset) return usage_error("%s", "no --preset given (presets: demo, kr, narrow, wide)");
  if (!output) return usage_error("%s", "no output file given (-o FILE)");
  opts.preset = preset;

  regio_ctx_t *ctx = NULL;
  if (regio_ctx_create(&ctx) != REGIO_OK) {
    fprintf(stderr, "regio gen: out of memory\n");
    return REGIO_ERR_NOMEM;
  }
  regio_ctx_set_threads(ctx, threads);
  opts.threads = regio_ctx_threads(ctx);

  if ((size_t)snprintf(cli_temp_output, sizeof cli_temp_output, "%s.tmp.%ld", output, (long)getpid()) >=
      sizeof cli_temp_output) {
    regio_ctx_destroy(&ctx);
    return usage_error("output file name too long: '%s'", output);
  }
  opts.temp_path = cli_temp_output;
  
  regio_gen_summary_t summary;
  const double start = now_seconds();
  regio_err_t err = regio_gen_write(&opts, output, ctx, &summary);
  const double seconds = now_seconds() - start;
  cli_temp_output[0] = '\0';
  if (err) {
    fprintf(stderr, "regio gen: %s\n", regio_ctx_message(ctx));
    regio_ctx_destroy(&ctx);
    return (int)err;
  }
  if (summary.gzip_level > 0)
    fprintf(stderr,
            "regio gen: wrote '%s': preset %s, seed %" PRIu64 ", %" PRId64 " rows, %d districts x %d sectors, %" PRId64
            " bytes (gzip level %d of %" PRId64 " bytes of text), %d thread%s, %.2f s\n",
            output, preset, opts.seed, summary.rows, summary.n_districts, summary.n_sectors, summary.file_bytes,
            summary.gzip_level, summary.text_bytes, summary.threads, summary.threads == 1 ? "" : "s", seconds);
  else
    fprintf(stderr,
            "regio gen: wrote '%s': preset %s, seed %" PRIu64 ", %" PRId64 " rows, %d districts x %d sectors, %" PRId64
            " bytes, %d thread%s, %.2f s\n",
            output, preset, opts.seed, summary.rows, summary.n_districts, summary.n_sectors, summary.file_bytes,
            summary.threads, summary.threads == 1 ? "" : "s", seconds);
  regio_ctx_destroy(&ctx);
  return 0;
}
