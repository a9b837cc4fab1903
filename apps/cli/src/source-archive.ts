import fs from 'node:fs';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import * as tar from 'tar';

/** Never uploaded, whatever the ignore files say: version control data and the credentials of tools. */
const ALWAYS_IGNORED = ['.git/', '.berthignore'];

/** The rules of the folder's .gitignore and .berthignore (gitignore syntax; the second adds to the first). */
export function ignoreRules(folder: string): Ignore {
  const rules = ignore().add(ALWAYS_IGNORED);
  for (const name of ['.gitignore', '.berthignore']) {
    const file = path.join(folder, name);
    if (fs.existsSync(file)) rules.add(fs.readFileSync(file, 'utf8'));
  }
  return rules;
}

/**
 * The folder as a tar.gz of what a deploy sends: every file the ignore rules keep, paths relative to the
 * folder, symlinks left out (Berth refuses links that could escape the upload anyway).
 */
export async function packFolder(folder: string): Promise<{ archive: Buffer; files: number }> {
  const root = path.resolve(folder);
  if (!fs.existsSync(path.join(root, 'package.json')))
    throw new Error(`${root} has no package.json: deploy a Node.js project folder`);
  const rules = ignoreRules(root);
  let files = 0;
  const stream = tar.create(
    {
      gzip: true,
      cwd: root,
      portable: true,
      follow: false,
      filter: (entryPath, stat) => {
        const relative = path.relative(root, path.resolve(root, entryPath)).split(path.sep).join('/');
        if (relative === '') return true;
        if ('isSymbolicLink' in stat && stat.isSymbolicLink()) return false;
        const isDirectory = 'isDirectory' in stat && stat.isDirectory();
        if (rules.ignores(isDirectory ? `${relative}/` : relative)) return false;
        if (!isDirectory) files += 1;
        return true;
      },
    },
    ['.'],
  );
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return { archive: Buffer.concat(chunks), files };
}
