/*
 * netdev.c - network interfaces, their addresses and counters (netdev.h),
 * and the `ifconfig` view.
 *
 * Counters: /proc/net/dev prints dev_get_stats(), which calls the driver's
 * ndo_get_stats64 when there is one, else uses dev->stats (6.13+: or the
 * core's per-cpu tstats/dstats, by dev->pcpu_stat_type), then adds the
 * per-cpu core_stats drop counters. We cannot call the driver, so
 * `counter_rules` says, per driver, what its method computes; a driver
 * not in the table gets dev->stats and is labelled so. Per-cpu areas are
 * pointer + __per_cpu_offset[cpu] for each cpu in __cpu_possible_mask.
 *
 * Not for: sockets (sockets.c) or anything the driver keeps privately.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linux/kread.h"
#include "linux/netdev.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/vector.h"

#define MAX_NETNS	4096
#define MAX_DEVS	65536	/* per namespace */
#define MAX_CPUS	8192

typedef struct cp_resolved_field rf;

/* How a driver's ndo_get_stats64 fills the counters. */
enum counter_rule {
	RULE_DEV_STATS,		/* dev->stats (no driver method) */
	RULE_LSTATS_BOTH,	/* loopback: rx = tx = sum of lstats */
	RULE_LSTATS_TX,		/* dummy: tx = sum of lstats, rx 0 */
	RULE_TSTATS,		/* dev_get_tstats64: dev->stats + tstats */
	RULE_DSTATS,		/* dev->stats + dstats (6.13+ core) */
	RULE_UNKNOWN,		/* a driver method we do not model */
};

static const char *const rule_names[] = {
	[RULE_DEV_STATS] = "dev->stats",
	[RULE_LSTATS_BOTH] = "lstats (loopback)",
	[RULE_LSTATS_TX] = "lstats (tx)",
	[RULE_TSTATS] = "dev->stats+tstats",
	[RULE_DSTATS] = "dev->stats+dstats",
	[RULE_UNKNOWN] = "dev->stats only (driver method not modelled)",
};

/*
 * Drivers recognised by their ndo_get_stats64 (a core kernel symbol) or,
 * for modules whose symbols the profile lacks, by rtnl_link_ops->kind.
 * Checked against /proc/net/dev on 6.1, 6.12 and 7.2 (lo, dummy).
 */
static const struct {
	const char *ndo_symbol;	/* or NULL */
	const char *kind;	/* or NULL */
	enum counter_rule rule;
} counter_rules[] = {
	{ "loopback_get_stats64", NULL, RULE_LSTATS_BOTH },
	{ NULL, "dummy", RULE_LSTATS_TX },
	{ "dev_get_tstats64", NULL, RULE_TSTATS },
};

struct nd_fields {
	rf net_list, net_inum, dev_base_head;
	rf dev_list, name, ifindex, flags, mtu, operstate, addr_len, dev_addr,
		ip_ptr, ip6_ptr, stats, core_stats, lstats, pcpu_stat_type,
		netdev_ops, rtnl_link_ops;
	rf ndo_get_stats64, ndo_get_stats, link_kind;
	rf ifa_list, ifa_next, ifa_local, ifa_prefixlen, ifa_scope, ifa_flags,
		ifa_label;
	rf i6_addr_list, i6_if_list, i6_addr, i6_prefix_len, i6_scope,
		i6_flags;
	/* struct net_device_stats */
	rf s_rx_packets, s_tx_packets, s_rx_bytes, s_tx_bytes, s_rx_errors,
		s_tx_errors, s_rx_dropped, s_tx_dropped, s_multicast,
		s_collisions, s_rx_fifo, s_rx_missed, s_tx_fifo;
	/* per-cpu counter structs */
	rf l_packets, l_bytes, t_rx_packets, t_rx_bytes, t_tx_packets,
		t_tx_bytes, d_rx_packets, d_rx_bytes, d_rx_drops, d_tx_packets,
		d_tx_bytes, d_tx_drops, c_rx_dropped, c_tx_dropped;
	uint64_t stats_size;
};

