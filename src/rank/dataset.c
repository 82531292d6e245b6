/* dataset.c: the SVMlight / LETOR reader and the LightGBM group-file reader. Every malformed input
 * is an error that names file, line and column and says what was expected; nothing half-loaded is
 * handed out. */
#include "rank/dataset.h"

#include "rank/atomic_file.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct entry {
  size_t row, column; /* column is 0-based */
  float value;
} entry;

typedef struct growing {
  void *items;
  size_t count, capacity, size;
} growing;

static int grow(growing *g) {
  if (g->count < g->capacity) return 1;
  const size_t capacity = g->capacity ? 2 * g->capacity : 1024;
  void *items = realloc(g->items, capacity * g->size);
  if (items == NULL) return 0;
  g->items = items;
  g->capacity = capacity;
  return 1;
}

static void say(char *error, size_t size, const char *format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(error, size, format, args);
  va_end(args);
}

void rank_dataset_free(rank_dataset *data) {
  free(data->x);
  free(data->labels);
  free(data->query_start);
  free(data->qid);
  memset(data, 0, sizeof *data);
}

/* A parser over one line: position and the line's number for messages. */
typedef struct cursor {
  const char *name;
  const char *line_start, *p, *end; /* the current line: its start, the position, its end */
  size_t line;
  const char *next, *end_of_text; /* where the next line starts, and the text's end */
} cursor;

/* Moves to the next line and past its leading blanks; 0 at the end of the text. A line holds
 * content unless it is blank or a comment: c->p < c->end && *c->p != '#'. */
static int next_line(cursor *c) {
  if (c->next >= c->end_of_text) return 0;
  c->p = c->line_start = c->next;
  c->line++;
  const char *newline = memchr(c->p, '\n', (size_t)(c->end_of_text - c->p));
  c->end = newline != NULL ? newline : c->end_of_text;
  c->next = newline != NULL ? newline + 1 : c->end_of_text;
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r'))
    c->p++;
  return 1;
}

static size_t column_of(const cursor *c, const char *at) {
  return (size_t)(at - c->line_start) + 1;
}

static void skip_blanks(cursor *c) {
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r'))
    c->p++;
}

/* the token at c->p up to a blank, '#' or the line's end */
static size_t token_length(const cursor *c) {
  const char *q = c->p;
  while (q < c->end && *q != ' ' && *q != '\t' && *q != '\r' && *q != '#')
    q++;
  return (size_t)(q - c->p);
}

/* Any length strtod reads is a number: a token too long for the buffer on the stack (a value
 * written with 100 digits) is copied to the heap instead of being refused. */
/* Up to 40 bytes of a token as a message shows them: what cannot be seen (a byte-order mark, a
 * carriage return, other control or non-ASCII bytes) as \xNN, so that "found" names it. */
static const char *visible(const char *at, size_t length, char *out, size_t size) {
  size_t used = 0;
  for (size_t k = 0; k < length && k < 40 && used + 5 < size; ++k) {
    const unsigned char b = (unsigned char)at[k];
    if (b >= 0x20 && b < 0x7f) {
      out[used++] = (char)b;
    } else {
      used += (size_t)snprintf(out + used, size - used, "\\x%02X", b);
    }
  }
  out[used] = '\0';
  return out;
}

/* A carriage return followed by more of the line: the file's lines end in CR alone (classic Mac
 * OS), so what looks like many lines is one. 0 with the message. */
static int no_inner_carriage_return(const cursor *c, char *error, size_t error_size) {
  for (const char *q = c->p; q < c->end; ++q) {
    if (*q != '\r') continue;
    const char *after = q + 1;
    while (after < c->end && (*after == ' ' || *after == '\t' || *after == '\r'))
      after++;
    if (after == c->end) return 1;
    say(error, error_size,
        "%s:%zu:%zu: a carriage return (\\r) in the middle of a line: the file's lines end in CR "
        "alone (classic Mac OS); convert them to \\n first (tr '\\r' '\\n' < FILE > NEW)",
        c->name, c->line, column_of(c, q));
    return 0;
  }
  return 1;
}

