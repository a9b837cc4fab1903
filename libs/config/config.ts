import path from 'node:path';
import { parseEgressDeny, parseNetworkPolicyMode, type NetworkPolicyMode } from './network-policy-setting.js';
import {
  parseRegistrySetting,
  parseRegistryTokenSetting,
  type RegistrySettings,
} from './registry-setting.js';

/** Every setting Berth reads from the environment, in one typed place (the README's table mirrors it). */
export interface BerthConfig {
  /** Interface the HTTP API listens on. */
  host: string;
  /** Port of the HTTP API; 0 picks a free port. */
  port: number;
  /** Folder for local state: embedded PostgreSQL, master key, blobs. */
  dataDir: string;
  /** External PostgreSQL; when unset Berth starts an embedded one under dataDir/pg. */
  databaseUrl: string | undefined;
  /** Port of the embedded PostgreSQL (127.0.0.1 only). */
  embeddedPgPort: number;
  /** Base64 32-byte master key; when unset one is generated into dataDir/master.key (0600). */
  masterKey: string | undefined;
  /** Issuer and audience written into and checked on every access token. */
  jwtIssuer: string;
  jwtAudience: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** Operator bootstrapped on first start, when both are set. */
  operatorEmail: string | undefined;
  operatorPassword: string | undefined;
  /** bcrypt cost for passwords (never below 12). */
  bcryptCost: number;
  /** Pino log level. */
  logLevel: string;
  /** Login attempts per address per minute before 429. */
  loginRateLimitPerMinute: number;
  /** Docker Engine registered as the first host on first start ('' to skip). */
  localDockerSocket: string;
  /** Address replicas publish their port on. */
  publishAddress: string;
  /** IPv4 range tenant networks get their subnets from (checked at start: libs/networks). */
  tenantSubnets: string;
  /** Prefix length of each tenant's subnet on a host (/24: 253 containers per tenant per host). */
  tenantSubnetPrefix: number;
  /** Whether Berth keeps its network policy on every host (host guard): BERTH_NETWORK_POLICY guard|off. */
  networkPolicy: NetworkPolicyMode;
  /** IPv4 CIDRs tenant containers and builds must not reach (BERTH_EGRESS_DENY), canonical, validated. */
  egressDeny: string[];
  /** Image of the host guard (BERTH_HOST_GUARD_IMAGE), built by scripts/build-base-images.sh. */
  hostGuardImage: string;
  /** Registry images move through between hosts (pushed after each build, pulled by digest), and its
   * token auth (BERTH_REGISTRY_TOKEN_KEY); unset: host to host. */
  registry: RegistrySettings | undefined;
  /** Run the control loops (reconciler, meter, host monitor) inside the API process. */
  runWorkers: boolean;
  /** Pause between reconciler passes (a change of desired state also wakes it at once). */
  reconcileIntervalMs: number;
  /** Pause between full reconcile passes over every app (other passes cover only the apps marked due). */
  reconcileResyncMs: number;
  /** How long after its rollout a release with a health check is rolled back when its replicas fail it. */
  rollbackWindowMs: number;
  /** How long a new replica (after its check's grace period) may take to pass its check before its release is rolled back. */
  rolloutDeadlineMs: number;
  /** How long a replica being removed keeps serving after it left the endpoint list and load balancer. */
  drainDelayMs: number;
  /** Builds this process runs at once (each on a pool host, never in the API process). */
  buildConcurrency: number;
  /** Length of a usage window (aligned to the epoch); usage records are cut per replica/build and window. */
  usageWindowSeconds: number;
  /** The shortest idle time a tenant may set before its app sleeps (scale to zero). */
  sleepMinIdleSeconds: number;
  /** Pause between two looks for idle apps to put to sleep. */
  sleepCheckIntervalMs: number;
  /** How long a request to a sleeping app waits for it to wake before it is answered 503. */
  wakeTimeoutMs: number;
  /** Repeated quota refusals of one tenant, app and quota within this window become one more event. */
  quotaEventWindowMs: number;
  /** Pause between usage meter passes. */
  meterIntervalMs: number;
  /** Pause between build retention passes (expiry of builds beyond each plan's buildRetention). */
  buildRetentionIntervalMs: number;
  /**
   * Pause between retention passes (libs/retention: events beyond each plan's eventRetentionDays, finished
   * webhook deliveries after 7 days, audit events beyond auditRetentionDays, run output beyond runRetention).
   */
  retentionIntervalMs: number;
  /** Days audit events are kept (an operator's setting: compliance decides it, not the tenant's plan). */
  auditRetentionDays: number;
  /** Pause between resource samples of every running replica (libs/metrics). */
  metricsIntervalMs: number;
  /** How long replica samples are kept. */
  metricsRetentionHours: number;
  /** Lifetime of a log-session token (WebSocket log streams for browsers). */
  logSessionTtlSeconds: number;
  /** Heavy reads (log pages and reads, usage exports) a tenant may make at once, across API processes. */
  heavyReadBurst: number;
  /** Heavy reads a tenant regains per minute after its burst. */
  heavyReadsPerMinute: number;
  /** Changes that start or stop containers (start, stop, scale, sleep, deploys, …) a tenant may make at once. */
  containerChangeBurst: number;
  /** Such changes a tenant regains per minute after its burst. */
  containerChangesPerMinute: number;
  /** Open log streams (WebSocket and followed NDJSON) per tenant and API process. */
  logStreamsPerTenant: number;
  /** WebSocket ping interval; a peer that misses one pong is terminated at the next ping. */
  logStreamPingIntervalMs: number;
  /** How far a log stream client may fall behind (lines) before its oldest waiting lines are dropped. */
  logStreamBufferLines: number;
  /** Bytes written to a stream's socket but not yet flushed before the stream pauses (its lines wait in the ring). */
  logStreamBufferBytes: number;
  /** How long an app's container follows and log ring outlive its last stream (exact resume on reconnect). */
  logLingerMs: number;
  /**
   * How long an API process reuses an authenticated principal (user or key, role, scopes, tenant standing)
   * for the same bearer; also the longest a revocation takes to act when a change notification is lost.
   * 0 reads the database on every request.
   */
  principalCacheMs: number;
  /**
   * How long an API process keeps a tenant's GET /v1/apps list at most. Every change the list shows notifies
   * every process at commit (migration AppListChanges), so this only bounds a change the triggers miss.
   * 0 reads the database on every request.
   */
  appListCacheMs: number;
  /** Webhooks may target http://127.0.0.1 / ::1 (BERTH_WEBHOOKS_ALLOW_LOOPBACK=1): tests only. */
  webhooksAllowLoopback: boolean;
  /** Pause between webhook dispatch passes (new events fanned out, due deliveries sent). */
  webhooksIntervalMs: number;
  /** First retry delay of a failed delivery; it doubles per attempt up to webhooksRetryMaxMs. */
  webhooksRetryBaseMs: number;
  webhooksRetryMaxMs: number;
  /** How long after its event a delivery is retried before it is `failed`. */
  webhooksGiveUpMs: number;
  /** Per-request timeout of a delivery (connect to last byte read). */
  webhooksTimeoutMs: number;
  /** How long the previous signing secret stays valid (and signs too) after a rotation. */
  webhooksSecretOverlapMs: number;
  /**
   * PEM file of extra CAs log drains trust besides Node's bundled roots (BERTH_LOG_DRAIN_CA_FILE): a private
   * syslog or HTTPS receiver's CA, or a test's self-signed one. Read at start; a missing file refuses start.
   */
  logDrainCaFile: string | null;
  /** First retry delay of a drain batch that failed; it doubles per attempt (BERTH_LOG_DRAIN_RETRY_BASE_MS). */
  logDrainRetryBaseMs: number;
  /**
   * Whether this process, when it runs the workers, may archive app logs to PostgreSQL (BERTH_LOG_ARCHIVE,
   * default true; libs/logs/archive). Off, lines live only as long as their containers' logs.
   */
  logArchive: boolean;
}

