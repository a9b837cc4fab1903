import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import { inspectSourceArchive, normalizedArchiveStream } from './archive-intake.js';
import { NORMALIZED_MTIME } from './archive-normalize.js';
import { collect, files, listTar, PACKAGE_JSON, tarGz, tempDir, zip } from './testing/archive-fixtures.js';

const limits = { maxEntries: 100, maxExpandedBytes: 10 * 1024 * 1024 };
let tmp: Awaited<ReturnType<typeof tempDir>>;
let counter = 0;
const spool = (data: Buffer) => tmp.write(`upload-${++counter}`, data);

beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(async () => {
  await tmp.cleanup();
});

async function normalize(data: Buffer) {
  const file = await spool(data);
  const archive = await inspectSourceArchive({ file, limits });
  const listed = await listTar(await collect(normalizedArchiveStream({ file, archive })));
  return { archive, listed, names: listed.map((entry) => entry.name) };
}

const pkg = {
  name: 'shop',
  version: '2.1.0',
  engines: { node: '>=20' },
  scripts: { start: 'node server.js', test: 'jest', bogus: 42 },
  main: 'server.js',
};

describe('inspectSourceArchive + normalizedArchiveStream: normal uploads', () => {
  it('reads a normal tar.gz and produces a clean normalized tar', async () => {
    const { archive, listed, names } = await normalize(
      await tarGz([
        { name: './', type: 'directory', mode: 0o775 },
        { name: './package.json', body: JSON.stringify(pkg), mode: 0o664, uid: 501, gid: 20, uname: 'dev' },
        { name: './package-lock.json', body: '{}' },
        { name: './server.js', body: 'require("./lib/app")', mode: 0o4777 },
        { name: './lib/', type: 'directory', mode: 0o777 },
        { name: './lib/app.js', body: 'module.exports = 1', mtime: new Date('2030-01-01') },
        { name: './bin/cli', body: '#!/usr/bin/env node', mode: 0o775 },
        { name: './node_modules/left-pad/index.js', body: 'x' },
        { name: './.git/config', body: '[core]' },
        { name: './packages/a/node_modules/x.js', body: 'x' },
      ]),
    );
    expect(archive).toMatchObject({
      format: 'tar.gz',
      entries: 10,
      hasLockfile: true,
      start: { kind: 'script' },
      packageJson: {
        name: 'shop',
        version: '2.1.0',
        engines: { node: '>=20' },
        scripts: { start: 'node server.js', test: 'jest' },
        main: 'server.js',
      },
    });
    expect(archive.stripPrefix).toBeUndefined();
    expect(archive.expandedBytes).toBeGreaterThan(0);
    expect(names).toEqual([
      'package.json',
      'package-lock.json',
      'server.js',
      'lib/',
      'lib/app.js',
      'bin/cli',
    ]);
    const byName = Object.fromEntries(listed.map((entry) => [entry.name, entry]));
    expect(byName['server.js'].mode).toBe(0o755); // setuid dropped, executable kept
    expect(byName['bin/cli'].mode).toBe(0o755);
    expect(byName['package.json'].mode).toBe(0o644);
    expect(byName['lib/'].mode).toBe(0o755);
    expect(byName['lib/app.js'].body).toBe('module.exports = 1');
    for (const entry of listed) {
      expect(entry).toMatchObject({ uid: 0, gid: 0, mtime: NORMALIZED_MTIME });
    }
  });

  it('reads a normal zip the same way', async () => {
    const { archive, names, listed } = await normalize(
      zip([
        { name: 'package.json', body: JSON.stringify({ name: 'z', main: './dist/main.js' }) },
        { name: 'dist/', unixMode: 0o040755 },
        { name: 'dist/main.js', body: 'console.log(1)'.repeat(100) },
        { name: 'run.sh', body: '#!/bin/sh', unixMode: 0o100755, deflate: false },
        { name: 'node_modules/x/index.js', body: 'x' },
      ]),
    );
    expect(archive).toMatchObject({
      format: 'zip',
      entries: 5,
      hasLockfile: false,
      start: { kind: 'main', main: 'dist/main.js' },
      packageJson: { name: 'z', main: './dist/main.js' },
    });
    expect(names).toEqual(['package.json', 'dist/', 'dist/main.js', 'run.sh']);
    expect(listed.find((entry) => entry.name === 'run.sh')?.mode).toBe(0o755);
    expect(listed.find((entry) => entry.name === 'dist/main.js')?.body).toBe('console.log(1)'.repeat(100));
  });

  it('strips the single top-level folder of a GitHub-style tarball', async () => {
    const { archive, names } = await normalize(
      await tarGz([
        { name: 'shop-main/', type: 'directory' },
        { name: 'shop-main/package.json', body: PACKAGE_JSON },
        { name: 'shop-main/npm-shrinkwrap.json', body: '{}' },
        { name: 'shop-main/index.js', body: 'x' },
        { name: 'shop-main/src/a.js', body: 'a' },
      ]),
    );
    expect(archive.stripPrefix).toBe('shop-main');
    expect(archive.hasLockfile).toBe(true);
    expect(names).toEqual(['package.json', 'npm-shrinkwrap.json', 'index.js', 'src/a.js']);
  });

  it('strips the top-level folder of a zip made by macOS Finder and drops __MACOSX', async () => {
    const { archive, names } = await normalize(
      zip([
        { name: 'app/package.json', body: PACKAGE_JSON },
        { name: 'app/index.js', body: 'x' },
        { name: '__MACOSX/app/._index.js', body: 'junk' },
      ]),
    );
    expect(archive.stripPrefix).toBe('app');
    expect(names).toEqual(['package.json', 'index.js']);
  });

  it('does not strip when package.json is already at the root', async () => {
    const { archive, names } = await normalize(
      await tarGz([...files({ 'package.json': PACKAGE_JSON }), { name: 'src/index.js', body: 'x' }]),
    );
    expect(archive.stripPrefix).toBeUndefined();
    expect(names).toEqual(['package.json', 'src/index.js']);
  });

  it('keeps symlinks and hardlinks that stay inside the root', async () => {
    const { listed } = await normalize(
      await tarGz([
        ...files({ 'package.json': PACKAGE_JSON, 'lib/cli.js': 'cli' }),
        { name: 'bin/cli', type: 'symlink', linkname: '../lib/cli.js' },
        { name: 'cli-copy.js', type: 'link', linkname: 'lib/cli.js' },
      ]),
    );
    expect(listed.filter((entry) => entry.type !== 'file')).toEqual([
      expect.objectContaining({ name: 'bin/cli', type: 'symlink', linkname: '../lib/cli.js' }),
      expect.objectContaining({ name: 'cli-copy.js', type: 'link', linkname: 'lib/cli.js' }),
    ]);
  });

  it('accepts a package.json with a UTF-8 BOM, as npm does', async () => {
    const { archive } = await normalize(await tarGz(files({ 'package.json': `\uFEFF${PACKAGE_JSON}` })));
    expect(archive.packageJson.name).toBe('demo');
  });

  it('gives the same normalized bytes for the same source (fixed mtime, owners, modes)', async () => {
    const make = (mtime: Date, uid: number) =>
      tarGz([
        { name: 'package.json', body: PACKAGE_JSON, mtime, uid },
        { name: 'index.js', body: 'x', mtime, uid },
      ]);
    const one = await spool(await make(new Date('2020-01-01'), 1));
    const two = await spool(await make(new Date('2024-06-01'), 1000));
    const bytes = async (file: string) =>
      collect(
        normalizedArchiveStream({ file, archive: await inspectSourceArchive({ file, limits }), gzip: false }),
      );
    expect((await bytes(one)).equals(await bytes(two))).toBe(true);
  });

  it('fails the normalized stream when the spooled file changed after inspection', async () => {
    const file = await spool(await tarGz(files({ 'package.json': PACKAGE_JSON, 'a.js': 'a' })));
    const archive = await inspectSourceArchive({ file, limits });
    await writeFile(file, await tarGz(files({ 'package.json': PACKAGE_JSON, 'a.js': 'a longer body' })));
    await expect(collect(normalizedArchiveStream({ file, archive }))).rejects.toMatchObject({
      code: 'corrupt_archive',
    });
  });

  it('never writes a symlink target swapped in after inspection', async () => {
    const withLink = (linkname: string) =>
      tarGz([...files({ 'package.json': PACKAGE_JSON }), { name: 'cli', type: 'symlink', linkname }]);
    const file = await spool(await withLink('index.js'));
    const archive = await inspectSourceArchive({ file, limits });
    await writeFile(file, await withLink('/etc/passwd'));
    await expect(collect(normalizedArchiveStream({ file, archive }))).rejects.toMatchObject({
      code: 'corrupt_archive',
    });
  });
});
