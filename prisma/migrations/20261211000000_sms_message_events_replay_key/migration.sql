-- One history row per (message, provider sid, provider status) from Twilio: a status callback
-- Twilio retries or that is replayed, and a provider lookup repeating what a callback said,
-- add no row. status-ingest inserts with ON CONFLICT DO NOTHING; this index is the guarantee.
-- Rows the sms-adapter writes itself (source 'adapter': sending, accepted) are not covered.
-- Not expressible in schema.prisma (a partial index), like user_sms_preferences_verified_phone_key.

-- Earlier replays: keep one row per key, the applied one if any, else the first recorded.
DELETE FROM "sms_message_events" e
 USING (
   SELECT "id", row_number() OVER (
            PARTITION BY "sms_message_id", "twilio_sid", "twilio_status"
            ORDER BY "applied" DESC, "id"
          ) AS rn
     FROM "sms_message_events"
    WHERE "source" IN ('callback', 'lookup') AND "twilio_sid" IS NOT NULL AND "twilio_status" IS NOT NULL
 ) d
 WHERE e."id" = d."id" AND d.rn > 1;

CREATE UNIQUE INDEX "sms_message_events_replay_key"
    ON "sms_message_events"("sms_message_id", "twilio_sid", "twilio_status")
 WHERE "source" IN ('callback', 'lookup');