static int parse_number(const char *text, size_t length, double *value) {
  char small[64];
  if (length == 0) return 0;
  char *buffer = length < sizeof small ? small : malloc(length + 1);
  if (buffer == NULL) return 0;
  memcpy(buffer, text, length);
  buffer[length] = '\0';
  char *end = NULL;
  errno = 0;
  *value = strtod(buffer, &end);
  /* an underflow (1e-400) is a number, read as 0 or a denormal; an overflow (1e400) is not */
  const int ok = *end == '\0' && (errno != ERANGE || fabs(*value) <= DBL_MIN) && isfinite(*value);
  if (buffer != small) free(buffer);
  return ok;
}

/* Features and labels are held in float. */
static int beyond_float(double value) {
  return fabs(value) > FLT_MAX;
}

/* the words of the error for an index beyond the feature count: callers add where the count
 * came from (rank_error_beyond_features) */
#define BEYOND_FEATURES "is beyond --features"

int rank_error_beyond_features(const char *error) {
  return strstr(error, BEYOND_FEATURES) != NULL;
}

static int parse_unsigned(const char *text, size_t length, unsigned long long *value) {
  char buffer[32];
  if (length == 0 || length >= sizeof buffer || !isdigit((unsigned char)text[0])) return 0;
  memcpy(buffer, text, length);
  buffer[length] = '\0';
  char *end = NULL;
  errno = 0;
  *value = strtoull(buffer, &end, 10);
  return *end == '\0' && errno == 0;
}

typedef struct parsed {
  growing labels, qids, entries;
  growing run_lines; /* the line where each run of one qid begins */
  size_t max_column;
  int qid_lines, plain_lines;
} parsed;

static void free_parsed(parsed *p) {
  free(p->labels.items);
  free(p->qids.items);
  free(p->entries.items);
  free(p->run_lines.items);
}

static int out_of_memory(const cursor *c, char *error, size_t error_size) {
  say(error, error_size, "%s:%zu: out of memory", c->name, c->line);
  return 0;
}

/* The relevance label that starts a line (a byte-order mark on line 1 is named as such). */
static int parse_label(cursor *c, const rank_read_limits *limits, parsed *out, char *error,
                       size_t error_size) {
  const char *at = c->p;
  const size_t length = token_length(c);
  double label;
  char shown[200];
  if (!no_inner_carriage_return(c, error, error_size)) return 0;
  if (c->line == 1 && at == c->line_start && length >= 3 && memcmp(at, "\xEF\xBB\xBF", 3) == 0) {
    say(error, error_size,
        "%s:1:1: the file starts with a UTF-8 byte-order mark (bytes EF BB BF), which SVMlight / "
        "LETOR text does not have; save it without one (sed -i '1s/^\\xEF\\xBB\\xBF//' FILE)",
        c->name);
    return 0;
  }
  if (!parse_number(c->p, length, &label)) {
    say(error, error_size, "%s:%zu:%zu: expected a relevance label (a number), found \"%s\"",
        c->name, c->line, column_of(c, at), visible(at, length, shown, sizeof shown));
    return 0;
  }
  if (beyond_float(label)) {
    say(error, error_size, "%s:%zu:%zu: the label %.*s is beyond the range of float (3.4e38)",
        c->name, c->line, column_of(c, at), (int)(length > 40 ? 40 : length), at);
    return 0;
  }
  if (limits->max_label >= 0 && !(label >= 0 && label <= limits->max_label)) {
    say(error, error_size,
        "%s:%zu:%zu: the relevance label %.*s is outside 0..%g (gains are 2^label - 1; "
        "--max-label N allows labels up to N)",
        c->name, c->line, column_of(c, at), (int)(length > 40 ? 40 : length), at,
        limits->max_label);
    return 0;
  }
  if (!grow(&out->labels)) return out_of_memory(c, error, error_size);
  ((float *)out->labels.items)[out->labels.count++] = (float)label;
  c->p += length;
  skip_blanks(c);
  return 1;
}

