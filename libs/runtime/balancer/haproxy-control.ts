import { execCapabilityOf, type ContainerEngine, type ContainerExecCapability } from '../../engine/index.js';
import { HAPROXY_FILES, type HaproxyControl } from './haproxy-reload.js';

/**
 * Reads a file through dash builtins only (the HAProxy image has haproxy and dash, no cat); exit 3 when
 * the file does not exist. The path comes in as $1: no data is ever spliced into a shell string.
 */
const READ_SCRIPT = `[ -f "$1" ] || exit 3
while IFS= read -r line || [ -n "$line" ]; do printf '%s\\n' "$line"; done < "$1"`;
/** Writes $BERTH_FILE to $1 (dash's printf builtin). */
const WRITE_SCRIPT = `printf '%s' "$BERTH_FILE" > "$1"`;
/**
 * install(): stage $BERTH_FILE in $1, `haproxy -c` it (its output to stderr; exit 4 when refused), then
 * copy the live file $2 to $3 and print it (the previous configuration, for a restore), and only then write
 * the live file. One exec (each costs ~150-250 ms on Docker 20.10), so a reload takes ~0.4 s in all.
 */
const INSTALL_SCRIPT = `printf '%s' "$BERTH_FILE" > "$1" || exit 5
haproxy -c -f "$1" >&2 || exit 4
if [ -f "$2" ]; then
  while IFS= read -r line || [ -n "$line" ]; do printf '%s\\n' "$line"; done < "$2" > "$3" || exit 5
  while IFS= read -r line || [ -n "$line" ]; do printf '%s\\n' "$line"; done < "$3"
fi
printf '%s' "$BERTH_FILE" > "$2" || exit 5`;
const RELOAD_TIMEOUT_MS = 10_000;
const RESIGNAL_MS = 1_500;
/** How far back the log follow starts: the marker is unique, so a wide window only guards against clock skew. */
const LOG_LOOKBACK_MS = 120_000;

/**
 * HaproxyControl for a balancer container on a Docker host: files and `haproxy -c` through the engine's exec
 * capability, the reload as SIGUSR2 to the container (Docker's init forwards it to the HAProxy master), its
 * verdict read from the master's own output in the container log.
 */
export class ContainerHaproxyControl implements HaproxyControl {
  private readonly exec: ContainerExecCapability;

  constructor(
    private readonly engine: ContainerEngine,
    private readonly containerId: string,
  ) {
    this.exec = execCapabilityOf(engine);
  }

  async readFile(path: string): Promise<string | undefined> {
    const result = await this.exec.execInContainer({
      id: this.containerId,
      cmd: ['sh', '-c', READ_SCRIPT, 'sh', path],
    });
    if (result.exitCode === 3) return undefined;
    if (result.exitCode !== 0 || result.truncated) {
      throw new Error(
        `reading ${path} failed (exit ${result.exitCode}): ${result.stderr.trim().slice(0, 300)}`,
      );
    }
    return result.stdout;
  }

  async writeFile(path: string, text: string): Promise<void> {
    const result = await this.exec.execInContainer({
      id: this.containerId,
      cmd: ['sh', '-c', WRITE_SCRIPT, 'sh', path],
      env: { BERTH_FILE: text },
    });
    if (result.exitCode !== 0) {
      throw new Error(
        `writing ${path} failed (exit ${result.exitCode}): ${result.stderr.trim().slice(0, 300)}`,
      );
    }
  }

  async install(text: string): Promise<{ valid: boolean; output: string; previous: string | undefined }> {
    const { next, live, previous } = HAPROXY_FILES;
    const result = await this.exec.execInContainer({
      id: this.containerId,
      cmd: ['sh', '-c', INSTALL_SCRIPT, 'sh', next, live, previous],
      env: { BERTH_FILE: text },
      timeoutMs: 20_000,
    });
    if (result.exitCode === 4) return { valid: false, output: result.stderr, previous: undefined };
    if (result.exitCode !== 0 || result.truncated) {
      throw new Error(
        `installing the configuration failed (exit ${result.exitCode}): ${result.stderr.slice(-300)}`,
      );
    }
    return { valid: true, output: result.stderr, previous: result.stdout === '' ? undefined : result.stdout };
  }

  /** `haproxy -c -f path` on a file already in the container. */
  async check(path: string): Promise<{ valid: boolean; output: string }> {
    const result = await this.exec.execInContainer({
      id: this.containerId,
      cmd: ['haproxy', '-c', '-f', path],
      timeoutMs: 20_000,
    });
    return { valid: result.exitCode === 0, output: `${result.stdout}${result.stderr}` };
  }

  /**
   * SIGUSR2, then the master's verdict from the log. A master that has just finished a reload ignores
   * signals for a moment (it is re-initialising its handlers), so SIGUSR2 is sent again every
   * RESIGNAL_MS until the master starts parsing this file; a second reload of the same file is harmless.
   */
  async reload(marker: string): Promise<{ loaded: boolean; output: string }> {
    const since = new Date(Date.now() - LOG_LOOKBACK_MS);
    const signal = AbortSignal.timeout(RELOAD_TIMEOUT_MS);
    const seen: string[] = [];
    let marked = false;
    let signalError: unknown;
    const sendSignal = () =>
      this.engine.killContainer({ id: this.containerId, signal: 'SIGUSR2' }).catch((err: unknown) => {
        signalError = err;
      });
    await sendSignal();
    if (signalError) throw signalError;
    const resend = setInterval(() => {
      if (!marked) void sendSignal();
    }, RESIGNAL_MS);
    try {
      for await (const line of this.engine.containerLogs({
        id: this.containerId,
        follow: true,
        since,
        signal,
      })) {
        if (!marked) {
          marked = line.text.includes(marker);
          continue;
        }
        if (seen.length < 40) seen.push(line.text);
        if (/Loading success\./.test(line.text)) return { loaded: true, output: seen.join('\n') };
        if (/Loading failure!/.test(line.text)) return { loaded: false, output: seen.join('\n') };
      }
    } finally {
      clearInterval(resend);
    }
    return {
      loaded: false,
      output: marked
        ? `no verdict from the master within ${RELOAD_TIMEOUT_MS} ms: ${seen.join(' | ')}`
        : `the master did not start loading within ${RELOAD_TIMEOUT_MS} ms (or the container stopped)`,
    };
  }
}
