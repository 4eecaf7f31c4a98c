-- The email twins of the seeded SMS templates (issue 12): subject, MJML body (compiled to
-- responsive HTML by the email-adapter), and a text part. Keys follow the email-adapter's
-- rule (the event type with . and - as _; task.due → task_reminder, brief.ready →
-- daily_brief_ready, task.urgent → urgent_task, user.welcome → welcome_email). Variables are
-- HTML-escaped when rendered; a variable used as a whole href must be an http(s) URL.
INSERT INTO "email_templates" ("template_key", "name", "description", "subject", "body", "format", "text_body", "required_vars") VALUES
  ('task_reminder', 'Task reminder', 'A task is due soon', 'Reminder: {{task_name}} is due {{due_time}}',
   '<mjml><mj-body><mj-section><mj-column><mj-text font-size="20px" font-weight="bold">Reminder</mj-text><mj-text><strong>{{task_name}}</strong> is due {{due_time}}.</mj-text></mj-column></mj-section></mj-body></mjml>',
   'mjml', 'Reminder: {{task_name}} is due {{due_time}}.', '["task_name", "due_time"]'),
  ('daily_brief_ready', 'Daily brief ready', 'The daily brief has been generated', 'Your daily brief is ready',
   '<mjml><mj-body><mj-section><mj-column><mj-text font-size="20px" font-weight="bold">Your daily brief is ready</mj-text><mj-button href="{{brief_url}}">Read it</mj-button></mj-column></mj-section></mj-body></mjml>',
   'mjml', 'Your daily brief is ready: {{brief_url}}', '["brief_url"]'),
  ('urgent_task', 'Urgent task', 'An urgent task needs attention', 'URGENT: {{task_name}} needs your attention',
   '<mjml><mj-body><mj-section background-color="#fdecea"><mj-column><mj-text font-size="20px" font-weight="bold" color="#b3261e">Urgent</mj-text><mj-text><strong>{{task_name}}</strong> needs your attention now.</mj-text></mj-column></mj-section></mj-body></mjml>',
   'mjml', 'URGENT: {{task_name}} needs your attention now.', '["task_name"]'),
  ('welcome_email', 'Welcome', 'Sent to a new recipient', 'Welcome to Notification Hub',
   '<mjml><mj-body><mj-section><mj-column><mj-text font-size="20px" font-weight="bold">Welcome</mj-text><mj-text>You will receive your notifications at this address. You can unsubscribe from any of them with the link below.</mj-text></mj-column></mj-section></mj-body></mjml>',
   'mjml', 'Welcome to Notification Hub! You will receive your notifications at this address. You can unsubscribe from any of them with the link below.', '[]');
