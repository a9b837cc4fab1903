import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { acmeSettingsFrom } from './acme-settings.js';

describe('acmeSettingsFrom', () => {
  it('is off without a directory URL', () => {
    expect(acmeSettingsFrom({})).toBeUndefined();
  });

  it('reads the directory, contact and defaults', () => {
    expect(
      acmeSettingsFrom({
        BERTH_ACME_DIRECTORY_URL: 'https://acme-staging-v02.api.letsencrypt.org/directory',
        BERTH_ACME_EMAIL: 'ops@example.com',
      }),
    ).toEqual({
      directoryUrl: 'https://acme-staging-v02.api.letsencrypt.org/directory',
      email: 'ops@example.com',
      caPem: undefined,
      renewBeforeDays: 30,
      maxAttempts: 5,
      retryBaseMs: 60_000,
      intervalMs: 30_000,
    });
  });

  it('refuses a directory that is not https, a bad email, a CA file without a certificate, bad numbers', () => {
    expect(() => acmeSettingsFrom({ BERTH_ACME_DIRECTORY_URL: 'http://127.0.0.1:14000/dir' })).toThrow(
      /must be https/,
    );
    expect(() => acmeSettingsFrom({ BERTH_ACME_DIRECTORY_URL: 'not a url' })).toThrow(/not a URL/);
    const base = { BERTH_ACME_DIRECTORY_URL: 'https://127.0.0.1:14000/dir' };
    expect(() => acmeSettingsFrom({ ...base, BERTH_ACME_EMAIL: 'nobody' })).toThrow(/email/);
    expect(() => acmeSettingsFrom({ ...base, BERTH_ACME_RENEW_BEFORE_DAYS: '0' })).toThrow(/RENEW_BEFORE/);
    expect(() => acmeSettingsFrom({ ...base, BERTH_ACME_MAX_ATTEMPTS: '1.5' })).toThrow(/MAX_ATTEMPTS/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-acme-ca-'));
    try {
      const file = path.join(dir, 'ca.pem');
      fs.writeFileSync(file, 'not a certificate\n');
      expect(() => acmeSettingsFrom({ ...base, BERTH_ACME_CA_FILE: file })).toThrow(/no PEM certificate/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
