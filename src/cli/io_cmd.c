/* `regio io FILE -o OUT.h5`: the national input-output analysis of one table (regio/io.h). */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "regio/error.h"
#include "regio/io.h"

static void io_usage(FILE *out) {
  fprintf(out,
          "usage: regio io FILE -o OUT.h5 [options]\n"
          "\n"
          "Reads a symmetric input-output table (wide CSV: a column of row labels, a header row of column\n"
          "labels) and writes the national Leontief and Ghosh analysis to OUT.h5 (group /io).\n"
          "The intermediate block is the columns whose labels also label a row, in column order.\n"
          "\n"
          "  -o, --output FILE             the HDF5 file to write (temporary name, renamed when complete)\n"
          "  --io-label-col NAME           the column of row labels (default: the first column)\n"
          "  --io-output-row LABEL         total output as a row, or\n"
          "  --io-output-col LABEL         total output as a column (one of the two is required)\n"
          "  --io-sectors N                keep the first N sectors of the block (tables with a TOTAL\n"
          "                                row and column)\n"
          "  --io-compensation-row LABEL   compensation of employees: Type I income multipliers\n"
          "  --io-value-added-rows L1,L2   rows summed into value added: Type I GVA multipliers\n"
          "  --io-employment-row LABEL     employment: Type I employment multipliers\n"
          "  --io-household-col LABEL      household consumption: Type II (with compensation)\n"
          "  --io-full-inverse             also write the Leontief inverse L and Ghosh inverse G\n"
          "  --io-sensitivity-from-ghosh   forward linkage from the row sums of G (default: of L)\n"
          "  --delimiter C                 , ; | tab (default: detected from the header)\n"
          "  -q, --quiet                   no summary on stderr\n"
          "  -h, --help                    this help\n");
}

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "regio io: ");
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nTry 'regio io --help'.\n");
  return REGIO_ERR_USAGE;
}

/* "regio io ARGS", shell-quoted where needed, for provenance (malloc'ed; NULL when out of memory). */
static char *command_line(int argc, char **argv) {
  size_t size = 16;
  for (int i = 1; i < argc; i++) size += 4 * strlen(argv[i]) + 3;
  char *text = malloc(size);
  if (!text) return NULL;
  size_t len = (size_t)snprintf(text, size, "regio io");
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    int plain = *a != '\0';
    for (const char *p = a; *p; p++)
      if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=,:+@%", *p)) plain = 0;
    text[len++] = ' ';
    if (!plain) text[len++] = '\'';
    for (const char *p = a; *p; p++) {
      if (*p == '\'' && !plain) {
        memcpy(text + len, "'\\''", 4);
        len += 4;
      } else {
        text[len++] = *p;
      }
    }
    if (!plain) text[len++] = '\'';
  }
  text[len] = '\0';
  return text;
}

/* Splits "a,b,c" into a malloc'ed array of pointers into the (modified) copy *buf. */
static int split_list(const char *text, char **buf, const char ***items) {
  size_t len = strlen(text);
  *buf = malloc(len + 1);
  *items = malloc((len / 2 + 2) * sizeof **items);
  if (!*buf || !*items) return -1;
  memcpy(*buf, text, len + 1);
  int n = 0;
  char *p = *buf;
  for (;;) {
    char *comma = strchr(p, ',');
    if (comma) *comma = '\0';
    if (!*p) return -2;
    (*items)[n++] = p;
    if (!comma) break;
    p = comma + 1;
  }
  return n;
}

