/*
 * mem.h - the memory source interface (what every source implements).
 *
 * A source describes guest-physical memory as sorted, non-overlapping
 * regions. Each region says where its bytes live: at an offset into a
 * read-only mapping of a file (raw, elf, lime, shm: zero copy), or behind
 * the source's own read function (a live process). mem.c does the rest for
 * every source: URI parsing and sniffing, region lookup, splitting reads
 * across regions, and reporting holes as CP_ERR_FAULT.
 *
 * Adding a source is one new file with one `struct cp_mem_ops` and a line in
 * mem.c's table; nothing else changes. Nothing outside src/mem/ knows where
 * bytes come from.
 */
#ifndef CP_MEM_MEM_H
#define CP_MEM_MEM_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "cloudprobe.h"

struct cp_mem_region {
	struct cp_mem_range range;	/* guest-physical start and size */
	uint64_t where;			/* offset into cp_mem.map, or a
					 * source-specific address */
};

/*
 * One request of a batched read (cp_mem_read_batch): len bytes at paddr
 * into buf. `ok` is set by the call: true when all len bytes were read.
 */
struct cp_mem_request {
	uint64_t paddr;
	void *buf;
	size_t len;
	bool ok;
};

/* A piece of a request lying inside one region: what read_batch is given. */
struct cp_mem_chunk {
	const struct cp_mem_region *region;
	uint64_t off;			/* offset into the region */
	void *buf;
	size_t len;
};

struct cp_mem_ops {
	const char *scheme;
	/* Fills mem->regions (and mem->map when zero copy is possible). */
	struct cp_error *(*open)(struct cp_mem *mem, const char *arg);
	/*
	 * Reads len bytes at offset off of region r. When present it is
	 * always used, even if the source also sets mem->map (a live source
	 * offers the map for cp_mem_map() but checks liveness on reads);
	 * when absent, reads copy from mem->map. Must fail rather than
	 * return fewer bytes.
	 */
	struct cp_error *(*read)(struct cp_mem *mem,
				 const struct cp_mem_region *r, uint64_t off,
				 void *buf, size_t len);
	/*
	 * Optional: reads n chunks in order with as few system calls as the
	 * source can. Returns NULL when all were read; otherwise *done is the
	 * number of leading chunks read completely and the error is about
	 * chunk *done. CP_ERR_FAULT means that chunk alone failed (the caller
	 * goes on with the next); any other code means the source can no
	 * longer read (the caller stops). Without it, cp_mem_read_batch()
	 * reads request by request.
	 */
	struct cp_error *(*read_batch)(struct cp_mem *mem,
				       const struct cp_mem_chunk *chunks,
				       size_t n, size_t *done);
	void (*close)(struct cp_mem *mem);
};

struct cp_mem {
	const struct cp_mem_ops *ops;
	char *path;
	struct cp_mem_region *regions;	/* sorted by range.start */
	size_t nregions;
	struct cp_mem_range *ranges;	/* the public view of regions */
	/* A read-only mapping backing every region, or NULL. */
	const uint8_t *map;
	size_t map_size;
	int fd;
	uint64_t bytes_read;
	/* An ELF core's VMCOREINFO note, NUL-terminated, or NULL. */
	char *vmcoreinfo_note;
	void *priv;			/* the source's own state */
};

extern const struct cp_mem_ops cp_mem_raw_ops;
extern const struct cp_mem_ops cp_mem_elf_ops;
extern const struct cp_mem_ops cp_mem_lime_ops;
extern const struct cp_mem_ops cp_mem_shm_ops;
extern const struct cp_mem_ops cp_mem_qemu_ops;
extern const struct cp_mem_ops cp_mem_qmp_ops;
extern const struct cp_mem_ops cp_mem_libvirt_ops;

/*
 * Reads n requests, each all or nothing, in as few system calls as the
 * source allows (qemu: one process_vm_readv per 1024 iovecs). Sets
 * every request's `ok`. Returns NULL when all succeeded; otherwise an error
 * whose code and message are those of the first failure, prefixed with how
 * many failed. A hole fails only its own request; a dead source fails the
 * rest. Requests may cross regions; a request of length 0 succeeds.
 */
struct cp_error *cp_mem_read_batch(struct cp_mem *mem,
				   struct cp_mem_request *reqs, size_t n);

/*
 * Sorts mem->regions, rejects overlaps and empty input, and builds
 * mem->ranges. Sources call it at the end of open().
 */
struct cp_error *cp_mem_finish_regions(struct cp_mem *mem);
/* Appends a region (regions are sorted later by cp_mem_finish_regions). */
struct cp_error *cp_mem_add_region(struct cp_mem *mem, uint64_t start,
				   uint64_t size, uint64_t where);

/* Maps the whole file at mem->path read-only into mem->map. */
struct cp_error *cp_mem_map_file(struct cp_mem *mem, int mmap_flags);
void cp_mem_unmap_file(struct cp_mem *mem);

/* The file parsers, exposed for unit tests and fuzz targets. */
struct cp_error *cp_elf_core_parse(struct cp_mem *mem, const uint8_t *buf,
				   size_t size);
struct cp_error *cp_lime_parse(struct cp_mem *mem, const uint8_t *buf,
			       size_t size);
/* Frees what a parser left in mem (regions, ranges, note); not the map. */
void cp_mem_reset(struct cp_mem *mem);

#endif /* CP_MEM_MEM_H */
