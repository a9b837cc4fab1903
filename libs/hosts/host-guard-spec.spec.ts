import { guardStatus, hostGuardPlan } from './host-guard-spec.js';

const input = {
  hostId: 'host-1',
  pool: '10.64.0.0/10',
  deny: ['192.168.7.0/24'],
  image: 'berth/host-guard:local',
};

describe('hostGuardPlan', () => {
  it('names the guard and its chains after the host, and passes pool and deny list as data in env', () => {
    const plan = hostGuardPlan(input);
    expect(plan.id).toMatch(/^[0-9a-f]{8}$/);
    expect(plan.spec.name).toBe(`berth-host-guard-${plan.id}`);
    expect(plan.spec.env).toEqual({
      BERTH_GUARD_ID: plan.id,
      BERTH_GUARD_POOL: '10.64.0.0/10',
      BERTH_GUARD_DENY: '192.168.7.0/24',
      BERTH_GUARD_INTERVAL: '5',
    });
    expect(plan.spec.labels).toMatchObject({ 'berth.role': 'host-guard', 'berth.host-guard': plan.id });
    expect(hostGuardPlan({ ...input, hostId: 'host-2' }).id).not.toBe(plan.id);
  });

  it('gives another configuration hash when the pool, the deny list or the image changes (the guard is replaced)', () => {
    const hash = hostGuardPlan(input).configHash;
    expect(hostGuardPlan(input).configHash).toBe(hash);
    expect(hostGuardPlan({ ...input, deny: [] }).configHash).not.toBe(hash);
    expect(hostGuardPlan({ ...input, pool: '10.128.0.0/16' }).configHash).not.toBe(hash);
    expect(hostGuardPlan({ ...input, image: 'other:1' }).configHash).not.toBe(hash);
  });

  it('refuses a pool or deny entry that is not a plain IPv4 CIDR before it reaches the guard', () => {
    expect(() => hostGuardPlan({ ...input, pool: '10.64.0.0/10 -j ACCEPT' })).toThrow('not an IPv4 CIDR');
    expect(() => hostGuardPlan({ ...input, deny: ['$(reboot)'] })).toThrow('not an IPv4 CIDR');
  });
});

describe('guardStatus', () => {
  it('is applied after an "applied" line, failed with the reason after a "failed" line', () => {
    expect(guardStatus('running', ['host-guard: applied (jump from DOCKER-USER)'])).toEqual({
      state: 'applied',
      reason: null,
    });
    expect(
      guardStatus('running', [
        'host-guard: applied (x)',
        "host-guard: failed: Couldn't load match `physdev'",
      ]),
    ).toEqual({ state: 'failed', reason: "Couldn't load match `physdev'" });
  });

  it('is pending before the first line, failed when the container does not run', () => {
    expect(guardStatus('running', [])).toMatchObject({ state: 'pending' });
    expect(guardStatus('exited', ['host-guard: failed: BERTH_GUARD_POOL is not an IPv4 CIDR'])).toEqual({
      state: 'failed',
      reason: 'the guard container is exited: BERTH_GUARD_POOL is not an IPv4 CIDR',
    });
  });
});
