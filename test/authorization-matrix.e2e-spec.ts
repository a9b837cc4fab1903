import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  OPERATOR,
  inviteUser,
  login,
  signupOwner,
  startTestApi,
  uniqueEmail,
  type Session,
  type TestApi,
} from './support/api.js';

type Caller = 'anonymous' | 'owner' | 'admin' | 'member' | 'appsReadKey' | 'operator';

interface RouteCase {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  body?: () => object;
  expect: Record<Caller, number>;
}

describe('role x route matrix', () => {
  let api: TestApi;
  const callers = {} as Record<Caller, Record<string, string>>;

  beforeAll(async () => {
    api = await startTestApi();
    const owner = await signupOwner(api);
    const admin = await inviteUser(api, owner, 'admin');
    const member = await inviteUser(api, owner, 'member');
    const key = await api.http
      .post('/v1/api-keys')
      .set(owner.auth)
      .send({ name: 'ro', scopes: ['apps:read'] })
      .expect(201);
    const operator = await login(api, OPERATOR.email, OPERATOR.password);
    // Room for the apps the matrix creates (the free plan allows two).
    await api.http.put('/v1/tenant/plan').set(owner.auth).send({ planId: 'hobby' }).expect(200);
    callers.anonymous = {};
    callers.owner = owner.auth;
    callers.admin = admin.auth;
    callers.member = member.auth;
    callers.appsReadKey = { Authorization: `Bearer ${key.body.secret}` };
    callers.operator = operator.auth;
  });
  afterAll(async () => {
    await api.close();
  });

  let appCounter = 0;
  const routes: RouteCase[] = [
    {
      method: 'post',
      path: '/v1/apps',
      body: () => ({ name: `matrix-${++appCounter}` }),
      expect: { anonymous: 401, owner: 201, admin: 201, member: 201, appsReadKey: 403, operator: 201 },
    },
    {
      method: 'get',
      path: '/v1/apps',
      expect: { anonymous: 401, owner: 200, admin: 200, member: 200, appsReadKey: 200, operator: 200 },
    },
    {
      method: 'get',
      path: '/v1/tenant/quota',
      expect: { anonymous: 401, owner: 200, admin: 200, member: 200, appsReadKey: 200, operator: 200 },
    },
    {
      method: 'get',
      path: '/v1/me',
      expect: { anonymous: 401, owner: 200, admin: 200, member: 200, appsReadKey: 200, operator: 200 },
    },
    {
      method: 'get',
      path: '/v1/users',
      expect: { anonymous: 401, owner: 200, admin: 200, member: 403, appsReadKey: 403, operator: 200 },
    },
    {
      method: 'post',
      path: '/v1/invitations',
      body: () => ({ email: uniqueEmail('matrix'), role: 'member' }),
      expect: { anonymous: 401, owner: 201, admin: 201, member: 403, appsReadKey: 403, operator: 201 },
    },
    {
      method: 'get',
      path: '/v1/api-keys',
      expect: { anonymous: 401, owner: 200, admin: 200, member: 403, appsReadKey: 403, operator: 200 },
    },
    {
      method: 'post',
      path: '/v1/api-keys',
      body: () => ({ name: 'matrix', scopes: ['apps:read'] }),
      expect: { anonymous: 401, owner: 201, admin: 201, member: 403, appsReadKey: 403, operator: 201 },
    },
    {
      method: 'put',
      path: '/v1/tenant/plan',
      body: () => ({ planId: 'hobby' }),
      expect: { anonymous: 401, owner: 200, admin: 403, member: 403, appsReadKey: 403, operator: 200 },
    },
    {
      method: 'get',
      path: '/v1/plans',
      expect: { anonymous: 200, owner: 200, admin: 200, member: 200, appsReadKey: 200, operator: 200 },
    },
    {
      method: 'get',
      path: '/v1/audit-events',
      expect: { anonymous: 401, owner: 200, admin: 200, member: 403, appsReadKey: 403, operator: 200 },
    },
    {
      method: 'get',
      path: '/v1/webhooks',
      expect: { anonymous: 401, owner: 200, admin: 200, member: 403, appsReadKey: 403, operator: 200 },
    },
    {
      method: 'post',
      path: '/v1/webhooks',
      body: () => ({ url: 'https://hooks.example.test/matrix', events: ['build.'] }),
      expect: { anonymous: 401, owner: 201, admin: 201, member: 403, appsReadKey: 403, operator: 201 },
    },
    // Admin routes are invisible (404) to tenants, so their existence cannot be probed.
    {
      method: 'get',
      path: '/v1/admin/metrics',
      expect: { anonymous: 401, owner: 404, admin: 404, member: 404, appsReadKey: 404, operator: 200 },
    },
    {
      method: 'get',
      path: '/v1/admin/audit-events',
      expect: { anonymous: 401, owner: 404, admin: 404, member: 404, appsReadKey: 404, operator: 200 },
    },
    {
      method: 'get',
      path: '/v1/admin/plans',
      expect: { anonymous: 401, owner: 404, admin: 404, member: 404, appsReadKey: 404, operator: 200 },
    },
    {
      method: 'post',
      path: '/v1/admin/api-keys',
      body: () => ({ name: 'billing', scopes: ['usage:read'] }),
      expect: { anonymous: 401, owner: 404, admin: 404, member: 404, appsReadKey: 404, operator: 201 },
    },
  ];

  for (const route of routes) {
    it(`${route.method.toUpperCase()} ${route.path}`, async () => {
      const seen = {} as Record<Caller, number>;
      for (const caller of Object.keys(route.expect) as Caller[]) {
        let req = api.http[route.method](route.path).set(callers[caller]);
        if (route.body) req = req.send(route.body());
        const res = await req;
        seen[caller] = res.status;
        if (res.status >= 400) expect(res.headers['content-type']).toContain('application/problem+json');
      }
      expect(seen).toEqual(route.expect);
    });
  }
});

