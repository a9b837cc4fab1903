import path from 'node:path';

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
  /** Run the control loops (reconciler, meter, host monitor) inside the API process. */
  runWorkers: boolean;
}

function intFrom(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`${name} must be a non-negative integer`);
  return parsed;
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
    runWorkers: (env.BERTH_RUN_WORKERS ?? 'true') !== 'false',
  };
}

export const BERTH_CONFIG = Symbol('BERTH_CONFIG');
