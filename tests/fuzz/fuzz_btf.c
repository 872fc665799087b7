/*
 * fuzz_btf - the BTF carver and validator, and everything that walks the
 * BTF they accept, over arbitrary bytes.
 *
 * The input is used twice: as a raw image of guest-physical memory to
 * carve (exhaustively, so every candidate is validated), and as a BTF blob
 * handed straight to the validator, which is where mutations of a seed
 * blob land. Whatever is accepted is then queried, indexed, printed like
 * pahole and exported as ISF, as a forged blob from a guest would be.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/btf.h"
#include "kernel/isf.h"
#include "mem/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *sink(void)
{
	static FILE *null;
	if (!null)
		null = fopen("/dev/null", "w");
	return null;
}

static void exercise(const struct btf *btf)
{
	static const char *const paths[][2] = {
		{ "task_struct", "comm" },   { "task_struct", "se.vruntime" },
		{ "task_struct", "__state" }, { "list_head", "next" },
		{ "mm_struct", "mm_mt" },     { "task_struct", "pid_links[1]" },
	};
	struct cp_btf_field f;
	struct cp_btf_index *ix = NULL;
	int64_t v;
	uint64_t s;
	cp_error_destroy(cp_btf_index_new(btf, &ix));
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		cp_error_destroy(
			cp_btf_field(btf, paths[i][0], paths[i][1], &f));
		if (ix)
			cp_error_destroy(cp_btf_index_field(ix, paths[i][0],
							    paths[i][1], &f));
	}
	cp_error_destroy(cp_btf_enum_value(btf, "maple_arange_64", &v));
	cp_error_destroy(cp_btf_type_size(btf, "task_struct", &s));
	/* print the first composite types, whatever their names */
	uint32_t n = btf__type_cnt(btf), printed = 0;
	for (uint32_t id = 1; id < n && printed < 64; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		if (t && btf_is_composite(t)) {
			cp_error_destroy(cp_btf_print_type(sink(), btf, id));
			printed++;
		}
	}
	struct cp_isf_symbol sym = { "init_task", 0xffffffff82000000ull, 'D' };
	struct cp_isf_export_opts o = { .banner = "Linux version x",
					 .datetime = -1 };
	cp_error_destroy(cp_isf_export(sink(), btf, &sym, 1, &o));
	cp_btf_index_destroy(ix);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct btf *btf;
	if (!sink())
		return 0;
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
		struct cp_btf_carve_opts opts = { .exhaustive = true };
		struct cp_btf_info info;
		struct cp_error *cerr = cp_btf_carve_opts(&mem, &opts, &btf,
							  &info);
		if (!cerr) {
			exercise(btf);
			btf__free(btf);
		}
		cp_error_destroy(cerr);
	}
	cp_error_destroy(err);
	cp_mem_reset(&mem);

	err = cp_btf_parse_blob(data, size, false, &btf);
	if (!err) {
		exercise(btf);
		btf__free(btf);
	}
	cp_error_destroy(err);
	return 0;
}
