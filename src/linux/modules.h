/*
 * modules.h - loaded kernel modules as the guest kernel lists them (the
 * `modules` list of struct module), and the `lsmod` view.
 *
 * The record carries what /proc/modules prints (name, size, refcount,
 * users, state, text base, taint letters) plus every memory region of the
 * module and its parameters read from module.kp[] (including those with no
 * sysfs file). cp_module_read() decodes one struct module at any address,
 * so a detector can compare modules found elsewhere (carved from memory,
 * the module tree, sysfs kobjects) with the list: that is the hidden-module
 * check. Not for: loading symbols of modules, or module text integrity.
 */
#ifndef CP_LINUX_MODULES_H
#define CP_LINUX_MODULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cloudprobe.h"

#define CP_MODULE_NAME_MAX 63	/* MODULE_NAME_LEN is 64 - sizeof(long) */
#define CP_MODULE_MAX_REGIONS 8	/* 6.4+: MOD_MEM_NUM_TYPES is 7 */

enum cp_module_state {
	CP_MODULE_LIVE,
	CP_MODULE_COMING,
	CP_MODULE_GOING,
	CP_MODULE_UNFORMED,	/* /proc/modules hides these */
	CP_MODULE_STATE_UNKNOWN,
};

/* One memory area of a module: text, data, rodata, init... */
struct cp_module_region {
	uint64_t base;
	uint64_t size;
};

struct cp_module {
	uint64_t addr;			/* the struct module itself */
	char name[CP_MODULE_NAME_MAX + 1];
	uint64_t base;			/* text base, as /proc/modules */
	uint64_t size;			/* sum of the regions, as /proc/modules */
	struct cp_module_region regions[CP_MODULE_MAX_REGIONS];
	size_t nregions;		/* including empty ones, in kernel order */
	enum cp_module_state state;
	int64_t state_raw;		/* module.state as read */
	uint64_t taints;		/* module.taints bits */
	char taint_letters[72];		/* "OE", one letter per set bit */
	bool has_refcount;		/* CONFIG_MODULE_UNLOAD kernels */
	int64_t refcount;		/* refcnt - MODULE_REF_BASE */
	/* With CP_MODULE_USERS: modules using this one, comma-separated
	 * ("[permanent]" as /proc/modules), NULL when none. malloc'd. */
	char *used_by;
	/* With CP_MODULE_PARAMS: "name=value,..." in module.kp order, values
	 * formatted as sysfs does; an unknown kernel_param_ops shows as its
	 * address ("ops@0x..."). NULL when the module has none. malloc'd. */
	char *params;
	size_t nparams;
	/* Parts that could not be read (users, params); "" when none. */
	char problem[128];
};

enum {
	CP_MODULE_PARAMS = 1 << 0,	/* read module.kp[] */
	CP_MODULE_USERS = 1 << 1,	/* walk module.source_list */
};

/* Fields, enum values and kernel_param_ops symbols, resolved once. */
struct cp_module_reader;

struct cp_error *cp_module_reader_new(struct cp_profile *p,
				      struct cp_module_reader **ret);
void cp_module_reader_destroy(struct cp_module_reader *r);

/*
 * Decodes the struct module at addr into *ret (cleared first; release with
 * cp_module_clear). Fails only when the module's own fields are unreadable
 * or implausible (name not a C string, state out of range); trouble with
 * users or parameters lands in ret->problem.
 */
struct cp_error *cp_module_read(struct cp_module_reader *r, uint64_t addr,
				unsigned flags, struct cp_module *ret);
void cp_module_clear(struct cp_module *m);

/* Called per module; m is valid during the call only. false stops. */
typedef bool cp_module_fn(void *arg, const struct cp_module *m);

/*
 * Walks the kernel's `modules` list in its order (newest first, as
 * /proc/modules), UNFORMED modules included (callers filter). Returns
 * CP_ERR_PARTIAL with the reason when the list broke off or a module (or
 * part of one) could not be read; the modules read were still yielded.
 */
struct cp_error *cp_module_walk(struct cp_profile *p, unsigned flags,
				cp_module_fn *fn, void *arg);

/* "Live", "Loading", "Unloading", "Unformed", "?" */
const char *cp_module_state_name(enum cp_module_state s);

struct cp_view;
extern const struct cp_view cp_view_lsmod;

#endif /* CP_LINUX_MODULES_H */
