import { Logger } from '@nestjs/common';
import pg from 'pg';
import type { DataSource } from 'typeorm';

/** The first reconnect waits this long; each failure doubles it up to the maximum. */
const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 10_000;

export interface ChannelMessage {
  payload: string;
  /** True when this process sent it over this channel's own connection (it already heard it locally). */
  ownEcho: boolean;
}

/**
 * One PostgreSQL LISTEN channel on a connection of its own (a pooled connection cannot hold a LISTEN:
 * the pool hands it to other queries). Reconnects with exponential backoff after any error and listens
 * again; notifications sent while it was away are lost (PostgreSQL does not queue them for a session
 * that is gone), so users keep a periodic pass as the safety net.
 */
export class NotificationChannel {
  private readonly logger: Logger;
  private client: pg.Client | undefined;
  /** Backend pid of `client`: PostgreSQL tags each notification with its sender's pid. */
  private backendPid: number | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectDelayMs = RECONNECT_MIN_MS;
  private closed = false;
  /** Sends on the channel's connection go one at a time (pg deprecates overlapping queries on a client). */
  private sending: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly options: {
      channel: string;
      dataSource: DataSource;
      onMessage: (message: ChannelMessage) => void;
      /** Called after a reconnect (not the first connect): notifications may have been missed. */
      onReconnect?: () => void;
    },
  ) {
    if (!/^[a-z_][a-z0-9_]*$/.test(options.channel)) throw new Error(`bad channel name ${options.channel}`);
    this.logger = new Logger(`NotificationChannel(${options.channel})`);
  }

  /** True while LISTEN is in place. */
  get listening(): boolean {
    return this.backendPid !== undefined;
  }

  /** The PostgreSQL backend pid of the listening session (undefined while away). */
  get sessionPid(): number | undefined {
    return this.backendPid;
  }

  /** Connects and listens; a failure is logged and retried in the background (never thrown). */
  async open(): Promise<void> {
    await this.connect(false);
  }

  /**
   * Sends `payload` on the channel. Over the channel's own connection when it is up (so the echo is
   * recognised as this process's), else over the pool.
   */
  async send(payload: string): Promise<void> {
    const client = this.listening ? this.client : undefined;
    if (client) {
      const sent = this.sending.then(() =>
        client.query('SELECT pg_notify($1, $2)', [this.options.channel, payload]),
      );
      this.sending = sent.catch(() => undefined);
      try {
        await sent;
        return;
      } catch {
        // The connection broke under us: the pool is the way out, and the error handler reconnects.
      }
    }
    await this.options.dataSource.query('SELECT pg_notify($1, $2)', [this.options.channel, payload]);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    this.backendPid = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(reconnect: boolean): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client(connectionConfig(this.options.dataSource));
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    client.on('notification', (message) => {
      if (message.channel !== this.options.channel || message.payload === undefined) return;
      this.options.onMessage({ payload: message.payload, ownEcho: message.processId === this.backendPid });
    });
    this.client = client;
    try {
      await client.connect();
      const [row] = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows;
      await client.query(`LISTEN ${this.options.channel}`);
      if (this.client !== client) return; // closed or replaced meanwhile
      this.backendPid = row.pid;
      this.reconnectDelayMs = RECONNECT_MIN_MS;
      if (reconnect) {
        this.logger.log('listening again');
        this.options.onReconnect?.();
      }
    } catch (error) {
      this.lost(client, error as Error);
    }
  }

  private lost(client: pg.Client, error: Error): void {
    if (this.client !== client) return; // an old connection's late event
    this.client = undefined;
    this.backendPid = undefined;
    client.end().catch(() => undefined);
    if (this.closed) return;
    const delay = this.reconnectDelayMs;
    this.reconnectDelayMs = Math.min(RECONNECT_MAX_MS, delay * 2);
    this.logger.warn(`connection lost (${error.message}); listening again in ${delay} ms`);
    // connect() handles a failed connection itself; what reaches this catch is a client that could not
    // even be made (a process tearing down): a rejection nobody awaits would end the process.
    this.reconnectTimer = setTimeout(() => this.connect(true).catch(() => undefined), delay);
    this.reconnectTimer.unref();
  }
}

/** The DataSource's own connection settings, for a connection outside its pool. */
function connectionConfig(dataSource: DataSource): pg.ClientConfig {
  const options = dataSource.options as {
    url?: string;
    host?: string;
    port?: number;
    username?: string;
    password?: string;
    database?: string;
    ssl?: pg.ClientConfig['ssl'];
  };
  const common: pg.ClientConfig = { application_name: 'berth-notifications', keepAlive: true };
  if (options.ssl !== undefined) common.ssl = options.ssl;
  if (options.url) return { connectionString: options.url, ...common };
  return {
    host: options.host,
    port: options.port,
    user: options.username,
    password: options.password,
    database: options.database,
    ...common,
  };
}
