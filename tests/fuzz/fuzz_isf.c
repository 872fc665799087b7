/*
 * fuzz_isf - the ISF importer and the System.map reader over arbitrary
 * bytes, and every walker over the BTF an accepted ISF becomes.
 *
 * An ISF may come from anywhere a user found one; a malformed or hostile
 * file must end in a cp_error, never a crash, hang or runaway memory. What
 * imports is queried, printed and exported again.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/btf.h"
#include "kernel/isf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *sink(void)
{
	static FILE *null;
	if (!null)
		null = fopen("/dev/null", "w");
	return null;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct btf *btf;
	struct cp_isf_symbols syms;
	if (!sink())
		return 0;
	struct cp_error *err =
		cp_isf_import_buffer((const char *)data, size, &btf, &syms);
	if (!err) {
		struct cp_btf_field f;
		int64_t v;
		cp_error_destroy(cp_btf_field(btf, "task_struct", "comm", &f));
		cp_error_destroy(cp_btf_field(btf, "task_struct", "state", &f));
		cp_error_destroy(cp_btf_enum_value(btf, "TASK_DEAD", &v));
		uint32_t n = btf__type_cnt(btf), printed = 0;
		for (uint32_t id = 1; id < n && printed < 32; id++) {
			const struct btf_type *t = btf__type_by_id(btf, id);
			if (t && btf_is_composite(t)) {
				cp_error_destroy(
					cp_btf_print_type(sink(), btf, id));
				printed++;
			}
		}
		struct cp_isf_export_opts o = { .banner = syms.banner,
						.datetime = -1 };
		cp_error_destroy(cp_isf_export(sink(), btf, syms.data,
					       syms.size, &o));
		cp_isf_symbols_deinit(&syms);
		btf__free(btf);
	}
	cp_error_destroy(err);
	/* the same bytes as System.map text */
	err = cp_isf_parse_system_map((const char *)data, size, &syms);
	if (!err)
		cp_isf_symbols_deinit(&syms);
	cp_error_destroy(err);
	return 0;
}
