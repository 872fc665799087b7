/*
 * btf.h - kernel types as BTF: carved from guest RAM, queried by name,
 * printed like pahole.
 *
 * BTF (the BPF Type Format) is the one type model of cloudprobe: whether
 * the types came from the vmlinux blob in guest memory (btf.c), from a
 * Volatility ISF or a BTF file on disk (isf.h), the rest of the system sees
 * a libbpf `struct btf` and asks for fields by name through this header.
 *
 *   btf.c        finding and validating the vmlinux blob in guest RAM
 *   btf_field.c  field, size and enum lookups by name (and a name index)
 *   btf_print.c  `pahole -C NAME`-style layout printing
 *
 * Everything here treats BTF as hostile input: blobs carved from RAM are
 * validated (every type id and name offset) before anyone walks them, and
 * the walkers still bound their depth, so a forged blob with loops cannot
 * hang or crash a caller.
 */
#ifndef CP_KERNEL_BTF_H
#define CP_KERNEL_BTF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <bpf/btf.h>

#include "cloudprobe.h"

/* ------------------------------------------------------------- carving */

/* Largest blob accepted: vmlinux BTF is 4-6 MiB on today's kernels. */
#define CP_BTF_MAX_SIZE (64u << 20)

/* What carving saw; filled on success and (counters) on failure. */
struct cp_btf_info {
	uint64_t paddr;		/* guest-physical start of the chosen blob */
	uint32_t size;		/* bytes: header, types and strings */
	uint32_t ntypes;	/* type ids 1..ntypes */
	double ms;		/* wall time of the whole carve */
	uint64_t scanned;	/* bytes of guest memory searched for headers */
	unsigned candidates;	/* headers with the BTF magic, version 1 */
	unsigned rejected;	/* candidates that failed validation, as: */
	unsigned implausible;	/*   header sizes make no sense */
	unsigned unreadable;	/*   blob runs into a hole */
	unsigned split;		/*   module split BTF (strings go on from a
				 *   base's) */
	unsigned corrupt;	/*   libbpf or our id/name checks refused it */
	unsigned not_kernel;	/*   parses, but defines no task_struct */
	unsigned copies;	/* other valid blobs identical to the chosen */
	unsigned alternatives;	/* other valid blobs that differ: suspicious */
};

struct cp_btf_carve_opts {
	/*
	 * Scan all memory instead of stopping at the first valid blob, so
	 * copies and conflicting (possibly planted) blobs are counted.
	 */
	bool exhaustive;
	/*
	 * With exhaustive: among differing valid blobs, choose the one
	 * nearest this address (e.g. the kernel image); 0 picks the lowest.
	 */
	uint64_t near_paddr;
};

/*
 * Finds the vmlinux BTF blob in guest-physical memory and parses it with
 * libbpf. A blob is accepted when its header is sane (magic 0xEB9F,
 * version 1, flags 0, hdr_len 24, sections inside the blob), it parses
 * standalone (module split BTF does not), every type id and name offset
 * is in range, and it defines struct task_struct. Stops at the first such
 * blob. *ret is freed with btf__free(); info (optional) says where and at
 * what cost.
 */
struct cp_error *cp_btf_carve(struct cp_mem *mem, struct btf **ret,
			      struct cp_btf_info *info);
struct cp_error *cp_btf_carve_opts(struct cp_mem *mem,
				   const struct cp_btf_carve_opts *opts,
				   struct btf **ret, struct cp_btf_info *info);

/*
 * Validates and parses one BTF blob from a buffer (what the carver does
 * per candidate). require_kernel additionally demands a task_struct.
 */
struct cp_error *cp_btf_parse_blob(const void *data, size_t size,
				   bool require_kernel, struct btf **ret);
/*
 * Checks an already parsed BTF: every referenced type id and name offset
 * in range, sizes sane. libbpf 1.1 does not check these itself.
 */
struct cp_error *cp_btf_check(const struct btf *btf, bool require_kernel);
/* Parses a BTF file (raw, or an ELF with .BTF) and checks it. */
struct cp_error *cp_btf_load_file(const char *path, bool require_kernel,
				  struct btf **ret);

/* -------------------------------------------------------------- lookups */

/* What a type is once typedefs and qualifiers are stripped. */
enum cp_btf_kind {
	CP_BTF_VOID,
	CP_BTF_INT,	/* also char and _Bool */
	CP_BTF_FLOAT,
	CP_BTF_POINTER,
	CP_BTF_ARRAY,
	CP_BTF_STRUCT,
	CP_BTF_UNION,
	CP_BTF_ENUM,	/* ENUM and ENUM64 */
	CP_BTF_FUNC,	/* a function prototype */
	CP_BTF_FWD,	/* a declaration without a body */
	CP_BTF_OTHER,
};

