-- Issue 16, item 8: who changed what through the admin API (and API keys however made).
CREATE TABLE "admin_audit_events" (
  "id" UUID NOT NULL DEFAULT gen_random_uuid(),
  "at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  -- The API key's name (HTTP), or "cli:<database user>" for keys created or revoked outside it.
  "actor" VARCHAR(100) NOT NULL,
  "actor_key_id" UUID,
  -- "<METHOD> <route>" (e.g. "PUT /v1/templates/:key"), or api_key.created / api_key.revoked.
  "action" VARCHAR(200) NOT NULL,
  "target_type" VARCHAR(50) NOT NULL,
  "target_id" VARCHAR(200),
  "status_code" INTEGER,
  -- {"before": …, "after": …, "changed": [fields]} where the resource is known, else {"body": …}.
  "changes" JSONB NOT NULL DEFAULT '{}',
  "request_id" VARCHAR(100),
  CONSTRAINT "admin_audit_events_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "admin_audit_events_at_idx" ON "admin_audit_events"("at", "id");
CREATE INDEX "admin_audit_events_target_idx" ON "admin_audit_events"("target_type", "target_id", "at");
CREATE INDEX "admin_audit_events_actor_idx" ON "admin_audit_events"("actor", "at");

-- Keys are made and revoked by the CLI (npm run hub -- keys …), straight in SQL: a trigger
-- records both, whoever ran them.
CREATE FUNCTION hub_audit_api_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO admin_audit_events (actor, action, target_type, target_id, changes)
    VALUES (COALESCE(NULLIF(current_setting('hub.actor', true), ''), 'cli:' || session_user), 'api_key.created', 'api_key', NEW.id::text,
            jsonb_build_object('after', jsonb_build_object('name', NEW.name, 'prefix', NEW.prefix, 'scopes', to_jsonb(NEW.scopes))));
  ELSIF NEW.revoked_at IS NOT NULL AND OLD.revoked_at IS NULL THEN
    INSERT INTO admin_audit_events (actor, action, target_type, target_id, changes)
    VALUES (COALESCE(NULLIF(current_setting('hub.actor', true), ''), 'cli:' || session_user), 'api_key.revoked', 'api_key', NEW.id::text,
            jsonb_build_object('before', jsonb_build_object('name', NEW.name, 'revokedAt', NULL), 'after', jsonb_build_object('name', NEW.name, 'revokedAt', NEW.revoked_at)));
  ELSIF TG_OP = 'UPDATE' AND NEW.scopes IS DISTINCT FROM OLD.scopes THEN
    INSERT INTO admin_audit_events (actor, action, target_type, target_id, changes)
    VALUES (COALESCE(NULLIF(current_setting('hub.actor', true), ''), 'cli:' || session_user), 'api_key.scopes_changed', 'api_key', NEW.id::text,
            jsonb_build_object('before', jsonb_build_object('scopes', to_jsonb(OLD.scopes)), 'after', jsonb_build_object('scopes', to_jsonb(NEW.scopes))));
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER "api_keys_audit" AFTER INSERT OR UPDATE OF revoked_at, scopes ON "api_keys" FOR EACH ROW EXECUTE FUNCTION hub_audit_api_key();
