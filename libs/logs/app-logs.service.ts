import { Inject, Injectable } from '@nestjs/common';
import { AppsService } from '../apps/index.js';
import { tenantIdOf, actorOf, type Principal } from '../identity/index.js';
import { AuditService } from '../audit/index.js';
import { AppLogReader } from './app-log-reader.js';
import { type AppLogEntryWithoutSeq, cursorOf } from './log-entry.js';
import { checkedLogFilter } from './log-filter.js';
import { fillPage, MAX_PAGE_BYTES } from './log-page.js';
import type { LogFilter } from './log-merge.js';
import { LogSessionTokens } from './log-session-tokens.js';

/** Lines of a JSON page when `tail` is not given. */
export const DEFAULT_PAGE_LINES = 1000;
/** What a read without since, after or tail returns: the last lines, as `heroku logs` does. */
export const DEFAULT_TAIL = 100;

export interface LogPage {
  lines: AppLogEntryWithoutSeq[];
  /** Read on (newer lines) with `after=nextCursor`; null when nothing was read and no cursor was given. */
  nextCursor: string | null;
  /** More lines matched than the page holds (its line limit, or MAX_PAGE_BYTES even for a tail): read on. */
  hasMore: boolean;
  /** Replicas whose host could not be read: their lines are missing. */
  unavailableReplicas: string[];
}

/** An app's log read, checked (app and filter) before anything is sent. */
export interface AppLogRead {
  /** One JSON page: the last `tail` lines, or the first `limit` after since/after; at most MAX_PAGE_BYTES. */
  page(limit?: number): Promise<LogPage>;
  /** Every matching line, in time order (NDJSON). */
  stream(signal: AbortSignal): AsyncGenerator<AppLogEntryWithoutSeq>;
}

export interface LogSession {
  token: string;
  expiresAt: Date;
  appId: string;
}

/** REST side of app logs: merged reads and log-session tokens. Tenant checked first: another's app is 404. */
@Injectable()
export class AppLogsService {
  constructor(
    private readonly apps: AppsService,
    private readonly reader: AppLogReader,
    private readonly audit: AuditService,
    @Inject(LogSessionTokens) private readonly tokens: LogSessionTokens,
  ) {}

  async open(principal: Principal, appName: string, filter: LogFilter): Promise<AppLogRead> {
    const app = await this.apps.get(principal, appName);
    const checked = checkedLogFilter(filter);
    if (checked.since === undefined && checked.after === undefined && checked.tail === undefined) {
      checked.tail = DEFAULT_TAIL;
    }
    const reader = this.reader;
    return {
      async page(limit = DEFAULT_PAGE_LINES): Promise<LogPage> {
        const unavailable: string[] = [];
        const controller = new AbortController();
        const read = reader.read(app.id, checked, {
          signal: controller.signal,
          onUnavailable: (replica) => unavailable.push(replica),
        });
        const { lines, hasMore } = await fillPage(read, {
          maxLines: checked.tail === undefined ? limit : Infinity,
          maxBytes: MAX_PAGE_BYTES,
        });
        controller.abort();
        const last = lines.at(-1);
        return {
          lines,
          nextCursor: last ? cursorOf(last) : (checked.after ?? null),
          hasMore,
          unavailableReplicas: unavailable,
        };
      },
      stream(signal: AbortSignal) {
        return reader.read(app.id, checked, { signal });
      },
    };
  }

  /** A short-lived token that opens this app's log stream (for browsers, which cannot send headers). */
  async createSession(principal: Principal, appName: string): Promise<LogSession> {
    const tenantId = tenantIdOf(principal);
    const app = await this.apps.get(principal, appName);
    const actor = actorOf(principal);
    const { token, expiresAt } = this.tokens.issue({ tenantId, appId: app.id, actor });
    // Never the token: who opened a session on which app, and until when.
    await this.audit.record({
      tenantId,
      actor,
      action: 'logs.session',
      target: `app:${app.id}`,
      data: { expiresAt: expiresAt.toISOString() },
    });
    return { token, expiresAt, appId: app.id };
  }
}
