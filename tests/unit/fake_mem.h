/*
 * fake_mem.h - a memory source over a test's buffer that behaves like a
 * live source: no zero-copy map, reads through ops->read (and, if asked,
 * ops->read_batch), call counters, holes, and a switch that makes it die
 * the way a QEMU process does. For tests of code above cp_mem (paging,
 * batching) that must not depend on mmap-able files.
 */
#ifndef CP_TESTS_FAKE_MEM_H
#define CP_TESTS_FAKE_MEM_H

#include <errno.h>

#include "unit.h"
#include "mem/mem.h"
#include "util/error.h"

struct fake_mem {
	const uint8_t *buf;	/* guest-physical 0..size, minus the hole */
	size_t size;
	uint64_t hole_start, hole_end;	/* [start, end): no region */
	unsigned reads;		/* ops->read calls */
	unsigned batches;	/* ops->read_batch calls */
	unsigned chunks;	/* chunks handed to read_batch */
	size_t max_chunks;	/* asserted bound per read_batch call */
	uint64_t fault_at;	/* a paddr inside a region that EFAULTs (0:
				 * none), as an unmapped HVA would */
	bool dead;		/* every read fails like an exited process */
};

static struct cp_error *fake_read_one(struct fake_mem *f, uint64_t paddr,
				      void *buf, size_t len)
{
	if (f->dead)
		return cp_error_os(ESRCH, "fake: process exited");
	if (f->fault_at && paddr <= f->fault_at && f->fault_at < paddr + len)
		return cp_error_create(CP_ERR_FAULT, "fake: bad address 0x%llx",
				       (unsigned long long)f->fault_at);
	memcpy(buf, f->buf + paddr, len);
	return NULL;
}

static struct cp_error *fake_read(struct cp_mem *mem,
				  const struct cp_mem_region *r, uint64_t off,
				  void *buf, size_t len)
{
	struct fake_mem *f = mem->priv;
	f->reads++;
	return fake_read_one(f, r->where + off, buf, len);
}

static struct cp_error *fake_read_batch(struct cp_mem *mem,
					const struct cp_mem_chunk *c, size_t n,
					size_t *done)
{
	struct fake_mem *f = mem->priv;
	f->batches++;
	if (f->max_chunks)
		assert_true(n <= f->max_chunks);
	for (size_t i = 0; i < n; i++) {
		f->chunks++;
		struct cp_error *err = fake_read_one(
			f, c[i].region->where + c[i].off, c[i].buf, c[i].len);
		if (err) {
			*done = i;
			return err;
		}
	}
	*done = n;
	return NULL;
}

static void fake_close(struct cp_mem *mem)
{
	free(mem->priv);
}

static const struct cp_mem_ops fake_ops = {
	.scheme = "fake", .read = fake_read, .close = fake_close,
};
static const struct cp_mem_ops fake_batch_ops = {
	.scheme = "fake", .read = fake_read, .read_batch = fake_read_batch,
	.close = fake_close,
};

/*
 * A fake source over buf[0..size) with no memory in [hole_start,
 * hole_end); hole_start == hole_end != 0 gives two adjacent regions. The
 * struct fake_mem is owned by mem.
 */
static inline struct cp_mem *fake_mem_new(const uint8_t *buf, size_t size,
					  uint64_t hole_start,
					  uint64_t hole_end, bool batch,
					  struct fake_mem **ret)
{
	struct cp_mem *mem = calloc(1, sizeof(*mem));
	struct fake_mem *f = calloc(1, sizeof(*f));
	assert_non_null(mem);
	assert_non_null(f);
	f->buf = buf;
	f->size = size;
	f->hole_start = hole_start;
	f->hole_end = hole_end;
	mem->ops = batch ? &fake_batch_ops : &fake_ops;
	mem->fd = -1;
	mem->priv = f;
	if (hole_end > hole_start || hole_start) {
		/* An empty hole still splits: two adjacent regions. */
		assert_ok(cp_mem_add_region(mem, 0, hole_start, 0));
		assert_ok(cp_mem_add_region(mem, hole_end, size - hole_end,
					    hole_end));
	} else {
		assert_ok(cp_mem_add_region(mem, 0, size, 0));
	}
	assert_ok(cp_mem_finish_regions(mem));
	*ret = f;
	return mem;
}

#endif /* CP_TESTS_FAKE_MEM_H */
