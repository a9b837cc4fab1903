import { describe, expect, it } from '@jest/globals';
import { type AppDemand, containersWanted, memoryAfterChange, memoryWanted } from './memory-demand.js';

const HOBBY = { planMemoryMb: 256, maxTotalMemoryMb: 2048 };
const app = (over: Partial<AppDemand> = {}): AppDemand => ({
  desiredState: 'running',
  replicas: 5,
  loadBalancer: false,
  releaseMemoryMb: null,
  ...over,
});

describe('memory demand', () => {
  it('counts the replicas of an app without a release at the plan size (wanted, not yet running)', () => {
    expect(containersWanted(app())).toBe(5);
    expect(memoryWanted(app(), 256)).toBe(1280);
  });

  it('counts the balancer as one more container at the release size', () => {
    expect(memoryWanted(app({ loadBalancer: true, releaseMemoryMb: 512 }), 256)).toBe(6 * 512);
  });

  it('counts nothing for a stopped app', () => {
    expect(memoryWanted(app({ desiredState: 'stopped', releaseMemoryMb: 512 }), 256)).toBe(0);
  });

  it("uses the release's recorded size, not the plan's current one", () => {
    expect(memoryWanted(app({ replicas: 2, releaseMemoryMb: 1024 }), 256)).toBe(2048);
  });

  it('refuses a second hobby app of 5 replicas: 2,560 MB wanted is past 2,048 MB (issue 14)', () => {
    // One app of 5 x 256 MB wanted: 1,280 MB; a second one would want 2,560 MB in all.
    const second = memoryAfterChange({ ...HOBBY, tenantMemoryMb: 1280, before: null, after: app() });
    expect(second).toEqual({ requestedMb: 1280, totalMb: 2560, fits: false });
    const smaller = memoryAfterChange({
      ...HOBBY,
      tenantMemoryMb: 1280,
      before: null,
      after: app({ replicas: 3 }),
    });
    expect(smaller).toEqual({ requestedMb: 768, totalMb: 2048, fits: true });
  });

  it('refuses a rollback to a release made on a bigger plan when it does not fit', () => {
    const before = app({ replicas: 2, releaseMemoryMb: 256 });
    const check = memoryAfterChange({
      ...HOBBY,
      tenantMemoryMb: 1536,
      before,
      after: { ...before, releaseMemoryMb: 1024 },
    });
    expect(check).toEqual({ requestedMb: 1536, totalMb: 3072, fits: false });
  });

  it('refuses a start of a stopped app whose replicas do not fit', () => {
    const before = app({ desiredState: 'stopped', replicas: 4, releaseMemoryMb: 256 });
    const start = { ...before, desiredState: 'running' as const };
    expect(memoryAfterChange({ ...HOBBY, tenantMemoryMb: 1280, before, after: start }).fits).toBe(false);
    expect(memoryAfterChange({ ...HOBBY, tenantMemoryMb: 1024, before, after: start }).fits).toBe(true);
  });

  it('lets a tenant already over its cap shrink, but not grow', () => {
    const before = app({ releaseMemoryMb: 512 });
    const over = { ...HOBBY, tenantMemoryMb: 4096, before };
    expect(memoryAfterChange({ ...over, after: { ...before, replicas: 4 } }).fits).toBe(true);
    expect(memoryAfterChange({ ...over, after: before }).fits).toBe(true);
    expect(memoryAfterChange({ ...over, after: { ...before, loadBalancer: true } }).fits).toBe(false);
  });
});
