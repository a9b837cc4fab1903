import { describe, expect, it } from '@jest/globals';
import { Readable } from 'node:stream';
import { appImageConfig, appLayerTar, enginesWarning, type AppImageInput } from './app-image.js';
import { collect, listTar, tarGz } from './testing/archive-fixtures.js';

const base: AppImageInput = { start: { kind: 'script' }, runtimeNodeVersion: '20.20.2' };

describe('appImageConfig', () => {
  it('runs as uid 10001 in /app with the production environment and the PORT contract', () => {
    const { config } = appImageConfig(base);
    expect(config).toMatchObject({ user: '10001', workingDir: '/app', exposedPorts: ['8080/tcp'] });
    expect(config.env).toEqual(
      expect.arrayContaining([
        'NODE_ENV=production',
        'PORT=8080',
        'npm_config_cache=/tmp/.npm',
        'HOME=/tmp',
        'NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt',
      ]),
    );
  });

  it('starts with npm start when there is a start script, node <main> otherwise', () => {
    expect(appImageConfig(base).config.cmd).toEqual(['npm', 'start']);
    expect(appImageConfig({ ...base, start: { kind: 'main', main: './dist/server.js' } }).config.cmd).toEqual(
      ['node', 'dist/server.js'],
    );
  });

  it.each([['../etc/passwd'], ['/bin/sh'], ['--require=/x.js'], ['a\nRUN evil']])(
    'refuses an unsafe main: %j',
    (main) => {
      expect(() => appImageConfig({ ...base, start: { kind: 'main', main } })).toThrow('unsafe main');
    },
  );

  it('is deterministic', () => {
    expect(appImageConfig(base)).toEqual(appImageConfig(base));
  });

  it('warns (never fails) when engines.node excludes the runtime version', () => {
    expect(appImageConfig({ ...base, nodeEnginesRange: '>=22' }).warnings).toEqual([
      expect.stringContaining("does not include the runtime's Node.js 20.20.2"),
    ]);
    expect(appImageConfig({ ...base, nodeEnginesRange: '^20.19 || >=22' }).warnings).toEqual([]);
    expect(appImageConfig(base).warnings).toEqual([]);
  });

  it('warns about an engines.node that is not a range', () => {
    expect(enginesWarning('banana', '20.20.2')).toContain('not a valid version range');
    expect(enginesWarning('20.x', '20.20.2')).toBeUndefined();
    expect(enginesWarning('>=18 <20', '20.20.2')).toContain('does not include');
  });
});

describe('appLayerTar', () => {
  const sourceEntries = [
    { name: 'package.json', body: '{}' },
    { name: 'lib/', type: 'directory' as const },
    { name: 'lib/app.js', body: 'app', mode: 0o755 },
    { name: 'lib/same.js', type: 'link' as const, linkname: 'lib/app.js' },
    { name: 'bin', type: 'symlink' as const, linkname: 'lib' },
    { name: 'Dockerfile', body: 'FROM evil' },
    { name: '.dockerignore', body: 'package.json' },
    { name: 'lib/Dockerfile', body: 'kept: only the root one is a build file' },
    { name: 'node_modules/', type: 'directory' as const },
    { name: 'node_modules/x/index.js', body: 'the uploaded copy' },
    { name: 'lib/node_modules/y.js', body: 'nested' },
    { name: 'node_modules/x/link.js', type: 'link' as const, linkname: 'lib/app.js' },
    { name: 'lib/to-left-out.js', type: 'link' as const, linkname: 'node_modules/x/index.js' },
    { name: '.git/HEAD', body: 'ref' },
  ];

  it.each([
    ['a stored tar.gz', true],
    ['a plain tar', false],
  ])(
    'holds the sources of %s as uploaded, owned by uid 10001, without build files, node_modules or .git',
    async (_label, gzip) => {
      const normalizedTar = Readable.from([await tarGz(sourceEntries, { gzip })]);
      const listed = await listTar(await collect(appLayerTar({ normalizedTar })));
      // Paths from the image's root, /app first with the runtime image's owner and mode.
      expect(listed.map((entry) => entry.name)).toEqual([
        'app/',
        'app/package.json',
        'app/lib/',
        'app/lib/app.js',
        'app/lib/same.js',
        'app/bin',
        'app/lib/Dockerfile',
      ]);
      expect(listed[0]).toMatchObject({ type: 'directory', mode: 0o755 });
      expect(listed.find((entry) => entry.name === 'app/lib/app.js')).toMatchObject({
        body: 'app',
        mode: 0o755,
      });
      expect(listed.find((entry) => entry.name === 'app/lib/same.js')).toMatchObject({
        type: 'link',
        linkname: 'app/lib/app.js',
      });
      expect(listed.find((entry) => entry.name === 'app/bin')).toMatchObject({
        type: 'symlink',
        linkname: 'lib',
      });
      expect(listed.every((entry) => entry.uid === 10001 && entry.gid === 10001)).toBe(true);
    },
  );

  it('fails the stream when the stored source is corrupt', async () => {
    const gz = await tarGz(sourceEntries);
    const normalizedTar = Readable.from([gz.subarray(0, gz.length - 30)]);
    await expect(collect(appLayerTar({ normalizedTar }))).rejects.toThrow();
  });
});
