-- Channels beyond SMS (issue 12, docs/channels.md): email addresses and their state,
-- preferences per user x event type x channel, email messages with their history and
-- templates, email confirmation links, the opt-out audit of non-SMS channels, and the view
-- through which the router reads every channel's addresses.

-- CreateEnum
CREATE TYPE "email_status" AS ENUM ('pending', 'scheduled', 'sending', 'sent', 'delivered', 'bounced', 'failed', 'cancelled');

-- CreateTable
CREATE TABLE "user_email_preferences" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "user_id" UUID NOT NULL,
    "email_address" VARCHAR(254),
    "email_key" VARCHAR(254),
    "email_verified" BOOLEAN NOT NULL DEFAULT false,
    "email_verified_at" TIMESTAMPTZ(3),
    "verified_by" VARCHAR(20),
    "opted_out" BOOLEAN NOT NULL DEFAULT false,
    "opted_out_at" TIMESTAMPTZ(3),
    "opt_out_reason" VARCHAR(100),
    "undeliverable" BOOLEAN NOT NULL DEFAULT false,
    "undeliverable_at" TIMESTAMPTZ(3),
    "undeliverable_reason" VARCHAR(200),
    "daily_email_limit" INTEGER NOT NULL DEFAULT 50,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "user_email_preferences_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "notification_preferences" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "user_id" UUID NOT NULL,
    "channel" VARCHAR(20) NOT NULL,
    "event_type" VARCHAR(100) NOT NULL,
    "enabled" BOOLEAN NOT NULL,
    "source" VARCHAR(30) NOT NULL DEFAULT 'api',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "notification_preferences_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "email_messages" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "user_id" UUID NOT NULL,
    "email_address" VARCHAR(254) NOT NULL,
    "from_address" VARCHAR(320) NOT NULL,
    "subject" VARCHAR(998) NOT NULL,
    "html_body" TEXT NOT NULL,
    "text_body" TEXT NOT NULL,
    "template_id" UUID,
    "template_key" VARCHAR(100),
    "template_vars" JSONB,
    "status" "email_status" NOT NULL DEFAULT 'pending',
    "priority" "event_priority" NOT NULL DEFAULT 'normal',
    "message_id_header" VARCHAR(255),
    "provider_queue_id" VARCHAR(255),
    "provider_message_id" VARCHAR(255),
    "smtp_response" VARCHAR(1000),
    "scheduled_for" TIMESTAMPTZ(3),
    "send_started_at" TIMESTAMPTZ(3),
    "sent_at" TIMESTAMPTZ(3),
    "delivered_at" TIMESTAMPTZ(3),
    "bounced_at" TIMESTAMPTZ(3),
    "bounce_type" VARCHAR(10),
    "complained_at" TIMESTAMPTZ(3),
    "opened_at" TIMESTAMPTZ(3),
    "error_code" VARCHAR(50),
    "error_message" TEXT,
    "attempt_count" INTEGER NOT NULL DEFAULT 0,
    "max_attempts" INTEGER NOT NULL DEFAULT 3,
    "next_retry_at" TIMESTAMPTZ(3),
    "notification_delivery_id" UUID,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "email_messages_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "email_message_events" (
    "id" BIGSERIAL NOT NULL,
    "email_message_id" UUID NOT NULL,
    "status" "email_status",
    "event" VARCHAR(30) NOT NULL,
    "provider_event_id" VARCHAR(100),
    "attempt" INTEGER NOT NULL DEFAULT 0,
    "smtp_status" VARCHAR(20),
    "detail" VARCHAR(1000),
    "source" VARCHAR(30) NOT NULL,
    "applied" BOOLEAN NOT NULL DEFAULT true,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "email_message_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "email_templates" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "template_key" VARCHAR(100) NOT NULL,
    "name" VARCHAR(255) NOT NULL,
    "description" TEXT,
    "subject" VARCHAR(998) NOT NULL,
    "body" TEXT NOT NULL,
    "format" VARCHAR(10) NOT NULL DEFAULT 'mjml',
    "text_body" TEXT,
    "required_vars" JSONB NOT NULL DEFAULT '[]',
    "is_active" BOOLEAN NOT NULL DEFAULT true,
    "usage_count" INTEGER NOT NULL DEFAULT 0,
    "last_used_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "email_templates_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "email_verifications" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "user_id" UUID NOT NULL,
    "email_address" VARCHAR(254) NOT NULL,
    "token_hash" VARCHAR(128) NOT NULL,
    "status" VARCHAR(20) NOT NULL DEFAULT 'pending',
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "confirmed_at" TIMESTAMPTZ(3),

    CONSTRAINT "email_verifications_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "channel_opt_out_events" (
    "id" BIGSERIAL NOT NULL,
    "channel" VARCHAR(20) NOT NULL,
    "user_id" UUID,
    "address" VARCHAR(320) NOT NULL,
    "action" VARCHAR(10) NOT NULL,
    "scope" VARCHAR(100) NOT NULL DEFAULT 'all',
    "source" VARCHAR(30) NOT NULL,
    "detail" VARCHAR(200),
    "actor" VARCHAR(100),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "channel_opt_out_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "user_email_preferences_user_id_key" ON "user_email_preferences"("user_id");

