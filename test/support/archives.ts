import zlib from 'node:zlib';
import tarStream from 'tar-stream';

export interface ArchiveEntry {
  name: string;
  body?: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'fifo';
  linkname?: string;
}

/** A tar.gz built in memory, hostile entries included when asked: tests craft exactly what they send. */
export async function tarGz(entries: ArchiveEntry[]): Promise<Buffer> {
  const pack = tarStream.pack();
  for (const entry of entries) {
    const type = entry.type ?? 'file';
    const header = {
      name: entry.name,
      type,
      linkname: entry.linkname,
      mode: type === 'directory' ? 0o755 : 0o644,
    };
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error | null) => (err ? reject(err) : resolve());
      if (type === 'file') pack.entry(header, entry.body ?? '', done);
      else pack.entry(header, done);
    });
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return zlib.gzipSync(Buffer.concat(chunks));
}

/** A small Express app answering `GET /` with `body`, listening on $PORT; no lockfile. */
export function expressApp(body: string, extra: ArchiveEntry[] = []): Promise<Buffer> {
  return tarGz([
    {
      name: 'package.json',
      body: JSON.stringify({
        name: 'hello-berth',
        version: '1.0.0',
        scripts: { start: 'node server.js' },
        dependencies: { express: '^4.21.0' },
        engines: { node: '>=18' },
      }),
    },
    {
      name: 'server.js',
      body: `const express = require('express');
const app = express();
app.get('/', (req, res) => res.send(${JSON.stringify(body)}));
app.get('/healthz', (req, res) => res.send('ok'));
app.get('/greeting', (req, res) => res.send(process.env.GREETING ?? '(unset)'));
const server = app.listen(process.env.PORT, () => console.log('listening on ' + process.env.PORT + ' serving ' + ${JSON.stringify(body)}));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`,
    },
    ...extra,
  ]);
}

/** A dependency-free app that prints and exits with `code` after `afterMs`. */
export function exitingApp(code: number, afterMs: number): Promise<Buffer> {
  return tarGz([
    { name: 'package.json', body: JSON.stringify({ name: 'crasher', version: '1.0.0', main: 'index.js' }) },
    {
      name: 'index.js',
      body: `console.log('starting'); setTimeout(() => { console.error('dying'); process.exit(${code}); }, ${afterMs});`,
    },
  ]);
}
