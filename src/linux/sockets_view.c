/*
 * sockets_view.c - the `sockstat` view (Volatility's name): one row per
 * socket of cp_sockets_collect(), with names for the kernel's codes.
 *
 * Not for: reading the guest (sockets.c and friends do that).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linux/sockets_internal.h"
#include "util/cleanup.h"
#include "util/error.h"

const char *cp_sock_family_name(uint16_t family)
{
	switch (family) {
	case 1: return "AF_UNIX";
	case 2: return "AF_INET";
	case 10: return "AF_INET6";
	case 16: return "AF_NETLINK";
	case 17: return "AF_PACKET";
	case 40: return "AF_VSOCK";
	case 44: return "AF_XDP";
	default: return NULL;
	}
}

const char *cp_sock_type_name(uint16_t type)
{
	static const char *const names[] = {
		[1] = "STREAM", [2] = "DGRAM", [3] = "RAW", [4] = "RDM",
		[5] = "SEQPACKET", [6] = "DCCP", [10] = "PACKET",
	};
	return type < CP_ARRAY_SIZE(names) ? names[type] : NULL;
}

const char *cp_tcp_state_name(uint8_t state)
{
	static const char *const names[] = {
		[1] = "ESTABLISHED", [2] = "SYN_SENT", [3] = "SYN_RECV",
		[4] = "FIN_WAIT1", [5] = "FIN_WAIT2", [6] = "TIME_WAIT",
		[7] = "CLOSE", [8] = "CLOSE_WAIT", [9] = "LAST_ACK",
		[10] = "LISTEN", [11] = "CLOSING", [12] = "NEW_SYN_RECV",
		[13] = "BOUND_INACTIVE",
	};
	return state < CP_ARRAY_SIZE(names) ? names[state] : NULL;
}

const char *cp_unix_state_name(uint8_t ss_state, bool listening)
{
	if (listening)
		return "LISTENING";
	switch (ss_state) {
	case CP_SS_UNCONNECTED: return "UNCONNECTED";
	case CP_SS_CONNECTING: return "CONNECTING";
	case CP_SS_CONNECTED: return "CONNECTED";
	case CP_SS_DISCONNECTING: return "DISCONNECTING";
	default: return NULL;
	}
}

static const char *proto_name(const struct cp_socket *s)
{
	if (s->family == CP_AF_UNIX)
		return NULL;
	switch (s->protocol) {
	case 6: return "TCP";
	case 17: return "UDP";
	case 136: return "UDPLITE";
	case 262: return "MPTCP";
	default: return NULL;
	}
}

static const struct cp_out_col sockstat_cols[] = {
	{ "netns", NULL, CP_COL_UINT },
	{ "family", NULL, CP_COL_STR },
	{ "type", NULL, CP_COL_STR },
	{ "proto", NULL, CP_COL_STR },
	{ "state", NULL, CP_COL_STR },
	{ "state_code", "ST", CP_COL_UINT },
	{ "local_addr", "LOCAL", CP_COL_STR },
	{ "local_port", "LPORT", CP_COL_UINT },
	{ "remote_addr", "REMOTE", CP_COL_STR },
	{ "remote_port", "RPORT", CP_COL_UINT },
	{ "inode", NULL, CP_COL_UINT },
	{ "uid", NULL, CP_COL_INT },
	{ "pid", NULL, CP_COL_INT },
	{ "comm", NULL, CP_COL_STR },
	{ "fd", NULL, CP_COL_INT },
	{ "owners", NULL, CP_COL_UINT },
	{ "rx_queue", "RXQ", CP_COL_UINT },
	{ "tx_queue", "TXQ", CP_COL_UINT },
	{ "source", NULL, CP_COL_STR },
	{ "offset", NULL, CP_COL_HEX },
};

static void emit_str_or_null(struct cp_sink *sink, const char *v)
{
	if (v)
		cp_sink_str(sink, v);
	else
		cp_sink_null(sink);
}

static const struct cp_socket *find_sk(const struct cp_socket_list *l,
				       uint64_t sk)
{
	for (size_t i = 0; sk && i < l->count; i++)
		if (l->sockets[i].sk == sk)
			return &l->sockets[i];
	return NULL;
}

static struct cp_error *emit_socket(struct cp_sink *sink,
				    const struct cp_socket_list *l,
				    const struct cp_socket *s)
{
	bool inet = s->family == CP_AF_INET || s->family == CP_AF_INET6;
	bool unx = s->family == CP_AF_UNIX;
	char a[CP_UNIX_PATH_MAX * 2 + 8], b[sizeof(a)];
	cp_sink_u64(sink, s->netns);
	emit_str_or_null(sink, cp_sock_family_name(s->family));
	emit_str_or_null(sink, cp_sock_type_name(s->type));
	emit_str_or_null(sink, proto_name(s));
	const char *st = unx ? cp_unix_state_name(s->state, s->listening)
		       : inet && (s->protocol == 6 || s->protocol == 17)
		       ? cp_tcp_state_name(s->state) : NULL;
	emit_str_or_null(sink, st);
	if (inet || unx)
		cp_sink_u64(sink, s->state);
	else
		cp_sink_null(sink);
	if (inet) {
		int af = s->family == CP_AF_INET ? AF_INET : AF_INET6;
		emit_str_or_null(sink, inet_ntop(af, s->local, a, sizeof(a)));
		cp_sink_u64(sink, s->local_port);
		emit_str_or_null(sink, inet_ntop(af, s->remote, b, sizeof(b)));
		cp_sink_u64(sink, s->remote_port);
	} else if (unx) {
		if (s->path_len) {
			cp_unix_path_format(s->path, s->path_len, a, sizeof(a));
			cp_sink_str(sink, a);
		} else {
			cp_sink_null(sink);
		}
		cp_sink_null(sink);
		const struct cp_socket *peer = find_sk(l, s->peer);
		if (peer && peer->path_len) {
			cp_unix_path_format(peer->path, peer->path_len, b,
					    sizeof(b));
			cp_sink_str(sink, b);
		} else {
			cp_sink_null(sink);
		}
		cp_sink_null(sink);
	} else {
		for (int i = 0; i < 4; i++)
			cp_sink_null(sink);
	}
	cp_sink_u64(sink, s->inode);
	if (s->uid >= 0)
		cp_sink_i64(sink, s->uid);
	else
		cp_sink_null(sink);
	if (s->pid >= 0) {
		cp_sink_i64(sink, s->pid);
		cp_sink_str(sink, s->comm);
		cp_sink_i64(sink, s->fd);
	} else {
		cp_sink_null(sink);
		cp_sink_null(sink);
		cp_sink_null(sink);
	}
	cp_sink_u64(sink, s->owners);
	if (s->has_queues) {
		cp_sink_u64(sink, s->rx_queue);
		cp_sink_u64(sink, s->tx_queue);
	} else {
		cp_sink_null(sink);
		cp_sink_null(sink);
	}
	cp_sink_str(sink, s->source == (CP_SOCK_IN_TABLE | CP_SOCK_IN_FD)
			  ? "table+fd" : s->source == CP_SOCK_IN_FD ? "fd"
			  : "table");
	cp_sink_hex(sink, s->sk);
	return cp_sink_row_end(sink);
}

static struct cp_error *sockstat_produce(struct cp_profile *p,
					 const struct cp_view_args *args,
					 struct cp_sink *sink)
{
	struct cp_socket_list l;
	struct cp_error *err = cp_sockets_collect(p, &l);
	if (err && cp_error_code(err) != CP_ERR_PARTIAL)
		return err;
	for (size_t i = 0; i < l.count; i++) {
		const struct cp_socket *s = &l.sockets[i];
		if (args->pid >= 0 && s->pid != args->pid)
			continue;
		struct cp_error *e = emit_socket(sink, &l, s);
		if (e) {
			cp_error_destroy(err);
			err = e;
			break;
		}
	}
	cp_socket_list_free(&l);
	return err;
}

const struct cp_view cp_view_sockstat = {
	.name = "sockstat",
	.sql_name = "sockets",
	.args = "[--pid PID]",
	.summary = "TCP, UDP and unix sockets from the kernel's tables, with "
		   "owners",
	.cols = sockstat_cols,
	.ncols = CP_ARRAY_SIZE(sockstat_cols),
	.produce = sockstat_produce,
};
