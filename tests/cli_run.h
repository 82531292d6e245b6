/* cli_run.h: run the mrank command from a test and capture what it prints. */
#ifndef MRANK_TEST_CLI_RUN_H
#define MRANK_TEST_CLI_RUN_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

/* Runs `MRANK_CLI_PATH arguments` through the shell (environment assignments may lead `prefix`) and
 * returns its exit status; *output gets stdout (and stderr with " 2>&1" in arguments), malloc'd. */
static inline int run_cli(const char *prefix, const char *arguments, char **output) {
  char command[4096];
  snprintf(command, sizeof command, "%s '%s' %s", prefix, MRANK_CLI_PATH, arguments);
  FILE *pipe = popen(command, "r");
  if (pipe == NULL) return -1;
  size_t capacity = 1 << 16, used = 0;
  char *text = malloc(capacity);
  size_t got;
  while (text != NULL && (got = fread(text + used, 1, capacity - used - 1, pipe)) > 0) {
    used += got;
    if (used + 1 == capacity) {
      char *grown = realloc(text, capacity * 2);
      if (grown == NULL) break;
      text = grown;
      capacity *= 2;
    }
  }
  if (text != NULL) text[used] = '\0';
  int status = pclose(pipe);
  *output = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A whole file as a malloc'd string, or NULL when it cannot be read. */
static inline char *read_text_file(const char *path) {
  FILE *file = fopen(path, "rb");
  if (file == NULL) return NULL;
  char *text = NULL;
  long length = -1;
  if (fseek(file, 0, SEEK_END) == 0) length = ftell(file);
  if (length >= 0 && fseek(file, 0, SEEK_SET) == 0) text = malloc((size_t)length + 1);
  if (text != NULL && fread(text, 1, (size_t)length, file) == (size_t)length) {
    text[length] = '\0';
  } else {
    free(text);
    text = NULL;
  }
  fclose(file);
  return text;
}

#endif /* MRANK_TEST_CLI_RUN_H */
