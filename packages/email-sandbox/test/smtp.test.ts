import nodemailer from 'nodemailer';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sendError, startRig, type Rig } from './support.ts';

let rig: Rig;
beforeEach(async () => {
  rig = await startRig({ slowDataMs: 600 });
});
afterEach(() => rig.close());

describe('accepting mail', () => {
  it('stores and parses a message; the 250 reply carries the queue id', async () => {
    const info = await rig.send({
      to: 'Ann <ann@example.com>',
      cc: 'bob@example.com',
      subject: 'Grüße <b>',
      text: 'plain body',
      html: '<p>html body</p>',
      headers: {
        'List-Unsubscribe': '<https://hub.test/u/1>, <mailto:u@hub.test>',
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
        'X-SMTPAPI': JSON.stringify({ unique_args: { messageId: 'm-1' } }),
      },
    }, { auth: { user: 'apikey', pass: 'SG.whatever' } });
    expect(info.response).toMatch(/^250 2\.0\.0 Ok: queued as [0-9A-F]{12}$/);
    const queueId = /queued as ([0-9A-F]{12})/.exec(info.response)?.[1];
    const [m] = rig.sandbox.messages();
    expect(m).toMatchObject({
      queueId,
      messageId: info.messageId.replace(/^<|>$/g, ''),
      envelopeFrom: 'noreply@hub.test',
      envelopeTo: ['ann@example.com', 'bob@example.com'],
      from: 'noreply@hub.test',
      to: ['ann@example.com'],
      subject: 'Grüße <b>',
      text: 'plain body',
      html: '<p>html body</p>',
    });
    expect(m?.headers['list-unsubscribe']).toBe('<https://hub.test/u/1>, <mailto:u@hub.test>');
    expect(m?.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
    expect(JSON.parse(m?.headers['x-smtpapi'] ?? '')).toEqual({ unique_args: { messageId: 'm-1' } });
    expect(m?.size).toBeGreaterThan(100);
    expect(rig.sandbox.find(info.messageId)).toHaveLength(1);
    expect(rig.sandbox.find(info.messageId.slice(1, -1))).toHaveLength(1);
    expect(rig.sandbox.stats()).toMatchObject({ accepted: 1, refused: 0, dropped: 0 });
  });

  it('decodes a long X-SMTPAPI header that nodemailer folded into encoded words', async () => {
    const args = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`key_${i}`, `välue ${'x'.repeat(30)} ${i}`]));
    await rig.send({ to: 'a@example.com', headers: { 'X-SMTPAPI': JSON.stringify({ unique_args: args }) } });
    const [m] = rig.sandbox.messages();
    expect(JSON.parse(m?.headers['x-smtpapi'] ?? '')).toEqual({ unique_args: args });
  });

  it('waitFor resolves on a later message and on a later event', async () => {
    const waiting = rig.sandbox.waitFor((m) => m.subject === 'later' && m.events.includes('delivered'), 3_000);
    await rig.send({ to: 'a@example.com', subject: 'later' });
    expect((await waiting).events).toEqual(['processed', 'delivered']);
    await expect(rig.sandbox.waitFor(() => false, 50)).rejects.toThrow(/within 50 ms/);
  });

  it('close() does not wait for an idle pooled client connection', async () => {
    const pool = nodemailer.createTransport({ host: rig.sandbox.smtpHost, port: rig.sandbox.smtpPort, secure: false, ignoreTLS: true, pool: true });
    await pool.sendMail({ from: 'a@hub.test', to: 'b@example.com', text: 'x' });
    const started = Date.now();
    await rig.sandbox.close();
    expect(Date.now() - started).toBeLessThan(500);
    pool.close();
    await rig.receiver.close();
    rig = await startRig();
  });

  it('keeps at most maxMessages (oldest evicted)', async () => {
    await rig.close();
    rig = await startRig({ maxMessages: 2 });
    for (const subject of ['one', 'two', 'three']) await rig.send({ to: 'a@example.com', subject });
    expect(rig.sandbox.messages().map((m) => m.subject)).toEqual(['two', 'three']);
    expect(rig.sandbox.stats().evicted).toBe(1);
  });
});

/**
 * What nodemailer 10.6.1 reports for each fault: the contract the hub's email adapter classifies by.
 */
