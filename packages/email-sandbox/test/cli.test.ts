import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const cli = (args: string[]) =>
  spawn(process.execPath, ['--import', 'tsx', path.join(here, '../src/cli.ts'), ...args], { cwd: root, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });

describe('cli', () => {
  it('prints the addresses and the public key, takes mail, stops on SIGINT', async () => {
    const child = cli(['--smtp-port', '0', '--http-port', '0', '--webhook-url', 'http://127.0.0.1:1/events']);
    try {
      let out = '';
      child.stdout.setEncoding('utf8');
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no banner; got: ${out}`)), 15_000);
        child.stdout.on('data', (chunk: string) => {
          out += chunk;
          if (out.includes('PUBLIC_KEY=')) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      const smtp = /smtp:\/\/([\d.]+):(\d+)/.exec(out);
      const url = /web UI\s+(http:\/\/\S+)\//.exec(out)?.[1];
      expect(out).toMatch(/PUBLIC_KEY=MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\S+/);
      expect(out).toContain('http://127.0.0.1:1/events');
      const t = nodemailer.createTransport({ host: smtp?.[1], port: Number(smtp?.[2]), secure: false, ignoreTLS: true });
      await t.sendMail({ from: 'a@hub.test', to: 'b@example.com', subject: 'via cli', text: 'x' });
      t.close();
      const list = (await (await fetch(`${url}/api/messages`)).json()) as { count: number };
      expect(list.count).toBe(1);
      child.kill('SIGINT');
      const [code] = await once(child, 'exit');
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 30_000);

  it('refuses a bad port with a message naming the flag', async () => {
    const child = cli(['--smtp-port', 'eighty']);
    let err = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c: string) => (err += c));
    const [code] = await once(child, 'exit');
    expect(code).toBe(2);
    expect(err).toContain('--smtp-port');
  }, 30_000);
});
