/*
 * kallsyms.h - the guest kernel's own symbol table, read from its RAM.
 *
 * A Linux kernel built with CONFIG_KALLSYMS carries a compressed table of
 * every core-kernel symbol (name, type letter, address) in its .rodata; it
 * is what /proc/kallsyms prints for vmlinux. This module finds that table in
 * guest-physical memory and decodes it into runtime (KASLR-shifted)
 * addresses, identical to the guest's /proc/kallsyms lines without a
 * "[module]" suffix. Two ways in:
 *
 *   cp_kallsyms_from_vmcoreinfo()  the table addresses VMCOREINFO gives
 *   cp_kallsyms_carve()            no VMCOREINFO: the tables are found by
 *                                  their shape (kallsyms_carve.c)
 *
 * Either way the tables are validated against each other (markers, counts,
 * sorted addresses, token index) before anything is trusted. Module, BPF and
 * ftrace symbols are not here: they live in other structures (linux/).
 *
 * The result owns one string arena; names stay valid until
 * cp_kallsyms_destroy(). The integrator wires this into the profile and the
 * public header.
 */
#ifndef CP_KERNEL_KALLSYMS_H
#define CP_KERNEL_KALLSYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cloudprobe.h"

struct cp_kallsyms;

/* One symbol, as /proc/kallsyms prints it. */
struct cp_ksym {
	const char *name;	/* owned by the table */
	uint64_t addr;		/* runtime virtual address */
	char type;		/* 'T', 't', 'D', 'd', 'R', 'r', 'B', 'b', 'A', ... */
};

/*
 * What the carver may be told by other discovery steps. Every field is
 * optional (has_* false, or a NULL hints pointer).
 *
 * Only kernels from 7.0 on need one: their offsets are relative to the
 * table's own virtual address, which the table does not store. Without a
 * hint the carver votes with the kernel's self-pointing data (empty
 * list_heads, which hold their own runtime address); a hint is used
 * instead of the vote. On older kernels, whose table stores its base, a
 * text_va hint that disagrees with it is an error.
 */
struct cp_kallsyms_hints {
	bool has_text_va;
	uint64_t text_va;	/* runtime virtual address of _text */
	bool has_phys_base;
	int64_t phys_base;	/* NUMBER(phys_base): pa = va - 0xffffffff80000000
				 * + phys_base for kernel-image addresses */
};

/* How the table was found and read, for `cloudprobe info` and debugging. */
struct cp_kallsyms_info {
	const char *origin;	/* "vmcoreinfo" or "carved" */
	const char *layout;	/* the layout descriptor's name, e.g. "6.4-6.14" */
	const char *layout_since; /* the kernel change that introduced it */
	/* where runtime addresses came from: "relative_base" (stored in the
	 * table, up to 6.19), or for 7.0+ "vmcoreinfo", "hint",
	 * "self-pointers" */
	const char *base_source;
	uint32_t anchors;	/* token tables followed (carve) */
	uint64_t names_paddr;
	uint64_t markers_paddr;
	uint64_t token_table_paddr;
	uint64_t token_index_paddr;
	uint64_t offsets_paddr;
	/*
	 * va - pa of the kernel image (KASLR: phys_base = 0xffffffff80000000
	 * - this), when learned: from VMCOREINFO, a hint, or (carving) a
	 * vote of self-pointing data, image_delta_votes symbols agreeing.
	 */
	bool has_image_delta;
	uint64_t image_va_minus_pa;
	uint32_t image_delta_votes;
};

/*
 * Reads the tables at the addresses VMCOREINFO gives: SYMBOL(kallsyms_names,
 * _num_syms, _offsets, _token_table, _token_index[, _relative_base]) and
 * NUMBER(phys_base). mem must stay open while the call runs only.
 */
struct cp_error *cp_kallsyms_from_vmcoreinfo(struct cp_mem *mem,
					     const struct cp_vmcoreinfo *vi,
					     struct cp_kallsyms **ret);

/*
 * Finds the tables with no VMCOREINFO: scans all of mem for the token
 * table, then the tables around it by each known layout. *scanned
 * (optional) receives the bytes of guest memory scanned for the token
 * table (once per search pattern tried), also on failure.
 */
struct cp_error *cp_kallsyms_carve(struct cp_mem *mem,
				   const struct cp_kallsyms_hints *hints,
				   struct cp_kallsyms **ret, uint64_t *scanned);

/*
 * A table from a list sorted by address (the profile cache, System.map),
 * checked and indexed like a decoded one. origin (a static string) names
 * where it came from.
 */
struct cp_error *cp_kallsyms_from_list(const struct cp_ksym *syms, size_t n,
				       const char *origin,
				       struct cp_kallsyms **ret);

void cp_kallsyms_destroy(struct cp_kallsyms *ks);

/* Number of symbols; indices are in table order (sorted by address). */
size_t cp_kallsyms_count(const struct cp_kallsyms *ks);
/* The i-th symbol; false if i is out of range. */
bool cp_kallsyms_get(const struct cp_kallsyms *ks, size_t i,
		     struct cp_ksym *ret);
/* The first symbol (lowest index) named name; false if none. */
bool cp_kallsyms_find(const struct cp_kallsyms *ks, const char *name,
		      size_t *index);
/*
 * All symbols named name: writes up to max indices (ascending) and returns
 * how many there are, which may be more than max.
 */
size_t cp_kallsyms_find_all(const struct cp_kallsyms *ks, const char *name,
			    size_t *indices, size_t max);
/* Shorthand: the address of the first symbol named name. */
bool cp_kallsyms_address(const struct cp_kallsyms *ks, const char *name,
			 uint64_t *addr);
/*
 * The symbol containing addr: the last one at or below it, and of several
 * at that same address the first (as the kernel's own lookup picks).
 * *offset (optional) receives addr minus its address. False if addr is
 * below every symbol.
 */
bool cp_kallsyms_lookup(const struct cp_kallsyms *ks, uint64_t addr,
			size_t *index, uint64_t *offset);
const struct cp_kallsyms_info *cp_kallsyms_info(const struct cp_kallsyms *ks);

#endif /* CP_KERNEL_KALLSYMS_H */
