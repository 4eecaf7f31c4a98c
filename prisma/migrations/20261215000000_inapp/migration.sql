-- In-app channel (issue 13): the inbox, its templates, seen/read on the delivery rows,
-- routing policies (fallback and escalation per event type) and the routing timeline.
-- The tables are read and written with SQL by the inapp-adapter, the gateway's inbox API
-- and the router (docs/inbox.md); no Prisma model is needed for them.

-- Seen / read of an in-app delivery, tracked on the delivery row itself (status stays
-- 'delivered', which is final: seen and read are later facts about a delivered item).
ALTER TABLE "notification_deliveries" ADD COLUMN "seen_at" TIMESTAMPTZ(3), ADD COLUMN "read_at" TIMESTAMPTZ(3);

-- One row per user with an inbox: the per-user sequence of its items. An item takes the
-- next number under this row's lock, so a user's items commit in sequence order and a
-- stream that resumes after sequence N can never miss an item numbered below a later one.
CREATE TABLE "inapp_inboxes" (
    "user_id" UUID NOT NULL,
    "last_seq" BIGINT NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "inapp_inboxes_pkey" PRIMARY KEY ("user_id"),
    CONSTRAINT "inapp_inboxes_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE
);

CREATE TABLE "inapp_items" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "user_id" UUID NOT NULL,
    "seq" BIGINT NOT NULL,
    "notification_delivery_id" UUID NOT NULL,
    "event_id" VARCHAR(128) NOT NULL,
    "event_type" VARCHAR(100) NOT NULL,
    "priority" "event_priority" NOT NULL DEFAULT 'normal',
    "title" VARCHAR(500) NOT NULL,
    "body" TEXT NOT NULL,
    "action_url" VARCHAR(2000),
    "data" JSONB NOT NULL DEFAULT '{}',
    "template_key" VARCHAR(100),
    "seen_at" TIMESTAMPTZ(3),
    "read_at" TIMESTAMPTZ(3),
    "archived_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "inapp_items_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "inapp_items_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE,
    CONSTRAINT "inapp_items_delivery_fkey" FOREIGN KEY ("notification_delivery_id") REFERENCES "notification_deliveries"("id") ON DELETE CASCADE
);
CREATE UNIQUE INDEX "inapp_items_notification_delivery_id_key" ON "inapp_items"("notification_delivery_id");
CREATE UNIQUE INDEX "inapp_items_user_id_seq_key" ON "inapp_items"("user_id", "seq");
CREATE INDEX "inapp_items_user_unread_idx" ON "inapp_items"("user_id") WHERE "read_at" IS NULL AND "archived_at" IS NULL;

-- Per-channel templates of the in-app items, keyed like email templates (event type with
-- . and - as _). Title, body and action URL are {{var}} templates (@hub/sms-rules semantics).
CREATE TABLE "inapp_templates" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "template_key" VARCHAR(100) NOT NULL,
    "title" VARCHAR(500) NOT NULL,
    "body" TEXT NOT NULL,
    "action_url" VARCHAR(2000),
    "required_vars" JSONB NOT NULL DEFAULT '[]',
    "is_active" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "inapp_templates_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "inapp_templates_template_key_key" ON "inapp_templates"("template_key");

INSERT INTO "inapp_templates" ("template_key", "title", "body", "action_url", "required_vars") VALUES
  ('task_reminder', 'Reminder: {{task_name}}', '{{task_name}} is due {{due_time}}.', NULL, '["task_name", "due_time"]'),
  ('daily_brief_ready', 'Your daily brief is ready', 'Open it to see today''s summary.', '{{brief_url}}', '["brief_url"]'),
  ('urgent_task', 'URGENT: {{task_name}}', '{{task_name}} needs your attention.', NULL, '["task_name"]');

