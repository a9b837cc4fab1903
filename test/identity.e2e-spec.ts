import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import { migratedDataSource } from './support/database.js';
import { PASSWORD, login, signupOwner, startTestApi, uniqueEmail, type TestApi } from './support/api.js';

describe('identity', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  it('signup creates a tenant on the default plan and its owner, with a bcrypt cost of at least 12', async () => {
    const email = uniqueEmail();
    const res = await api.http
      .post('/v1/auth/signup')
      .send({ email, password: PASSWORD, tenantName: 'Acme' })
      .expect(201);
    expect(res.body.user).toMatchObject({ email, role: 'owner' });
    expect(res.body.tenant).toMatchObject({ name: 'Acme', planId: 'free', status: 'active' });
    expect(JSON.stringify(res.body)).not.toContain('password');
    const db = await migratedDataSource();
    const [row] = await db.query('SELECT password_hash FROM users WHERE email = $1', [email]);
    await db.destroy();
    expect(row.password_hash).toMatch(/^\$2[aby]\$(1[2-9]|[2-3]\d)\$/);
  });

  it('refuses a duplicate email with 409 email_taken, whatever its case', async () => {
    const email = uniqueEmail();
    await api.http.post('/v1/auth/signup').send({ email, password: PASSWORD }).expect(201);
    const res = await api.http
      .post('/v1/auth/signup')
      .send({ email: email.toUpperCase(), password: PASSWORD })
      .expect(409);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body).toMatchObject({ status: 409, code: 'email_taken' });
  });

  it('answers a wrong password and an unknown email with the same 401', async () => {
    const owner = await signupOwner(api);
    const wrong = await api.http
      .post('/v1/auth/login')
      .send({ email: owner.email, password: 'not the password!' })
      .expect(401);
    const unknown = await api.http
      .post('/v1/auth/login')
      .send({ email: uniqueEmail(), password: PASSWORD })
      .expect(401);
    expect(wrong.body.code).toBe('unauthorized');
    expect(wrong.body.detail).toBe(unknown.body.detail);
    expect(wrong.body.detail).not.toMatch(/password is wrong|no such user|unknown email/i);
  });

  it('issues access tokens of at most 15 minutes, pinned to HS256 with issuer and audience', async () => {
    const owner = await signupOwner(api);
    const claims = jwt.decode(owner.token, { complete: true }) as jwt.Jwt & { payload: jwt.JwtPayload };
    expect(claims.header.alg).toBe('HS256');
    expect(claims.payload.exp! - claims.payload.iat!).toBeLessThanOrEqual(900);
    expect(claims.payload).toMatchObject({ iss: 'berth', aud: 'berth-api', sub: owner.userId });
    const forged = jwt.sign({ ...(claims.payload as object), op: true }, '', { algorithm: 'none' });
    await api.http.get('/v1/me').set('Authorization', `Bearer ${forged}`).expect(401);
    const otherKey = jwt.sign({ tid: owner.tenantId, role: 'owner', op: true }, crypto.randomBytes(32), {
      algorithm: 'HS256',
      subject: owner.userId,
      issuer: 'berth',
      audience: 'berth-api',
    });
    await api.http.get('/v1/me').set('Authorization', `Bearer ${otherKey}`).expect(401);
  });

  it('rotates refresh tokens and revokes the whole family when an old one is replayed', async () => {
    const owner = await signupOwner(api);
    const first = await api.http
      .post('/v1/auth/refresh')
      .send({ refreshToken: owner.refreshToken })
      .expect(200);
    expect(first.body.refreshToken).not.toBe(owner.refreshToken);
    await api.http.get('/v1/me').set('Authorization', `Bearer ${first.body.accessToken}`).expect(200);
    const replay = await api.http
      .post('/v1/auth/refresh')
      .send({ refreshToken: owner.refreshToken })
      .expect(401);
    expect(replay.body.code).toBe('refresh_token_reused');
    // The thief's replay also kills the token the legitimate client holds.
    await api.http.post('/v1/auth/refresh').send({ refreshToken: first.body.refreshToken }).expect(401);
  });

  it('logout revokes the refresh token', async () => {
    const owner = await signupOwner(api);
    await api.http.post('/v1/auth/logout').send({ refreshToken: owner.refreshToken }).expect(204);
    await api.http.post('/v1/auth/refresh').send({ refreshToken: owner.refreshToken }).expect(401);
  });

  it('slows down a guesser keyed on account and address, never the owner elsewhere, and answers alike', async () => {
    const owner = await signupOwner(api);
    // Documentation addresses (RFC 5737) as clients, through the trusted loopback proxy header.
    const guesser = `192.0.2.${crypto.randomInt(1, 255)}`;
    const ownersAddress = `203.0.113.${crypto.randomInt(1, 255)}`;
    const unknownEmail = uniqueEmail('nobody');
    for (let i = 0; i < 5; i++) {
      await api.http
        .post('/v1/auth/login')
        .set('X-Forwarded-For', guesser)
        .send({ email: owner.email, password: 'wrong password!!' })
        .expect(401);
      await api.http
        .post('/v1/auth/login')
        .set('X-Forwarded-For', guesser)
        .send({ email: unknownEmail, password: 'wrong password!!' })
        .expect(401);
    }
    // Now both pairs wait: even the right password is not heard, and the answer is the wrong password's.
    const waiting = await api.http
      .post('/v1/auth/login')
      .set('X-Forwarded-For', guesser)
      .send({ email: owner.email, password: PASSWORD })
      .expect(401);
    const unknown = await api.http
      .post('/v1/auth/login')
      .set('X-Forwarded-For', guesser)
      .send({ email: unknownEmail, password: PASSWORD })
      .expect(401);
    const wrong = await api.http
      .post('/v1/auth/login')
      .set('X-Forwarded-For', `192.0.2.${(Number(guesser.split('.')[3]) % 254) + 1}`)
      .send({ email: owner.email, password: 'wrong password!!' })
      .expect(401);
    expect(waiting.body).toEqual(unknown.body);
    expect({ ...wrong.body }).toEqual({ ...waiting.body });
    expect(waiting.body.code).toBe('unauthorized');
    expect(Number(waiting.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(unknown.headers['retry-after'])).toBeGreaterThan(0);
    expect(wrong.headers['retry-after']).toBeUndefined();
    // The owner, from their own address, is not held back by the guesser's failures.
    await api.http
      .post('/v1/auth/login')
      .set('X-Forwarded-For', ownersAddress)
      .send({ email: owner.email, password: PASSWORD })
      .expect(200);
  });

  it('API keys: shown once, stored hashed, scoped, last use recorded, revocable', async () => {
    const owner = await signupOwner(api);
    const created = await api.http
      .post('/v1/api-keys')
      .set(owner.auth)
      .send({ name: 'ci', scopes: ['apps:read'] })
      .expect(201);
    const secret: string = created.body.secret;
    expect(secret).toMatch(/^brk_/);
    const listed = await api.http.get('/v1/api-keys').set(owner.auth).expect(200);
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    expect(listed.body[0]).toMatchObject({ name: 'ci', scopes: ['apps:read'], lastUsedAt: null });
    const db = await migratedDataSource();
    const stored = await db.query('SELECT key_hash FROM api_keys WHERE id = $1', [created.body.id]);
    await db.destroy();
    expect(stored[0].key_hash).toBe(crypto.createHash('sha256').update(secret).digest('hex'));

    const keyAuth = { Authorization: `Bearer ${secret}` };
    const me = await api.http.get('/v1/me').set(keyAuth).expect(200);
    expect(me.body).toMatchObject({ kind: 'apikey', permissions: ['apps:read'] });
    await api.http
      .post('/v1/api-keys')
      .set(keyAuth)
      .send({ name: 'escalate', scopes: ['apps:write'] })
      .expect(403);
    const used = await api.http.get('/v1/api-keys').set(owner.auth).expect(200);
    expect(used.body[0].lastUsedAt).not.toBeNull();

    await api.http.delete(`/v1/api-keys/${created.body.id}`).set(owner.auth).expect(204);
    await api.http.get('/v1/me').set(keyAuth).expect(401);
  });

  it('owners and admins invite; only owners grant the owner role; the last owner stays', async () => {
    const owner = await signupOwner(api);
    const adminEmail = uniqueEmail('admin');
    const inv = await api.http
      .post('/v1/invitations')
      .set(owner.auth)
      .send({ email: adminEmail, role: 'admin' })
      .expect(201);
    await api.http
      .post('/v1/auth/accept-invitation')
      .send({ token: inv.body.token, password: PASSWORD })
      .expect(201);
    // An invitation is single use.
    await api.http
      .post('/v1/auth/accept-invitation')
      .send({ token: inv.body.token, password: PASSWORD })
      .expect(404);
    const admin = await login(api, adminEmail);
    expect(admin.tenantId).toBe(owner.tenantId);

    await api.http
      .post('/v1/invitations')
      .set(admin.auth)
      .send({ email: uniqueEmail(), role: 'owner' })
      .expect(403);
    const memberInv = await api.http
      .post('/v1/invitations')
      .set(admin.auth)
      .send({ email: uniqueEmail('member'), role: 'member' })
      .expect(201);
    expect(memberInv.body.token).toMatch(/^inv_/);

    await api.http.patch(`/v1/users/${owner.userId}`).set(admin.auth).send({ role: 'member' }).expect(403);
    const last = await api.http.delete(`/v1/users/${owner.userId}`).set(owner.auth).expect(409);
    expect(last.body.code).toBe('last_owner');
    await api.http.patch(`/v1/users/${admin.userId}`).set(owner.auth).send({ role: 'member' }).expect(200);
    // The demoted admin's existing token now carries member rights only.
    await api.http.get('/v1/users').set(admin.auth).expect(403);
  });

  it('bootstraps the operator from configuration, who manages plans', async () => {
    const operator = await login(api, 'operator@berth.test', 'operator-password-123');
    const me = await api.http.get('/v1/me').set(operator.auth).expect(200);
    expect(me.body.user.operator).toBe(true);
    const id = `team-${Date.now().toString(36)}`;
    const plan = {
      id,
      name: 'Team',
      memoryMb: 384,
      cpuMillis: 750,
      maxApps: 8,
      maxReplicasPerApp: 6,
      maxTotalMemoryMb: 4096,
      loadBalancerAllowed: true,
      maxUploadMb: 30,
      buildTimeoutSeconds: 600,
      concurrentBuilds: 2,
    };
    await api.http.post('/v1/admin/plans').set(operator.auth).send(plan).expect(201);
    await api.http.post('/v1/admin/plans').set(operator.auth).send(plan).expect(409);
    const updated = await api.http
      .patch(`/v1/admin/plans/${id}`)
      .set(operator.auth)
      .send({ memoryMb: 448 })
      .expect(200);
    expect(updated.body.memoryMb).toBe(448);
    let offered = await api.http.get('/v1/plans').expect(200);
    expect(offered.body.map((p: { id: string }) => p.id)).toContain(id);

    const owner = await signupOwner(api);
    const switched = await api.http.put('/v1/tenant/plan').set(owner.auth).send({ planId: id }).expect(200);
    expect(switched.body.planId).toBe(id);

    await api.http.post(`/v1/admin/plans/${id}/retire`).set(operator.auth).expect(200);
    offered = await api.http.get('/v1/plans').expect(200);
    expect(offered.body.map((p: { id: string }) => p.id)).not.toContain(id);
    const other = await signupOwner(api);
    await api.http.put('/v1/tenant/plan').set(other.auth).send({ planId: id }).expect(404);
    // A tenant already on the retired plan keeps it.
    const stillOn = await api.http.get('/v1/me').set(owner.auth).expect(200);
    expect(stillOn.body.tenant.planId).toBe(id);
  });

  it('never writes passwords, tokens or API key secrets into the logs', async () => {
    const owner = await signupOwner(api);
    const key = await api.http
      .post('/v1/api-keys')
      .set(owner.auth)
      .send({ name: 'k', scopes: ['apps:read'] })
      .expect(201);
    await api.http.get('/v1/me').set('Authorization', `Bearer ${key.body.secret}`).expect(200);
    await api.http
      .post('/v1/auth/login')
      .send({ email: owner.email, password: 'a wrong password!' })
      .expect(401);
    const logs = api.logs();
    expect(logs).toContain('request completed');
    for (const secret of [PASSWORD, 'a wrong password!', owner.token, owner.refreshToken, key.body.secret]) {
      expect(logs).not.toContain(secret);
    }
  });
});

describe('login rate limit per address', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ loginRateLimitPerMinute: 3 });
  });
  afterAll(async () => {
    await api.close();
  });

  it('answers 429 problem+json once an address exceeds its login budget', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await api.http
        .post('/v1/auth/login')
        .send({ email: uniqueEmail(), password: 'whatever password' });
      statuses.push(res.status);
      if (res.status === 429) expect(res.body.code).toBe('rate_limited');
    }
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
    expect(statuses.slice(3)).toEqual([429, 429]);
  });
});
