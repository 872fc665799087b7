/*
 * isf_plan.h - an ISF file read into a plan of BTF types, then written.
 *
 * Import is two steps with this plan between them: isf_import.c reads the
 * JSON and gives every type a BTF id before any is written (libbpf adds
 * fields to the last type only, so forward references must be planned);
 * isf_btf.c writes the plan with libbpf's writer and refuses structs that
 * contain themselves. isf_json.c reads the numbers jansson cannot hold.
 * Internal to src/kernel/.
 */
#ifndef CP_KERNEL_ISF_PLAN_H
#define CP_KERNEL_ISF_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bpf/btf.h>
#include <jansson.h>

#include "kernel/isf_internal.h"
#include "util/vector.h"

#define CP_ISF_MAX_FILE (1u << 30)
#define CP_ISF_MAX_TYPES (4u << 20)
#define CP_ISF_MAX_FIELDS (32u << 20)
#define CP_ISF_MAX_DESC_DEPTH 32
#define CP_ISF_MAX_MEMBERS 0xffffu	/* BTF vlen */
#define CP_ISF_MAX_BITFIELD_OFFSET 0xffffffu /* kflag member encoding */

enum cp_isf_derived_kind {
	CP_ISF_D_INDEX,		/* the int every BTF array names as index */
	CP_ISF_D_PTR,
	CP_ISF_D_ARRAY,
	CP_ISF_D_FUNC,		/* one FUNC_PROTO for all "function"s */
	CP_ISF_D_FWD,		/* a struct/union/enum the file lacks */
};

struct cp_isf_derived {
	enum cp_isf_derived_kind kind;
	uint32_t ref;		/* PTR target, ARRAY element */
	uint32_t count;		/* ARRAY */
	const char *name;	/* FWD */
	int fwd_kind;		/* FWD: BTF_FWD_STRUCT/UNION/ENUM */
};

struct cp_isf_field {
	const char *name;	/* NULL: anonymous */
	uint32_t type;
	uint64_t bit_offset;
	uint32_t bit_size;
	size_t order;		/* position in the JSON, for a stable sort */
};

struct cp_isf_base {
	const char *name;
	uint32_t size;
	bool is_signed, is_float, is_bool;
};

struct cp_isf_user {
	const char *name;
	bool is_union;
	uint32_t size;
	size_t first, n;	/* range in fields */
};

struct cp_isf_constant {
	const char *name;
	uint64_t value;
};

struct cp_isf_enum {
	const char *name;
	uint32_t size;
	bool is_signed, wide;
	size_t first, n;	/* range in constants */
};

CP_DEFINE_VECTOR(cp_isf_base_vector, struct cp_isf_base)
CP_DEFINE_VECTOR(cp_isf_user_vector, struct cp_isf_user)
CP_DEFINE_VECTOR(cp_isf_enum_vector, struct cp_isf_enum)
CP_DEFINE_VECTOR(cp_isf_field_vector, struct cp_isf_field)
CP_DEFINE_VECTOR(cp_isf_constant_vector, struct cp_isf_constant)
CP_DEFINE_VECTOR(cp_isf_derived_vector, struct cp_isf_derived)

/* A new zeroed entry of vector v (of type vec), or NULL at limit or when
 * out of memory. */
#define CP_ISF_PUSH(vec, v, limit)                                           \
	((v)->size < (limit) ? vec##_append_entry(v) : NULL)

/*
 * Ids: base types from 1, then user types (first_user), enums
 * (first_enum), and derived types (first_derived, the array index int
 * first) in the order descriptors needed them.
 */
struct cp_isf_plan {
	json_t *root;
	struct cp_isf_map base_ids, user_ids, enum_ids, fwd_ids;
	/* derived-type dedupe: key (kind, ref, count) -> id */
	uint64_t *dkeys;
	uint32_t *dvals;
	size_t dmask, dn;
	struct cp_isf_base_vector bases;
	struct cp_isf_user_vector users;
	struct cp_isf_enum_vector enums;
	struct cp_isf_field_vector fields;
	struct cp_isf_constant_vector constants;
	struct cp_isf_derived_vector derived;
	uint32_t next_id, first_user, first_enum, first_derived;
	uint32_t pointer_size;
	char where[256];	/* what is being read, for errors */
};

/* Writes the plan into an empty btf; ids come out as planned. */
struct cp_error *cp_isf_plan_write(struct cp_isf_plan *plan,
				   struct btf *btf);
/* Refuses a user type that contains itself by value. */
struct cp_error *cp_isf_plan_check_cycles(const struct cp_isf_plan *plan,
					  const struct btf *btf);

/*
 * jansson holds integers as signed 64-bit and refuses larger ones, but ISF
 * addresses are unsigned 64-bit: cp_isf_json_quote_big() turns such
 * numbers into strings before parsing, and the readers accept them.
 */
char *cp_isf_json_quote_big(const char *in, size_t len, size_t *out_len);
/* A non-negative integer (or quoted big one). */
bool cp_isf_json_u64(const json_t *v, uint64_t *ret);
/* Any integer, as its 64-bit pattern; *negative says how to read it. */
bool cp_isf_json_value(const json_t *v, uint64_t *ret, bool *negative);
/* obj[key] as a uint32. */
bool cp_isf_json_u32(const json_t *obj, const char *key, uint32_t *ret);

#endif /* CP_KERNEL_ISF_PLAN_H */
