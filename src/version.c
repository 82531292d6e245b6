/* version.c: the library's version, fixed at build time from CMake's project(VERSION). */
#include "mrank.h"

const char *mrank_version(void) {
  return MRANK_VERSION_STRING;
}
