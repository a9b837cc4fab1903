/**
 * The apps the benchmarks deploy, as tar.gz uploads. Both sides of a benchmark get the same bytes: Berth
 * through POST /v1/apps/{app}/builds, the raw baseline as the build context of the same Dockerfile.
 */
import zlib from 'node:zlib';
import tarStream from 'tar-stream';

/** Where the apps' `node <main>` starts (package.json `main`, so no npm process sits in between). */
export const APP_MAIN = 'server.js';

/** A tar.gz of regular files, built in memory. */
export async function tarGz(files: Record<string, string>): Promise<Buffer> {
  const pack = tarStream.pack();
  for (const [name, body] of Object.entries(files)) {
    await new Promise<void>((resolve, reject) =>
      pack.entry({ name, mode: 0o644 }, body, (error) => (error ? reject(error) : resolve())),
    );
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return zlib.gzipSync(Buffer.concat(chunks));
}

/**
 * A small Express app answering `GET /` with `marker`. `dependencyKey` goes into package.json, so a new
 * key changes the dependency layer's cache key and `npm install` runs again (a cold build); the same key
 * with another marker is a code-only change (a warm build).
 */
export function expressApp(options: { marker: string; dependencyKey: string }): Promise<Buffer> {
  return tarGz({
    'package.json': JSON.stringify({
      name: 'bench-express',
      version: '1.0.0',
      main: APP_MAIN,
      dependencies: { express: '^4.21.0' },
      berthBench: options.dependencyKey,
    }),
    [APP_MAIN]: `const express = require('express');
const app = express();
app.get('/', (req, res) => res.send(${JSON.stringify(options.marker)}));
app.listen(process.env.PORT);
process.on('SIGTERM', () => process.exit(0));
`,
  });
}

/**
 * A dependency-free app (node's http module, ten lines) answering `GET /` with `marker`. Its package.json
 * is the same for every marker, so every build after the first reuses the dependency layer.
 */
export function minimalApp(marker: string): Promise<Buffer> {
  return tarGz({
    'package.json': JSON.stringify({ name: 'bench-minimal', version: '1.0.0', main: APP_MAIN }),
    [APP_MAIN]: `const http = require('node:http');
const body = ${JSON.stringify(marker)};
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(body);
});
server.listen(process.env.PORT);
process.on('SIGTERM', () => process.exit(0));
`,
  });
}
