import { describe, expect, it } from '@jest/globals';
import { Readable } from 'node:stream';
import { buildContextTar, DOCKERIGNORE } from './dockerfile.js';
import { collect, listTar, tarGz } from './testing/archive-fixtures.js';

const dockerfile = 'FROM berth/node-runtime:local\nCOPY . .\n';

describe('buildContextTar', () => {
  const sourceEntries = [
    { name: 'package.json', body: '{}' },
    { name: 'lib/', type: 'directory' as const },
    { name: 'lib/app.js', body: 'app' },
    { name: 'bin', type: 'symlink' as const, linkname: 'lib' },
    { name: 'Dockerfile', body: 'FROM evil' },
    { name: '.dockerignore', body: 'package.json' },
  ];

  it.each([
    ['a stored tar.gz', true],
    ['a plain tar', false],
  ])('puts the generated Dockerfile and .dockerignore before the sources of %s', async (_label, gzip) => {
    const normalizedTar = Readable.from([await tarGz(sourceEntries, { gzip })]);
    const listed = await listTar(await collect(buildContextTar({ normalizedTar, dockerfile })));
    // The tenant's own Dockerfile and .dockerignore are left out: ours cannot be replaced.
    expect(listed.map((entry) => entry.name)).toEqual([
      'Dockerfile',
      '.dockerignore',
      'package.json',
      'lib/',
      'lib/app.js',
      'bin',
    ]);
    expect(listed[0].body).toBe(dockerfile);
    expect(listed[1].body).toBe(DOCKERIGNORE);
    expect(listed.find((entry) => entry.name === 'lib/app.js')?.body).toBe('app');
    expect(listed.find((entry) => entry.name === 'bin')).toMatchObject({ type: 'symlink', linkname: 'lib' });
    expect(listed.every((entry) => entry.uid === 0 && entry.gid === 0)).toBe(true);
  });

  it("keeps the source's node_modules out of COPY", () => {
    expect(DOCKERIGNORE.split('\n')).toContain('**/node_modules');
  });

  it('fails the stream when the stored source is corrupt', async () => {
    const gz = await tarGz(sourceEntries);
    const normalizedTar = Readable.from([gz.subarray(0, gz.length - 30)]);
    await expect(collect(buildContextTar({ normalizedTar, dockerfile: 'FROM x' }))).rejects.toThrow();
  });
});