function intFrom(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`${name} must be a non-negative integer`);
  return parsed;
}

function positiveIntFrom(value: string | undefined, fallback: number, name: string): number {
  const parsed = intFrom(value, fallback, name);
  if (parsed < 1) throw new Error(`${name} must be at least 1`);
  return parsed;
}

function registryFrom(env: NodeJS.ProcessEnv): RegistrySettings | undefined {
  const registry = parseRegistrySetting(env.BERTH_REGISTRY);
  const token = parseRegistryTokenSetting(registry, {
    keyFile: env.BERTH_REGISTRY_TOKEN_KEY,
    issuer: env.BERTH_REGISTRY_TOKEN_ISSUER,
    service: env.BERTH_REGISTRY_SERVICE,
  });
  return registry && token ? { ...registry, token } : registry;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): BerthConfig {
  const dataDir = path.resolve(env.BERTH_DATA_DIR ?? '.data');
  return {
    host: env.HOST ?? '127.0.0.1',
    port: intFrom(env.PORT, 3000, 'PORT'),
    dataDir,
    databaseUrl: env.DATABASE_URL || undefined,
    embeddedPgPort: intFrom(env.BERTH_EMBEDDED_PG_PORT, 54329, 'BERTH_EMBEDDED_PG_PORT'),
    masterKey: env.BERTH_MASTER_KEY || undefined,
    jwtIssuer: env.BERTH_JWT_ISSUER ?? 'berth',
    jwtAudience: env.BERTH_JWT_AUDIENCE ?? 'berth-api',
    accessTokenTtlSeconds: Math.min(intFrom(env.BERTH_ACCESS_TOKEN_TTL, 900, 'BERTH_ACCESS_TOKEN_TTL'), 900),
    refreshTokenTtlSeconds: intFrom(env.BERTH_REFRESH_TOKEN_TTL, 30 * 24 * 3600, 'BERTH_REFRESH_TOKEN_TTL'),
    operatorEmail: env.BERTH_OPERATOR_EMAIL || undefined,
    operatorPassword: env.BERTH_OPERATOR_PASSWORD || undefined,
    bcryptCost: Math.max(12, intFrom(env.BERTH_BCRYPT_COST, 12, 'BERTH_BCRYPT_COST')),
    logLevel: env.LOG_LEVEL ?? 'info',
    loginRateLimitPerMinute: intFrom(env.BERTH_LOGIN_RATE_LIMIT, 20, 'BERTH_LOGIN_RATE_LIMIT'),
    localDockerSocket: env.BERTH_LOCAL_DOCKER_SOCKET ?? '/var/run/docker.sock',
    publishAddress: env.BERTH_PUBLISH_ADDRESS ?? '127.0.0.1',
    tenantSubnets: env.BERTH_TENANT_SUBNETS || '10.64.0.0/10',
    tenantSubnetPrefix: intFrom(env.BERTH_TENANT_SUBNET_PREFIX, 24, 'BERTH_TENANT_SUBNET_PREFIX'),
    networkPolicy: parseNetworkPolicyMode(env.BERTH_NETWORK_POLICY),
    egressDeny: parseEgressDeny(env.BERTH_EGRESS_DENY),
    hostGuardImage: env.BERTH_HOST_GUARD_IMAGE || 'berth/host-guard:local',
    registry: registryFrom(env),
    runWorkers: (env.BERTH_RUN_WORKERS ?? 'true') !== 'false',
    reconcileIntervalMs: intFrom(env.BERTH_RECONCILE_INTERVAL_MS, 2000, 'BERTH_RECONCILE_INTERVAL_MS'),
    reconcileResyncMs: intFrom(env.BERTH_RECONCILE_RESYNC_MS, 30_000, 'BERTH_RECONCILE_RESYNC_MS'),
    drainDelayMs: intFrom(env.BERTH_DRAIN_DELAY_MS, 3000, 'BERTH_DRAIN_DELAY_MS'),
    rollbackWindowMs: intFrom(env.BERTH_ROLLBACK_WINDOW_MS, 300_000, 'BERTH_ROLLBACK_WINDOW_MS'),
    rolloutDeadlineMs: intFrom(env.BERTH_ROLLOUT_DEADLINE_MS, 120_000, 'BERTH_ROLLOUT_DEADLINE_MS'),
    buildConcurrency: Math.max(1, intFrom(env.BERTH_BUILD_CONCURRENCY, 2, 'BERTH_BUILD_CONCURRENCY')),
    usageWindowSeconds: Math.max(
      1,
      intFrom(env.BERTH_USAGE_WINDOW_SECONDS, 60, 'BERTH_USAGE_WINDOW_SECONDS'),
    ),
    meterIntervalMs: intFrom(env.BERTH_METER_INTERVAL_MS, 10_000, 'BERTH_METER_INTERVAL_MS'),
    sleepMinIdleSeconds: positiveIntFrom(
      env.BERTH_SLEEP_MIN_IDLE_SECONDS,
      60,
      'BERTH_SLEEP_MIN_IDLE_SECONDS',
    ),
    sleepCheckIntervalMs: positiveIntFrom(env.BERTH_SLEEP_CHECK_MS, 10_000, 'BERTH_SLEEP_CHECK_MS'),
    wakeTimeoutMs: positiveIntFrom(env.BERTH_WAKE_TIMEOUT_MS, 25_000, 'BERTH_WAKE_TIMEOUT_MS'),
    quotaEventWindowMs: positiveIntFrom(
      env.BERTH_QUOTA_EVENT_WINDOW_MS,
      10_000,
      'BERTH_QUOTA_EVENT_WINDOW_MS',
    ),
    buildRetentionIntervalMs: Math.max(
      100,
      intFrom(env.BERTH_BUILD_RETENTION_MS, 10 * 60_000, 'BERTH_BUILD_RETENTION_MS'),
    ),
    retentionIntervalMs: Math.max(
      100,
      intFrom(env.BERTH_RETENTION_INTERVAL_MS, 10 * 60_000, 'BERTH_RETENTION_INTERVAL_MS'),
    ),
    auditRetentionDays: positiveIntFrom(env.BERTH_AUDIT_RETENTION_DAYS, 365, 'BERTH_AUDIT_RETENTION_DAYS'),
    metricsIntervalMs: positiveIntFrom(env.BERTH_METRICS_INTERVAL_MS, 10_000, 'BERTH_METRICS_INTERVAL_MS'),
    metricsRetentionHours: positiveIntFrom(
      env.BERTH_METRICS_RETENTION_HOURS,
      24,
      'BERTH_METRICS_RETENTION_HOURS',
    ),
    logSessionTtlSeconds: Math.min(
      3600,
      Math.max(10, intFrom(env.BERTH_LOG_SESSION_TTL, 300, 'BERTH_LOG_SESSION_TTL')),
    ),
    heavyReadBurst: positiveIntFrom(env.BERTH_HEAVY_READ_BURST, 30, 'BERTH_HEAVY_READ_BURST'),
    heavyReadsPerMinute: positiveIntFrom(
      env.BERTH_HEAVY_READS_PER_MINUTE,
      60,
      'BERTH_HEAVY_READS_PER_MINUTE',
    ),
    containerChangeBurst: positiveIntFrom(
      env.BERTH_CONTAINER_CHANGE_BURST,
      30,
      'BERTH_CONTAINER_CHANGE_BURST',
    ),
    containerChangesPerMinute: positiveIntFrom(
      env.BERTH_CONTAINER_CHANGES_PER_MINUTE,
      30,
      'BERTH_CONTAINER_CHANGES_PER_MINUTE',
    ),
    logStreamsPerTenant: intFrom(env.BERTH_LOG_STREAMS_PER_TENANT, 10, 'BERTH_LOG_STREAMS_PER_TENANT'),
    logStreamPingIntervalMs: Math.max(
      100,
      intFrom(env.BERTH_LOG_STREAM_PING_MS, 30_000, 'BERTH_LOG_STREAM_PING_MS'),
    ),
    logStreamBufferLines: Math.max(
      1,
      intFrom(env.BERTH_LOG_STREAM_BUFFER_LINES, 5000, 'BERTH_LOG_STREAM_BUFFER_LINES'),
    ),
    logStreamBufferBytes: Math.max(
      16 * 1024,
      intFrom(env.BERTH_LOG_STREAM_BUFFER_BYTES, 1024 * 1024, 'BERTH_LOG_STREAM_BUFFER_BYTES'),
    ),
    logLingerMs: intFrom(env.BERTH_LOG_LINGER_MS, 15_000, 'BERTH_LOG_LINGER_MS'),
    principalCacheMs: intFrom(env.BERTH_PRINCIPAL_CACHE_MS, 1000, 'BERTH_PRINCIPAL_CACHE_MS'),
    appListCacheMs: intFrom(env.BERTH_APP_LIST_CACHE_MS, 2000, 'BERTH_APP_LIST_CACHE_MS'),
    webhooksAllowLoopback: env.BERTH_WEBHOOKS_ALLOW_LOOPBACK === '1',
    webhooksIntervalMs: positiveIntFrom(env.BERTH_WEBHOOKS_INTERVAL_MS, 1000, 'BERTH_WEBHOOKS_INTERVAL_MS'),
    webhooksRetryBaseMs: positiveIntFrom(
      env.BERTH_WEBHOOKS_RETRY_BASE_MS,
      30_000,
      'BERTH_WEBHOOKS_RETRY_BASE_MS',
    ),
    webhooksRetryMaxMs: positiveIntFrom(
      env.BERTH_WEBHOOKS_RETRY_MAX_MS,
      3_600_000,
      'BERTH_WEBHOOKS_RETRY_MAX_MS',
    ),
    webhooksGiveUpMs: positiveIntFrom(
      env.BERTH_WEBHOOKS_GIVE_UP_MS,
      24 * 3_600_000,
      'BERTH_WEBHOOKS_GIVE_UP_MS',
    ),
    webhooksTimeoutMs: positiveIntFrom(env.BERTH_WEBHOOKS_TIMEOUT_MS, 5000, 'BERTH_WEBHOOKS_TIMEOUT_MS'),
    webhooksSecretOverlapMs: intFrom(
      env.BERTH_WEBHOOKS_SECRET_OVERLAP_MS,
      24 * 3_600_000,
      'BERTH_WEBHOOKS_SECRET_OVERLAP_MS',
    ),
    logDrainCaFile: env.BERTH_LOG_DRAIN_CA_FILE || null,
    logDrainRetryBaseMs: positiveIntFrom(
      env.BERTH_LOG_DRAIN_RETRY_BASE_MS,
      1000,
      'BERTH_LOG_DRAIN_RETRY_BASE_MS',
    ),
    logArchive: (env.BERTH_LOG_ARCHIVE ?? 'true') !== 'false',
  };
}

export const BERTH_CONFIG = Symbol('BERTH_CONFIG');