/* The optional qid:Q token of row `row` (0 without one), and where each run of one qid begins. */
static int parse_qid(cursor *c, size_t row, parsed *out, char *error, size_t error_size) {
  unsigned long long qid = 0;
  int has_qid = 0;
  if (c->end - c->p >= 4 && strncmp(c->p, "qid:", 4) == 0) {
    const char *at = c->p;
    const size_t length = token_length(c);
    if (!parse_unsigned(c->p + 4, length - 4, &qid)) {
      say(error, error_size, "%s:%zu:%zu: expected qid:<non-negative integer>, found \"%.*s\"",
          c->name, c->line, column_of(c, at), (int)(length > 40 ? 40 : length), at);
      return 0;
    }
    has_qid = 1;
    c->p += length;
    skip_blanks(c);
  }
  if (!grow(&out->qids)) return out_of_memory(c, error, error_size);
  unsigned long long *qids = out->qids.items;
  if (row == 0 || qids[row - 1] != qid) {
    if (!grow(&out->run_lines)) return out_of_memory(c, error, error_size);
    ((size_t *)out->run_lines.items)[out->run_lines.count++] = c->line;
  }
  qids[out->qids.count++] = qid;
  out->qid_lines += has_qid;
  out->plain_lines += !has_qid;
  return 1;
}

/* The index of an index:value token (digits before the colon), 1 or more and above `previous`. */
static int parse_index(const cursor *c, const char *at, size_t digits, unsigned long long previous,
                       unsigned long long *index, char *error, size_t error_size) {
  char shown[200];
  if (!parse_unsigned(c->p, digits, index) || *index == 0) {
    /* all digits, not all zeros, yet not read: more than an index can be */
    const int all_digits = digits > 0 && strspn(c->p, "0123456789") >= digits;
    if (all_digits && strspn(c->p, "0") < digits) {
      say(error, error_size,
          "%s:%zu:%zu: feature index %s is too large (mrank reads indices up to %zu)", c->name,
          c->line, column_of(c, at), visible(c->p, digits, shown, sizeof shown),
          (size_t)RANK_MAX_FEATURES);
    } else {
      say(error, error_size,
          "%s:%zu:%zu: expected a feature index of 1 or more before ':', found \"%s\"", c->name,
          c->line, column_of(c, at), visible(c->p, digits, shown, sizeof shown));
    }
    return 0;
  }
  if (*index <= previous) {
    say(error, error_size,
        "%s:%zu:%zu: feature index %llu does not increase (the one before "
        "was %llu)",
        c->name, c->line, column_of(c, at), *index, previous);
    return 0;
  }
  return 1;
}

/* One index:value token of row `row`; *previous is the index before it, then this one. */
static int parse_feature(cursor *c, size_t row, size_t features, unsigned long long *previous,
                         parsed *out, char *error, size_t error_size) {
  const char *at = c->p;
  const size_t length = token_length(c);
  const char *colon = memchr(c->p, ':', length);
  unsigned long long index = 0;
  double value;
  char shown[200];
  if (colon == NULL) {
    say(error, error_size, "%s:%zu:%zu: expected index:value, found \"%s\"", c->name, c->line,
        column_of(c, at), visible(at, length, shown, sizeof shown));
    return 0;
  }
  if (!parse_index(c, at, (size_t)(colon - c->p), *previous, &index, error, error_size)) return 0;
  const size_t value_length = length - (size_t)(colon - c->p) - 1;
  const int shown_length = (int)(value_length > 40 ? 40 : value_length);
  if (value_length == 0) {
    say(error, error_size, "%s:%zu:%zu: feature %llu has no value after ':'", c->name, c->line,
        column_of(c, colon + 1), index);
    return 0;
  }
  if (!parse_number(colon + 1, value_length, &value)) {
    say(error, error_size, "%s:%zu:%zu: feature %llu: expected a finite number, found \"%.*s\"",
        c->name, c->line, column_of(c, colon + 1), index, shown_length, colon + 1);
    return 0;
  }
  if (beyond_float(value)) {
    say(error, error_size, "%s:%zu:%zu: feature %llu: %.*s is beyond the range of float (3.4e38)",
        c->name, c->line, column_of(c, colon + 1), index, shown_length, colon + 1);
    return 0;
  }
  if (index > RANK_MAX_FEATURES) {
    say(error, error_size, "%s:%zu:%zu: feature index %llu is too large (at most %zu)", c->name,
        c->line, column_of(c, at), index, RANK_MAX_FEATURES);
    return 0;
  }
  if (features > 0 && index > features) {
    say(error, error_size, "%s:%zu:%zu: feature index %llu " BEYOND_FEATURES " %zu", c->name,
        c->line, column_of(c, at), index, features);
    return 0;
  }
  *previous = index;
  if (index > out->max_column) out->max_column = (size_t)index;
  if (value != 0.0) {
    if (!grow(&out->entries)) return out_of_memory(c, error, error_size);
    entry *e = &((entry *)out->entries.items)[out->entries.count++];
    e->row = row;
    e->column = (size_t)index - 1;
    e->value = (float)value;
  }
  c->p += length;
  skip_blanks(c);
  return 1;
}

