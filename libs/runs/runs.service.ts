import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { type App, AppsService, QuotaService, type Release, ReleasesService } from '../apps/index.js';
import { AuditService } from '../audit/index.js';
import { problems } from '../errors/index.js';
import { actorOf, type Principal } from '../identity/index.js';
import { TenantPlanRepository } from '../plans/index.js';
import { ACTIVE_RUN_STATES, type OneOffRun, type RunPurpose } from './one-off-run.entity.js';
import { RunExecutor } from './run-executor.js';
import { type RunOutputEntry, RunOutputStore } from './run-output.store.js';
import { RunsRepository } from './runs.repository.js';

/** A run without `timeoutSeconds` is killed after this long. */
export const DEFAULT_RUN_TIMEOUT_SECONDS = 600;
/** No run lasts longer, whatever it asks for. */
export const MAX_RUN_TIMEOUT_SECONDS = 3600;
/** Lines of output a run's view carries (the rest: the output page). */
export const RUN_VIEW_TAIL_LINES = 20;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface StartRunInput {
  command: string[] | string;
  timeoutSeconds?: number;
}

/**
 * One-off runs of an app's current release (`POST /v1/apps/{app}/runs`) and the release phase's command:
 * access first (the caller's app), then the quota under the tenant's lock (a run is one more container at
 * its release's size), then the row, then the container (RunExecutor, in this process).
 */
