#!/bin/bash
# Stand-in for the official image's tool, enough for a health check: with
# --bootstrap-server localhost:PORT it connects to the first listener of server.properties
# (PLAINTEXT://host:port) and succeeds when it accepts.
props=/opt/kafka/config/server.properties
listener=$(sed -n 's/^listeners=//p' "$props" | tr ',' '\n' | grep -v CONTROLLER | head -1)
hostport=${listener#*://}
host=${hostport%:*}; port=${hostport##*:}
[ -z "$host" ] && host=127.0.0.1
[ "$host" = 0.0.0.0 ] && host=127.0.0.1
exec 3<>"/dev/tcp/$host/$port" && echo "broker at $host:$port is accepting connections"
