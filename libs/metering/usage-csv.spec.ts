import { describe, expect, it } from '@jest/globals';
import { csvField, usageCsv, USAGE_CSV_COLUMNS } from './usage-csv.js';
import type { UsageRecord } from './usage-record.entity.js';

const record = (overrides: Partial<UsageRecord> = {}): UsageRecord =>
  Object.assign(
    {
      id: '7',
      tenantId: 't',
      appId: null,
      subjectId: 's',
      kind: 'web',
      windowStart: new Date('2026-11-23T14:00:00.000Z'),
      windowEnd: new Date('2026-11-23T14:01:00.000Z'),
      seconds: '59.250',
      memoryMb: 256,
      cpuMillis: 500,
      planId: 'hobby',
      bytesIn: '0',
      bytesOut: '0',
      createdAt: new Date('2026-11-23T14:01:30.000Z'),
    },
    overrides,
  ) as UsageRecord;

async function collect(iterable: AsyncIterable<string>): Promise<string> {
  let text = '';
  for await (const chunk of iterable) text += chunk;
  return text;
}

async function* batches(...groups: UsageRecord[][]): AsyncGenerator<UsageRecord[]> {
  yield* groups;
}

describe('usage CSV', () => {
  it('quotes fields with commas, quotes or line breaks, and doubles the quotes inside', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\r')).toBe('"cr\r"');
    expect(csvField(null)).toBe('');
    expect(csvField(42)).toBe('42');
  });

  it('writes a header row, then one CRLF-terminated row per record', async () => {
    const text = await collect(usageCsv(batches([record()], [record({ id: '8', planId: 'odd,"plan"' })])));
    expect(text.split('\r\n')).toEqual([
      USAGE_CSV_COLUMNS.join(','),
      '7,t,,s,web,2026-11-23T14:00:00.000Z,2026-11-23T14:01:00.000Z,59.250,256,500,hobby,0,0,2026-11-23T14:01:30.000Z',
      '8,t,,s,web,2026-11-23T14:00:00.000Z,2026-11-23T14:01:00.000Z,59.250,256,500,"odd,""plan""",0,0,2026-11-23T14:01:30.000Z',
      '',
    ]);
  });

  it('carries the bytes of egress records', async () => {
    const egress = record({ kind: 'egress', seconds: '0.000', bytesIn: '812', bytesOut: '40960' });
    const [, row] = (await collect(usageCsv(batches([egress])))).split('\r\n');
    expect(row).toContain(',egress,');
    expect(row).toContain(',hobby,812,40960,');
  });

  it('writes only the header when there is nothing to export', async () => {
    expect(await collect(usageCsv(batches()))).toBe(USAGE_CSV_COLUMNS.join(',') + '\r\n');
  });
});