@Injectable()
export class RunsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly apps: AppsService,
    private readonly releases: ReleasesService,
    private readonly quota: QuotaService,
    private readonly tenantPlans: TenantPlanRepository,
    private readonly audit: AuditService,
    private readonly runs: RunsRepository,
    private readonly output: RunOutputStore,
    private readonly executor: RunExecutor,
  ) {}

  /** 409 no_release before the app's first release; 403 quota_exceeded beyond the memory cap. */
  async start(principal: Principal, appName: string, input: StartRunInput): Promise<OneOffRun> {
    const app = await this.apps.get(principal, appName);
    const release = await this.releases.byId(app.currentReleaseId);
    if (!release?.image) throw problems.conflict('no_release', `App '${app.name}' has no release to run yet`);
    const { run } = await this.launch(app, release, {
      purpose: 'run',
      command: argvOf(input.command),
      timeoutSeconds: input.timeoutSeconds ?? DEFAULT_RUN_TIMEOUT_SECONDS,
      actor: actorOf(principal),
    });
    return run;
  }

  /**
   * Inserts the run (quota checked under the tenant's lock) and starts supervising it. `ended` resolves
   * with the finished row. Also the release phase's way in (purpose `release`).
   */
  async launch(
    app: App,
    release: Release,
    options: { purpose: RunPurpose; command: string[]; timeoutSeconds: number; actor: string },
  ): Promise<{ run: OneOffRun; ended: Promise<OneOffRun> }> {
    const timeoutSeconds = Math.min(Math.max(1, Math.floor(options.timeoutSeconds)), MAX_RUN_TIMEOUT_SECONDS);
    const run = await this.dataSource.transaction(async (manager) => {
      await this.quota.lockTenant(manager, app.tenantId);
      await this.quota.assertCanRun(app.tenantId, release.memoryMb, manager);
      const planId = await this.tenantPlans.planIdOf(app.tenantId, manager);
      const inserted = await this.runs.insert(manager, {
        tenantId: app.tenantId,
        appId: app.id,
        releaseId: release.id,
        releaseVersion: release.version,
        purpose: options.purpose,
        command: options.command,
        timeoutSeconds,
        memoryMb: release.memoryMb,
        cpuMillis: release.cpuMillis,
        planId,
        createdBy: options.actor,
      });
      // The command is not recorded: it may carry secrets.
      await this.audit.record(
        {
          tenantId: app.tenantId,
          actor: options.actor,
          action: options.purpose === 'run' ? 'run.start' : 'release.command',
          target: `app:${app.id}`,
          data: { runId: inserted.id, release: release.version },
        },
        manager,
      );
      return inserted;
    });
    return { run, ended: this.executor.execute(run, app, release) };
  }

  async list(
    principal: Principal,
    appName: string,
    page: { limit: number; cursor?: string },
  ): Promise<{ runs: OneOffRun[]; nextCursor: string | null }> {
    const app = await this.apps.get(principal, appName);
    const before = page.cursor === undefined ? undefined : await this.ofApp(app, page.cursor);
    const runs = await this.runs.listOfApp(app.id, page.limit + 1, before);
    const more = runs.length > page.limit;
    const shown = runs.slice(0, page.limit);
    return { runs: shown, nextCursor: more ? shown[shown.length - 1]!.id : null };
  }

  /** The run with the last lines of its output. */
  async get(
    principal: Principal,
    appName: string,
    runId: string,
  ): Promise<{ run: OneOffRun; tail: RunOutputEntry[] }> {
    const app = await this.apps.get(principal, appName);
    const run = await this.ofApp(app, runId);
    return { run, tail: await this.output.tail(run.id, RUN_VIEW_TAIL_LINES) };
  }

  async outputPage(
    principal: Principal,
    appName: string,
    runId: string,
    page: { after: number; limit: number },
  ): Promise<{ run: OneOffRun; lines: RunOutputEntry[] }> {
    const app = await this.apps.get(principal, appName);
    const run = await this.withOutput(app, runId);
    return { run, lines: await this.output.read(run.id, page.after, page.limit) };
  }

  /** The run of the app whose output is still kept: 410 run_expired once retention deleted it. */
  async withOutput(app: App, runId: string): Promise<OneOffRun> {
    const run = await this.ofApp(app, runId);
    if (run.expiredAt) {
      throw problems.gone(
        'run_expired',
        `Run ${run.id} expired on ${run.expiredAt.toISOString()}: the plan keeps the output of the app's newest finished runs only, and its output was deleted`,
      );
    }
    return run;
  }

  /** Kills an active run (its state says `stopped`); an ended run is left as it is. */
  async stop(principal: Principal, appName: string, runId: string): Promise<OneOffRun> {
    const app = await this.apps.get(principal, appName);
    const run = await this.ofApp(app, runId);
    if (await this.runs.markStopped(run.id, `stopped by ${actorOf(principal)}`)) {
      await this.audit.record({
        tenantId: app.tenantId,
        actor: actorOf(principal),
        action: 'run.stop',
        target: `app:${app.id}`,
        data: { runId: run.id },
      });
      await this.executor.kill(run);
    }
    return (await this.runs.byId(run.id))!;
  }

  /** Stops every active run of a deleted app (their containers are killed, wherever they run). */
  async stopAllOfApp(appId: string): Promise<void> {
    for (const run of await this.runs.activeOfApp(appId)) {
      if (await this.runs.markStopped(run.id, 'app deleted')) await this.executor.kill(run);
    }
  }

  /** The run of the app (404 otherwise), for the WebSocket edge which authorizes the app itself. */
  async ofApp(app: App, runId: string): Promise<OneOffRun> {
    const run = UUID.test(runId) ? await this.runs.findOfApp(app.id, runId) : null;
    if (!run) throw problems.notFound('run', runId.slice(0, 40));
    return run;
  }

  /** The run's output after `after`, live until the run ends. */
  async *follow(run: OneOffRun, after: number, signal: AbortSignal): AsyncGenerator<RunOutputEntry> {
    let cursor = after;
    let wake: () => void = () => undefined;
    const unsubscribe = this.output.subscribe(run.id, () => wake());
    const onAbort = () => wake();
    signal.addEventListener('abort', onAbort);
    try {
      while (!signal.aborted) {
        const lines = await this.output.read(run.id, cursor);
        for (const line of lines) {
          cursor = line.seq;
          yield line;
        }
        if (lines.length > 0) continue;
        const current = await this.runs.byId(run.id);
        // Ended once its supervisor stored its end (a stopped run's output may still be arriving before).
        if (!current || (!ACTIVE_RUN_STATES.includes(current.state) && current.finishedAt !== null)) {
          for (const line of await this.output.read(run.id, cursor)) yield line;
          return;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 1000);
        });
      }
    } finally {
      unsubscribe();
      signal.removeEventListener('abort', onAbort);
    }
  }

  byId(id: string): Promise<OneOffRun | null> {
    return this.runs.byId(id);
  }
}

/** A string is a shell command line (`sh -c`); an array is the argv itself. */
export function argvOf(command: string[] | string): string[] {
  return typeof command === 'string' ? ['sh', '-c', command] : [...command];
}
