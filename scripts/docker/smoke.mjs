// End-to-end smoke of a running compose stack (scripts/docker/ci.sh runs it inside the hub
// image, on the host network, so it needs nothing installed on the machine):
//   node smoke.mjs smoke          an event over HTTP and one over Kafka reach "delivered" (SMS, email, in-app)
//                                 with one provider send each (their emails too, through
//                                 the SMTP sandbox's signed SendGrid events); a forged and an unsigned
//                                 status webhook are refused (403) and change nothing
//   node smoke.mjs burst N        posts N urgent events (ids made unique by SMOKE_RUN)
//   node smoke.mjs verify N       the N burst events: every SMS delivered, one send each
// Environment: HUB_API_KEY, GATEWAY_URL, STATUS_INGEST_URL, SANDBOX_URL, EMAIL_SANDBOX_URL, KAFKA_BROKERS,
// SMOKE_RUN (distinguishes event ids between runs).
import kafkajs from 'kafkajs';
import twilio from 'twilio';

const env = process.env;
const gateway = env.GATEWAY_URL ?? 'http://127.0.0.1:13000';
const statusIngest = env.STATUS_INGEST_URL ?? 'http://127.0.0.1:13002';
const sandbox = env.SANDBOX_URL ?? 'http://127.0.0.1:14010';
const smtpSandbox = env.EMAIL_SANDBOX_URL ?? 'http://127.0.0.1:18025';
const brokers = (env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const key = env.HUB_API_KEY ?? '';
const run = env.SMOKE_RUN ?? String(Date.now());
const auth = { authorization: `Bearer ${key}` };
const [, , command = 'smoke', countArg = '40'] = process.argv;
const count = Number(countArg);

let failures = 0;
const ok = (what) => console.log(`  ok    ${what}`);
const fail = (what) => { failures += 1; console.log(`  FAIL  ${what}`); };
const check = (cond, what) => (cond ? ok(what) : fail(what));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function json(url, init) {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  let body = null;
  try { body = JSON.parse(text); } catch { body = text; }
  return { status: res.status, body };
}

/** Posts like a well-behaved client: a timeout or a 5xx is retried with the same event id (idempotent). */
async function postEvent(id, type, payload) {
  for (let attempt = 1; ; attempt++) {
    try {
      const r = await json(`${gateway}/v1/events`, {
        method: 'POST', headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ id, type, targetUserId: 'demo-user', payload }),
      });
      if (r.status < 500 || attempt >= 5) return r;
    } catch (err) {
      if (attempt >= 5) throw err;
      console.log(`  (POST ${id}: ${err.name}; retrying with the same id)`);
    }
    await sleep(2_000);
  }
}

/** The event's SMS delivery once it is final (or null after the timeout). */
async function finalSms(eventId, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = null;
  while (Date.now() < deadline) {
    const r = await json(`${gateway}/v1/deliveries?eventId=${encodeURIComponent(eventId)}&channel=sms`, { headers: auth }).catch(() => null);
    const d = r?.status === 200 ? r.body.items?.[0] : null;
    if (d) last = d;
    if (d && ['delivered', 'failed', 'skipped', 'cancelled'].includes(d.status) && (d.status !== 'delivered' || d.sms?.status === 'delivered')) return d;
    await sleep(500);
  }
  return last;
}

async function finalDelivery(eventId, channel, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = null;
  while (Date.now() < deadline) {
    const r = await json(`${gateway}/v1/deliveries?eventId=${encodeURIComponent(eventId)}&channel=${channel}`, { headers: auth }).catch(() => null);
    const d = r?.status === 200 ? r.body.items?.[0] : null;
    if (d) last = d;
    if (d && ['delivered', 'failed', 'skipped', 'cancelled'].includes(d.status)) return d;
    await sleep(500);
  }
  return last;
}

async function sendsFor(messageId) {
  const r = await json(`${sandbox}/__sandbox/sends?mid=${encodeURIComponent(messageId)}&limit=0`);
  return r.body.count;
}

