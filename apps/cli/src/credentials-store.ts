import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** What `berth login` keeps: one API and either a token pair or an API key. */
export interface StoredCredentials {
  apiUrl: string;
  email?: string;
  accessToken?: string;
  /** ms since epoch */
  accessTokenExpiresAt?: number;
  refreshToken?: string;
  apiKey?: string;
}

/** $XDG_CONFIG_HOME/berth, else ~/.config/berth. */
export function configDirectory(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return path.join(base, 'berth');
}

export function credentialsFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(configDirectory(env), 'credentials.json');
}

export async function readCredentials(file = credentialsFile()): Promise<StoredCredentials | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as StoredCredentials;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Writes the file readable by its owner only (0600, in a 0700 folder). The content goes to a new file created
 * 0600 and renamed over the old one, so the secret is never readable by others, not even for a moment.
 */
export async function writeCredentials(
  credentials: StoredCredentials,
  file = credentialsFile(),
): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  await fs.writeFile(temporary, JSON.stringify(credentials, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  await fs.chmod(temporary, 0o600);
  await fs.rename(temporary, file);
}

export async function removeCredentials(file = credentialsFile()): Promise<boolean> {
  try {
    await fs.unlink(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
