import { rejected } from './archive-errors.js';

/** The fields of package.json a build uses; anything else in the file is ignored. */
export interface PackageJsonInfo {
  name?: string;
  version?: string;
  engines?: { node?: string };
  scripts?: Record<string, string>;
  main?: string;
}

/** How the image starts the app: `npm start` (scripts.start) or `node <main>`. */
export type StartCommand = { kind: 'script' } | { kind: 'main'; main: string };

/** Default cap on package.json size (1 MiB): real ones are a few KB. */
export const DEFAULT_MAX_PACKAGE_JSON_BYTES = 1024 * 1024;

/**
 * Parses package.json bytes (a UTF-8 BOM is tolerated, as npm does). Throws 422
 * `invalid_package_json` when it is too large, not JSON, or not an object.
 */
export function parsePackageJson(bytes: Buffer, maxBytes: number): PackageJsonInfo {
  if (bytes.length > maxBytes) {
    throw rejected('invalid_package_json', `package.json is larger than ${maxBytes} bytes`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8').replace(/^\uFEFF/, ''));
  } catch (error) {
    const why = error instanceof Error ? error.message : 'parse error';
    throw rejected('invalid_package_json', `package.json is not valid JSON: ${why.slice(0, 200)}`);
  }
  if (!isRecord(parsed)) throw rejected('invalid_package_json', 'package.json must be a JSON object');
  const info: PackageJsonInfo = {};
  if (typeof parsed.name === 'string') info.name = parsed.name;
  if (typeof parsed.version === 'string') info.version = parsed.version;
  if (typeof parsed.main === 'string') info.main = parsed.main;
  if (isRecord(parsed.engines) && typeof parsed.engines.node === 'string') {
    info.engines = { node: parsed.engines.node };
  }
  if (isRecord(parsed.scripts)) {
    const scripts = Object.entries(parsed.scripts).filter(
      (pair): pair is [string, string] => typeof pair[1] === 'string',
    );
    info.scripts = Object.fromEntries(scripts);
  }
  return info;
}

/**
 * `npm start` when scripts.start is set, else `node <main>`. Throws 422 `no_start_command` when there
 * is neither, and `invalid_package_json` when only an unsafe `main` is given.
 */
export function startCommandOf(pkg: PackageJsonInfo): StartCommand {
  if (pkg.scripts?.start?.trim()) return { kind: 'script' };
  if (pkg.main === undefined || pkg.main.trim() === '') {
    throw rejected(
      'no_start_command',
      'package.json has neither scripts.start nor main: the app cannot be started',
    );
  }
  const main = safeMainPath(pkg.main);
  if (main === undefined) {
    throw rejected('invalid_package_json', 'package.json "main" must be a relative path inside the project');
  }
  return { kind: 'main', main };
}

/**
 * `main` as it goes into `CMD ["node", main]`, or `undefined` when unsafe: absolute, `..`, backslash,
 * control characters, or a leading `-` (node would read it as an option such as `--require`).
 * A leading `./` is dropped.
 */
export function safeMainPath(main: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(main) || main.startsWith('/') || /^[A-Za-z]:/.test(main))
    return undefined;
  const parts = main.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.length === 0 || parts.includes('..') || parts[0].startsWith('-')) return undefined;
  if (main.length > 1024) return undefined;
  return parts.join('/');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
