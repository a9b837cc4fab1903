import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { inviteUser, signupOwner, startTestApi, type Session, type TestApi } from '../support/api.js';
import { StreamClient, wsUrl } from './stream-client.js';

/** Longer than the gateway's STANDING_CHECK_MS (3 s) plus a check's own time; the close comes well before. */
const WITHIN_MS = 15_000;

/**
 * Revocation reaches open log streams: a revoked API key, a removed user, and a log-session token whose
 * issuer was removed all end their streams with close 4401 credentials_revoked, while the owner's stream on
 * the same app stays open. The re-check reads PostgreSQL, so it holds on every API process alike.
 */
describe('revocation closes open log streams', () => {
  let api: TestApi;
  let owner: Session;
  const APP = 'revoked-watch';

  const open = (headers: Record<string, string>, query = '') =>
    StreamClient.open(`${wsUrl(api.url, `/v1/apps/${APP}/log-stream`)}${query}`, { headers });

  const closedWithin = (client: StreamClient) =>
    Promise.race([
      client.closed,
      new Promise<'still open'>((resolve) => setTimeout(() => resolve('still open'), WITHIN_MS).unref()),
    ]);

  beforeAll(async () => {
    api = await startTestApi({ logStreamsPerTenant: 20 });
    owner = await signupOwner(api, 'revoker');
    await api.http.post('/v1/apps').set(owner.auth).send({ name: APP }).expect(201);
  });
  afterAll(async () => {
    await api?.close();
  });

  it('a revoked API key’s stream closes with 4401; the owner’s stays open', async () => {
    const key = await api.http
      .post('/v1/api-keys')
      .set(owner.auth)
      .send({ name: 'dashboard', scopes: ['logs:read'] })
      .expect(201);
    const byKey = open({ Authorization: `Bearer ${key.body.secret}` });
    const byOwner = open(owner.auth);
    await byKey.connected();
    await byOwner.connected();
    await api.http.delete(`/v1/api-keys/${key.body.id}`).set(owner.auth).expect(204);
    expect(await closedWithin(byKey)).toEqual({ code: 4401, reason: 'credentials_revoked' });
    expect(byOwner.ws.readyState).toBe(byOwner.ws.OPEN);
    await byOwner.close();
  }, 60_000);

  it('a removed user’s streams close with 4401, by bearer and by the log-session token they made', async () => {
    const member = await inviteUser(api, owner, 'member');
    const session = await api.http.post(`/v1/apps/${APP}/log-sessions`).set(member.auth).expect(201);
    const byBearer = open(member.auth);
    const byToken = open({}, `?token=${encodeURIComponent(session.body.token)}`);
    await byBearer.connected();
    await byToken.connected();
    await api.http.delete(`/v1/users/${member.userId}`).set(owner.auth).expect(204);
    expect(await closedWithin(byBearer)).toEqual({ code: 4401, reason: 'credentials_revoked' });
    expect(await closedWithin(byToken)).toEqual({ code: 4401, reason: 'credentials_revoked' });
  }, 60_000);
});
