/**
 * Where a warm deploy's time goes, step by step (a diagnostic next to the deploy bench, not a benchmark):
 * `node dist/bench/deploy-timeline.js [rounds]` starts the bench stack, deploys the bench's Express app
 * once (cold, untimed), then `rounds` code-only changes (default 3), and for each prints one line per
 * step from the clocks that saw it: the client (upload, GET /v1/apps/{app}/wait answering ready, the
 * first 200), the builds and replicas tables, the build log (written in 200 ms batches), Docker's own
 * Created/StartedAt of the new container. Method and figures: bench/README.md, "Deploy latency", "Where a warm deploy's time goes".
 */
import crypto from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { DataSource } from 'typeorm';
import { expressApp } from './bench-archives.js';
import { BenchStack } from './bench-stack.js';
import { deleteApps, waitDeployed, waitServing } from './berth-waits.js';
import { formatMs, median } from './probes.js';

interface Row {
  at: Date | string | null;
}

async function main(rounds: number): Promise<void> {
  const runId = `tl${crypto.randomBytes(4).toString('hex')}`;
  const stack = await BenchStack.start(runId, (line) => console.error(`[timeline] ${line}`));
  try {
    await stack.createPlans();
    const client = await stack.tenant('timeline');
    const app = await client.createApp('timeline');
    const key = `${runId}-${crypto.randomBytes(4).toString('hex')}`;
    const first = await expressApp({ marker: 'cold', dependencyKey: key });
    await client.upload('timeline', first);
    await waitServing(client, 'timeline', { count: 1, body: 'cold', timeoutMs: 300_000 });
    const db = stack.resolve(DataSource);
    const steps = new Map<string, number[]>();
    for (let round = 1; round <= rounds; round++) {
      // Let the previous rollout's drain end, so each round starts from one settled replica.
      await new Promise((resolve) => setTimeout(resolve, 4000));
      const marker = `warm ${round}`;
      const archive = await expressApp({ marker, dependencyKey: key });
      const t0 = Date.now();
      const buildId = await client.upload('timeline', archive);
      const uploaded = Date.now();
      let listedAt: number | undefined;
      await waitDeployed(client, 'timeline', {
        buildId,
        body: marker,
        timeoutMs: 120_000,
        onAnswered: (at) => (listedAt = at),
      });
      const served = Date.now();
      const t = (d: Date | string | null | undefined) => (d ? new Date(d).getTime() - t0 : NaN);
      const [build] = await db.query(
        'SELECT created_at, started_at, finished_at, release_id FROM builds WHERE id = $1',
        [buildId],
      );
      const log: { at: Date; text: string }[] = await db.query(
        'SELECT at, text FROM build_log_lines WHERE build_id = $1 ORDER BY seq',
        [buildId],
      );
      const [release] = await db.query('SELECT created_at FROM releases WHERE id = $1', [build.release_id]);
      const [replica] = await db.query(
        'SELECT created_at, started_at, container_id FROM replicas WHERE release_id = $1 ORDER BY created_at LIMIT 1',
        [build.release_id],
      );
      const events: ({ type: string } & Row)[] = await db.query(
        'SELECT type, created_at AS at FROM events WHERE app_id = $1 AND created_at >= $2 ORDER BY seq',
        [app.id, new Date(t0)],
      );
      const assembled = log.find((l) => /^\[berth\] image \S+ assembled in/.test(l.text));
      const timeline: [string, number][] = [
        ['upload answered (202)', uploaded - t0],
        ['build claimed (started_at)', t(build.started_at)],
        ['image assembled, logged (batched)', t(assembled?.at)],
        ['build finished_at', t(build.finished_at)],
        ['release created_at (its transaction start)', t(release.created_at)],
        ['replica row created_at', t(replica.created_at)],

        ['container started (Docker StartedAt)', t(replica.started_at)],
        ...events.map((e): [string, number] => [`event ${e.type} (transaction start)`, t(e.at)]),
        ['GET /wait answered ready (the new endpoint)', (listedAt ?? NaN) - t0],
        ['first 200 with the new body', served - t0],
      ];
      timeline.sort((a, b) => a[1] - b[1]);
      console.log(`\nround ${round}: ${formatMs(served - t0)} upload → first 200`);
      for (const [label, ms] of timeline) {
        console.log(`  ${String(Math.round(ms)).padStart(6)} ms  ${label}`);
        steps.set(label, [...(steps.get(label) ?? []), ms]);
      }
      for (const line of log) console.log(`      ${String(t(line.at)).padStart(6)} ms  | ${line.text}`);
    }
    console.log('\nmedians over the rounds (ms after the upload started):');
    for (const [label, values] of [...steps].sort((a, b) => median(a[1]) - median(b[1])))
      console.log(`  ${String(Math.round(median(values))).padStart(6)}  ${label}`);
    await deleteApps(client, stack.engine, [{ name: 'timeline', id: app.id }]);
  } finally {
    await stack.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(Number(process.argv[2] ?? 3)).then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
