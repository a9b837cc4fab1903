import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  OPERATOR,
  inviteUser,
  login,
  signupOwner,
  startTestApi,
  type Session,
  type TestApi,
} from './support/api.js';

interface AuditEventBody {
  seq: string;
  action: string;
  actor: string;
  target: string | null;
  address: string | null;
  tenantId: string | null;
  data: Record<string, unknown>;
}
interface AuditPageBody {
  events: AuditEventBody[];
  nextCursor: string | null;
}

/** The audit log through the API: who did what, from where, with which key; paged, filtered, per tenant. */
describe('audit events', () => {
  let api: TestApi;
  let owner: Session;
  let rival: Session;
  let operator: Session;
  let keySecret: string;
  let keyId: string;
  const ENV_SECRET = 'env-value-that-must-never-show';

  beforeAll(async () => {
    api = await startTestApi();
    owner = await signupOwner(api, 'audit');
    rival = await signupOwner(api, 'audit-rival');
    operator = await login(api, OPERATOR.email, OPERATOR.password);
    // The owner acts from a client behind a loopback proxy: the event keeps the forwarded address.
    await api.http
      .post('/v1/apps')
      .set(owner.auth)
      .set('X-Forwarded-For', '203.0.113.7')
      .send({ name: 'audited' })
      .expect(201);
    const key = await api.http
      .post('/v1/api-keys')
      .set(owner.auth)
      .send({ name: 'ci', scopes: ['apps:read', 'apps:write'] })
      .expect(201);
    keySecret = key.body.secret as string;
    keyId = key.body.id as string;
    await api.http
      .patch('/v1/apps/audited/env')
      .set({ Authorization: `Bearer ${keySecret}` })
      .send({ set: { TOKEN: ENV_SECRET } })
      .expect(202);
    await api.http.post('/v1/apps').set(rival.auth).send({ name: 'rivals' }).expect(201);
  }, 120_000);

  afterAll(async () => {
    await api?.close();
  });

  const page = async (session: Session, query: Record<string, string | number> = {}) =>
    (await api.http.get('/v1/audit-events').set(session.auth).query(query).expect(200)).body as AuditPageBody;

  it('shows the owner who did what, newest first, with the address and the key used', async () => {
    const { events } = await page(owner);
    const actions = events.map((event) => event.action);
    expect(actions.slice(0, 3)).toEqual(['app.env', 'apikey.create', 'app.create']);
    expect(events.find((event) => event.action === 'app.create')).toMatchObject({
      actor: `user:${owner.userId}`,
      target: expect.stringMatching(/^app:[0-9a-f-]{36}$/),
      address: '203.0.113.7',
      tenantId: owner.tenantId,
    });
    expect(events.find((event) => event.action === 'app.env')).toMatchObject({
      actor: `apikey:${keyId}`,
      address: expect.stringMatching(/127\.0\.0\.1|::1/),
    });
    // Never a secret: not the key's, not an env var's value.
    const text = JSON.stringify(events);
    expect(text).not.toContain(keySecret);
    expect(text).not.toContain(ENV_SECRET);
    // Another tenant's events are not there.
    expect(events.every((event) => event.tenantId === owner.tenantId)).toBe(true);
    expect((await page(rival)).events.map((event) => event.action)).not.toContain('apikey.create');
  });

  it('pages by cursor without repeating or skipping an event, and filters by action and actor', async () => {
    const all = (await page(owner)).events.map((event) => event.seq);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const next: AuditPageBody = await page(owner, cursor ? { limit: 1, cursor } : { limit: 1 });
      expect(next.events.length).toBeLessThanOrEqual(1);
      seen.push(...next.events.map((event) => event.seq));
      cursor = next.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all);

    const apps = await page(owner, { action: 'app.' });
    expect(new Set(apps.events.map((event) => event.action))).toEqual(new Set(['app.create', 'app.env']));
    const byKey = await page(owner, { actor: `apikey:${keyId}` });
    expect(byKey.events.map((event) => event.action)).toEqual(['app.env']);
    const future = await page(owner, { since: new Date(Date.now() + 3_600_000).toISOString() });
    expect(future).toEqual({ events: [], nextCursor: null });
  });

  it('refuses a bad filter with problem+json and callers without audit:read', async () => {
    for (const query of [
      { limit: 0 },
      { limit: 501 },
      { cursor: 'abc' },
      { action: "app.%'" },
      { actor: 'root' },
      { since: 'yesterday' },
    ]) {
      const response = await api.http.get('/v1/audit-events').set(owner.auth).query(query);
      expect({ query, status: response.status, type: response.type }).toEqual({
        query,
        status: 400,
        type: 'application/problem+json',
      });
    }
    const member = await inviteUser(api, owner, 'member');
    await api.http.get('/v1/audit-events').set(member.auth).expect(403);
    await api.http
      .get('/v1/audit-events')
      .set({ Authorization: `Bearer ${keySecret}` })
      .expect(403);
    const admin = await inviteUser(api, owner, 'admin');
    expect((await page(admin)).events[0].action).toBe('user.join');
    await api.http.get('/v1/audit-events').expect(401);
  });

  it("lets operators read every tenant's events, one tenant at a time if asked", async () => {
    // Admin routes do not exist for tenants (as every /v1/admin route).
    await api.http.get('/v1/admin/audit-events').set(owner.auth).expect(404);
    const all = (
      await api.http.get('/v1/admin/audit-events').set(operator.auth).query({ limit: 500 }).expect(200)
    ).body as AuditPageBody;
    const tenants = new Set(all.events.map((event) => event.tenantId));
    expect(tenants.has(owner.tenantId) && tenants.has(rival.tenantId)).toBe(true);
    const rivalsOnly = (
      await api.http
        .get('/v1/admin/audit-events')
        .set(operator.auth)
        .query({ tenant: rival.tenantId })
        .expect(200)
    ).body as AuditPageBody;
    expect(rivalsOnly.events.length).toBeGreaterThan(0);
    expect(rivalsOnly.events.every((event) => event.tenantId === rival.tenantId)).toBe(true);
  });
});
