/*
 * mem.c - opening memory sources by URI and reading guest-physical bytes.
 *
 * The generic half of every source: "scheme:arg" dispatch and sniffing of
 * bare paths, region bookkeeping, and cp_mem_read(), which splits a read
 * across regions and refuses to paper over holes, and cp_mem_read_batch(),
 * which hands a source many pieces at once. Sources (raw.c, elf.c, lime.c,
 * shm.c, qemu.c) only describe their regions and, when live, read them.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem/mem.h"
#include "util/cleanup.h"
#include "util/error.h"

static const struct cp_mem_ops *const sources[] = {
	&cp_mem_raw_ops,
	&cp_mem_elf_ops,
	&cp_mem_lime_ops,
	&cp_mem_shm_ops,
	&cp_mem_qemu_ops,
	&cp_mem_qmp_ops,
	&cp_mem_libvirt_ops,
};

#define LIME_MAGIC 0x4C694D45u

/* Picks elf, lime or raw for a bare path from its first bytes. */
static struct cp_error *sniff(const char *path, const struct cp_mem_ops **ret)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cp_error_os(errno, "%s", path);
	uint8_t head[8] = { 0 };
	ssize_t n = pread(fd, head, sizeof(head), 0);
	if (n < 0)
		return cp_error_os(errno, "%s: read", path);
	uint32_t magic;
	memcpy(&magic, head, sizeof(magic));
	if (n >= 4 && memcmp(head, "\x7f" "ELF", 4) == 0)
		*ret = &cp_mem_elf_ops;
	else if (n >= 4 && magic == LIME_MAGIC)
		*ret = &cp_mem_lime_ops;
	else
		*ret = &cp_mem_raw_ops;
	return NULL;
}

struct cp_error *cp_mem_open(const char *uri, struct cp_mem **ret)
{
	const struct cp_mem_ops *ops = NULL;
	const char *arg = uri;
	const char *colon = strchr(uri, ':');

	if (!uri[0])
		return cp_error_create(CP_ERR_USAGE, "empty memory source");
	if (colon && colon != uri && !memchr(uri, '/', (size_t)(colon - uri))) {
		size_t len = (size_t)(colon - uri);
		for (size_t i = 0; i < CP_ARRAY_SIZE(sources); i++) {
			if (strlen(sources[i]->scheme) == len &&
			    memcmp(uri, sources[i]->scheme, len) == 0)
				ops = sources[i];
		}
		if (!ops && access(uri, F_OK) != 0)
			return cp_error_create(CP_ERR_USAGE,
					       "unknown memory source '%.*s:' "
					       "(raw, elf, lime, shm, qemu, qmp, "
					       "libvirt)",
					       (int)len, uri);
		if (ops)
			arg = colon + 1;
	}
	if (!ops) {
		struct cp_error *err = sniff(uri, &ops);
		if (err)
			return err;
	}
	if (!arg[0])
		return cp_error_create(CP_ERR_USAGE, "%s: missing path",
				       ops->scheme);

	struct cp_mem *mem = calloc(1, sizeof(*mem));
	if (!mem)
		return &cp_enomem;
	mem->ops = ops;
	mem->fd = -1;
	mem->path = strdup(arg);
	if (!mem->path) {
		free(mem);
		return &cp_enomem;
	}
	struct cp_error *err = ops->open(mem, arg);
	if (err) {
		cp_mem_close(mem);
		return cp_error_wrap(err, "%s:%s", ops->scheme, arg);
	}
	*ret = mem;
	return NULL;
}

void cp_mem_reset(struct cp_mem *mem)
{
	free(mem->regions);
	free(mem->ranges);
	free(mem->vmcoreinfo_note);
	mem->regions = NULL;
	mem->ranges = NULL;
	mem->vmcoreinfo_note = NULL;
	mem->nregions = 0;
}

void cp_mem_close(struct cp_mem *mem)
{
	if (!mem)
		return;
	if (mem->ops->close)
		mem->ops->close(mem);
	cp_mem_unmap_file(mem);
	if (mem->fd >= 0)
		close(mem->fd);
	cp_mem_reset(mem);
	free(mem->path);
	free(mem);
}