/* One data line: label, optional qid, index:value pairs, optional comment. */
static int parse_line(cursor *c, size_t row, const rank_read_limits *limits, parsed *out,
                      char *error, size_t error_size) {
  if (!parse_label(c, limits, out, error, error_size)) return 0;
  if (!parse_qid(c, row, out, error, error_size)) return 0;
  unsigned long long previous = 0;
  while (c->p < c->end && *c->p != '#') {
    if (!parse_feature(c, row, limits->features, &previous, out, error, error_size)) return 0;
  }
  return 1;
}

/* Groups from a LightGBM group file: counts that must add up to the document count. */
static int parse_groups(const char *name, const char *text, size_t length, size_t docs,
                        growing *starts, char *error, size_t error_size) {
  cursor c = {name, text, text, text, 0, text, text + length};
  size_t total = 0;
  if (!grow(starts)) return 0;
  ((size_t *)starts->items)[starts->count++] = 0;
  while (next_line(&c)) {
    if (c.p < c.end && *c.p != '#') {
      const size_t token = token_length(&c);
      unsigned long long count;
      if (!parse_unsigned(c.p, token, &count) || count == 0) {
        say(error, error_size,
            "%s:%zu:%zu: expected a document count (a positive integer), found "
            "\"%.*s\"",
            name, c.line, column_of(&c, c.p), (int)(token > 40 ? 40 : token), c.p);
        return 0;
      }
      total += (size_t)count;
      if (total > docs) {
        say(error, error_size,
            "%s:%zu: the group counts reach %zu documents, but the data has only "
            "%zu",
            name, c.line, total, docs);
        return 0;
      }
      if (!grow(starts)) return 0;
      ((size_t *)starts->items)[starts->count++] = total;
      c.p += token;
      skip_blanks(&c);
      if (c.p < c.end && *c.p != '#') {
        say(error, error_size, "%s:%zu:%zu: expected one count per line", name, c.line,
            column_of(&c, c.p));
        return 0;
      }
    }
  }
  if (total != docs) {
    say(error, error_size, "%s: the group counts add up to %zu documents, but the data has %zu",
        name, total, docs);
    return 0;
  }
  return 1;
}

/* A NUL byte is not text: a line holding one would be cut short without a word (C strings), so
 * it is refused with its place. 1 when there is none. */
static int no_nul_byte(const char *name, const char *text, size_t length, char *error,
                       size_t error_size) {
  const char *nul = memchr(text, '\0', length);
  if (nul == NULL) return 1;
  size_t line = 1;
  const char *line_start = text;
  for (const char *q = text; q < nul; ++q) {
    if (*q == '\n') {
      line++;
      line_start = q + 1;
    }
  }
  say(error, error_size,
      "%s:%zu:%zu: a NUL byte: the file is binary or corrupt, not SVMlight / LETOR text", name,
      line, (size_t)(nul - line_start) + 1);
  return 0;
}

typedef struct qid_run {
  unsigned long long qid;
  size_t run; /* its place among the runs of consecutive lines with one qid */
} qid_run;

static int by_qid_then_run(const void *a, const void *b) {
  const qid_run *x = a, *y = b;
  return x->qid < y->qid ? -1 : x->qid > y->qid ? 1 : (x->run > y->run) - (x->run < y->run);
}

/* A qid whose lines are split by other queries would silently become two queries: refuse it,
 * naming the line where it comes back. run_qid[k] and run_line[k]: the qid and first line of the
 * k-th run of consecutive lines with one qid. 0 (and a message) when some qid has two runs. */
