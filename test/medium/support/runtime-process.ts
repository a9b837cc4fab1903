import crypto from 'node:crypto';
import net from 'node:net';
import { Logger, type ModuleMetadata } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import type { DataSource } from 'typeorm';
import { getDataSourceToken } from '@nestjs/typeorm';
import { AppsService, ReleasesService, type App } from '../../../libs/apps/index.js';
import { AuditModule } from '../../../libs/audit/index.js';
import { BuildsModule, type BuildsRepository } from '../../../libs/builds/index.js';
import { ConfigModule, loadConfig, type BerthConfig } from '../../../libs/config/index.js';
import { DatabaseModule } from '../../../libs/db/index.js';
import type { ContainerSpec } from '../../../libs/engine/index.js';
import { FakeEngine } from '../../../libs/engine/testing/index.js';
import { EnginePool, Host, HostsModule } from '../../../libs/hosts/index.js';
import type { Principal } from '../../../libs/identity/index.js';
import { PlansModule } from '../../../libs/plans/index.js';
import { ENTITIES } from '../../../libs/platform/index.js';
import { AppsFacade, Reconciler, RuntimeModule } from '../../../libs/runtime/index.js';

/**
 * A fake Docker host whose containers "listen": each container's published port is a loopback listener
 * opened here, so the reconciler's real readiness probe finds its replicas ready. Everything else (state,
 * events, injected failures, crashes and OOM kills) is FakeEngine's.
 */
export class ListeningFakeEngine extends FakeEngine {
  private readonly listeners: net.Server[] = [];

  override async createContainer(spec: ContainerSpec): Promise<{ id: string }> {
    if (!spec.publish) return super.createContainer(spec);
    const hostPort = await this.listen();
    return super.createContainer({ ...spec, publish: { ...spec.publish, hostPort } });
  }

  async close(): Promise<void> {
    await Promise.all(this.listeners.map((s) => new Promise((resolve) => s.close(resolve))));
  }

  private listen(): Promise<number> {
    const server = net.createServer((socket) => socket.end('ok'));
    this.listeners.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
    });
  }
}

/** The fake engines of a test, by host endpoint: shared by every "process" the test starts. */
export type FakeHosts = Map<string, FakeEngine>;

/**
 * One Berth process's runtime (reconciler, replica lifecycle, apps and builds services) on this run's
 * PostgreSQL, with EnginePool handing out the test's fake engines instead of Docker clients. Two of them on
 * the same database and engines are two processes, e.g. one before and one after a restart.
 */
export interface RuntimeProcess {
  module: TestingModule;
  dataSource: DataSource;
  reconciler: Reconciler;
  apps: AppsService;
  facade: AppsFacade;
  releases: ReleasesService;
  close(): Promise<void>;
}

export async function startRuntimeProcess(
  engines: FakeHosts,
  overrides: Partial<BerthConfig> = {},
  /** More modules of the same process (e.g. the metrics sampler). */
  extraImports: ModuleMetadata['imports'] = [],
): Promise<RuntimeProcess> {
  Logger.overrideLogger(process.env.LOG_LEVEL === 'debug' ? ['log', 'warn', 'error'] : false);
  const config: BerthConfig = {
    ...loadConfig({ ...process.env, BERTH_DATA_DIR: '.data/test-medium', BERTH_RUN_WORKERS: 'false' }),
    localDockerSocket: '',
    drainDelayMs: 0,
    ...overrides,
  };
  class FakeEnginePool extends EnginePool {
    override connect(options: { endpoint: string }): FakeEngine {
      const engine = engines.get(options.endpoint);
      if (!engine) throw new Error(`no fake engine at ${options.endpoint}`);
      return engine;
    }
  }
  const module = await Test.createTestingModule({
    imports: [
      ConfigModule.forRoot(config),
      DatabaseModule.forRoot({ url: process.env.DATABASE_URL!, entities: ENTITIES }),
      AuditModule,
      PlansModule,
      HostsModule,
      BuildsModule,
      RuntimeModule,
      ...extraImports,
    ],
  })
    .overrideProvider(EnginePool)
    .useClass(FakeEnginePool)
    .compile();
  await module.init();
  return {
    module,
    dataSource: module.get<DataSource>(getDataSourceToken()),
    reconciler: module.get(Reconciler),
    apps: module.get(AppsService),
    facade: module.get(AppsFacade),
    releases: module.get(ReleasesService),
    close: () => module.close(),
  };
}

