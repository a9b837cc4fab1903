import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import WebSocket from 'ws';
import { LogSessionTokens } from '../../libs/logs/index.js';
import { signupOwner, startTestApi, type Session, type TestApi } from '../support/api.js';
import { StreamClient, wsUrl } from './stream-client.js';

/**
 * The log streams' protocol without containers: log sessions, the three ways in (session token, access
 * JWT, API key), every refusal and its close code, the per-tenant limit, heartbeats, app deletion and
 * shutdown; and the REST endpoint's filter checks.
 */
describe('log streams: sessions, auth, limits, heartbeats', () => {
  let api: TestApi;
  let owner: Session;
  let other: Session;
  const usedTokens: string[] = [];

  const streamPath = (app: string) => `/v1/apps/${app}/log-stream`;
  const openWithToken = (app: string, token: string, extra = '') =>
    StreamClient.open(`${wsUrl(api.url, streamPath(app))}?token=${encodeURIComponent(token)}${extra}`);
  const openWithBearer = (app: string, bearer: string, extra = '') =>
    StreamClient.open(`${wsUrl(api.url, streamPath(app))}${extra}`, {
      headers: { Authorization: `Bearer ${bearer}` },
    });

  async function session(
    who: Session,
    app: string,
  ): Promise<{ token: string; url: string; expiresAt: string }> {
    const res = await api.http.post(`/v1/apps/${app}/log-sessions`).set(who.auth).expect(201);
    usedTokens.push(res.body.token);
    return res.body;
  }

  async function apiKey(who: Session, scopes: string[]): Promise<string> {
    const res = await api.http
      .post('/v1/api-keys')
      .set(who.auth)
      .send({ name: `k-${scopes.join('-')}`, scopes })
      .expect(201);
    return res.body.secret;
  }

  function expectNoData(client: StreamClient): void {
    expect(client.messages.filter((m) => m.type !== 'error')).toEqual([]);
  }

  beforeAll(async () => {
    api = await startTestApi({ logStreamsPerTenant: 2, logStreamPingIntervalMs: 300 });
    owner = await signupOwner(api, 'logs-owner');
    other = await signupOwner(api, 'logs-other');
    for (const name of ['web', 'second']) {
      await api.http.post('/v1/apps').set(owner.auth).send({ name }).expect(201);
    }
    await api.http.post('/v1/apps').set(other.auth).send({ name: 'theirs' }).expect(201);
  });

  afterAll(async () => {
    await api?.close();
  });

  it('opens a log session: a short-lived token and the WebSocket URL of this app only', async () => {
    const before = Date.now();
    const created = await session(owner, 'web');
    expect(created.url).toBe(`${wsUrl(api.url, streamPath('web'))}?token=${created.token}`);
    const ttl = Date.parse(created.expiresAt) - before;
    expect(ttl).toBeGreaterThan(290_000);
    expect(ttl).toBeLessThanOrEqual(301_000);

    await api.http.post('/v1/apps/web/log-sessions').set(other.auth).expect(404);
    await api.http.post('/v1/apps/web/log-sessions').expect(401);
    const readOnly = await apiKey(owner, ['apps:read']);
    await api.http.post('/v1/apps/web/log-sessions').set('Authorization', `Bearer ${readOnly}`).expect(403);
    const logsKey = await apiKey(owner, ['logs:read']);
    await api.http.post('/v1/apps/web/log-sessions').set('Authorization', `Bearer ${logsKey}`).expect(201);
  });

  it('streams with a session token, an access JWT in the Authorization header, or an API key with logs:read', async () => {
    const { token } = await session(owner, 'web');
    const byToken = openWithToken('web', token);
    expect(await byToken.connected()).toMatchObject({ type: 'connected', app: 'web', resumedFrom: null });
    await byToken.close();

    const byJwt = openWithBearer('web', owner.token);
    expect(await byJwt.connected()).toMatchObject({ app: 'web' });
    await byJwt.close();

    const key = await apiKey(owner, ['logs:read']);
    const byKey = openWithBearer('web', key);
    expect(await byKey.connected()).toMatchObject({ app: 'web' });
    await byKey.close();
  });

  it('refuses a stream without valid credentials with 4401, sending no data', async () => {
    const cases: [string, StreamClient][] = [
      ['no credentials', StreamClient.open(wsUrl(api.url, streamPath('web')))],
      ['a forged token', openWithToken('web', 'eyJhbGciOiJIUzI1NiJ9.e30.forged')],
      ['an access JWT as the token', openWithToken('web', owner.token)],
      ['a bad bearer', openWithBearer('web', 'brk_not-a-key')],
    ];
    const tokens = api.app.get(LogSessionTokens);
    const app = await api.http.get('/v1/apps/web').set(owner.auth).expect(200);
    const expired = tokens.issue({ tenantId: owner.tenantId, appId: app.body.id, actor: 'test' }, -5).token;
    cases.push(['an expired token', openWithToken('web', expired)]);
    for (const [what, client] of cases) {
      const closed = await client.closed;
      expect({ what, ...closed }).toEqual({ what, code: 4401, reason: 'unauthorized' });
      expectNoData(client);
    }
  });

  it("refuses another tenant: its token on this app's stream (4401), its credentials on this app (4404)", async () => {
    const theirs = await session(other, 'theirs');
    const tokenOnMyApp = openWithToken('web', theirs.token);
    expect(await tokenOnMyApp.closed).toEqual({ code: 4401, reason: 'unauthorized' });
    expectNoData(tokenOnMyApp);

    const bearerOnMyApp = openWithBearer('web', other.token);
    expect(await bearerOnMyApp.closed).toEqual({ code: 4404, reason: 'not_found' });
    expectNoData(bearerOnMyApp);

    // A token opens the app it was made for, not another app of the same tenant.
    const mine = await session(owner, 'web');
    const onSecond = openWithToken('second', mine.token);
    expect(await onSecond.closed).toEqual({ code: 4401, reason: 'unauthorized' });
    expectNoData(onSecond);

    // Their own token still opens their own app.
    const own = openWithToken('theirs', theirs.token);
    await own.connected();
    await own.close();
  });

  it('needs logs:read (4403)', async () => {
    const readOnly = await apiKey(owner, ['apps:read']);
    const client = openWithBearer('web', readOnly);
    expect(await client.closed).toEqual({ code: 4403, reason: 'forbidden' });
    expectNoData(client);
  });

  it('limits the open streams of a tenant (4429) and frees a slot when a stream closes', async () => {
    const { token } = await session(owner, 'web');
    const first = openWithToken('web', token);
    const second = openWithToken('web', token);
    await first.connected();
    await second.connected();
    const third = openWithBearer('second', owner.token);
    expect(await third.closed).toEqual({ code: 4429, reason: 'stream_limit_reached' });
    expectNoData(third);

    const otherTenant = openWithBearer('theirs', other.token);
    await otherTenant.connected();

    await first.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const again = openWithToken('web', token);
    await again.connected();
    await Promise.all([second.close(), again.close(), otherTenant.close()]);
  });

  it('refuses a malformed cursor or tail with 4400', async () => {
    const { token } = await session(owner, 'web');
    const badCursor = openWithToken('web', token, '&cursor=not-a-cursor');
    expect(await badCursor.closed).toEqual({ code: 4400, reason: 'invalid_cursor' });
    const badTail = openWithToken('web', token, '&tail=-3');
    expect(await badTail.closed).toEqual({ code: 4400, reason: 'invalid_tail' });
  });

  it('terminates a peer that stops answering pings, and keeps one that answers', async () => {
    const { token } = await session(owner, 'web');
    const url = `${wsUrl(api.url, streamPath('web'))}?token=${token}`;
    const dead = StreamClient.open(url, { autoPong: false });
    const alive = StreamClient.open(url);
    await Promise.all([dead.connected(), alive.connected()]);
    const started = Date.now();
    const closed = await dead.closed;
    expect(closed.code).toBe(1006); // terminated: no close frame
    expect(Date.now() - started).toBeLessThan(3_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(alive.ws.readyState).toBe(WebSocket.OPEN);
    await alive.close();
  });

  it('closes the streams of a deleted app with 4404 and refuses new ones', async () => {
    const { token } = await session(owner, 'second');
    const client = openWithToken('second', token);
    await client.connected();
    await api.http.delete('/v1/apps/second').set(owner.auth).expect(202);
    expect(await client.closed).toEqual({ code: 4404, reason: 'app_deleted' });
    const again = openWithToken('second', token);
    expect(await again.closed).toEqual({ code: 4404, reason: 'not_found' });
  });

  it("refuses the build stream of a build that is not the app's (4404)", async () => {
    for (const id of [crypto.randomUUID(), 'not-a-uuid']) {
      const client = StreamClient.open(wsUrl(api.url, `/v1/apps/web/builds/${id}/log-stream`), {
        headers: { Authorization: `Bearer ${owner.token}` },
      });
      expect(await client.closed).toEqual({ code: 4404, reason: 'not_found' });
    }
    const { token } = await session(other, 'theirs');
    const client = StreamClient.open(
      `${wsUrl(api.url, `/v1/apps/web/builds/${crypto.randomUUID()}/log-stream`)}?token=${token}`,
    );
    expect(await client.closed).toEqual({ code: 4401, reason: 'unauthorized' });
  });

  it('answers an upgrade to any other path with 404', async () => {
    const ws = new WebSocket(wsUrl(api.url, '/v1/apps/web/not-a-stream'));
    const error = await new Promise<Error>((resolve) => ws.on('error', resolve));
    expect(error.message).toMatch(/404/);
  });

  it('REST: an app without replicas has an empty log; another tenant gets 404', async () => {
    const json = await api.http.get('/v1/apps/web/logs').set(owner.auth).expect(200);
    expect(json.body).toEqual({ lines: [], nextCursor: null, hasMore: false, unavailableReplicas: [] });
    const ndjson = await api.http
      .get('/v1/apps/web/logs')
      .set(owner.auth)
      .set('Accept', 'application/x-ndjson')
      .expect(200);
    expect(ndjson.headers['content-type']).toMatch(/application\/x-ndjson/);
    expect(ndjson.text).toBe('');
    await api.http.get('/v1/apps/web/logs').set(other.auth).expect(404);
    await api.http.get('/v1/apps/web/logs').expect(401);
  });

  it.each([
    ['since=yesterday', 'invalid_timestamp'],
    ['until=2026-13-01T00:00:00Z', 'invalid_timestamp'],
    ['since=2026-11-23T15:00:00Z&until=2026-11-23T14:00:00Z', 'invalid_time_range'],
    ['after=garbage', 'invalid_cursor'],
    ['stream=stdin', 'validation_failed'],
    ['tail=-1', 'validation_failed'],
    ['tail=20000', 'validation_failed'],
    ['tail=abc', 'validation_failed'],
    ['replica=not-a-uuid', 'validation_failed'],
    ['limit=0', 'validation_failed'],
    ['follow=yes', 'validation_failed'],
  ])('REST: refuses %s with 400 %s', async (query, code) => {
    const res = await api.http.get(`/v1/apps/web/logs?${query}`).set(owner.auth);
    expect({ status: res.status, code: res.body.code, type: res.headers['content-type'] }).toEqual({
      status: 400,
      code,
      type: expect.stringMatching(/application\/problem\+json/),
    });
  });

  it('never writes a log-session token to the logs', () => {
    expect(usedTokens.length).toBeGreaterThan(3);
    const logged = api.logs();
    for (const token of usedTokens) expect(logged).not.toContain(token);
    expect(logged).toContain('log stream refused');
  });
});

describe('log streams on shutdown', () => {
  it('closes every stream with 1001 when the API shuts down', async () => {
    const api = await startTestApi();
    try {
      const owner = await signupOwner(api, 'logs-shutdown');
      await api.http.post('/v1/apps').set(owner.auth).send({ name: 'web' }).expect(201);
      const clients = [1, 2].map(() =>
        StreamClient.open(wsUrl(api.url, '/v1/apps/web/log-stream'), {
          headers: { Authorization: `Bearer ${owner.token}` },
        }),
      );
      await Promise.all(clients.map((c) => c.connected()));
      const started = Date.now();
      await api.close();
      for (const client of clients) {
        expect(await client.closed).toEqual({ code: 1001, reason: 'server shutting down' });
      }
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await api.close().catch(() => undefined);
    }
  });
});
