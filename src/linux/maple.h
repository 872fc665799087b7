/*
 * maple.h - a bounded walker over a guest kernel's maple tree (lib/
 * maple_tree.c), the range tree that holds a process's VMAs from 6.1 on
 * (mm_struct.mm_mt) and a few other kernel indexes.
 *
 * What a maple tree looks like in memory (6.1 .. 7.x, x86-64):
 *
 *   struct maple_tree.ma_root  NULL (empty), a plain entry (the tree holds
 *                              one entry, at index 0), or an encoded node
 *                              pointer with bit 1 set (xa_is_node)
 *   encoded node pointer       node address | type << 3 | flag bits; nodes
 *                              are 256-byte aligned, so the low 8 bits are
 *                              free (MAPLE_NODE_MASK)
 *   maple_range_64/leaf_64     pivot[15], slot[16], metadata.end in the
 *                              last slot's bytes
 *   maple_arange_64            pivot[9], slot[10], gap[10], metadata
 *
 * Slot i of a node covering [min, max] covers [pivot[i-1] + 1, pivot[i]]
 * (pivot[-1] + 1 = min; the last used slot ends at max). Internal slots
 * hold encoded child nodes; leaf slots hold entries (NULL = a gap).
 *
 * Everything read is hostile: node pointers must be kernel addresses with
 * a known type, pivots must increase within the parent's range, depth and
 * node count are bounded. A walk that meets a bad node stops and says why
 * (struct cp_walk_stop) after yielding what it read before.
 *
 * Offsets and array lengths come from the profile's BTF (data, resolved
 * once); only the pointer encoding (shift 3, mask 0xF, 256-byte nodes),
 * unchanged since the maple tree was merged, is a constant here. The walker
 * reads through a callback so tests and fuzzers can feed it synthetic
 * trees without a kernel profile.
 *
 * Not for: writing, RCU-safe iteration, or trees of dense nodes (no kernel
 * index this project reads uses them: they fail with a reason).
 */
#ifndef CP_LINUX_MAPLE_H
#define CP_LINUX_MAPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cloudprobe.h"
#include "linux/kread.h"

/* MAPLE_HEIGHT_MAX: a deeper walk is a forged tree. */
#define CP_MAPLE_MAX_DEPTH 31
/* Bytes read per node: sizeof(struct maple_node) on 64-bit. */
#define CP_MAPLE_NODE_SIZE 256
/* Upper bounds on per-node arrays, for the walker's buffers. */
#define CP_MAPLE_MAX_SLOTS 64

/* Where one node type keeps its arrays (byte offsets into the node). */
struct cp_maple_node_layout {
	bool known;
	uint32_t pivot_off;
	uint32_t slot_off;
	uint32_t meta_end_off;	/* maple_metadata.end, a byte */
	uint32_t npivots;
	uint32_t nslots;
	bool leaf;
	bool meta_end_always;	/* arange_64: end is always in metadata */
};

/* The layout of this kernel's maple tree, indexed by enum maple_type. */
struct cp_maple_layout {
	uint32_t root_off;	/* maple_tree.ma_root */
	struct cp_maple_node_layout type[16];
};

/* Resolves the layout from the profile's types (maple_* structs, enum). */
struct cp_error *cp_maple_layout_resolve(struct cp_profile *p,
					 struct cp_maple_layout *ret);

/* Reads len bytes at a (kernel virtual) address. */
typedef struct cp_error *cp_maple_read_fn(void *ctx, uint64_t va, void *buf,
					  size_t len);

/*
 * One entry of the tree, covering indexes first..last (inclusive); entry
 * is the raw slot value (never NULL or a reserved internal value). Return
 * false to stop the walk.
 */
typedef bool cp_maple_entry_fn(void *arg, uint64_t first, uint64_t last,
			       uint64_t entry);

struct cp_maple_walk {
	const struct cp_maple_layout *layout;
	cp_maple_read_fn *read;
	void *read_ctx;
	size_t max_nodes;	/* bound on nodes read; 0 means 1 << 20 */
	/* Filled by the walk: */
	size_t nodes;		/* nodes read */
	size_t entries;		/* entries yielded */
	unsigned depth;		/* deepest level reached (root = 1) */
};

/*
 * Walks the tree whose struct maple_tree is at tree_va in index order,
 * calling fn per entry. Returns with stop->partial set (and the entries
 * before the problem yielded) when a node fails validation or a bound is
 * reached.
 */
void cp_maple_walk(struct cp_maple_walk *w, uint64_t tree_va,
		   cp_maple_entry_fn *fn, void *arg, struct cp_walk_stop *stop);

/* The same from an already-read ma_root value. */
void cp_maple_walk_root(struct cp_maple_walk *w, uint64_t root,
			cp_maple_entry_fn *fn, void *arg,
			struct cp_walk_stop *stop);

/* A cp_maple_read_fn over cp_kread (ctx is the struct cp_profile *). */
struct cp_error *cp_maple_kread(void *ctx, uint64_t va, void *buf, size_t len);

#endif /* CP_LINUX_MAPLE_H */