struct cp_error *cp_mem_add_region(struct cp_mem *mem, uint64_t start,
				   uint64_t size, uint64_t where)
{
	if (size == 0)
		return NULL;
	if (start + size < start)
		return cp_error_create(CP_ERR_CORRUPT,
				       "region at 0x%" PRIx64 " of 0x%" PRIx64
				       " bytes wraps the address space",
				       start, size);
	/* Grow by doubling; nregions is a power of two when full. */
	if ((mem->nregions & (mem->nregions - 1)) == 0) {
		size_t cap = mem->nregions ? mem->nregions * 2 : 1;
		struct cp_mem_region *r =
			realloc(mem->regions, cap * sizeof(*r));
		if (!r)
			return &cp_enomem;
		mem->regions = r;
	}
	mem->regions[mem->nregions++] = (struct cp_mem_region){
		.range = { .start = start, .size = size },
		.where = where,
	};
	return NULL;
}

static int region_cmp(const void *a, const void *b)
{
	const struct cp_mem_region *x = a, *y = b;
	return x->range.start < y->range.start ? -1 :
	       x->range.start > y->range.start;
}

struct cp_error *cp_mem_finish_regions(struct cp_mem *mem)
{
	if (mem->nregions == 0)
		return cp_error_create(CP_ERR_FORMAT, "no memory in source");
	qsort(mem->regions, mem->nregions, sizeof(*mem->regions), region_cmp);
	for (size_t i = 1; i < mem->nregions; i++) {
		const struct cp_mem_range *a = &mem->regions[i - 1].range;
		const struct cp_mem_range *b = &mem->regions[i].range;
		if (a->start + a->size > b->start)
			return cp_error_create(CP_ERR_CORRUPT,
					       "regions overlap at 0x%" PRIx64,
					       b->start);
	}
	/* Regions into a mapping must lie inside it. */
	for (size_t i = 0; mem->map && i < mem->nregions; i++) {
		const struct cp_mem_region *r = &mem->regions[i];
		if (r->where > mem->map_size ||
		    r->range.size > mem->map_size - r->where)
			return cp_error_create(CP_ERR_CORRUPT,
					       "region at 0x%" PRIx64
					       " runs past the end of the file",
					       r->range.start);
	}
	free(mem->ranges);
	mem->ranges = malloc(mem->nregions * sizeof(*mem->ranges));
	if (!mem->ranges)
		return &cp_enomem;
	for (size_t i = 0; i < mem->nregions; i++)
		mem->ranges[i] = mem->regions[i].range;
	return NULL;
}

struct cp_error *cp_mem_map_file(struct cp_mem *mem, int mmap_flags)
{
	mem->fd = open(mem->path, O_RDONLY | O_CLOEXEC);
	if (mem->fd < 0)
		return cp_error_os(errno, "open");
	struct stat st;
	if (fstat(mem->fd, &st) < 0)
		return cp_error_os(errno, "stat");
	if (!S_ISREG(st.st_mode))
		return cp_error_create(CP_ERR_USAGE, "not a regular file");
	if (st.st_size == 0)
		return cp_error_create(CP_ERR_FORMAT, "empty file");
	if ((uint64_t)st.st_size > SIZE_MAX)
		return cp_error_create(CP_ERR_UNSUPPORTED, "file too large");
	void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, mmap_flags,
			 mem->fd, 0);
	if (map == MAP_FAILED)
		return cp_error_os(errno, "mmap");
	mem->map = map;
	mem->map_size = (size_t)st.st_size;
	return NULL;
}

void cp_mem_unmap_file(struct cp_mem *mem)
{
	if (mem->map)
		munmap((void *)mem->map, mem->map_size);
	mem->map = NULL;
	mem->map_size = 0;
}

