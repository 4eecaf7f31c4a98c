-- CreateEnum
CREATE TYPE "event_priority" AS ENUM ('low', 'normal', 'high', 'urgent');

-- CreateEnum
CREATE TYPE "delivery_status" AS ENUM ('pending', 'deferred', 'sent', 'delivered', 'failed', 'skipped', 'cancelled');

-- CreateEnum
CREATE TYPE "sms_status" AS ENUM ('pending', 'scheduled', 'queued', 'sending', 'sent', 'delivered', 'failed', 'undelivered', 'cancelled');

-- CreateEnum
CREATE TYPE "job_status" AS ENUM ('pending', 'claimed', 'done', 'cancelled', 'failed');

-- CreateTable
CREATE TABLE "users" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "external_id" VARCHAR(200) NOT NULL,
    "timezone" VARCHAR(64) NOT NULL DEFAULT 'UTC',
    "locale" VARCHAR(35) NOT NULL DEFAULT 'en-US',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "user_sms_preferences" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "user_id" UUID NOT NULL,
    "phone_number" VARCHAR(20),
    "phone_verified" BOOLEAN NOT NULL DEFAULT false,
    "phone_verified_at" TIMESTAMPTZ(3),
    "task_reminders" BOOLEAN NOT NULL DEFAULT true,
    "daily_brief_sms" BOOLEAN NOT NULL DEFAULT true,
    "urgent_alerts" BOOLEAN NOT NULL DEFAULT true,
    "quiet_hours_start" VARCHAR(5),
    "quiet_hours_end" VARCHAR(5),
    "timezone" VARCHAR(64),
    "daily_sms_limit" INTEGER NOT NULL DEFAULT 10,
    "opted_out" BOOLEAN NOT NULL DEFAULT false,
    "opted_out_at" TIMESTAMPTZ(3),
    "opt_out_reason" VARCHAR(100),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "user_sms_preferences_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "notification_subscriptions" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "user_id" UUID NOT NULL,
    "event_type" VARCHAR(100) NOT NULL,
    "channels" TEXT[] DEFAULT ARRAY['sms']::TEXT[],
    "active" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "notification_subscriptions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "notification_events" (
    "id" VARCHAR(128) NOT NULL,
    "event_type" VARCHAR(100) NOT NULL,
    "target_user_id" VARCHAR(200),
    "payload" JSONB NOT NULL DEFAULT '{}',
    "priority" "event_priority" NOT NULL DEFAULT 'normal',
    "scheduled_for" TIMESTAMPTZ(3),
    "source" VARCHAR(100),
    "occurred_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "published_at" TIMESTAMPTZ(3),
    "routed_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "notification_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "notification_deliveries" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "event_id" VARCHAR(128) NOT NULL,
    "user_id" UUID NOT NULL,
    "channel" VARCHAR(20) NOT NULL,
    "channel_identifier" VARCHAR(200),
    "status" "delivery_status" NOT NULL DEFAULT 'pending',
    "skip_reason" VARCHAR(50),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "external_id" VARCHAR(64),
    "last_error" TEXT,
    "last_error_code" VARCHAR(50),
    "deferred_until" TIMESTAMPTZ(3),
    "sent_at" TIMESTAMPTZ(3),
    "delivered_at" TIMESTAMPTZ(3),
    "failed_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "notification_deliveries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sms_messages" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "user_id" UUID NOT NULL,
    "phone_number" VARCHAR(20) NOT NULL,
    "message_content" TEXT NOT NULL,
    "template_id" UUID,
    "template_key" VARCHAR(100),
    "template_vars" JSONB,
    "status" "sms_status" NOT NULL DEFAULT 'pending',
    "priority" "event_priority" NOT NULL DEFAULT 'normal',
    "segments" INTEGER NOT NULL DEFAULT 1,
    "encoding" VARCHAR(10) NOT NULL DEFAULT 'GSM-7',
    "scheduled_for" TIMESTAMPTZ(3),
    "send_started_at" TIMESTAMPTZ(3),
    "sent_at" TIMESTAMPTZ(3),
    "delivered_at" TIMESTAMPTZ(3),
    "twilio_sid" VARCHAR(64),
    "twilio_status" VARCHAR(30),
    "twilio_error_code" INTEGER,
    "twilio_error_message" TEXT,
    "attempt_count" INTEGER NOT NULL DEFAULT 0,
    "max_attempts" INTEGER NOT NULL DEFAULT 3,
    "next_retry_at" TIMESTAMPTZ(3),
    "notification_delivery_id" UUID,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sms_messages_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sms_message_events" (
    "id" BIGSERIAL NOT NULL,
    "sms_message_id" UUID NOT NULL,
    "status" "sms_status" NOT NULL,
    "twilio_status" VARCHAR(30),
    "twilio_sid" VARCHAR(64),
    "attempt" INTEGER NOT NULL DEFAULT 0,
    "error_code" INTEGER,
    "source" VARCHAR(30) NOT NULL,
    "applied" BOOLEAN NOT NULL DEFAULT true,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sms_message_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sms_templates" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "template_key" VARCHAR(100) NOT NULL,
    "name" VARCHAR(255) NOT NULL,
    "description" TEXT,
    "message_template" TEXT NOT NULL,
    "template_vars" JSONB NOT NULL DEFAULT '{}',
    "required_vars" JSONB NOT NULL DEFAULT '[]',
    "max_length" INTEGER NOT NULL DEFAULT 160,
    "is_active" BOOLEAN NOT NULL DEFAULT true,
    "usage_count" INTEGER NOT NULL DEFAULT 0,
    "last_used_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sms_templates_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sms_click_tracking" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "short_code" VARCHAR(32) NOT NULL,
    "delivery_id" UUID,
    "sms_message_id" UUID,
    "destination_url" TEXT NOT NULL,
    "click_count" INTEGER NOT NULL DEFAULT 0,
    "first_clicked_at" TIMESTAMPTZ(3),
    "last_clicked_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sms_click_tracking_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "scheduled_jobs" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "kind" VARCHAR(50) NOT NULL,
    "due_at" TIMESTAMPTZ(3) NOT NULL,
    "topic" VARCHAR(200) NOT NULL,
    "key" VARCHAR(200),
    "payload" JSONB NOT NULL,
    "headers" JSONB NOT NULL DEFAULT '{}',
    "status" "job_status" NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "claimed_at" TIMESTAMPTZ(3),
    "claimed_by" VARCHAR(100),
    "ref_id" VARCHAR(128),
    "dedupe_key" VARCHAR(200),
    "last_error" TEXT,
    "completed_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "scheduled_jobs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_keys" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "name" VARCHAR(100) NOT NULL,
    "prefix" VARCHAR(32) NOT NULL,
    "secret_hash" VARCHAR(128) NOT NULL,
    "scopes" TEXT[],
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_used_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "phone_verifications" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "user_id" UUID NOT NULL,
    "phone_number" VARCHAR(20) NOT NULL,
    "verification_sid" VARCHAR(64),
    "status" VARCHAR(20) NOT NULL DEFAULT 'pending',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "checked_at" TIMESTAMPTZ(3),

    CONSTRAINT "phone_verifications_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sms_opt_out_events" (
    "id" BIGSERIAL NOT NULL,
    "user_id" UUID,
    "phone_number" VARCHAR(20) NOT NULL,
    "action" VARCHAR(10) NOT NULL,
    "source" VARCHAR(30) NOT NULL,
    "keyword" VARCHAR(20),
    "message_sid" VARCHAR(64),
    "actor" VARCHAR(100),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sms_opt_out_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "users_external_id_key" ON "users"("external_id");

-- CreateIndex
CREATE UNIQUE INDEX "user_sms_preferences_user_id_key" ON "user_sms_preferences"("user_id");

-- CreateIndex
CREATE INDEX "user_sms_preferences_phone_number_idx" ON "user_sms_preferences"("phone_number");

-- CreateIndex
CREATE INDEX "notification_subscriptions_event_type_active_idx" ON "notification_subscriptions"("event_type", "active");

-- CreateIndex
CREATE UNIQUE INDEX "notification_subscriptions_user_id_event_type_key" ON "notification_subscriptions"("user_id", "event_type");

-- CreateIndex
CREATE INDEX "notification_events_event_type_created_at_idx" ON "notification_events"("event_type", "created_at");

-- CreateIndex
CREATE INDEX "notification_deliveries_user_id_created_at_idx" ON "notification_deliveries"("user_id", "created_at");

-- CreateIndex
CREATE INDEX "notification_deliveries_status_updated_at_idx" ON "notification_deliveries"("status", "updated_at");

-- CreateIndex
CREATE UNIQUE INDEX "notification_deliveries_event_id_user_id_channel_key" ON "notification_deliveries"("event_id", "user_id", "channel");

-- CreateIndex
CREATE UNIQUE INDEX "sms_messages_twilio_sid_key" ON "sms_messages"("twilio_sid");

-- CreateIndex
CREATE UNIQUE INDEX "sms_messages_notification_delivery_id_key" ON "sms_messages"("notification_delivery_id");

-- CreateIndex
CREATE INDEX "sms_messages_user_id_created_at_idx" ON "sms_messages"("user_id", "created_at");

-- CreateIndex
CREATE INDEX "sms_messages_status_updated_at_idx" ON "sms_messages"("status", "updated_at");

-- CreateIndex
CREATE INDEX "sms_messages_phone_number_created_at_idx" ON "sms_messages"("phone_number", "created_at");

-- CreateIndex
CREATE INDEX "sms_message_events_sms_message_id_id_idx" ON "sms_message_events"("sms_message_id", "id");

-- CreateIndex
CREATE INDEX "sms_message_events_twilio_sid_idx" ON "sms_message_events"("twilio_sid");

-- CreateIndex
CREATE UNIQUE INDEX "sms_templates_template_key_key" ON "sms_templates"("template_key");

-- CreateIndex
CREATE UNIQUE INDEX "sms_click_tracking_short_code_key" ON "sms_click_tracking"("short_code");

-- CreateIndex
CREATE INDEX "sms_click_tracking_delivery_id_idx" ON "sms_click_tracking"("delivery_id");

-- CreateIndex
CREATE UNIQUE INDEX "scheduled_jobs_dedupe_key_key" ON "scheduled_jobs"("dedupe_key");

-- CreateIndex
CREATE INDEX "scheduled_jobs_status_due_at_idx" ON "scheduled_jobs"("status", "due_at");

-- CreateIndex
CREATE INDEX "scheduled_jobs_ref_id_idx" ON "scheduled_jobs"("ref_id");

-- CreateIndex
CREATE UNIQUE INDEX "api_keys_prefix_key" ON "api_keys"("prefix");

-- CreateIndex
CREATE INDEX "phone_verifications_user_id_created_at_idx" ON "phone_verifications"("user_id", "created_at");

-- CreateIndex
CREATE INDEX "sms_opt_out_events_phone_number_created_at_idx" ON "sms_opt_out_events"("phone_number", "created_at");

-- AddForeignKey
ALTER TABLE "user_sms_preferences" ADD CONSTRAINT "user_sms_preferences_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "notification_subscriptions" ADD CONSTRAINT "notification_subscriptions_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "notification_deliveries" ADD CONSTRAINT "notification_deliveries_event_id_fkey" FOREIGN KEY ("event_id") REFERENCES "notification_events"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "notification_deliveries" ADD CONSTRAINT "notification_deliveries_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sms_messages" ADD CONSTRAINT "sms_messages_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sms_messages" ADD CONSTRAINT "sms_messages_template_id_fkey" FOREIGN KEY ("template_id") REFERENCES "sms_templates"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sms_messages" ADD CONSTRAINT "sms_messages_notification_delivery_id_fkey" FOREIGN KEY ("notification_delivery_id") REFERENCES "notification_deliveries"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sms_message_events" ADD CONSTRAINT "sms_message_events_sms_message_id_fkey" FOREIGN KEY ("sms_message_id") REFERENCES "sms_messages"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sms_click_tracking" ADD CONSTRAINT "sms_click_tracking_delivery_id_fkey" FOREIGN KEY ("delivery_id") REFERENCES "notification_deliveries"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- Not expressible in schema.prisma: one verified owner per phone number.
CREATE UNIQUE INDEX "user_sms_preferences_verified_phone_key" ON "user_sms_preferences"("phone_number") WHERE "phone_verified";

-- Seed templates (GSM-7, at most 160 characters each).
INSERT INTO "sms_templates" ("template_key", "name", "description", "message_template", "required_vars", "max_length") VALUES
  ('task_reminder', 'Task reminder', 'A task is due soon', 'Reminder: {{task_name}} is due {{due_time}}.', '["task_name", "due_time"]', 160),
  ('daily_brief_ready', 'Daily brief ready', 'The daily brief has been generated', 'Your daily brief is ready: {{brief_url}}', '["brief_url"]', 160),
  ('urgent_task', 'Urgent task', 'An urgent task needs attention', 'URGENT: {{task_name}} needs your attention now.', '["task_name"]', 160),
  ('welcome_sms', 'Welcome', 'Sent once a phone number is verified', 'Welcome to Notification Hub! Your phone is verified. Reply HELP for help, STOP to unsubscribe.', '[]', 160);
