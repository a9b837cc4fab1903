import { describe, expect, it } from '@jest/globals';
import { logStreamRoute } from './log-stream.gateway.js';

describe('logStreamRoute', () => {
  it.each([
    ['/v1/apps/web/log-stream?token=x', { kind: 'app', app: 'web' }],
    ['/v1/apps/web/log-stream/', { kind: 'app', app: 'web' }],
    [
      '/v1/apps/web/builds/3fa85f64-5717-4562-b3fc-2c963f66afa6/log-stream',
      {
        kind: 'build',
        app: 'web',
        build: '3fa85f64-5717-4562-b3fc-2c963f66afa6',
      },
    ],
    ['/v1/apps/a%2Fb/log-stream', { kind: 'app', app: 'a/b' }],
  ])('routes %s', (url, route) => {
    expect(logStreamRoute(url)).toEqual(route);
  });

  it.each(['/v1/apps/web/logs', '/v1/apps//log-stream', '/v1/apps/web/log-stream/x', '/socket', undefined])(
    'leaves %s to others',
    (url) => {
      expect(logStreamRoute(url)).toBeUndefined();
    },
  );
});
