import { describe, expect, it } from '@jest/globals';
import { selectBackends, type BackendCandidate } from './load-balancer-backends.js';

let n = 0;
function replica(partial: Partial<BackendCandidate>): BackendCandidate {
  n += 1;
  return {
    replicaId: `id${n}`,
    state: 'running',
    hostId: 'h1',
    hostStatus: 'ready',
    hostAddress: '10.0.0.1',
    hostPort: 49000 + n,
    containerIp: `172.20.0.${n}`,
    ...partial,
  };
}
const select = (replicas: BackendCandidate[]) => selectBackends({ lbHostId: 'h1', appPort: 8080, replicas });

describe('selectBackends', () => {
  it("reaches replicas on the balancer's host over the tenant network at the app port", () => {
    expect(select([replica({ replicaId: 'a', containerIp: '172.20.0.9' })])).toEqual([
      { name: 'r-a', address: '172.20.0.9', port: 8080 },
    ]);
  });

  it("reaches replicas on other hosts through their published port at the host's public address", () => {
    expect(
      select([replica({ replicaId: 'b', hostId: 'h2', hostAddress: '10.0.0.2', hostPort: 49153 })]),
    ).toEqual([{ name: 'r-b', address: '10.0.0.2', port: 49153 }]);
  });

  it.each(['pending', 'starting', 'crashed', 'stopping', 'gone'] as const)(
    'leaves out a %s replica (only running replicas accept connections)',
    (state) => {
      expect(select([replica({ state })])).toEqual([]);
    },
  );

  it('leaves out replicas it cannot reach', () => {
    expect(
      select([
        replica({ containerIp: undefined }), // same host, address not known
        replica({ hostId: 'h2', hostAddress: '127.0.0.1' }), // loopback of another host
        replica({ hostId: 'h2', hostPort: null }), // nothing published
        replica({ hostId: 'h3', hostStatus: 'down' }),
        replica({ hostId: 'h4', hostStatus: undefined }), // host deregistered
      ]),
    ).toEqual([]);
  });

  it('keeps replicas of cordoned and draining hosts while they run', () => {
    expect(
      select([
        replica({ replicaId: 'c', hostId: 'h2', hostStatus: 'cordoned' }),
        replica({ replicaId: 'd', hostId: 'h3', hostStatus: 'draining' }),
      ]).map((b) => b.name),
    ).toEqual(['r-c', 'r-d']);
  });

  it('sorts by name so the rendered configuration does not depend on query order', () => {
    const names = select([
      replica({ replicaId: 'z' }),
      replica({ replicaId: 'a' }),
      replica({ replicaId: 'm' }),
    ]);
    expect(names.map((b) => b.name)).toEqual(['r-a', 'r-m', 'r-z']);
  });
});
