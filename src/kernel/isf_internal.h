/*
 * isf_internal.h - helpers shared by ISF export and import (see isf.c).
 * Internal to src/kernel/.
 */
#ifndef CP_KERNEL_ISF_INTERNAL_H
#define CP_KERNEL_ISF_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cloudprobe.h"

/*
 * A string -> uint32 hash map. Keys are not copied: they must outlive the
 * map (they point into the BTF or the parsed JSON).
 */
struct cp_isf_map_entry {
	const char *key;
	uint32_t hash;
	uint32_t value;
};

struct cp_isf_map {
	struct cp_isf_map_entry *e;
	size_t mask;		/* capacity - 1 */
	size_t n;
};

bool cp_isf_map_init(struct cp_isf_map *m, size_t expected);
void cp_isf_map_deinit(struct cp_isf_map *m);
/* The value stored for key, or NULL. */
uint32_t *cp_isf_map_get(const struct cp_isf_map *m, const char *key);
/* Stores or replaces; false when out of memory. */
bool cp_isf_map_put(struct cp_isf_map *m, const char *key, uint32_t value);

/* Base64 (RFC 4648, padded). *len is in/out: bytes in, bytes out. */
char *cp_isf_base64_encode(const uint8_t *data, size_t len);
uint8_t *cp_isf_base64_decode(const char *text, size_t *len);

/* Reads a whole regular file of at most max bytes, NUL-terminated. */
struct cp_error *cp_isf_read_file(const char *path, size_t max, char **ret,
				  size_t *len);

/* Kernel image mapping on x86-64: [__START_KERNEL_map, MODULES_VADDR). */
#define CP_ISF_KERNEL_MAP_START 0xffffffff80000000ull
#define CP_ISF_KERNEL_MAP_END 0xffffffffc0000000ull

#endif /* CP_KERNEL_ISF_INTERNAL_H */