static int queries_are_consecutive(const char *name, const unsigned long long *run_qid,
                                   const size_t *run_line, size_t runs, char *error,
                                   size_t error_size) {
  qid_run *order = malloc((runs > 0 ? runs : 1) * sizeof *order);
  if (order == NULL) {
    say(error, error_size, "%s: out of memory for %zu queries", name, runs);
    return 0;
  }
  for (size_t k = 0; k < runs; ++k)
    order[k] = (qid_run){run_qid[k], k};
  qsort(order, runs, sizeof *order, by_qid_then_run);
  size_t again = runs, first = 0;
  for (size_t k = 1; k < runs; ++k) {
    if (order[k].qid == order[k - 1].qid && order[k].run < again) {
      again = order[k].run;
      first = order[k - 1].run;
    }
  }
  free(order);
  if (again == runs) return 1;
  say(error, error_size,
      "%s:%zu: qid %llu comes back after other queries (its lines began at line %zu); the lines "
      "of a query must be consecutive: sort the file by qid, keeping each query's lines in order",
      name, run_line[again], run_qid[again], run_line[first]);
  return 0;
}

int rank_dataset_parse(const char *name, const char *text, size_t length, const char *groups_name,
                       const char *groups, size_t groups_length, size_t features, rank_dataset *out,
                       char *error, size_t error_size) {
  const rank_read_limits limits = {features, -1.0};
  return rank_dataset_parse_checked(name, text, length, groups_name, groups, groups_length, &limits,
                                    out, error, error_size);
}

void rank_byte_size(double bytes, char *out, size_t size) {
  if (bytes < 1024.0 * 1024.0) {
    snprintf(out, size, "%.0f bytes", bytes);
  } else if (bytes < 1024.0 * 1024.0 * 1024.0) {
    snprintf(out, size, "%.1f MiB", bytes / (1024.0 * 1024.0));
  } else {
    snprintf(out, size, "%.1f GiB", bytes / (1024.0 * 1024.0 * 1024.0));
  }
}

/* MRANK_MAX_DENSE_BYTES: the largest dense matrix a file may ask for (default 16 GiB). 0 and a
 * message when the variable is set to something that is not a byte count. */
static int dense_limit(unsigned long long *limit, char *error, size_t error_size) {
  *limit = 16ull << 30;
  const char *text = getenv("MRANK_MAX_DENSE_BYTES");
  if (text == NULL || text[0] == '\0') return 1;
  char *end = NULL;
  errno = 0;
  const unsigned long long value = strtoull(text, &end, 10);
  if (!isdigit((unsigned char)text[0]) || *end != '\0' || errno != 0 || value == 0) {
    say(error, error_size,
        "MRANK_MAX_DENSE_BYTES=\"%s\" is not a byte count; unset it (16 GiB) or give a whole "
        "number of bytes, 1 or more",
        text);
    return 0;
  }
  *limit = value;
  return 1;
}

/* LETOR: consecutive lines with one qid form a query; a qid may not come back after another. The
 * queries' first rows (and rows at the end) into starts; 0 with a message. */
static int qid_queries(const char *name, const parsed *p, size_t rows, growing *starts, char *error,
                       size_t error_size) {
  const unsigned long long *qids = p->qids.items;
  if (!grow(starts)) goto memory;
  ((size_t *)starts->items)[starts->count++] = 0;
  for (size_t r = 1; r <= rows; ++r) {
    if (r == rows || qids[r] != qids[r - 1]) {
      if (!grow(starts)) goto memory;
      ((size_t *)starts->items)[starts->count++] = r;
    }
  }
  const size_t runs = starts->count - 1;
  unsigned long long *run_qid = malloc(runs * sizeof *run_qid);
  if (run_qid == NULL) goto memory;
  for (size_t k = 0; k < runs; ++k)
    run_qid[k] = qids[((size_t *)starts->items)[k]];
  const int consecutive =
      queries_are_consecutive(name, run_qid, p->run_lines.items, runs, error, error_size);
  free(run_qid);
  return consecutive;
memory:
  say(error, error_size, "%s: out of memory for %zu documents", name, rows);
  return 0;
}

