import { describe, expect, it } from '@jest/globals';
import { Readable } from 'node:stream';
import { dependencyLayerTar, installInputTar, readDependencyManifests } from './dependency-context.js';
import { collect, listTar, tarGz } from './testing/archive-fixtures.js';

describe('readDependencyManifests', () => {
  it('takes the root manifests npm reads, and nothing else', async () => {
    const source = await tarGz([
      { name: 'package.json', body: '{"name":"a"}' },
      { name: 'package-lock.json', body: '{}' },
      { name: '.npmrc', body: 'fund=false' },
      { name: 'sub/package.json', body: '{"name":"nested"}' },
      { name: 'index.js', body: 'x' },
      { name: 'npm-shrinkwrap.json', type: 'symlink', linkname: 'package-lock.json' },
    ]);
    const manifests = await readDependencyManifests(Readable.from([source]));
    expect(manifests.map((m) => [m.name, m.body.toString()])).toEqual([
      ['package.json', '{"name":"a"}'],
      ['package-lock.json', '{}'],
      ['.npmrc', 'fund=false'],
    ]);
  });
});

describe('installInputTar', () => {
  it('puts the manifests under app/ and the cache and temp folders, all owned by uid 10001', async () => {
    const listed = await listTar(
      await collect(installInputTar([{ name: 'package.json', body: Buffer.from('{}') }])),
    );
    expect(listed.map((e) => e.name)).toEqual([
      'app/',
      'app/node_modules/',
      'tmp/',
      '.npm/',
      'app/package.json',
    ]);
    expect(listed.every((e) => e.uid === 10001 && e.gid === 10001)).toBe(true);
  });
});

describe('dependencyLayerTar', () => {
  it('keeps node_modules as installed and drops what a hostile install could add around it', async () => {
    const fromEngine = await tarGz(
      [
        { name: 'node_modules/', type: 'directory', uid: 10001 },
        { name: 'node_modules/a/index.js', body: 'a', uid: 10001, mode: 0o4755 },
        { name: 'node_modules/.bin/a', type: 'symlink', linkname: '../a/index.js' },
        { name: 'node_modules/b/same.js', type: 'link', linkname: 'node_modules/a/index.js' },
        { name: 'node_modules/c/escape.js', type: 'link', linkname: '/etc/shadow' },
        { name: 'node_modules/../Dockerfile', body: 'FROM evil' },
        { name: 'elsewhere.txt', body: 'x' },
        { name: 'node_modules/fifo', type: 'fifo' },
      ],
      { gzip: false },
    );
    const listed = await listTar(
      await collect(dependencyLayerTar({ nodeModules: Readable.from([fromEngine]) })),
    );
    // Paths from the image's root, /app first with the runtime image's owner and mode.
    expect(listed.map((e) => e.name)).toEqual([
      'app/',
      'app/node_modules/',
      'app/node_modules/a/index.js',
      'app/node_modules/.bin/a',
      'app/node_modules/b/same.js',
    ]);
    expect(listed[0]).toMatchObject({ type: 'directory', mode: 0o755, uid: 10001, gid: 10001 });
    expect(listed.find((e) => e.name === 'app/node_modules/b/same.js')).toMatchObject({
      type: 'link',
      linkname: 'app/node_modules/a/index.js',
    });
    expect(listed.find((e) => e.name === 'app/node_modules/.bin/a')).toMatchObject({
      linkname: '../a/index.js',
    });
    // Owned by the app's uid (the image's files), setuid dropped.
    expect(listed.find((e) => e.name === 'app/node_modules/a/index.js')).toMatchObject({
      mode: 0o755,
      uid: 10001,
      gid: 10001,
    });
  });

  it('holds an empty node_modules/ when the install made none', async () => {
    const listed = await listTar(await collect(dependencyLayerTar({ nodeModules: undefined })));
    expect(listed.map((e) => e.name)).toEqual(['app/', 'app/node_modules/']);
  });
});
