import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PASSWORD, signupOwner, startTestApi, type Session, type TestApi } from '../support/api.js';
import { cleanupTestRun, ensureRuntimeImage, waitFor } from '../support/docker.js';
import { httpGet, waitConverged } from '../support/lifecycle.js';
import { startDnsServer, type TestDnsServer } from '../support/dns-server.js';
import { selfSigned } from '../support/self-signed.js';
import { CliProcess, ConnectionCutter, runCli } from './cli-process.js';

const APP = 'cli-web';

/** A dependency-free app: ticks on stdout, answers `/` and `/greeting`, lists its own files at `/files`. */
async function writeSampleFolder(folder: string): Promise<void> {
  const files: Record<string, string> = {
    'package.json': JSON.stringify({ name: 'cli-sample', version: '1.0.0', main: 'server.js' }),
    'server.js': `const http = require('http');
const fs = require('fs');
let tick = 0;
setInterval(() => console.log('tick ' + (++tick)), 100);
http.createServer((req, res) => {
  if (req.url === '/greeting') return res.end(process.env.GREETING || '(unset)');
  if (req.url === '/files') return res.end(JSON.stringify(fs.readdirSync(__dirname).sort()));
  res.end('hello from the cli sample');
}).listen(Number(process.env.PORT), () => console.log('listening'));
process.on('SIGTERM', () => process.exit(0));
`,
    '.gitignore': 'secret.env\nlocal-cache/\n',
    '.berthignore': 'notes.md\n',
    'secret.env': 'TOKEN=never-uploaded',
    'notes.md': 'not for the server',
    'local-cache/blob.bin': 'cached',
  };
  for (const [name, body] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(folder, name)), { recursive: true });
    await fs.writeFile(path.join(folder, name), body);
  }
}

/** The `tick N` numbers in the order printed. */
const ticks = (stdout: string) => [...stdout.matchAll(/ tick (\d+)$/gm)].map((m) => Number(m[1]));

