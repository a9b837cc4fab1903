import WebSocket from 'ws';
import { CliError, ExitCode } from './cli-error.js';
import { say } from './output.js';

export interface LogLine {
  timestamp: string;
  replica: string;
  stream: string;
  text: string;
  cursor: string;
}

/** Close codes after which reconnecting cannot help (docs/logs.md): bad request, forbidden, not found. */
const FINAL_CLOSES = new Map<number, number>([
  [4400, ExitCode.usage],
  [4403, ExitCode.auth],
  [4404, ExitCode.notFound],
]);
const MAX_BACKOFF_MS = 10_000;

export interface FollowOptions {
  apiUrl: string;
  app: string;
  tail: number;
  token: () => Promise<string>;
  onLine: (line: LogLine) => void;
  signal?: AbortSignal;
}

/**
 * Follows the app's live log over the WebSocket. After any drop (a network cut, a restart of the API, an expired
 * token, the stream limit) it reconnects with backoff and `cursor=` of the last line printed, so no line is
 * lost or repeated. Ends on Ctrl-C (the signal) or a refusal that cannot change (4400/4403/4404).
 */
export async function followLogs(options: FollowOptions): Promise<void> {
  let cursor: string | undefined;
  let backoffMs = 500;
  while (!options.signal?.aborted) {
    const query = cursor ? `cursor=${encodeURIComponent(cursor)}` : `tail=${options.tail}`;
    const url = `${options.apiUrl.replace(/^http/, 'ws').replace(/\/+$/, '')}/v1/apps/${encodeURIComponent(options.app)}/log-stream?${query}`;
    const outcome = await streamOnce(url, await options.token(), options, (line) => {
      cursor = line.cursor;
      backoffMs = 500;
    });
    if (options.signal?.aborted) return;
    const final = FINAL_CLOSES.get(outcome.code);
    if (final !== undefined)
      throw new CliError(
        outcome.detail ?? `The log stream was refused (${outcome.code} ${outcome.reason})`,
        final,
      );
    say(
      `log stream closed (${outcome.code}${outcome.reason ? ` ${outcome.reason}` : ''}); reconnecting in ${backoffMs} ms`,
    );
    await new Promise((resolve) => setTimeout(resolve, backoffMs));
    backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
  }
}

interface StreamOutcome {
  code: number;
  reason: string;
  detail?: string;
}

function streamOnce(
  url: string,
  token: string,
  options: FollowOptions,
  onDelivered: (line: LogLine) => void,
): Promise<StreamOutcome> {
  return new Promise((resolve) => {
    let detail: string | undefined;
    const socket = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
    const abort = () => socket.close(1000);
    options.signal?.addEventListener('abort', abort, { once: true });
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as {
        type: string;
        lines?: LogLine[];
        count?: number | null;
        detail?: string;
      };
      if (message.type === 'lines')
        for (const line of message.lines ?? []) {
          options.onLine(line);
          onDelivered(line);
        }
      else if (message.type === 'dropped')
        say(message.count === null ? '(lines may be missing here)' : `(${message.count} lines dropped here)`);
      else if (message.type === 'error') detail = message.detail;
    });
    // 'error' is followed by 'close' (1006) on a dropped connection.
    socket.on('error', () => undefined);
    socket.on('close', (code, reason) => {
      options.signal?.removeEventListener('abort', abort);
      resolve({ code, reason: reason.toString(), detail });
    });
  });
}
