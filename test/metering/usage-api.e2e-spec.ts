import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { UsageMeter, USAGE_CSV_COLUMNS } from '../../libs/metering/index.js';
import { OPERATOR, login, signupOwner, type Session, type TestApi, startTestApi } from '../support/api.js';
import { migratedDataSource } from '../support/database.js';
import {
  MINUTE,
  decimal,
  era,
  insertBuild,
  insertRun,
  millisOf,
  removeSpans,
  resetMeterState,
  type StoredRecord,
} from './metering-fixtures.js';

type Auth = Record<string, string>;

/** A usage record as the billing API returns it: the stored row plus its creation time. */
/** What the API shows of a record: the stored fields, the egress byte counts (0 on other kinds), createdAt. */
type RecordView = StoredRecord & { createdAt: string; bytesIn: string; bytesOut: string };

describe('usage API (billing reads)', () => {
  let api: TestApi;
  let db: DataSource;
  let meter: UsageMeter;
  let operator: Session;
  let billingKey: Auth;
  let scopelessKey: Auth;
  const tenants: string[] = [];

  const newTenant = async (label: string) => {
    const owner = await signupOwner(api, label);
    tenants.push(owner.tenantId);
    return owner;
  };

  beforeAll(async () => {
    api = await startTestApi();
    db = await migratedDataSource();
    meter = api.app.get(UsageMeter);
    operator = await login(api, OPERATOR.email, OPERATOR.password);
    const key = async (scopes: string[]) => {
      const res = await api.http
        .post('/v1/admin/api-keys')
        .set(operator.auth)
        .send({ name: `billing ${scopes.join(' ') || 'none'}`, scopes })
        .expect(201);
      return { Authorization: `Bearer ${res.body.secret}` };
    };
    billingKey = await key(['usage:read']);
    scopelessKey = await key([]);
  });
  beforeEach(async () => {
    await resetMeterState(db);
  });
  afterEach(async () => {
    await removeSpans(db, tenants.splice(0));
  });
  afterAll(async () => {
    await db.destroy();
    await api.close();
  });

  /** Every page of a listing, following nextCursor. */
  async function readAll(path: string, auth: Auth, limit = 1000): Promise<RecordView[]> {
    const records: RecordView[] = [];
    let cursor: string | null = null;
    for (;;) {
      const query: Record<string, string | number> = { limit };
      if (cursor) query.cursor = cursor;
      const res = await api.http.get(path).query(query).set(auth).expect(200);
      records.push(...res.body.records);
      cursor = res.body.nextCursor;
      if (!res.body.hasMore) return records;
    }
  }

  it('shows a tenant only its own records, and the admin route only to operators and usage:read platform keys', async () => {
    const t0 = era(40);
    const a = await newTenant('usage-a');
    const b = await newTenant('usage-b');
    const app = await api.http.post('/v1/apps').set(a.auth).send({ name: 'shop' }).expect(201);
    const aRun = await insertRun(db, {
      tenantId: a.tenantId,
      appId: app.body.id,
      startedAt: t0,
      stoppedAt: t0 + 5 * MINUTE,
    });
    const aOther = await insertRun(db, { tenantId: a.tenantId, startedAt: t0, stoppedAt: t0 + 2 * MINUTE });
    const bRun = await insertRun(db, { tenantId: b.tenantId, startedAt: t0, stoppedAt: t0 + 3 * MINUTE });
    await meter.meterUntil(new Date(t0 + 10 * MINUTE));

    const mine = await readAll('/v1/usage', a.auth);
    expect(new Set(mine.map((r) => r.tenantId))).toEqual(new Set([a.tenantId]));
    expect(new Set(mine.map((r) => r.subjectId))).toEqual(new Set([aRun.replicaId, aOther.replicaId]));
    const shop = await readAll('/v1/usage?app=shop', a.auth);
    expect(shop.map((r) => r.subjectId)).toEqual(Array(5).fill(aRun.replicaId));
    expect(shop[0]).toMatchObject({ appId: app.body.id, kind: 'web', seconds: '60.000', planId: 'hobby' });

    const theirs = await readAll('/v1/usage', b.auth);
    expect(theirs.map((r) => r.subjectId)).toEqual(Array(3).fill(bRun.replicaId));
    const probe = await api.http.get('/v1/usage').query({ app: 'shop' }).set(b.auth).expect(404);
    expect(probe.body.code).toBe('not_found');
    // A tenant cannot widen its view: no tenant filter on its route, and the admin route does not exist for it.
    const widen = await api.http.get('/v1/usage').query({ tenant: a.tenantId }).set(b.auth).expect(400);
    expect(widen.body.code).toBe('validation_failed');
    for (const path of ['/v1/admin/usage', '/v1/admin/usage/totals']) {
      const hidden = await api.http.get(path).set(a.auth).expect(404);
      expect(hidden.headers['content-type']).toContain('application/problem+json');
    }
    const tenantKey = await api.http
      .post('/v1/api-keys')
      .set(a.auth)
      .send({ name: 'billing', scopes: ['usage:read'] })
      .expect(201);
    const tenantKeyAuth = { Authorization: `Bearer ${tenantKey.body.secret}` };
    await api.http.get('/v1/admin/usage').set(tenantKeyAuth).expect(404);
    expect((await readAll('/v1/usage', tenantKeyAuth)).length).toBe(mine.length);

    await api.http.get('/v1/admin/usage').expect(401);
    expect((await api.http.get('/v1/admin/usage').set(scopelessKey).expect(403)).body.code).toBe('forbidden');
    await api.http.get('/v1/admin/usage/totals').set(scopelessKey).expect(403);
    // Platform keys read through the admin route, not a tenant's.
    await api.http.get('/v1/usage').set(billingKey).expect(403);

    for (const auth of [operator.auth, billingKey]) {
      const onlyB = await readAll(`/v1/admin/usage?tenant=${b.tenantId}`, auth);
      expect(onlyB).toEqual(theirs);
      const byApp = await readAll(`/v1/admin/usage?app=${app.body.id}`, auth);
      expect(byApp).toEqual(shop);
    }
  });

  it('a reader paging with limit 7 while records are written sees every record exactly once', async () => {
    const t0 = era(41);
    const owner = await newTenant('usage-pager');
    const replicas = 12;
    const windows = 30;
    for (let i = 0; i < replicas; i += 1) {
      await insertRun(db, { tenantId: owner.tenantId, startedAt: t0 + i * 1_000, stoppedAt: null });
    }
    const writerDbs = [await migratedDataSource(), await migratedDataSource()];
    const writers = writerDbs.map((w) => new UsageMeter(w, { windowSeconds: 60, maxWindowsPerPass: 1 }));
    let writing = true;

    async function write(): Promise<void> {
      try {
        for (let minute = 1; minute <= windows; minute += 1) {
          const now = new Date(t0 + minute * MINUTE + 30_000);
          await Promise.all(writers.map((w) => w.meterUntil(now)));
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      } finally {
        writing = false;
      }
    }

    async function read(path: string, auth: Auth): Promise<{ ids: string[]; pages: number }> {
      const ids: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      for (;;) {
        const done = !writing; // read once more after the writers finished
        const query: Record<string, string | number> = { limit: 7 };
        if (cursor) query.cursor = cursor;
        const res = await api.http.get(path).query(query).set(auth).expect(200);
        pages += 1;
        expect(res.body.records.length).toBeLessThanOrEqual(7);
        ids.push(...res.body.records.map((r: RecordView) => r.id));
        cursor = res.body.nextCursor;
        if (!res.body.hasMore && done) return { ids, pages };
      }
    }

    const [, admin, own] = await Promise.all([
      write(),
      read(`/v1/admin/usage?tenant=${owner.tenantId}`, billingKey),
      read('/v1/usage', owner.auth),
    ]);
    await Promise.all(writerDbs.map((w) => w.destroy()));

    const stored: { id: string }[] = await db.query(
      `SELECT id FROM usage_records WHERE tenant_id = $1 ORDER BY id`,
      [owner.tenantId],
    );
    expect(stored).toHaveLength(replicas * windows);
    for (const reader of [admin, own]) {
      expect(reader.pages).toBeGreaterThan(stored.length / 7);
      expect(new Set(reader.ids).size).toBe(reader.ids.length); // no duplicate
      expect(reader.ids).toEqual(stored.map((r) => r.id)); // no gap, in id order
    }
  });

  it('never lets a reader page past an id whose transaction has not committed yet', async () => {
    const t0 = era(45);
    const owner = await newTenant('usage-order');
    await insertRun(db, { tenantId: owner.tenantId, startedAt: t0, stoppedAt: t0 + 20 * MINUTE });
    // A slow writer draws a record id and keeps its transaction open.
    const slow = db.createQueryRunner();
    await slow.connect();
    await slow.startTransaction();
    const [early] = await slow.query(
      `INSERT INTO usage_records (tenant_id, app_id, subject_id, kind, window_start, window_end, seconds, memory_mb,
                                  cpu_millis, plan_id)
       VALUES ($1, NULL, gen_random_uuid(), 'build', $2, $3, '1.000', 512, 1000, 'free') RETURNING id`,
      [owner.tenantId, iso(t0 - MINUTE), iso(t0)],
    );
    // The meter (larger ids) has to wait for it, instead of committing first.
    const metering = meter.meterUntil(new Date(t0 + 30 * MINUTE));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const during = await api.http.get('/v1/usage').query({ limit: 7 }).set(owner.auth).expect(200);
    expect(during.body.records).toEqual([]);
    await slow.commitTransaction();
    await slow.release();
    await metering;

    const ids: string[] = [];
    let cursor: string | null = during.body.nextCursor;
    for (;;) {
      const query: Record<string, string | number> = { limit: 7 };
      if (cursor) query.cursor = cursor;
      const res = await api.http.get('/v1/usage').query(query).set(owner.auth).expect(200);
      ids.push(...res.body.records.map((r: RecordView) => r.id));
      cursor = res.body.nextCursor;
      if (!res.body.hasMore) break;
    }
    expect(ids).toHaveLength(21);
    expect(ids[0]).toBe(early.id);
  });

  it('exports CSV (Accept: text/csv or format=csv) that parses back to the same records', async () => {
    const t0 = era(42);
    const owner = await newTenant('usage-csv');
    await insertRun(db, { tenantId: owner.tenantId, startedAt: t0 + 1_234, stoppedAt: t0 + 7 * MINUTE + 55 });
    await insertRun(db, {
      tenantId: owner.tenantId,
      role: 'lb',
      memoryMb: 64,
      startedAt: t0,
      stoppedAt: t0 + 4 * MINUTE,
    });
    await insertBuild(db, { tenantId: owner.tenantId, startedAt: t0 + 10_000, finishedAt: t0 + 100_001 });
    await meter.meterUntil(new Date(t0 + 10 * MINUTE));
    const json = await readAll('/v1/usage', owner.auth, 5);
    expect(json.length).toBe(8 + 4 + 2);

    const byAccept = await api.http.get('/v1/usage').set(owner.auth).set('Accept', 'text/csv').expect(200);
    const byFormat = await api.http.get('/v1/usage').query({ format: 'csv' }).set(owner.auth).expect(200);
    for (const res of [byAccept, byFormat]) {
      expect(res.headers['content-type']).toMatch(/^text\/csv/);
      const [header, ...rows] = parseCsv(res.text);
      expect(header).toEqual([...USAGE_CSV_COLUMNS]);
      expect(rows.map((row) => fromCsv(header, row))).toEqual(json);
    }

    // Paged CSV: limit rows per response, resumed with X-Next-Cursor, adds up to the same records.
    const paged: RecordView[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page += 1) {
      const query: Record<string, string | number> = { format: 'csv', limit: 4 };
      if (cursor) query.cursor = cursor;
      const res = await api.http.get('/v1/usage').query(query).set(owner.auth).expect(200);
      const [, ...rows] = parseCsv(res.text);
      paged.push(...rows.map((row) => fromCsv(USAGE_CSV_COLUMNS as unknown as string[], row)));
      if (rows.length === 0) break;
      cursor = res.headers['x-next-cursor'];
    }
    expect(paged).toEqual(json);

    const admin = await api.http
      .get('/v1/admin/usage')
      .query({ tenant: owner.tenantId })
      .set(billingKey)
      .set('Accept', 'text/csv')
      .expect(200);
    const [header, ...rows] = parseCsv(admin.text);
    expect(rows.map((row) => fromCsv(header, row))).toEqual(json);
  });

  it('totals equal the sums of the records: seconds, MB-seconds and CPU-seconds per tenant and kind', async () => {
    const t0 = era(43);
    const owner = await newTenant('usage-totals');
    const other = await newTenant('usage-totals-other');
    await insertRun(db, { tenantId: owner.tenantId, startedAt: t0 + 333, stoppedAt: t0 + 9 * MINUTE + 7 });
    await insertRun(db, {
      tenantId: owner.tenantId,
      memoryMb: 1024,
      cpuMillis: 2000,
      startedAt: t0 + 61_001,
      stoppedAt: t0 + 5 * MINUTE,
    });
    await insertRun(db, {
      tenantId: owner.tenantId,
      role: 'lb',
      memoryMb: 64,
      cpuMillis: 250,
      startedAt: t0,
      stoppedAt: t0 + 8 * MINUTE,
    });
    await insertBuild(db, {
      tenantId: owner.tenantId,
      startedAt: t0 + 5_500,
      finishedAt: t0 + 3 * MINUTE + 1,
    });
    await insertRun(db, { tenantId: other.tenantId, startedAt: t0, stoppedAt: t0 + 2 * MINUTE });
    await meter.meterUntil(new Date(t0 + 12 * MINUTE));

    const records = await readAll('/v1/usage', owner.auth);
    const expected = totalsOf(records);
    const own = await api.http.get('/v1/usage/totals').set(owner.auth).expect(200);
    expect(own.body.tenants).toEqual([expected]);
    expect(own.body.tenants[0].kinds.map((k: { kind: string }) => k.kind)).toEqual(['build', 'lb', 'web']);
    const build = records.find((r) => r.kind === 'build')!;
    expect(build.planId).toBe('free'); // the tenant's plan

    const admin = await api.http
      .get('/v1/admin/usage/totals')
      .query({ tenant: owner.tenantId })
      .set(billingKey)
      .expect(200);
    expect(admin.body.tenants).toEqual([expected]);
    const both = await api.http
      .get('/v1/admin/usage/totals')
      .query({ from: iso(t0), to: iso(t0 + 60 * MINUTE) })
      .set(operator.auth);
    expect(both.body.tenants.map((t: { tenantId: string }) => t.tenantId).sort()).toEqual(
      [owner.tenantId, other.tenantId].sort(),
    );

    // A window range and a kind filter the records and the totals alike.
    const range = { from: iso(t0 + 2 * MINUTE), to: iso(t0 + 6 * MINUTE), kind: 'web' };
    const inRange = records.filter(
      (r) => r.kind === 'web' && r.windowStart >= range.from && r.windowStart < range.to,
    );
    const listed = await api.http
      .get('/v1/usage')
      .query({ ...range, limit: 1000 })
      .set(owner.auth)
      .expect(200);
    expect(listed.body.records).toEqual(inRange);
    const ranged = await api.http.get('/v1/usage/totals').query(range).set(owner.auth).expect(200);
    expect(ranged.body.tenants).toEqual([totalsOf(inRange)]);
  });

  it('answers bad filters with 400 problem+json and a stable code, never a 500', async () => {
    const owner = await newTenant('usage-bad');
    const cases: [string, Auth, Record<string, string>, string][] = [
      ['/v1/usage', owner.auth, { limit: '1001' }, 'validation_failed'],
      ['/v1/usage', owner.auth, { limit: '0' }, 'validation_failed'],
      ['/v1/usage', owner.auth, { limit: 'ten' }, 'validation_failed'],
      ['/v1/usage', owner.auth, { cursor: '!!!' }, 'invalid_cursor'],
      ['/v1/usage', owner.auth, { cursor: Buffer.from('12abc').toString('base64url') }, 'invalid_cursor'],
      ['/v1/usage', owner.auth, { cursor: Buffer.from('-1').toString('base64url') }, 'invalid_cursor'],
      [
        '/v1/usage',
        owner.auth,
        { cursor: Buffer.from('99999999999999999999').toString('base64url') },
        'invalid_cursor',
      ],
      ['/v1/usage', owner.auth, { cursor: 'MTIzNA=' }, 'invalid_cursor'],
      ['/v1/usage', owner.auth, { from: 'yesterday' }, 'validation_failed'],
      ['/v1/usage', owner.auth, { to: '2026-13-01T00:00:00Z' }, 'validation_failed'],
      ['/v1/usage', owner.auth, { from: '2026-02-30T00:00:00Z' }, 'validation_failed'],
      [
        '/v1/usage',
        owner.auth,
        { from: '2026-11-02T00:00:00Z', to: '2026-11-01T00:00:00Z' },
        'invalid_range',
      ],
      ['/v1/usage', owner.auth, { kind: 'gpu' }, 'validation_failed'],
      ['/v1/usage', owner.auth, { app: 'Not An App!' }, 'validation_failed'],
      ['/v1/usage', owner.auth, { sort: 'desc' }, 'validation_failed'],
      ['/v1/usage', owner.auth, { format: 'xml' }, 'validation_failed'],
      ['/v1/usage', owner.auth, { format: 'csv', cursor: 'nope!' }, 'invalid_cursor'],
      ['/v1/usage/totals', owner.auth, { from: 'soon' }, 'validation_failed'],
      ['/v1/usage/totals', owner.auth, { limit: '5' }, 'validation_failed'],
      ['/v1/admin/usage', billingKey, { tenant: 'acme' }, 'validation_failed'],
      ['/v1/admin/usage', billingKey, { app: 'shop' }, 'validation_failed'],
      ['/v1/admin/usage', billingKey, { limit: '100000' }, 'validation_failed'],
      [
        '/v1/admin/usage/totals',
        billingKey,
        { from: '2026-11-02T00:00:00Z', to: '2026-11-01T00:00:00Z' },
        'invalid_range',
      ],
    ];
    for (const [path, auth, query, code] of cases) {
      const res = await api.http.get(path).query(query).set(auth);
      expect({ path, query, status: res.status, code: res.body.code }).toEqual({
        path,
        query,
        status: 400,
        code,
      });
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    const csv = await api.http
      .get('/v1/usage')
      .query({ cursor: '%%%' })
      .set(owner.auth)
      .set('Accept', 'text/csv');
    expect(csv.status).toBe(400);
  });

  it('keeps the cursor on an empty last page, so a billing job resumes later without rereading', async () => {
    const t0 = era(44);
    const owner = await newTenant('usage-tail');
    const run = await insertRun(db, { tenantId: owner.tenantId, startedAt: t0, stoppedAt: null });
    await meter.meterUntil(new Date(t0 + 3 * MINUTE));
    const first = await api.http.get('/v1/usage').set(owner.auth).expect(200);
    expect(first.body.records).toHaveLength(2);
    expect(first.body.hasMore).toBe(false);
    const empty = await api.http
      .get('/v1/usage')
      .query({ cursor: first.body.nextCursor })
      .set(owner.auth)
      .expect(200);
    expect(empty.body).toEqual({ records: [], nextCursor: first.body.nextCursor, hasMore: false });
    await meter.meterUntil(new Date(t0 + 5 * MINUTE));
    const later = await api.http
      .get('/v1/usage')
      .query({ cursor: empty.body.nextCursor })
      .set(owner.auth)
      .expect(200);
    expect(later.body.records.map((r: RecordView) => [r.subjectId, r.windowStart])).toEqual([
      [run.replicaId, iso(t0 + 2 * MINUTE)],
      [run.replicaId, iso(t0 + 3 * MINUTE)],
    ]);
  });
});

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** What the totals should say, computed from the records with exact integer arithmetic. */
function totalsOf(records: RecordView[]) {
  const sums = (list: RecordView[]) => {
    let millis = 0n;
    let mb = 0n;
    let cpu = 0n;
    let bytesIn = 0n;
    let bytesOut = 0n;
    for (const r of list) {
      bytesIn += BigInt(r.bytesIn);
      bytesOut += BigInt(r.bytesOut);
      const m = BigInt(millisOf(r.seconds));
      millis += m;
      mb += m * BigInt(r.memoryMb);
      cpu += m * BigInt(r.cpuMillis);
    }
    return {
      records: list.length,
      seconds: decimal(millis, 3),
      mbSeconds: decimal(mb, 3),
      cpuSeconds: decimal(cpu, 6),
      bytesIn: String(bytesIn),
      bytesOut: String(bytesOut),
    };
  };
  const kinds = [...new Set(records.map((r) => r.kind))].sort();
  return {
    tenantId: records[0].tenantId,
    ...sums(records),
    kinds: kinds.map((kind) => ({ kind, ...sums(records.filter((r) => r.kind === kind)) })),
  };
}

/** RFC 4180 parser (quoted fields, doubled quotes, CRLF), written here so the test does not trust the writer. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || (c === '\r' && text[i + 1] === '\n')) {
      if (c === '\r') i += 1;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

function fromCsv(header: string[], row: string[]): RecordView {
  const value = (name: string) => row[header.indexOf(name)];
  return {
    id: value('id'),
    tenantId: value('tenantId'),
    appId: value('appId') || null,
    subjectId: value('subjectId'),
    kind: value('kind'),
    windowStart: value('windowStart'),
    windowEnd: value('windowEnd'),
    seconds: value('seconds'),
    memoryMb: Number(value('memoryMb')),
    cpuMillis: Number(value('cpuMillis')),
    planId: value('planId') || null,
    bytesIn: value('bytesIn'),
    bytesOut: value('bytesOut'),
    createdAt: value('createdAt'),
  };
}
