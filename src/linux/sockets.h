/*
 * sockets.h - every TCP, UDP and unix socket the guest kernel knows, found
 * in the kernel's own lookup tables, with the processes that hold them.
 *
 * The walker reads the tables the kernel itself uses to deliver packets
 * and connections, in every network namespace:
 *
 *   TCP    inet_hashinfo: listeners in lhash2, everything with a full
 *          identity (established, closing, time-wait, request) in ehash;
 *          the global tcp_hashinfo and any per-netns table
 *   UDP    udp_table.hash (by local port); the global one and any
 *          per-netns table (6.2+)
 *   unix   net->unx.table.buckets of each namespace (5.19+)
 *
 * so a socket whose owner hides from the process list is still found.
 * Then each process's fd table is searched for socket files, which names
 * the owners and adds sockets of other families (netlink, packet, raw...)
 * and sockets in no table at all (source "fd"): a cross view for later
 * detectors.
 *
 * Not for: per-protocol details beyond what /proc/net shows (timers,
 * congestion state), or other address families' own tables.
 */
#ifndef CP_LINUX_SOCKETS_H
#define CP_LINUX_SOCKETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cloudprobe.h"
#include "linux/view.h"

/* Where a socket was seen. */
enum {
	CP_SOCK_IN_TABLE = 1,	/* a kernel lookup table */
	CP_SOCK_IN_FD = 2,	/* a process's fd table */
};

/* What kind of object sits in a table slot (ehash mixes three). */
enum cp_sock_kind {
	CP_SOCK_FULL,		/* struct sock */
	CP_SOCK_TIMEWAIT,	/* struct inet_timewait_sock: no owner */
	CP_SOCK_REQUEST,	/* struct request_sock (SYN_RECV): no owner */
};

#define CP_UNIX_PATH_MAX 108	/* sizeof(sockaddr_un.sun_path) */

struct cp_socket {
	uint64_t sk;		/* kernel address of the sock */
	uint64_t net;		/* its struct net */
	uint32_t netns;		/* the namespace's inode number (0: unknown) */
	uint16_t family;	/* AF_INET 2, AF_INET6 10, AF_UNIX 1, ... */
	uint16_t type;		/* SOCK_STREAM 1, SOCK_DGRAM 2, SOCK_SEQPACKET 5 */
	uint16_t protocol;	/* IPPROTO_TCP 6, IPPROTO_UDP 17; 0 for unix */
	enum cp_sock_kind kind;
	/*
	 * TCP/UDP: the /proc/net/tcp "st" code (TIME_WAIT sockets their
	 * substate, requests SYN_RECV). Unix: the /proc/net/unix "St" code
	 * (SS_UNCONNECTED 1 ... SS_DISCONNECTING 4).
	 */
	uint8_t state;
	bool listening;		/* unix: sk_state == TCP_LISTEN */
	/* inet: addresses in network order (4 or 16 bytes), ports host order */
	uint8_t local[16], remote[16];
	uint16_t local_port, remote_port;
	/* unix: sun_path bytes as bound (path_len 0: unbound) */
	uint8_t path[CP_UNIX_PATH_MAX];
	uint8_t path_len;
	uint64_t peer;		/* unix: the peer's sock, 0 if none */
	uint64_t inode;		/* socket inode number, 0 if none */
	int64_t uid;		/* sk_uid; -1 when unknown */
	bool has_queues;
	uint32_t rx_queue, tx_queue;
	unsigned source;	/* CP_SOCK_IN_TABLE | CP_SOCK_IN_FD */
	/* The first owner found (lowest pid first), and how many fds hold it. */
	int64_t pid;		/* -1: no process holds it */
	int32_t fd;
	char comm[16];
	uint32_t owners;
};

struct cp_socket_list {
	struct cp_socket *sockets;
	size_t count;
};

/*
 * Every socket of every namespace, sorted by netns, family, protocol,
 * local address. Returns NULL, a CP_ERR_PARTIAL error (list holds what was
 * read; the message says what was skipped) or another error (list empty).
 * Free with cp_socket_list_free().
 */
struct cp_error *cp_sockets_collect(struct cp_profile *p,
				    struct cp_socket_list *list);
void cp_socket_list_free(struct cp_socket_list *list);

/* Names for codes: "TCP", "ESTABLISHED", "AF_INET6", "STREAM"... or NULL. */
const char *cp_sock_family_name(uint16_t family);
const char *cp_sock_type_name(uint16_t type);
const char *cp_tcp_state_name(uint8_t state);
const char *cp_unix_state_name(uint8_t ss_state, bool listening);

/*
 * A unix socket name as /proc/net/unix prints it: an abstract name (first
 * byte NUL) gets a leading '@', other NUL bytes become '@'; a path name
 * loses its terminating NUL. out gets at most outsz - 1 bytes and a NUL.
 * Never reads past len (<= CP_UNIX_PATH_MAX); returns the length written.
 */
size_t cp_unix_path_format(const uint8_t *sun_path, size_t len, char *out,
			   size_t outsz);

/* `sockstat`: one row per socket. */
extern const struct cp_view cp_view_sockstat;

#endif /* CP_LINUX_SOCKETS_H */
