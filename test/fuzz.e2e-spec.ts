import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import crypto from 'node:crypto';
import { login, OPERATOR, signupOwner, startTestApi, type Session, type TestApi } from './support/api.js';
import {
  fuzzRequests,
  operationsOf,
  type FuzzRequest,
  type OpenApiDocument,
} from './support/openapi-fuzz.js';

/** Fixed, so a finding replays; the count keeps the run to a few thousand requests. */
const SEED = 14_2026;
const PER_OPERATION = 24;

/**
 * Every operation of openapi/openapi.json, sent hostile input as an authorized tenant owner: wrong types, huge
 * and negative numbers, long and odd unicode strings, unknown fields, missing bodies, broken percent-escapes.
 * No answer may be a 5xx, every 4xx is problem+json, and another tenant's resources stay 404. Build uploads
 * get bad bodies only (never a real archive), and the API runs without its workers, so nothing starts.
 */
describe('OpenAPI-driven fuzz', () => {
  let api: TestApi;
  let tenant: Session;
  let other: Session;
  let otherKeyId: string;
  const otherApp = `their-${crypto.randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    api = await startTestApi();
    tenant = await signupOwner(api, 'fuzzer');
    other = await signupOwner(api, 'bystander');
    await api.http.post('/v1/apps').set(tenant.auth).send({ name: 'mine' }).expect(201);
    await api.http.post('/v1/apps').set(other.auth).send({ name: otherApp }).expect(201);
    const key = await api.http
      .post('/v1/api-keys')
      .set(other.auth)
      .send({ name: 'theirs', scopes: ['apps:read'] })
      .expect(201);
    otherKeyId = key.body.id;
  });
  afterAll(async () => {
    await api.close();
  });

  it('answers every operation’s hostile input with a 4xx problem+json, never a 5xx or another tenant’s data', async () => {
    const doc = JSON.parse(readFileSync('openapi/openapi.json', 'utf8')) as OpenApiDocument;
    const operations = operationsOf(doc);
    // Deletions last, so the caller's own app stays for the other operations to reach.
    operations.sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'));
    const requests = fuzzRequests(
      operations,
      {
        own: { app: ['mine'], id: [tenant.userId, crypto.randomUUID()], version: ['1'] },
        foreign: { app: [otherApp], id: [other.userId, otherKeyId] },
      },
      { seed: SEED, perOperation: PER_OPERATION },
    );
    const { findings, statuses, foreignStatuses } = await sendAll(api, tenant, requests);
    console.log(
      `fuzz: seed ${SEED}, ${operations.length} operations, ${requests.length} requests; statuses ${histogram(statuses)}; ` +
        `aimed at another tenant: ${histogram(foreignStatuses)}; findings: ${findings.length}\n${findings.slice(0, 40).join('\n')}`,
    );
    report(api, findings);
    expect(findings).toEqual([]);

    // The other tenant's things are all still there.
    await api.http.get(`/v1/apps/${otherApp}`).set(other.auth).expect(200);
    const keys = await api.http.get('/v1/api-keys').set(other.auth).expect(200);
    expect((keys.body as { id: string }[]).map((key) => key.id)).toContain(otherKeyId);
    await api.http.get('/v1/me').set(other.auth).expect(200);
  });

  it('answers the operator routes’ hostile input alike (host registration left out: it dials the endpoint)', async () => {
    const operator = await login(api, OPERATOR.email, OPERATOR.password);
    const doc = JSON.parse(readFileSync('openapi/openapi.json', 'utf8')) as OpenApiDocument;
    const operations = operationsOf(doc)
      .filter((op) => op.path.startsWith('/v1/admin/'))
      .filter((op) => !(op.method === 'POST' && op.path === '/v1/admin/hosts'))
      .sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'));
    // A plan of the fuzz's own: the run's other test files share the seeded plans, and a valid update or
    // a retire among the fuzzed requests must not change what they rely on.
    const planId = `fuzz-${crypto.randomBytes(4).toString('hex')}`;
    await api.http
      .post('/v1/admin/plans')
      .set(operator.auth)
      .send({
        id: planId,
        name: 'Fuzz',
        memoryMb: 128,
        cpuMillis: 250,
        maxApps: 1,
        maxReplicasPerApp: 1,
        maxTotalMemoryMb: 128,
        loadBalancerAllowed: false,
        maxUploadMb: 1,
        buildTimeoutSeconds: 300,
        concurrentBuilds: 1,
      })
      .expect(201);
    const requests = fuzzRequests(
      operations,
      { own: { id: [planId, crypto.randomUUID()] }, foreign: {} },
      { seed: SEED + 1, perOperation: PER_OPERATION },
    );
    const { findings, statuses } = await sendAll(api, operator, requests);
    console.log(
      `fuzz (operator): seed ${SEED + 1}, ${operations.length} operations, ${requests.length} requests; ` +
        `statuses ${histogram(statuses)}; findings: ${findings.length}\n${findings.slice(0, 40).join('\n')}`,
    );
    report(api, findings);
    expect(findings).toEqual([]);
  });
});

function report(api: TestApi, findings: string[]): void {
  if (findings.length > 0) {
    const errors = api
      .logs()
      .split('\n')
      .filter((line) => line.includes('"level":50'))
      .map((line) => line.slice(0, 600));
    console.log(`server errors:\n${errors.slice(0, 10).join('\n')}`);
  }
}

async function send(
  api: TestApi,
  as: Session,
  fuzz: FuzzRequest,
): Promise<{ status: number; headers: Record<string, string>; body: unknown }> {
  const method = fuzz.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
  let call = api.http[method](fuzz.url).set(as.auth).set('Accept', 'application/json').timeout(30_000);
  for (const [name, value] of Object.entries(fuzz.headers)) call = call.set(name, value);
  if (fuzz.body) call = call.set('Content-Type', fuzz.body.contentType).send(fuzz.body.data);
  const res = await call.ok(() => true);
  return { status: res.status, headers: res.headers as Record<string, string>, body: res.body };
}

function histogram(map: Map<number, number>): string {
  return [...map.entries()]
    .sort(([a], [b]) => a - b)
    .map(([status, count]) => `${status}×${count}`)
    .join(' ');
}

/** Sends every request; a finding is a 5xx, a 4xx that is not problem+json, or another tenant's resource not 404. */
async function sendAll(
  api: TestApi,
  as: Session,
  requests: FuzzRequest[],
): Promise<{ findings: string[]; statuses: Map<number, number>; foreignStatuses: Map<number, number> }> {
  const findings: string[] = [];
  const statuses = new Map<number, number>();
  const foreignStatuses = new Map<number, number>();
  for (const fuzz of requests) {
    const res = await send(api, as, fuzz);
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    if (fuzz.foreign) foreignStatuses.set(res.status, (foreignStatuses.get(res.status) ?? 0) + 1);
    const what = `${fuzz.method} ${fuzz.url.slice(0, 160)} → ${res.status}`;
    if (res.status >= 500) findings.push(`${what} (5xx) ${JSON.stringify(res.body).slice(0, 200)}`);
    else if (res.status >= 400) {
      if (!String(res.headers['content-type']).includes('application/problem+json')) {
        findings.push(`${what} (4xx not problem+json: ${res.headers['content-type']})`);
      } else if (typeof (res.body as { code?: unknown }).code !== 'string') {
        findings.push(`${what} (problem without a code)`);
      }
    }
    // Refused before the lookup (400, 413, 414 and 431 for an oversized request line or headers, 415, 429)
    // or not found: nothing tells the resource exists.
    if (fuzz.foreign && ![400, 404, 405, 413, 414, 415, 429, 431].includes(res.status)) {
      findings.push(`${what} (another tenant's resource answered other than 404)`);
    }
  }
  return { findings, statuses, foreignStatuses };
}
