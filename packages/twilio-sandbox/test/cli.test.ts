import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');

describe('cli', () => {
  it('listens, prints URL, account sid and token, serves the control API, stops on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, '../src/cli.ts')], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', SANDBOX_PORT: '0', SANDBOX_AUTH_TOKEN: 'cli-token' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      child.stdout.setEncoding('utf8');
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no banner; got: ${out}`)), 15_000);
        child.stdout.on('data', (chunk: string) => {
          out += chunk;
          if (out.includes('TWILIO_AUTH_TOKEN=')) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      const url = /TWILIO_BASE_URL=(\S+)/.exec(out)?.[1];
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(out).toMatch(/TWILIO_ACCOUNT_SID=AC\w+/);
      expect(out).toContain('TWILIO_AUTH_TOKEN=cli-token');
      const stats = await fetch(`${url}/__sandbox/stats`);
      expect(stats.status).toBe(200);
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 30_000);

  it('refuses a bad SANDBOX_PORT with a message naming it', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, '../src/cli.ts')], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', SANDBOX_PORT: 'eighty' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c: string) => (err += c));
    const [code] = await once(child, 'exit');
    expect(code).toBe(2);
    expect(err).toContain('SANDBOX_PORT');
  }, 30_000);
});
