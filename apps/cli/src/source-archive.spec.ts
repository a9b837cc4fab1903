import { describe, expect, it } from '@jest/globals';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tar from 'tar';
import { packFolder } from './source-archive.js';

async function folderWith(files: Record<string, string>): Promise<string> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-pack-'));
  for (const [name, body] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(root, name)), { recursive: true });
    await fs.writeFile(path.join(root, name), body);
  }
  return root;
}

async function entriesOf(archive: Buffer): Promise<string[]> {
  const names: string[] = [];
  const parser = new tar.Parser({
    onReadEntry: (entry) => {
      if (entry.type === 'File') names.push(entry.path.replace(/^\.\//, ''));
      entry.resume();
    },
  });
  await new Promise<void>((resolve, reject) => {
    parser.on('end', resolve);
    parser.on('error', reject);
    parser.end(archive);
  });
  return names.sort();
}

describe('packFolder', () => {
  it('leaves out what .gitignore and .berthignore name, .git and symlinks', async () => {
    const root = await folderWith({
      'package.json': '{}',
      'src/index.js': '',
      '.gitignore': 'node_modules/\n*.log\n',
      '.berthignore': 'docs/\n!keep.log\n',
      'node_modules/x/index.js': '',
      'debug.log': '',
      'keep.log': '',
      'docs/readme.md': '',
      '.git/config': '',
    });
    await fs.symlink('/etc/passwd', path.join(root, 'passwd'));
    const { archive, files } = await packFolder(root);
    const names = await entriesOf(archive);
    expect(names).toEqual(['.gitignore', 'keep.log', 'package.json', 'src/index.js']);
    expect(files).toBe(names.length);
    await fs.rm(root, { recursive: true, force: true });
  });

  it('refuses a folder without package.json', async () => {
    const root = await folderWith({ 'index.js': '' });
    await expect(packFolder(root)).rejects.toThrow(/no package.json/);
    await fs.rm(root, { recursive: true, force: true });
  });
});
