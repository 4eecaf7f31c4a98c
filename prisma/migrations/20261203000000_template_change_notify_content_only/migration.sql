-- The trigger of 20261122010000_template_change_notify fired on every UPDATE of sms_templates,
-- including the usage_count / last_used_at bump of every templated send, so every send made
-- the sms-adapters drop their cached template. Now an UPDATE notifies only when a column the
-- adapter reads changes (template_key, message_template, required_vars, max_length,
-- is_active); INSERT and DELETE notify as before. The function is unchanged.
DROP TRIGGER "sms_templates_notify_change" ON "sms_templates";

CREATE TRIGGER "sms_templates_notify_insert_delete"
AFTER INSERT OR DELETE ON "sms_templates"
FOR EACH ROW EXECUTE FUNCTION "hub_notify_template_changed"();

CREATE TRIGGER "sms_templates_notify_content_update"
AFTER UPDATE ON "sms_templates"
FOR EACH ROW
WHEN (
  OLD."template_key" IS DISTINCT FROM NEW."template_key"
  OR OLD."message_template" IS DISTINCT FROM NEW."message_template"
  OR OLD."required_vars" IS DISTINCT FROM NEW."required_vars"
  OR OLD."max_length" IS DISTINCT FROM NEW."max_length"
  OR OLD."is_active" IS DISTINCT FROM NEW."is_active"
)
EXECUTE FUNCTION "hub_notify_template_changed"();