-- CreateIndex
CREATE INDEX "user_email_preferences_email_key_idx" ON "user_email_preferences"("email_key");

-- CreateIndex
CREATE UNIQUE INDEX "notification_preferences_user_id_channel_event_type_key" ON "notification_preferences"("user_id", "channel", "event_type");

-- CreateIndex
CREATE UNIQUE INDEX "email_messages_message_id_header_key" ON "email_messages"("message_id_header");

-- CreateIndex
CREATE UNIQUE INDEX "email_messages_notification_delivery_id_key" ON "email_messages"("notification_delivery_id");

-- CreateIndex
CREATE INDEX "email_messages_user_id_created_at_idx" ON "email_messages"("user_id", "created_at");

-- CreateIndex
CREATE INDEX "email_messages_status_updated_at_idx" ON "email_messages"("status", "updated_at");

-- CreateIndex
CREATE INDEX "email_messages_email_address_created_at_idx" ON "email_messages"("email_address", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "email_message_events_provider_event_id_key" ON "email_message_events"("provider_event_id");

-- CreateIndex
CREATE INDEX "email_message_events_email_message_id_id_idx" ON "email_message_events"("email_message_id", "id");

-- CreateIndex
CREATE UNIQUE INDEX "email_templates_template_key_key" ON "email_templates"("template_key");

-- CreateIndex
CREATE UNIQUE INDEX "email_verifications_token_hash_key" ON "email_verifications"("token_hash");

-- CreateIndex
CREATE INDEX "email_verifications_user_id_created_at_idx" ON "email_verifications"("user_id", "created_at");

-- CreateIndex
CREATE INDEX "channel_opt_out_events_channel_address_created_at_idx" ON "channel_opt_out_events"("channel", "address", "created_at");

-- CreateIndex
CREATE INDEX "channel_opt_out_events_user_id_created_at_idx" ON "channel_opt_out_events"("user_id", "created_at");

-- AddForeignKey
ALTER TABLE "user_email_preferences" ADD CONSTRAINT "user_email_preferences_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "notification_preferences" ADD CONSTRAINT "notification_preferences_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "email_messages" ADD CONSTRAINT "email_messages_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "email_messages" ADD CONSTRAINT "email_messages_template_id_fkey" FOREIGN KEY ("template_id") REFERENCES "email_templates"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "email_messages" ADD CONSTRAINT "email_messages_notification_delivery_id_fkey" FOREIGN KEY ("notification_delivery_id") REFERENCES "notification_deliveries"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "email_message_events" ADD CONSTRAINT "email_message_events_email_message_id_fkey" FOREIGN KEY ("email_message_id") REFERENCES "email_messages"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- One verified owner per email address (like user_sms_preferences_verified_phone_key).
CREATE UNIQUE INDEX "user_email_preferences_verified_email_key" ON "user_email_preferences"("email_key") WHERE "email_verified";

-- Every channel's address for every user, one row per (user, channel). The router reads
-- channel availability from here only: a new channel adds its branch to this view (in its
-- own migration) and a registry entry (packages/contracts/src/channels.ts), nothing else.
-- 'verified' is false while the address waits for its confirmation; 'undeliverable' is a
-- hard bounce (email) — SMS has no such state and reads false.
CREATE VIEW "user_channel_addresses" AS
  SELECT p."user_id", 'sms'::varchar(20) AS "channel", p."phone_number"::varchar(320) AS "address",
         p."phone_verified" AS "verified", p."opted_out" AS "opted_out", false AS "undeliverable"
    FROM "user_sms_preferences" p
  UNION ALL
  SELECT e."user_id", 'email'::varchar(20), e."email_address"::varchar(320),
         e."email_verified", e."opted_out", e."undeliverable"
    FROM "user_email_preferences" e;

-- Email template changes are announced like SMS ones (same function, same channel: a key
-- shared by an SMS and an email template drops both cached copies, which is harmless).
CREATE TRIGGER "email_templates_notify_insert_delete"
AFTER INSERT OR DELETE ON "email_templates"
FOR EACH ROW EXECUTE FUNCTION "hub_notify_template_changed"();

CREATE TRIGGER "email_templates_notify_content_update"
AFTER UPDATE ON "email_templates"
FOR EACH ROW
WHEN (
  OLD."template_key" IS DISTINCT FROM NEW."template_key"
  OR OLD."subject" IS DISTINCT FROM NEW."subject"
  OR OLD."body" IS DISTINCT FROM NEW."body"
  OR OLD."format" IS DISTINCT FROM NEW."format"
  OR OLD."text_body" IS DISTINCT FROM NEW."text_body"
  OR OLD."required_vars" IS DISTINCT FROM NEW."required_vars"
  OR OLD."is_active" IS DISTINCT FROM NEW."is_active"
)
EXECUTE FUNCTION "hub_notify_template_changed"();
