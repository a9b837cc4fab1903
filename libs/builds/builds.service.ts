import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import {
  AppsService,
  IdempotencyService,
  RELEASE_SCRIPT,
  requestFingerprint,
  QuotaService,
} from '../apps/index.js';
import { tenantIdOf, actorOf, type Principal } from '../identity/index.js';
import { TenantPlanRepository } from '../plans/index.js';
import { AuditService } from '../audit/index.js';
import { BERTH_CONFIG, type BerthConfig } from '../config/index.js';
import { ProblemError, problems } from '../errors/index.js';
import { inspectSourceArchive, normalizedArchiveStream } from './archive-intake.js';
import { buildAllotmentOf } from './build-containment.js';
import type { BlobStore } from './blob-store.js';
import { BLOB_STORE } from './builds-storage.module.js';
import { BuildLogStore, type BuildLogEntry } from './build-log.store.js';
import { BuildRunner } from './build-runner.js';
import type { Build } from './build.entity.js';
import { BuildsRepository } from './builds.repository.js';
import { spoolUpload } from './upload-spool.js';

const MB = 1024 * 1024;
/** How long a build slot stays reserved for an upload whose process died before it finished. */
export const UPLOAD_HOLD_SECONDS = 15 * 60;
/** Upper bounds for what an upload may expand to, whatever the plan: a bomb is stopped here. */
export const MAX_ENTRIES = 20_000;
export function maxExpandedBytes(maxUploadMb: number): number {
  return Math.min(2048 * MB, Math.max(256 * MB, maxUploadMb * MB * 20));
}

@Injectable()
export class BuildsService {
  constructor(
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly builds: BuildsRepository,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    private readonly apps: AppsService,
    private readonly quota: QuotaService,
    private readonly tenantPlans: TenantPlanRepository,
    private readonly idempotency: IdempotencyService,
    private readonly audit: AuditService,
    private readonly logs: BuildLogStore,
    private readonly runner: BuildRunner,
  ) {}

  /**
   * Takes an uploaded archive: finds the app and reserves one of the tenant's build slots under the tenant
   * lock before a byte is read (so parallel uploads cannot all pass the concurrent-builds check), spools
   * the body under the plan's size limit, validates every entry before anything is stored, stores the
   * normalized sources and turns the reserved slot into a queued build. A refused upload frees its slot.
   */
  async upload(
    principal: Principal,
    appName: string,
    input: { body: Readable; idempotencyKey?: string },
  ): Promise<{ build: Build; replayed: boolean }> {
    const tenantId = tenantIdOf(principal);
    const app = await this.apps.get(principal, appName);
    const key = `sources/${tenantId}/${app.id}/${crypto.randomUUID()}.tar.gz`;
    const { plan, slotId } = await this.dataSource.transaction(async (manager) => {
      await this.quota.lockTenant(manager, tenantId);
      await this.quota.assertCanBuild(tenantId, manager);
      const plan = await this.tenantPlans.planOf(tenantId, manager);
      const slotId = await this.builds.reserveSlot(
        manager,
        {
          appId: app.id,
          tenantId,
          sourceKey: key,
          timeoutSeconds: plan.buildTimeoutSeconds,
          // The plan's build allotment, not its replica size; what the runner gives the build and meters.
          ...buildAllotmentOf(plan),
        },
        UPLOAD_HOLD_SECONDS,
      );
      return { plan, slotId };
    });
    let spooled: Awaited<ReturnType<typeof spoolUpload>> | undefined;
    let queued = false;
    try {
      spooled = await spoolUpload({
        source: input.body,
        dir: path.join(this.config.dataDir, 'uploads'),
        maxBytes: plan.maxUploadMb * MB,
      });
      const upload = spooled;
      const accept = async () => {
        const archive = await inspectSourceArchive({
          file: upload.file,
          limits: { maxEntries: MAX_ENTRIES, maxExpandedBytes: maxExpandedBytes(plan.maxUploadMb) },
        });
        const stored = await this.blobs.put(key, normalizedArchiveStream({ file: upload.file, archive }));
        const build = await this.dataSource.transaction(async (manager) => {
          const stillReserved = await this.builds.queueReserved(manager, slotId, {
            sourceSha256: upload.sha256,
            sourceBytes: String(stored.bytes),
            manifest: {
              hasLockfile: archive.hasLockfile,
              start: archive.start,
              enginesNode: archive.packageJson.engines?.node,
              releaseScript: !!archive.packageJson.scripts?.[RELEASE_SCRIPT]?.trim(),
              format: archive.format,
              entries: archive.entries,
              expandedBytes: archive.expandedBytes,
            },
          });
          if (!stillReserved) {
            throw new ProblemError(
              408,
              'upload_expired',
              'Request timeout',
              `The upload took longer than ${UPLOAD_HOLD_SECONDS} s; its build slot was freed: upload again`,
            );
          }
          const saved = await this.builds.byId(slotId, manager);
          await this.audit.record(
            {
              tenantId,
              actor: actorOf(principal),
              action: 'build.create',
              target: `build:${saved.id}`,
              data: { app: app.name, bytes: upload.bytes },
            },
            manager,
          );
          return saved;
        });
        queued = true;
        await this.logs.append(build.id, [
          `[berth] received ${archive.format} (${upload.bytes} bytes, ${archive.entries} entries); build queued`,
        ]);
        this.runner.poke();
        return { status: 202, body: { buildId: build.id } };
      };
      if (!input.idempotencyKey) {
        const result = await accept();
        return { build: await this.byId((result.body as { buildId: string }).buildId), replayed: false };
      }
      const result = await this.idempotency.run(
        {
          tenantId,
          key: input.idempotencyKey,
          fingerprint: requestFingerprint(['build', app.id, upload.sha256]),
        },
        accept,
      );
      // A replay answers with the earlier build: the slot reserved for this request is not needed.
      if (result.replayed) await this.builds.releaseSlot(slotId);
      return {
        build: await this.byId((result.body as { buildId: string }).buildId),
        replayed: result.replayed,
      };
    } catch (err) {
      if (!queued) {
        await this.builds.releaseSlot(slotId);
        // The sources may be stored already (e.g. the slot lapsed meanwhile): nothing else refers to them.
        await this.blobs.delete(key).catch(() => undefined);
      }
      throw err;
    } finally {
      if (spooled) await fs.rm(spooled.file, { force: true });
    }
  }

