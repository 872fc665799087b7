/*
 * netdev.h - the guest's network interfaces, in every network namespace,
 * with addresses and counters, as `ip addr` and /proc/net/dev show them.
 *
 * Each struct net (net_namespace_list) keeps its devices on dev_base_head
 * (net_device.dev_list). Per device: name, ifindex, flags (dev->flags, as
 * /sys/class/net/NAME/flags), MTU, hardware address, IPv4 addresses
 * (in_device.ifa_list chain), IPv6 addresses (inet6_dev.addr_list) and the
 * counters dev_get_stats() would compute: that function asks the driver,
 * so the counters are rebuilt per driver from a table (loopback, dummy,
 * drivers using dev->stats or the core's per-cpu tstats/dstats), plus the
 * core's per-cpu drop counters; `counters` names the rule used, and says
 * "dev->stats only" when the driver's own method is not modelled.
 *
 * Not for: routes, neighbours, qdiscs, or per-queue statistics.
 */
#ifndef CP_LINUX_NETDEV_H
#define CP_LINUX_NETDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cloudprobe.h"
#include "linux/view.h"

#define CP_NETDEV_MAX_ADDRS 64	/* per family per device kept */

struct cp_netdev_addr4 {
	uint8_t addr[4];	/* ifa_local, network order */
	uint8_t prefixlen;
	uint8_t scope;
	uint32_t flags;
	char label[16];
};

struct cp_netdev_addr6 {
	uint8_t addr[16];
	uint32_t prefixlen;
	uint16_t scope;
	uint32_t flags;
};

/* rtnl_link_stats64's members that /proc/net/dev shows. */
struct cp_netdev_stats {
	uint64_t rx_packets, rx_bytes, rx_errors, rx_dropped, rx_missed_errors,
		rx_fifo_errors, multicast;
	uint64_t tx_packets, tx_bytes, tx_errors, tx_dropped, tx_fifo_errors,
		collisions;
};

struct cp_netdev {
	uint64_t dev;		/* kernel address of the net_device */
	uint32_t netns;		/* namespace inode number */
	char name[17];
	int32_t ifindex;
	uint32_t flags;		/* dev->flags (IFF_UP 0x1, ...) */
	uint32_t mtu;
	uint32_t operstate;	/* IF_OPER_* */
	uint8_t mac[32];
	uint8_t addr_len;
	char kind[16];		/* rtnl_link_ops->kind ("dummy"), or "" */
	struct cp_netdev_addr4 ipv4[CP_NETDEV_MAX_ADDRS];
	size_t n_ipv4;
	struct cp_netdev_addr6 ipv6[CP_NETDEV_MAX_ADDRS];
	size_t n_ipv6;
	struct cp_netdev_stats stats;
	bool stats_ok;
	const char *counters;	/* how stats were computed (static string) */
};

struct cp_netdev_list {
	struct cp_netdev *devs;
	size_t count;
};

/*
 * Every interface of every namespace, in namespace then list order.
 * NULL, CP_ERR_PARTIAL (list holds what was read) or another error.
 */
struct cp_error *cp_netdevs_collect(struct cp_profile *p,
				    struct cp_netdev_list *list);
void cp_netdev_list_free(struct cp_netdev_list *list);

/* `ifconfig`: one row per interface. */
extern const struct cp_view cp_view_ifconfig;

#endif /* CP_LINUX_NETDEV_H */