static int io_main(int argc, char **argv, const char *cmd) {
  enum {
    OPT_LABEL = 256,
    OPT_OUTPUT_ROW,
    OPT_OUTPUT_COL,
    OPT_SECTORS,
    OPT_COMPENSATION,
    OPT_VALUE_ADDED,
    OPT_EMPLOYMENT,
    OPT_HOUSEHOLD,
    OPT_FULL,
    OPT_GHOSH,
    OPT_DELIMITER
  };
  static const struct option longopts[] = {{"output", required_argument, NULL, 'o'},
                                           {"io-label-col", required_argument, NULL, OPT_LABEL},
                                           {"io-output-row", required_argument, NULL, OPT_OUTPUT_ROW},
                                           {"io-output-col", required_argument, NULL, OPT_OUTPUT_COL},
                                           {"io-sectors", required_argument, NULL, OPT_SECTORS},
                                           {"io-compensation-row", required_argument, NULL, OPT_COMPENSATION},
                                           {"io-value-added-rows", required_argument, NULL, OPT_VALUE_ADDED},
                                           {"io-employment-row", required_argument, NULL, OPT_EMPLOYMENT},
                                           {"io-household-col", required_argument, NULL, OPT_HOUSEHOLD},
                                           {"io-full-inverse", no_argument, NULL, OPT_FULL},
                                           {"io-sensitivity-from-ghosh", no_argument, NULL, OPT_GHOSH},
                                           {"delimiter", required_argument, NULL, OPT_DELIMITER},
                                           {"quiet", no_argument, NULL, 'q'},
                                           {"help", no_argument, NULL, 'h'},
                                           {NULL, 0, NULL, 0}};
  regio_io_read_opts_t ro = {0};
  regio_io_national_opts_t no = {0, 0};
  const char *output = NULL, *value_added = NULL;
  int quiet = 0;
  optind = 1;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, ":o:qh", longopts, NULL)) != -1) {
    switch (c) {
      case 'o': output = optarg; break;
      case 'q': quiet = 1; break;
      case 'h': io_usage(stdout); return 0;
      case OPT_LABEL: ro.label_col = optarg; break;
      case OPT_OUTPUT_ROW: ro.output_row = optarg; break;
      case OPT_OUTPUT_COL: ro.output_col = optarg; break;
      case OPT_SECTORS: {
        char *end;
        long v = strtol(optarg, &end, 10);
        if (*optarg < '0' || *optarg > '9' || *end || v < 1 || v > 1000000)
          return usage_error("--io-sectors needs a positive integer, not '%s'", optarg);
        ro.n_sectors = (int)v;
        break;
      }
      case OPT_COMPENSATION: ro.compensation_row = optarg; break;
      case OPT_VALUE_ADDED: value_added = optarg; break;
      case OPT_EMPLOYMENT: ro.employment_row = optarg; break;
      case OPT_HOUSEHOLD: ro.household_col = optarg; break;
      case OPT_FULL: no.full_inverse = 1; break;
      case OPT_GHOSH: no.sensitivity_from_ghosh = 1; break;
      case OPT_DELIMITER:
        if (!strcmp(optarg, ",") || !strcmp(optarg, "comma"))
          ro.delimiter = ',';
        else if (!strcmp(optarg, ";") || !strcmp(optarg, "semicolon"))
          ro.delimiter = ';';
        else if (!strcmp(optarg, "|") || !strcmp(optarg, "pipe"))
          ro.delimiter = '|';
        else if (!strcmp(optarg, "tab") || !strcmp(optarg, "\t"))
          ro.delimiter = '\t';
        else
          return usage_error("--delimiter must be , ; | or tab, not '%s'", optarg);
        break;
      case ':': return usage_error("option '%s' needs a value", argv[optind - 1]);
      default: return usage_error("unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind >= argc) return usage_error("%s", "no IO table given");
  if (optind + 1 < argc) return usage_error("one IO table only, not also '%s'", argv[optind + 1]);
  const char *input = argv[optind];
  if (!output || !*output) return usage_error("%s", "no output file given (-o OUT.h5)");
  if (!ro.output_row == !ro.output_col)
    return usage_error("%s", "give exactly one of --io-output-row and --io-output-col");

  char *va_buf = NULL;
  const char **va_items = NULL;
  if (value_added) {
    int k = split_list(value_added, &va_buf, &va_items);
    if (k < 0) {
      free(va_buf);
      free(va_items);
      if (k == -1) return REGIO_ERR_NOMEM;
      return usage_error("--io-value-added-rows needs labels separated by commas, not '%s'", value_added);
    }
    ro.value_added_rows = va_items;
    ro.n_value_added_rows = k;
  }

  regio_ctx_t *ctx = NULL;
  if (regio_ctx_create(&ctx) != REGIO_OK) {
    free(va_buf);
    free(va_items);
    fprintf(stderr, "regio io: out of memory\n");
    return REGIO_ERR_NOMEM;
  }
  regio_io_table_t *table = NULL;
  regio_io_national_t *res = NULL;
  regio_err_t err = REGIO_OK;
  if ((size_t)snprintf(cli_temp_output, sizeof cli_temp_output, "%s.tmp.%ld", output, (long)getpid()) >=
      sizeof cli_temp_output) {
    cli_temp_output[0] = '\0';
    err = REGIO_ERROR(ctx, REGIO_ERR_USAGE, "output file name too long: '%s'", output);
  }
  if (!err) err = regio_io_table_read(input, &ro, ctx, &table);
  if (!err) err = regio_io_national_compute(table, &no, ctx, &res);
  if (!err) {
    cli_temp_output[0] = '\0';
    snprintf(cli_temp_output, sizeof cli_temp_output, "%s.tmp.%ld", output, (long)getpid());
    err = regio_io_write(table, res, output, cli_temp_output, cmd ? cmd : "regio io", ctx);
  }
  cli_temp_output[0] = '\0';
  if (err) {
    fprintf(stderr, "regio: error: %s\n", regio_ctx_message(ctx));
  } else if (!quiet) {
    fprintf(stderr, "regio: %s: %d sectors, rcond(I - A) %.3g%s\n", input, res->n, res->rcond,
            res->n_zero_output ? " (some sectors have zero output)" : "");
    if (res->n_zero_output)
      fprintf(stderr, "regio: %d sectors with zero output (/io/national/zero_output)\n", res->n_zero_output);
    fprintf(stderr, "regio: wrote %s\n", output);
  }
  regio_io_national_destroy(&res);
  regio_io_table_destroy(&table);
  regio_ctx_destroy(&ctx);
  free(va_buf);
  free(va_items);
  return (int)err;
}

int cli_io_main(int argc, char **argv) {
  /* before getopt_long, which permutes argv */
  char *cmd = command_line(argc, argv);
  int rc = io_main(argc, argv, cmd);
  free(cmd);
  return rc;
}