/** A tenant of its own on `planId` and a member principal acting for it. */
export async function newTenant(dataSource: DataSource, planId = 'hobby'): Promise<Principal> {
  const [tenant]: { id: string }[] = await dataSource.query(
    `INSERT INTO tenants (name, plan_id) VALUES ($1, $2) RETURNING id`,
    [`medium-${crypto.randomBytes(4).toString('hex')}`, planId],
  );
  return {
    kind: 'user',
    id: crypto.randomUUID(),
    tenantId: tenant!.id,
    role: 'owner',
    platform: false,
    operator: false,
    permissions: new Set(),
  };
}

/** A ready host registered at a fake endpoint, its engine added to `engines`. */
export async function newHost<E extends FakeEngine = ListeningFakeEngine>(
  dataSource: DataSource,
  engines: FakeHosts,
  engine: E = new ListeningFakeEngine() as FakeEngine as E,
): Promise<E> {
  const name = `fake-${crypto.randomBytes(4).toString('hex')}`;
  engines.set(`fake://${name}`, engine);
  await dataSource.getRepository(Host).save({
    name,
    endpoint: `fake://${name}`,
    status: 'ready',
    adminStatus: 'ready',
    memoryMb: 16_384,
    publicAddress: '127.0.0.1',
  });
  return engine;
}

/** An app of `replicas` replicas whose current release runs `image` (present on every engine given). */
export async function deployedApp(
  process: RuntimeProcess,
  principal: Principal,
  options: { name: string; replicas: number; engines: FakeEngine[] },
): Promise<App> {
  const image = `berth-app-medium:${crypto.randomBytes(4).toString('hex')}`;
  for (const engine of options.engines) engine.addImage({ ref: image });
  const app = await process.apps.create(principal, { name: options.name, replicas: options.replicas });
  await process.dataSource.transaction((manager) =>
    process.releases.createFromBuild(manager, app, { id: crypto.randomUUID(), image }, 'test:medium'),
  );
  return process.apps.get(principal, options.name);
}

/** Runs reconcile passes until `done` holds (at most `maxPasses`); returns how many it took. */
export async function reconcileUntil(
  process: RuntimeProcess,
  done: () => Promise<boolean>,
  maxPasses = 10,
): Promise<number> {
  for (let pass = 1; pass <= maxPasses; pass += 1) {
    await process.reconciler.reconcileAll();
    if (await done()) return pass;
  }
  throw new Error(`not converged after ${maxPasses} passes`);
}

/** Empties the tables a runtime test writes, so each test's reconciler sees only its own hosts and apps. */
export async function resetRuntimeTables(dataSource: DataSource): Promise<void> {
  await dataSource.query(
    `TRUNCATE replica_samples, replica_runs, replicas, releases, app_domains, log_drains, app_log_lines, app_log_watermarks, app_log_days, apps, hosts, build_log_lines, builds, audit_events`,
  );
}

/** What BuildsRepository.insertQueued takes for a build of `tenantId`: a made-up source, the smallest sizes. */
export function queuedBuildInput(
  tenantId: string,
  index = 0,
): Parameters<BuildsRepository['insertQueued']>[1] {
  return {
    appId: crypto.randomUUID(),
    tenantId,
    sourceKey: `sources/${tenantId}/${index}.tar.gz`,
    sourceSha256: 'x'.repeat(64),
    sourceBytes: '1',
    manifest: {},
    timeoutSeconds: 60,
    memoryMb: 128,
    cpuMillis: 250,
  };
}
