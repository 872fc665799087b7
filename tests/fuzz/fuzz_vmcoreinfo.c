/*
 * fuzz_vmcoreinfo - the VMCOREINFO and banner carvers over arbitrary RAM.
 * The input is a raw image of guest-physical memory.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/vmcoreinfo.h"
#include "mem/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cp_mem mem;
	memset(&mem, 0, sizeof(mem));
	mem.ops = &cp_mem_raw_ops;
	mem.fd = -1;
	mem.map = data;
	mem.map_size = size;
	struct cp_error *err = cp_mem_add_region(&mem, 0, size, 0);
	if (!err)
		err = cp_mem_finish_regions(&mem);
	if (!err) {
		struct cp_profile *p;
		struct cp_error *perr = cp_profile_discover(&mem, &p);
		if (!perr)
			cp_profile_destroy(p);
		cp_error_destroy(perr);
		struct cp_vmcoreinfo *vi;
		struct cp_error *verr =
			cp_vmcoreinfo_parse_text((const char *)data, size, &vi);
		bool parsed = !verr;
		cp_error_destroy(verr);
		if (parsed) {
			uint64_t v;
			int64_t n;
			cp_vmcoreinfo_symbol(vi, "_stext", &v);
			cp_vmcoreinfo_number(vi, "phys_base", &n);
			cp_vmcoreinfo_destroy(vi);
		}
	}
	cp_error_destroy(err);
	cp_mem_reset(&mem);
	return 0;
}
