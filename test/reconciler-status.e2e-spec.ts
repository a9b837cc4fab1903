import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { LoadBalancerManager } from '../libs/runtime/balancer/load-balancer-manager.js';
import { Reconciler } from '../libs/runtime/reconciler.service.js';
import { signupOwner, startTestApi, type Session, type TestApi } from './support/api.js';
import { cleanupTestRun, ensureRuntimeImage } from './support/docker.js';

/**
 * A reconcile pass reports on the generation it read. A change that lands while a pass runs (a build's
 * new release, a scale from another request) must not be reported as converged by that pass: seen in CI
 * as a deploy that polled "converged, phase stopped" right after its release was created.
 */
describe('reconciler status under concurrent changes', () => {
  let api: TestApi;
  let owner: Session;

  beforeAll(async () => {
    await ensureRuntimeImage();
    // No loops: the test runs each pass itself.
    api = await startTestApi({ runWorkers: false });
    owner = await signupOwner(api, 'status');
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    await cleanupTestRun();
  }, 120_000);

  const status = async () =>
    (await api.http.get('/v1/apps/racing/status').set(owner.auth).expect(200)).body as {
      phase: string;
      converged: boolean;
      generation: number;
      observedGeneration: number;
    };

  it('does not mark a generation observed that changed while the pass ran', async () => {
    const created = await api.http
      .post('/v1/apps')
      .set(owner.auth)
      .send({ name: 'racing', replicas: 0 })
      .expect(201);
    const appId = created.body.id as string;
    const reconciler = api.app.get(Reconciler);
    const balancers = api.app.get(LoadBalancerManager);

    // The last step of a pass before it reports; the scale lands exactly while the pass runs.
    const reconcileBalancer = balancers.reconcile.bind(balancers);
    balancers.reconcile = async (input) => {
      balancers.reconcile = reconcileBalancer;
      await api.http.patch('/v1/apps/racing').set(owner.auth).send({ replicas: 2 }).expect(202);
      return reconcileBalancer(input);
    };
    const before = await status();
    await reconciler.reconcileApp(appId);
    const during = await status();
    expect(during.generation).toBe(before.generation + 1);
    expect(during).toMatchObject({ phase: 'converging', converged: false });
    expect(during.observedGeneration).toBeLessThan(during.generation);

    // The next pass acts on the scale (no release yet: nothing to run) and reports it.
    await reconciler.reconcileApp(appId);
    expect(await status()).toMatchObject({
      phase: 'stopped',
      converged: true,
      observedGeneration: during.generation,
    });
  });
});
