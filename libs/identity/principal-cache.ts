import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { BERTH_CONFIG, type BerthConfig } from '../config/index.js';
import { NotificationChannel } from '../db/index.js';
import type { Principal } from './permissions.js';

/** Sent by the triggers of migration PrincipalChanges on every commit that can change a principal. */
export const PRINCIPAL_CHANGES_CHANNEL = 'berth_principal_changes';

/** Past this many bearers the oldest entries go first (a flood of distinct keys cannot grow it further). */
const MAX_ENTRIES = 10_000;

interface Entry {
  principal: Principal;
  expiresAt: number;
}

/**
 * Principals by bearer for `ttlMs`. `forget()` drops them all and also makes every lookup that was
 * already reading the database when it was called not store its answer (it may predate the change).
 */
export class PrincipalMemo {
  private readonly entries = new Map<string, Entry>();
  private generation = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  async lookup(
    key: string,
    load: () => Promise<Principal | undefined>,
    enabled = true,
  ): Promise<Principal | undefined> {
    if (!enabled || this.ttlMs <= 0) return load();
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt > this.clock()) return hit.principal;
    if (hit) this.entries.delete(key);
    const generation = this.generation;
    const principal = await load();
    // Refusals are not kept: a key created a moment later must work at once.
    if (principal && generation === this.generation) {
      if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(key, { principal, expiresAt: this.clock() + this.ttlMs });
    }
    return principal;
  }

  forget(): void {
    this.generation++;
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * Keeps authenticated principals (user or API key, with role, scopes and tenant standing) for
 * `principalCacheMs` (default 1 s) so a burst of requests with one bearer reads the database once. A
 * revocation still acts on every API process within that bound, and usually within milliseconds: the
 * triggers notify `berth_principal_changes` on commit and each process drops its cache when it hears it.
 * While this process is not listening (connecting, or reconnecting after a lost connection) nothing is
 * served from the cache, and a reconnect drops it, since notifications sent meanwhile are lost.
 */
@Injectable()
export class PrincipalCache implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('PrincipalCache');
  private readonly memo: PrincipalMemo;
  private readonly channel: NotificationChannel;

  constructor(
    @Inject(BERTH_CONFIG) config: BerthConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    this.memo = new PrincipalMemo(config.principalCacheMs);
    this.channel = new NotificationChannel({
      channel: PRINCIPAL_CHANGES_CHANNEL,
      dataSource,
      onMessage: () => this.memo.forget(),
      onReconnect: () => this.memo.forget(),
    });
  }

  async onModuleInit(): Promise<void> {
    // Tools that only read decorators (OpenAPI) build the app without a database.
    if (this.dataSource.isInitialized) await this.channel.open();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.channel.close();
  }

  lookup(key: string, load: () => Promise<Principal | undefined>): Promise<Principal | undefined> {
    return this.memo.lookup(key, load, this.channel.listening);
  }

  /**
   * Called by this process right after it committed a change to a principal, so its own next request sees
   * it even before the notification comes back (other processes hear the notification).
   */
  forget(): void {
    this.memo.forget();
    this.logger.debug('principals forgotten');
  }
}