  async list(principal: Principal, appName: string, limit = 50): Promise<Build[]> {
    const app = await this.apps.get(principal, appName);
    return this.builds.listOfApp(app.id, Math.min(limit, 200));
  }

  /** The caller's build of the named app; anything else is "not found". */
  async get(principal: Principal, appName: string, buildId: string): Promise<Build> {
    const app = await this.apps.get(principal, appName);
    const build = await this.builds.findOfApp(app.id, buildId);
    if (!build) throw problems.notFound('build', buildId);
    return build;
  }

  async cancel(principal: Principal, appName: string, buildId: string): Promise<Build> {
    const build = await this.get(principal, appName, buildId);
    if (build.status === 'queued') {
      await this.builds.cancelQueued(build.id);
      await this.logs.append(build.id, ['[berth] build cancelled before it started']);
      this.logs.finish(build.id);
    } else if (build.status === 'running') {
      await this.builds.requestCancel(build.id);
    } else {
      throw new ProblemError(409, 'build_finished', 'Conflict', `Build ${build.id} already ${build.status}`);
    }
    await this.audit.record({
      tenantId: build.tenantId,
      actor: actorOf(principal),
      action: 'build.cancel',
      target: `build:${build.id}`,
    });
    return this.byId(build.id);
  }

  async log(
    principal: Principal,
    appName: string,
    buildId: string,
    afterSeq: number,
  ): Promise<{ build: Build; lines: BuildLogEntry[] }> {
    const build = await this.get(principal, appName, buildId);
    if (build.expiredAt) {
      throw problems.gone(
        'build_expired',
        `Build ${build.id} expired on ${build.expiredAt.toISOString()}: the plan keeps the app's newest builds only, and its log and sources were deleted`,
      );
    }
    return { build, lines: await this.logs.read(build.id, afterSeq) };
  }

  /**
   * Follows a build's log: stored lines after `afterSeq`, then new ones as they are written (events in this
   * process, polling for builds run by another process), until the build has finished and all is sent.
   */
  async *follow(build: Build, afterSeq: number, signal: AbortSignal): AsyncGenerator<BuildLogEntry> {
    let cursor = afterSeq;
    let wake: () => void = () => undefined;
    const unsubscribe = this.logs.subscribe(build.id, () => wake());
    const unfinish = this.logs.onFinish(build.id, () => wake());
    signal.addEventListener('abort', () => wake());
    try {
      while (!signal.aborted) {
        const lines = await this.logs.read(build.id, cursor);
        for (const line of lines) {
          cursor = line.seq;
          yield line;
        }
        if (lines.length > 0) continue;
        const current = await this.byId(build.id);
        if (current.status !== 'queued' && current.status !== 'running') {
          const tail = await this.logs.read(build.id, cursor);
          for (const line of tail) yield line;
          return;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 1000);
        });
      }
    } finally {
      unsubscribe();
      unfinish();
    }
  }

  byId(id: string): Promise<Build> {
    return this.builds.byId(id);
  }
}
