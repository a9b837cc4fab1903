import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository, type EntityManager } from 'typeorm';
import { AuditService } from '../audit/index.js';
import { BERTH_CONFIG, type BerthConfig } from '../config/index.js';
import { ProblemError, problems } from '../errors/index.js';
import { isUniqueViolation } from '../db/index.js';
import { actorOf, type Principal } from '../identity/index.js';
import { EnginePool, type HostTls } from './engine-pool.js';
import { HostGuard } from './host-guard.js';
import { parseHostEndpoint, type HostEndpoint } from './host-endpoint.js';
import { Host, type HostStatus } from './host.entity.js';
import { DEFAULT_PROBE_TIMEOUT_MS, probeEngine } from './host-probe.js';

export interface RegisterHostInput {
  name: string;
  /** `unix:///var/run/docker.sock` or `tcp://10.0.0.5:2376`. */
  endpoint: string;
  /** PEM client material for a tcp endpoint; stored sealed, never returned. */
  tls?: HostTls;
  /** IP address the host's published ports are reached at; 127.0.0.1 by default for unix endpoints. */
  publicAddress?: string;
  labels?: Record<string, string>;
}

/** The name the first-start registration gives the machine's own Docker Engine. */
export const LOCAL_HOST_NAME = 'local';

/**
 * The host pool as operators manage it: register (after probing the engine), cordon, drain, uncordon,
 * remove (through libs/runtime's HostRemoval, which knows whether replicas are left). `adminStatus` is the operator's choice; `status`, which the scheduler reads, is the same unless
 * the monitor found the host down. Every change writes an audit event.
 */
@Injectable()
export class HostsService {
  private readonly logger = new Logger('HostsService');

  constructor(
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(Host) private readonly hosts: Repository<Host>,
    private readonly pool: EnginePool,
    private readonly audit: AuditService,
    private readonly guard: HostGuard,
  ) {}

  /** Probes the engine first; an engine that does not answer is refused (422 host_unreachable). */
  async register(principal: Principal, input: RegisterHostInput): Promise<Host> {
    assertOperator(principal);
    return this.registerAs(actorOf(principal), input);
  }

  list(principal: Principal): Promise<Host[]> {
    assertOperator(principal);
    return this.pool.hosts();
  }

  async get(principal: Principal, id: string): Promise<Host> {
    assertOperator(principal);
    const host = await this.hosts.findOne({ where: { id } });
    if (!host) throw problems.notFound('host', id);
    return host;
  }

  /** No new work goes to the host; what runs there stays. */
  cordon(principal: Principal, id: string): Promise<Host> {
    assertOperator(principal);
    return this.setAdminStatus(principal, id, 'cordoned', 'host.cordon');
  }

  /** The host takes new work again. */
  uncordon(principal: Principal, id: string): Promise<Host> {
    assertOperator(principal);
    return this.setAdminStatus(principal, id, 'ready', 'host.uncordon');
  }

  /** No new work goes to the host, and the runtime moves its replicas elsewhere. */
  drain(principal: Principal, id: string): Promise<Host> {
    assertOperator(principal);
    return this.setAdminStatus(principal, id, 'draining', 'host.drain');
  }

  /**
   * Deletes the host once `assertEmpty` (the runtime's check that no replica is left on it, which throws
   * otherwise) passes, inside the transaction that holds the host's row lock.
   */
  async remove(
    principal: Principal,
    id: string,
    assertEmpty: (host: Host, manager: EntityManager) => Promise<void>,
  ): Promise<void> {
    assertOperator(principal);
    const removed = await this.dataSource.transaction(async (manager) => {
      const host = await manager.findOne(Host, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!host) throw problems.notFound('host', id);
      await assertEmpty(host, manager);
      await manager.delete(Host, id);
      await this.audit.record(
        {
          tenantId: null,
          actor: actorOf(principal),
          action: 'host.remove',
          target: `host:${id}`,
          data: { name: host.name, endpoint: host.endpoint },
        },
        manager,
      );
      return host;
    });
    // The guard leaves with the host (taking its rules with it). A host that does not answer keeps its
    // guard: harmless, and removed by hand (docs/hosts.md) or when the machine is registered again.
    await this.guard.remove(removed).catch((error: unknown) => {
      this.logger.warn(`host ${removed.name}: its guard was not removed: ${String(error)}`);
    });
    this.pool.invalidate(id);
  }

  /**
   * First start: registers the machine's own engine (config.localDockerSocket) as host `local` when the
   * pool is empty. An engine that does not answer is a warning, never a failed start: the API runs
   * without Docker, and the operator registers hosts later.
   */
  async ensureLocalHost(): Promise<Host | undefined> {
    const socket = this.config.localDockerSocket;
    if (!socket) return undefined;
    if ((await this.hosts.count()) > 0) return undefined;
    try {
      const host = await this.registerAs('system', {
        name: LOCAL_HOST_NAME,
        endpoint: `unix://${socket}`,
        publicAddress: this.config.publishAddress,
      });
      this.logger.log(
        `registered the local Docker Engine ${host.endpoint} as host '${host.name}' (Docker ${host.engineVersion})`,
      );
      return host;
    } catch (error) {
      if (!(error instanceof ProblemError)) throw error;
      // host_exists: another process registered it a moment ago, which is what we wanted.
      if (error.code !== 'host_exists') {
        this.logger.warn(
          `no local host registered: ${error.detail ?? error.title}; register hosts with POST /v1/admin/hosts`,
        );
      }
      return undefined;
    }
  }

