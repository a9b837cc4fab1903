import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { BERTH_KEYS, type BerthKeys } from '../config/index.js';
import { DockerEngine, type ContainerEngine } from '../engine/index.js';
import { problems } from '../errors/index.js';
import { engineExtraLabels } from './engine-labels.js';
import { Host } from './host.entity.js';

/** PEM material of a tcp endpoint protected by TLS client certificates. */
export interface HostTls {
  ca: string;
  cert: string;
  key: string;
}

interface CachedEngine {
  endpoint: string;
  tlsSealed: string | null;
  engine: ContainerEngine;
}

/**
 * The one place the rest of Berth gets a ContainerEngine for a host. Engines are cached per host and
 * rebuilt when the host's endpoint or TLS material changes (or after invalidate). TLS material is
 * unsealed here, only in memory, only to build the client.
 */
@Injectable()
export class EnginePool {
  private readonly engines = new Map<string, CachedEngine>();

  constructor(
    @InjectRepository(Host) private readonly hostRows: Repository<Host>,
    @Inject(BERTH_KEYS) private readonly keys: BerthKeys,
  ) {}

  /** The engine of a registered host (a Host row, or its id: then 404 not_found when there is none). */
  async engineFor(host: Host | string): Promise<ContainerEngine> {
    const row = typeof host === 'string' ? await this.hostRows.findOne({ where: { id: host } }) : host;
    if (!row) throw problems.notFound('host', host as string);
    const cached = this.engines.get(row.id);
    if (cached && cached.endpoint === row.endpoint && cached.tlsSealed === row.tlsSealed)
      return cached.engine;
    const engine = this.connect({ endpoint: row.endpoint, tls: this.unsealTls(row) });
    this.engines.set(row.id, { endpoint: row.endpoint, tlsSealed: row.tlsSealed, engine });
    return engine;
  }

  /** Every registered host, by name. */
  hosts(): Promise<Host[]> {
    return this.hostRows.find({ order: { name: 'ASC' } });
  }

  /** The hosts that take new work: status `ready` (not cordoned, draining or down), by name. */
  schedulableHosts(): Promise<Host[]> {
    return this.hostRows.find({ where: { status: 'ready' }, order: { name: 'ASC' } });
  }

  /** Drops the cached engine of a host (after it was removed, or to force a new client). */
  invalidate(hostId: string): void {
    this.engines.delete(hostId);
  }

  /** An uncached engine for an address that is not (yet) a host: for probing one before registering it. */
  connect(options: { endpoint: string; tls?: HostTls; pingTimeoutMs?: number }): ContainerEngine {
    return new DockerEngine({
      endpoint: options.endpoint,
      ...(options.tls ? { tls: options.tls } : {}),
      extraLabels: engineExtraLabels(),
      ...(options.pingTimeoutMs ? { pingTimeoutMs: options.pingTimeoutMs } : {}),
    });
  }

  /** The sealed form stored in hosts.tls_sealed; the host id is bound in, so it opens for that row only. */
  sealTls(hostId: string, tls: HostTls): string {
    return this.keys.secretBox.seal(JSON.stringify({ ca: tls.ca, cert: tls.cert, key: tls.key }), hostId);
  }

  private unsealTls(host: Host): HostTls | undefined {
    if (!host.tlsSealed) return undefined;
    let opened: string;
    try {
      opened = this.keys.secretBox.open(host.tlsSealed, host.id);
    } catch {
      // Never the crypto error itself: the message says what to do, not what the ciphertext was.
      throw new Error(`the TLS material of host ${host.name} does not open with this master key`);
    }
    const tls = JSON.parse(opened) as HostTls;
    return { ca: tls.ca, cert: tls.cert, key: tls.key };
  }
}