/* The region containing paddr, or the first one after it (or NULL). */
static const struct cp_mem_region *region_at_or_after(const struct cp_mem *mem,
						      uint64_t paddr)
{
	size_t lo = 0, hi = mem->nregions;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct cp_mem_range *r = &mem->regions[mid].range;
		if (paddr >= r->start + r->size)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < mem->nregions ? &mem->regions[lo] : NULL;
}

struct cp_error *cp_mem_read(struct cp_mem *mem, uint64_t paddr, void *buf,
			     size_t len)
{
	uint8_t *out = buf;
	uint64_t addr = paddr;
	if (addr + len < addr)
		return cp_error_create(CP_ERR_FAULT,
				       "read of %zu bytes at 0x%" PRIx64
				       " wraps the address space",
				       len, paddr);
	while (len) {
		const struct cp_mem_region *r = region_at_or_after(mem, addr);
		if (!r || r->range.start > addr)
			return cp_error_create(CP_ERR_FAULT,
					       "no memory at physical 0x%" PRIx64,
					       addr);
		uint64_t off = addr - r->range.start;
		size_t n = len;
		if (n > r->range.size - off)
			n = (size_t)(r->range.size - off);
		if (mem->ops->read) {
			struct cp_error *err =
				mem->ops->read(mem, r, off, out, n);
			if (err)
				return err;
		} else {
			memcpy(out, mem->map + r->where + off, n);
		}
		mem->bytes_read += n;
		out += n;
		addr += n;
		len -= n;
	}
	return NULL;
}

/*
 * Batched reads. Requests are cut at region boundaries into chunks, and
 * chunks go to the source's read_batch in windows of BATCH_WINDOW (IOV_MAX
 * on Linux, so a window is one process_vm_readv). A request may span
 * windows: it starts ok and any failed chunk clears it.
 */
#define BATCH_WINDOW 1024

struct batch {
	struct cp_mem *mem;
	struct cp_mem_request *reqs;
	size_t n;
	struct cp_mem_chunk *chunks;	/* window of `window` chunks */
	size_t *owner;			/* request index of each chunk */
	size_t window;
	size_t nchunks;
	size_t failed;
	struct cp_error *first;		/* the first failure, kept */
	bool dead;			/* a non-fault error: stop reading */
};

static void batch_fail(struct batch *b, size_t req, struct cp_error *err)
{
	if (b->reqs[req].ok)
		b->failed++;
	b->reqs[req].ok = false;
	if (!b->first)
		b->first = err;
	else
		cp_error_destroy(err);
}

static void batch_flush(struct batch *b)
{
	size_t at = 0;
	while (at < b->nchunks && !b->dead) {
		size_t done = 0;
		struct cp_error *err = b->mem->ops->read_batch(
			b->mem, b->chunks + at, b->nchunks - at, &done);
		if (done > b->nchunks - at)	/* a source bug; trust nothing */
			done = 0;
		for (size_t i = at; i < at + done; i++)
			b->mem->bytes_read += b->chunks[i].len;
		if (!err)
			break;
		at += done;
		if (at >= b->nchunks) {		/* a source bug, as above */
			cp_error_destroy(err);
			break;
		}
		b->dead = cp_error_code(err) != CP_ERR_FAULT;
		batch_fail(b, b->owner[at], err);
		at++;
	}
	/* After a dead source, every chunk not read fails its request. */
	for (size_t i = at; b->dead && i < b->nchunks; i++)
		if (b->reqs[b->owner[i]].ok) {
			b->reqs[b->owner[i]].ok = false;
			b->failed++;
		}
	b->nchunks = 0;
}

