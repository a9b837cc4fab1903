import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { signupOwner, startTestApi, type Session, type TestApi } from './support/api.js';

/**
 * Changes that start or stop containers (sleep on and off, start, stop, scale, deploys, …) draw on one
 * token bucket per tenant in PostgreSQL: a tenant toggling in a loop gets 429 problem+json with
 * Retry-After and its app keeps the last accepted state, while another tenant changes on untouched.
 */
describe('changes that start or stop containers are bounded per tenant', () => {
  let api: TestApi;
  let toggler: Session;
  let neighbour: Session;

  beforeAll(async () => {
    api = await startTestApi({ containerChangeBurst: 3, containerChangesPerMinute: 6 });
    toggler = await signupOwner(api, 'toggler');
    neighbour = await signupOwner(api, 'neighbour');
    await api.http.post('/v1/apps').set(toggler.auth).send({ name: 'flip' }).expect(201);
    await api.http.post('/v1/apps').set(neighbour.auth).send({ name: 'calm' }).expect(201);
  });
  afterAll(async () => {
    await api?.close();
  });

  it('refuses the change past the burst with 429 change_budget_exhausted, keeps the app as it was, and lets the neighbour change on', async () => {
    const sleep = (session: Session, app: string, afterIdleSeconds: number) =>
      api.http.put(`/v1/apps/${app}/sleep`).set(session.auth).send({ afterIdleSeconds });
    await sleep(toggler, 'flip', 120).expect(202);
    await api.http.delete('/v1/apps/flip/sleep').set(toggler.auth).expect(202);
    await sleep(toggler, 'flip', 300).expect(202);

    const refused = await sleep(toggler, 'flip', 600).expect(429);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.body).toMatchObject({ status: 429, code: 'change_budget_exhausted' });
    // 6 a minute: one token every 10 s.
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(10);
    // Every route that starts or stops containers draws on the same budget.
    await api.http.post('/v1/apps/flip/stop').set(toggler.auth).expect(429);
    await api.http.patch('/v1/apps/flip').set(toggler.auth).send({ replicas: 2 }).expect(429);
    await api.http.delete('/v1/apps/flip/sleep').set(toggler.auth).expect(429);

    // Reads are not drawn from it, and the refused calls changed nothing.
    const flip = await api.http.get('/v1/apps/flip').set(toggler.auth).expect(200);
    expect(flip.body).toMatchObject({ replicas: 1, sleep: { afterIdleSeconds: 300 } });

    await sleep(neighbour, 'calm', 120).expect(202);
    await api.http.post('/v1/apps/calm/stop').set(neighbour.auth).expect(202);
  });
});
