// Cost of compileEmailTemplate (once per template version) and renderEmail (per message).
// npx tsx packages/email-rules/scripts/measure-render.ts
import { compileEmailTemplate, renderEmail, type EmailTemplate } from '../src/index.ts';

const mjmlSource = `<mjml><mj-head><mj-title>{{task.title}}</mj-title></mj-head><mj-body background-color="#f4f4f5">
  <mj-section background-color="#ffffff"><mj-column>
    <mj-text font-size="20px" font-weight="bold">Hello {{name}}</mj-text>
    <mj-text>Your task <b>{{task.title}}</b> is due {{due}}. {{note}}</mj-text>
    <mj-button href="{{url}}">Open task</mj-button>
    <mj-image src="{{img}}" alt="logo" width="120px" />
    <mj-divider /><mj-text font-size="12px" color="#6b7280">Sent by the hub at {{sentAt}}</mj-text>
  </mj-column></mj-section></mj-body></mjml>`;
const template: EmailTemplate = { subject: 'Reminder: {{task.title}}', html: mjmlSource, format: 'mjml', text: null, requiredVars: ['name'] };
const vars = { name: 'Ada <Lovelace>', task: { title: 'Pay rent & bills' }, due: new Date('2026-01-02T03:04:05Z'), note: 'x'.repeat(200), url: 'https://hub.example/t/1?a=1&b=2', img: 'https://cdn.example/logo.png', sentAt: '10:00' };

const time = async (n: number, fn: () => unknown) => {
  const started = performance.now();
  for (let i = 0; i < n; i++) await fn();
  return (performance.now() - started) / n;
};

const first = await time(1, () => compileEmailTemplate(template));
const compileMs = await time(50, () => compileEmailTemplate(template));
const c = await compileEmailTemplate(template);
if (!c.ok) throw new Error('compile failed');
const withText = { ...c.template, text: 'Hello {{name}}, {{task.title}} is due {{due}}: {{url}}' };
for (let i = 0; i < 200; i++) renderEmail(c.template, vars);
const renderMs = await time(2_000, () => renderEmail(c.template, vars));
const renderTextMs = await time(2_000, () => renderEmail(withText, vars));
console.log(JSON.stringify({
  node: process.version,
  htmlBytes: c.template.html.length,
  compileFirstMs: +first.toFixed(2),
  compileMs: +compileMs.toFixed(2),
  renderDerivedTextMs: +renderMs.toFixed(3),
  renderWithTextTemplateMs: +renderTextMs.toFixed(3),
}));
