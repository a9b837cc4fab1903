import { EventEmitter } from 'node:events';
import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { NotificationChannel } from '../db/index.js';

/** The PostgreSQL channel app changes travel on between processes; the payload is the app id. */
export const APP_CHANGES_CHANNEL = 'berth_app_changes';

/**
 * Signal that an app's desired state changed, so the reconciler (which depends on the apps domain, not the
 * other way round), load balancers and log watchers act at once instead of at their next interval, in
 * every process sharing the database: PostgreSQL LISTEN/NOTIFY on one connection per process.
 *
 * `notify(appId)` tells this process's listeners at once and the other processes through PostgreSQL.
 * `notify(appId, manager)` sends the NOTIFY inside the caller's transaction: PostgreSQL delivers it on
 * commit only, to every process, this one included (through its own LISTEN), so a rolled-back change
 * wakes nobody and no listener reads the database before the change is visible.
 */
@Injectable()
export class AppChanges implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('AppChanges');
  private readonly emitter = new EventEmitter();
  private readonly channel: NotificationChannel;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.emitter.setMaxListeners(0);
    this.channel = new NotificationChannel({
      channel: APP_CHANGES_CHANNEL,
      dataSource,
      // Our own non-transactional sends were already heard here when they were sent.
      onMessage: ({ payload, ownEcho }) => {
        if (!ownEcho) this.emitter.emit('changed', payload);
      },
    });
  }

  async onModuleInit(): Promise<void> {
    // Tools that only read decorators (OpenAPI) build the app without a database.
    if (this.dataSource.isInitialized) await this.channel.open();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.channel.close();
  }

  notify(appId: string, transaction?: EntityManager): Promise<void> {
    if (transaction) {
      return transaction
        .query('SELECT pg_notify($1, $2)', [APP_CHANGES_CHANNEL, appId])
        .then(() => undefined);
    }
    this.emitter.emit('changed', appId);
    if (!this.dataSource.isInitialized) return Promise.resolve();
    // The change is committed already; another process missing this hears of it at its next interval.
    return this.channel
      .send(appId)
      .catch((error: Error) =>
        this.logger.warn(`app ${appId}: change not sent to other processes: ${error.message}`),
      );
  }

  onChange(listener: (appId: string) => void): () => void {
    this.emitter.on('changed', listener);
    return () => this.emitter.off('changed', listener);
  }
}
