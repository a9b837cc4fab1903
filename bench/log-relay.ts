/**
 * The floor of any log proxy, for bench/logs.ts: a process that does nothing but follow one container's
 * log on the Engine (the reader Berth uses, libs/engine) and send each read's lines to a WebSocket client
 * as one frame. No auth, no database, no ring, no cursors, no archive, no other work on its event loop.
 * What it adds over the Engine's own follow is one process hop on the way to the client; Berth pays that
 * hop too, so Berth ÷ this relay is what Berth itself costs, and this relay ÷ raw is what the hop costs.
 *
 *   node dist/bench/log-relay.js     (prints "relay listening on <port>"; a client connects to
 *                                     ws://127.0.0.1:<port>/?container=<id>)
 */
import { WebSocketServer } from 'ws';
import { containerLogBatchesOf, DockerEngine } from '../libs/engine/index.js';

const DOCKER_ENDPOINT = process.env.BERTH_BENCH_DOCKER ?? 'unix:///var/run/docker.sock';

const engine = new DockerEngine({ endpoint: DOCKER_ENDPOINT });
// As Berth's log streams: no per-message compression (docs/logs.md).
const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });

server.on('connection', (ws, request) => {
  const containerId = new URL(request.url ?? '/', 'http://relay').searchParams.get('container') ?? '';
  const controller = new AbortController();
  ws.on('close', () => controller.abort());
  ws.send(JSON.stringify({ type: 'connected' }));
  void (async () => {
    try {
      for await (const batch of containerLogBatchesOf(engine, {
        id: containerId,
        follow: true,
        since: new Date(),
        signal: controller.signal,
      })) {
        ws.send(JSON.stringify({ type: 'lines', lines: batch }));
      }
    } catch (error) {
      if (!controller.signal.aborted) {
        process.stderr.write(`relay: follow of ${containerId} failed: ${String(error)}\n`);
        ws.close(1011, 'follow failed');
      }
    }
  })();
});

server.on('listening', () => {
  const address = server.address();
  if (typeof address === 'object' && address !== null) {
    process.stderr.write(`relay listening on ${address.port}\n`);
  }
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
