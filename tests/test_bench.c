/* test_bench.c: `mrank bench` runs and writes what it promises (table, JSON with the documented
 * keys, CSV). Its figures are measurements, so they are read here only for shape, never for speed:
 * speed targets live in the benchmark's own output. */
#include <stdio.h>
#include <unistd.h>

#include "cli_run.h"
#include "helpers.h"
#include "json_check.h"

static char *read_text(const char *path) {
  FILE *file = fopen(path, "rb");
  cr_assert_not_null(file, "%s was not written", path);
  static char text[1 << 20];
  size_t got = fread(text, 1, sizeof text - 1, file);
  text[got] = '\0';
  fclose(file);
  return text;
}

/* the comma-separated fields of one line */
static size_t fields_of(const char *line) {
  size_t fields = 1;
  for (const char *c = line; *c && *c != '\n'; ++c)
    fields += *c == ',';
  return fields;
}

Test(bench, writes_the_table_json_and_csv) {
  char dir[] = "/tmp/mrank-bench-XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  char arguments[1024], json[256], csv[256];
  snprintf(json, sizeof json, "%s/bench.json", dir);
  snprintf(csv, sizeof csv, "%s/bench.csv", dir);
  snprintf(arguments, sizeof arguments, "bench --n 1000,4096 --budget 0.001 --json %s --csv %s",
           json, csv);
  char *out = NULL;
  cr_assert_eq(run_cli("", arguments, &out), 0, "%s", out);
  cr_assert_not_null(strstr(out, "roofline"), "%s", out);
  free(out);

  const char *text = read_text(json);
  cr_assert(json_is_valid(text), "not JSON:\n%s", text);
  const char *keys[] = {"\"device\": {\"name\"",
                        "\"type\"",
                        "\"platform\"",
                        "\"results\"",
                        "\"op\": \"roofline\"",
                        "\"op\": \"forward\"",
                        "\"op\": \"backward\"",
                        "\"op\": \"fused\"",
                        "\"op\": \"empty\"",
                        "\"op\": \"reference\"",
                        "\"api\": \"buffer\"",
                        "\"api\": \"host\"",
                        "\"reduction\": \"mean\"",
                        "\"dtype\": \"f32\"",
                        "\"n\": 4096",
                        "\"seconds\"",
                        "\"gbps\"",
                        "\"ratio\""};
  for (size_t k = 0; k < sizeof keys / sizeof keys[0]; ++k) {
    cr_assert_not_null(strstr(text, keys[k]), "JSON lacks %s", keys[k]);
  }
  text = read_text(csv);
  const char header[] = "device,device_type,platform,op,of,reduction,dtype,labels,api,kind,n,";
  cr_assert_eq(strncmp(text, header, strlen(header)), 0, "CSV header: %.80s", text);
  /* 2 sizes x (9 roofline + 18 op + 2 reference rows) + 1 empty + 2 launch rows, + header */
  size_t lines = 0;
  for (const char *c = text; *c; ++c)
    lines += *c == '\n';
  cr_assert_eq(lines, 1 + 2 * 29 + 3, "%zu lines:\n%s", lines, text);
  /* every row has as many fields as the header (quoted fields hold no comma here) */
  const size_t header_fields = fields_of(text);
  cr_assert_eq(header_fields, 20, "%zu header fields", header_fields);
  for (const char *line = strchr(text, '\n') + 1; *line; line = strchr(line, '\n') + 1) {
    cr_assert_eq(fields_of(line), header_fields, "row: %.120s", line);
  }
  remove(json);
  remove(csv);
  rmdir(dir);
}

Test(bench, usage_errors_exit_2) {
  char *out = NULL;
  cr_assert_eq(run_cli("", "bench --api teleport 2>&1", &out), 2);
  cr_assert_not_null(strstr(out, "buffer host"), "%s", out);
  free(out);
  cr_assert_eq(run_cli("", "bench --budget -1 2>&1", &out), 2);
  free(out);
  cr_assert_eq(run_cli("", "bench --device host 2>&1", &out), 2);
  cr_assert_not_null(strstr(out, "no OpenCL device"), "%s", out);
  free(out);
}

/* A reader of the CSV gets the JSON's figures: the ratios and their quartiles, row by row, and each
 * op row's median lies within its quartiles. */
Test(bench, csv_and_json_agree_and_ratios_have_their_spread, .timeout = 120) {
  char dir[] = "/tmp/mrank-bench-XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  char arguments[1024], json[256], csv[256];
  snprintf(json, sizeof json, "%s/bench.json", dir);
  snprintf(csv, sizeof csv, "%s/bench.csv", dir);
  snprintf(arguments, sizeof arguments,
           "bench --n 4096 --op forward --reduction none,mean --budget 0.001 --json %s --csv %s",
           json, csv);
  char *out = NULL;
  cr_assert_eq(run_cli("", arguments, &out), 0, "%s", out);
  free(out);
  static char json_text[1 << 20];
  snprintf(json_text, sizeof json_text, "%s", read_text(json));
  const char *csv_text = read_text(csv);
  int op_rows = 0;
  const char *cursor = json_text;
  for (const char *line = strchr(csv_text, '\n') + 1; *line; line = strchr(line, '\n') + 1) {
    /* fields 17 to 20: ratio, ratio_q25, ratio_q75, pairs */
    const char *field = line;
    for (int f = 1; f < 17; ++f)
      field = strchr(field, ',') + 1;
    double ratio = 0, low = 0, high = 0;
    int pairs = 0;
    if (sscanf(field, "%lf,%lf,%lf,%d", &ratio, &low, &high, &pairs) != 4) continue;
    op_rows++;
    cr_assert(low <= ratio && ratio <= high && pairs >= 15, "%.120s", line);
    const char *at = strstr(cursor, "\"ratio_q25\": ");
    while (at != NULL && at[strlen("\"ratio_q25\": ")] == 'n') /* rows without pairs: null */
      at = strstr(at + 1, "\"ratio_q25\": ");
    cr_assert_not_null(at, "the JSON has fewer op rows than the CSV");
    double json_low = 0, json_high = 0;
    cr_assert_eq(sscanf(at, "\"ratio_q25\": %lf, \"ratio_q75\": %lf", &json_low, &json_high), 2);
    const char *r = at;
    while (r > json_text && strncmp(r, "\"ratio\": ", 9) != 0)
      r--;
    double json_ratio = 0;
    cr_assert_eq(sscanf(r, "\"ratio\": %lf", &json_ratio), 1);
    /* the CSV has 6 significant digits, the JSON more */
    cr_assert(fabs(json_ratio - ratio) <= 1e-5 * ratio && fabs(json_low - low) <= 1e-5 * low &&
                  fabs(json_high - high) <= 1e-5 * high,
              "CSV %g %g %g, JSON %g %g %g", ratio, low, high, json_ratio, json_low, json_high);
    cursor = at + 1;
  }
  cr_assert_eq(op_rows, 5, "forward none and mean, buffer and host, and the reference");
  remove(json);
  remove(csv);
  rmdir(dir);
}
