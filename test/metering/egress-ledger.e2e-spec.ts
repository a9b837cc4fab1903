import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { EGRESS_GRACE_MS, EgressLedger, UsageMeter, type RouterLogMark } from '../../libs/metering/index.js';
import { signupOwner, startTestApi, type Session, type TestApi } from '../support/api.js';
import { migratedDataSource } from '../support/database.js';

const MINUTE = 60_000;

interface EgressRecord {
  windowStart: Date;
  bytesIn: string;
  bytesOut: string;
  kind: string;
  subjectId: string;
}

/**
 * The egress ledger and the meter on real PostgreSQL: bytes and the router log's position move together
 * (a second collector from the same position writes nothing), a line read after its window closed is
 * billed in the oldest open window, and the meter moves each closed window into exactly one record.
 */
describe('egress ledger (real PostgreSQL)', () => {
  let api: TestApi;
  let owner: Session;
  let db: DataSource;
  let ledger: EgressLedger;
  let meter: UsageMeter;
  let appId: string;
  const hostId = crypto.randomUUID();
  const racedHostId = crypto.randomUUID();

  beforeAll(async () => {
    api = await startTestApi({ usageWindowSeconds: 1 });
    owner = await signupOwner(api, 'egress');
    appId = (await api.http.post('/v1/apps').set(owner.auth).send({ name: 'egress' }).expect(201)).body
      .id as string;
    ledger = api.app.get(EgressLedger, { strict: false });
    db = await migratedDataSource();
    meter = new UsageMeter(db, { windowSeconds: 1, graceSeconds: 30 });
  }, 120_000);

  afterAll(async () => {
    await db?.query('DELETE FROM router_log_positions WHERE host_id = ANY($1)', [[hostId, racedHostId]]);
    await db?.query('DELETE FROM router_traffic WHERE app_id = $1', [appId]);
    await db?.destroy();
    await api?.close();
  });

  const records = (): Promise<EgressRecord[]> =>
    db.query(
      `SELECT window_start AS "windowStart", bytes_in AS "bytesIn", bytes_out AS "bytesOut", kind,
              subject_id AS "subjectId"
         FROM usage_records WHERE subject_id = $1 ORDER BY window_start`,
      [appId],
    );

  it('counts each line once, bills late lines in the oldest open window, and meters every window once', async () => {
    // Egress windows close on the real clock: this test waits for one (about 32 s).
    const t = Date.now();
    const first: RouterLogMark = {
      containerId: 'c1',
      timestamp: '2026-12-05T13:00:00.000000001Z',
      ordinal: 0,
    };
    const requests = [
      { appId, atMs: t - 10 * MINUTE, bytesIn: 100, bytesOut: 5000 }, // its window closed long ago
      { appId, atMs: t, bytesIn: 10, bytesOut: 500 },
      { appId: crypto.randomUUID(), atMs: t, bytesIn: 1, bytesOut: 1 }, // no such app: billed to nobody
    ];
    expect(await ledger.record(hostId, { from: undefined, to: first }, requests)).toBe(true);
    // A second collector that read from the same position: the mark moved, nothing is written.
    expect(await ledger.record(hostId, { from: undefined, to: first }, requests)).toBe(false);
    expect(await ledger.mark(hostId)).toEqual(first);

    // Windows still open are not moved, even by a meter told a later instant (egress closes on the real
    // clock, the collectors' clock).
    // The late line's window (30 s before t, 1 s long) may already have closed on a slow machine; the
    // window of the request at t closes at t + 31 s, so it must not be metered yet.
    await meter.meterUntil(new Date(t + 5 * MINUTE));
    const closedBy = Date.now() - EGRESS_GRACE_MS;
    const early = await records();
    expect(early.every((r) => r.windowStart.getTime() + 1000 <= closedBy)).toBe(true);
    expect(early.reduce((sum, r) => sum + Number(r.bytesOut), 0)).toBeLessThanOrEqual(5000);

    // The windows close 30 s (the grace) after their end.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, t + 32_000 - Date.now())));
    await meter.meterUntil(new Date());
    const metered = await records();
    expect(metered.every((r) => r.kind === 'egress' && r.subjectId === appId)).toBe(true);
    expect(metered.reduce((sum, r) => sum + Number(r.bytesOut), 0)).toBe(5500);
    expect(metered.reduce((sum, r) => sum + Number(r.bytesIn), 0)).toBe(110);
    // The late line went to the oldest window open when it was recorded, not to its own closed one.
    expect(metered[0].windowStart.getTime()).toBeGreaterThanOrEqual(t - 31_000);
    expect(await db.query('SELECT 1 FROM router_traffic WHERE app_id = $1', [appId])).toEqual([]);

    // A rerun of the meter stores nothing more; the app's usage page shows the records.
    await meter.meterUntil(new Date());
    expect(await records()).toHaveLength(metered.length);
    const page = await api.http.get('/v1/usage?kind=egress&app=egress').set(owner.auth).expect(200);
    expect(page.body.records.map((r: { bytesOut: string }) => Number(r.bytesOut))).toEqual(
      metered.map((r) => Number(r.bytesOut)),
    );
  }, 60_000);

  it('lets exactly one of two first passes over a host move its mark', async () => {
    const mark = (containerId: string): RouterLogMark => ({
      containerId,
      timestamp: '2026-12-05T13:00:00.000000001Z',
      ordinal: 0,
    });
    const moved = await Promise.all([
      ledger.record(racedHostId, { from: undefined, to: mark('a') }, []),
      ledger.record(racedHostId, { from: undefined, to: mark('b') }, []),
    ]);
    expect(moved.filter(Boolean)).toHaveLength(1);
    expect(await ledger.mark(racedHostId)).toEqual(mark(moved[0] ? 'a' : 'b'));
  });
});
