/* bench_output.c: the aligned table, the JSON document and the CSV file of `mrank bench`. */
#include <math.h>
#include <string.h>

#include "cli/bench.h"
#include "cli/json.h"

static void format_n(size_t n, char *out, size_t capacity) {
  if (n > 0 && (n & (n - 1)) == 0) {
    int power = 0;
    while (((size_t)1 << power) < n)
      ++power;
    snprintf(out, capacity, "2^%d", power);
  } else {
    snprintf(out, capacity, "%zu", n);
  }
}

void bench_print_header(FILE *out) {
  fprintf(out, "%-9s %-8s %-4s %-4s %-3s %-6s %-10s %-9s %12s %9s %7s  %s\n", "op", "of", "red",
          "type", "y", "api", "kind", "n", "time", "GB/s", "ratio", "quartiles (pairs)");
}

void bench_print_row(FILE *out, const bench_row *row) {
  char n[32], time[32];
  format_n(row->n, n, sizeof n);
  if (row->seconds >= 1e-3) {
    snprintf(time, sizeof time, "%.3f ms", row->seconds * 1e3);
  } else {
    snprintf(time, sizeof time, "%.2f us", row->seconds * 1e6);
  }
  fprintf(out, "%-9s %-8s %-4s %-4s %-3s %-6s %-10s %-9s %12s ", row->op, row->of, row->reduction,
          row->dtype, row->labels, row->api, row->kind, n, time);
  if (row->gbps > 0) {
    fprintf(out, "%9.2f ", row->gbps);
  } else {
    fprintf(out, "%9s ", "-");
  }
  if (row->ratio > 0) {
    fprintf(out, "%7.2f", row->ratio);
  } else {
    fprintf(out, "%7s", "-");
  }
  if (row->pairs > 0) fprintf(out, "  %.2f-%.2f (%d)", row->ratio_low, row->ratio_high, row->pairs);
  fputc('\n', out);
  fflush(out);
}

static void json_device(FILE *out, const bench_device *d) {
  fprintf(out, "{\"name\": ");
  mrank_json_string(out, d->name);
  fprintf(out, ", \"type\": ");
  mrank_json_string(out, d->type);
  fprintf(out, ", \"platform\": ");
  mrank_json_string(out, d->platform);
  fprintf(out, ", \"variant\": ");
  mrank_json_string(out, d->variant);
  fprintf(out, "}");
}

static void json_row(FILE *out, const bench_row *row, const bench_device *d) {
  fprintf(out,
          "    {\"op\": \"%s\", \"of\": \"%s\", \"reduction\": \"%s\", \"dtype\": \"%s\", "
          "\"labels\": \"%s\", \"api\": \"%s\", \"kind\": \"%s\", \"n\": %zu, \"loads\": %d, "
          "\"stores\": %d, \"bytes_per_element\": %g, \"seconds\": ",
          row->op, row->of, row->reduction, row->dtype, row->labels, row->api, row->kind, row->n,
          row->loads, row->stores, row->bytes);
  mrank_json_number(out, row->seconds);
  fprintf(out, ", \"gbps\": ");
  mrank_json_number(out, row->gbps);
  fprintf(out, ", \"ratio\": ");
  if (row->ratio > 0) {
    mrank_json_number(out, row->ratio);
  } else {
    fprintf(out, "null");
  }
  if (row->pairs > 0) {
    fprintf(out, ", \"ratio_q25\": ");
    mrank_json_number(out, row->ratio_low);
    fprintf(out, ", \"ratio_q75\": ");
    mrank_json_number(out, row->ratio_high);
    fprintf(out, ", \"pairs\": %d", row->pairs);
  } else {
    fprintf(out, ", \"ratio_q25\": null, \"ratio_q75\": null, \"pairs\": 0");
  }
  fprintf(out, ", \"device\": ");
  mrank_json_string(out, d->name);
  fprintf(out, "}");
}

/* One device: {"device": {...}, "results": [...]}; several: that object for the first, with
 * "devices" listing every device and "results" holding the rows of all (each names its device). */
void bench_write_json(FILE *out, const bench_device *devices, const size_t *row_counts,
                      const bench_row *const *rows, size_t device_count) {
  fprintf(out, "{\n  \"device\": ");
  json_device(out, &devices[0]);
  fprintf(out, ",\n  \"devices\": [");
  for (size_t d = 0; d < device_count; ++d) {
    if (d > 0) fprintf(out, ", ");
    json_device(out, &devices[d]);
  }
  fprintf(out, "],\n  \"results\": [\n");
  int first = 1;
  for (size_t d = 0; d < device_count; ++d) {
    for (size_t r = 0; r < row_counts[d]; ++r) {
      if (!first) fprintf(out, ",\n");
      json_row(out, &rows[d][r], &devices[d]);
      first = 0;
    }
  }
  fprintf(out, "\n  ]\n}\n");
}

static void csv_text(FILE *out, const char *text) {
  fputc('"', out);
  for (const char *c = text; *c; ++c) {
    if (*c == '"') fputc('"', out);
    fputc(*c, out);
  }
  fputc('"', out);
}

void bench_write_csv(FILE *out, const bench_device *devices, const size_t *row_counts,
                     const bench_row *const *rows, size_t device_count) {
  fprintf(out,
          "device,device_type,platform,op,of,reduction,dtype,labels,api,kind,n,loads,stores,"
          "bytes_per_element,seconds,gbps,ratio,ratio_q25,ratio_q75,pairs\n");
  for (size_t d = 0; d < device_count; ++d) {
    for (size_t r = 0; r < row_counts[d]; ++r) {
      const bench_row *row = &rows[d][r];
      csv_text(out, devices[d].name);
      fputc(',', out);
      csv_text(out, devices[d].type);
      fputc(',', out);
      csv_text(out, devices[d].platform);
      fprintf(out, ",%s,%s,%s,%s,%s,%s,%s,%zu,%d,%d,%g,%.9g,%.6g,", row->op, row->of,
              row->reduction, row->dtype, row->labels, row->api, row->kind, row->n, row->loads,
              row->stores, row->bytes, row->seconds, row->gbps);
      if (row->ratio > 0) fprintf(out, "%.6g", row->ratio);
      fputc(',', out);
      if (row->pairs > 0) fprintf(out, "%.6g,%.6g", row->ratio_low, row->ratio_high);
      if (row->pairs == 0) fputc(',', out);
      fprintf(out, ",%d\n", row->pairs);
    }
  }
}
