/**
 * The reload sequence of one balancer (STYLE habit 9), against a small control interface so it can be
 * tested without Docker: stage → validate → keep the previous → swap → reload → confirm; on a failed
 * reload put the previous back and reload again. The caller makes sure only one sequence runs per app.
 */

/** Where the balancer's files live: the container's /tmp tmpfs (its root filesystem is read-only). */
export const HAPROXY_FILES = {
  live: '/tmp/haproxy.cfg',
  next: '/tmp/haproxy.next.cfg',
  previous: '/tmp/haproxy.prev.cfg',
} as const;

/** What the sequence needs from a running balancer. */
export interface HaproxyControl {
  /** The file's text, or undefined when it does not exist. */
  readFile(path: string): Promise<string | undefined>;
  /** Replaces the file's content with `text`. */
  writeFile(path: string, text: string): Promise<void>;
  /**
   * In one step inside the container: writes `text` to the staging file and runs `haproxy -c` on it; only
   * when that passes, copies the live file to the previous one and puts `text` in the live file.
   * `previous` is the live file as it was (undefined when there was none, or when `valid` is false).
   */
  install(text: string): Promise<{ valid: boolean; output: string; previous: string | undefined }>;
  /**
   * Asks the master to reload (SIGUSR2) and resolves with its verdict on the configuration whose
   * `.notice` carries `marker` ("Loading success." or "Loading failure!"); `loaded: false` on no answer.
   */
  reload(marker: string): Promise<{ loaded: boolean; output: string }>;
}

/** The new configuration failed `haproxy -c`: nothing was swapped or reloaded. */
export class ConfigRejectedError extends Error {
  override name = 'ConfigRejectedError';
  constructor(readonly output: string) {
    super(`haproxy rejected the configuration: ${lastLines(output)}`);
  }
}

/** The master did not load the new configuration; `restored` tells whether the previous one runs again. */
export class ReloadFailedError extends Error {
  override name = 'ReloadFailedError';
  constructor(
    readonly output: string,
    readonly restored: boolean,
  ) {
    super(
      `haproxy did not load the configuration (${restored ? 'previous one restored' : 'previous one NOT restored'}): ${lastLines(output)}`,
    );
  }
}

const HASH_LINE = /^# berth-lb-config ([0-9a-f]{16})$/;

/**
 * The file as written: a first line naming the configuration's hash (so any process can tell what a
 * running balancer has, even after a restart of the API), then a `.notice` with a marker unique to this
 * load, which the master prints while it parses: the reload's verdict is the "Loading ..." line after it.
 */
export function configFileText(options: { text: string; hash: string; marker: string }): string {
  if (!/^[0-9a-f]{16}$/.test(options.hash)) throw new RangeError('hash must be 16 hex digits');
  if (!/^[A-Za-z0-9 _.:-]{1,120}$/.test(options.marker)) throw new RangeError('marker has unsafe characters');
  return `# berth-lb-config ${options.hash}\n.notice "${options.marker}"\n${options.text}`;
}

/** The hash a configuration file declares on its first line, if any. */
export function appliedHashOf(fileText: string | undefined): string | undefined {
  const first = fileText?.split('\n', 1)[0] ?? '';
  return HASH_LINE.exec(first)?.[1];
}

/** The same file with another load marker (to reload an earlier file and still recognise its verdict). */
export function withMarker(fileText: string, marker: string): string {
  const lines = fileText.split('\n');
  if (!HASH_LINE.test(lines[0] ?? '') || !(lines[1] ?? '').startsWith('.notice ')) return fileText;
  const hash = HASH_LINE.exec(lines[0]!)![1]!;
  return configFileText({ text: lines.slice(2).join('\n'), hash, marker });
}

/**
 * Applies `text` to a running balancer without dropping anything: the listening sockets pass from the old
 * worker to the new one (master-worker reload), the old worker finishes what it holds. Throws
 * ConfigRejectedError (nothing changed) or ReloadFailedError (previous configuration restored when possible).
 */
export async function applyHaproxyConfig(
  control: HaproxyControl,
  options: { text: string; hash: string; marker: string },
): Promise<void> {
  // Stage, validate, keep the previous, swap. The master reads the live file only when signalled below,
  // and the caller lets one sequence run per balancer, so no reader ever sees it half-written (the image
  // has no mv to rename with).
  const { valid, output, previous } = await control.install(configFileText(options));
  if (!valid) throw new ConfigRejectedError(output);
  const verdict = await control.reload(options.marker).catch((err: unknown) => ({
    loaded: false,
    output: err instanceof Error ? err.message : String(err),
  }));
  if (verdict.loaded) return;

  if (previous === undefined) throw new ReloadFailedError(verdict.output, false);
  const restoreMarker = `${options.marker} restore`;
  await control.writeFile(HAPROXY_FILES.live, withMarker(previous, restoreMarker));
  const restored = await control.reload(restoreMarker).catch(() => ({ loaded: false, output: '' }));
  throw new ReloadFailedError(verdict.output, restored.loaded);
}

function lastLines(output: string): string {
  return output.trim().split('\n').slice(-3).join(' | ').slice(0, 400);
}
