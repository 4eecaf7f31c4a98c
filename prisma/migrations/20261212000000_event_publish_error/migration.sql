-- An event the outbox sweep cannot publish for what it is (Kafka refuses its size, or it no
-- longer matches the topic's schema) is marked here instead of being retried forever; the
-- sweep skips it and an operator sees why (issue 11).
ALTER TABLE "notification_events" ADD COLUMN "publish_error" VARCHAR(2000);
