/*
 * fuzz_memfile - the ELF core and LiME parsers, and reads through what
 * they accept. The input is a whole dump file; the first byte picks the
 * parser so one target covers both without a format the fuzzer must find.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mem/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct cp_mem mem;
	memset(&mem, 0, sizeof(mem));
	mem.ops = &cp_mem_raw_ops;
	mem.fd = -1;
	/* The parsers' regions index into a mapping: give them the input. */
	mem.map = data + 1;
	mem.map_size = size - 1;
	struct cp_error *err = data[0] & 1 ?
		cp_lime_parse(&mem, data + 1, size - 1) :
		cp_elf_core_parse(&mem, data + 1, size - 1);
	if (!err)
		err = cp_mem_finish_regions(&mem);
	if (!err) {
		uint8_t buf[64];
		for (size_t i = 0; i < mem.nregions; i++) {
			const struct cp_mem_range *r = &mem.regions[i].range;
			cp_error_destroy(cp_mem_read(&mem, r->start, buf,
						     r->size < 64 ? r->size : 64));
			cp_error_destroy(cp_mem_read(&mem, r->start + r->size - 1,
						     buf, 2));
		}
		struct cp_vmcoreinfo *vi;
		struct cp_error *verr = cp_vmcoreinfo_find(&mem, &vi, NULL);
		if (!verr)
			cp_vmcoreinfo_destroy(vi);
		cp_error_destroy(verr);
	}
	cp_error_destroy(err);
	cp_mem_reset(&mem);
	return 0;
}
