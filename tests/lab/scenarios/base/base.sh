#!/bin/sh
# The base scenario's processes, for `start` here and for scenarios that
# extend base (their own `start` replaces this directory's, so they run
# `./base.sh` first).  Returns when the processes are up and connected.
#
#   labnet server   TCP 127.0.0.1:7001, TCP [::1]:7002, UDP 127.0.0.1:7003,
#                   unix /run/labnet.sock          env LAB_ROLE=server
#   labnet client   ESTABLISHED 127.0.0.1:x -> 127.0.0.1:7001
#   labthreads      4 threads lab-worker-0..3, an argument with spaces
#   sleep 86400     env LAB_MARKER with spaces and '='
LAB_ROLE=server LAB_TOKEN=cp-base-7f3a9c labnet server > /run/lab/labnet-server.log 2>&1 &
i=0
until grep -q ':1B59 00000000:0000 0A' /proc/net/tcp || [ $i -ge 50 ]; do
    usleep 100000
    i=$((i + 1))
done
LAB_ROLE=client labnet client 7001 > /run/lab/labnet-client.log 2>&1 &
LAB_ROLE=threads labthreads 4 "--label=hello world" --tab="a	b" &
LAB_ROLE=sleeper LAB_MARKER="spaces and = signs" sleep 86400 &
i=0
until grep -q ' 01 ' /proc/net/tcp || [ $i -ge 50 ]; do
    usleep 100000
    i=$((i + 1))
done
