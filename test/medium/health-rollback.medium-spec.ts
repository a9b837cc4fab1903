import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { HEALTH_CHECK_DEFAULTS, type App, type Release } from '../../libs/apps/index.js';
import type { ContainerSpec } from '../../libs/engine/index.js';
import { FakeEngine } from '../../libs/engine/testing/index.js';
import type { Principal } from '../../libs/identity/index.js';
import type { Replica } from '../../libs/runtime/index.js';
import { migratedDataSource } from '../support/database.js';
import {
  deployedApp,
  type FakeHosts,
  newHost,
  newTenant,
  resetRuntimeTables,
  type RuntimeProcess,
  startRuntimeProcess,
} from './support/runtime-process.js';

/**
 * A fake host whose containers answer HTTP on their published port: every request gets the status
 * `answer(env)` picks from the container's env (its release's), so a test decides per release, and can
 * change its mind while the replicas run.
 */
class HttpFakeEngine extends FakeEngine {
  private readonly servers: http.Server[] = [];
  answer: (env: Record<string, string>) => number = (env) => Number(env.HEALTH_STATUS ?? 200);

  override async createContainer(spec: ContainerSpec): Promise<{ id: string }> {
    if (!spec.publish) return super.createContainer(spec);
    const server = http.createServer((_req, res) => res.writeHead(this.answer(spec.env)).end());
    this.servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const hostPort = (server.address() as AddressInfo).port;
    return super.createContainer({ ...spec, publish: { ...spec.publish, hostPort } });
  }

