import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import jwt from 'jsonwebtoken';
import type { BerthConfig, BerthKeys } from '../config/index.js';
import { ProblemError } from '../errors/index.js';
import { RegistryTokenService } from './registry-token.service.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-registry-token-'));
const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const keyFile = path.join(dir, 'token.key');
fs.writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
const credentials = {
  pull: { username: 'berth-pull', password: 'pull-secret' },
  push: { username: 'berth-push', password: 'push-secret' },
} as const;
const keys = { registryCredentials: credentials } as unknown as BerthKeys;
const configWith = (token: boolean) =>
  ({
    registry: {
      address: '127.0.0.1:5000',
      apiBase: 'http://127.0.0.1:5000',
      ...(token ? { token: { keyFile, issuer: 'berth', service: 'berth-registry' } } : {}),
    },
  }) as unknown as BerthConfig;
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const accessOf = (token: string) =>
  (
    jwt.verify(token, publicKey, { algorithms: ['ES256'], audience: 'berth-registry', issuer: 'berth' }) as {
      access: unknown;
    }
  ).access;
const problemOf = (call: () => unknown): ProblemError => {
  try {
    call();
  } catch (error) {
    if (error instanceof ProblemError) return error;
    throw error;
  }
  throw new Error('expected a problem');
};

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('RegistryTokenService', () => {
  const service = new RegistryTokenService(configWith(true), keys);
  const pushPull = ['repository:berth-app-1:pull,push'];

  it('grants the pull account pull only, even when it asks for push', () => {
    const grant = service.issue({
      authorization: basic('berth-pull', 'pull-secret'),
      service: 'berth-registry',
      scopes: pushPull,
    });
    expect(accessOf(grant.token)).toEqual([{ type: 'repository', name: 'berth-app-1', actions: ['pull'] }]);
    expect(grant).toMatchObject({ access_token: grant.token, expires_in: 300 });
  });

  it('grants the push account pull and push', () => {
    const grant = service.issue({
      authorization: basic('berth-push', 'push-secret'),
      service: 'berth-registry',
      scopes: pushPull,
    });
    expect(accessOf(grant.token)).toEqual([
      { type: 'repository', name: 'berth-app-1', actions: ['pull', 'push'] },
    ]);
  });

  it.each([
    ['no credentials', undefined],
    ['a bearer token', 'Bearer abc'],
    ["the pull account with the push account's password", basic('berth-pull', 'push-secret')],
    ['an unknown user', basic('admin', 'pull-secret')],
    ['a password with a suffix', basic('berth-pull', 'pull-secret-x')],
  ])('answers 401 with a Basic challenge to %s', (_label, authorization) => {
    const problem = problemOf(() =>
      service.issue({ authorization, service: 'berth-registry', scopes: pushPull }),
    );
    expect(problem.status).toBe(401);
    expect(problem.headers['WWW-Authenticate']).toMatch(/^Basic realm=/);
  });

  it('refuses another service and a malformed scope', () => {
    const authorization = basic('berth-push', 'push-secret');
    expect(problemOf(() => service.issue({ authorization, service: 'other', scopes: [] })).code).toBe(
      'registry_service_unknown',
    );
    expect(
      problemOf(() =>
        service.issue({ authorization, service: 'berth-registry', scopes: ['repository:../x:pull'] }),
      ).code,
    ).toBe('registry_scope_invalid');
  });

  it("signs the control plane's own tokens with exactly the access asked for", () => {
    const token = service.authorize([{ repository: 'berth-app-1', actions: ['pull', 'delete'] }])!;
    expect(accessOf(token)).toEqual([
      { type: 'repository', name: 'berth-app-1', actions: ['pull', 'delete'] },
    ]);
    expect(jwt.decode(token)).toMatchObject({ sub: 'berth-control-plane' });
  });

  it('signs nothing and serves no tokens for an anonymous registry', () => {
    const anonymous = new RegistryTokenService(configWith(false), keys);
    expect(anonymous.enabled).toBe(false);
    expect(anonymous.authorize([{ repository: 'a', actions: ['pull'] }])).toBeUndefined();
    expect(
      problemOf(() =>
        anonymous.issue({
          authorization: basic('berth-push', 'push-secret'),
          service: 'berth-registry',
          scopes: [],
        }),
      ).status,
    ).toBe(404);
  });

  it('refuses at start a key file it cannot use, naming the file', () => {
    const bad = path.join(dir, 'bad.key');
    fs.writeFileSync(bad, 'not a key');
    const config = configWith(true);
    config.registry!.token!.keyFile = bad;
    expect(() => new RegistryTokenService(config, keys)).toThrow(`BERTH_REGISTRY_TOKEN_KEY ${bad}`);
  });
});
