/*
 * labnet: the base scenario's sockets, each with a value the truth shows.
 *
 *   labnet server       listens on TCP 127.0.0.1:7001 and [::1]:7002, binds
 *                       UDP 127.0.0.1:7003 and the unix stream socket
 *                       /run/labnet.sock; accepts and holds connections.
 *   labnet client PORT  connects to 127.0.0.1:PORT and holds the connection
 *                       (an ESTABLISHED loopback pair across two processes).
 *
 * Both then sleep forever; the guest's teardown is the only exit.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static int tcp4_listen(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 8))
        die("labnet: tcp4");
    return fd;
}

static int tcp6_listen(int port)
{
    int fd = socket(AF_INET6, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
    inet_pton(AF_INET6, "::1", &a.sin6_addr);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 8))
        die("labnet: tcp6");
    return fd;
}

static int udp4_bind(int port)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (bind(fd, (struct sockaddr *)&a, sizeof a))
        die("labnet: udp4");
    return fd;
}

static int unix_listen(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    strncpy(a.sun_path, path, sizeof a.sun_path - 1);
    unlink(path);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 8))
        die("labnet: unix");
    return fd;
}

static _Noreturn void server(void)
{
    struct pollfd p[3] = {
        {.fd = tcp4_listen(7001), .events = POLLIN},
        {.fd = tcp6_listen(7002), .events = POLLIN},
        {.fd = unix_listen("/run/labnet.sock"), .events = POLLIN},
    };
    udp4_bind(7003);
    printf("labnet: server ready\n");
    fflush(stdout);
    for (;;) {
        if (poll(p, 3, -1) < 0)
            continue;
        for (int i = 0; i < 3; i++)
            if (p[i].revents & POLLIN)
                accept(p[i].fd, NULL, NULL); /* held open on purpose */
    }
}

static _Noreturn void client(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    for (int tries = 0; connect(fd, (struct sockaddr *)&a, sizeof a); tries++) {
        if (tries == 50)
            die("labnet: connect");
        usleep(100000);
    }
    printf("labnet: client connected\n");
    fflush(stdout);
    for (;;)
        pause();
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "server") == 0)
        server();
    if (argc >= 3 && strcmp(argv[1], "client") == 0)
        client(atoi(argv[2]));
    fprintf(stderr, "usage: labnet server | labnet client PORT\n");
    return 2;
}
