/*
 * scan.c - visiting all of guest-physical memory in windows.
 *
 * Carvers (banner, VMCOREINFO, BTF, kallsyms) search physical memory for
 * structures. cp_mem_scan() hands them the memory in windows: a whole
 * region at once when the source is mapped (zero copy), else 1 MiB reads
 * that overlap by the caller's `overlap`, so a pattern up to that long is
 * never split between two windows. A region the source cannot read is an
 * error, not a silent skip.
 */
#include <stdlib.h>
#include <string.h>

#include "mem/mem.h"
#include "mem/scan.h"
#include "util/error.h"

#define SCAN_WINDOW (1u << 20)

const uint8_t *cp_find(const uint8_t *hay, size_t n, const void *needle,
		       size_t len)
{
	const uint8_t *nd = needle, *p = hay, *end = hay + n;
	if (len == 0 || n < len)
		return NULL;
	while ((size_t)(end - p) >= len &&
	       (p = memchr(p, nd[0], (size_t)(end - p) - len + 1))) {
		if (memcmp(p + 1, nd + 1, len - 1) == 0)
			return p;
		p++;
	}
	return NULL;
}

uint64_t cp_mem_bytes_below(const struct cp_mem *mem, uint64_t paddr)
{
	uint64_t n = 0;
	for (size_t i = 0; i < mem->nregions; i++) {
		const struct cp_mem_range *r = &mem->regions[i].range;
		if (paddr <= r->start)
			break;
		n += paddr - r->start < r->size ? paddr - r->start : r->size;
	}
	return n;
}

struct cp_error *cp_mem_scan(struct cp_mem *mem, size_t overlap,
			     cp_mem_scan_fn *fn, void *arg, uint64_t *scanned)
{
	uint64_t done = 0;
	struct cp_error *err = NULL;
	uint8_t *buf = NULL;

	for (size_t i = 0; i < mem->nregions; i++) {
		const struct cp_mem_range *r = &mem->regions[i].range;
		const void *p = r->size <= SIZE_MAX ?
					cp_mem_map(mem, r->start, (size_t)r->size) :
					NULL;
		if (p) {
			done += r->size;
			if (fn(arg, r->start, p, (size_t)r->size))
				goto out;
			continue;
		}
		if (!buf && !(buf = malloc(SCAN_WINDOW + overlap))) {
			err = &cp_enomem;
			goto out;
		}
		for (uint64_t off = 0; off < r->size;) {
			uint64_t left = r->size - off;
			size_t n = left < SCAN_WINDOW + overlap ?
					   (size_t)left :
					   SCAN_WINDOW + overlap;
			err = cp_mem_read(mem, r->start + off, buf, n);
			if (err)
				goto out;
			/* Count the window before the callback may stop: it
			 * was read and searched either way. */
			done += n > overlap && off + n < r->size ? n - overlap : n;
			if (fn(arg, r->start + off, buf, n))
				goto out;
			if (n == left)
				break;
			off += n - overlap;
		}
	}
out:
	free(buf);
	if (scanned)
		*scanned = done;
	return err;
}