int rank_dataset_parse_checked(const char *name, const char *text, size_t length,
                               const char *groups_name, const char *groups, size_t groups_length,
                               const rank_read_limits *limits, rank_dataset *out, char *error,
                               size_t error_size) {
  const size_t features = limits->features;
  parsed p;
  memset(&p, 0, sizeof p);
  p.labels.size = sizeof(float);
  p.qids.size = sizeof(unsigned long long);
  p.entries.size = sizeof(entry);
  p.run_lines.size = sizeof(size_t);
  growing starts = {NULL, 0, 0, sizeof(size_t)};
  memset(out, 0, sizeof *out);
  cursor c = {name, text, text, text, 0, text, text + length};
  size_t rows = 0;
  if (!no_nul_byte(name, text, length, error, error_size)) goto fail;
  if (groups != NULL && !no_nul_byte(groups_name, groups, groups_length, error, error_size)) {
    goto fail;
  }
  while (next_line(&c)) {
    if (c.p < c.end && *c.p != '#') { /* blank and comment lines are allowed */
      if (!parse_line(&c, rows, limits, &p, error, error_size)) goto fail;
      rows++;
    }
  }
  if (rows == 0) {
    say(error, error_size, "%s: no documents (every line is blank or a comment)", name);
    goto fail;
  }
  if (p.qid_lines > 0 && p.plain_lines > 0) {
    say(error, error_size, "%s: %d lines have qid: and %d do not; give every line a qid or none",
        name, p.qid_lines, p.plain_lines);
    goto fail;
  }
  const unsigned long long *qids = p.qids.items;
  if (p.qid_lines > 0 && !qid_queries(name, &p, rows, &starts, error, error_size)) goto fail;
  if (groups != NULL) {
    growing from_file = {NULL, 0, 0, sizeof(size_t)};
    if (!parse_groups(groups_name, groups, groups_length, rows, &from_file, error, error_size)) {
      free(from_file.items);
      goto fail;
    }
    if (p.qid_lines > 0 &&
        (from_file.count != starts.count ||
         memcmp(from_file.items, starts.items, starts.count * sizeof(size_t)) != 0)) {
      say(error, error_size,
          "%s and %s disagree: the qid: tokens make %zu queries, the group file "
          "%zu (or other boundaries); give one of them",
          name, groups_name, starts.count - 1, from_file.count - 1);
      free(from_file.items);
      goto fail;
    }
    free(starts.items);
    starts = from_file;
  }
  out->docs = rows;
  out->features = features > 0 ? features : p.max_column;
  if (out->features == 0) out->features = 1;
  /* the matrix is dense: a small file can ask for a huge one (one line with index 16 million), so
   * its size has a limit, MRANK_MAX_DENSE_BYTES (default 16 GiB) */
  unsigned long long limit = 0;
  if (!dense_limit(&limit, error, error_size)) goto fail;
  if (out->features > RANK_MAX_FEATURES || rows > (size_t)-1 / sizeof(float) / out->features ||
      (unsigned long long)rows * out->features * sizeof(float) > limit) {
    char needed[64], allowed[64];
    rank_byte_size((double)rows * (double)out->features * sizeof(float), needed, sizeof needed);
    rank_byte_size((double)limit, allowed, sizeof allowed);
    say(error, error_size,
        "%s: %zu documents x %zu features would take %s as a dense matrix, more than the limit "
        "of %s (set MRANK_MAX_DENSE_BYTES, or check the feature indices)",
        name, rows, out->features, needed, allowed);
    goto fail;
  }
  out->x = calloc(rows * out->features, sizeof(float));
  out->labels = p.labels.items;
  p.labels.items = NULL;
  if (out->x == NULL) goto memory;
  const entry *entries = p.entries.items;
  for (size_t e = 0; e < p.entries.count; ++e) {
    out->x[entries[e].row * out->features + entries[e].column] = entries[e].value;
  }
  if (starts.count > 1) {
    out->queries = starts.count - 1;
    out->query_start = starts.items;
    starts.items = NULL;
    out->qid = malloc(out->queries * sizeof *out->qid);
    if (out->qid == NULL) goto memory;
    for (size_t q = 0; q < out->queries; ++q) {
      out->qid[q] = p.qid_lines > 0 ? qids[out->query_start[q]] : q;
    }
  }
  free(starts.items);
  free_parsed(&p);
  return 1;
memory:
  say(error, error_size, "%s: out of memory for %zu documents", name, rows);
fail:
  free(starts.items);
  free_parsed(&p);
  rank_dataset_free(out);
  return 0;
}

