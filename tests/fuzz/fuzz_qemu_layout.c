/*
 * fuzz_qemu_layout.c - the parsers behind qemu:, qmp: and libvirt:
 * sources: `info mtree -f`, `gpa2hva`, /proc/PID/maps and smaps, QEMU
 * command lines and sizes. Input byte 0 picks the parser, the rest is its
 * text. Whatever the text, ranges must come out sorted, non-empty and
 * non-wrapping.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mem/qemu.h"
#include "util/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_ranges(const struct cp_qemu_ram_vector *v)
{
	for (size_t i = 0; i < v->size; i++) {
		const struct cp_qemu_ram *r = &v->data[i];
		if (r->size == 0 || r->gpa + r->size - 1 < r->gpa ||
		    (i && r->gpa < v->data[i - 1].gpa + v->data[i - 1].size))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char *text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	static const char *const blocks[] = { "pc.ram", "ram", "mem0" };
	switch (data[0] % 5) {
	case 0: {
		struct cp_qemu_ram_vector v;
		cp_qemu_ram_vector_init(&v);
		cp_error_destroy(cp_qemu_parse_mtree(text, blocks, 3, &v));
		check_ranges(&v);
		cp_qemu_ram_vector_deinit(&v);
		break;
	}
	case 1: {
		uint64_t hva;
		cp_error_destroy(cp_qemu_parse_gpa2hva(text, &hva));
		break;
	}
	case 2: {
		struct cp_qemu_mapping_vector m;
		cp_qemu_mapping_vector_init(&m);
		struct cp_error *err = cp_qemu_parse_maps(text, &m);
		if (!err) {
			bool *dc = calloc(m.size + 1, sizeof(*dc));
			uint64_t hva;
			if (dc) {
				cp_error_destroy(cp_qemu_parse_smaps_dontcopy(
					text, &m, dc));
				cp_error_destroy(cp_qemu_find_ram_mapping(
					&m, NULL, 1 << 20, dc, &hva));
				cp_error_destroy(cp_qemu_find_ram_mapping(
					&m, "/x", 1 << 20, NULL, &hva));
				free(dc);
			}
		}
		cp_error_destroy(err);
		cp_qemu_mappings_deinit(&m);
		break;
	}
	case 3: {
		/* argv: the raw bytes, NULs included. */
		struct cp_qemu_cmdline c;
		struct cp_error *err =
			cp_qemu_parse_cmdline((const char *)data + 1, size - 1, &c);
		if (!err) {
			struct cp_qemu_ram_vector v;
			cp_qemu_ram_vector_init(&v);
			cp_error_destroy(cp_qemu_split_ram(c.machine,
							   c.ram_size, &v));
			check_ranges(&v);
			cp_qemu_ram_vector_deinit(&v);
			cp_qemu_cmdline_deinit(&c);
		}
		cp_error_destroy(err);
		break;
	}
	default: {
		uint64_t v;
		cp_qemu_parse_size(text, 1u << 20, &v);
		break;
	}
	}
	free(text);
	return 0;
}
