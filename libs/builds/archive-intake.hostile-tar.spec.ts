import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import zlib from 'node:zlib';
import { files, PACKAGE_JSON, tarGz, type TarFixtureEntry } from './testing/archive-fixtures.js';
import { intakeHarness } from './testing/intake-harness.js';

let harness: Awaited<ReturnType<typeof intakeHarness>>;
beforeAll(async () => {
  harness = await intakeHarness({ maxEntries: 50, maxExpandedBytes: 5 * 1024 * 1024 });
});
afterAll(async () => {
  await harness.cleanup();
});

/** A valid project plus the hostile entries: the refusal must come from them alone. */
const upload = (...hostile: TarFixtureEntry[]) =>
  tarGz([...files({ 'package.json': PACKAGE_JSON, 'index.js': 'x' }), ...hostile]);
const refusal = async (...hostile: TarFixtureEntry[]) => harness.refusal(await upload(...hostile));

describe('tar.gz intake refuses path attacks', () => {
  it('../ traversal (zip-slip)', async () => {
    expect(await refusal({ name: '../../evil.js', body: 'x' })).toMatchObject({
      status: 422,
      code: 'unsafe_path',
    });
  });

  it('traversal hidden in the middle of a path', async () => {
    expect(await refusal({ name: 'src/../../evil.js', body: 'x' })).toMatchObject({ code: 'unsafe_path' });
  });

  it('absolute path overwriting a system file', async () => {
    expect(await refusal({ name: '/etc/cron.d/evil', body: 'x' })).toMatchObject({ code: 'unsafe_path' });
  });

  it('Windows-style backslash traversal', async () => {
    expect(await refusal({ name: '..\\..\\evil.js', body: 'x' })).toMatchObject({ code: 'unsafe_path' });
  });

  it('Windows drive-letter path', async () => {
    expect(await refusal({ name: 'C:/Windows/evil.js', body: 'x' })).toMatchObject({ code: 'unsafe_path' });
  });

  it('control characters in a name (log and terminal injection)', async () => {
    expect(await refusal({ name: 'evil\n[berth] build succeeded.js', body: 'x' })).toMatchObject({
      code: 'unsafe_path',
    });
  });

  it('the same path twice (a later entry silently replacing a checked one)', async () => {
    expect(await refusal({ name: 'index.js', type: 'symlink', linkname: 'package.json' })).toMatchObject({
      code: 'unsafe_path',
    });
  });

  it('a file used as a folder', async () => {
    expect(await refusal({ name: 'index.js/inner.js', body: 'x' })).toMatchObject({ code: 'unsafe_path' });
  });
});

describe('tar.gz intake refuses link attacks', () => {
  it('symlink to /etc/passwd', async () => {
    expect(await refusal({ name: 'passwd', type: 'symlink', linkname: '/etc/passwd' })).toMatchObject({
      status: 422,
      code: 'unsafe_link',
    });
  });

  it('relative symlink climbing out of the root', async () => {
    expect(
      await refusal({ name: 'lib/secrets', type: 'symlink', linkname: '../../../etc/shadow' }),
    ).toMatchObject({
      code: 'unsafe_link',
    });
  });

  it('symlink chain escaping via a directory symlink (each link looks inside on its own)', async () => {
    // a/b/up -> ../.. is the root; escape -> a/b/up/.. reads as "a/b" lexically but is the root's parent.
    const error = await refusal(
      { name: 'a/b/', type: 'directory' },
      { name: 'a/b/up', type: 'symlink', linkname: '../..' },
      { name: 'escape', type: 'symlink', linkname: 'a/b/up/..' },
    );
    expect(error).toMatchObject({ code: 'unsafe_link' });
    expect(error.detail).toContain('"escape"');
    expect(error.detail).toContain('outside the archive root');
  });

  it('file written through a symlinked folder (link first, then a file below it)', async () => {
    const error = await refusal(
      { name: 'docs', type: 'symlink', linkname: 'lib' },
      { name: 'docs/evil.js', body: 'x' },
    );
    expect(error).toMatchObject({ code: 'unsafe_link' });
    expect(error.detail).toContain('through the symlink "docs"');
  });

  it('symlink loop', async () => {
    const error = await refusal(
      { name: 'a', type: 'symlink', linkname: 'b' },
      { name: 'b', type: 'symlink', linkname: 'a' },
    );
    expect(error).toMatchObject({ code: 'unsafe_link' });
    expect(error.detail).toContain('loop');
  });

  it('symlink inside the upload but outside the stripped top-level folder', async () => {
    const error = await harness.refusal(
      await tarGz([
        { name: 'proj/package.json', body: PACKAGE_JSON },
        { name: 'proj/leak', type: 'symlink', linkname: '../sibling' },
      ]),
    );
    expect(error).toMatchObject({ code: 'unsafe_link' });
    expect(error.detail).toContain('outside the archive root');
  });

  it('hardlink to a file outside the root', async () => {
    expect(await refusal({ name: 'shadow', type: 'link', linkname: '../../etc/shadow' })).toMatchObject({
      code: 'unsafe_link',
    });
  });

  it('hardlink to an absolute path', async () => {
    expect(await refusal({ name: 'shadow', type: 'link', linkname: '/etc/shadow' })).toMatchObject({
      code: 'unsafe_link',
    });
  });

  it('hardlink to a path not seen as a regular file', async () => {
    expect(
      await refusal({ name: 'x', type: 'link', linkname: 'later.js' }, { name: 'later.js', body: 'x' }),
    ).toMatchObject({ code: 'unsafe_link' });
    expect(
      await refusal({ name: 'd/', type: 'directory' }, { name: 'y', type: 'link', linkname: 'd' }),
    ).toMatchObject({
      code: 'unsafe_link',
    });
  });
});

