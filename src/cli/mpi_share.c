/* mpi_share.c: a rank's share of a data file by byte range (see mpi_share.h). */
#define _FILE_OFFSET_BITS 64
#define _POSIX_C_SOURCE 200809L
#include "cli/mpi_share.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "regular_file.h"

typedef long long offset;

/* The bytes [a, b) of the file (NUL-terminated), or NULL. */
static char *read_range(FILE *file, offset a, offset b) {
  char *text = malloc((size_t)(b - a) + 1);
  if (text == NULL) return NULL;
  if (fseeko(file, a, SEEK_SET) != 0 || fread(text, 1, (size_t)(b - a), file) != (size_t)(b - a)) {
    free(text);
    return NULL;
  }
  text[b - a] = '\0';
  return text;
}

/* One line at `at` (up to, not including, its newline) read into a growing buffer; the offset of
 * the next line, or -1 at the end of the file. */
static offset read_line(FILE *file, offset at, char **line, size_t *capacity) {
  if (fseeko(file, at, SEEK_SET) != 0) return -1;
  ssize_t got = getline(line, capacity, file);
  if (got <= 0) return -1;
  return at + (offset)got;
}

/* A line with a document: not blank, not a comment. */
static int is_data(const char *line) {
  while (*line == ' ' || *line == '\t' || *line == '\r')
    ++line;
  return *line != '\0' && *line != '\n' && *line != '#';
}

/* The qid token's value ("" when the line has none), into qid. */
static void qid_of(const char *line, char *qid, size_t size) {
  qid[0] = '\0';
  const char *hash = strchr(line, '#');
  const char *found = strstr(line, "qid:");
  if (found == NULL || (hash != NULL && found > hash)) return;
  found += 4;
  size_t n = strcspn(found, " \t\r\n#");
  if (n >= size) n = size - 1;
  memcpy(qid, found, n);
  qid[n] = '\0';
}

/* The first line starting at or after pos. */
static offset line_start_at_or_after(FILE *file, offset pos, offset size) {
  if (pos <= 0) return 0;
  if (pos >= size) return size;
  if (fseeko(file, pos - 1, SEEK_SET) != 0) return size;
  int c;
  offset at = pos - 1;
  while ((c = fgetc(file)) != EOF) {
    ++at;
    if (c == '\n') return at;
  }
  return size;
}

/* The qid of the last data line starting before `line_start` ("" when none). */
static void previous_qid(FILE *file, offset line_start, char *qid, size_t size) {
  qid[0] = '\0';
  offset end = line_start; /* the previous line ends at end - 1 (its newline) */
  char *line = NULL;
  size_t capacity = 0;
  while (end > 0) {
    offset begin = end - 1; /* at the newline of the line before */
    while (begin > 0) {
      if (fseeko(file, begin - 1, SEEK_SET) != 0) break;
      if (fgetc(file) == '\n') break;
      --begin;
    }
    if (read_line(file, begin, &line, &capacity) < 0) break;
    if (is_data(line)) {
      qid_of(line, qid, size);
      break;
    }
    end = begin;
  }
  free(line);
}

/* By qid: the first line at or after pos that starts a query (its qid differs from the data line
 * before it); the file's size when none does. */
static offset query_start_by_qid(FILE *file, offset pos, offset size) {
  offset at = line_start_at_or_after(file, pos, size);
  if (at == 0 || at >= size) return at;
  char before[256], here[256];
  previous_qid(file, at, before, sizeof before);
  char *line = NULL;
  size_t capacity = 0;
  offset found = size;
  while (at < size) {
    const offset next = read_line(file, at, &line, &capacity);
    if (next < 0) break;
    if (is_data(line)) {
      qid_of(line, here, sizeof here);
      if (strcmp(here, before) != 0) {
        found = at;
        break;
      }
    }
    at = next;
  }
  free(line);
  return found;
}

/* Data lines starting in [a, b), and the offset of the k-th of them (k counted from 0), or of the
 * first line starting at or after b when there are not k + 1. */
static size_t count_data_lines(FILE *file, offset a, offset b, offset size) {
  char *line = NULL;
  size_t capacity = 0, count = 0;
  offset at = line_start_at_or_after(file, a, size);
  while (at < b) {
    const offset next = read_line(file, at, &line, &capacity);
    if (next < 0) break;
    count += is_data(line);
    at = next;
  }
  free(line);
  return count;
}

/* The offset of the data line `skip` data lines after the first line starting at or after a (the
 * file's size when the file ends first). */
static offset data_line_offset(FILE *file, offset a, size_t skip, offset size) {
  char *line = NULL;
  size_t capacity = 0;
  offset at = line_start_at_or_after(file, a, size);
  while (at < size) {
    const offset next = read_line(file, at, &line, &capacity);
    if (next < 0) break;
    if (is_data(line)) {
      if (skip == 0) break;
      --skip;
    }
    at = next;
  }
  free(line);
  return at < size ? at : size;
}

