import { describe, expect, it } from '@jest/globals';
import { drainTarget } from './drain-url.js';

describe('drain URL rules', () => {
  const strict = { allowLoopback: false };
  const tests = { allowLoopback: true };

  it('accepts https and syslog+tls host:port', () => {
    expect(drainTarget('https://logs.example.com/ingest?token=x', strict).target?.kind).toBe('https');
    expect(drainTarget('syslog+tls://logs.example.com:6514', strict).target).toMatchObject({
      kind: 'syslog',
      host: 'logs.example.com',
      port: 6514,
    });
    expect(drainTarget('syslog+tls://[2001:db8::1]:6514', strict).target).toMatchObject({
      host: '2001:db8::1',
    });
  });

  it('refuses plain http, plain syslog and other schemes', () => {
    for (const url of ['http://logs.example.com/', 'syslog://logs.example.com:514', 'file:///etc/passwd']) {
      expect(drainTarget(url, tests).problem).toBe('url must be https:// or syslog+tls://host:port');
    }
  });

  it('allows http to loopback only where tests allow it', () => {
    expect(drainTarget('http://127.0.0.1:9999/', tests).target?.kind).toBe('https');
    expect(drainTarget('http://127.0.0.1:9999/', strict).problem).toBeDefined();
  });

  it('refuses credentials in the URL, a syslog URL without a port or with a path', () => {
    expect(drainTarget('https://u:p@logs.example.com/', strict).problem).toMatch(/user name or password/);
    expect(drainTarget('syslog+tls://logs.example.com', strict).problem).toMatch(/needs a port/);
    expect(drainTarget('syslog+tls://logs.example.com:6514/x', strict).problem).toMatch(/host:port only/);
    expect(drainTarget('not a url', strict).problem).toBe('url is not a URL');
    expect(drainTarget(`https://example.com/${'a'.repeat(2000)}`, strict).problem).toMatch(/longer than/);
  });
});
