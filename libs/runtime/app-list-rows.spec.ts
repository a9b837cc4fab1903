import { describe, expect, it } from '@jest/globals';
import type { App, Release } from '../apps/index.js';
import { type AppListRow, summarizeAppListRows } from './app-list-rows.js';

function row(
  appId: string,
  replica?: { role: string; port: number | null; address: string | null },
): AppListRow {
  return {
    'a.id': appId,
    'p.role': replica?.role ?? null,
    'p.hostPort': replica?.port ?? null,
    'h.publicAddress': replica ? replica.address : null,
  };
}

const hydrate = {
  app: (r: AppListRow) => ({ id: r['a.id'] }) as App,
  release: (r: AppListRow) => (r['a.id'] === 'with-release' ? ({ version: 3 } as Release) : null),
};

describe('summarizeAppListRows', () => {
  it('makes one summary per app, in row order, with its release', () => {
    const summaries = summarizeAppListRows([row('a'), row('with-release'), row('z')], hydrate);
    expect(summaries.map((s) => s.app.id)).toEqual(['a', 'with-release', 'z']);
    expect(summaries.map((s) => s.release?.version ?? null)).toEqual([null, 3, null]);
    expect(summaries.every((s) => s.endpoints.length === 0 && s.loadBalancerEndpoint === null)).toBe(true);
  });

  it('lists web replicas with a host and a port as endpoints, oldest first', () => {
    const [summary] = summarizeAppListRows(
      [
        row('a', { role: 'web', port: 49001, address: '127.0.0.1' }),
        row('a', { role: 'web', port: null, address: '127.0.0.1' }),
        row('a', { role: 'web', port: 49002, address: null }),
        row('a', { role: 'web', port: 49003, address: '10.1.2.3' }),
      ],
      hydrate,
    );
    expect(summary!.endpoints).toEqual(['http://127.0.0.1:49001', 'http://10.1.2.3:49003']);
  });

  it("takes the oldest running balancer's endpoint, none while its port is unknown", () => {
    const [known, unknown] = summarizeAppListRows(
      [
        row('a', { role: 'lb', port: 49100, address: '127.0.0.1' }),
        row('a', { role: 'lb', port: 49101, address: '127.0.0.1' }),
        row('b', { role: 'lb', port: null, address: '127.0.0.1' }),
        row('b', { role: 'lb', port: 49102, address: '127.0.0.1' }),
      ],
      hydrate,
    );
    expect(known!.loadBalancerEndpoint).toBe('http://127.0.0.1:49100');
    expect(known!.endpoints).toEqual([]);
    expect(unknown!.loadBalancerEndpoint).toBeNull();
  });
});
