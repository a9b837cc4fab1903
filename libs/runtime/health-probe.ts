import http from 'node:http';
import type { HealthCheckSettings } from '../apps/index.js';

/** What one probe found: passed or not, and in words why (kept as the replica's last error when it fails). */
export interface ProbeResult {
  ok: boolean;
  detail: string;
}

/**
 * One HTTP health probe of a replica: `GET check.path` on the replica's own published address and port
 * (the caller passes those from the replica's row, never an address from the tenant), without keep-alive,
 * proxy or redirects. It passes when the status is within the check's range; only the status line and
 * headers are awaited (the body is discarded), and the whole exchange is bounded by `timeoutMs`.
 */
export function probeHttp(
  address: string,
  port: number,
  check: Pick<HealthCheckSettings, 'path' | 'statusMin' | 'statusMax' | 'timeoutMs'>,
): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (result: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      resolve(result);
    };
    const request = http.request(
      {
        host: address,
        port,
        path: check.path,
        method: 'GET',
        agent: false,
        headers: { 'user-agent': 'berth-health-check', connection: 'close' },
      },
      (response) => {
        const status = response.statusCode ?? 0;
        response.resume();
        done(
          status >= check.statusMin && status <= check.statusMax
            ? { ok: true, detail: `GET ${check.path} answered ${status}` }
            : {
                ok: false,
                detail: `GET ${check.path} answered ${status} (expected ${check.statusMin}-${check.statusMax})`,
              },
        );
      },
    );
    const timer = setTimeout(
      () => done({ ok: false, detail: `GET ${check.path} timed out after ${check.timeoutMs} ms` }),
      check.timeoutMs,
    );
    request.once('error', (err) => done({ ok: false, detail: `GET ${check.path} failed: ${err.message}` }));
    request.end();
  });
}
