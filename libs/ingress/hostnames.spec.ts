import { describe, expect, it } from '@jest/globals';
import { defaultHostname, isRoutableHostname } from './hostnames.js';

const TENANT = '9f8e2a11-0000-4000-8000-000000000000';

describe('defaultHostname', () => {
  it('is <app>-<tenant name>-<tenant id prefix>.<apps domain>', () => {
    expect(
      defaultHostname({ appName: 'hello', tenantId: TENANT, tenantName: 'Acme', appsDomain: 'localhost' }),
    ).toBe('hello-acme-9f8e2a.localhost');
  });

  it('keeps two tenants of the same name apart', () => {
    const other = '0badcafe-0000-4000-8000-000000000000';
    const a = defaultHostname({
      appName: 'x',
      tenantId: TENANT,
      tenantName: 'Acme',
      appsDomain: 'apps.test',
    });
    const b = defaultHostname({
      appName: 'x',
      tenantId: other,
      tenantName: 'ACME!',
      appsDomain: 'apps.test',
    });
    expect(a).not.toBe(b);
  });

  it('makes any tenant name a DNS label of at most 63 characters', () => {
    const hostname = defaultHostname({
      appName: 'a'.repeat(40),
      tenantId: TENANT,
      tenantName: `Ünïcödé — ${'Very Long Company Name '.repeat(5)}`,
      appsDomain: 'localhost',
    });
    expect(isRoutableHostname(hostname)).toBe(true);
    expect(hostname.split('.')[0]!.length).toBeLessThanOrEqual(63);
    const symbols = defaultHostname({
      appName: 'a',
      tenantId: TENANT,
      tenantName: '***',
      appsDomain: 'localhost',
    });
    expect(symbols).toBe('a-9f8e2a.localhost');
  });
});

describe('isRoutableHostname', () => {
  it('takes lower-case DNS names only', () => {
    expect(isRoutableHostname('www.example.com')).toBe(true);
    for (const name of ['Example.com', 'a..b', 'a.b.', '*.example.com', 'a_b.com', 'a'.repeat(64) + '.com']) {
      expect(isRoutableHostname(name)).toBe(false);
    }
  });
});
