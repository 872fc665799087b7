/*
 * qemu.h - live QEMU processes as memory sources: the layout half.
 *
 * To read a running QEMU's guest RAM we need, for every guest-physical
 * range, the host virtual address (HVA) where QEMU keeps it. The parsers
 * here turn what QEMU and /proc say into that map; qemu_layout.c holds
 * them (pure functions of text, fuzzed by tests/fuzz/fuzz_qemu_layout.c),
 * qemu.c the sources (qemu:PID, qmp:SOCKET, libvirt:NAME) and the reads.
 *
 * Two ways to learn the layout, best first:
 *  - QMP: `info mtree -f` lists the flat view of the "memory" address
 *    space (each RAM range: block name and offset into the block), and
 *    `gpa2hva ADDR` turns a range's start into a host address;
 *  - inference, when no QMP socket answers: RAM size and machine type
 *    from /proc/PID/cmdline, QEMU's own below/above-4G split rule, and
 *    the RAM mapping found in /proc/PID/maps by path or size.
 */
#ifndef CP_MEM_QEMU_H
#define CP_MEM_QEMU_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cloudprobe.h"
#include "util/vector.h"

/* One guest RAM range: [gpa, gpa+size) is bytes block_off.. of `block`. */
struct cp_qemu_ram {
	uint64_t gpa;
	uint64_t size;
	uint64_t block_off;
	uint64_t hva;		/* host address of gpa in QEMU; 0 = unknown */
	char block[64];		/* RAM block (memory region) name */
};
CP_DEFINE_VECTOR(cp_qemu_ram_vector, struct cp_qemu_ram)

/* One line of /proc/PID/maps. */
struct cp_qemu_mapping {
	uint64_t start, end;
	uint64_t offset;	/* file offset of start */
	bool readable;
	bool shared;		/* 's' in the permissions */
	bool deleted;		/* the file was unlinked */
	char *path;		/* malloc'd; NULL when anonymous */
};
CP_DEFINE_VECTOR(cp_qemu_mapping_vector, struct cp_qemu_mapping)

enum cp_qemu_machine {
	CP_QEMU_MACHINE_UNKNOWN,
	CP_QEMU_MACHINE_Q35,
	CP_QEMU_MACHINE_I440FX,	/* "pc", the default of qemu-system-x86_64 */
};

/* What /proc/PID/cmdline says about guest RAM and monitors. */
struct cp_qemu_cmdline {
	bool is_qemu;		/* argv[0] names a QEMU binary */
	uint64_t ram_size;	/* -m in bytes; QEMU's default if absent */
	bool ram_size_given;
	enum cp_qemu_machine machine;
	char machine_name[64];	/* as given ("q35", "pc-q35-7.2"), or "" */
	unsigned backends;	/* memory-backend-* objects */
	char *mem_path;		/* the one memory-backend-file's mem-path */
	bool mem_shared;	/* its share=on */
	char *qmp_socket;	/* a unix socket serving QMP, or NULL */
};

/*
 * Parses `info mtree -f` output: ranges of the flat view that serves
 * address space "memory" whose region is one of the nblocks RAM block
 * names, merged where contiguous in both address and block offset.
 */
struct cp_error *cp_qemu_parse_mtree(const char *text,
				     const char *const *blocks, size_t nblocks,
				     struct cp_qemu_ram_vector *out);
/* "Host virtual address for 0x0 (ram) is 0x7f..." -> the address. */
struct cp_error *cp_qemu_parse_gpa2hva(const char *text, uint64_t *hva);
/* Parses /proc/PID/maps text; free with cp_qemu_mappings_deinit(). */
struct cp_error *cp_qemu_parse_maps(const char *text,
				    struct cp_qemu_mapping_vector *out);
void cp_qemu_mappings_deinit(struct cp_qemu_mapping_vector *v);
/* Parses NUL-separated argv; free with cp_qemu_cmdline_deinit(). */
struct cp_error *cp_qemu_parse_cmdline(const char *buf, size_t len,
				       struct cp_qemu_cmdline *out);
void cp_qemu_cmdline_deinit(struct cp_qemu_cmdline *cmd);
/*
 * A QEMU size ("256M", "size=4194304k,slots=2", "1024") in bytes; a bare
 * number counts in `unit` (MiB for -m). Stops at the first ','.
 */
bool cp_qemu_parse_size(const char *s, uint64_t unit, uint64_t *ret);

/*
 * The guest RAM ranges QEMU creates for a machine with ram_size bytes:
 * all below 4 GiB while it fits under the PCI hole, else a low part and
 * the rest from 4 GiB (hw/i386/pc_q35.c, pc_piix.c: q35 keeps 2 GiB low
 * from 2.75 GiB of RAM, i440fx 3 GiB from 3.5 GiB). Block offsets are
 * filled, HVAs are not.
 */
struct cp_error *cp_qemu_split_ram(enum cp_qemu_machine machine,
				   uint64_t ram_size,
				   struct cp_qemu_ram_vector *out);

/*
 * Finds the HVA of the RAM block start from /proc/PID/maps when QMP is
 * not available: the mapping of mem_path if given, else the one anonymous
 * read-write mapping of exactly ram_size bytes (QEMU maps each RAM block
 * on its own). `dontcopy` (optional, per mapping: smaps "dc", which QEMU
 * sets on guest RAM) breaks ties. Fails when none or several fit.
 */
struct cp_error *cp_qemu_find_ram_mapping(
	const struct cp_qemu_mapping_vector *maps, const char *mem_path,
	uint64_t ram_size, const bool *dontcopy, uint64_t *hva);

/* Parses the VmFlags lines of /proc/PID/smaps: dc[i] per mapping. */
struct cp_error *cp_qemu_parse_smaps_dontcopy(const char *text,
					      const struct cp_qemu_mapping_vector *maps,
					      bool *dc);

/* The source's own description of how it learned the layout. */
const char *cp_qemu_layout_origin(const struct cp_mem *mem);
/* The QEMU PID behind a qemu:, qmp: or libvirt: source. */
pid_t cp_qemu_pid(const struct cp_mem *mem);
/* True when reads use a mapping of the RAM file (zero copy). */
bool cp_qemu_zero_copy(const struct cp_mem *mem);

#endif /* CP_MEM_QEMU_H */