  async close(): Promise<void> {
    for (const server of this.servers) server.closeAllConnections();
    await Promise.all(this.servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Health checks in the reconciler, on real PostgreSQL and a fake engine whose replicas answer HTTP: a new
 * release must pass before the old one stops, a failing one is rolled back (status, release, audit event),
 * and a replica that turns unhealthy outside the window is restarted with the crash backoff.
 */
describe('health checks and automatic rollback (medium)', () => {
  let db: DataSource;
  let engines: FakeHosts;
  let engine: HttpFakeEngine;
  let berth: RuntimeProcess;
  let owner: Principal;

  beforeAll(async () => {
    db = await migratedDataSource();
  });
  afterAll(async () => {
    await db.destroy();
  });
  beforeEach(async () => {
    await resetRuntimeTables(db);
    engines = new Map();
    engine = await newHost(db, engines, new HttpFakeEngine());
    owner = await newTenant(db);
    berth = await startRuntimeProcess(engines, { rolloutDeadlineMs: 60_000, rollbackWindowMs: 60_000 });
  });
  afterEach(async () => {
    await berth.close();
    await engine.close();
  });

  const app = (name: string): Promise<App> => berth.apps.get(owner, name);
  const replicasOf = async (name: string): Promise<Replica[]> =>
    (await berth.facade.describe(owner, name)).replicas.map((v) => v.replica);
  async function releaseOf(name: string, version: number): Promise<Release> {
    const { releases } = await berth.facade.releases(owner, name);
    return releases.find((r) => r.version === version)!;
  }
  async function currentVersion(name: string): Promise<number | undefined> {
    return (await berth.facade.describe(owner, name)).release?.version;
  }
  /** Reconcile passes (a few ms apart, so probes come due) until `done` holds. */
  async function passUntil(what: string, done: () => Promise<boolean>, maxMs = 15_000): Promise<void> {
    const until = Date.now() + maxMs;
    while (Date.now() < until) {
      await berth.reconciler.reconcileAll();
      if (await done()) return;
      await sleep(30);
    }
    throw new Error(`timed out waiting for ${what}`);
  }
  const settled = (name: string) => async () => {
    const a = await app(name);
    return a.phase === 'running' && a.observedGeneration === a.generation;
  };
  const quickCheck = {
    ...HEALTH_CHECK_DEFAULTS,
    path: '/healthz',
    intervalMs: 40,
    timeoutMs: 40,
    failureThreshold: 3,
  };

  /** An app of 2 replicas on v2: v1 without a check, v2 the same image with `check`, rolled out. */
  async function healthyApp(name: string, check = quickCheck): Promise<Replica[]> {
    await deployedApp(berth, owner, { name, replicas: 2, engines: [engine] });
    await passUntil('v1 running', settled(name));
    await berth.apps.setHealthCheck(owner, name, check);
    await passUntil(
      'v2 rolled out',
      async () => (await settled(name)()) && (await currentVersion(name)) === 2,
    );
    const replicas = await replicasOf(name);
    expect(replicas.map((r) => r.state)).toEqual(['running', 'running']);
    expect((await releaseOf(name, 2)).rolledOutAt).not.toBeNull();
    return replicas;
  }

  it('a release answering 500 never replaces the healthy one: it is rolled back, the old replicas serve on', async () => {
    const healthy = await healthyApp('guarded');
    await berth.apps.patchEnv(owner, 'guarded', { HEALTH_STATUS: '500' }, []);
    expect(await currentVersion('guarded')).toBe(3);

    let sawNewStarting = false;
    await passUntil('the rollback', async () => {
      const replicas = await replicasOf('guarded');
      // Throughout the attempt the healthy replicas keep running: nothing of v3 ever took over.
      for (const old of healthy) expect(replicas.find((r) => r.id === old.id)?.state).toBe('running');
      sawNewStarting ||= replicas.some(
        (r) => r.releaseId !== healthy[0]!.releaseId && r.state === 'starting',
      );
      expect(replicas.filter((r) => r.releaseId !== healthy[0]!.releaseId && r.state === 'running')).toEqual(
        [],
      );
      return (await currentVersion('guarded')) === 2;
    });
    expect(sawNewStarting).toBe(true);

    const rolledBack = await app('guarded');
    expect(rolledBack.lastAutoRollback).toMatchObject({
      fromVersion: 3,
      toVersion: 2,
      reason: expect.stringMatching(
        /of v3 failed its health check 3 times in a row: GET \/healthz answered 500/,
      ),
    });
    expect(berth.apps.maskedEnv(rolledBack)).toEqual({});
    expect((await releaseOf('guarded', 3)).failureReason).toMatch(/answered 500/);
    const events: { actor: string; data: Record<string, unknown> }[] = await db.query(
      `SELECT actor, data FROM audit_events WHERE action = 'release.auto_rollback' AND target = $1`,
      [`app:${rolledBack.id}`],
    );
    expect(events).toEqual([
      { actor: 'system:health-check', data: expect.objectContaining({ fromVersion: 3, toVersion: 2 }) },
    ]);

    // The release it went back to is current again with the same replicas: no replacement, v3's are removed.
    await passUntil('settled on v2', settled('guarded'));
    expect((await replicasOf('guarded')).map((r) => r.id).sort()).toEqual(healthy.map((r) => r.id).sort());
  });

  it('a release that passes, rolls out and then fails inside its window is rolled back', async () => {
    await healthyApp('window');
    await berth.apps.patchEnv(owner, 'window', { FLAVOUR: 'new' }, []);
    await passUntil(
      'v3 rolled out',
      async () => (await settled('window')()) && (await currentVersion('window')) === 3,
    );
    expect((await releaseOf('window', 3)).rolledOutAt).not.toBeNull();
    const v3Replicas = await replicasOf('window');

    engine.answer = (env) => (env.FLAVOUR === 'new' ? 503 : 200);
    await passUntil('the rollback', async () => (await currentVersion('window')) === 2);
    expect((await app('window')).lastAutoRollback).toMatchObject({
      fromVersion: 3,
      toVersion: 2,
      reason: expect.stringContaining('answered 503'),
    });
    await passUntil('settled on v2', settled('window'));
    const after = await replicasOf('window');
    expect(after).toHaveLength(2);
    for (const replica of after) expect(v3Replicas.map((r) => r.id)).not.toContain(replica.id);
    expect(after.every((r) => r.state === 'running')).toBe(true);
  });

  it('outside the window an unhealthy replica is restarted with the crash backoff, not rolled back', async () => {
    const before = await healthyApp('restarts', { ...quickCheck, rollbackWindowMs: 0 });
    const generation = (await app('restarts')).generation;

    engine.answer = () => 500;
    await passUntil('a restart', async () => (await replicasOf('restarts')).some((r) => r.restarts > 0));
    const restarted = (await replicasOf('restarts')).find((r) => r.restarts > 0)!;
    expect(restarted).toMatchObject({
      restarts: 1,
      lastError: expect.stringMatching(/^unhealthy, restarted: /),
    });
    expect(await currentVersion('restarts')).toBe(2);
    expect((await app('restarts')).generation).toBe(generation);

    engine.answer = () => 200;
    await passUntil('running again', async () =>
      (await replicasOf('restarts')).every((r) => r.state === 'running'),
    );
    // Restarted in place: the same replicas (and containers), not replacements.
    expect((await replicasOf('restarts')).map((r) => r.id).sort()).toEqual(before.map((r) => r.id).sort());
  });
});
