import crypto from 'node:crypto';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Browser, chromium } from 'playwright-core';
import { LogStreamGateway } from '../../apps/api/src/logs/log-stream.gateway.js';
import { PASSWORD, signupOwner, startTestApi, type Session, type TestApi } from '../support/api.js';
import { cleanupTestRun, ensureRuntimeImage } from '../support/docker.js';
import { httpGet, uploadBuild, waitConverged, waitForBuild } from '../support/lifecycle.js';
import { breaks, numbersByReplica, tickerApp } from './log-apps.js';

/** Debian's `chromium` package (scripts/test.sh installs it when missing). */
const CHROMIUM = process.env.BERTH_TEST_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** The little of the DOM the page functions below use. */
interface PageElement {
  textContent: string | null;
  className: string;
  dataset: Record<string, string | undefined>;
  querySelector(selector: string): PageElement | null;
}
interface Page {
  document: {
    getElementById(id: string): PageElement | null;
    querySelectorAll(selector: string): ArrayLike<PageElement>;
  };
}

/**
 * The log viewer in a real browser (headless Chromium driven by playwright-core; only 127.0.0.1 traffic):
 * sign in, pick the app, watch; a line the app prints after the page connected shows up; when the server
 * drops the stream the page reconnects with its last cursor and nothing is lost or shown twice.
 */
describe('dashboard log viewer in Chromium', () => {
  let api: TestApi;
  let owner: Session;
  let endpoint: string;
  let browser: Browser;

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    await ensureRuntimeImage();
    api = await startTestApi({ runWorkers: true, reconcileIntervalMs: 500 });
    owner = await signupOwner(api, 'dashboard');
    await api.http.post('/v1/apps').set(owner.auth).send({ name: 'web' }).expect(201);
    const build = await uploadBuild(api, owner, 'web', await tickerApp());
    expect((await waitForBuild(api, owner, 'web', build)).status).toBe('succeeded');
    endpoint = (await waitConverged(api, owner, 'web')).endpoints[0];
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await cleanupTestRun();
  }, 120_000);

  it('signs in, watches the app, shows a line printed after it connected, and resumes after a drop', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('response', (answer) => {
      if (answer.status() >= 400) problems.push(`${answer.status()} ${answer.url()}`);
    });
    const outside: string[] = [];
    page.on('request', (request) => {
      const { hostname } = new URL(request.url());
      if (hostname !== '127.0.0.1') outside.push(request.url());
    });

    const response = await page.goto(`${api.url}/dashboard`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toMatch(/script-src 'self'/);
    await page.fill('#email', owner.email);
    await page.fill('#password', PASSWORD);
    await page.click('#signin-button');
    await page.waitForSelector('#viewer:not([hidden])');
    await page.selectOption('#app', 'web');
    await page.click('#watch');
    // Functions run in the page (passed by value, so the page's CSP needs no 'unsafe-eval'); this project
    // type-checks without the DOM library, hence the small Page type.
    const status = (text: string) =>
      page.waitForFunction(
        (wanted) => (globalThis as unknown as Page).document.getElementById('status')?.textContent === wanted,
        text,
        { timeout: 20_000 },
      );
    await status('connected');

    const texts = () =>
      page.evaluate(() =>
        Array.from((globalThis as unknown as Page).document.querySelectorAll('#log li')).map((item) => ({
          replica: item.dataset.replica ?? '',
          stream: item.className,
          text: item.querySelector('.text')?.textContent ?? '',
        })),
      );
    const showLine = (text: string) =>
      page.waitForFunction(
        (wanted) =>
          Array.from((globalThis as unknown as Page).document.querySelectorAll('#log li .text')).some(
            (element) => element.textContent === wanted,
          ),
        text,
        { timeout: 20_000 },
      );

    // Printed by the container only now, after the page said "connected".
    const first = `/hello-${crypto.randomBytes(4).toString('hex')}`;
    expect((await httpGet(`${endpoint}${first}`)).status).toBe(200);
    await showLine(`request ${first}`);

    // The server drops every stream (as a restart would): the page reconnects with its last cursor.
    await api.app.get(LogStreamGateway).closeAll(1012, 'service restart');
    await page.waitForFunction(
      () =>
        (globalThis as unknown as Page).document.getElementById('status')?.dataset.state === 'reconnecting',
    );
    await status('connected');
    const second = `/again-${crypto.randomBytes(4).toString('hex')}`;
    expect((await httpGet(`${endpoint}${second}`)).status).toBe(200);
    await showLine(`request ${second}`);

    const shown = await texts();
    expect(shown.filter((line) => line.text === `request ${first}`)).toHaveLength(1);
    const perReplica = numbersByReplica(shown);
    expect(perReplica.size).toBeGreaterThan(0);
    for (const [key, numbers] of perReplica) {
      expect({ key, breaks: breaks(numbers, key.endsWith('stderr') ? 10 : 1) }).toEqual({ key, breaks: [] });
    }
    expect(problems).toEqual([]);
    expect(outside).toEqual([]);
    await page.close();
  }, 120_000);
});
