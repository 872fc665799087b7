/*
 * btf_pahole.h - pahole's view of BTF, shared by the layout printer.
 *
 * `cp_btf_print_struct` reproduces `pahole -C NAME` (dwarves 1.24), so it
 * needs what pahole's BTF loader derives from BTF: member sizes, bitfield
 * storage units, inferred alignments, holes and padding (btf_layout.c),
 * and C spellings of types (btf_ctype.c). btf_print.c only formats.
 * Internal to src/kernel/.
 */
#ifndef CP_KERNEL_BTF_PAHOLE_H
#define CP_KERNEL_BTF_PAHOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bpf/btf.h>

#include "cloudprobe.h"

#define CP_PAHOLE_CACHELINE 64
/* Recursion bound for type names and alignments (guest BTF may loop). */
#define CP_PAHOLE_MAX_DEPTH 16

/* Per-print state: the BTF and a memo of natural alignments. */
struct cp_pahole {
	const struct btf *btf;
	uint32_t ntypes;
	uint8_t *align;		/* natural alignment per id: log2 + 1, or 0 */
	uint8_t *busy;		/* ids whose alignment is being computed */
};

/* One member as pahole's BTF loader and hole finder see it. */
struct cp_pahole_member {
	const char *name;	/* NULL if anonymous */
	uint32_t type;		/* as declared */
	uint64_t bit_offset;	/* from BTF */
	uint32_t bitfield_size;
	uint64_t byte_offset;	/* of the storage unit for bitfields */
	uint32_t bitfield_offset;
	uint64_t byte_size;	/* of the stripped type */
	uint64_t alignment;	/* inferred forced alignment, 0 if none */
	int64_t hole, bit_hole;	/* after this member */
};

struct cp_pahole_layout {
	uint32_t id;
	bool is_struct;
	uint64_t size;
	uint16_t n;
	struct cp_pahole_member *m;
	int64_t pre_hole, pre_bit_hole, padding, bit_padding;
	unsigned nr_holes, nr_bit_holes;
	uint64_t alignment;	/* inferred for the struct itself */
	bool packed;		/* inferred __packed__ */
};

struct cp_error *cp_pahole_init(struct cp_pahole *p, const struct btf *btf);
void cp_pahole_deinit(struct cp_pahole *p);
/* NULL for id 0 (void). */
const struct btf_type *cp_pahole_type(const struct cp_pahole *p, uint32_t id);
/* NULL for the empty name. */
const char *cp_pahole_name(const struct cp_pahole *p, uint32_t off);
/* pahole's tag__size. */
uint64_t cp_pahole_size(const struct cp_pahole *p, uint32_t id);
/* pahole's class__fixup_btf_bitfields + class__find_holes + packed
 * inference for struct or union id; false when out of memory. */
bool cp_pahole_layout(struct cp_pahole *p, uint32_t id,
		      struct cp_pahole_layout *L);
void cp_pahole_layout_free(struct cp_pahole_layout *L);

/* pahole's tag__name: a type's C spelling without a declarator. */
void cp_pahole_type_name(struct cp_pahole *p, uint32_t id, char *buf,
			 size_t len, int depth);
/* pahole's ftype__fprintf: "ret (*name)(params)", ret padded to spacing. */
void cp_pahole_ftype_name(struct cp_pahole *p, uint32_t id, const char *name,
			  bool is_pointer, int spacing, char *buf, size_t len,
			  int depth);
/* Is id a pointer to a function prototype? *proto gets the prototype. */
bool cp_pahole_func_ptr(const struct cp_pahole *p, uint32_t id,
			uint32_t *proto);

#endif /* CP_KERNEL_BTF_PAHOLE_H */
