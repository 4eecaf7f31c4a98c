-- Channels paused by a provider-wide failure (bad credentials, suspended account, unknown
-- sender, rate limit, provider unreachable), one row per adapter instance while it holds its
-- requests; the row is removed when the channel opens again. /health reads it.
CREATE TABLE "channel_pauses" (
    "channel" TEXT NOT NULL,
    "instance" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "paused_since" TIMESTAMPTZ(3) NOT NULL,
    "next_probe_at" TIMESTAMPTZ(3) NOT NULL,
    "failures" INTEGER NOT NULL,
    "held_requests" INTEGER NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "channel_pauses_pkey" PRIMARY KEY ("channel", "instance")
);
