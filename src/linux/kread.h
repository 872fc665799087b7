/*
 * kread.h - how views read the guest kernel: bounded, validated, by name.
 *
 * Every view (processes, files, sockets, modules, ...) reads kernel memory
 * through these helpers and nothing else:
 *
 *   cp_read_u32/u64/ptr   one value by kernel virtual address; a pointer
 *                         must be 0 or a canonical kernel address
 *   cp_read_cstr          a bounded NUL-terminated string
 *   cp_list_walk          a kernel list_head list with a count bound, a
 *                         cycle guard and a next->prev consistency check
 *   cp_fields_resolve     a view's table of struct members, resolved once
 *                         per profile; alternatives ("__state|state")
 *                         cover renames between kernel versions, as data
 *
 * Guest memory belongs to the attacker and changes under us: a walk that
 * meets a bad pointer stops and says why (struct cp_walk_stop) instead of
 * guessing; callers keep what they got and report it as partial.
 */
#ifndef CP_LINUX_KREAD_H
#define CP_LINUX_KREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cloudprobe.h"

/* Kernel addresses live in the upper half. */
static inline bool cp_kernel_ptr_ok(uint64_t va)
{
	return va >= 0xff00000000000000ull;
}

struct cp_error *cp_read_u8(struct cp_profile *p, uint64_t va, uint8_t *ret);
struct cp_error *cp_read_u16(struct cp_profile *p, uint64_t va,
			     uint16_t *ret);
struct cp_error *cp_read_u32(struct cp_profile *p, uint64_t va,
			     uint32_t *ret);
struct cp_error *cp_read_u64(struct cp_profile *p, uint64_t va,
			     uint64_t *ret);
/* A kernel pointer: 0, or an upper-half address (else CP_ERR_CORRUPT). */
struct cp_error *cp_read_ptr(struct cp_profile *p, uint64_t va,
			     uint64_t *ret);
/* An unsigned value of 1, 2, 4 or 8 bytes (a field's size). */
struct cp_error *cp_read_uint(struct cp_profile *p, uint64_t va, size_t size,
			      uint64_t *ret);
/*
 * A string of at most max bytes at va into buf (max + 1 bytes), always
 * NUL-terminated; reads stop at the first NUL. For fixed char arrays
 * (task_struct.comm) and kmalloc'd names alike.
 */
struct cp_error *cp_read_cstr(struct cp_profile *p, uint64_t va, char *buf,
			      size_t max);

/* ----------------------------------------------------------- list walks */

/* Why a walk ended early (all zero: it went round to the head). */
struct cp_walk_stop {
	bool partial;
	char reason[160];
};

/*
 * Called per entry: node is the list_head's address inside the entry
 * (entry = node - link offset, container_of). Return false to stop.
 */
typedef bool cp_list_fn(void *arg, uint64_t node);

/*
 * Walks the circular list at head (a struct list_head): head->next, ...,
 * until back at head. Stops, with stop->partial set and a reason, at a
 * non-kernel or unreadable pointer, a node whose next->prev does not point
 * back (a torn or forged list), a cycle that does not pass through head,
 * or after max entries. Returns the number of entries visited.
 */
size_t cp_list_walk(struct cp_profile *p, uint64_t head, size_t max,
		    cp_list_fn *fn, void *arg, struct cp_walk_stop *stop);

/* Formats a stop reason (printf-style) into stop and marks it partial. */
void cp_walk_stop_set(struct cp_walk_stop *stop, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ------------------------------------------------------- field tables */

/*
 * One member a view needs: TYPE.PATH, where PATH may list alternatives
 * separated by '|' (first found wins: "__state|state"). Optional members
 * that no alternative names leave *out with found = false.
 */
struct cp_field_spec {
	const char *type;
	const char *path;
	bool optional;
	struct cp_resolved_field *out;
};

struct cp_resolved_field {
	bool found;
	uint64_t offset;
	uint64_t size;
	uint32_t bit_offset;
	uint32_t bit_size;
	const char *path;	/* the alternative that matched */
};

/* Resolves every spec; fails naming the first required member missing. */
struct cp_error *cp_fields_resolve(struct cp_profile *p,
				   const struct cp_field_spec *specs,
				   size_t n);

/* Size of a struct by name, or a named error. */
struct cp_error *cp_struct_size(struct cp_profile *p, const char *type,
				uint64_t *ret);

/* ------------------------------------------------- XArray / IDR walks */

/*
 * Called per present entry of an XArray (also what an IDR and a radix
 * tree are): its index and value. Internal entries (nodes, siblings,
 * retry/zero markers) and value entries (tagged integers) are never
 * passed, so entry is always a kernel pointer. Return false to stop.
 */
typedef bool cp_xa_fn(void *arg, uint64_t index, uint64_t entry);

/*
 * Walks the XArray whose xa_head member is at head_va (for an IDR:
 * &idr->idr_rt.xa_head) in index order. Validates each node (shift one
 * chunk below its parent, offset equal to its slot, canonical pointers)
 * and stops, with stop->partial and a reason, at a bad node, after max
 * entries or after a bound on nodes. Returns the entries passed to fn.
 */
size_t cp_xa_walk(struct cp_profile *p, uint64_t head_va, size_t max,
		  cp_xa_fn *fn, void *arg, struct cp_walk_stop *stop);

#endif /* CP_LINUX_KREAD_H */
