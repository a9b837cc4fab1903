/**
 * A small HTTP client of Berth's REST API for the benchmarks: one logged-in user, re-logging in before
 * the 15-minute access token runs out, and the few calls the benchmarks make.
 */
import crypto from 'node:crypto';

export const BENCH_PASSWORD = 'bench password, long enough';

export interface ApiResponse<T> {
  status: number;
  body: T;
}

/** What GET /v1/apps/{app} and /status answer (the fields the benchmarks read). */
export interface AppState {
  id: string;
  name: string;
  phase: string;
  converged: boolean;
  replicas: number;
  endpoints: string[];
  statusReason: string | null;
  release: { version: number } | null;
}

/** Limits of a plan as POST /v1/admin/plans takes them. */
export interface PlanLimits {
  id: string;
  name: string;
  memoryMb: number;
  cpuMillis: number;
  /** The build allotment; the plans table's defaults (1024 MB, one core) when absent. */
  buildMemoryMb?: number;
  buildCpuMillis?: number;
  maxApps: number;
  maxReplicasPerApp: number;
  maxTotalMemoryMb: number;
  loadBalancerAllowed: boolean;
  maxUploadMb: number;
  buildTimeoutSeconds: number;
  concurrentBuilds: number;
  /** Whether apps may sleep when idle (the plans table's default, false, when absent). */
  scaleToZero?: boolean;
}

/** Access tokens live 15 minutes; log in again well before. */
const TOKEN_REFRESH_MS = 10 * 60_000;

export class ApiClient {
  private token: string | undefined;
  private tokenAt = 0;

  /** `baseUrl` is read on every call: the API may be restarted on another port. */
  constructor(
    private readonly baseUrl: () => string,
    readonly email: string,
    private readonly password: string,
  ) {}

  /** A new tenant with its owner logged in, switched to `planId`. */
  static async signup(baseUrl: () => string, label: string, planId: string): Promise<ApiClient> {
    const email = `${label}-${crypto.randomBytes(4).toString('hex')}@bench.example`;
    const client = new ApiClient(baseUrl, email, BENCH_PASSWORD);
    await client.call('POST', '/v1/auth/signup', {
      json: { email, password: BENCH_PASSWORD },
      auth: false,
      expect: 201,
    });
    await client.call('PUT', '/v1/tenant/plan', { json: { planId }, expect: 200 });
    return client;
  }

  get url(): string {
    return this.baseUrl();
  }

  /** `Bearer <token>`, logging in first when the token is missing or old. */
  async authorization(): Promise<string> {
    if (!this.token || performance.now() - this.tokenAt > TOKEN_REFRESH_MS) {
      const res = await this.call<{ accessToken: string }>('POST', '/v1/auth/login', {
        json: { email: this.email, password: this.password },
        auth: false,
        expect: 200,
      });
      this.token = res.body.accessToken;
      this.tokenAt = performance.now();
    }
    return `Bearer ${this.token}`;
  }

  async call<T = unknown>(
    method: string,
    path: string,
    options: {
      json?: unknown;
      body?: Buffer;
      contentType?: string;
      auth?: boolean;
      /** Expected status(es); anything else throws with the problem+json body in the message. */
      expect?: number | number[];
    } = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = {};
    if (options.auth !== false) headers.authorization = await this.authorization();
    let body: string | Buffer | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.body) {
      headers['content-type'] = options.contentType ?? 'application/gzip';
      body = options.body;
    }
    const res = await fetch(`${this.baseUrl()}${path}`, {
      method,
      headers,
      body,
      signal: AbortSignal.timeout(60_000),
    });
    const text = await res.text();
    const parsed = (text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T;
    const expected = options.expect === undefined ? undefined : [options.expect].flat();
    if (expected && !expected.includes(res.status)) {
      throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    }
    return { status: res.status, body: parsed };
  }

  async createApp(name: string): Promise<AppState> {
    return (await this.call<AppState>('POST', '/v1/apps', { json: { name }, expect: 201 })).body;
  }

  app(name: string): Promise<AppState> {
    return this.call<AppState>('GET', `/v1/apps/${name}`, { expect: 200 }).then((res) => res.body);
  }

  apps(): Promise<AppState[]> {
    return this.call<AppState[]>('GET', '/v1/apps', { expect: 200 }).then((res) => res.body);
  }

  /** Uploads a tar.gz; resolves with the build id once the API accepted it (202). */
  async upload(app: string, archive: Buffer): Promise<string> {
    const res = await this.call<{ id: string }>('POST', `/v1/apps/${app}/builds`, {
      body: archive,
      expect: 202,
    });
    return res.body.id;
  }

  build(app: string, id: string): Promise<{ status: string; error: string | null }> {
    return this.call<{ status: string; error: string | null }>('GET', `/v1/apps/${app}/builds/${id}`, {
      expect: 200,
    }).then((res) => res.body);
  }

  async scale(app: string, replicas: number): Promise<void> {
    await this.call('PATCH', `/v1/apps/${app}`, { json: { replicas }, expect: 202 });
  }

  async start(app: string): Promise<void> {
    await this.call('POST', `/v1/apps/${app}/start`, { expect: 202 });
  }

  async stop(app: string): Promise<void> {
    await this.call('POST', `/v1/apps/${app}/stop`, { expect: 202 });
  }

  async deleteApp(app: string): Promise<void> {
    await this.call('DELETE', `/v1/apps/${app}`, { expect: [202, 404] });
  }
}
