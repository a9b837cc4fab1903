/**
 * HTTP load with autocannon (programmatic API), and the bare NestJS app the API is compared with.
 * autocannon runs in a worker thread (`workers: 1`): the load generator does not take event-loop time
 * from the server it measures, which runs on this process's main thread.
 */
import { createRequire } from 'node:module';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';

/** The part of autocannon's result the benchmarks read. */
interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}
type Autocannon = (options: {
  url: string;
  connections: number;
  duration: number;
  headers?: Record<string, string>;
  workers?: number;
}) => Promise<AutocannonResult>;
/** autocannon is CommonJS without type declarations; loaded through require with the shape above. */
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

export interface LoadResult {
  requestsPerSecond: number;
  requests: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
}

/**
 * `connections` concurrent keep-alive connections for `durationSeconds`. Throws when any request failed,
 * timed out or answered anything but 2xx: a rate of 401s or 429s measures nothing.
 */
export async function load(options: {
  url: string;
  headers?: Record<string, string>;
  connections: number;
  durationSeconds: number;
}): Promise<LoadResult> {
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationSeconds,
    headers: options.headers,
    workers: 1,
  });
  if (result.errors > 0 || result.timeouts > 0 || result.non2xx > 0) {
    throw new Error(
      `load on ${new URL(options.url).pathname}: ${result.non2xx} non-2xx, ${result.errors} errors, ` +
        `${result.timeouts} timeouts of ${result.requests.total}`,
    );
  }
  return {
    requestsPerSecond: result.requests.average,
    requests: result.requests.total,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    meanMs: result.latency.average,
  };
}

export interface RequestCost {
  requests: number;
  /** Process CPU (user + system, every thread: server and this client) per request. */
  cpuMsPerRequest: number;
  /** SQL statements Berth's DataSources sent per request (the worker loops' few statements included). */
  statementsPerRequest: number;
  meanMs: number;
}

/**
 * What one request costs, one at a time on a keep-alive connection: CPU time of this process and SQL
 * statements per request. Less sensitive to other work on a shared machine than requests/s.
 */
export async function requestCost(options: {
  url: string;
  headers?: Record<string, string>;
  requests: number;
  statementsSent: () => number;
}): Promise<RequestCost> {
  const get = async () => {
    const res = await fetch(options.url, { headers: options.headers });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${new URL(options.url).pathname} answered ${res.status}`);
  };
  for (let i = 0; i < 20; i++) await get();
  const statements = options.statementsSent();
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < options.requests; i++) await get();
  const elapsed = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return {
    requests: options.requests,
    cpuMsPerRequest: (used.user + used.system) / 1000 / options.requests,
    statementsPerRequest: (options.statementsSent() - statements) / options.requests,
    meanMs: elapsed / options.requests,
  };
}

@Controller()
class OkController {
  @Get('ok')
  ok(): { ok: boolean } {
    return { ok: true };
  }
}

@Module({ controllers: [OkController] })
class OkModule {}

/**
 * The floor any NestJS route stands on: Nest 12 on Express, one GET handler returning {ok:true}, no
 * guard, no database, no logging. Listens on a free loopback port in this process.
 */
export async function startBareNest(): Promise<{ url: string; close: () => Promise<void> }> {
  const app = await NestFactory.create<NestExpressApplication>(OkModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  return { url: `http://127.0.0.1:${port}/ok`, close: () => app.close() };
}
