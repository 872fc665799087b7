/*
 * btf_fixture.h - a small kernel-like BTF built with libbpf's writer, for
 * the BTF and ISF tests.
 *
 * It has what the real kernel's BTF makes lookups and printers deal with:
 * an anonymous union holding __state (task_struct since 5.14), a member
 * reached through an anonymous struct inside an anonymous union
 * (sock_common.skc_daddr), an anonymous struct at offset 0
 * (mm_struct.mm_mt, 6.1), typedef + const + volatile chains, a typedef of
 * an anonymous struct (atomic_t), bitfields that start a new storage unit,
 * arrays of structs, a function pointer, three structs named "dup" (one
 * empty, a big and a small one), a plain, a signed and a 64-bit enum.
 * Offsets are fixed here so tests can assert them.
 */
#ifndef CP_TESTS_BTF_FIXTURE_H
#define CP_TESTS_BTF_FIXTURE_H

#include <bpf/btf.h>

#include "unit.h"

#define ADD(expr)                                                            \
	({                                                                   \
		int _id = (expr);                                            \
		assert_true(_id >= 0);                                       \
		_id;                                                         \
	})

static inline struct btf *fixture_btf(void)
{
	struct btf *b = btf__new_empty();
	assert_non_null(b);
	int t_int = ADD(btf__add_int(b, "int", 4, BTF_INT_SIGNED));
	int t_uint = ADD(btf__add_int(b, "unsigned int", 4, 0));
	int t_char = ADD(btf__add_int(b, "char", 1, BTF_INT_SIGNED));
	int t_ulong = ADD(btf__add_int(b, "long unsigned int", 8, 0));
	int t_u64 = ADD(btf__add_typedef(b, "u64", t_ulong));
	int t_u32 = ADD(btf__add_typedef(b, "u32", t_uint));
	int t_be32 = ADD(btf__add_typedef(b, "__be32", t_u32));
	int t_u16 = ADD(btf__add_int(b, "short unsigned int", 2, 0));
	int t_cu32 = ADD(btf__add_const(b, t_u32));
	int t_cvu32 = ADD(btf__add_volatile(b, t_cu32));

	/* struct list_head { struct list_head *next, *prev; } */
	int t_list = ADD(btf__add_struct(b, "list_head", 16));
	int t_list_ptr = t_list + 1;
	ADD(btf__add_field(b, "next", t_list_ptr, 0, 0));
	ADD(btf__add_field(b, "prev", t_list_ptr, 64, 0));
	assert_int_equal(ADD(btf__add_ptr(b, t_list)), t_list_ptr);

	int t_se = ADD(btf__add_struct(b, "sched_entity", 16));
	ADD(btf__add_field(b, "load", t_ulong, 0, 0));
	ADD(btf__add_field(b, "vruntime", t_u64, 64, 0));

	int t_comm = ADD(btf__add_array(b, t_int, t_char, 16));
	int t_links = ADD(btf__add_array(b, t_int, t_list, 4));

	/* union { unsigned int __state; unsigned int saved_state; } */
	int t_state = ADD(btf__add_union(b, NULL, 4));
	ADD(btf__add_field(b, "__state", t_uint, 0, 0));
	ADD(btf__add_field(b, "saved_state", t_uint, 0, 0));

	/* typedef struct { int counter; } atomic_t; */
	int t_atomic_s = ADD(btf__add_struct(b, NULL, 4));
	ADD(btf__add_field(b, "counter", t_int, 0, 0));
	int t_atomic = ADD(btf__add_typedef(b, "atomic_t", t_atomic_s));

	/* three "dup": empty, 8 bytes/2 members, 4 bytes/1 member */
	ADD(btf__add_struct(b, "dup", 0));
	int t_dup = ADD(btf__add_struct(b, "dup", 8));
	ADD(btf__add_field(b, "a", t_int, 0, 0));
	ADD(btf__add_field(b, "b", t_int, 32, 0));
	ADD(btf__add_struct(b, "dup", 4));
	ADD(btf__add_field(b, "only_small", t_int, 0, 0));

	int t_maple = ADD(btf__add_enum(b, "maple_type", 4));
	ADD(btf__add_enum_value(b, "maple_dense", 0));
	ADD(btf__add_enum_value(b, "maple_leaf_64", 1));
	ADD(btf__add_enum_value(b, "maple_range_64", 2));
	ADD(btf__add_enum_value(b, "maple_arange_64", 3));
	ADD(btf__add_enum(b, "signed_enum", 4));
	ADD(btf__add_enum_value(b, "NEG_ONE", -1));
	ADD(btf__add_enum64(b, "wide_enum", 8, false));
	ADD(btf__add_enum64_value(b, "WIDE_TOP", 0x8000000000000001ull));

	/* void (*)(int) */
	int t_proto = ADD(btf__add_func_proto(b, 0));
	ADD(btf__add_func_param(b, NULL, t_int));
	int t_fnptr = ADD(btf__add_ptr(b, t_proto));

	/* struct maple_tree { unsigned int ma_flags; void *ma_root; } */
	int t_mt = ADD(btf__add_struct(b, "maple_tree", 16));
	int t_voidp = t_mt + 1;
	ADD(btf__add_field(b, "ma_flags", t_uint, 0, 0));
	ADD(btf__add_field(b, "ma_root", t_voidp, 64, 0));
	assert_int_equal(ADD(btf__add_ptr(b, 0)), t_voidp);

	/* struct mm_struct { struct { struct maple_tree mm_mt; ... }; } */
	int t_mm = ADD(btf__add_struct(b, "mm_struct", 88));
	int t_mm_anon = t_mm + 1;
	ADD(btf__add_field(b, NULL, t_mm_anon, 0, 0));
	assert_int_equal(ADD(btf__add_struct(b, NULL, 88)), t_mm_anon);
	ADD(btf__add_field(b, "mm_mt", t_mt, 0, 0));
	ADD(btf__add_field(b, "mmap_base", t_ulong, 128, 0));
	ADD(btf__add_field(b, "pgd", t_voidp, 576, 0));
	ADD(btf__add_field(b, "map_count", t_int, 640, 0));
	int t_mm_ptr = ADD(btf__add_ptr(b, t_mm));

	/* struct sock_common { union { u64 skc_addrpair; struct {
	 * __be32 skc_daddr, skc_rcv_saddr; }; }; union { u32 skc_portpair;
	 * struct { u16 skc_dport, skc_num; }; }; } */
	int t_sk = ADD(btf__add_struct(b, "sock_common", 8 + 4));
	ADD(btf__add_field(b, NULL, t_sk + 1, 0, 0));
	ADD(btf__add_field(b, NULL, t_sk + 3, 64, 0));
	assert_int_equal(ADD(btf__add_union(b, NULL, 8)), t_sk + 1);
	ADD(btf__add_field(b, "skc_addrpair", t_u64, 0, 0));
	ADD(btf__add_field(b, NULL, t_sk + 2, 0, 0));
	assert_int_equal(ADD(btf__add_struct(b, NULL, 8)), t_sk + 2);
	ADD(btf__add_field(b, "skc_daddr", t_be32, 0, 0));
	ADD(btf__add_field(b, "skc_rcv_saddr", t_be32, 32, 0));
	assert_int_equal(ADD(btf__add_union(b, NULL, 4)), t_sk + 3);
	ADD(btf__add_field(b, "skc_portpair", t_u32, 0, 0));
	ADD(btf__add_field(b, NULL, t_sk + 4, 0, 0));
	assert_int_equal(ADD(btf__add_struct(b, NULL, 4)), t_sk + 4);
	ADD(btf__add_field(b, "skc_dport", t_u16, 0, 0));
	ADD(btf__add_field(b, "skc_num", t_u16, 16, 0));

	/* struct task_struct, 176 bytes */
	ADD(btf__add_struct(b, "task_struct", 176));
	ADD(btf__add_field(b, NULL, t_state, 0, 0));
	ADD(btf__add_field(b, "usage", t_atomic, 32, 0));
	ADD(btf__add_field(b, "pid", t_int, 64, 0));
	ADD(btf__add_field(b, "flags", t_cvu32, 96, 0));
	ADD(btf__add_field(b, "se", t_se, 128, 0));
	ADD(btf__add_field(b, "comm", t_comm, 256, 0));
	ADD(btf__add_field(b, "tasks", t_list, 384, 0));
	ADD(btf__add_field(b, "in_execve", t_uint, 512, 1));
	ADD(btf__add_field(b, "in_iowait", t_uint, 513, 3));
	/* a new unit, as after an unnamed ":0" */
	ADD(btf__add_field(b, "frozen", t_uint, 544, 2));
	ADD(btf__add_field(b, "pid_links", t_links, 576, 0));
	ADD(btf__add_field(b, "mm", t_mm_ptr, 1088, 0));
	ADD(btf__add_field(b, "mt", t_maple, 1152, 0));
	ADD(btf__add_field(b, "fn", t_fnptr, 1216, 0));
	ADD(btf__add_field(b, "d", t_dup, 1280, 0));
	/* 1344..1408: hole, then tail */
	ADD(btf__add_field(b, "last", t_int, 1344, 0));
	return b;
}

/* The fixture serialised: what sits in guest RAM. Freed by the caller. */
static inline void *fixture_blob(uint32_t *size)
{
	struct btf *b = fixture_btf();
	const void *raw = btf__raw_data(b, size);
	assert_non_null(raw);
	void *copy = malloc(*size);
	assert_non_null(copy);
	memcpy(copy, raw, *size);
	btf__free(b);
	return copy;
}

#endif /* CP_TESTS_BTF_FIXTURE_H */
