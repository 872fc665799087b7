/*
 * qmp.c - a QMP client: one unix socket, one command at a time.
 *
 * QMP sends one JSON object per line: a greeting, then for each command a
 * {"return": ...} or {"error": ...}, with asynchronous {"event": ...}
 * objects interleaved at any point (skipped here). The client sends
 * qmp_capabilities first; until then QEMU accepts nothing else.
 *
 * QEMU is trusted more than the guest, but not blindly: replies are bounded
 * (CP_QMP_MAX_REPLY), every wait has a deadline, and a malformed line is an
 * error, never a crash. Not here: what commands mean (callers decide).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "mem/qmp.h"
#include "util/cleanup.h"
#include "util/error.h"

/* `info mtree -f` of a large VM runs to a few hundred KiB. */
#define CP_QMP_MAX_REPLY (16u << 20)

struct cp_qmp {
	int fd;
	pid_t pid;
	int timeout_ms;
	char *path;
	char version[32];
	char *buf;		/* received, not yet consumed */
	size_t len, cap;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct cp_error *wait_fd(struct cp_qmp *qmp, short events,
				int64_t deadline, const char *what)
{
	for (;;) {
		int64_t left = deadline - now_ms();
		if (left <= 0)
			return cp_error_create(CP_ERR_TIMEOUT,
					       "%s: no %s within %d ms%s",
					       qmp->path, what, qmp->timeout_ms,
					       strcmp(what, "greeting") == 0 ?
					       " (another client, such as "
					       "libvirt, may hold the monitor)" :
					       "");
		struct pollfd p = { .fd = qmp->fd, .events = events };
		int r = poll(&p, 1, (int)left);
		if (r > 0)
			return NULL;
		if (r < 0 && errno != EINTR)
			return cp_error_os(errno, "%s: poll", qmp->path);
	}
}

/* The next JSON object from the socket (a new reference). */
static struct cp_error *recv_json(struct cp_qmp *qmp, int64_t deadline,
				  const char *what, json_t **ret)
{
	for (;;) {
		char *nl = qmp->len ? memchr(qmp->buf, '\n', qmp->len) : NULL;
		if (nl) {
			size_t line = (size_t)(nl - qmp->buf) + 1;
			json_error_t jerr;
			json_t *j = json_loadb(qmp->buf, line, 0, &jerr);
			memmove(qmp->buf, qmp->buf + line, qmp->len - line);
			qmp->len -= line;
			if (!j)
				return cp_error_create(CP_ERR_FORMAT,
						       "%s: bad JSON from QEMU "
						       "(%s)", qmp->path,
						       jerr.text);
			if (!json_is_object(j)) {
				json_decref(j);
				return cp_error_create(CP_ERR_FORMAT,
						       "%s: QMP message is not "
						       "an object", qmp->path);
			}
			*ret = j;
			return NULL;
		}
		if (qmp->len >= CP_QMP_MAX_REPLY)
			return cp_error_create(CP_ERR_FORMAT,
					       "%s: QMP message over %u bytes",
					       qmp->path, CP_QMP_MAX_REPLY);
		if (qmp->cap - qmp->len < 4096) {
			size_t cap = qmp->cap ? qmp->cap * 2 : 65536;
			char *b = realloc(qmp->buf, cap);
			if (!b)
				return &cp_enomem;
			qmp->buf = b;
			qmp->cap = cap;
		}
		struct cp_error *err = wait_fd(qmp, POLLIN, deadline, what);
		if (err)
			return err;
		ssize_t n = recv(qmp->fd, qmp->buf + qmp->len,
				 qmp->cap - qmp->len, 0);
		if (n == 0)
			return cp_error_create(CP_ERR_OS, "%s: QEMU closed the "
					       "connection", qmp->path);
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			return cp_error_os(errno, "%s: recv", qmp->path);
		if (n > 0)
			qmp->len += (size_t)n;
	}
}

static struct cp_error *send_all(struct cp_qmp *qmp, const char *s,
				 int64_t deadline)
{
	size_t len = strlen(s);
	while (len) {
		struct cp_error *err = wait_fd(qmp, POLLOUT, deadline,
					       "room to send");
		if (err)
			return err;
		ssize_t n = send(qmp->fd, s, len, MSG_NOSIGNAL);
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			return cp_error_os(errno, "%s: send", qmp->path);
		if (n > 0) {
			s += n;
			len -= (size_t)n;
		}
	}
	return NULL;
}

struct cp_error *cp_qmp_execute(struct cp_qmp *qmp, const char *command,
				json_t *args, json_t **ret)
{
	json_t *req = json_pack("{s:s}", "execute", command);
	if (!req)
		return &cp_enomem;
	if (args && json_object_set(req, "arguments", args) < 0) {
		json_decref(req);
		return &cp_enomem;
	}
	_cleanup_free_ char *text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!text)
		return &cp_enomem;
	_cleanup_free_ char *line = NULL;
	if (asprintf(&line, "%s\n", text) < 0)
		return &cp_enomem;
	int64_t deadline = now_ms() + qmp->timeout_ms;
	struct cp_error *err = send_all(qmp, line, deadline);
	if (err)
		return err;
	/* Events may come first; a bounded number of them. */
	for (int i = 0; i < 1000; i++) {
		json_t *msg;
		err = recv_json(qmp, deadline, "reply", &msg);
		if (err)
			return cp_error_wrap(err, "%s", command);
		json_t *r = json_object_get(msg, "return");
		if (r) {
			*ret = json_incref(r);
			json_decref(msg);
			return NULL;
		}
		json_t *e = json_object_get(msg, "error");
		if (e) {
			const char *desc = json_string_value(
				json_object_get(e, "desc"));
			err = cp_error_create(CP_ERR_UNSUPPORTED,
					      "%s: QEMU refused %s: %s",
					      qmp->path, command,
					      desc ? desc : "(no description)");
			json_decref(msg);
			return err;
		}
		json_decref(msg);	/* an event */
	}
	return cp_error_create(CP_ERR_FORMAT, "%s: %s: no reply among 1000 "
			       "messages", qmp->path, command);
}