-- Every user has an in-app address: themselves (verified, never undeliverable). Opting out
-- of in-app is a preference (notification_preferences, channel 'inapp', event type '*').
CREATE OR REPLACE VIEW "user_channel_addresses" AS
  SELECT p."user_id", 'sms'::varchar(20) AS "channel", p."phone_number"::varchar(320) AS "address",
         p."phone_verified" AS "verified", p."opted_out" AS "opted_out", false AS "undeliverable"
    FROM "user_sms_preferences" p
  UNION ALL
  SELECT e."user_id", 'email'::varchar(20), e."email_address"::varchar(320),
         e."email_verified", e."opted_out", e."undeliverable"
    FROM "user_email_preferences" e
  UNION ALL
  SELECT u."id", 'inapp'::varchar(20), u."id"::text::varchar(320), true, false, false
    FROM "users" u;

-- Routing policy per event type (set through the admin API): an ordered fallback list of
-- channels and escalation steps. No row: today's behaviour (every subscribed channel at once).
CREATE TABLE "routing_policies" (
    "event_type" VARCHAR(100) NOT NULL,
    "fallback" TEXT[] NOT NULL DEFAULT '{}',
    -- [{"channel": "email", "afterMs": 900000, "urgentOnly": false}, …], relative to the first delivery.
    "escalation" JSONB NOT NULL DEFAULT '[]',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "routing_policies_pkey" PRIMARY KEY ("event_type")
);

-- The routing timeline of (event, user): which channel was used and why the next one was.
CREATE TABLE "routing_steps" (
    "id" BIGSERIAL NOT NULL,
    "event_id" VARCHAR(128) NOT NULL,
    "user_id" UUID NOT NULL,
    "kind" VARCHAR(40) NOT NULL,
    "channel" VARCHAR(20),
    "from_channel" VARCHAR(20),
    "delivery_id" UUID,
    "reason" VARCHAR(200),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "routing_steps_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "routing_steps_event_user_idx" ON "routing_steps"("event_id", "user_id", "id");

-- When a delivery that is part of a fallback chain fails permanently (or is skipped by its
-- adapter for an address reason), the next step is a scheduler job written in the same
-- transaction (the outbox): the scheduler publishes it to the router's routing topic.
-- The chain is recorded by the router on the delivery's first routing step.
CREATE TABLE "routing_chains" (
    "event_id" VARCHAR(128) NOT NULL,
    "user_id" UUID NOT NULL,
    "channels" TEXT[] NOT NULL,
    -- Full topic name (with the deployment's prefix) of the router's routing input.
    "topic" VARCHAR(200) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "routing_chains_pkey" PRIMARY KEY ("event_id", "user_id")
);

CREATE FUNCTION "hub_routing_fallback"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  c RECORD;
BEGIN
  SELECT * INTO c FROM "routing_chains" WHERE "event_id" = NEW."event_id" AND "user_id" = NEW."user_id";
  IF NOT FOUND OR NOT (NEW."channel" = ANY(c."channels")) THEN
    RETURN NEW;
  END IF;
  INSERT INTO "scheduled_jobs" ("kind", "due_at", "topic", "key", "payload", "ref_id", "dedupe_key")
  VALUES ('routing_fallback', now(), c."topic", NEW."user_id"::text,
          jsonb_build_object('kind', 'fallback', 'eventId', NEW."event_id", 'userId', NEW."user_id"::text,
                             'fromChannel', NEW."channel", 'deliveryId', NEW."id"::text,
                             'reason', COALESCE(NEW."skip_reason", NEW."last_error_code", NEW."status"::text),
                             'requestedAt', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
          NEW."id"::text, 'fallback:' || NEW."id"::text)
  ON CONFLICT ("dedupe_key") DO NOTHING;
  RETURN NEW;
END $$;

-- Failed, or skipped by the adapter for a reason that makes the channel unusable for this
-- user (address gone, opted out, undeliverable, unverified). Policy skips (preference_off,
-- daily_limit) do not fall back: the user chose, or the cap decided (docs/inbox.md).
CREATE TRIGGER "notification_deliveries_fallback"
AFTER UPDATE OF "status" ON "notification_deliveries"
FOR EACH ROW
WHEN (OLD."status" IS DISTINCT FROM NEW."status" AND (
  NEW."status" = 'failed'
  OR (NEW."status" = 'skipped' AND NEW."skip_reason" IN ('no_phone', 'no_email', 'opted_out', 'undeliverable', 'unverified', 'channel_unavailable'))
))
EXECUTE FUNCTION "hub_routing_fallback"();
