import { describe, expect, it } from '@jest/globals';
import {
  configHash,
  DEFAULT_LOAD_BALANCER_SETTINGS,
  healthCheckUri,
  idleTimeoutForDrain,
  normalizeLoadBalancerSettings,
  renderHaproxyConfig,
  type HaproxyBackend,
} from './haproxy-config.js';

const settings = {
  algorithm: 'roundrobin' as const,
  healthCheckPath: '/healthz',
  healthCheckIntervalMs: 1000,
};
const backends: HaproxyBackend[] = [
  { name: 'r-b', address: '172.20.0.3', port: 8080 },
  { name: 'r-a', address: '10.0.0.7', port: 49153 },
];
const render = (over: Partial<Parameters<typeof renderHaproxyConfig>[0]> = {}) =>
  renderHaproxyConfig({ settings, backends, listenPort: 8080, ...over });

describe('renderHaproxyConfig', () => {
  it('lists every backend as a checked server, sorted by name, behind one frontend on the listen port', () => {
    const text = render();
    expect(text).toMatch(/^frontend app\n {2}bind :8080$/m);
    const servers = text.split('\n').filter((l) => l.trim().startsWith('server '));
    expect(servers).toEqual(['  server r-a 10.0.0.7:49153', '  server r-b 172.20.0.3:8080']);
    expect(text).toContain(
      '  default-server check inter 1000ms fall 2 rise 1 observe layer4 error-limit 2 on-error mark-down',
    );
  });

  it('takes the algorithm and the health check from the settings', () => {
    const text = render({
      settings: { algorithm: 'leastconn', healthCheckPath: '/ready', healthCheckIntervalMs: 2500 },
    });
    expect(text).toContain('  balance leastconn\n');
    expect(text).toContain('  http-check send meth GET uri /ready\n');
    expect(text).toContain('inter 2500ms');
    expect(text).toContain('  timeout check 2000ms\n');
  });

  it('retries refused and unanswered requests on another replica, but never replays a POST', () => {
    const text = render();
    expect(text).toContain('  retry-on conn-failure empty-response junk-response\n');
    expect(text).toContain('  option redispatch 1\n');
    expect(text).toContain('  http-request disable-l7-retry if !METH_GET !METH_HEAD\n');
  });

  it('makes an old worker close each keep-alive connection after its next response instead of dropping it', () => {
    const text = render();
    expect(text).toContain('  close-spread-time infinite\n');
    expect(text).toContain('  http-after-response set-header Connection close if { stopping }\n');
    expect(text).toContain('  hard-stop-after 30s\n');
  });

  it('keeps idle client connections below the drain delay', () => {
    expect(render()).toContain('  timeout http-keep-alive 5000ms\n');
    expect(render({ keepAliveTimeoutMs: idleTimeoutForDrain(3000) })).toContain(
      '  timeout http-keep-alive 2000ms\n',
    );
    expect(idleTimeoutForDrain(0)).toBe(1000);
    expect(idleTimeoutForDrain(60_000)).toBe(5000);
    expect(() => render({ keepAliveTimeoutMs: 0 })).toThrow(RangeError);
  });

  it('is deterministic: the same backends in another order give the same text and hash', () => {
    const a = render();
    const b = render({ backends: [...backends].reverse() });
    expect(b).toBe(a);
    expect(configHash(b)).toBe(configHash(a));
    expect(configHash(a)).toMatch(/^[0-9a-f]{16}$/);
  });

  it('changes its hash when a backend or a setting changes', () => {
    const base = configHash(render());
    expect(configHash(render({ backends: backends.slice(1) }))).not.toBe(base);
    expect(configHash(render({ settings: { ...settings, algorithm: 'leastconn' } }))).not.toBe(base);
    expect(configHash(render({ settings: { ...settings, healthCheckIntervalMs: 1001 } }))).not.toBe(base);
  });

  it('renders a valid backend without servers (the balancer answers 503 until replicas run)', () => {
    const text = render({ backends: [] });
    expect(text).not.toMatch(/^\s*server /m);
    expect(text).toMatch(/backend replicas\n/);
  });

  it('writes IPv6 addresses in brackets', () => {
    expect(render({ backends: [{ name: 'r-6', address: 'fd00::5', port: 8080 }] })).toContain(
      '  server r-6 [fd00::5]:8080',
    );
  });

  it.each([
    ['a host name instead of an IP (could carry syntax)', { name: 'r-x', address: 'evil host', port: 80 }],
    ['a server name with a space (injects a keyword)', { name: 'r-x backup', address: '10.0.0.1', port: 80 }],
    [
      'a server name with a newline (injects a line)',
      { name: 'r-x\n  option x', address: '10.0.0.1', port: 1 },
    ],
    ['port 0', { name: 'r-x', address: '10.0.0.1', port: 0 }],
  ])('refuses %s', (_what, backend) => {
    expect(() => render({ backends: [backend] })).toThrow(RangeError);
  });

  it('refuses the same server twice, an unknown algorithm and an out-of-range interval', () => {
    expect(() => render({ backends: [backends[0]!, backends[0]!] })).toThrow(/twice/);
    expect(() =>
      render({ settings: { ...settings, algorithm: 'source' as unknown as 'roundrobin' } }),
    ).toThrow(RangeError);
    expect(() => render({ settings: { ...settings, healthCheckIntervalMs: 50 } })).toThrow(RangeError);
    expect(() => render({ settings: { ...settings, healthCheckIntervalMs: 1.5 } })).toThrow(RangeError);
  });
});

describe('healthCheckUri', () => {
  it('keeps an ordinary path as it is', () => {
    expect(healthCheckUri('/api/v1/health-check_ok.json')).toBe('/api/v1/health-check_ok.json');
    expect(healthCheckUri('/a;b=c,d:e@f+g!h*~')).toBe('/a;b=c,d:e@f+g!h*~');
  });

  it.each([
    ["a quote that would end HAProxy's quoting", "/x'y", '/x%27y'],
    ['a space that would start another argument', '/x y', '/x%20y'],
    ['a # that would start a comment', '/x#y', '/x%23y'],
    ['a backslash escape', '/x\\ny', '/x%5Cny'],
    ['an environment variable', '/$HOME', '/%24HOME'],
    ['parentheses', '/(x)', '/%28x%29'],
    ['a newline', '/x\ny', '/x%0Ay'],
  ])('encodes %s', (_what, path, uri) => {
    expect(healthCheckUri(path)).toBe(uri);
  });

  it('refuses a relative or overlong path', () => {
    expect(() => healthCheckUri('healthz')).toThrow(RangeError);
    expect(() => healthCheckUri(`/${'a'.repeat(200)}`)).toThrow(RangeError);
  });
});

describe('normalizeLoadBalancerSettings', () => {
  it('fills what the API left out with the defaults', () => {
    expect(normalizeLoadBalancerSettings({})).toEqual(DEFAULT_LOAD_BALANCER_SETTINGS);
    expect(normalizeLoadBalancerSettings(null)).toEqual(DEFAULT_LOAD_BALANCER_SETTINGS);
    expect(normalizeLoadBalancerSettings({ algorithm: 'leastconn' })).toEqual({
      ...DEFAULT_LOAD_BALANCER_SETTINGS,
      algorithm: 'leastconn',
    });
  });
});
