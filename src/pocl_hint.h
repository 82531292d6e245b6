/* pocl_hint.h: why PoCL, installed, may list no device: it cannot create its kernel cache (an
 * unwritable HOME, pocl#325), and then says nothing itself. */
#ifndef MRANK_POCL_HINT_H
#define MRANK_POCL_HINT_H

#include <stddef.h>

/* 1, with what to do in `out`, when a PoCL platform lists no device and the folder PoCL keeps its
 * cache in ($POCL_CACHE_DIR, else $XDG_CACHE_HOME/pocl, else $HOME/.cache/pocl) cannot be
 * created; 0 otherwise. */
int mrank_pocl_cache_hint(char *out, size_t size);

#endif /* MRANK_POCL_HINT_H */
