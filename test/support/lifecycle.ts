import type { ApiClient, Session } from './api.js';
import { waitFor } from './docker.js';

export interface AppState {
  phase: string;
  converged: boolean;
  endpoints: string[];
  replicas: number;
  statusReason: string | null;
  release: { version: number } | null;
}

export async function uploadBuild(
  api: ApiClient,
  owner: Session,
  app: string,
  archive: Buffer,
): Promise<string> {
  const res = await api.http
    .post(`/v1/apps/${app}/builds`)
    .set(owner.auth)
    .set('Content-Type', 'application/gzip')
    .send(archive);
  if (res.status !== 202) throw new Error(`upload answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.id;
}

export async function waitForBuild(
  api: ApiClient,
  owner: Session,
  app: string,
  buildId: string,
  timeoutMs = 240_000,
): Promise<{ status: string; error: string | null }> {
  return waitFor(
    `build ${buildId}`,
    async () => {
      const res = await api.http.get(`/v1/apps/${app}/builds/${buildId}`).set(owner.auth);
      return ['succeeded', 'failed', 'cancelled'].includes(res.body.status) ? res.body : undefined;
    },
    { timeoutMs, intervalMs: 500 },
  );
}

export async function buildLog(
  api: ApiClient,
  owner: Session,
  app: string,
  buildId: string,
): Promise<string> {
  const res = await api.http.get(`/v1/apps/${app}/builds/${buildId}/log`).set(owner.auth).expect(200);
  return (res.body.lines as { text: string }[]).map((l) => l.text).join('\n');
}

export async function waitConverged(
  api: ApiClient,
  owner: Session,
  app: string,
  timeoutMs = 90_000,
): Promise<AppState> {
  return waitFor(
    `app ${app} to converge`,
    async () => {
      const res = await api.http.get(`/v1/apps/${app}/status`).set(owner.auth);
      if (res.body.phase === 'failed') throw new Error(`app ${app} failed: ${res.body.statusReason}`);
      return res.body.converged ? (res.body as AppState) : undefined;
    },
    { timeoutMs, intervalMs: 300 },
  );
}

export async function httpGet(url: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, text: await res.text() };
}
