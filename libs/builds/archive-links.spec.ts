import { describe, expect, it } from '@jest/globals';
import { checkTree, resolveInside } from './archive-links.js';
import { isSkippedPath, normalizeEntryPath, sanitizedMode, stripPrefix } from './archive-paths.js';

describe('normalizeEntryPath', () => {
  it.each([
    ['./package.json', 'package.json'],
    ['a//b/./c/', 'a/b/c'],
    ['./', ''],
    ['dir/', 'dir'],
  ])('cleans %j to %j', (name, clean) => {
    expect(normalizeEntryPath(name)).toBe(clean);
  });

  it.each([
    ['../x'],
    ['a/../b'],
    ['/abs'],
    ['C:/x'],
    ['a\\b'],
    ['a\u0000b'],
    ['a\tb'],
    [`${'a'.repeat(256)}/b`],
  ])('refuses %j', (name) => {
    expect(() => normalizeEntryPath(name)).toThrow(expect.objectContaining({ code: 'unsafe_path' }));
  });
});

describe('archive path helpers', () => {
  it('skips node_modules and .git at any depth, only as whole segments', () => {
    expect(isSkippedPath('node_modules/x/index.js')).toBe(true);
    expect(isSkippedPath('packages/a/node_modules/x.js')).toBe(true);
    expect(isSkippedPath('.git/config')).toBe(true);
    expect(isSkippedPath('src/node_modules_helper.js')).toBe(false);
    expect(isSkippedPath('.github/workflows/ci.yml')).toBe(false);
  });

  it('strips only a whole leading folder', () => {
    expect(stripPrefix('proj/a.js', 'proj')).toBe('a.js');
    expect(stripPrefix('proj', 'proj')).toBe('');
    expect(stripPrefix('project/a.js', 'proj')).toBe('project/a.js');
  });

  it('sanitizes modes: no setuid, sticky or group/world write', () => {
    expect(sanitizedMode('file', 0o4777)).toBe(0o755);
    expect(sanitizedMode('file', 0o666)).toBe(0o644);
    expect(sanitizedMode('file', 0o100)).toBe(0o755);
    expect(sanitizedMode('directory', 0o1777)).toBe(0o755);
  });
});

describe('resolveInside', () => {
  const links = new Map([
    ['a/b/up', '../..'],
    ['loop1', 'loop2'],
    ['loop2', 'loop1'],
    ['lib-link', 'lib'],
  ]);

  it('follows links physically, as the kernel does', () => {
    expect(resolveInside('lib-link/x.js', links)).toBeUndefined();
    expect(resolveInside('a/b/up', links)).toBeUndefined();
    expect(resolveInside('a/b/../..', links)).toBeUndefined();
    expect(resolveInside('a/b/../../..', links)).toBe('resolves outside the archive root');
    expect(resolveInside('a/b/../..', links)).toBeUndefined();
    expect(resolveInside('a/b/../../..', links)).toBe('resolves outside the archive root');
  });

  it('detects loops', () => {
    expect(resolveInside('loop1', links)).toBe('is part of a symlink loop');
  });

  it('bounds the work a hostile tree can cost', () => {
    const deep = Array.from({ length: 2000 }, () => 'x').join('/');
    expect(resolveInside(deep, new Map(), { steps: 100 })).toContain('too deep or too many');
  });
});

describe('checkTree', () => {
  it('accepts links that stay inside', () => {
    expect(() =>
      checkTree([
        { path: 'lib', kind: 'directory' },
        { path: 'lib/cli.js', kind: 'file' },
        { path: 'bin', kind: 'symlink', linkTarget: 'lib' },
        { path: 'cli.js', kind: 'hardlink', linkTarget: 'lib/cli.js' },
      ]),
    ).not.toThrow();
  });

  it('refuses an entry below a symlink, whatever the order', () => {
    expect(() =>
      checkTree([
        { path: 'docs/x.js', kind: 'file' },
        { path: 'docs', kind: 'symlink', linkTarget: 'lib' },
      ]),
    ).toThrow(expect.objectContaining({ code: 'unsafe_link' }));
  });
});
