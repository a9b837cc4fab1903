import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { DrainCounters } from './drain-forwarder.js';
import { LogDrain } from './drain.entity.js';

/** A drain with what the forwarding process needs to follow its app. */
export interface ForwardedDrain {
  id: string;
  appId: string;
  appName: string;
  url: string;
}

/** Every query of the log_drains table. */
@Injectable()
export class DrainsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private get drains() {
    return this.dataSource.getRepository(LogDrain);
  }

  ofApp(appId: string): Promise<LogDrain[]> {
    return this.drains.find({ where: { appId }, order: { createdAt: 'ASC' } });
  }

  countOfApp(appId: string): Promise<number> {
    return this.drains.count({ where: { appId } });
  }

  oneOfApp(appId: string, id: string): Promise<LogDrain | null> {
    return this.drains.findOne({ where: { appId, id } });
  }

  async insert(drain: LogDrain): Promise<void> {
    await this.drains.insert(drain);
  }

  async remove(id: string): Promise<void> {
    await this.drains.delete({ id });
  }

  /** Drains of apps that exist and are not stopped (a stopped app has no replicas to follow). */
  async forwarded(): Promise<ForwardedDrain[]> {
    const rows: Array<{ id: string; app_id: string; app_name: string; url: string }> =
      await this.dataSource.query(
        `SELECT d.id, d.app_id, a.name AS app_name, d.url
         FROM log_drains d JOIN apps a ON a.id = d.app_id
        WHERE a.desired_state = 'running' AND a.deleting_at IS NULL
        ORDER BY d.created_at`,
      );
    return rows.map((r) => ({ id: r.id, appId: r.app_id, appName: r.app_name, url: r.url }));
  }

  /** Adds what was sent and dropped since the last flush (so counts survive a change of forwarding process). */
  async addCounters(
    id: string,
    delta: { linesSent: number; linesDropped: number },
    latest: Pick<DrainCounters, 'lastError' | 'lastSentAt'>,
  ): Promise<void> {
    await this.dataSource.query(
      `UPDATE log_drains
          SET lines_sent = lines_sent + $2, lines_dropped = lines_dropped + $3,
              last_error = $4, last_sent_at = COALESCE($5, last_sent_at)
        WHERE id = $1`,
      [id, delta.linesSent, delta.linesDropped, latest.lastError, latest.lastSentAt],
    );
  }
}
