import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

// The rules of .dependency-cruiser.cjs, run on a planted house that breaks each of them once: a rule
// that is removed or stops matching fails here, not silently in `npm run lint`.
const repo = path.resolve(process.cwd());
const depcruise = path.join(repo, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

const PLANTED: Record<string, string> = {
  'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' } }),
  // libs/a and libs/b import each other (a folder cycle), b through a's internals (a deep import).
  'libs/a/index.ts': "export { inner } from './inner.js';\n",
  'libs/a/inner.ts': "import { b } from '../b/index.js';\nexport const inner = b + 1;\n",
  'libs/b/index.ts':
    "import { inner } from '../a/inner.js';\nexport const b = 1;\nexport const viaA = () => inner;\n",
  // libs/c: Docker outside libs/engine, a fake in production code (reachable from main), a lib importing apps/.
  'libs/c/index.ts': "export { docker } from './docker.js';\nexport { fakeUser } from './uses-fake.js';\n",
  'libs/c/docker.ts': "import Docker from 'dockerode';\nexport const docker = Docker;\n",
  'libs/c/uses-fake.ts': "import { fake } from './testing/index.js';\nexport const fakeUser = fake;\n",
  'libs/c/testing/index.ts': 'export const fake = 1;\n',
  'libs/c/uses-app.ts':
    "import { route } from '../../apps/api/src/route.js';\nexport const usesApp = route;\n",
  'libs/c/missing-file.ts': "import { gone } from './gone.js';\nexport const missing = gone;\n",
  'apps/api/src/main.ts':
    "import { fakeUser } from '../../../libs/c/index.js';\nexport const main = fakeUser;\n",
  'apps/api/src/route.ts': "import { inner } from '../../../libs/a/inner.js';\nexport const route = inner;\n",
  // The CLI reaching into the platform's code instead of going through the API.
  'apps/cli/src/reaches-in.ts':
    "import { inner } from '../../../libs/a/index.js';\nexport const cli = inner;\n",
  // The well-behaved room: entries only, a fake only from a spec. No rule may fire on it.
  'libs/d/index.ts': "import { inner } from '../a/index.js';\nexport const d = inner;\n",
  'libs/d/d.spec.ts': "import { fake } from '../c/testing/index.js';\nexport const spec = fake;\n",
};

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

describe('dependency rules (.dependency-cruiser.cjs)', () => {
  let dir: string;
  let violations: Violation[];

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-depcruise-'));
    for (const [file, text] of Object.entries(PLANTED)) {
      await fs.mkdir(path.dirname(path.join(dir, file)), { recursive: true });
      await fs.writeFile(path.join(dir, file), text);
    }
    // dockerode resolves from the project's own install, as it would in the repository.
    await fs.symlink(path.join(repo, 'node_modules'), path.join(dir, 'node_modules'));
    const run = promisify(execFile)(
      process.execPath,
      [
        depcruise,
        '--config',
        path.join(repo, '.dependency-cruiser.cjs'),
        '--output-type',
        'json',
        'libs',
        'apps',
      ],
      { cwd: dir, maxBuffer: 64 * 1024 * 1024 },
    );
    // Violations make depcruise exit non-zero; the report is on stdout either way.
    const { stdout } = await run.catch((err: { stdout?: string; code?: number }) => {
      expect(err.code).toBeGreaterThan(0);
      return { stdout: err.stdout ?? '' };
    });
    violations = JSON.parse(stdout).summary.violations;
  }, 60_000);

  afterAll(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  const caught = (rule: string) =>
    violations.filter((v) => v.rule.name === rule).map((v) => `${v.from} -> ${v.to}`);

  it('refuses a deep import into another lib, from a lib and from outside libs/', () => {
    expect(caught('lib-deep-import')).toEqual(['libs/b/index.ts -> libs/a/inner.ts']);
    expect(caught('outside-deep-import')).toEqual(['apps/api/src/route.ts -> libs/a/inner.ts']);
  });

  it('refuses a cycle between lib folders', () => {
    expect(caught('folder-cycle')).toEqual(
      expect.arrayContaining([expect.stringMatching(/^libs\/(a|b) -> libs\/(a|b)$/)]),
    );
  });

  it('refuses a lib that imports apps/', () => {
    expect(caught('lib-imports-app')).toEqual(['libs/c/uses-app.ts -> apps/api/src/route.ts']);
  });

  it('refuses dockerode outside libs/engine', () => {
    expect(caught('dockerode-outside-engine')).toEqual([
      // node_modules is a symlink here, so the resolved path runs through the project's install.
      expect.stringMatching(/^libs\/c\/docker\.ts -> .*node_modules\/dockerode\//),
    ]);
  });

  it('keeps testing entries out of production code, directly and through any chain', () => {
    expect(caught('testing-entry-outside-tests')).toEqual(['libs/c/uses-fake.ts -> libs/c/testing/index.ts']);
    expect(caught('testing-reachable-from-production')).toEqual([
      'apps/api/src/main.ts -> libs/c/testing/index.ts',
    ]);
  });

  it("keeps the CLI out of the platform's code", () => {
    expect(caught('cli-beside-the-platform')).toEqual(['apps/cli/src/reaches-in.ts -> libs/a/index.ts']);
  });

  it('refuses an import it cannot resolve (it would hide from every other rule)', () => {
    expect(caught('unresolvable-import')).toEqual(['libs/c/missing-file.ts -> ./gone.js']);
  });

  it('lets a room that imports entries only, and fakes only from specs, pass', () => {
    expect(violations.filter((v) => v.from.startsWith('libs/d/'))).toEqual([]);
  });
});
