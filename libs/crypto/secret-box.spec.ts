import { describe, expect, it } from '@jest/globals';
import crypto from 'node:crypto';
import { deriveKey } from './master-key.js';
import { SecretBox } from './secret-box.js';

describe('SecretBox', () => {
  const box = new SecretBox(deriveKey(crypto.randomBytes(32), 'test'));

  it('round-trips a secret and never stores it in clear', () => {
    const sealed = box.seal('postgres://user:hunter2@db/app', 'app-1');
    expect(sealed).not.toContain('hunter2');
    expect(box.open(sealed, 'app-1')).toBe('postgres://user:hunter2@db/app');
  });

  it('refuses a ciphertext moved to another row (context bound as associated data)', () => {
    const sealed = box.seal('secret', 'app-1');
    expect(() => box.open(sealed, 'app-2')).toThrow();
  });

  it('refuses a tampered ciphertext', () => {
    const sealed = box.seal('secret', 'app-1');
    const parts = sealed.split('.');
    parts[3] = Buffer.from('other!').toString('base64url');
    expect(() => box.open(parts.join('.'), 'app-1')).toThrow();
  });

  it('derives different keys per purpose', () => {
    const master = crypto.randomBytes(32);
    expect(deriveKey(master, 'jwt').equals(deriveKey(master, 'secrets'))).toBe(false);
  });
});
