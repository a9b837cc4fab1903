import { describe, expect, it } from '@jest/globals';
import { HEALTH_CHECK_DEFAULTS, HEALTH_CHECK_PATH, healthCheckFaults } from './health-check.js';

describe('health check settings', () => {
  it('accepts origin-form paths with a query and refuses anything that could name another host', () => {
    for (const path of ['/', '/healthz', '/status/ready?full=1', "/a-b_c.d~e!$&'()*+,;=:@%20"])
      expect({ path, ok: HEALTH_CHECK_PATH.test(path) }).toEqual({ path, ok: true });
    for (const path of [
      '',
      'healthz',
      '//evil.example/healthz',
      'http://169.254.169.254/',
      '/health z',
      '/health#frag',
      '/a\r\nHost: evil',
      '/\u00e9',
    ])
      expect({ path, ok: HEALTH_CHECK_PATH.test(path) }).toEqual({ path, ok: false });
  });

  it('names each fault the field bounds cannot see', () => {
    const check = { ...HEALTH_CHECK_DEFAULTS, path: '/healthz' };
    expect(healthCheckFaults(check)).toEqual([]);
    expect(
      healthCheckFaults({
        ...check,
        path: '/' + 'a'.repeat(200),
        statusMin: 400,
        statusMax: 399,
        timeoutMs: 6000,
      }),
    ).toEqual([
      { field: 'path', message: expect.stringContaining('origin-form') },
      { field: 'statusMin', message: 'statusMin must not be above statusMax' },
      { field: 'timeoutMs', message: 'timeoutMs must not be above intervalMs' },
    ]);
  });
});