describe('cross-tenant matrix: another tenant’s resource is 404, never 403', () => {
  let api: TestApi;
  let a: Session;
  let aMember: Session;
  let b: Session;
  let aKeyId: string;

  beforeAll(async () => {
    api = await startTestApi();
    a = await signupOwner(api, 'tenant-a');
    aMember = await inviteUser(api, a, 'member');
    b = await signupOwner(api, 'tenant-b');
    await api.http.post('/v1/apps').set(a.auth).send({ name: 'private-app' }).expect(201);
    aKeyId = (
      await api.http
        .post('/v1/api-keys')
        .set(a.auth)
        .send({ name: 'a', scopes: ['apps:read'] })
        .expect(201)
    ).body.id;
  });
  afterAll(async () => {
    await api.close();
  });

  it.each([
    ['PATCH a user', () => api.http.patch(`/v1/users/${aMember.userId}`).set(b.auth).send({ role: 'admin' })],
    ['DELETE a user', () => api.http.delete(`/v1/users/${aMember.userId}`).set(b.auth)],
    ['DELETE an API key', () => api.http.delete(`/v1/api-keys/${aKeyId}`).set(b.auth)],
    ['GET an app', () => api.http.get('/v1/apps/private-app').set(b.auth)],
    ['scale an app', () => api.http.patch('/v1/apps/private-app').set(b.auth).send({ replicas: 2 })],
    ['stop an app', () => api.http.post('/v1/apps/private-app/stop').set(b.auth)],
    ['DELETE an app', () => api.http.delete('/v1/apps/private-app').set(b.auth)],
    ['read env of an app', () => api.http.get('/v1/apps/private-app/env').set(b.auth)],
    [
      'replace env of an app',
      () =>
        api.http
          .put('/v1/apps/private-app/env')
          .set(b.auth)
          .send({ vars: { A: 'b' } }),
    ],
    [
      'change some env of an app',
      () =>
        api.http
          .patch('/v1/apps/private-app/env')
          .set(b.auth)
          .send({ set: { A: 'b' } }),
    ],
    ['list builds of an app', () => api.http.get('/v1/apps/private-app/builds').set(b.auth)],
    [
      'upload to an app',
      () =>
        api.http
          .post('/v1/apps/private-app/builds')
          .set(b.auth)
          .set('Content-Type', 'application/gzip')
          .send(Buffer.from([0x1f, 0x8b])),
    ],
    ['list containers of an app', () => api.http.get('/v1/apps/private-app/containers').set(b.auth)],
    ['list releases of an app', () => api.http.get('/v1/apps/private-app/releases').set(b.auth)],
  ])('%s of tenant A as tenant B', async (_name, call) => {
    const res = await call();
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('not_found');
    // …and the resource is untouched.
    const users = await api.http.get('/v1/users').set(a.auth).expect(200);
    expect(users.body.map((u: { id: string }) => u.id)).toContain(aMember.userId);
    const app = await api.http.get('/v1/apps/private-app').set(a.auth).expect(200);
    expect(app.body).toMatchObject({ replicas: 1, desiredState: 'running' });
    const keys = await api.http.get('/v1/api-keys').set(a.auth).expect(200);
    expect(keys.body.find((k: { id: string }) => k.id === aKeyId).revokedAt).toBeNull();
  });

  it('lists only the caller’s own tenant', async () => {
    const users = await api.http.get('/v1/users').set(b.auth).expect(200);
    expect(users.body.map((u: { email: string }) => u.email)).toEqual([b.email]);
  });
});
