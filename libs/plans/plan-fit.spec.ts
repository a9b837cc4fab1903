import { describe, expect, it } from '@jest/globals';
import type { Plan } from './plan.entity.js';
import { planViolations } from './plan-fit.js';

const free = {
  id: 'free',
  memoryMb: 128,
  maxApps: 2,
  maxReplicasPerApp: 2,
  maxTotalMemoryMb: 512,
  loadBalancerAllowed: false,
} as Plan;
const idle = { apps: 0, maxReplicasOfAnyApp: 0, totalMemoryMb: 0, loadBalancers: 0, runningBuilds: 0 };

describe('planViolations', () => {
  it('accepts use that fits every limit', () => {
    expect(planViolations(free, { ...idle, apps: 2, maxReplicasOfAnyApp: 2 }, 4)).toEqual([]);
  });

  it('names each limit the use does not fit, with limit and current use', () => {
    const usage = {
      apps: 3,
      maxReplicasOfAnyApp: 5,
      totalMemoryMb: 2560,
      loadBalancers: 1,
      runningBuilds: 0,
    };
    expect(planViolations(free, usage, 6)).toEqual([
      { quota: 'maxApps', limit: 2, current: 3 },
      { quota: 'maxReplicasPerApp', limit: 2, current: 5 },
      { quota: 'maxTotalMemoryMb', limit: 512, current: 768 },
      { quota: 'loadBalancerAllowed', limit: 0, current: 1 },
    ]);
  });

  it('measures memory at the new plan container size', () => {
    // 5 containers of the new plan's 128 MB is 640 MB, over the 512 MB cap even if they were smaller before.
    expect(planViolations(free, { ...idle, apps: 1, maxReplicasOfAnyApp: 2 }, 5)).toEqual([
      { quota: 'maxTotalMemoryMb', limit: 512, current: 640 },
    ]);
  });
});
