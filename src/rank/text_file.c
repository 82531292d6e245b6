/* text_file.c: a whole text file in memory, refused early when it is not text or cannot fit. */
#include "rank/text_file.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host_memory.h"
#include "regular_file.h"

static void say(char *error, size_t size, const char *format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(error, size, format, args);
  va_end(args);
}

/* The line and column of the NUL byte at text + at, in the reader's message. */
static void say_nul(const char *shown, const char *text, size_t at, char *error,
                    size_t error_size) {
  size_t line = 1, line_start = 0;
  for (size_t k = 0; k < at; ++k) {
    if (text[k] == '\n') {
      line++;
      line_start = k + 1;
    }
  }
  say(error, error_size, "%s:%zu:%zu: a NUL byte: the file is binary or corrupt, not text", shown,
      line, at - line_start + 1);
}

/* The most text a read may hold: what the machine has available (a file that size could not be
 * parsed beside its own text anyway), or no bound when that is unknown. */
static size_t text_bound(void) {
  const size_t available = mrank_host_memory_available();
  return available > 0 ? available : (size_t)-1;
}

/* Reads descriptor fd to its end, checking each block for a NUL byte and the total against the
 * bound. A non-blocking descriptor (a FIFO or pipe) waits in poll for data or for its writer to
 * close, never for a writer that is not there (its read then ends at once). NULL with the message
 * on failure. */
static char *read_all(int fd, const char *shown, size_t expected, size_t *length, char *error,
                      size_t error_size) {
  const size_t bound = text_bound();
  size_t capacity = expected + 1 > (1u << 16) ? expected + 1 : (1u << 16), used = 0;
  char *text = malloc(capacity + 1);
  while (text != NULL) {
    const ssize_t got = read(fd, text + used, capacity - used);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      struct pollfd wait = {fd, POLLIN, 0};
      if (poll(&wait, 1, -1) < 0 && errno != EINTR) {
        say(error, error_size, "%s: cannot read: %s", shown, strerror(errno));
        free(text);
        return NULL;
      }
      continue;
    }
    if (got < 0) {
      say(error, error_size, "%s: cannot read: %s", shown, strerror(errno));
      free(text);
      return NULL;
    }
    if (got == 0) break;
    const char *nul = memchr(text + used, '\0', (size_t)got);
    if (nul != NULL) {
      say_nul(shown, text, (size_t)(nul - text), error, error_size);
      free(text);
      return NULL;
    }
    used += (size_t)got;
    if (used > bound) {
      say(error, error_size,
          "%s: more than %zu bytes, the memory this machine has available; stopped reading "
          "(is it the file you meant?)",
          shown, bound);
      free(text);
      return NULL;
    }
    if (used < capacity) continue;
    char *grown = realloc(text, 2 * capacity + 1);
    if (grown == NULL) free(text);
    text = grown;
    capacity *= 2;
  }
  if (text == NULL) {
    say(error, error_size, "%s: cannot read: out of memory", shown);
    return NULL;
  }
  text[used] = '\0';
  *length = used;
  return text;
}

/* A FIFO or pipe, opened without waiting for a writer and read without blocking on one that is
 * not there: a named FIFO nobody writes to gives no data at once, and says so. */
static char *read_stream(const char *path, size_t *length, char *error, size_t error_size) {
  const int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  struct stat info;
  if (fd < 0 || fstat(fd, &info) != 0 || !S_ISFIFO(info.st_mode)) {
    say(error, error_size, "%s: cannot open: %s", path, fd < 0 ? strerror(errno) : "it changed");
    if (fd >= 0) close(fd);
    return NULL;
  }
  char *text = read_all(fd, path, 0, length, error, error_size);
  close(fd);
  if (text != NULL && *length == 0) {
    say(error, error_size,
        "%s: a FIFO (named pipe) that gave no data: no process was writing to it (start the "
        "writer first, or give a regular file)",
        path);
    free(text);
    return NULL;
  }
  return text;
}

char *rank_read_file(const char *path, size_t *length, char *error, size_t error_size) {
  if (strcmp(path, "-") == 0) {
    struct stat info;
    if (fstat(STDIN_FILENO, &info) == 0 && S_ISDIR(info.st_mode)) {
      say(error, error_size, "standard input: is a directory, not a file; give the path of a file");
      return NULL;
    }
    return read_all(STDIN_FILENO, "standard input", 0, length, error, error_size);
  }
  if (path[0] == '\0') {
    say(error, error_size, "an empty file name; give the path of a file");
    return NULL;
  }
  struct stat info;
  memset(&info, 0, sizeof info);
  char why[256];
  /* a FIFO or pipe (`--data <(zcat data.gz)`) is read as a stream, as standard input is */
  const int stream = stat(path, &info) == 0 && S_ISFIFO(info.st_mode);
  if (stream) return read_stream(path, length, error, error_size);
  const int fd = mrank_open_regular(path, 0, &info, why, sizeof why);
  if (fd < 0) {
    if (S_ISDIR(info.st_mode) && strstr(why, "a directory,") != NULL) {
      say(error, error_size, "%s: is a directory, not a file; give the path of a file", path);
    } else if (strstr(why, "not a regular file") != NULL) {
      say(error, error_size, "%s: %s; give a regular file (or - for standard input)", path, why);
    } else {
      say(error, error_size, "%s: cannot open: %s", path, why);
    }
    return NULL;
  }
  if ((unsigned long long)info.st_size > (unsigned long long)text_bound()) {
    say(error, error_size,
        "%s: %lld bytes, more than the %zu bytes of memory this machine has available", path,
        (long long)info.st_size, text_bound());
    close(fd);
    return NULL;
  }
  char *text = read_all(fd, path, (size_t)info.st_size, length, error, error_size);
  close(fd);
  return text;
}
