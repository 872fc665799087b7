/*
 * raw.c - a raw physical memory image: file offset N is guest-physical N.
 *
 * What QMP `pmemsave 0 SIZE` and `dd` of a guest's RAM file produce. The
 * file is mapped read-only and private, so reads are zero copy. A raw image
 * has no holes of its own: if the guest had a PCI hole below 4 GiB the image
 * holds whatever the dumper read there, and the layout is the dumper's
 * business (use elf: or qmp: for large guests).
 */
#include <sys/mman.h>

#include "mem/mem.h"
#include "util/error.h"

static struct cp_error *raw_open(struct cp_mem *mem, const char *arg)
{
	(void)arg;
	struct cp_error *err = cp_mem_map_file(mem, MAP_PRIVATE);
	if (err)
		return err;
	err = cp_mem_add_region(mem, 0, mem->map_size, 0);
	if (err)
		return err;
	return cp_mem_finish_regions(mem);
}

const struct cp_mem_ops cp_mem_raw_ops = {
	.scheme = "raw",
	.open = raw_open,
};
