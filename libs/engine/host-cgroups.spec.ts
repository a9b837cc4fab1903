import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { readHostPidsCounters } from './host-cgroups.js';

describe('readHostPidsCounters', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'berth-cgroups-'));
  const id = 'a'.repeat(64);
  const dirs = (containerId: string) => [
    path.join(root, 'v1', containerId),
    path.join(root, 'v2', containerId),
  ];
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('reads refused forks from pids.events and the count now where there is no pids.peak (cgroup v1)', async () => {
    mkdirSync(path.join(root, 'v1', id), { recursive: true });
    writeFileSync(path.join(root, 'v1', id, 'pids.events'), 'max 17\n');
    writeFileSync(path.join(root, 'v1', id, 'pids.current'), '64\n');
    expect(await readHostPidsCounters(id, dirs)).toEqual({ forkRefusals: 17, peak: 64 });
  });

  it('prefers pids.peak (cgroup v2)', async () => {
    const other = 'b'.repeat(64);
    mkdirSync(path.join(root, 'v2', other), { recursive: true });
    writeFileSync(path.join(root, 'v2', other, 'pids.events'), 'max 0\n');
    writeFileSync(path.join(root, 'v2', other, 'pids.peak'), '12\n');
    writeFileSync(path.join(root, 'v2', other, 'pids.current'), '1\n');
    expect(await readHostPidsCounters(other, dirs)).toEqual({ forkRefusals: 0, peak: 12 });
  });

  it('says nothing for a container whose cgroup is not on this machine, or an id that is not one', async () => {
    expect(await readHostPidsCounters('c'.repeat(64), dirs)).toBeUndefined();
    expect(await readHostPidsCounters('../../etc', dirs)).toBeUndefined();
  });
});
