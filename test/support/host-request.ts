import http from 'node:http';

/**
 * GET `url` with a Host header of our choosing (fetch always sends the URL's own host), over `agent`
 * (keep-alive when the caller passes one). Only ever to 127.0.0.1. Rejects on a network error or after
 * `timeoutMs`.
 */
export function getWithHost(
  url: string,
  host: string,
  options: { agent?: http.Agent; timeoutMs?: number } = {},
): Promise<{ status: number; text: string; headers: http.IncomingHttpHeaders }> {
  const target = new URL(url);
  if (target.hostname !== '127.0.0.1')
    throw new Error(`requests go only to 127.0.0.1, not ${target.hostname}`);
  return new Promise((resolve, reject) => {
    const req = http.request(
      target,
      { headers: { host }, agent: options.agent, timeout: options.timeoutMs ?? 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString(),
            headers: res.headers,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