const char *cp_btf_kind_name(enum cp_btf_kind kind);

/*
 * A member located by a path from an outer struct or union. Offsets are
 * from the start of the outer type, through every nested and anonymous
 * member on the way.
 */
struct cp_btf_field {
	uint64_t offset;	/* bytes; for bitfields the byte holding the
				 * first bit */
	uint64_t size;		/* bytes of the member's type (for bitfields,
				 * of the declared integer type) */
	uint32_t bit_offset;	/* bitfields: first bit within the byte at
				 * offset, 0-7 (little-endian numbering) */
	uint32_t bit_size;	/* bitfields: width; 0 for ordinary members */
	uint32_t decl_type_id;	/* the member's type as declared */
	uint32_t type_id;	/* the same with typedefs/qualifiers stripped */
	enum cp_btf_kind kind;	/* of type_id */
	bool is_signed;		/* INT and ENUM */
	/* ARRAY: element type (stripped), element size and count. */
	uint32_t elem_type_id;
	uint64_t elem_size;
	uint32_t count;
	/* POINTER: pointed-to type (stripped; 0 is void) and its kind. */
	uint32_t target_type_id;
	enum cp_btf_kind target_kind;
};

/*
 * Looks up PATH in the struct or union TYPE ("task_struct", or with a
 * "struct "/"union " prefix, or a typedef naming one). PATH is member
 * names joined by '.', each optionally indexed ("pid_links[1]"); members
 * of anonymous structs and unions are found by their plain name, as in C
 * ("__state", "skc_daddr"). When several types share TYPE's name, the
 * ones with members are tried first, most members first, until one has
 * the path. Fails with CP_ERR_NOT_FOUND naming what was missing.
 */
struct cp_error *cp_btf_field(const struct btf *btf, const char *type,
			      const char *path, struct cp_btf_field *ret);
/* Size of a struct, union, enum or typedef by name. */
struct cp_error *cp_btf_type_size(const struct btf *btf, const char *name,
				  uint64_t *ret);
/*
 * Value of an enumerator by name (enumerator names are global in C).
 * Unsigned 64-bit values above INT64_MAX come back as their bit pattern.
 */
struct cp_error *cp_btf_enum_value(const struct btf *btf,
				   const char *enumerator, int64_t *ret);
/*
 * The preferred type id named name of kind STRUCT, UNION, ENUM or
 * (CP_BTF_OTHER) typedef: a definition with members over an empty one,
 * the most members first. 0 if none.
 */
uint32_t cp_btf_find(const struct btf *btf, const char *name,
		     enum cp_btf_kind kind);
/* Strips typedefs and qualifiers (bounded: loops end as 0). */
uint32_t cp_btf_strip(const struct btf *btf, uint32_t id);
enum cp_btf_kind cp_btf_kind_of(const struct btf *btf, uint32_t id);

/*
 * A name index over one BTF, for callers that look up many names (a
 * profile resolving its fields): the plain functions above scan all types
 * per name (~0.7 ms a lookup on a 6.1 kernel's 95,000 types), the index
 * answers in under a microsecond after a one-off build (~2 ms). The btf
 * must outlive the index.
 */
struct cp_btf_index;

struct cp_error *cp_btf_index_new(const struct btf *btf,
				  struct cp_btf_index **ret);
void cp_btf_index_destroy(struct cp_btf_index *ix);
const struct btf *cp_btf_index_btf(const struct cp_btf_index *ix);
struct cp_error *cp_btf_index_field(const struct cp_btf_index *ix,
				    const char *type, const char *path,
				    struct cp_btf_field *ret);
struct cp_error *cp_btf_index_type_size(const struct cp_btf_index *ix,
					const char *name, uint64_t *ret);
struct cp_error *cp_btf_index_enum_value(const struct cp_btf_index *ix,
					 const char *enumerator,
					 int64_t *ret);
uint32_t cp_btf_index_find(const struct cp_btf_index *ix, const char *name,
			   enum cp_btf_kind kind);

/* -------------------------------------------------------------- printing */

/*
 * Prints struct or union NAME as `pahole -C NAME` does: members with C
 * types, names and offset/size comments, bitfields, nested anonymous
 * structs and unions, holes, cacheline boundaries and the size summary.
 * Of several definitions of NAME it prints the one lookups use (most
 * members), where pahole prints the first.
 */
struct cp_error *cp_btf_print_struct(FILE *out, const struct btf *btf,
				     const char *name);
/* The same for a type id (anonymous types included). */
struct cp_error *cp_btf_print_type(FILE *out, const struct btf *btf,
				   uint32_t id);

#endif /* CP_KERNEL_BTF_H */
