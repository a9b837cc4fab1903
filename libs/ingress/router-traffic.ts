import { Inject, Injectable, Logger } from '@nestjs/common';
import { EnginePool, type Host } from '../hosts/index.js';
import { EgressLedger, type RequestBytes, type RouterLogMark } from '../metering/index.js';
import { INGRESS_SETTINGS, type IngressSettings } from './ingress-settings.js';
import { parseRouterAccessLine } from './router-access-log.js';
import { routerContainerName } from './router-container.js';

/** Lines of one router log counted per pass at most; the rest waits for the next pass. */
const MAX_LINES_PER_PASS = 50_000;

/**
 * Counts the router's bytes per app into the metering ledger (EgressLedger): each pass reads every
 * router's container log from where the last pass stopped (`since` rounded down to the millisecond,
 * then lines up to the stored (timestamp, ordinal) skipped) and records the bytes of its access lines
 * together with the new position. A router that was recreated is a new container: its log is counted from
 * its start (EdgeRouter counts its predecessor's last lines before it removes it). Runs after each router
 * sync, in the process that holds the ingress lock.
 */
@Injectable()
export class RouterTrafficCollector {
  private readonly logger = new Logger('RouterTrafficCollector');

  constructor(
    @Inject(INGRESS_SETTINGS) private readonly settings: IngressSettings,
    private readonly pool: EnginePool,
    private readonly ledger: EgressLedger,
  ) {}

  async collectAll(): Promise<void> {
    const hosts = (await this.pool.hosts()).filter((h) => h.status === 'ready' || h.status === 'cordoned');
    for (const host of hosts) {
      try {
        await this.collect(host);
      } catch (err) {
        this.logger.warn(
          `router traffic of host ${host.name}: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
  }

  /** One pass over one host's router log; returns the requests counted. */
  async collect(host: Host): Promise<number> {
    const engine = await this.pool.engineFor(host);
    const details = await engine.inspectContainer({ id: routerContainerName(this.settings.httpPort) });
    if (!details) return 0;
    const from = await this.ledger.mark(host.id);
    const resume = from?.containerId === details.id ? from : undefined;
    const lines = engine.containerLogs({
      id: details.id,
      follow: false,
      ...(resume ? { since: new Date(millisOf(resume.timestamp)) } : {}),
    });
    const { requests, last } = await newRequests(lines, {
      containerId: details.id,
      resume,
      maxLines: MAX_LINES_PER_PASS,
    });
    if (!last) return 0;
    const moved = await this.ledger.record(host.id, { from, to: last }, requests);
    return moved ? requests.length : 0;
  }
}

/**
 * The requests of the access lines after `resume` among a router log's lines (read from `resume`'s
 * millisecond on, or from the log's start), at most `maxLines` lines, and the position of the last line
 * taken. A line's position is its timestamp and its ordinal among the lines of that timestamp, counted
 * from the first of them, so a read that starts at the millisecond of `resume` recognises the lines
 * already counted.
 */
export async function newRequests(
  lines: AsyncIterable<{ stream: string; timestamp: string; text: string }>,
  options: { containerId: string; resume: RouterLogMark | undefined; maxLines: number },
): Promise<{ requests: RequestBytes[]; last: RouterLogMark | undefined }> {
  const requests: RequestBytes[] = [];
  let last: RouterLogMark | undefined;
  let previous: string | undefined;
  let ordinal = 0;
  let read = 0;
  for await (const line of lines) {
    const timestamp = canonicalTimestamp(line.timestamp);
    ordinal = timestamp === previous ? ordinal + 1 : 0;
    previous = timestamp;
    if (options.resume && before(timestamp, ordinal, options.resume)) continue;
    last = { containerId: options.containerId, timestamp, ordinal };
    const access = line.stream === 'stdout' ? parseRouterAccessLine(line.text) : undefined;
    if (access && access.bytesIn + access.bytesOut > 0) {
      requests.push({
        appId: access.appId,
        atMs: millisOf(timestamp),
        bytesIn: access.bytesIn,
        bytesOut: access.bytesOut,
      });
    }
    if (++read >= options.maxLines) break;
  }
  return { requests, last };
}

function before(timestamp: string, ordinal: number, mark: RouterLogMark): boolean {
  return timestamp < mark.timestamp || (timestamp === mark.timestamp && ordinal <= mark.ordinal);
}

/** Docker's RFC 3339 (UTC, fraction with trailing zeros trimmed) with nine fraction digits: sorts as text. */
export function canonicalTimestamp(timestamp: string): string {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(timestamp);
  if (!match) throw new RangeError(`not a UTC RFC 3339 timestamp: ${timestamp.slice(0, 40)}`);
  return `${match[1]}.${(match[2] ?? '').padEnd(9, '0')}Z`;
}

function millisOf(canonical: string): number {
  return Date.parse(`${canonical.slice(0, 23)}Z`);
}