CP_DEFINE_VECTOR(cp_netdev_vector, struct cp_netdev)

struct nd_walk {
	struct cp_profile *p;
	struct nd_fields f;
	struct cp_netdev_vector out;
	uint32_t netns;
	uint64_t ndo_syms[CP_ARRAY_SIZE(counter_rules)];
	int64_t stat_tstats, stat_dstats;	/* enum netdev_stat_type */
	uint64_t cpu_offset[MAX_CPUS];
	size_t ncpus;
	struct cp_walk_stop stop;
	size_t skipped;
	bool oom;
};

static void skip(struct nd_walk *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void skip(struct nd_walk *w, const char *fmt, ...)
{
	w->skipped++;
	if (w->stop.partial)
		return;
	char reason[sizeof(w->stop.reason)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	cp_walk_stop_set(&w->stop, "%s", reason);
}

#define F(t, path, field) { t, path, false, &w->f.field }
#define OPT(t, path, field) { t, path, true, &w->f.field }

static struct cp_error *resolve(struct nd_walk *w)
{
	const struct cp_field_spec specs[] = {
		F("net", "list", net_list),
		F("net", "ns.inum", net_inum),
		F("net", "dev_base_head", dev_base_head),
		F("net_device", "dev_list", dev_list),
		F("net_device", "name", name),
		F("net_device", "ifindex", ifindex),
		F("net_device", "flags", flags),
		F("net_device", "mtu", mtu),
		F("net_device", "operstate", operstate),
		F("net_device", "addr_len", addr_len),
		F("net_device", "dev_addr", dev_addr),
		F("net_device", "ip_ptr", ip_ptr),
		OPT("net_device", "ip6_ptr", ip6_ptr),
		F("net_device", "stats", stats),
		OPT("net_device", "core_stats", core_stats),
		OPT("net_device", "lstats", lstats),
		OPT("net_device", "pcpu_stat_type", pcpu_stat_type),
		F("net_device", "netdev_ops", netdev_ops),
		OPT("net_device", "rtnl_link_ops", rtnl_link_ops),
		F("net_device_ops", "ndo_get_stats64", ndo_get_stats64),
		F("net_device_ops", "ndo_get_stats", ndo_get_stats),
		F("rtnl_link_ops", "kind", link_kind),
		F("in_device", "ifa_list", ifa_list),
		F("in_ifaddr", "ifa_next", ifa_next),
		F("in_ifaddr", "ifa_local", ifa_local),
		F("in_ifaddr", "ifa_prefixlen", ifa_prefixlen),
		F("in_ifaddr", "ifa_scope", ifa_scope),
		F("in_ifaddr", "ifa_flags", ifa_flags),
		F("in_ifaddr", "ifa_label", ifa_label),
		OPT("inet6_dev", "addr_list", i6_addr_list),
		OPT("inet6_ifaddr", "if_list", i6_if_list),
		OPT("inet6_ifaddr", "addr", i6_addr),
		OPT("inet6_ifaddr", "prefix_len", i6_prefix_len),
		OPT("inet6_ifaddr", "scope", i6_scope),
		OPT("inet6_ifaddr", "flags", i6_flags),
		F("net_device_stats", "rx_packets", s_rx_packets),
		F("net_device_stats", "tx_packets", s_tx_packets),
		F("net_device_stats", "rx_bytes", s_rx_bytes),
		F("net_device_stats", "tx_bytes", s_tx_bytes),
		F("net_device_stats", "rx_errors", s_rx_errors),
		F("net_device_stats", "tx_errors", s_tx_errors),
		F("net_device_stats", "rx_dropped", s_rx_dropped),
		F("net_device_stats", "tx_dropped", s_tx_dropped),
		F("net_device_stats", "multicast", s_multicast),
		F("net_device_stats", "collisions", s_collisions),
		F("net_device_stats", "rx_fifo_errors", s_rx_fifo),
		F("net_device_stats", "rx_missed_errors", s_rx_missed),
		F("net_device_stats", "tx_fifo_errors", s_tx_fifo),
		F("pcpu_lstats", "packets", l_packets),
		F("pcpu_lstats", "bytes", l_bytes),
		OPT("pcpu_sw_netstats", "rx_packets", t_rx_packets),
		OPT("pcpu_sw_netstats", "rx_bytes", t_rx_bytes),
		OPT("pcpu_sw_netstats", "tx_packets", t_tx_packets),
		OPT("pcpu_sw_netstats", "tx_bytes", t_tx_bytes),
		OPT("pcpu_dstats", "rx_packets", d_rx_packets),
		OPT("pcpu_dstats", "rx_bytes", d_rx_bytes),
		OPT("pcpu_dstats", "rx_drops", d_rx_drops),
		OPT("pcpu_dstats", "tx_packets", d_tx_packets),
		OPT("pcpu_dstats", "tx_bytes", d_tx_bytes),
		OPT("pcpu_dstats", "tx_drops", d_tx_drops),
		OPT("net_device_core_stats", "rx_dropped", c_rx_dropped),
		OPT("net_device_core_stats", "tx_dropped", c_tx_dropped),
	};
	struct cp_error *err = cp_fields_resolve(w->p, specs,
						 CP_ARRAY_SIZE(specs));
	if (err)
		return err;
	if ((err = cp_struct_size(w->p, "net_device_stats", &w->f.stats_size)))
		return err;
	for (size_t i = 0; i < CP_ARRAY_SIZE(counter_rules); i++)
		if (counter_rules[i].ndo_symbol &&
		    !cp_profile_symbol(w->p, counter_rules[i].ndo_symbol,
				       &w->ndo_syms[i]))
			w->ndo_syms[i] = 0;
	w->stat_tstats = w->stat_dstats = -1;
	cp_error_destroy(cp_enum_value(w->p, "NETDEV_PCPU_STAT_TSTATS",
				       &w->stat_tstats));
	cp_error_destroy(cp_enum_value(w->p, "NETDEV_PCPU_STAT_DSTATS",
				       &w->stat_dstats));
	return NULL;
}

#undef F
#undef OPT

static uint64_t rd(struct nd_walk *w, uint64_t base, const rf *f, bool *ok)
{
	uint64_t v = 0;
	if (!f->found) {
		*ok = false;
		return 0;
	}
	struct cp_error *err = cp_read_uint(w->p, base + f->offset,
					    (size_t)f->size, &v);
	if (err) {
		cp_error_destroy(err);
		*ok = false;
		return 0;
	}
	if (f->bit_size)	/* a bitfield: bit_offset counts in the byte */
		v = (v >> f->bit_offset) &
		    (f->bit_size >= 64 ? ~0ull : (1ull << f->bit_size) - 1);
	return v;
}

/* ------------------------------------------------------------ per-cpu */

static void load_cpus(struct nd_walk *w)
{
	uint64_t offsets, mask, nr_va;
	uint32_t nr = 0;
	if (!cp_profile_symbol(w->p, "__per_cpu_offset", &offsets) ||
	    !cp_profile_symbol(w->p, "__cpu_possible_mask", &mask) ||
	    !cp_profile_symbol(w->p, "nr_cpu_ids", &nr_va)) {
		skip(w, "no per-cpu symbols: per-cpu counters left out");
		return;
	}
	struct cp_error *err = cp_read_u32(w->p, nr_va, &nr);
	if (!err && (nr == 0 || nr > MAX_CPUS))
		err = cp_error_create(CP_ERR_CORRUPT, "nr_cpu_ids is %u", nr);
	for (uint32_t cpu = 0; !err && cpu < nr; cpu++) {
		uint64_t word, off;
		if ((err = cp_read_u64(w->p, mask + (cpu / 64) * 8, &word)))
			break;
		if (!(word >> (cpu % 64) & 1))
			continue;
		if ((err = cp_read_u64(w->p, offsets + (uint64_t)cpu * 8, &off)))
			break;
		w->cpu_offset[w->ncpus++] = off;
	}
	if (err) {
		skip(w, "per-cpu offsets: %s", cp_error_message(err));
		cp_error_destroy(err);
		w->ncpus = 0;
	}
}

/* Sum over possible cpus of the member f of a per-cpu struct at pcpu. */
static uint64_t pcpu_sum(struct nd_walk *w, uint64_t pcpu, const rf *f,
			 bool *ok)
{
	uint64_t sum = 0;
	for (size_t i = 0; pcpu && i < w->ncpus; i++)
		sum += rd(w, pcpu + w->cpu_offset[i], f, ok);
	return sum;
}

/* ----------------------------------------------------------- counters */

static enum counter_rule pick_rule(struct nd_walk *w, uint64_t dev,
				   const char *kind, uint64_t *ndo64)
{
	bool ok = true;
	uint64_t ops = rd(w, dev, &w->f.netdev_ops, &ok), ndo = 0, old = 0;
	if (ok && ops && cp_kernel_ptr_ok(ops)) {
		ndo = rd(w, ops, &w->f.ndo_get_stats64, &ok);
		old = rd(w, ops, &w->f.ndo_get_stats, &ok);
	}
	*ndo64 = ndo;
	for (size_t i = 0; i < CP_ARRAY_SIZE(counter_rules); i++) {
		if (ndo && w->ndo_syms[i] && ndo == w->ndo_syms[i])
			return counter_rules[i].rule;
		if (counter_rules[i].kind && *kind &&
		    !strcmp(counter_rules[i].kind, kind))
			return counter_rules[i].rule;
	}
	if (ndo || old)
		return RULE_UNKNOWN;
	int64_t type = (int64_t)rd(w, dev, &w->f.pcpu_stat_type, &ok);
	if (w->f.pcpu_stat_type.found && type >= 0 && type == w->stat_tstats)
		return RULE_TSTATS;
	if (w->f.pcpu_stat_type.found && type >= 0 && type == w->stat_dstats)
		return RULE_DSTATS;
	return RULE_DEV_STATS;
}

static void read_counters(struct nd_walk *w, struct cp_netdev *d)
{
	const struct nd_fields *f = &w->f;
	struct cp_netdev_stats *s = &d->stats;
	uint64_t ndo;
	enum counter_rule rule = pick_rule(w, d->dev, d->kind, &ndo);
	d->counters = rule_names[rule];
	bool ok = true;
	if (rule == RULE_DEV_STATS || rule == RULE_TSTATS ||
	    rule == RULE_DSTATS || rule == RULE_UNKNOWN) {
		uint64_t st = d->dev + f->stats.offset;
		s->rx_packets = rd(w, st, &f->s_rx_packets, &ok);
		s->tx_packets = rd(w, st, &f->s_tx_packets, &ok);
		s->rx_bytes = rd(w, st, &f->s_rx_bytes, &ok);
		s->tx_bytes = rd(w, st, &f->s_tx_bytes, &ok);
		s->rx_errors = rd(w, st, &f->s_rx_errors, &ok);
		s->tx_errors = rd(w, st, &f->s_tx_errors, &ok);
		s->rx_dropped = rd(w, st, &f->s_rx_dropped, &ok);
		s->tx_dropped = rd(w, st, &f->s_tx_dropped, &ok);
		s->multicast = rd(w, st, &f->s_multicast, &ok);
		s->collisions = rd(w, st, &f->s_collisions, &ok);
		s->rx_fifo_errors = rd(w, st, &f->s_rx_fifo, &ok);
		s->rx_missed_errors = rd(w, st, &f->s_rx_missed, &ok);
		s->tx_fifo_errors = rd(w, st, &f->s_tx_fifo, &ok);
	}
	/* lstats, tstats and dstats share one union member. Per-cpu
	 * pointers are offsets into the per-cpu areas (small numbers on
	 * x86-64), not addresses: the reads through each cpu's offset are
	 * what validates them. */
	uint64_t pcpu = rd(w, d->dev, &f->lstats, &ok);
	switch (rule) {
	case RULE_LSTATS_BOTH:
		s->rx_packets = s->tx_packets = pcpu_sum(w, pcpu, &f->l_packets,
							 &ok);
		s->rx_bytes = s->tx_bytes = pcpu_sum(w, pcpu, &f->l_bytes, &ok);
		break;
	case RULE_LSTATS_TX:
		s->tx_packets = pcpu_sum(w, pcpu, &f->l_packets, &ok);
		s->tx_bytes = pcpu_sum(w, pcpu, &f->l_bytes, &ok);
		break;
	case RULE_TSTATS:
		s->rx_packets += pcpu_sum(w, pcpu, &f->t_rx_packets, &ok);
		s->rx_bytes += pcpu_sum(w, pcpu, &f->t_rx_bytes, &ok);
		s->tx_packets += pcpu_sum(w, pcpu, &f->t_tx_packets, &ok);
		s->tx_bytes += pcpu_sum(w, pcpu, &f->t_tx_bytes, &ok);
		break;
	case RULE_DSTATS:
		s->rx_packets += pcpu_sum(w, pcpu, &f->d_rx_packets, &ok);
		s->rx_bytes += pcpu_sum(w, pcpu, &f->d_rx_bytes, &ok);
		s->rx_dropped += pcpu_sum(w, pcpu, &f->d_rx_drops, &ok);
		s->tx_packets += pcpu_sum(w, pcpu, &f->d_tx_packets, &ok);
		s->tx_bytes += pcpu_sum(w, pcpu, &f->d_tx_bytes, &ok);
		s->tx_dropped += pcpu_sum(w, pcpu, &f->d_tx_drops, &ok);
		break;
	default:
		break;
	}
	/* dev_get_stats() then adds the core's per-cpu drop counters. */
	uint64_t core = rd(w, d->dev, &f->core_stats, &ok);
	if (f->core_stats.found && core) {
		s->rx_dropped += pcpu_sum(w, core, &f->c_rx_dropped, &ok);
		s->tx_dropped += pcpu_sum(w, core, &f->c_tx_dropped, &ok);
	}
	d->stats_ok = ok && w->ncpus > 0;
	if (!d->stats_ok)
		skip(w, "%s: counters incomplete", d->name);
}

/* ---------------------------------------------------------- addresses */

static void read_ipv4(struct nd_walk *w, struct cp_netdev *d)
{
	const struct nd_fields *f = &w->f;
	bool ok = true;
	uint64_t in = rd(w, d->dev, &f->ip_ptr, &ok);
	if (!ok || !in || !cp_kernel_ptr_ok(in))
		return;
	uint64_t ifa = rd(w, in, &f->ifa_list, &ok);
	for (size_t n = 0; ok && ifa; n++) {
		if (n == CP_NETDEV_MAX_ADDRS || !cp_kernel_ptr_ok(ifa)) {
			skip(w, "%s: IPv4 list stops at entry %zu (0x%" PRIx64
			     ")", d->name, n, ifa);
			return;
		}
		struct cp_netdev_addr4 *a = &d->ipv4[d->n_ipv4];
		uint32_t local = (uint32_t)rd(w, ifa, &f->ifa_local, &ok);
		memcpy(a->addr, &local, 4);
		a->prefixlen = (uint8_t)rd(w, ifa, &f->ifa_prefixlen, &ok);
		a->scope = (uint8_t)rd(w, ifa, &f->ifa_scope, &ok);
		a->flags = (uint32_t)rd(w, ifa, &f->ifa_flags, &ok);
		struct cp_error *err = cp_read_cstr(w->p, ifa +
						    f->ifa_label.offset,
						    a->label,
						    sizeof(a->label) - 1);
		cp_error_destroy(err);
		if (!ok || err)
			break;
		d->n_ipv4++;
		ifa = rd(w, ifa, &f->ifa_next, &ok);
	}
	if (!ok)
		skip(w, "%s: IPv4 address unreadable", d->name);
}

struct v6_ctx {
	struct nd_walk *w;
	struct cp_netdev *d;
};

static bool add_ipv6(void *arg, uint64_t node)
{
	struct v6_ctx *c = arg;
	struct nd_walk *w = c->w;
	const struct nd_fields *f = &w->f;
	if (c->d->n_ipv6 == CP_NETDEV_MAX_ADDRS)
		return false;
	uint64_t ifa = node - f->i6_if_list.offset;
	struct cp_netdev_addr6 *a = &c->d->ipv6[c->d->n_ipv6];
	struct cp_error *err = cp_kread(w->p, ifa + f->i6_addr.offset, a->addr,
					16);
	bool ok = !err;
	cp_error_destroy(err);
	a->prefixlen = (uint32_t)rd(w, ifa, &f->i6_prefix_len, &ok);
	a->scope = (uint16_t)rd(w, ifa, &f->i6_scope, &ok);
	a->flags = (uint32_t)rd(w, ifa, &f->i6_flags, &ok);
	if (!ok) {
		skip(w, "%s: IPv6 address at 0x%" PRIx64 " unreadable",
		     c->d->name, ifa);
		return false;
	}
	c->d->n_ipv6++;
	return true;
}

static void read_ipv6(struct nd_walk *w, struct cp_netdev *d)
{
	const struct nd_fields *f = &w->f;
	bool ok = true;
	if (!f->ip6_ptr.found || !f->i6_addr_list.found || !f->i6_if_list.found)
		return;
	uint64_t in6 = rd(w, d->dev, &f->ip6_ptr, &ok);
	if (!ok || !in6 || !cp_kernel_ptr_ok(in6))
		return;
	struct v6_ctx c = { w, d };
	struct cp_walk_stop stop = { 0 };
	size_t n = cp_list_walk(w->p, in6 + f->i6_addr_list.offset,
				CP_NETDEV_MAX_ADDRS + 1, add_ipv6, &c, &stop);
	if (stop.partial)
		skip(w, "%s: IPv6 list: %s", d->name, stop.reason);
	else if (n > CP_NETDEV_MAX_ADDRS)
		skip(w, "%s: more than %d IPv6 addresses", d->name,
		     CP_NETDEV_MAX_ADDRS);
}

/* ------------------------------------------------------------ devices */

static bool add_dev(void *arg, uint64_t node)
{
	struct nd_walk *w = arg;
	const struct nd_fields *f = &w->f;
	struct cp_netdev *d = cp_netdev_vector_append_entry(&w->out);
	if (!d) {
		w->oom = true;
		return false;
	}
	d->dev = node - f->dev_list.offset;
	d->netns = w->netns;
	struct cp_error *err = cp_read_cstr(w->p, d->dev + f->name.offset,
					    d->name, sizeof(d->name) - 1);
	bool ok = !err;
	cp_error_destroy(err);
	d->ifindex = (int32_t)rd(w, d->dev, &f->ifindex, &ok);
	d->flags = (uint32_t)rd(w, d->dev, &f->flags, &ok);
	d->mtu = (uint32_t)rd(w, d->dev, &f->mtu, &ok);
	d->operstate = (uint32_t)rd(w, d->dev, &f->operstate, &ok);
	if (!ok) {
		skip(w, "net_device 0x%" PRIx64 " unreadable", d->dev);
		w->out.size--;
		return true;
	}
	uint64_t len = rd(w, d->dev, &f->addr_len, &ok);
	uint64_t addr = rd(w, d->dev, &f->dev_addr, &ok);
	if (ok && addr && cp_kernel_ptr_ok(addr) && len <= sizeof(d->mac)) {
		err = cp_kread(w->p, addr, d->mac, (size_t)len);
		if (!err)
			d->addr_len = (uint8_t)len;
		cp_error_destroy(err);
	}
	uint64_t lops = rd(w, d->dev, &f->rtnl_link_ops, &ok);
	if (lops && cp_kernel_ptr_ok(lops)) {
		uint64_t kind = rd(w, lops, &f->link_kind, &ok);
		if (kind && cp_kernel_ptr_ok(kind))
			cp_error_destroy(cp_read_cstr(w->p, kind, d->kind,
						      sizeof(d->kind) - 1));
	}
	read_ipv4(w, d);
	read_ipv6(w, d);
	read_counters(w, d);
	return true;
}

static bool add_netns(void *arg, uint64_t node)
{
	struct nd_walk *w = arg;
	uint64_t net = node - w->f.net_list.offset;
	uint32_t inum = 0;
	struct cp_error *err = cp_read_u32(w->p, net + w->f.net_inum.offset,
					   &inum);
	if (err) {
		skip(w, "netns 0x%" PRIx64 ": %s", net, cp_error_message(err));
		cp_error_destroy(err);
		return true;
	}
	w->netns = inum;
	struct cp_walk_stop stop = { 0 };
	cp_list_walk(w->p, net + w->f.dev_base_head.offset, MAX_DEVS, add_dev,
		     w, &stop);
	if (stop.partial)
		skip(w, "netns %u devices: %s", inum, stop.reason);
	return !w->oom;
}

struct cp_error *cp_netdevs_collect(struct cp_profile *p,
				    struct cp_netdev_list *list)
{
	list->devs = NULL;
	list->count = 0;
	_cleanup_free_ struct nd_walk *w = calloc(1, sizeof(*w));
	if (!w)
		return &cp_enomem;
	w->p = p;
	struct cp_error *err = resolve(w);
	if (err)
		return cp_error_wrap(err, "interfaces");
	load_cpus(w);
	uint64_t head;
	if (!cp_profile_symbol(p, "net_namespace_list", &head))
		return cp_error_create(CP_ERR_NOT_FOUND, "interfaces: no "
				       "net_namespace_list symbol");
	struct cp_walk_stop stop = { 0 };
	cp_list_walk(p, head, MAX_NETNS, add_netns, w, &stop);
	if (stop.partial)
		skip(w, "net_namespace_list: %s", stop.reason);
	if (w->oom) {
		cp_netdev_vector_deinit(&w->out);
		return &cp_enomem;
	}
	list->devs = w->out.data;
	list->count = w->out.size;
	if (w->stop.partial)
		return cp_error_create(CP_ERR_PARTIAL,
				       "interfaces: %zu part%s skipped, first: "
				       "%s", w->skipped,
				       w->skipped == 1 ? "" : "s",
				       w->stop.reason);
	return NULL;
}

void cp_netdev_list_free(struct cp_netdev_list *list)
{
	free(list->devs);
	list->devs = NULL;
	list->count = 0;
}

/* --------------------------------------------------------------- view */

static const struct cp_out_col ifconfig_cols[] = {
	{ "netns", NULL, CP_COL_UINT },
	{ "name", NULL, CP_COL_STR },
	{ "ifindex", NULL, CP_COL_INT },
	{ "flags", NULL, CP_COL_HEX },
	{ "operstate", "OPER", CP_COL_UINT },
	{ "mtu", NULL, CP_COL_UINT },
	{ "mac", NULL, CP_COL_STR },
	{ "kind", NULL, CP_COL_STR },
	{ "ipv4", NULL, CP_COL_STR },
	{ "ipv4_labels", "LABELS", CP_COL_STR },
	{ "ipv6", NULL, CP_COL_STR },
	{ "rx_packets", "RX_PKTS", CP_COL_UINT },
	{ "rx_bytes", NULL, CP_COL_UINT },
	{ "rx_errors", "RX_ERRS", CP_COL_UINT },
	{ "rx_dropped", "RX_DROP", CP_COL_UINT },
	{ "tx_packets", "TX_PKTS", CP_COL_UINT },
	{ "tx_bytes", NULL, CP_COL_UINT },
	{ "tx_errors", "TX_ERRS", CP_COL_UINT },
	{ "tx_dropped", "TX_DROP", CP_COL_UINT },
	{ "counters", NULL, CP_COL_STR },
	{ "offset", NULL, CP_COL_HEX },
};

/* Appends printf output to buf (size bufsz), truncating safely. */
static void append(char *buf, size_t bufsz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void append(char *buf, size_t bufsz, const char *fmt, ...)
{
	size_t len = strlen(buf);
	if (len + 1 >= bufsz)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + len, bufsz - len, fmt, ap);
	va_end(ap);
}

static struct cp_error *emit_dev(struct cp_sink *sink,
				 const struct cp_netdev *d)
{
	char mac[3 * 32 + 1] = "", v4[CP_NETDEV_MAX_ADDRS * 20] = "",
	     labels[CP_NETDEV_MAX_ADDRS * 17] = "",
	     v6[CP_NETDEV_MAX_ADDRS * 45] = "";
	for (size_t i = 0; i < d->addr_len; i++)
		append(mac, sizeof(mac), i ? ":%02x" : "%02x", d->mac[i]);
	for (size_t i = 0; i < d->n_ipv4; i++) {
		char a[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, d->ipv4[i].addr, a, sizeof(a));
		append(v4, sizeof(v4), "%s%s/%u", i ? "," : "", a,
		       d->ipv4[i].prefixlen);
		append(labels, sizeof(labels), "%s%s", i ? "," : "",
		       d->ipv4[i].label);
	}
	for (size_t i = 0; i < d->n_ipv6; i++) {
		char a[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, d->ipv6[i].addr, a, sizeof(a));
		append(v6, sizeof(v6), "%s%s/%u", i ? "," : "", a,
		       d->ipv6[i].prefixlen);
	}
	cp_sink_u64(sink, d->netns);
	cp_sink_str(sink, d->name);
	cp_sink_i64(sink, d->ifindex);
	cp_sink_hex(sink, d->flags);
	cp_sink_u64(sink, d->operstate);
	cp_sink_u64(sink, d->mtu);
	if (d->addr_len)
		cp_sink_str(sink, mac);
	else
		cp_sink_null(sink);
	if (*d->kind)
		cp_sink_str(sink, d->kind);
	else
		cp_sink_null(sink);
	cp_sink_str(sink, v4);
	cp_sink_str(sink, labels);
	cp_sink_str(sink, v6);
	const struct cp_netdev_stats *s = &d->stats;
	/* /proc/net/dev's drop columns include missed (rx) errors. */
	const uint64_t c[] = { s->rx_packets, s->rx_bytes, s->rx_errors,
			       s->rx_dropped + s->rx_missed_errors,
			       s->tx_packets, s->tx_bytes, s->tx_errors,
			       s->tx_dropped };
	for (size_t i = 0; i < CP_ARRAY_SIZE(c); i++) {
		if (d->stats_ok)
			cp_sink_u64(sink, c[i]);
		else
			cp_sink_null(sink);
	}
	cp_sink_str(sink, d->counters ? d->counters : "");
	cp_sink_hex(sink, d->dev);
	return cp_sink_row_end(sink);
}

static struct cp_error *ifconfig_produce(struct cp_profile *p,
					 const struct cp_view_args *args,
					 struct cp_sink *sink)
{
	(void)args;
	struct cp_netdev_list l;
	struct cp_error *err = cp_netdevs_collect(p, &l);
	if (err && cp_error_code(err) != CP_ERR_PARTIAL)
		return err;
	for (size_t i = 0; i < l.count; i++) {
		struct cp_error *e = emit_dev(sink, &l.devs[i]);
		if (e) {
			cp_error_destroy(err);
			err = e;
			break;
		}
	}
	cp_netdev_list_free(&l);
	return err;
}

const struct cp_view cp_view_ifconfig = {
	.name = "ifconfig",
	.sql_name = "interfaces",
	.args = "",
	.summary = "network interfaces of every namespace: addresses, flags, "
		   "counters",
	.cols = ifconfig_cols,
	.ncols = CP_ARRAY_SIZE(ifconfig_cols),
	.produce = ifconfig_produce,
};
