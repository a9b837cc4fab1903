import { EventEmitter } from 'node:events';
import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { BERTH_CONFIG, type BerthConfig } from '../config/index.js';
import { NotificationChannel } from '../db/index.js';
import type { AppSummary } from './app-list-rows.js';
import { TenantListMemo, type TenantListMemoCounts } from './tenant-list-memo.js';

/** Sent by the triggers of migration AppListChanges: the tenant id, or '' for every tenant. */
export const APP_LIST_CHANGES_CHANNEL = 'berth_app_list_changes';

/**
 * Each tenant's GET /v1/apps list, kept by this API process until something it shows changes: the triggers
 * of migration AppListChanges notify `berth_app_list_changes` on commit of any such change, whoever makes
 * it, and every process drops that tenant's list when it hears it (`appListCacheMs`, default 2 s, is only
 * the backstop). While this process is not listening (connecting, reconnecting) nothing is served from
 * it, and a reconnect drops everything. Who may read the list is still checked on every request (the route's
 * guard); the list itself is keyed by tenant. A write of this process for a tenant fences that tenant's
 * list (`fence`) so the writer reads its own change at once.
 */
@Injectable()
export class AppListCache implements OnModuleInit, OnApplicationShutdown {
  private readonly memo: TenantListMemo<AppSummary[]>;
  private readonly channel: NotificationChannel;
  /** Hears every change this cache hears: the tenant id, or '' for every tenant (AppWaits waits on it). */
  private readonly changes = new EventEmitter();

  constructor(
    @Inject(BERTH_CONFIG) config: BerthConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    this.memo = new TenantListMemo(config.appListCacheMs);
    this.channel = new NotificationChannel({
      channel: APP_LIST_CHANGES_CHANNEL,
      dataSource,
      onMessage: ({ payload }) => {
        if (payload === '') this.memo.forgetAll();
        else this.memo.forget(payload);
        this.changes.emit('changed', payload);
      },
      onReconnect: () => {
        this.memo.forgetAll();
        this.changes.emit('changed', '');
      },
    });
    this.changes.setMaxListeners(0);
  }

  async onModuleInit(): Promise<void> {
    // Tools that only read decorators (OpenAPI) build the app without a database.
    if (this.dataSource.isInitialized) await this.channel.open();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.channel.close();
  }

  list(tenantId: string, load: () => Promise<AppSummary[]>): Promise<AppSummary[]> {
    return this.memo.lookup(tenantId, load, this.channel.listening);
  }

  /** See TenantListMemo.fence: call the returned function once the write is committed (or failed). */
  fence(tenantId: string): () => void {
    return this.memo.fence(tenantId);
  }

  /** Calls `listener` with the tenant id ('' : every tenant) of each change heard; returns the unsubscribe. */
  onChange(listener: (tenantId: string) => void): () => void {
    this.changes.on('changed', listener);
    return () => this.changes.off('changed', listener);
  }

  counts(): TenantListMemoCounts {
    return this.memo.snapshot();
  }
}