/* The group file's counts (one per line). */
static size_t *read_groups(const char *path, size_t *count, char *error, size_t error_size) {
  struct stat info;
  char why[256] = "";
  const int fd = mrank_open_regular(path, 0, &info, why, sizeof why);
  FILE *file = fd >= 0 ? fdopen(fd, "r") : NULL;
  if (file == NULL) {
    if (fd >= 0) close(fd);
    snprintf(error, error_size, "%s: cannot open the group file: %s", path, why);
    return NULL;
  }
  size_t capacity = 1024, n = 0;
  size_t *groups = malloc(capacity * sizeof *groups);
  unsigned long long value;
  while (groups != NULL && fscanf(file, "%llu", &value) == 1) {
    if (n == capacity) {
      size_t *grown = realloc(groups, 2 * capacity * sizeof *groups);
      if (grown == NULL) break;
      groups = grown;
      capacity *= 2;
    }
    groups[n++] = (size_t)value;
  }
  fclose(file);
  *count = n;
  return groups;
}

/* "NAME:LINE:COLUMN: what" (the parser's, LINE counted in the share) becomes "PATH:LINE:COLUMN:
 * what" with the file's own line number. */
static void file_line_numbers(char *error, size_t error_size, const char *name, const char *path,
                              size_t first_line) {
  const size_t length = strlen(name);
  if (strncmp(error, name, length) != 0 || error[length] != ':') return;
  char *end = NULL;
  const unsigned long long line = strtoull(error + length + 1, &end, 10);
  if (end == error + length + 1 || *end != ':') return;
  char rest[2048];
  snprintf(rest, sizeof rest, "%s", end);
  snprintf(error, error_size, "%s:%llu%s", path, line + first_line - 1, rest);
}

typedef struct query_place {
  unsigned long long qid, document; /* the query's qid and its first document (1-based) */
} query_place;

static int by_qid_then_document(const void *a, const void *b) {
  const query_place *x = a, *y = b;
  if (x->qid != y->qid) return x->qid < y->qid ? -1 : 1;
  return (x->document > y->document) - (x->document < y->document);
}

/* A qid whose lines are split between two ranks' shares would silently become two queries, where
 * one process refuses it: every rank gathers every share's qids (collective) and refuses the same
 * one, so the ranks agree. `here` holds this rank's queries (none when its share failed). 1 when
 * every qid is one run of lines. */
static int queries_not_split(MPI_Comm comm, const char *path, const rank_dataset *here,
                             size_t first_document, char *error, size_t error_size) {
  int ranks = 1;
  MPI_Comm_size(comm, &ranks);
  const int count = (int)(2 * here->queries);
  int *counts = malloc((size_t)ranks * sizeof *counts),
      *displs = malloc((size_t)ranks * sizeof *displs);
  unsigned long long *mine = malloc(((size_t)count + 1) * sizeof *mine);
  int ok = counts != NULL && displs != NULL && mine != NULL;
  for (size_t q = 0; ok && q < here->queries; ++q) {
    mine[2 * q] = here->qid[q];
    mine[2 * q + 1] = first_document + here->query_start[q];
  }
  MPI_Allgather(ok ? &count : &(int){0}, 1, MPI_INT, counts, 1, MPI_INT, comm);
  size_t total = 0;
  for (int r = 0; ok && r < ranks; ++r) {
    displs[r] = (int)total;
    total += (size_t)counts[r];
  }
  query_place *all = ok ? malloc((total / 2 + 1) * sizeof *all) : NULL;
  MPI_Allgatherv(mine, ok ? count : 0, MPI_UNSIGNED_LONG_LONG, all, counts, displs,
                 MPI_UNSIGNED_LONG_LONG, comm);
  int split = 0;
  if (all != NULL) {
    qsort(all, total / 2, sizeof *all, by_qid_then_document);
    for (size_t k = 1; k < total / 2 && !split; ++k) {
      if (all[k].qid != all[k - 1].qid) continue;
      snprintf(error, error_size,
               "%s: qid %llu comes back after other queries (at document %llu; its documents "
               "began at document %llu); the lines of a query must be consecutive: sort the file "
               "by qid, keeping each query's lines in order",
               path, all[k].qid, all[k].document, all[k - 1].document);
      split = 1;
    }
  } else {
    snprintf(error, error_size, "%s: out of memory checking the queries across ranks", path);
  }
  free(all);
  free(mine);
  free(counts);
  free(displs);
  return all != NULL && !split;
}