async function smoke() {
  console.log('smoke: event over HTTP');
  const httpId = `smoke-http-${run}`;
  const posted = await postEvent(httpId, 'task.reminder', { task_name: 'Docker smoke', due_time: '5pm' });
  check(posted.status === 202 && posted.body.status === 'accepted', `POST /v1/events → ${posted.status} ${JSON.stringify(posted.body).slice(0, 120)}`);

  console.log('smoke: event straight on Kafka');
  const kafkaId = `smoke-kafka-${run}`;
  const producer = new kafkajs.Kafka({ clientId: 'docker-smoke', brokers, logLevel: kafkajs.logLevel.NOTHING }).producer();
  await producer.connect();
  await producer.send({
    topic: 'notify.events.v1',
    messages: [{ key: 'demo-user', value: JSON.stringify({ id: kafkaId, type: 'task.reminder', targetUserId: 'demo-user', payload: { task_name: 'From Kafka', due_time: 'today' }, occurredAt: new Date().toISOString() }) }],
  });
  await producer.disconnect();
  ok('published to notify.events.v1');

  let httpSms = null;
  for (const id of [httpId, kafkaId]) {
    const d = await finalSms(id, 60_000);
    check(d?.status === 'delivered' && d.sms?.status === 'delivered', `${id}: SMS delivery ${d ? `${d.status} (sms ${d.sms?.status ?? '-'})` : 'not found'}`);
    if (d?.sms) {
      const n = await sendsFor(d.sms.id);
      check(n === 1, `${id}: ${n} provider send(s)`);
      if (id === httpId) httpSms = d;
    }
    // the email: accepted by the SMTP sandbox, then "delivered" by its signed SendGrid event
    const e = await finalDelivery(id, 'email', 60_000);
    check(e?.status === 'delivered', `${id}: email delivery ${e?.status ?? 'not found'}`);
    if (e?.email?.messageIdHeader) {
      const bare = (v) => String(v ?? '').replace(/^<|>$/g, '');
      const inbox = await json(`${smtpSandbox}/api/messages`);
      const n = (inbox.body.messages ?? []).filter((m) => bare(m.messageId) === bare(e.email.messageIdHeader)).length;
      check(n === 1, `${id}: ${n} email(s) received by the SMTP server`);
    }
    // the in-app item: stored by the inapp-adapter, its delivery "delivered"
    const i = await finalDelivery(id, 'inapp', 60_000);
    check(i?.status === 'delivered', `${id}: in-app delivery ${i?.status ?? 'not found'}`);
  }

  console.log('smoke: status webhook signatures');
  if (httpSms) {
    const url = `${statusIngest}/webhooks/twilio/status?mid=${httpSms.sms.id}`;
    const params = { MessageSid: httpSms.sms.twilioSid, MessageStatus: 'failed', ErrorCode: '30003' };
    const forged = twilio.getExpectedTwilioSignature('not-the-token', url, params);
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const bad = await fetch(url, { method: 'POST', headers: { ...form, 'x-twilio-signature': forged }, body: new URLSearchParams(params).toString() });
    check(bad.status === 403, `forged signature → ${bad.status}`);
    const unsigned = await fetch(url, { method: 'POST', headers: form, body: new URLSearchParams(params).toString() });
    check(unsigned.status === 403, `no signature → ${unsigned.status}`);
    await sleep(1500);
    const after = await finalSms(httpId, 5_000);
    check(after?.status === 'delivered', `delivery still ${after?.status} after the refused webhooks`);
  } else fail('no SMS to forge a webhook for');
}

async function burst() {
  console.log(`burst: ${count} urgent events over HTTP (4 at a time; a 5xx or a timeout is retried with the same id, as a client would)`);
  let accepted = 0; let retried = 0; const refused = [];
  const post = async (i) => {
    for (let attempt = 1; ; attempt += 1) {
      const r = await postEvent(`burst-${run}-${i}`, 'task.urgent', { task_name: `burst ${i}`, due_time: 'now' }).catch((e) => ({ status: 0, body: String(e) }));
      if (r.status === 202 && ['accepted', 'duplicate'].includes(r.body.status)) { accepted += 1; return; }
      if ((r.status === 0 || r.status >= 500) && attempt < 5) { retried += 1; await sleep(1000 * attempt); continue; }
      refused.push(`${i}: ${r.status} ${JSON.stringify(r.body).slice(0, 100)}`);
      return;
    }
  };
  for (let i = 0; i < count; i += 4) await Promise.all(Array.from({ length: Math.min(4, count - i) }, (_, k) => post(i + k)));
  check(accepted === count, `${accepted}/${count} accepted${retried ? ` (${retried} retried)` : ''}${refused.length ? `; refused: ${refused.slice(0, 3).join(', ')}` : ''}`);
}

async function verify() {
  console.log(`verify: the ${count} burst events after the restart`);
  let delivered = 0; let duplicates = 0; const bad = [];
  for (let i = 0; i < count; i += 1) {
    const id = `burst-${run}-${i}`;
    const d = await finalSms(id, 120_000);
    if (d?.status === 'delivered' && d.sms?.status === 'delivered') delivered += 1; else bad.push(`${id}: ${d ? `${d.status}/${d.sms?.status}` : 'missing'}`);
    if (d?.sms) { const n = await sendsFor(d.sms.id); if (n !== 1) duplicates += 1; }
  }
  check(delivered === count, `${delivered}/${count} delivered${bad.length ? ` (${bad.slice(0, 5).join(', ')})` : ''}`);
  check(duplicates === 0, `${duplicates} SMS sent other than exactly once`);
}

try {
  if (command === 'smoke') await smoke();
  else if (command === 'burst') await burst();
  else if (command === 'verify') await verify();
  else { console.error('usage: smoke.mjs smoke | burst N | verify N'); process.exit(2); }
} catch (err) {
  fail(`${command}: ${err instanceof Error ? err.stack : String(err)}`);
}
console.log(failures === 0 ? `${command}: passed` : `${command}: ${failures} check(s) failed`);
process.exit(failures === 0 ? 0 : 1);
