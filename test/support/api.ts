import { PassThrough } from 'node:stream';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { createApp } from '../../apps/api/src/create-app.js';
import { loadConfig, type BerthConfig } from '../../libs/config/index.js';
import { migratedDataSource } from './database.js';

export const OPERATOR = { email: 'operator@berth.test', password: 'operator-password-123' };

export interface TestApi {
  app: NestExpressApplication;
  url: string;
  http: ReturnType<typeof request>;
  config: BerthConfig;
  /** Every JSON log line the app wrote so far. */
  logs(): string;
  close(): Promise<void>;
}

/** The real API on this run's PostgreSQL, listening on a free loopback port. */
export async function startTestApi(overrides: Partial<BerthConfig> = {}): Promise<TestApi> {
  const migrator = await migratedDataSource();
  await migrator.destroy();
  const config: BerthConfig = {
    ...loadConfig({
      ...process.env,
      BERTH_DATA_DIR: '.data/test',
      BERTH_OPERATOR_EMAIL: OPERATOR.email,
      BERTH_OPERATOR_PASSWORD: OPERATOR.password,
      BERTH_RUN_WORKERS: 'false',
      // The archiver leads once per database and would follow every test file's apps: only the tests of
      // durable logs turn it on (logArchive: true).
      BERTH_LOG_ARCHIVE: process.env.BERTH_LOG_ARCHIVE ?? 'false',
    }),
    port: 0,
    // The suite signs up many users from 127.0.0.1; the limit itself has a test with a low budget.
    loginRateLimitPerMinute: 10_000,
    // Tests poll logs and usage; the heavy read budget itself has a test with a low budget.
    heavyReadBurst: 10_000,
    // Tests start, stop and scale many times; the change budget itself has a test with a low budget.
    containerChangeBurst: 10_000,
    logLevel: process.env.LOG_LEVEL ?? 'info',
    ...overrides,
  };
  const logStream = new PassThrough();
  let logged = '';
  logStream.on('data', (chunk: Buffer) => (logged += chunk.toString()));
  const app = await createApp({ config, databaseUrl: process.env.DATABASE_URL!, logStream });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  const url = `http://127.0.0.1:${port}`;
  return {
    app,
    url,
    http: request(url),
    config,
    logs: () => logged,
    close: () => app.close(),
  };
}

/** What the helpers below need of an API: an HTTP client (an in-process TestApi or a spawned process). */
export type ApiClient = Pick<TestApi, 'http'>;

let counter = 0;
export function uniqueEmail(label = 'user'): string {
  counter += 1;
  return `${label}-${Date.now().toString(36)}-${counter}-${Math.random().toString(36).slice(2, 6)}@example.test`;
}

export const PASSWORD = 'a long enough password';

export interface Session {
  email: string;
  userId: string;
  tenantId: string;
  token: string;
  refreshToken: string;
  auth: { Authorization: string };
}

export async function login(api: ApiClient, email: string, password = PASSWORD): Promise<Session> {
  const res = await api.http.post('/v1/auth/login').send({ email, password }).expect(200);
  const me = await api.http.get('/v1/me').set('Authorization', `Bearer ${res.body.accessToken}`).expect(200);
  return {
    email,
    userId: me.body.user.id,
    tenantId: me.body.tenant.id,
    token: res.body.accessToken,
    refreshToken: res.body.refreshToken,
    auth: { Authorization: `Bearer ${res.body.accessToken}` },
  };
}

/** A new tenant and its logged-in owner. */
export async function signupOwner(api: ApiClient, label = 'owner'): Promise<Session> {
  const email = uniqueEmail(label);
  await api.http.post('/v1/auth/signup').send({ email, password: PASSWORD }).expect(201);
  return login(api, email);
}

/** A user of `owner`'s tenant with `role`, joined through an invitation. */
export async function inviteUser(
  api: ApiClient,
  owner: Session,
  role: 'owner' | 'admin' | 'member',
): Promise<Session> {
  const email = uniqueEmail(role);
  const invitation = await api.http.post('/v1/invitations').set(owner.auth).send({ email, role }).expect(201);
  await api.http
    .post('/v1/auth/accept-invitation')
    .send({ token: invitation.body.token, password: PASSWORD })
    .expect(201);
  return login(api, email);
}
