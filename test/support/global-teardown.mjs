import fs from 'node:fs';
import pg from 'pg';

/** Drops this run's database and stops the embedded server that global-setup started. */
export default async function globalTeardown() {
  const url = process.env.DATABASE_URL;
  const adminUrl = process.env.BERTH_TEST_ADMIN_DATABASE_URL;
  if (url && adminUrl) {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${new URL(url).pathname.slice(1)}" WITH (FORCE)`);
    await admin.end();
  }
  const embedded = globalThis.__berthTestDb;
  if (embedded) {
    await embedded.server.stop();
    fs.rmSync(embedded.dir, { recursive: true, force: true });
  }
}