describe('the berth CLI against a real Berth', () => {
  let api: TestApi;
  let cutter: ConnectionCutter;
  let owner: Session;
  let home: string;
  let sample: string;
  let env: NodeJS.ProcessEnv;
  let dns: TestDnsServer;
  const savedDnsServers = process.env.BERTH_DNS_SERVERS;
  const cli = (...args: string[]) => runCli(args, env);

  beforeAll(async () => {
    await ensureRuntimeImage();
    // Custom domains are verified by a TXT lookup: the API asks a DNS server this test runs on 127.0.0.1.
    dns = await startDnsServer();
    process.env.BERTH_DNS_SERVERS = dns.address;
    api = await startTestApi({ runWorkers: true, reconcileIntervalMs: 500, drainDelayMs: 500 });
    cutter = await ConnectionCutter.start(Number(new URL(api.url).port));
    owner = await signupOwner(api, 'cli');
    await api.http.put('/v1/tenant/plan').set(owner.auth).send({ planId: 'hobby' }).expect(200);
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-cli-'));
    sample = path.join(home, 'sample');
    await writeSampleFolder(sample);
    // Nothing of the test's own environment but PATH: the CLI finds the API and its config only as a user's would.
    env = { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: path.join(home, 'config') };
  }, 180_000);

  afterAll(async () => {
    await cutter?.close();
    await api?.close();
    await dns?.close();
    if (savedDnsServers === undefined) delete process.env.BERTH_DNS_SERVERS;
    else process.env.BERTH_DNS_SERVERS = savedDnsServers;
    await cleanupTestRun();
    if (home) await fs.rm(home, { recursive: true, force: true });
  }, 120_000);

  it('installs as `berth` with the one documented command', async () => {
    const prefix = path.join(home, 'global');
    const install = spawnSync(
      'npm',
      ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', './apps/cli'],
      {
        encoding: 'utf8',
      },
    );
    expect({ status: install.status, stderr: install.stderr }).toMatchObject({ status: 0 });
    const help = spawnSync(path.join(prefix, 'bin', 'berth'), ['deploy', '--help'], {
      encoding: 'utf8',
      env,
    });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/\.berthignore/);
  });

  it('logs in with email and password and keeps the tokens 0600 in $XDG_CONFIG_HOME/berth', async () => {
    const refused = await runCli(['login', '--api', cutter.url, '-e', owner.email], {
      ...env,
      BERTH_PASSWORD: 'wrong password!!',
    });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/Error: .+/);

    const login = await runCli(['login', '--api', cutter.url, '-e', owner.email], {
      ...env,
      BERTH_PASSWORD: PASSWORD,
    });
    expect(login).toMatchObject({ code: 0 });
    const file = path.join(home, 'config', 'berth', 'credentials.json');
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect((await fs.stat(path.dirname(file))).mode & 0o777).toBe(0o700);

    const whoami = await cli('--json', 'whoami');
    expect(whoami.code).toBe(0);
    expect(JSON.parse(whoami.stdout)).toMatchObject({ kind: 'user', user: { email: owner.email } });
  });

  it('refreshes an expiring access token and stores the rotated pair, still 0600', async () => {
    const file = path.join(home, 'config', 'berth', 'credentials.json');
    const before = JSON.parse(await fs.readFile(file, 'utf8')) as { refreshToken: string };
    await fs.writeFile(file, JSON.stringify({ ...before, accessTokenExpiresAt: 0 }));
    const whoami = await cli('whoami');
    expect(whoami).toMatchObject({ code: 0 });
    const after = JSON.parse(await fs.readFile(file, 'utf8')) as {
      refreshToken: string;
      accessTokenExpiresAt: number;
    };
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(after.accessTokenExpiresAt).toBeGreaterThan(Date.now());
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
  });

  it('signs up a new tenant and logs it in', async () => {
    const other = { ...env, XDG_CONFIG_HOME: path.join(home, 'other-config'), BERTH_PASSWORD: PASSWORD };
    const email = `cli-signup-${Date.now()}@example.test`;
    expect(
      await runCli(['signup', '--api', cutter.url, '-e', email, '--tenant', 'CLI Ltd'], other),
    ).toMatchObject({ code: 0 });
    const me = JSON.parse((await runCli(['--json', 'whoami'], other)).stdout) as { user: { email: string } };
    expect(me.user.email).toBe(email);
  });

  it('explains a refusal from its problem+json and exits with the documented code', async () => {
    const missing = await cli('apps', 'info', 'no-such-app');
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/not_found/);
    const usage = await cli('scale', APP);
    expect(usage.code).toBe(2);
  });

  it('deploys a folder: upload progress, the build log live, the rollout, a URL that answers', async () => {
    expect((await cli('apps', 'create', APP)).code).toBe(0);
    const deploy = await cli('deploy', sample, '--app', APP);
    expect({ code: deploy.code, stderr: deploy.stderr }).toMatchObject({ code: 0 });
    expect(deploy.stderr).toMatch(/^Uploading .+ \(100%\)$/m);
    // The build's own lines, printed before the release existed: followed live, not fetched afterwards.
    const firstBuildLine = deploy.stderr.search(/^build \| /m);
    expect(firstBuildLine).toBeGreaterThan(-1);
    expect(firstBuildLine).toBeLessThan(deploy.stderr.indexOf('Release v1 made'));
    const url = deploy.stdout.trim().split('\n')[0];
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await httpGet(url)).toEqual({ status: 200, text: 'hello from the cli sample' });
    // .gitignore and .berthignore were honoured.
    const files = JSON.parse((await httpGet(`${url}/files`)).text) as string[];
    expect(files).toEqual(expect.arrayContaining(['package.json', 'server.js']));
    expect(files).not.toEqual(expect.arrayContaining(['secret.env']));
    expect(files).not.toContain('notes.md');
    expect(files).not.toContain('local-cache');
  }, 300_000);

  it('prints JSON that parses for every read with --json', async () => {
    for (const args of [
      ['apps', 'list'],
      ['apps', 'info', APP],
      ['releases', APP],
      ['env', 'get', APP],
      ['quota'],
      ['logs', APP, '-n', '5'],
    ]) {
      const run = await cli('--json', ...args);
      expect({ args, code: run.code }).toEqual({ args, code: 0 });
      expect(() => JSON.parse(run.stdout)).not.toThrow();
    }
    const [app] = JSON.parse((await cli('--json', 'apps', 'list')).stdout) as {
      name: string;
      phase: string;
    }[];
    expect(app).toMatchObject({ name: APP, phase: 'running' });
  });

  it('follows the log with -f and resumes after its connection is cut, with no line lost or repeated', async () => {
    const follow = CliProcess.start(['logs', APP, '-f', '-n', '3'], env);
    try {
      await waitFor('ticks before the cut', async () => ticks(follow.stdout).length >= 5, {
        timeoutMs: 30_000,
      });
      expect(cutter.cut()).toBeGreaterThan(0);
      const before = ticks(follow.stdout).length;
      await waitFor('the CLI to reconnect', async () => /reconnecting/.test(follow.stderr), {
        timeoutMs: 15_000,
      });
      await waitFor('ticks after the cut', async () => ticks(follow.stdout).length >= before + 10, {
        timeoutMs: 30_000,
      });
    } finally {
      follow.child.kill('SIGINT');
      await follow.exited;
    }
    const seen = ticks(follow.stdout);
    // One replica ticks 1, 2, 3…: consecutive numbers mean nothing was dropped or printed twice across the cut.
    expect(seen).toEqual(seen.map((_, i) => seen[0] + i));
  }, 120_000);

  it('env set makes a new release, rollback makes another from the old one', async () => {
    const set = await cli('env', 'set', APP, 'GREETING=hello from env', 'OTHER=1');
    expect(set).toMatchObject({ code: 0 });
    const unset = await cli('env', 'unset', APP, 'OTHER');
    expect(unset).toMatchObject({ code: 0 });
    const vars = JSON.parse((await cli('--json', 'env', 'get', APP)).stdout) as Record<string, string>;
    expect(Object.keys(vars)).toEqual(['GREETING']);

    let app = await waitConverged(api, owner, APP, 120_000);
    expect(app.release?.version).toBe(3);
    expect(await httpGet(`${app.endpoints[0]}/greeting`)).toEqual({ status: 200, text: 'hello from env' });

    const rollback = await cli('rollback', APP, '1');
    expect(rollback).toMatchObject({ code: 0 });
    app = await waitFor(
      'the rollback release to run',
      async () => {
        const state = await waitConverged(api, owner, APP, 120_000);
        return state.release?.version === 4 ? state : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    expect(await httpGet(`${app.endpoints[0]}/greeting`)).toEqual({ status: 200, text: '(unset)' });
    const releases = JSON.parse((await cli('--json', 'releases', APP)).stdout) as {
      version: number;
      current: boolean;
    }[];
    expect(releases.map((r) => [r.version, r.current])).toEqual([
      [4, true],
      [3, false],
      [2, false],
      [1, false],
    ]);
  }, 300_000);

  it('names the plan limit when a request goes over it, and exits with 5', async () => {
    const over = await cli('scale', APP, '50');
    expect(over.code).toBe(5);
    expect(over.stderr).toMatch(/Quota exceeded \(quota_exceeded\)/);
    expect(over.stderr).toMatch(/^quota: \w+$/m);
    expect(over.stderr).toMatch(/^requested: \d+$/m);
  });

  it('sets the app to sleep when idle and keeps it awake again, refusing a duration it cannot read', async () => {
    const set = await cli('--json', 'sleep', 'set', APP, '15m');
    expect(set.code).toBe(0);
    expect((JSON.parse(set.stdout) as { sleep: { afterIdleSeconds: number } }).sleep.afterIdleSeconds).toBe(
      900,
    );
    const bad = await cli('sleep', 'set', APP, 'soon');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/expected seconds/);
    const off = await cli('sleep', 'off', APP);
    expect(off.code).toBe(0);
    expect(off.stderr).toMatch(/stays awake/);
  });

  it('adds a log drain, lists it with its counters, refuses a URL it cannot forward to, and removes it', async () => {
    // Port 9 on loopback: nothing listens; the drain exists, whatever its forwarder makes of it.
    const added = await cli('--json', 'drains', 'add', APP, 'https://127.0.0.1:9/drain');
    expect(added.code).toBe(0);
    const drain = JSON.parse(added.stdout) as { id: string; url: string; linesSent: number };
    expect(drain).toMatchObject({ url: 'https://127.0.0.1:9/drain', linesSent: 0 });

    const table = await cli('drains', 'list', APP);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^ID\s+URL\s+SENT\s+DROPPED\s+LASTSENTAT\s+LASTERROR$/m);
    expect(table.stdout).toMatch(
      new RegExp(`^${drain.id}\\s+https://127\\.0\\.0\\.1:9/drain\\s+0\\s+0\\s`, 'm'),
    );

    const bad = await cli('drains', 'add', APP, 'ftp://127.0.0.1/logs');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/invalid_drain_url/);

    const unconfirmed = await cli('drains', 'remove', APP, drain.id);
    expect(unconfirmed.code).toBe(2);
    const removed = await cli('drains', 'remove', APP, drain.id, '--yes');
    expect(removed.code).toBe(0);
    const after = await cli('--json', 'drains', 'list', APP);
    expect(JSON.parse(after.stdout)).toEqual([]);
  });

  it('adds a custom domain, prints its TXT record, verifies it, uploads its certificate and removes it', async () => {
    const hostname = 'www.cli-domain.test';
    const added = await cli('domains', 'add', APP, hostname);
    expect(added).toMatchObject({ code: 0 });
    const record = /^(\S+)\s+TXT\s+"([^"]+)"$/m.exec(added.stdout);
    expect(record?.[1]).toBe(`_berth-challenge.${hostname}`);

    // Before the record exists the API refuses, and the CLI says why with the problem's code.
    const early = await cli('domains', 'verify', APP, hostname);
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(/domain_not_verified/);

    dns.setTxt(record![1], [record![2]]);
    expect(await cli('domains', 'verify', APP, hostname)).toMatchObject({ code: 0 });

    const pem = selfSigned(hostname);
    const certDir = await fs.mkdtemp(path.join(home, 'cert-'));
    await fs.writeFile(path.join(certDir, 'chain.pem'), pem.cert);
    await fs.writeFile(path.join(certDir, 'key.pem'), pem.key);
    const missing = await cli(
      'domains',
      'cert',
      APP,
      hostname,
      '--cert',
      path.join(certDir, 'nope.pem'),
      '--key',
      path.join(certDir, 'key.pem'),
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read the certificate file .*nope\.pem: ENOENT/);
    expect((await cli('domains', 'cert', APP, hostname)).code).toBe(2);
    // This Berth has no ACME directory: the refusal names why.
    const acme = await cli('domains', 'cert', APP, hostname, '--acme');
    expect(acme.code).toBe(1);
    expect(acme.stderr).toMatch(/acme_not_configured/);
    const uploaded = await cli(
      'domains',
      'cert',
      APP,
      hostname,
      '--cert',
      path.join(certDir, 'chain.pem'),
      '--key',
      path.join(certDir, 'key.pem'),
    );
    expect(uploaded).toMatchObject({ code: 0 });

    const listed = JSON.parse((await cli('--json', 'domains', APP)).stdout) as {
      hostname: string;
      status: string;
      certificate: { notAfter: string } | null;
    }[];
    expect(listed).toEqual([
      expect.objectContaining({
        hostname,
        status: 'verified',
        certificate: expect.objectContaining({ notAfter: expect.any(String) }),
      }),
    ]);
    // The key went up once and never comes back.
    expect(JSON.stringify(listed)).not.toContain('PRIVATE KEY');

    expect((await cli('domains', 'remove', APP, hostname)).code).toBe(2);
    expect(await cli('domains', 'remove', APP, hostname, '--yes')).toMatchObject({ code: 0 });
    expect(JSON.parse((await cli('--json', 'domains', 'list', APP)).stdout)).toEqual([]);
  }, 120_000);
});
