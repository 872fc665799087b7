/*
 * shm.c - a live guest's RAM through QEMU's memory-backend-file.
 *
 * QEMU started with `-object memory-backend-file,share=on,mem-path=FILE`
 * keeps guest RAM in FILE; mapping it MAP_SHARED and read-only gives a live,
 * zero-copy view (about 0.016 us a random read here, against 2.5 us through
 * process_vm_readv). The guest keeps running: callers must expect torn data.
 *
 * Layout: the file is guest RAM in order. While all of it fits below the
 * PCI hole (q35: under 2.75 GiB; i440fx: under 3.5 GiB) file offset N is
 * guest-physical N. For larger guests QEMU splits RAM at a machine-specific
 * boundary and places the rest at 4 GiB; the `machine` option says which
 * (`shm:PATH,machine=q35`); without it the file is taken as linear.
 */
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>

#include "mem/mem.h"
#include "util/error.h"

#define GiB (1ull << 30)
#define MiB (1ull << 20)

/* QEMU's below-4G RAM split, per machine type (hw/i386/pc_q35.c, pc_piix.c). */
static const struct {
	const char *machine;
	uint64_t max_low;	/* all RAM stays low below this size */
	uint64_t split_low;	/* otherwise this much stays low */
} splits[] = {
	{ "q35", 2 * GiB + 768 * MiB, 2 * GiB },
	{ "pc", 3 * GiB + 512 * MiB, 3 * GiB },
	{ "i440fx", 3 * GiB + 512 * MiB, 3 * GiB },
};

static struct cp_error *shm_open_source(struct cp_mem *mem, const char *arg)
{
	(void)arg;
	const char *machine = NULL;
	char *comma = strchr(mem->path, ',');
	if (comma) {
		*comma = '\0';
		if (strncmp(comma + 1, "machine=", 8) != 0)
			return cp_error_create(CP_ERR_USAGE,
					       "unknown option '%s' (machine=q35|pc)",
					       comma + 1);
		machine = comma + 9;
	}
	struct cp_error *err = cp_mem_map_file(mem, MAP_SHARED);
	if (err)
		return err;
	uint64_t size = mem->map_size, low = size;
	if (machine) {
		size_t i;
		for (i = 0; i < sizeof(splits) / sizeof(splits[0]); i++)
			if (strcmp(machine, splits[i].machine) == 0)
				break;
		if (i == sizeof(splits) / sizeof(splits[0]))
			return cp_error_create(CP_ERR_USAGE,
					       "unknown machine '%s' (q35, pc)",
					       machine);
		/* QEMU splits once RAM reaches the bound (>=). */
		if (size >= splits[i].max_low)
			low = splits[i].split_low;
	}
	if ((err = cp_mem_add_region(mem, 0, low, 0)))
		return err;
	if (low < size && (err = cp_mem_add_region(mem, 4 * GiB, size - low, low)))
		return err;
	return cp_mem_finish_regions(mem);
}

const struct cp_mem_ops cp_mem_shm_ops = {
	.scheme = "shm",
	.open = shm_open_source,
};
