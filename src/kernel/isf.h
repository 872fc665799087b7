/*
 * isf.h - Volatility 3's Intermediate Symbol Format, in and out.
 *
 * Export (isf_export.c) writes a kernel profile as an ISF JSON file that
 * Volatility 3 loads and matches to a memory image by its linux_banner:
 * types from BTF, symbols from the kallsyms carver. Import (isf_import.c)
 * reads an ISF (e.g. one made by dwarf2json from a -dbg vmlinux), or a
 * System.map plus a BTF file (isf.c), and builds a libbpf `struct btf`,
 * so the rest of cloudprobe keeps one type model whatever the source.
 *
 * Addresses in an ISF are link-time addresses, as dwarf2json writes them
 * from vmlinux's symbol table: Volatility finds the KASLR shift itself
 * (init_task's physical address, init_files through init_task.files).
 * Export therefore takes the guest's runtime addresses and the virtual
 * KASLR shift and writes runtime - shift; import returns link-time
 * addresses and callers add the shift they found.
 */
#ifndef CP_KERNEL_ISF_H
#define CP_KERNEL_ISF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <bpf/btf.h>

#include "cloudprobe.h"

/* The ISF version written: what dwarf2json writes, read by every
 * Volatility 3 that reads 6.x. */
#define CP_ISF_FORMAT "6.2.0"

/*
 * One kernel symbol, as /proc/kallsyms or System.map lists it. The
 * kallsyms component hands an array of these to the exporter.
 */
struct cp_isf_symbol {
	const char *name;
	uint64_t address;
	char type;		/* nm letter: T t D d B b R r A W ...; '?' if
				 * unknown (ISF does not record it) */
};

/* Symbols read back; names and banner are owned. */
struct cp_isf_symbols {
	struct cp_isf_symbol *data;
	size_t size;
	char *banner;		/* linux_banner without its "\n", or NULL */
};

void cp_isf_symbols_deinit(struct cp_isf_symbols *syms);

struct cp_isf_export_opts {
	/* The guest's linux_banner ("Linux version ..."), with or without
	 * its final "\n"; written as linux_banner's constant_data exactly as
	 * it sits in memory ("...\n\0"), which Volatility scans for. NULL
	 * writes no banner (Volatility then cannot match the file). */
	const char *banner;
	/* Virtual KASLR shift (VMCOREINFO KERNELOFFSET), subtracted from
	 * addresses inside the kernel image mapping; 0 if unknown. */
	uint64_t kaslr_shift;
	/* metadata.producer.datetime: seconds since the epoch, 0 for now,
	 * -1 to leave it out (reproducible files). */
	int64_t datetime;
};

/*
 * Writes btf and syms as an ISF document to out. Structs and unions
 * become user_types (anonymous ones "unnamed_<kind>_<id>", a second
 * definition of a name "NAME#<id>"), anonymous members
 * "unnamed_field_<offset>" with "anonymous": true, typedefs and
 * qualifiers are resolved away (as dwarf2json does), base_types gain
 * "void" and "pointer". Well-known symbols get types (init_task is a
 * task_struct) so Volatility can read them.
 */
struct cp_error *cp_isf_export(FILE *out, const struct btf *btf,
			       const struct cp_isf_symbol *syms, size_t nsyms,
			       const struct cp_isf_export_opts *opts);

/*
 * Reads an ISF file (JSON, format 4.x-6.x) and builds a BTF from its
 * types with libbpf's writer. syms (optional) receives its symbols at
 * link-time addresses and the banner from linux_banner's constant_data.
 * Malformed JSON, a wrong schema, unknown type references, sizes beyond
 * BTF's limits or structs containing themselves fail with a cp_error that
 * says where.
 */
struct cp_error *cp_isf_import(const char *path, struct btf **btf,
			       struct cp_isf_symbols *syms);
struct cp_error *cp_isf_import_buffer(const char *json, size_t len,
				      struct btf **btf,
				      struct cp_isf_symbols *syms);

/*
 * Reads a System.map (symbols) and a BTF file (raw BTF, or an ELF with a
 * .BTF section; must define task_struct). Debian's placeholder System.map
 * (the real one is in the -dbg package) is refused with that advice.
 */
struct cp_error *cp_isf_import_system_map(const char *map_path,
					  const char *btf_path,
					  struct btf **btf,
					  struct cp_isf_symbols *syms);
/* Parses System.map text (unit tests, fuzzing). */
struct cp_error *cp_isf_parse_system_map(const char *text, size_t len,
					 struct cp_isf_symbols *syms);

#endif /* CP_KERNEL_ISF_H */
