import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PASSWORD, signupOwner, startTestApi, uniqueEmail, type TestApi } from './support/api.js';
import { waitFor } from './support/docker.js';

describe('errors are RFC 9457 problem+json with a stable code', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  const expectProblem = (
    res: { status: number; headers: Record<string, string>; body: Record<string, unknown> },
    status: number,
    code: string,
  ) => {
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body).toMatchObject({
      status,
      code,
      type: expect.stringContaining(code),
      title: expect.any(String),
    });
  };

  it('malformed JSON is 400 malformed_json', async () => {
    const res = await api.http
      .post('/v1/auth/signup')
      .set('Content-Type', 'application/json')
      .send('{"email": ');
    expectProblem(res, 400, 'malformed_json');
  });

  it('unknown fields are refused, with the field named', async () => {
    const res = await api.http
      .post('/v1/auth/signup')
      .send({ email: uniqueEmail(), password: PASSWORD, isOperator: true });
    expectProblem(res, 400, 'validation_failed');
    expect(res.body.errors).toEqual([
      { field: 'isOperator', message: expect.stringContaining('should not exist') },
    ]);
  });

  it('wrong types are refused field by field', async () => {
    const res = await api.http.post('/v1/auth/signup').send({ email: 42, password: ['x'] });
    expectProblem(res, 400, 'validation_failed');
    const fields = (res.body.errors as { field: string }[]).map((e) => e.field);
    expect(new Set(fields)).toEqual(new Set(['email', 'password']));
  });

  it('oversized strings are refused', async () => {
    const res = await api.http
      .post('/v1/auth/signup')
      .send({ email: uniqueEmail(), password: PASSWORD, tenantName: 'x'.repeat(500) });
    expectProblem(res, 400, 'validation_failed');
    expect(res.body.errors[0].field).toBe('tenantName');
  });

  it('an oversized body is 413', async () => {
    const res = await api.http
      .post('/v1/auth/signup')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ pad: 'x'.repeat(2_000_000) }));
    expectProblem(res, 413, 'payload_too_large');
  });

  it('a request line over the 16 KiB header limit is 431 problem+json, not bare text from Node', async () => {
    expectProblem(await api.http.get(`/v1/plans?pad=${'x'.repeat(20_000)}`), 431, 'headers_too_large');
  });

  it('an unknown route is 404 problem+json, a bad id is 400, not 500', async () => {
    const owner = await signupOwner(api);
    expectProblem(await api.http.get('/v1/nope').set(owner.auth), 404, 'not_found');
    expectProblem(await api.http.delete('/v1/api-keys/not-a-uuid').set(owner.auth), 400, 'bad_request');
  });

  it('health and readiness answer', async () => {
    await api.http.get('/healthz').expect(200, { status: 'ok' });
    const ready = await api.http.get('/readyz').expect(200);
    expect(ready.body.info.database.status).toBe('up');
  });

  it('every response carries a request id that echoes a sane X-Request-Id', async () => {
    await api.http.get('/healthz').set('X-Request-Id', 'abc-123').expect(200);
    // Request lines are written in batches, at most REQUEST_LOG_FLUSH_MS (100 ms) late.
    await waitFor('the request line', async () => api.logs().includes('"id":"abc-123"'), {
      timeoutMs: 2000,
      intervalMs: 20,
    });
  });
});
