import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const GUARD = path.resolve('libs/hosts/host-guard.sh');
const VALID = {
  BERTH_GUARD_ID: '0123abcd',
  BERTH_GUARD_POOL: '10.64.0.0/10',
  BERTH_GUARD_DENY: '',
  BERTH_GUARD_INTERVAL: '5',
};
// An empty PATH: whatever the script does, it finds no iptables here, so these tests never touch the
// machine's rules even if a check were missing.
const emptyBin = mkdtempSync(path.join(tmpdir(), 'berth-guard-path-'));
afterAll(() => rmSync(emptyBin, { recursive: true, force: true }));

function runGuard(env: Record<string, string>): { status: number | null; stdout: string } {
  const result = spawnSync('/bin/sh', [GUARD], {
    env: { ...VALID, ...env, PATH: emptyBin },
    encoding: 'utf8',
    timeout: 5000,
  });
  return { status: result.status, stdout: result.stdout };
}

describe('host-guard.sh refuses env that is not plain data before it runs anything', () => {
  it.each([
    ['BERTH_GUARD_POOL', '10.64.0.0/10 -j ACCEPT'],
    ['BERTH_GUARD_POOL', '$(touch /tmp/berth-pwned)'],
    ['BERTH_GUARD_POOL', '10.64.0.0/10;id'],
    ['BERTH_GUARD_POOL', '10.64.0.0/10\n-F INPUT'],
    ['BERTH_GUARD_POOL', '10.64.0.0'],
    ['BERTH_GUARD_DENY', '192.168.0.0/16 `id`'],
    ['BERTH_GUARD_DENY', '192.168.0.0/16 -j'],
    ['BERTH_GUARD_ID', 'ABCDEF12'],
    ['BERTH_GUARD_ID', '0123abcd -j ACCEPT'],
    ['BERTH_GUARD_INTERVAL', '5; reboot'],
  ])('%s = %j', (name, value) => {
    const { status, stdout } = runGuard({ [name]: value });
    expect(status).toBe(2);
    expect(stdout).toMatch(new RegExp(`^host-guard: failed: ${name}`));
  });
});