  private async registerAs(actor: string, input: RegisterHostInput): Promise<Host> {
    const endpoint = validEndpoint(input);
    const publicAddress = input.publicAddress ?? (endpoint.kind === 'unix' ? '127.0.0.1' : undefined);
    if (!publicAddress) {
      throw problems.unprocessable(
        'public_address_required',
        "A tcp:// host needs publicAddress: the IP address its replicas' published ports are reached at",
      );
    }
    await this.assertNoDuplicate(this.dataSource.manager, input.name, endpoint.endpoint);

    const engine = this.pool.connect({ endpoint: endpoint.endpoint, tls: input.tls });
    const probe = await probeEngine(engine, DEFAULT_PROBE_TIMEOUT_MS);
    if (!probe.ok) {
      throw problems.unprocessable(
        'host_unreachable',
        `The Docker Engine at ${endpoint.endpoint} did not answer: ${probe.error}`,
        { endpoint: endpoint.endpoint },
      );
    }

    const id = randomUUID();
    try {
      return await this.dataSource.transaction(async (manager) => {
        // One registration at a time, so two calls cannot both pass the duplicate check.
        await manager.query(`SELECT pg_advisory_xact_lock(hashtext('berth.hosts.register'))`);
        await this.assertNoDuplicate(manager, input.name, endpoint.endpoint);
        const host = await manager.save(
          manager.create(Host, {
            id,
            name: input.name,
            endpoint: endpoint.endpoint,
            tlsSealed: input.tls ? this.pool.sealTls(id, input.tls) : null,
            status: 'ready',
            adminStatus: 'ready',
            publicAddress,
            engineVersion: probe.info.engineVersion.slice(0, 40),
            cpus: probe.info.cpus,
            memoryMb: probe.info.memoryMb,
            labels: input.labels ?? {},
            consecutiveFailures: 0,
            lastHeartbeatAt: new Date(),
            lastError: null,
          }),
        );
        await this.audit.record(
          {
            tenantId: null,
            actor,
            action: 'host.register',
            target: `host:${host.id}`,
            // Whether TLS is used, never the material.
            data: {
              name: host.name,
              endpoint: host.endpoint,
              tls: input.tls !== undefined,
              publicAddress,
              labels: host.labels,
              engineVersion: host.engineVersion,
            },
          },
          manager,
        );
        return host;
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw hostExists(`A host named '${input.name}' already exists`);
      throw error;
    }
  }

  private async assertNoDuplicate(manager: EntityManager, name: string, endpoint: string): Promise<void> {
    const existing = await manager.findOne(Host, { where: [{ name }, { endpoint }] });
    if (!existing) return;
    throw hostExists(
      existing.name === name
        ? `A host named '${name}' already exists`
        : `Host '${existing.name}' already has the endpoint ${endpoint}`,
      existing.id,
    );
  }

  private async setAdminStatus(
    principal: Principal,
    id: string,
    adminStatus: HostStatus,
    action: string,
  ): Promise<Host> {
    return this.dataSource.transaction(async (manager) => {
      // The row lock orders this against the monitor's update, which derives status from admin_status.
      const host = await manager.findOne(Host, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!host) throw problems.notFound('host', id);
      const status: HostStatus = host.status === 'down' ? 'down' : adminStatus;
      await manager.update(Host, id, { adminStatus, status });
      await this.audit.record(
        {
          tenantId: null,
          actor: actorOf(principal),
          action,
          target: `host:${id}`,
          data: { name: host.name, from: host.adminStatus, to: adminStatus, status },
        },
        manager,
      );
      return Object.assign(host, { adminStatus, status });
    });
  }
}

function assertOperator(principal: Principal): void {
  if (!principal.operator) throw problems.forbidden('Operators only');
}

function hostExists(detail: string, hostId?: string): ProblemError {
  return new ProblemError(409, 'host_exists', 'Conflict', detail, hostId ? { hostId } : {});
}

/** The endpoint, checked against the rules TLS and plain tcp must keep. */
function validEndpoint(input: RegisterHostInput): HostEndpoint {
  const endpoint = parseHostEndpoint(input.endpoint);
  if ('error' in endpoint) {
    throw problems.unprocessable('invalid_endpoint', `Endpoint ${input.endpoint}: ${endpoint.error}`);
  }
  if (endpoint.kind === 'unix' && input.tls) {
    throw problems.unprocessable(
      'tls_requires_tcp',
      'TLS material applies to tcp:// endpoints only; a unix socket is reached without it',
    );
  }
  if (endpoint.kind === 'tcp' && !input.tls && !isLoopback(endpoint.hostname)) {
    // A plain-tcp Engine API is root on that machine for anyone who can reach the port.
    throw problems.unprocessable(
      'tls_required',
      'A tcp:// endpoint beyond this machine needs tls (ca, cert, key): plain tcp gives anyone on the path root on the host',
    );
  }
  return endpoint;
}

function isLoopback(hostname: string): boolean {
  if (hostname === 'localhost' || hostname === '::1') return true;
  return isIP(hostname) === 4 && hostname.startsWith('127.');
}
