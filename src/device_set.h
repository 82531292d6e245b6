/* device_set.h: selectors that name several devices at once ("all", "gpu:all", "cpu:all",
 * "accelerator:all", or a comma list of single selectors such as "0:0,0:1"), resolved against the
 * device list. */
#ifndef MRANK_DEVICE_SET_H
#define MRANK_DEVICE_SET_H

#include "device.h"

/* The most devices one context spans. */
#define MRANK_MAX_DEVICES 16

/* 1 when the selector names a set rather than one device (a comma, "all", or "TYPE:all"). */
int mrank_selector_is_set(const char *selector);

/* Resolves a set selector: chosen[0 .. *chosen_count) are indices into entries, in the order the
 * list gives (or the list's own order for "all"), each device once. `origin` is added to messages.
 */
mrank_status mrank_resolve_device_set(const char *selector, const char *origin,
                                      const mrank_device_entry *entries, size_t count,
                                      size_t *chosen, size_t *chosen_count);

/* The same against the present devices: choices[0 .. *chosen_count). */
mrank_status mrank_select_device_set(const char *selector, const char *origin,
                                     mrank_device_choice *choices, size_t *chosen_count);

#endif /* MRANK_DEVICE_SET_H */
