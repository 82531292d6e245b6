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
