/*
 * vas_internal.h - the insides of struct cp_vas, shared by x86_64.c (page
 * walks and the cache) and vas_read.c (reads built on translations).
 * Nothing outside src/arch/ includes it.
 */
#ifndef CP_ARCH_VAS_INTERNAL_H
#define CP_ARCH_VAS_INTERNAL_H

#include "arch/x86_64.h"

#define CP_PAGE_SIZE 4096ull

struct cp_vas {
	struct cp_mem *mem;		/* not owned */
	uint64_t root;			/* physical, 4 KiB aligned */
	unsigned levels;		/* 4 or 5 */
	struct cp_vas_cache *cache;	/* never NULL */
	bool owns_cache;
	struct cp_vas_stats stats;
};

#endif /* CP_ARCH_VAS_INTERNAL_H */
