/*
 * fuzz_maple - the maple tree walker over arbitrary "kernel memory".
 *
 * The input is a memory image mapped at a kernel address (BASE); its first
 * 8 bytes are struct maple_tree's ma_root field's neighbour and ma_root
 * itself sits at BASE + 8, as in the lab kernels. The layout is the 6.1 ..
 * 7.x x86-64 one (see tests/unit/linux/test_maple.c). Every entry yielded
 * must have first <= last, entries must come in increasing index order
 * without overlap, and the walk must end within its bounds.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "linux/maple.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BASE 0xffff888000000000ull

struct image {
	const uint8_t *data;
	size_t size;
};

static struct cp_error *image_read(void *ctx, uint64_t va, void *buf,
				   size_t len)
{
	const struct image *im = ctx;
	if (va < BASE || va - BASE > im->size || len > im->size - (va - BASE))
		return cp_error_create(CP_ERR_FAULT, "unmapped");
	memcpy(buf, im->data + (va - BASE), len);
	return NULL;
}

struct order {
	bool any;
	uint64_t next;		/* first index the next entry may use */
	bool done;		/* an entry reached UINT64_MAX */
	size_t n;
};

static bool check(void *arg, uint64_t first, uint64_t last, uint64_t entry)
{
	struct order *o = arg;
	(void)entry;
	if (first > last || o->done || (o->any && first < o->next))
		abort();
	o->any = true;
	o->done = last == UINT64_MAX;
	o->next = last + 1;
	o->n++;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cp_maple_layout l;
	memset(&l, 0, sizeof(l));
	l.root_off = 8;
	const struct cp_maple_node_layout r64 = {
		.known = true, .pivot_off = 8, .slot_off = 128,
		.meta_end_off = 248, .npivots = 15, .nslots = 16,
	};
	l.type[1] = r64;
	l.type[1].leaf = true;
	l.type[2] = r64;
	l.type[3] = (struct cp_maple_node_layout){
		.known = true, .pivot_off = 8, .slot_off = 80,
		.meta_end_off = 240, .npivots = 9, .nslots = 10,
		.meta_end_always = true,
	};
	struct image im = { data, size };
	struct cp_maple_walk w = {
		.layout = &l, .read = image_read, .read_ctx = &im,
		.max_nodes = 4096,
	};
	struct order o = { 0 };
	struct cp_walk_stop stop = { 0 };
	cp_maple_walk(&w, BASE, check, &o, &stop);
	if (w.nodes > 4096 || w.depth > CP_MAPLE_MAX_DEPTH || o.n != w.entries)
		abort();
	return 0;
}
