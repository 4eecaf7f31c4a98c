#!/bin/sh
set -e
props=/opt/kafka/config/server.properties
: > "$props"
env | grep '^KAFKA_' | grep -v -e '^KAFKA_HEAP_OPTS=' -e '^KAFKA_OPTS=' | while IFS= read -r line; do
  key=${line%%=*}; value=${line#*=}
  # KAFKA_FOO_BAR -> foo.bar; ___ -> -, __ -> _ (the official image's convention)
  name=$(echo "${key#KAFKA_}" | tr 'A-Z' 'a-z' | sed -e 's/___/-/g' -e 's/__/@/g' -e 's/_/./g' -e 's/@/_/g')
  echo "$name=$value" >> "$props"
done
grep -q '^log.dirs=' "$props" || echo "log.dirs=/var/lib/kafka/data" >> "$props"
cat > /opt/kafka/config/log4j.properties <<'L4J'
log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaServer=INFO
log4j.logger.kafka.server.BrokerServer=INFO
L4J
jvm="${KAFKA_HEAP_OPTS:--Xmx512m -Xms128m} -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true -Dlog4j.configuration=file:/opt/kafka/config/log4j.properties ${KAFKA_OPTS:-}"
logdir=$(sed -n 's/^log.dirs=//p' "$props" | cut -d, -f1)
if [ ! -f "$logdir/meta.properties" ]; then
  # shellcheck disable=SC2086
  java $jvm -cp '/opt/kafka/libs/*' kafka.tools.StorageTool format --cluster-id="${CLUSTER_ID:?CLUSTER_ID is required}" --config="$props" --ignore-formatted
fi
# shellcheck disable=SC2086
exec java $jvm -cp '/opt/kafka/libs/*' kafka.Kafka "$props"