/* Cuts request i into chunks; a hole fails it without a source call. */
static void batch_add(struct batch *b, size_t i)
{
	struct cp_mem_request *q = &b->reqs[i];
	uint8_t *out = q->buf;
	uint64_t addr = q->paddr;
	size_t len = q->len;
	if (addr + len < addr) {
		batch_fail(b, i, cp_error_create(CP_ERR_FAULT,
				 "read of %zu bytes at 0x%" PRIx64
				 " wraps the address space", len, addr));
		return;
	}
	while (len && !b->dead) {
		const struct cp_mem_region *r = region_at_or_after(b->mem, addr);
		if (!r || r->range.start > addr) {
			batch_fail(b, i, cp_error_create(CP_ERR_FAULT,
					 "no memory at physical 0x%" PRIx64,
					 addr));
			return;
		}
		uint64_t off = addr - r->range.start;
		size_t n = len;
		if (n > r->range.size - off)
			n = (size_t)(r->range.size - off);
		if (b->nchunks == b->window)
			batch_flush(b);
		if (b->dead)
			return;
		b->chunks[b->nchunks] = (struct cp_mem_chunk){
			.region = r, .off = off, .buf = out, .len = n,
		};
		b->owner[b->nchunks++] = i;
		out += n;
		addr += n;
		len -= n;
	}
}

/* The batch without a read_batch op: one cp_mem_read per request. */
static void batch_one_by_one(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		if (b->dead) {
			batch_fail(b, i, NULL);
			continue;
		}
		struct cp_error *err = cp_mem_read(b->mem, b->reqs[i].paddr,
						   b->reqs[i].buf,
						   b->reqs[i].len);
		if (err) {
			b->dead = cp_error_code(err) != CP_ERR_FAULT;
			batch_fail(b, i, err);
		}
	}
}

struct cp_error *cp_mem_read_batch(struct cp_mem *mem,
				   struct cp_mem_request *reqs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		reqs[i].ok = true;
	if (n == 0)
		return NULL;
	/*
	 * One allocation sized to the batch (a small batch stays cheap);
	 * requests cut at region edges just make a window flush early.
	 */
	size_t window = n < BATCH_WINDOW ? n : BATCH_WINDOW;
	struct batch *b = malloc(sizeof(*b) + window * (sizeof(*b->chunks) +
							sizeof(*b->owner)));
	if (!b) {
		for (size_t i = 0; i < n; i++)
			reqs[i].ok = false;
		return &cp_enomem;
	}
	b->chunks = (struct cp_mem_chunk *)(b + 1);
	b->owner = (size_t *)(b->chunks + window);
	b->window = window;
	b->mem = mem;
	b->reqs = reqs;
	b->n = n;
	b->nchunks = 0;
	b->failed = 0;
	b->first = NULL;
	b->dead = false;
	if (mem->ops->read_batch) {
		for (size_t i = 0; i < n; i++) {
			if (b->dead)
				batch_fail(b, i, NULL);
			else
				batch_add(b, i);
		}
		batch_flush(b);
	} else {
		batch_one_by_one(b);
	}
	struct cp_error *err = b->first;
	size_t failed = b->failed;
	free(b);
	if (!failed)
		return NULL;
	if (!err)	/* only possible if a source misreported; be safe */
		err = cp_error_create(CP_ERR_FAULT, "batched read failed");
	return cp_error_wrap(err, "%zu of %zu batched reads failed, first",
			     failed, n);
}

const void *cp_mem_map(struct cp_mem *mem, uint64_t paddr, size_t len)
{
	if (!mem->map || paddr + len < paddr)
		return NULL;
	const struct cp_mem_region *r = region_at_or_after(mem, paddr);
	if (!r || r->range.start > paddr)
		return NULL;
	uint64_t off = paddr - r->range.start;
	if (len > r->range.size - off)
		return NULL;
	mem->bytes_read += len;
	return mem->map + r->where + off;
}

size_t cp_mem_range_count(const struct cp_mem *mem)
{
	return mem->nregions;
}

const struct cp_mem_range *cp_mem_ranges(const struct cp_mem *mem)
{
	return mem->ranges;
}

uint64_t cp_mem_size(const struct cp_mem *mem)
{
	uint64_t total = 0;
	for (size_t i = 0; i < mem->nregions; i++)
		total += mem->regions[i].range.size;
	return total;
}

const char *cp_mem_kind(const struct cp_mem *mem)
{
	return mem->ops->scheme;
}

const char *cp_mem_path(const struct cp_mem *mem)
{
	return mem->path;
}

uint64_t cp_mem_bytes_read(const struct cp_mem *mem)
{
	return mem->bytes_read;
}
