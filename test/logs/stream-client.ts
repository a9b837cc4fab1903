import WebSocket from 'ws';

export interface StreamLine {
  timestamp: string;
  replica: string;
  containerId: string;
  stream: 'stdout' | 'stderr' | 'system';
  text: string;
  cursor: string;
}

export type StreamMessage =
  | { type: 'connected'; app: string; resumedFrom: string | null; heartbeatMs?: number; build?: string }
  | { type: 'lines'; lines: StreamLine[] }
  | { type: 'dropped'; count: number | null }
  | { type: 'error'; status: number; code: string; detail: string }
  | { type: 'end'; status: string };

/** A WebSocket log-stream client for tests: records every message and the close. */
export class StreamClient {
  readonly messages: StreamMessage[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private listeners: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        this.notify();
      });
    });
    ws.on('message', (data) => {
      this.messages.push(JSON.parse(data.toString()) as StreamMessage);
      this.notify();
    });
    ws.on('error', () => undefined);
  }

  static open(url: string, options: WebSocket.ClientOptions = {}): StreamClient {
    return new StreamClient(new WebSocket(url, options));
  }

  /** Every line received so far, in arrival order. */
  lines(): StreamLine[] {
    return this.messages.flatMap((m) => (m.type === 'lines' ? m.lines : []));
  }

  dropped(): { count: number | null }[] {
    return this.messages.flatMap((m) => (m.type === 'dropped' ? [{ count: m.count }] : []));
  }

  /** Resolves once `check` returns something other than undefined/false (checked on every message). */
  async until<T>(what: string, check: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = check();
      if (value !== undefined && value !== false) return value;
      const left = deadline - Date.now();
      if (left <= 0) {
        const last = this.lines()
          .slice(-3)
          .map((l) => l.text);
        throw new Error(`timed out waiting for ${what} (${this.messages.length} messages; last: ${last})`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250));
        this.listeners.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  connected(timeoutMs = 10_000): Promise<StreamMessage> {
    return this.until('connected', () => this.messages.find((m) => m.type === 'connected'), timeoutMs);
  }

  close(): Promise<{ code: number; reason: string }> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.close(1000);
    }
    return this.closed;
  }

  private notify(): void {
    const listeners = this.listeners;
    this.listeners = [];
    for (const listener of listeners) listener();
  }
}

export function wsUrl(httpUrl: string, path: string): string {
  return httpUrl.replace(/^http/, 'ws') + path;
}
