import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { signupOwner, startTestApi, type Session, type TestApi } from './support/api.js';

/**
 * Heavy reads (log pages, usage exports, build logs) draw on one token bucket per tenant in PostgreSQL: a
 * tenant reading in a loop gets 429 problem+json with Retry-After, and another tenant reads on untouched.
 */
describe('heavy reads are bounded per tenant', () => {
  let api: TestApi;
  let reader: Session;
  let neighbour: Session;

  beforeAll(async () => {
    api = await startTestApi({ heavyReadBurst: 3, heavyReadsPerMinute: 6 });
    reader = await signupOwner(api, 'reader');
    neighbour = await signupOwner(api, 'neighbour');
    await api.http.post('/v1/apps').set(reader.auth).send({ name: 'loud' }).expect(201);
    await api.http.post('/v1/apps').set(neighbour.auth).send({ name: 'quiet' }).expect(201);
  });
  afterAll(async () => {
    await api?.close();
  });

  it('refuses the read past the burst with 429 read_budget_exhausted and Retry-After; the neighbour reads on', async () => {
    await api.http.get('/v1/apps/loud/logs').set(reader.auth).expect(200);
    await api.http.get('/v1/usage').set(reader.auth).expect(200);
    await api.http.get('/v1/apps/loud/logs?tail=5').set(reader.auth).expect(200);
    const refused = await api.http.get('/v1/apps/loud/logs').set(reader.auth).expect(429);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.body).toMatchObject({ status: 429, code: 'read_budget_exhausted' });
    // 6 a minute: one token every 10 s.
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(10);
    await api.http.get('/v1/usage?format=csv').set(reader.auth).expect(429);
    await api.http.get('/v1/apps/quiet/logs').set(neighbour.auth).expect(200);
    // Light reads are not drawn from the budget.
    await api.http.get('/v1/apps/loud').set(reader.auth).expect(200);
  });
});
