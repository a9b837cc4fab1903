import { Inject, Injectable } from '@nestjs/common';
import { EnginePool } from '../hosts/index.js';
import { INGRESS_SETTINGS, type IngressSettings } from './ingress-settings.js';
import { parseRouterAccessLine, routerLogText } from './router-access-log.js';
import { routerContainerName } from './router-container.js';

/** A router whose container log may hold access lines. */
export interface RouterLogSource {
  hostId: string;
  /** The router container's name (the engine takes it where it takes an id). */
  container: string;
  /** What the app's log shows as the replica of these lines: `router-<host id>`. */
  replica: string;
}

/** A log line as the engine gives it, and as the app's log takes it. */
export interface RouterSourceLine {
  stream: string;
  timestamp: string;
  text: string;
}

/**
 * Where the router's access lines are: its container's own log, on each host that runs one (the
 * json-file log the engine keeps, bounded by max-size and max-file like every container's). The app's
 * log reads and follows these with `since`/`until` exactly as it reads replicas, keeping only the app's
 * own lines (`appRouterLines`), so REST pages, cursors and the live follow need no store of their own.
 */
@Injectable()
export class RouterLogs {
  constructor(
    @Inject(INGRESS_SETTINGS) private readonly settings: IngressSettings,
    private readonly pool: EnginePool,
  ) {}

  /** The routers of the pool's hosts that run one (none when the router is off). */
  async routers(): Promise<RouterLogSource[]> {
    if (!this.settings.enabled) return [];
    const hosts = (await this.pool.hosts()).filter((h) => h.status === 'ready' || h.status === 'cordoned');
    return hosts.map((host) => ({
      hostId: host.id,
      container: routerContainerName(this.settings.httpPort),
      replica: `router-${host.id}`,
    }));
  }
}

/**
 * The access lines of one app among a router's log lines, as `router` stream lines with the router's
 * text (`routerLogText`); every other line (other apps, unknown hosts, HAProxy's messages) is dropped.
 */
export async function* appRouterLines(
  lines: AsyncIterable<RouterSourceLine>,
  appId: string,
): AsyncGenerator<{ stream: 'router'; timestamp: string; text: string }> {
  for await (const line of lines) {
    if (line.stream !== 'stdout') continue;
    const access = parseRouterAccessLine(line.text);
    if (access?.appId !== appId) continue;
    yield { stream: 'router', timestamp: line.timestamp, text: routerLogText(access) };
  }
}