struct cp_error *cp_qmp_hmp(struct cp_qmp *qmp, const char *command_line,
			    char **ret)
{
	json_t *args = json_pack("{s:s}", "command-line", command_line);
	if (!args)
		return &cp_enomem;
	json_t *r;
	struct cp_error *err =
		cp_qmp_execute(qmp, "human-monitor-command", args, &r);
	json_decref(args);
	if (err)
		return cp_error_wrap(err, "'%s'", command_line);
	const char *s = json_string_value(r);
	if (!s) {
		json_decref(r);
		return cp_error_create(CP_ERR_FORMAT, "%s: '%s': reply is not "
				       "text", qmp->path, command_line);
	}
	*ret = strdup(s);
	json_decref(r);
	return *ret ? NULL : &cp_enomem;
}

static struct cp_error *negotiate(struct cp_qmp *qmp)
{
	json_t *greeting;
	struct cp_error *err = recv_json(qmp, now_ms() + qmp->timeout_ms,
					 "greeting", &greeting);
	if (err)
		return err;
	json_t *q = json_object_get(greeting, "QMP");
	if (!q) {
		json_decref(greeting);
		return cp_error_create(CP_ERR_FORMAT, "%s: not a QMP socket "
				       "(no greeting)", qmp->path);
	}
	json_t *v = json_object_get(json_object_get(q, "version"), "qemu");
	if (v)
		snprintf(qmp->version, sizeof(qmp->version), "%d.%d.%d",
			 (int)json_integer_value(json_object_get(v, "major")),
			 (int)json_integer_value(json_object_get(v, "minor")),
			 (int)json_integer_value(json_object_get(v, "micro")));
	json_decref(greeting);
	json_t *r;
	err = cp_qmp_execute(qmp, "qmp_capabilities", NULL, &r);
	if (err)
		return err;
	json_decref(r);
	return NULL;
}

struct cp_error *cp_qmp_connect(const char *path, int timeout_ms,
				struct cp_qmp **ret)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return cp_error_create(CP_ERR_USAGE, "%s: socket path too long",
				       path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	struct cp_qmp *qmp = calloc(1, sizeof(*qmp));
	if (!qmp)
		return &cp_enomem;
	qmp->timeout_ms = timeout_ms;
	qmp->path = strdup(path);
	qmp->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
			 0);
	struct cp_error *err = NULL;
	if (!qmp->path)
		err = &cp_enomem;
	else if (qmp->fd < 0)
		err = cp_error_os(errno, "%s: socket", path);
	else if (connect(qmp->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		/* A unix socket connects at once or not at all; EAGAIN means
		 * its backlog is full of waiting clients. */
		err = cp_error_os(errno, "%s: connect", path);
	if (!err) {
		struct ucred cred;
		socklen_t len = sizeof(cred);
		if (getsockopt(qmp->fd, SOL_SOCKET, SO_PEERCRED, &cred,
			       &len) < 0)
			err = cp_error_os(errno, "%s: SO_PEERCRED", path);
		else
			qmp->pid = cred.pid;
	}
	if (!err)
		err = negotiate(qmp);
	if (err) {
		cp_qmp_close(qmp);
		return err;
	}
	*ret = qmp;
	return NULL;
}

void cp_qmp_close(struct cp_qmp *qmp)
{
	if (!qmp)
		return;
	if (qmp->fd >= 0)
		close(qmp->fd);
	free(qmp->path);
	free(qmp->buf);
	free(qmp);
}

pid_t cp_qmp_peer_pid(const struct cp_qmp *qmp)
{
	return qmp->pid;
}

const char *cp_qmp_version(const struct cp_qmp *qmp)
{
	return qmp->version;
}
