-- Every change of an SMS template is announced on the channel hub_template_changed (payload:
-- its template_key), so the sms-adapters drop their cached copy at once instead of waiting
-- for the cache TTL. A trigger catches changes made through the gateway and by hand alike.
CREATE FUNCTION "hub_notify_template_changed"() RETURNS trigger AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM pg_notify('hub_template_changed', OLD."template_key");
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    PERFORM pg_notify('hub_template_changed', NEW."template_key");
  END IF;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER "sms_templates_notify_change"
AFTER INSERT OR UPDATE OR DELETE ON "sms_templates"
FOR EACH ROW EXECUTE FUNCTION "hub_notify_template_changed"();
