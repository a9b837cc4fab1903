import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PACKAGE_JSON, zip, type ZipFixtureEntry } from './testing/archive-fixtures.js';
import { intakeHarness } from './testing/intake-harness.js';

let harness: Awaited<ReturnType<typeof intakeHarness>>;
beforeAll(async () => {
  harness = await intakeHarness({ maxEntries: 50, maxExpandedBytes: 5 * 1024 * 1024 });
});
afterAll(async () => {
  await harness.cleanup();
});

const refusal = (...hostile: ZipFixtureEntry[]) =>
  harness.refusal(
    zip([{ name: 'package.json', body: PACKAGE_JSON }, { name: 'index.js', body: 'x' }, ...hostile]),
  );

describe('zip intake refuses path attacks', () => {
  it('../ traversal (zip-slip)', async () => {
    expect(await refusal({ name: '../../evil.js', body: 'x' })).toMatchObject({
      status: 422,
      code: 'unsafe_path',
    });
  });

  it('absolute path', async () => {
    expect(await refusal({ name: '/etc/cron.d/evil', body: 'x' })).toMatchObject({ code: 'unsafe_path' });
  });

  it('Windows-style backslash path (other unzip tools rewrite it to ../)', async () => {
    expect(await refusal({ name: '..\\..\\evil.js', body: 'x' })).toMatchObject({ code: 'unsafe_path' });
    expect(await refusal({ name: 'src\\index.js', body: 'x' })).toMatchObject({ code: 'unsafe_path' });
  });

  it('NUL byte in a name (truncated differently by C tools)', async () => {
    expect(await refusal({ name: 'index.js\u0000.png', body: 'x' })).toMatchObject({ code: 'unsafe_path' });
  });
});

describe('zip intake refuses link attacks and special files', () => {
  it('symlink to /etc/passwd (Unix mode in the external attributes)', async () => {
    expect(await refusal({ name: 'passwd', body: '/etc/passwd', unixMode: 0o120777 })).toMatchObject({
      code: 'unsafe_link',
    });
  });

  it('relative symlink climbing out of the root', async () => {
    expect(await refusal({ name: 'up', body: '../../..', unixMode: 0o120777 })).toMatchObject({
      code: 'unsafe_link',
    });
  });

  it('symlink chain escaping via a directory symlink', async () => {
    const error = await refusal(
      { name: 'a/b/up', body: '../..', unixMode: 0o120777 },
      { name: 'escape', body: 'a/b/up/..', unixMode: 0o120777 },
    );
    expect(error).toMatchObject({ code: 'unsafe_link' });
  });

  it.each([
    ['character device', 0o020644],
    ['block device', 0o060644],
    ['FIFO', 0o010644],
    ['socket', 0o140644],
  ])('%s', async (_label, unixMode) => {
    expect(await refusal({ name: 'dev/thing', unixMode })).toMatchObject({
      status: 422,
      code: 'unsupported_entry',
    });
  });

  it('encrypted entry (cannot be checked)', async () => {
    expect(await refusal({ name: 'secret.js', body: 'x', encrypted: true })).toMatchObject({
      code: 'unsupported_entry',
    });
  });
});

describe('zip intake refuses oversized, broken and unusable archives', () => {
  it('too many entries, from the central directory before reading any', async () => {
    const many = Array.from({ length: 200 }, (_, i) => ({ name: `f${i}.js`, body: '' }));
    const error = await refusal(...many);
    expect(error).toMatchObject({ status: 422, code: 'too_many_entries' });
    expect(error.detail).toContain('202');
  });

  it('truncated zip', async () => {
    const whole = zip([
      { name: 'package.json', body: PACKAGE_JSON },
      { name: 'a.js', body: 'a'.repeat(10_000) },
    ]);
    expect(await harness.refusal(whole.subarray(0, whole.length - 40))).toMatchObject({
      code: 'corrupt_archive',
    });
  });

  it('entry body longer than its header says', async () => {
    const error = await refusal({ name: 'liar.js', body: 'x'.repeat(5000), declaredSize: 10 });
    expect(error).toMatchObject({ code: 'corrupt_archive' });
  });

  it('missing package.json', async () => {
    expect(await harness.refusal(zip([{ name: 'index.js', body: 'x' }]))).toMatchObject({
      code: 'no_package_json',
    });
  });

  it('empty zip', async () => {
    expect(await harness.refusal(zip([]))).toMatchObject({ code: 'no_package_json' });
  });

  it('invalid package.json', async () => {
    expect(await harness.refusal(zip([{ name: 'package.json', body: '{"name": ' }]))).toMatchObject({
      code: 'invalid_package_json',
    });
  });

  it('no start script and no main', async () => {
    expect(await harness.refusal(zip([{ name: 'package.json', body: '{"name":"x"}' }]))).toMatchObject({
      code: 'no_start_command',
    });
  });
});