int rank_dataset_load(const char *path, const char *query_path, size_t features, rank_dataset *out,
                      char *error, size_t error_size) {
  const rank_read_limits limits = {features, -1.0};
  return rank_dataset_load_checked(path, query_path, &limits, out, error, error_size);
}

int rank_dataset_load_checked(const char *path, const char *query_path,
                              const rank_read_limits *limits, rank_dataset *out, char *error,
                              size_t error_size) {
  size_t length = 0, groups_length = 0;
  memset(out, 0, sizeof *out);
  char *text = rank_read_file(path, &length, error, error_size);
  if (text == NULL) return 0;
  char *groups = NULL;
  if (query_path != NULL) {
    groups = rank_read_file(query_path, &groups_length, error, error_size);
    if (groups == NULL) {
      free(text);
      return 0;
    }
  }
  const int ok =
      rank_dataset_parse_checked(strcmp(path, "-") == 0 ? "standard input" : path, text, length,
                                 query_path, groups, groups_length, limits, out, error, error_size);
  free(text);
  free(groups);
  return ok;
}

int rank_dataset_write(const rank_dataset *data, const size_t *order, size_t count,
                       const char *path, char *error, size_t error_size) {
  rank_atomic_file out;
  if (!rank_atomic_open(&out, path)) {
    say(error, error_size, "%s: cannot write: %s", path, strerror(errno));
    return 0;
  }
  for (size_t k = 0; k < count; ++k) {
    const size_t q = order[k];
    for (size_t d = data->query_start[q]; d < data->query_start[q + 1]; ++d) {
      fprintf(out.file, "%.9g qid:%llu", data->labels[d], data->qid[q]);
      for (size_t f = 0; f < data->features; ++f) {
        const float v = data->x[d * data->features + f];
        if (v != 0.0f) fprintf(out.file, " %zu:%.9g", f + 1, v);
      }
      fputc('\n', out.file);
    }
  }
  if (!rank_atomic_commit(&out)) {
    say(error, error_size, "%s: cannot write: %s", path, strerror(errno));
    return 0;
  }
  return 1;
}

int rank_dataset_write_lines(const rank_dataset *data, const char *text, size_t length, int add_qid,
                             const size_t *order, size_t count, const char *path, char *error,
                             size_t error_size) {
  /* where each document's line starts and ends, by the reader's rule (blank and comment lines
   * hold no document) */
  const char **starts = malloc((data->docs + 1) * 2 * sizeof *starts);
  if (starts == NULL) {
    say(error, error_size, "%s: out of memory", path);
    return 0;
  }
  cursor c = {"", NULL, NULL, NULL, 0, text, text + length};
  size_t doc = 0;
  while (doc < data->docs && next_line(&c)) {
    if (c.p < c.end && *c.p != '#') {
      starts[2 * doc] = c.line_start;
      starts[2 * doc + 1] = c.end;
      doc++;
    }
  }
  if (doc != data->docs) {
    free(starts);
    say(error, error_size, "%s: the text holds %zu documents, the data %zu", path, doc, data->docs);
    return 0;
  }
  rank_atomic_file out;
  if (!rank_atomic_open(&out, path)) {
    free(starts);
    say(error, error_size, "%s: cannot write: %s", path, strerror(errno));
    return 0;
  }
  for (size_t k = 0; k < count; ++k) {
    const size_t q = order[k];
    for (size_t d = data->query_start[q]; d < data->query_start[q + 1]; ++d) {
      const char *line = starts[2 * d], *end = starts[2 * d + 1];
      if (add_qid) {
        /* after the label: the first token of the line */
        const char *label = line;
        while (label < end && (*label == ' ' || *label == '\t'))
          label++;
        while (label < end && *label != ' ' && *label != '\t' && *label != '#')
          label++;
        fwrite(line, 1, (size_t)(label - line), out.file);
        fprintf(out.file, " qid:%llu", data->qid[q]);
        line = label;
      }
      fwrite(line, 1, (size_t)(end - line), out.file);
      fputc('\n', out.file);
    }
  }
  free(starts);
  if (!rank_atomic_commit(&out)) {
    say(error, error_size, "%s: cannot write: %s", path, strerror(errno));
    return 0;
  }
  return 1;
}
