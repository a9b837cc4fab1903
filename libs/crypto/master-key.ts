import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * The root secret of an installation. Every other key (JWT signing, at-rest encryption) is derived from
 * it with HKDF, so rotating one purpose never reuses another's key. Given by BERTH_MASTER_KEY, or
 * generated once into <dataDir>/master.key readable only by its owner.
 */
export function loadMasterKey(options: { configured?: string; dataDir: string }): Buffer {
  if (options.configured) {
    const key = Buffer.from(options.configured, 'base64');
    if (key.length !== 32) throw new Error('BERTH_MASTER_KEY must be 32 bytes, base64-encoded');
    return key;
  }
  const file = path.join(options.dataDir, 'master.key');
  fs.mkdirSync(options.dataDir, { recursive: true });
  try {
    const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length === 32) return key;
    throw new Error(`${file} does not hold a 32-byte base64 key`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const key = crypto.randomBytes(32);
  // 'wx' fails if another process created the file first; then that process's key wins.
  try {
    fs.writeFileSync(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
  }
}

export function deriveKey(master: Buffer, purpose: string): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', master, Buffer.alloc(0), `berth:${purpose}`, 32));
}
