import { tarGz } from '../support/archives.js';

/**
 * A dependency-free app (no registry needed to build it) that logs on its own:
 * - `tick <n>` on stdout every 50 ms, and `warn <n>` on stderr every tenth tick (numbered per process, so a
 *   reader can check order, gaps and repeats per replica);
 * - `request <path>` for each HTTP request;
 * - `GET /flood?n=N&tag=T` prints N lines `flood T <i> <epoch ms>` as fast as it can, then answers.
 */
export function tickerApp(): Promise<Buffer> {
  return tarGz([
    {
      name: 'package.json',
      body: JSON.stringify({ name: 'ticker', version: '1.0.0', main: 'server.js' }),
    },
    {
      name: 'server.js',
      body: `const http = require('http');
let tick = 0;
setInterval(() => {
  tick += 1;
  console.log('tick ' + tick);
  if (tick % 10 === 0) console.error('warn ' + tick);
}, 50);
http
  .createServer((req, res) => {
    const url = new URL(req.url, 'http://app');
    if (url.pathname === '/flood') {
      const n = Number(url.searchParams.get('n')) || 0;
      const tag = url.searchParams.get('tag') || 'x';
      const started = Date.now();
      let i = 0;
      const write = () => {
        while (i < n) {
          i += 1;
          const ok = process.stdout.write('flood ' + tag + ' ' + i + ' ' + (performance.timeOrigin + performance.now()).toFixed(3) + '\\n');
          if (!ok) return process.stdout.once('drain', write);
        }
        res.end(JSON.stringify({ lines: n, ms: Date.now() - started }));
      };
      return write();
    }
    console.log('request ' + url.pathname);
    res.end('ok ' + url.pathname + '\\n');
  })
  .listen(Number(process.env.PORT), () => console.log('listening'));
process.on('SIGTERM', () => process.exit(0));
`,
    },
  ]);
}

/** Per (replica, stream), the numbers of `tick <n>` / `warn <n>` lines, in the order given. */
export function numbersByReplica(
  lines: { replica: string; stream: string; text: string }[],
): Map<string, number[]> {
  const numbers = new Map<string, number[]>();
  for (const line of lines) {
    const match = /^(tick|warn) (\d+)$/.exec(line.text);
    if (!match) continue;
    const key = `${line.replica} ${line.stream}`;
    const list = numbers.get(key) ?? [];
    list.push(Number(match[2]));
    numbers.set(key, list);
  }
  return numbers;
}

/** Where consecutive numbers are not n, n+1 (step 10 for warn lines): [previous, next] pairs. */
export function breaks(numbers: number[], step = 1): [number, number][] {
  const found: [number, number][] = [];
  for (let i = 1; i < numbers.length; i++) {
    if (numbers[i] !== numbers[i - 1] + step) found.push([numbers[i - 1], numbers[i]]);
  }
  return found;
}