describe('faults, as nodemailer reports them', () => {
  it('temp_fail_rcpt: EENVELOPE, 450, RCPT TO', async () => {
    rig.sandbox.setFault('ann@example.com', 'temp_fail_rcpt');
    const err = await sendError(rig.send({ to: 'ann@example.com' }));
    expect(err).toMatchObject({ code: 'EENVELOPE', responseCode: 450, command: 'RCPT TO' });
    expect(err.response).toMatch(/^450 4\.2\.0 /);
    expect(rig.sandbox.messages()).toHaveLength(0);
  });

  it('perm_fail_rcpt: EENVELOPE, 550 5.1.1, RCPT TO', async () => {
    rig.sandbox.setFault('*', 'perm_fail_rcpt');
    const err = await sendError(rig.send({ to: 'ann@example.com' }));
    expect(err).toMatchObject({ code: 'EENVELOPE', responseCode: 550, command: 'RCPT TO' });
    expect(err.response).toMatch(/^550 5\.1\.1 .*User unknown/);
  });

  it('a refused recipient among accepted ones: the send succeeds and lists it in info.rejected', async () => {
    rig.sandbox.setFault('bad@example.com', 'perm_fail_rcpt');
    const info = await rig.send({ to: ['good@example.com', 'bad@example.com'] });
    expect(info.accepted).toEqual(['good@example.com']);
    expect(info.rejected).toEqual(['bad@example.com']);
    expect(rig.sandbox.messages()[0]?.envelopeTo).toEqual(['good@example.com']);
  });

  it('temp_fail_data: EMESSAGE, 451 4.3.0, DATA; not stored', async () => {
    rig.sandbox.setFault('ann@example.com', 'temp_fail_data');
    const err = await sendError(rig.send({ to: 'ann@example.com' }));
    expect(err).toMatchObject({ code: 'EMESSAGE', responseCode: 451, command: 'DATA' });
    expect(err.response).toMatch(/^451 4\.3\.0 /);
    expect(rig.sandbox.messages()).toHaveLength(0);
  });

  it('perm_fail_data: EMESSAGE, 554 5.7.1, DATA; not stored', async () => {
    rig.sandbox.setFault('ann@example.com', 'perm_fail_data');
    const err = await sendError(rig.send({ to: 'ann@example.com' }));
    expect(err).toMatchObject({ code: 'EMESSAGE', responseCode: 554, command: 'DATA' });
    expect(err.response).toMatch(/^554 5\.7\.1 /);
    expect(rig.sandbox.stats().refused).toBe(1);
  });

  it('drop_after_data: ECONNECTION "Connection closed unexpectedly", command CONN, no responseCode; the message IS stored and gets its events', async () => {
    rig.sandbox.setFault('ann@example.com', 'drop_after_data');
    const err = await sendError(rig.send({ to: 'ann@example.com', subject: 'dropped' }));
    expect(err).toMatchObject({ code: 'ECONNECTION', command: 'CONN', message: 'Connection closed unexpectedly' });
    expect(err.responseCode).toBeUndefined();
    const m = await rig.sandbox.waitFor((x) => x.subject === 'dropped' && x.events.includes('delivered'));
    expect(m.envelopeTo).toEqual(['ann@example.com']);
    expect(rig.sandbox.stats()).toMatchObject({ accepted: 1, dropped: 1 });
  });

  it('drop_before_data: the same ECONNECTION error, and nothing stored', async () => {
    rig.sandbox.setFault('ann@example.com', 'drop_before_data');
    const err = await sendError(rig.send({ to: 'ann@example.com' }));
    expect(err).toMatchObject({ code: 'ECONNECTION', command: 'CONN', message: 'Connection closed unexpectedly' });
    expect(err.responseCode).toBeUndefined();
    expect(rig.sandbox.messages()).toHaveLength(0);
    expect(rig.sandbox.stats()).toMatchObject({ accepted: 0, dropped: 1 });
  });

  it('slow_data: a client timeout shorter than the delay gets ETIMEDOUT (command CONN); the message is stored when the sandbox replies', async () => {
    rig.sandbox.setFault('ann@example.com', 'slow_data');
    const started = Date.now();
    // above smtp-server's 100 ms greeting delay, below the 600 ms reply delay
    const err = await sendError(rig.send({ to: 'ann@example.com' }, { socketTimeout: 300 }));
    expect(err).toMatchObject({ code: 'ETIMEDOUT', command: 'CONN', message: 'Timeout' });
    expect(rig.sandbox.messages()).toHaveLength(0);
    await rig.sandbox.waitFor(() => true, 2_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
  });

  it('slow_data: a patient client gets the 250 after the delay', async () => {
    rig.sandbox.setFault('ann@example.com', 'slow_data', { times: 1 });
    const started = Date.now();
    const info = await rig.send({ to: 'ann@example.com' });
    expect(info.response).toMatch(/^250 2\.0\.0 Ok: queued as /);
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
  });

  it('times: the fault applies that many times, then mail is accepted again; clearFaults removes the rest', async () => {
    rig.sandbox.setFault('ann@example.com', 'temp_fail_rcpt', { times: 2 });
    await sendError(rig.send({ to: 'ann@example.com' }));
    await sendError(rig.send({ to: 'ann@example.com' }));
    await rig.send({ to: 'ann@example.com' });
    rig.sandbox.setFault('*', 'perm_fail_data');
    rig.sandbox.clearFaults();
    await rig.send({ to: 'ann@example.com' });
    expect(rig.sandbox.messages()).toHaveLength(2);
  });
});

describe('magic recipient addresses', () => {
  it.each([
    ['tempfail@example.com', 'EENVELOPE', 450],
    ['reject+abc@example.org', 'EENVELOPE', 550],
    ['datafail@example.com', 'EMESSAGE', 554],
    ['TempDataFail@Example.com', 'EMESSAGE', 451],
  ])('%s → %s %i', async (to, code, responseCode) => {
    const err = await sendError(rig.send({ to }));
    expect(err).toMatchObject({ code, responseCode });
  });

  it('drop@… is stored but the client gets ECONNECTION', async () => {
    const err = await sendError(rig.send({ to: 'drop+1@example.com' }));
    expect(err.code).toBe('ECONNECTION');
    expect(rig.sandbox.messages()).toHaveLength(1);
  });

  it('an explicit fault for the address overrides its magic part', async () => {
    rig.sandbox.setFault('reject@example.com', 'temp_fail_data');
    const err = await sendError(rig.send({ to: 'reject@example.com' }));
    expect(err.responseCode).toBe(451);
  });
});
