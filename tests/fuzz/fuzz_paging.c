/*
 * fuzz_paging.c - x86-64 page walks and virtual reads over hostile page
 * tables.
 *
 * Input: an 8-byte header (root page number, paging depth, cache sizes),
 * eight virtual addresses, then guest-physical memory (the rest, from
 * address 0). The same tables are walked through a zero-copy source and a
 * live-like one (reads through ops->read and read_batch, tiny caches that
 * evict), and both must agree: a translation cache may never change an
 * answer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64.h"
#include "mem/mem.h"
#include "util/error.h"

struct image {
	const uint8_t *data;
	size_t size;
};

static struct cp_error *img_read(struct cp_mem *mem,
				 const struct cp_mem_region *r, uint64_t off,
				 void *buf, size_t len)
{
	const struct image *im = mem->priv;
	memcpy(buf, im->data + r->where + off, len);
	return NULL;
}

static struct cp_error *img_read_batch(struct cp_mem *mem,
				       const struct cp_mem_chunk *c, size_t n,
				       size_t *done)
{
	for (size_t i = 0; i < n; i++)
		img_read(mem, c[i].region, c[i].off, c[i].buf, c[i].len);
	*done = n;
	return NULL;
}

static void img_close(struct cp_mem *mem)
{
	mem->map = NULL;	/* not ours to munmap */
}

static const struct cp_mem_ops mapped_ops = { .scheme = "fuzz",
					      .close = img_close };
static const struct cp_mem_ops live_ops = { .scheme = "fuzz",
					    .read = img_read,
					    .read_batch = img_read_batch,
					    .close = img_close };

static struct cp_mem *img_mem(struct image *im, bool mapped)
{
	struct cp_mem *mem = calloc(1, sizeof(*mem));
	if (!mem)
		return NULL;
	mem->ops = mapped ? &mapped_ops : &live_ops;
	mem->fd = -1;
	mem->priv = im;
	if (mapped) {
		mem->map = im->data;
		mem->map_size = im->size;
	}
	struct cp_error *err = cp_mem_add_region(mem, 0, im->size, 0);
	if (!err)
		err = cp_mem_finish_regions(mem);
	if (err) {
		cp_error_destroy(err);
		cp_mem_close(mem);
		return NULL;
	}
	return mem;
}

/* Runs every operation; fills out[] with what each address yielded. */
static void exercise(struct cp_vas *vas, const uint64_t *va, size_t nva,
		     uint64_t *out)
{
	for (size_t i = 0; i < nva; i++) {
		struct cp_vas_translation t;
		struct cp_error *err = cp_vas_translate(vas, va[i], &t);
		out[i] = err ? (uint64_t)-cp_error_code(err) : t.paddr;
		cp_error_destroy(err);

		uint8_t buf[200];
		size_t len = (va[i] & 0xff) % sizeof(buf);
		cp_error_destroy(cp_vas_read(vas, va[i], buf, len));
		char *s = NULL;
		err = cp_vas_read_string(vas, va[i], 64 + (va[i] & 0x1fff),
					 &s, NULL);
		cp_error_destroy(err);
		free(s);
		uint64_t p;
		cp_error_destroy(cp_vas_read_ptr(vas, va[i], &p));
	}
	uint8_t bufs[8][300];
	struct cp_vas_request reqs[8];
	for (size_t i = 0; i < nva && i < 8; i++)
		reqs[i] = (struct cp_vas_request){
			.va = va[i] - 50, .buf = bufs[i],
			.len = 1 + (va[i] >> 3) % sizeof(bufs[i]) };
	cp_error_destroy(cp_vas_read_batch(vas, reqs, nva < 8 ? nva : 8));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const size_t nva = 8, head = 8 + nva * 8;
	if (size < head + 8)
		return 0;
	uint32_t root_page;
	memcpy(&root_page, data, 4);
	unsigned levels = data[4] & 1 ? 5 : 4;
	size_t tlb = data[5] & 15, tables = data[6] & 7;
	uint64_t va[8];
	memcpy(va, data + 8, sizeof(va));
	/* The image is the rest, in whole pages' worth of addresses. */
	struct image im = { data + head, size - head };
	uint64_t root = (uint64_t)(root_page % 64) << 12;

	struct cp_mem *mapped = img_mem(&im, true);
	struct cp_mem *live = img_mem(&im, false);
	if (mapped && live) {
		struct cp_vas *a = NULL, *b = NULL;
		struct cp_vas_cache *cache = NULL;
		uint64_t ra[8], rb[8];
		if (!cp_vas_create(mapped, root, levels, NULL, &a) &&
		    !cp_vas_cache_create(tlb, tables, &cache) &&
		    !cp_vas_create(live, root, levels, cache, &b)) {
			exercise(a, va, nva, ra);
			exercise(b, va, nva, rb);
			/* Twice: the second pass runs on warm caches. */
			exercise(b, va, nva, rb);
			if (memcmp(ra, rb, sizeof(ra)) != 0)
				abort();
			cp_vas_flush(b);
			exercise(b, va, nva, rb);
			if (memcmp(ra, rb, sizeof(ra)) != 0)
				abort();
		}
		uint64_t pgd;
		bool pti;
		cp_error_destroy(cp_x86_kernel_pgd(live, va[0], &pgd, &pti));
		cp_vas_destroy(a);
		cp_vas_destroy(b);
		cp_vas_cache_destroy(cache);
	}
	cp_mem_close(mapped);
	cp_mem_close(live);
	return 0;
}
