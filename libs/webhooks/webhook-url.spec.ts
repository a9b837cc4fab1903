import { describe, expect, it } from '@jest/globals';
import { webhookUrlProblem } from './webhook-url.js';

describe('webhook URL rules', () => {
  const strict = { allowLoopback: false };
  const tests = { allowLoopback: true };

  it('accepts https', () => {
    expect(webhookUrlProblem('https://hooks.example.com/berth?x=1', strict)).toBeNull();
  });

  it('refuses plain http, and other schemes', () => {
    expect(webhookUrlProblem('http://hooks.example.com/', strict)).toBe('url must be https');
    expect(webhookUrlProblem('ftp://hooks.example.com/', strict)).toBe('url must be https');
    expect(webhookUrlProblem('file:///etc/passwd', tests)).toBe('url must be https');
  });

  it('allows http to loopback only when tests allow it', () => {
    expect(webhookUrlProblem('http://127.0.0.1:8080/hook', strict)).toBe('url must be https');
    expect(webhookUrlProblem('http://127.0.0.1:8080/hook', tests)).toBeNull();
    expect(webhookUrlProblem('http://[::1]:8080/hook', tests)).toBeNull();
    expect(webhookUrlProblem('http://10.0.0.1/hook', tests)).toBe('url must be https');
  });

  it('refuses user:password in the URL (attack: credentials leaking into logs and views)', () => {
    expect(webhookUrlProblem('https://user:pw@hooks.example.com/', strict)).toContain('user name');
  });

  it('refuses overlong URLs and non-URLs', () => {
    expect(webhookUrlProblem(`https://example.com/${'a'.repeat(2000)}`, strict)).toContain('longer');
    expect(webhookUrlProblem('not a url', strict)).toBe('url is not a URL');
  });
});