describe('tar.gz intake refuses special files', () => {
  it.each([
    ['character device', 'character-device'],
    ['block device', 'block-device'],
    ['FIFO', 'fifo'],
  ] as const)('%s', async (_label, type) => {
    const error = await refusal({ name: 'dev/thing', type, devmajor: 1, devminor: 3 });
    expect(error).toMatchObject({ status: 422, code: 'unsupported_entry' });
    expect(error.detail).toContain(type);
  });
});

describe('tar.gz intake refuses oversized and broken archives', () => {
  it('too many entries, stopping at the first one over the limit', async () => {
    const many = Array.from({ length: 500 }, (_, i) => ({ name: `f${i}.js`, body: '' }));
    const error = await refusal(...many);
    expect(error).toMatchObject({ status: 422, code: 'too_many_entries' });
  });

  it('truncated gzip', async () => {
    const whole = await upload({ name: 'big.js', body: 'x'.repeat(100_000) });
    const error = await harness.refusal(whole.subarray(0, Math.floor(whole.length / 2)));
    expect(error).toMatchObject({ status: 422, code: 'corrupt_archive' });
  });

  it('gzip whose content is not a tar', async () => {
    const error = await harness.refusal(
      zlib.gzipSync(Buffer.from('just some text, not a tar archive\n'.repeat(40))),
    );
    expect(error).toMatchObject({ code: 'corrupt_archive' });
  });

  it.each([
    ['plain text', Buffer.from('hello world')],
    ['an uncompressed tar', Buffer.alloc(1024)],
    ['an ELF binary', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0])],
    ['an empty file', Buffer.alloc(0)],
  ])('not an archive: %s', async (_label, data) => {
    expect(await harness.refusal(data)).toMatchObject({ status: 422, code: 'unsupported_archive' });
  });
});

describe('tar.gz intake refuses projects that cannot be built or started', () => {
  it('missing package.json', async () => {
    expect(await harness.refusal(await tarGz(files({ 'index.js': 'x' })))).toMatchObject({
      code: 'no_package_json',
    });
  });

  it('package.json only below a folder when there are two top-level folders', async () => {
    const data = await tarGz(files({ 'a/package.json': PACKAGE_JSON, 'b/index.js': 'x' }));
    expect(await harness.refusal(data)).toMatchObject({ code: 'no_package_json' });
  });

  it('package.json that is a symlink (to read another file as the manifest)', async () => {
    const data = await tarGz([
      ...files({ 'real.json': PACKAGE_JSON }),
      { name: 'package.json', type: 'symlink', linkname: 'real.json' },
    ]);
    expect(await harness.refusal(data)).toMatchObject({ code: 'no_package_json' });
  });

  it.each([
    ['not JSON', '{ name: demo'],
    ['an array', '[1, 2]'],
    ['null', 'null'],
  ])('invalid package.json: %s', async (_label, body) => {
    expect(await harness.refusal(await tarGz(files({ 'package.json': body })))).toMatchObject({
      code: 'invalid_package_json',
    });
  });

  it('package.json larger than its cap', async () => {
    const big = JSON.stringify({ main: 'a.js', description: 'x'.repeat(5000) });
    const error = await harness.refusal(await tarGz(files({ 'package.json': big })), {
      maxPackageJsonBytes: 1000,
    });
    expect(error).toMatchObject({ code: 'invalid_package_json' });
  });

  it.each([
    ['no scripts.start and no main', { name: 'x', scripts: { test: 'jest' } }],
    ['an empty start script', { name: 'x', scripts: { start: '  ' } }],
  ])('no start command: %s', async (_label, pkg) => {
    expect(await harness.refusal(await tarGz(files({ 'package.json': JSON.stringify(pkg) })))).toMatchObject({
      code: 'no_start_command',
    });
  });

  it.each([['../../etc/passwd'], ['/bin/sh'], ['--require=/tmp/evil.js']])(
    'a "main" that escapes or injects a node option: %s',
    async (main) => {
      expect(
        await harness.refusal(await tarGz(files({ 'package.json': JSON.stringify({ main }) }))),
      ).toMatchObject({
        code: 'invalid_package_json',
      });
    },
  );
});
