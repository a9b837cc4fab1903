import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import { signupOwner, startTestApi, type Session, type TestApi } from '../support/api.js';
import { tarGz } from '../support/archives.js';
import { uploadBuild } from '../support/lifecycle.js';
import { StreamClient, wsUrl } from './stream-client.js';

/** Opens a followed NDJSON build log and resolves with its status once the headers arrive (then hangs up). */
function followStatus(api: TestApi, owner: Session, path: string): Promise<{ status: number; type: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get(
      `${api.url}${path}`,
      { headers: { ...owner.auth, Accept: 'application/x-ndjson' } },
      (response) => {
        resolve({ status: response.statusCode ?? 0, type: String(response.headers['content-type']) });
        request.destroy();
      },
    );
    request.on('error', reject);
  });
}

/**
 * A followed build log (NDJSON until the build ends) holds one of the tenant's stream slots, like a WebSocket
 * stream: with the slot taken it is refused with 429 problem+json before any line, and its slot goes back
 * when the client hangs up. The API runs without workers, so the build stays queued and the follow open.
 */
describe('build-log follows take a stream slot', () => {
  let api: TestApi;
  let owner: Session;

  beforeAll(async () => {
    api = await startTestApi({ logStreamsPerTenant: 1 });
    owner = await signupOwner(api, 'follower');
    await api.http.post('/v1/apps').set(owner.auth).send({ name: 'queued' }).expect(201);
  });
  afterAll(async () => {
    await api?.close();
  });

  it('is refused while the tenant’s one slot is held, and runs once it is free', async () => {
    const archive = await tarGz([
      {
        name: 'package.json',
        body: JSON.stringify({ name: 'q', version: '1.0.0', scripts: { start: 'node i.js' } }),
      },
      { name: 'i.js', body: 'console.log(1)' },
    ]);
    const buildId = await uploadBuild(api, owner, 'queued', archive);
    const path = `/v1/apps/queued/builds/${buildId}/log`;
    const holder = StreamClient.open(wsUrl(api.url, '/v1/apps/queued/log-stream'), { headers: owner.auth });
    await holder.connected();
    const refused = await api.http
      .get(path)
      .set(owner.auth)
      .set('Accept', 'application/x-ndjson')
      .expect(429);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.body.code).toBe('stream_limit_reached');
    await holder.close();
    // The slot is released asynchronously in PostgreSQL: retry briefly.
    let followed = { status: 0, type: '' };
    for (let attempt = 0; attempt < 20 && followed.status !== 200; attempt++) {
      followed = await followStatus(api, owner, path);
      if (followed.status !== 200) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(followed).toEqual({ status: 200, type: expect.stringContaining('application/x-ndjson') });
  }, 60_000);
});
