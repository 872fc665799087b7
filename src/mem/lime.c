/*
 * lime.c - LiME (Linux Memory Extractor) dumps in "lime" format.
 *
 * A LiME file is a sequence of ranges, each a 32-byte header followed by
 * the range's bytes:
 *
 *   u32 magic 0x4C694D45 ("EMiL" on disk), u32 version (1),
 *   u64 s_addr, u64 e_addr (inclusive), u8 reserved[8]
 *
 * Everything is little-endian. The walk stops at the end of the file; a
 * header whose range runs past the end, a bad magic in the middle, or more
 * ranges than any machine has is a format error, not a silent truncation.
 */
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>

#include "mem/mem.h"
#include "util/error.h"

#define LIME_MAGIC 0x4C694D45u
#define LIME_MAX_RANGES 65536

struct lime_header {
	uint32_t magic;
	uint32_t version;
	uint64_t s_addr;
	uint64_t e_addr;
	uint8_t reserved[8];
};

_Static_assert(sizeof(struct lime_header) == 32, "LiME header is 32 bytes");

struct cp_error *cp_lime_parse(struct cp_mem *mem, const uint8_t *buf,
			       size_t size)
{
	size_t off = 0, count = 0;
	while (off < size) {
		struct lime_header h;
		if (size - off < sizeof(h))
			return cp_error_create(CP_ERR_FORMAT,
					       "truncated LiME header at offset "
					       "%zu", off);
		memcpy(&h, buf + off, sizeof(h));
		if (h.magic != LIME_MAGIC)
			return cp_error_create(CP_ERR_FORMAT,
					       "bad LiME magic 0x%08x at offset "
					       "%zu", h.magic, off);
		if (h.version != 1)
			return cp_error_create(CP_ERR_UNSUPPORTED,
					       "LiME version %u at offset %zu",
					       h.version, off);
		if (h.e_addr < h.s_addr || h.e_addr - h.s_addr == UINT64_MAX)
			return cp_error_create(CP_ERR_FORMAT,
					       "LiME range 0x%" PRIx64 "-0x%" PRIx64
					       " at offset %zu is empty or wraps",
					       h.s_addr, h.e_addr, off);
		uint64_t len = h.e_addr - h.s_addr + 1;
		off += sizeof(h);
		if (len > size - off)
			return cp_error_create(CP_ERR_FORMAT,
					       "LiME range 0x%" PRIx64 " (0x%" PRIx64
					       " bytes) runs past the end of the "
					       "file: truncated?", h.s_addr, len);
		if (++count > LIME_MAX_RANGES)
			return cp_error_create(CP_ERR_FORMAT,
					       "more than %d LiME ranges",
					       LIME_MAX_RANGES);
		struct cp_error *err = cp_mem_add_region(mem, h.s_addr, len, off);
		if (err)
			return err;
		off += (size_t)len;
	}
	return NULL;
}

static struct cp_error *lime_open(struct cp_mem *mem, const char *arg)
{
	(void)arg;
	struct cp_error *err = cp_mem_map_file(mem, MAP_PRIVATE);
	if (err)
		return err;
	err = cp_lime_parse(mem, mem->map, mem->map_size);
	if (err)
		return err;
	return cp_mem_finish_regions(mem);
}

const struct cp_mem_ops cp_mem_lime_ops = {
	.scheme = "lime",
	.open = lime_open,
};
