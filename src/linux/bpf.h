/*
 * bpf.h - loaded eBPF programs and maps, as the kernel indexes them by id
 * (prog_idr and map_idr in kernel/bpf/syscall.c), and the `ebpf` and
 * `ebpf_maps` views.
 *
 * Every program and map that exists has an id in these IDRs whether or not
 * any process still holds an fd to it (pinned, attached), so this is the
 * list `bpftool prog/map list` shows. Records carry the addresses a
 * detector needs (struct bpf_prog, its JIT image). Not for: dumping
 * instructions or map contents, BPF links or BTF objects.
 */
#ifndef CP_LINUX_BPF_H
#define CP_LINUX_BPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cloudprobe.h"

#define CP_BPF_MAX_USED_MAPS 64	/* MAX_USED_MAPS in the verifier */

struct cp_bpf_prog {
	uint64_t addr;			/* struct bpf_prog */
	uint32_t id;
	int64_t type;			/* enum bpf_prog_type */
	const char *type_name;		/* "socket_filter"; NULL if unknown */
	char name[17];			/* aux->name */
	char tag[17];			/* prog->tag, 16 hex digits */
	uint64_t load_time;		/* ns since boot (boottime clock) */
	bool has_uid;
	uint32_t uid;			/* aux->user->uid (init namespace) */
	bool jited;
	uint32_t jited_len;		/* bytes of JIT code, subprogs summed */
	uint32_t xlated_len;		/* bytes of (translated) insns */
	uint64_t bpf_func;		/* entry of the JIT image, or 0 */
	char attach[128];		/* attach_func_name or "btf_id:N", "" */
	uint32_t map_ids[CP_BPF_MAX_USED_MAPS];
	size_t nmaps;
};

struct cp_bpf_map {
	uint64_t addr;			/* struct bpf_map */
	uint32_t id;
	int64_t type;			/* enum bpf_map_type */
	const char *type_name;		/* "hash", "array"...; NULL if unknown */
	char name[17];
	uint32_t key_size, value_size, max_entries, map_flags;
};

typedef bool cp_bpf_prog_fn(void *arg, const struct cp_bpf_prog *prog);
typedef bool cp_bpf_map_fn(void *arg, const struct cp_bpf_map *map);

/*
 * Walk prog_idr / map_idr in id order. An entry that fails validation
 * (its aux does not point back, its id is not its index, unreadable) is
 * skipped and counted; then, or when the IDR walk broke off, the result
 * is CP_ERR_PARTIAL with the reason.
 */
struct cp_error *cp_bpf_prog_walk(struct cp_profile *p, cp_bpf_prog_fn *fn,
				  void *arg);
struct cp_error *cp_bpf_map_walk(struct cp_profile *p, cp_bpf_map_fn *fn,
				 void *arg);

struct cp_view;
extern const struct cp_view cp_view_ebpf;
extern const struct cp_view cp_view_ebpf_maps;

#endif /* CP_LINUX_BPF_H */