int mpi_read_share(MPI_Comm comm, const char *path, const char *query_path,
                   const rank_read_limits *limits, rank_dataset *out, mpi_share *share, char *error,
                   size_t error_size) {
  int rank = 0, ranks = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &ranks);
  memset(out, 0, sizeof *out);
  memset(share, 0, sizeof *share);
  struct stat info;
  char why[256] = "";
  const int fd = strcmp(path, "-") == 0 ? -1 : mrank_open_regular(path, 0, &info, why, sizeof why);
  FILE *file = fd >= 0 ? fdopen(fd, "rb") : NULL;
  if (fd >= 0 && file == NULL) close(fd);
  const offset size = file != NULL ? (offset)info.st_size : 0;
  const offset lo = size * rank / ranks, hi = size * (rank + 1) / ranks;
  /* every rank takes part in the scans below even when its file failed to open, so that the
   * collective calls stay matched; the failure is reported after them */
  unsigned long long lines_here = file != NULL ? count_data_lines(file, lo, hi, size) : 0;
  unsigned long long lines_before = 0;
  MPI_Exscan(&lines_here, &lines_before, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, comm);
  if (rank == 0) lines_before = 0;
  share->first_line = (size_t)lines_before + 1;
  char *groups_text = NULL;
  size_t groups_length = 0;
  offset start = 0, end = 0;
  unsigned long long queries_here = 0;
  int ok = file != NULL;
  if (!ok && strcmp(path, "-") == 0) {
    snprintf(error, error_size,
             "-: --mpi reads each rank's share of a file by byte range, which standard input "
             "cannot give; write the data to a file and name it");
  } else if (!ok) {
    snprintf(error, error_size, "%s: cannot open: %s", path, why[0] ? why : strerror(errno));
  }
  if (ok && query_path != NULL) {
    size_t group_count = 0;
    size_t *groups = read_groups(query_path, &group_count, error, error_size);
    ok = groups != NULL;
    /* the queries whose first data line is one of this rank's */
    size_t first_query = group_count, last_query = group_count, before = 0, line = 0;
    size_t first_line = 0, owned_lines = 0;
    for (size_t q = 0; ok && q < group_count; ++q) {
      if (line < lines_before) before = q + 1;
      if (line >= lines_before && line < lines_before + lines_here) {
        if (first_query == group_count) {
          first_query = q;
          first_line = line;
        }
        last_query = q + 1;
        owned_lines += groups[q];
      }
      line += groups[q];
    }
    if (ok) {
      queries_here = first_query < group_count ? last_query - first_query : 0;
      share->first_query = first_query < group_count ? first_query : before;
      start = queries_here > 0 ? data_line_offset(file, lo, first_line - (size_t)lines_before, size)
                               : lo;
      end = queries_here > 0 ? data_line_offset(file, start, owned_lines, size) : start;
      groups_text = malloc(queries_here * 24 + 1);
      ok = groups_text != NULL;
      for (size_t k = 0; ok && k < queries_here; ++k) {
        groups_length +=
            (size_t)sprintf(groups_text + groups_length, "%zu\n", groups[first_query + k]);
      }
      if (ok) groups_text[groups_length] = '\0';
      share->first_line = (queries_here > 0 ? first_line : (size_t)lines_before) + 1;
    }
    free(groups);
  } else if (ok) {
    start = query_start_by_qid(file, lo, size);
    end = rank + 1 < ranks ? query_start_by_qid(file, hi, size) : size;
    if (end < start) end = start;
    share->first_line = (size_t)lines_before + count_data_lines(file, lo, start, size) + 1;
  }
  char *text = ok && end > start ? read_range(file, start, end) : NULL;
  if (ok && end > start && text == NULL) {
    snprintf(error, error_size, "%s: cannot read bytes %lld..%lld", path, start, end);
    ok = 0;
  }
  if (file != NULL) fclose(file);
  /* no query starts in this rank's bytes: an empty share (the caller says what to do) */
  if (ok && end > start) {
    char name[4200];
    snprintf(name, sizeof name, "%s (rank %d's share from line %zu)", path, rank,
             share->first_line);
    ok = rank_dataset_parse_checked(name, text != NULL ? text : "",
                                    text != NULL ? (size_t)(end - start) : 0, query_path,
                                    groups_text, groups_length, limits, out, error, error_size);
    if (!ok) file_line_numbers(error, error_size, name, path, share->first_line);
  }
  free(text);
  free(groups_text);
  if (query_path == NULL) {
    /* every rank takes part, a failed one with no queries, so the collective calls stay matched */
    const rank_dataset none = {0};
    char split[1024];
    const int whole =
        queries_not_split(comm, path, ok ? out : &none, share->first_line, split, sizeof split);
    if (ok && !whole) {
      snprintf(error, error_size, "%s", split);
      rank_dataset_free(out);
      ok = 0;
    }
    /* by qid: the share's queries are counted once read */
    queries_here = ok ? out->queries : 0;
    unsigned long long before = 0;
    MPI_Exscan(&queries_here, &before, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, comm);
    share->first_query = rank == 0 ? 0 : (size_t)before;
  }
  unsigned long long total = 0;
  MPI_Allreduce(&queries_here, &total, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, comm);
  share->total_queries = (size_t)total;
  return ok;
}
