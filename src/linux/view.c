/*
 * view.c - the registry of views and the sink that writes a cp_out.
 *
 * Adding a view: define its `struct cp_view` next to its walker and add
 * one line to cp_views[] below; the CLI command, --json/--csv and the SQL
 * table follow from the descriptor.
 */
#include <string.h>

#include "linux/bpf.h"
#include "linux/dmesg.h"
#include "linux/files.h"
#include "linux/maps.h"
#include "linux/modules.h"
#include "linux/mounts.h"
#include "linux/netdev.h"
#include "linux/sockets.h"
#include "linux/tasks.h"
#include "linux/view.h"

const struct cp_view *const cp_views[] = {
	&cp_view_pslist,
	&cp_view_pstree,
	&cp_view_psaux,
	&cp_view_threads,
	&cp_view_envars,
	&cp_view_maps,
	&cp_view_lsof,
	&cp_view_mountinfo,
	&cp_view_sockstat,
	&cp_view_ifconfig,
	&cp_view_lsmod,
	&cp_view_dmesg,
	&cp_view_ebpf,
	&cp_view_ebpf_maps,
	NULL,
};

const struct cp_view *cp_view_find(const char *name)
{
	for (size_t i = 0; cp_views[i]; i++)
		if (strcmp(cp_views[i]->name, name) == 0)
			return cp_views[i];
	return NULL;
}

static void out_str(void *ctx, const char *v)
{
	cp_out_str(ctx, v);
}

static void out_i64(void *ctx, int64_t v)
{
	cp_out_int(ctx, v);
}

static void out_u64(void *ctx, uint64_t v)
{
	cp_out_uint(ctx, v);
}

static void out_hex(void *ctx, uint64_t v)
{
	cp_out_hex(ctx, v);
}

static void out_bool(void *ctx, bool v)
{
	cp_out_bool(ctx, v);
}

static void out_null(void *ctx)
{
	cp_out_null(ctx);
}

static struct cp_error *out_row_end(void *ctx)
{
	return cp_out_row_end(ctx);
}

static const struct cp_sink_ops out_ops = {
	.str = out_str,
	.i64 = out_i64,
	.u64 = out_u64,
	.hex = out_hex,
	.boolean = out_bool,
	.null = out_null,
	.row_end = out_row_end,
};

void cp_sink_for_out(struct cp_sink *sink, struct cp_out *out)
{
	sink->ops = &out_ops;
	sink->ctx = out;
}
