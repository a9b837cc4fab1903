import { describe, expect, it } from '@jest/globals';
import { renderRouterConfig, type RouterConfigInput, type RouterRoute } from './router-config.js';

const route = (overrides: Partial<RouterRoute> = {}): RouterRoute => ({
  appId: 'app-1',
  hostnames: ['hello-acme-9f8e2a.localhost'],
  serving: true,
  servers: [{ name: 'r-1', address: '127.0.0.1', port: 32768 }],
  ...overrides,
});
const input = (routes: RouterRoute[], overrides: Partial<RouterConfigInput> = {}): RouterConfigInput => ({
  listenAddress: '127.0.0.1',
  httpPort: 18080,
  keepAliveTimeoutMs: 2000,
  checkIntervalMs: 1000,
  routes,
  ...overrides,
});

describe('renderRouterConfig', () => {
  it('routes each hostname of a serving app to its own backend of its servers', () => {
    const text = renderRouterConfig(input([route()]));
    expect(text).toContain('  bind 127.0.0.1:18080');
    expect(text).toContain('  use_backend app-app-1 if { var(txn.host) -m str hello-acme-9f8e2a.localhost }');
    expect(text).toContain('backend app-app-1');
    expect(text).toContain('  server r-1 127.0.0.1:32768');
    expect(text).toContain('  default_backend unknown-host');
  });

  it('gives every request an X-Request-Id made by the router, to the app and back to the client', () => {
    const text = renderRouterConfig(input([route()]));
    expect(text).toContain('  http-request set-header X-Request-Id %[unique-id]');
    expect(text).toContain('  http-after-response set-header X-Request-Id %[unique-id]');
  });

  it('sends a stopped app to the 503 page and gives it no backend', () => {
    const text = renderRouterConfig(input([route({ serving: false })]));
    expect(text).toContain('use_backend app-stopped if { var(txn.host) -m str hello-acme-9f8e2a.localhost }');
    expect(text).not.toContain('backend app-app-1');
    expect(text).toMatch(/backend app-stopped\n {2}http-request return status 503/);
  });

  it("answers 503 with the page while none of an app's servers is up, without a rule on nbsrv", () => {
    const text = renderRouterConfig(input([route({ servers: [] })]));
    expect(text).toMatch(/\n {2}http-error status 503 content-type "text\/html" string "<!doctype html>/);
    // A stopping worker counts no usable server: such a rule would turn its last requests into 503s.
    expect(text).not.toContain('nbsrv');
  });

  it('serves HTTPS with one certificate file per hostname, ALPN h2, and redirects those hostnames from HTTP', () => {
    const text = renderRouterConfig(
      input([route({ hostnames: ['www.example.test', 'hello-acme-9f8e2a.localhost'] })], {
        https: { port: 18443, hostnames: ['www.example.test'], certificatesHash: 'abcdef0123456789' },
      }),
    );
    expect(text.split('\n')[0]).toBe('# certificates abcdef0123456789');
    expect(text).toContain('  bind 127.0.0.1:18443 ssl crt /tmp/cert-www.example.test.pem alpn h2,http/1.1');
    expect(text).toContain(
      '  http-request redirect scheme https code 308 if { req.hdr(host),field(1,:),lower -m str www.example.test }',
    );
    expect(text).toMatch(/frontend https\n(.*\n)* {2}http-request set-header X-Forwarded-Proto https/);
  });

  it('has no HTTPS listener without a certificate (HAProxy refuses an ssl bind without one)', () => {
    const text = renderRouterConfig(
      input([route()], { https: { port: 18443, hostnames: [], certificatesHash: 'abcdef0123456789' } }),
    );
    expect(text).not.toContain('frontend https');
    expect(text).not.toContain('redirect');
  });

  it('gives the same text for the same table in any order', () => {
    const a = route({ appId: 'a', hostnames: ['b.localhost', 'a.localhost'] });
    const b = route({
      appId: 'b',
      hostnames: ['c.localhost'],
      servers: [
        { name: 'r-2', address: '10.1.0.2', port: 2 },
        { name: 'r-1', address: '10.1.0.1', port: 1 },
      ],
    });
    const reversed = { ...b, servers: [...b.servers].reverse() };
    expect(renderRouterConfig(input([a, b]))).toBe(renderRouterConfig(input([reversed, a])));
  });

  it('refuses a Host value that would inject configuration', () => {
    for (const hostname of ['a.localhost }', 'a.localhost\nbackend x', 'A B', '"x"', '-a.localhost', '']) {
      expect(() => renderRouterConfig(input([route({ hostnames: [hostname] })]))).toThrow(RangeError);
    }
  });

  it('refuses a hostname routed to two apps (a custom domain claimed twice never reaches the router)', () => {
    const twice = [route({ appId: 'a' }), route({ appId: 'b' })];
    expect(() => renderRouterConfig(input(twice))).toThrow(/routed twice/);
  });

  it('refuses server addresses that are not IPs and bad ports', () => {
    const bad = (server: { name: string; address: string; port: number }) => () =>
      renderRouterConfig(input([route({ servers: [server] })]));
    expect(bad({ name: 'r-1', address: 'evil.example', port: 1 })).toThrow(RangeError);
    expect(bad({ name: 'r-1', address: '127.0.0.1', port: 0 })).toThrow(RangeError);
    expect(bad({ name: 'r 1', address: '127.0.0.1', port: 1 })).toThrow(RangeError);
    expect(() => renderRouterConfig(input([], { listenAddress: '0.0.0.0 ssl' }))).toThrow(RangeError);
  });
});

describe('acmeChallengeRules', () => {
  const token = 'LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0';
  const keyAuthorization = `${token}.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI`;

  it('answers the key authorization for the token and hostname, before the HTTPS redirect', () => {
    const text = renderRouterConfig(
      input([route({ hostnames: ['www.example.test'] })], {
        acmeChallenges: [{ hostname: 'www.example.test', token, keyAuthorization }],
        https: { port: 18443, hostnames: ['www.example.test'], certificatesHash: 'ab'.repeat(16) },
      }),
    );
    const rule =
      `  http-request return status 200 content-type "text/plain" string "${keyAuthorization}"` +
      ` if { path /.well-known/acme-challenge/${token} } { req.hdr(host),field(1,:),lower -m str www.example.test }`;
    expect(text).toContain(rule);
    expect(text.indexOf(rule)).toBeLessThan(text.indexOf('http-request redirect scheme https'));
    // Only on the HTTP port: HTTP-01 is plain HTTP.
    expect(text.split(rule)).toHaveLength(2);
  });

  it('refuses a token, key authorization or hostname that could inject configuration', () => {
    const hostile = [
      { hostname: 'www.example.test', token: 'abc" } deny', keyAuthorization: 'x' },
      { hostname: 'www.example.test', token, keyAuthorization: `${token}.abc"\n  bind :1` },
      { hostname: 'www.example.test', token, keyAuthorization: `other${token}.9jg46WB3rR_AHD-EBXdN7c` },
      { hostname: 'www.example.test } or { always_true', token, keyAuthorization },
    ];
    for (const challenge of hostile) {
      expect(() => renderRouterConfig(input([route()], { acmeChallenges: [challenge] }))).toThrow(RangeError);
    }
  });

  it('renders nothing without challenges', () => {
    expect(renderRouterConfig(input([route()]))).not.toContain('acme-challenge');
  });
});
