-- The gateway keeps verified API keys for a few seconds (GATEWAY_API_KEY_CACHE_TTL_MS, issue
-- 14: the key lookup on every request capped its throughput). A revocation or deletion made
-- anywhere (the CLI, SQL) is announced on hub_api_key_changed with the key's prefix so every
-- gateway drops it at once; the TTL bounds the delay when that announcement is missed.
CREATE FUNCTION "hub_notify_api_key_changed"() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('hub_api_key_changed', OLD."prefix");
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER "api_keys_notify_change"
AFTER UPDATE OR DELETE ON "api_keys"
FOR EACH ROW
EXECUTE FUNCTION "hub_notify_api_key_changed"();
