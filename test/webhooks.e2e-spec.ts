import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { WebhookDispatcher } from '../libs/webhooks/index.js';
import { signupOwner, startTestApi, type Session, type TestApi } from './support/api.js';
import { waitFor } from './support/docker.js';

interface Received {
  body: string;
  headers: http.IncomingHttpHeaders;
}
interface AttemptBody {
  at: string;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}
interface DeliveryBody {
  id: string;
  eventId: string;
  eventType: string;
  status: 'pending' | 'delivered' | 'failed';
  nextAttemptAt: string | null;
  attempts: AttemptBody[];
}

/** A receiver on 127.0.0.1 the test owns; `answer` decides each response (or none: never answers). */
async function receiver(answer: (received: Received, index: number) => number | 'hang') {
  const received: Received[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const entry = { body, headers: req.headers };
      received.push(entry);
      const status = answer(entry, received.length - 1);
      if (status !== 'hang') res.writeHead(status).end('ok');
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The v1 signatures of a Berth-Signature header that match `secret`, checked as a receiver would. */
function signatureMatches(header: string, secret: string, body: string): boolean {
  const parts = header.split(',');
  const t = parts.find((part) => part.startsWith('t='))?.slice(2);
  const expected = crypto.createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return parts.some((part) => part === `v1=${expected}`);
}

/** Webhooks on the real API and PostgreSQL, delivering to receivers on loopback; no Docker. */
describe('webhooks', () => {
  let api: TestApi;
  let second: TestApi;
  let owner: Session;
  let stopPasses = false;
  let passes: Promise<void> | undefined;
  const good = receiver(() => 200);
  const flaky = receiver((_, index) => (index === 0 ? 500 : 200));
  const slow = receiver(() => 'hang');

  beforeAll(async () => {
    api = await startTestApi({
      webhooksAllowLoopback: true,
      webhooksRetryBaseMs: 300,
      webhooksRetryMaxMs: 1000,
      webhooksTimeoutMs: 4000,
    });
    // A second process on the same database, its passes racing the first's (no advisory lock between
    // them here): deliveries must still be made and sent once.
    second = await startTestApi(api.config);
    owner = await signupOwner(api, 'hooks');
    // The APIs run without their loops here (no Docker); the test drives the dispatchers' passes itself.
    passes = Promise.all(
      [api, second].map(async (instance) => {
        const dispatcher = instance.app.get(WebhookDispatcher);
        while (!stopPasses) {
          await dispatcher.runPass();
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }),
    ).then(() => undefined);
  });

  afterAll(async () => {
    stopPasses = true;
    await passes;
    await Promise.all([good, flaky, slow].map(async (listener) => (await listener).close()));
    await second?.close();
    await api?.close();
  });

  const create = (session: Session, body: object) =>
    api.http.post('/v1/webhooks').set(session.auth).send(body);
  const deliveries = async (id: string) =>
    (await api.http.get(`/v1/webhooks/${id}/deliveries`).set(owner.auth).expect(200)).body
      .deliveries as DeliveryBody[];

  it('refuses URLs that are not https or aim at private and metadata addresses', async () => {
    for (const url of ['http://10.0.0.1/hook', 'http://169.254.169.254/latest/meta-data', 'ftp://x.test/']) {
      const res = await create(owner, { url, events: ['app.'] }).expect(422);
      expect(res.body.code).toBe('invalid_webhook_url');
    }
    const userinfo = await create(owner, { url: 'https://u:p@hooks.example.test/', events: ['app.'] });
    expect(userinfo.status).toBe(422);
    await create(owner, { url: 'https://hooks.example.test/', events: ['not a type'] }).expect(400);
  });

  it('caps webhooks per tenant', async () => {
    const capped = await signupOwner(api, 'hooks-cap');
    for (let i = 0; i < 10; i += 1) {
      await create(capped, { url: `https://hooks.example.test/${i}`, events: ['domain.'] }).expect(201);
    }
    const refused = await create(capped, { url: 'https://hooks.example.test/x', events: ['domain.'] });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('quota_exceeded');
  });

  it('signs deliveries, retries failures, records timeouts and refused addresses, never lets one endpoint delay another', async () => {
    const [goodListener, flakyListener, slowListener] = await Promise.all([good, flaky, slow]);
    const goodHook = (await create(owner, { url: goodListener.url, events: ['app.'] }).expect(201)).body;
    const flakyHook = (await create(owner, { url: flakyListener.url, events: ['app.created'] }).expect(201))
      .body;
    const slowHook = (await create(owner, { url: slowListener.url, events: ['app.created'] }).expect(201))
      .body;
    // https to a literal metadata address passes the URL rules; the delivery refuses the address.
    const metadataHook = (
      await create(owner, { url: 'https://169.254.169.254/latest', events: ['app.created'] }).expect(201)
    ).body;
    expect(goodHook.secret).toMatch(/^whsec_/);

    // The secret is shown once: neither the list nor the webhook shows it again, nor do the logs.
    const listed = await api.http.get('/v1/webhooks').set(owner.auth).expect(200);
    expect(JSON.stringify(listed.body)).not.toContain(goodHook.secret);
    const one = await api.http.get(`/v1/webhooks/${goodHook.id}`).set(owner.auth).expect(200);
    expect(one.body).not.toHaveProperty('secret');
    expect(one.body).toMatchObject({ url: goodListener.url, events: ['app.'] });

    await api.http.post('/v1/apps').set(owner.auth).send({ name: 'hooked' }).expect(201);

    const first = await waitFor(
      'the good endpoint to get app.created',
      async () => goodListener.received[0],
      {
        timeoutMs: 20_000,
      },
    );
    // Delivered while the slow endpoint still holds its own request open.
    const slowMeanwhile = await deliveries(slowHook.id);
    expect(slowMeanwhile).toHaveLength(1);
    expect(slowMeanwhile[0]).toMatchObject({ status: 'pending', attempts: [] });
    expect(slowListener.received).toHaveLength(1);

    const body = JSON.parse(first.body) as Record<string, unknown>;
    expect(body).toMatchObject({ type: 'app.created', subject: 'app:hooked' });
    expect(Object.keys(body).sort()).toEqual(['appId', 'createdAt', 'data', 'id', 'subject', 'type']);
    expect(first.headers['berth-event-id']).toBe(body.id);
    expect(first.headers['berth-delivery-id']).toMatch(/^[0-9]+$/);
    const signature = String(first.headers['berth-signature']);
    expect(signature).toMatch(/^t=[0-9]+,v1=[0-9a-f]{64}$/);
    expect(signatureMatches(signature, goodHook.secret, first.body)).toBe(true);
    expect(signatureMatches(signature, 'whsec_wrong', first.body)).toBe(false);

    // 500, then retried after the backoff and delivered: both attempts readable with their status codes.
    const flakyDone = await waitFor(
      'the flaky endpoint to be delivered',
      async () => {
        const [delivery] = await deliveries(flakyHook.id);
        return delivery?.status === 'delivered' ? delivery : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    expect(flakyDone.attempts.map((attempt) => attempt.statusCode)).toEqual([500, 200]);
    expect(flakyDone.eventId).toBe(body.id);
    expect(flakyListener.received.map((r) => r.headers['berth-event-id'])).toEqual([body.id, body.id]);

    const timedOut = await waitFor(
      'the slow endpoint to time out',
      async () => {
        const [delivery] = await deliveries(slowHook.id);
        return delivery && delivery.attempts.length > 0 ? delivery : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    expect(timedOut.status).toBe('pending');
    expect(timedOut.attempts[0]).toMatchObject({ statusCode: null });
    expect(timedOut.attempts[0]?.error).toContain('timed out');
    expect(timedOut.nextAttemptAt).not.toBeNull();

    const refused = await waitFor(
      'the metadata address to be refused',
      async () => {
        const [delivery] = await deliveries(metadataHook.id);
        return delivery && delivery.attempts.length > 0 ? delivery : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    expect(refused.attempts[0]).toMatchObject({ statusCode: null });
    expect(refused.attempts[0]?.error).toContain('169.254.169.254 is link-local');

    // After a rotation both secrets sign until the overlap ends.
    const rotated = (
      await api.http.post(`/v1/webhooks/${goodHook.id}/rotate-secret`).set(owner.auth).expect(200)
    ).body;
    expect(rotated.secret).not.toBe(goodHook.secret);
    expect(rotated.previousSecretValidUntil).not.toBeNull();
    await api.http.patch('/v1/apps/hooked').set(owner.auth).send({ replicas: 2 }).expect(202);
    const scaled = await waitFor(
      'the good endpoint to get app.scaled',
      async () =>
        goodListener.received.find((r) => (JSON.parse(r.body) as { type: string }).type === 'app.scaled'),
      { timeoutMs: 20_000 },
    );
    const scaledSignature = String(scaled.headers['berth-signature']);
    expect(scaledSignature.split(',').filter((part) => part.startsWith('v1='))).toHaveLength(2);
    expect(signatureMatches(scaledSignature, rotated.secret, scaled.body)).toBe(true);
    expect(signatureMatches(scaledSignature, goodHook.secret, scaled.body)).toBe(true);

    // Two racing dispatchers, still one delivery and one request per (webhook, event).
    const goodIds = goodListener.received.map((r) => r.headers['berth-event-id']);
    expect(new Set(goodIds).size).toBe(goodIds.length);
    const goodDeliveries = await deliveries(goodHook.id);
    expect(goodDeliveries.map((d) => d.eventType).sort()).toEqual(['app.created', 'app.scaled']);
    expect(goodDeliveries.every((d) => d.status === 'delivered' && d.attempts.length === 1)).toBe(true);

    expect(api.logs()).not.toContain(goodHook.secret);
    expect(api.logs()).not.toContain(rotated.secret);
  });

  it('delivers an event whose transaction commits after a later event was already sent', async () => {
    const [goodListener] = await Promise.all([good]);
    const late = await signupOwner(api, 'hooks-late');
    await create(late, { url: goodListener.url, events: ['app.'] }).expect(201);
    const bodies = () =>
      goodListener.received.map((r) => JSON.parse(r.body) as { id: string; subject: string });
    // A transaction that takes its seq now and commits later (as a slow trigger-written change would).
    const held = api.app.get(DataSource).createQueryRunner();
    await held.connect();
    try {
      await held.startTransaction();
      await held.query(
        `INSERT INTO events (tenant_id, type, subject, data) VALUES ($1, 'app.stopped', 'app:late-held', '{}')`,
        [late.tenantId],
      );
      await api.http.post('/v1/apps').set(late.auth).send({ name: 'late-after' }).expect(201);
      const after = await waitFor('the later event', async () =>
        bodies().find((body) => body.subject === 'app:late-after'),
      );
      await held.commitTransaction();
      const heldBody = await waitFor('the held event', async () =>
        bodies().find((body) => body.subject === 'app:late-held'),
      );
      expect(BigInt(heldBody.id)).toBeLessThan(BigInt(after.id));
    } finally {
      await held.release();
    }
  });

  it("hides another tenant's webhooks and deletes its own", async () => {
    const [goodListener] = await Promise.all([good]);
    const hook = (await create(owner, { url: goodListener.url, events: ['build.'] }).expect(201)).body;
    const rival = await signupOwner(api, 'hooks-rival');
    await api.http.get(`/v1/webhooks/${hook.id}`).set(rival.auth).expect(404);
    await api.http.delete(`/v1/webhooks/${hook.id}`).set(rival.auth).expect(404);
    await api.http.get(`/v1/webhooks/${hook.id}/deliveries`).set(rival.auth).expect(404);
    await api.http.delete(`/v1/webhooks/${hook.id}`).set(owner.auth).expect(204);
    await api.http.get(`/v1/webhooks/${hook.id}`).set(owner.auth).expect(404);
  });
});
