/*
 * fuzz_kallsyms - the kallsyms carver and decoder over arbitrary RAM.
 *
 * The input is a raw image of guest-physical memory followed by a 24-byte
 * trailer: six little-endian u32 physical addresses that play VMCOREINFO's
 * claims (kallsyms_names, _num_syms, _token_table, _token_index, _offsets,
 * _relative_base; 0xffffffff for none), so one input drives both ways in.
 * Seeds: tests/fuzz/corpus/fuzz_kallsyms, one small table per layout,
 * written by tests/unit/kernel/test_kallsyms (CP_KALLSYMS_SEED_DIR).
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/kallsyms.h"
#include "kernel/vmcoreinfo.h"
#include "mem/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TRAILER 24

/* Touches what a user of the table would. */
static void use(struct cp_kallsyms *ks)
{
	size_t n = cp_kallsyms_count(ks), idx[4];
	struct cp_ksym s;
	for (size_t i = 0; i < n; i += 1 + n / 8) {
		if (!cp_kallsyms_get(ks, i, &s))
			abort();
		if (!cp_kallsyms_find_all(ks, s.name, idx, 4))
			abort();
		size_t at;
		if (!cp_kallsyms_lookup(ks, s.addr, &at, NULL) || at > i)
			abort();
	}
	cp_kallsyms_find(ks, "_text", NULL);
	cp_kallsyms_destroy(ks);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void from_claims(struct cp_mem *mem, const uint8_t *trailer)
{
	static const char *const names[] = {
		"kallsyms_names", "kallsyms_num_syms", "kallsyms_token_table",
		"kallsyms_token_index", "kallsyms_offsets",
		"kallsyms_relative_base",
	};
	char text[1024];
	int len = snprintf(text, sizeof(text),
			   "OSRELEASE=fuzz\nNUMBER(phys_base)=0\n");
	for (int i = 0; i < 6; i++) {
		uint32_t pa = le32(trailer + 4 * i);
		if (pa == UINT32_MAX)
			continue;
		len += snprintf(text + len, sizeof(text) - (size_t)len,
				"SYMBOL(%s)=%" PRIx64 "\n", names[i],
				(uint64_t)0xffffffff80000000ull + pa);
	}
	struct cp_vmcoreinfo *vi;
	struct cp_error *err = cp_vmcoreinfo_parse_text(text, (size_t)len, &vi);
	if (err) {
		cp_error_destroy(err);
		return;
	}
	struct cp_kallsyms *ks;
	err = cp_kallsyms_from_vmcoreinfo(mem, vi, &ks);
	if (!err)
		use(ks);
	cp_error_destroy(err);
	cp_vmcoreinfo_destroy(vi);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size <= TRAILER)
		return 0;
	size_t ram = size - TRAILER;
	struct cp_mem mem;
	memset(&mem, 0, sizeof(mem));
	mem.ops = &cp_mem_raw_ops;
	mem.fd = -1;
	mem.map = data;
	mem.map_size = ram;
	struct cp_error *err = cp_mem_add_region(&mem, 0, ram, 0);
	if (!err)
		err = cp_mem_finish_regions(&mem);
	if (!err) {
		struct cp_kallsyms *ks;
		uint64_t scanned;
		struct cp_error *cerr = cp_kallsyms_carve(&mem, NULL, &ks,
							  &scanned);
		if (!cerr)
			use(ks);
		cp_error_destroy(cerr);
		/* with a hint, the 7.x path runs past the vote */
		struct cp_kallsyms_hints h = { .has_phys_base = true,
					       .phys_base = 0 };
		cerr = cp_kallsyms_carve(&mem, &h, &ks, NULL);
		if (!cerr)
			use(ks);
		cp_error_destroy(cerr);
		from_claims(&mem, data + ram);
	}
	cp_error_destroy(err);
	cp_mem_reset(&mem);
	return 0;
}
