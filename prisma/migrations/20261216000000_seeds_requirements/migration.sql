-- Issue 16 (the seeds' requirements the hub lacked).

-- sent_at keeps the time Twilio accepted the message (set by the sms-adapter); the time of
-- Twilio's own "sent" callback is recorded beside it instead of overwriting it.
ALTER TABLE "sms_messages" ADD COLUMN "provider_sent_at" TIMESTAMPTZ(3);

-- Per-user rate limits count a user's recent attempts by when they were handed to Twilio.
CREATE INDEX "sms_messages_user_id_send_started_at_idx" ON "sms_messages"("user_id", "send_started_at");

-- An event that reaches nobody says so: how many deliveries the router wrote, and why none.
ALTER TABLE "notification_events" ADD COLUMN "routed_deliveries" INTEGER;
ALTER TABLE "notification_events" ADD COLUMN "routing_note" VARCHAR(50);
