-- Retention (the scheduler's sweep, services/scheduler/src/retention.ts) finds old rows by
-- these columns; without them each batch of the sweep would scan the whole table.
CREATE INDEX "notification_events_created_at_idx" ON "notification_events"("created_at");
CREATE INDEX "sms_click_tracking_created_at_idx" ON "sms_click_tracking"("created_at");
