import { describe, expect, it } from '@jest/globals';
import {
  appliedHashOf,
  applyHaproxyConfig,
  ConfigRejectedError,
  configFileText,
  HAPROXY_FILES,
  ReloadFailedError,
  withMarker,
  type HaproxyControl,
} from './haproxy-reload.js';

/** An in-memory balancer: files, a config check and a master that loads (or refuses) the live file. */
class FakeHaproxy implements HaproxyControl {
  readonly files = new Map<string, string>();
  readonly steps: string[] = [];
  /** The file text the master runs. */
  running: string | undefined;
  invalid = new Set<string>();
  failReloads = 0;

  async readFile(path: string): Promise<string | undefined> {
    this.steps.push(`read ${path}`);
    return this.files.get(path);
  }

  async writeFile(path: string, text: string): Promise<void> {
    this.steps.push(`write ${path}`);
    this.files.set(path, text);
  }

  async install(text: string): Promise<{ valid: boolean; output: string; previous: string | undefined }> {
    this.steps.push('install');
    this.files.set(HAPROXY_FILES.next, text);
    if ([...this.invalid].some((word) => text.includes(word))) {
      return { valid: false, output: '[ALERT] parsing: unknown keyword', previous: undefined };
    }
    const previous = this.files.get(HAPROXY_FILES.live);
    if (previous !== undefined) this.files.set(HAPROXY_FILES.previous, previous);
    this.files.set(HAPROXY_FILES.live, text);
    return { valid: true, output: 'Configuration file is valid', previous };
  }

  async reload(marker: string): Promise<{ loaded: boolean; output: string }> {
    this.steps.push(`reload ${marker}`);
    const live = this.files.get(HAPROXY_FILES.live) ?? '';
    if (!live.includes(`.notice "${marker}"`)) return { loaded: false, output: 'marker not seen' };
    if (this.failReloads > 0) {
      this.failReloads -= 1;
      return { loaded: false, output: 'Loading failure!' };
    }
    this.running = live;
    return { loaded: true, output: 'Loading success.' };
  }
}

const hashA = 'aaaaaaaaaaaaaaaa';
const hashB = 'bbbbbbbbbbbbbbbb';
function started(): FakeHaproxy {
  const haproxy = new FakeHaproxy();
  const initial = configFileText({ text: 'global\n# A\n', hash: hashA, marker: 'start' });
  haproxy.files.set(HAPROXY_FILES.live, initial);
  haproxy.running = initial;
  return haproxy;
}

describe('applyHaproxyConfig', () => {
  it('installs (stage, validate, keep the previous, swap), then reloads', async () => {
    const haproxy = started();
    const previous = haproxy.files.get(HAPROXY_FILES.live);
    await applyHaproxyConfig(haproxy, { text: 'global\n# B\n', hash: hashB, marker: 'apply 1' });
    expect(haproxy.steps).toEqual(['install', 'reload apply 1']);
    expect(haproxy.files.get(HAPROXY_FILES.next)).toBe(haproxy.files.get(HAPROXY_FILES.live));
    expect(appliedHashOf(haproxy.running)).toBe(hashB);
    expect(haproxy.files.get(HAPROXY_FILES.previous)).toBe(previous);
  });

  it('leaves the live file and the running config alone when validation fails', async () => {
    const haproxy = started();
    haproxy.invalid.add('bogus');
    const before = haproxy.files.get(HAPROXY_FILES.live);
    await expect(
      applyHaproxyConfig(haproxy, { text: 'bogus\n', hash: hashB, marker: 'apply 2' }),
    ).rejects.toBeInstanceOf(ConfigRejectedError);
    expect(haproxy.files.get(HAPROXY_FILES.live)).toBe(before);
    expect(haproxy.steps.some((s) => s.startsWith('reload'))).toBe(false);
    expect(appliedHashOf(haproxy.running)).toBe(hashA);
  });

  it('puts the previous config back and reloads it when the master refuses the new one', async () => {
    const haproxy = started();
    haproxy.failReloads = 1;
    const error = await applyHaproxyConfig(haproxy, {
      text: 'global\n# B\n',
      hash: hashB,
      marker: 'apply 3',
    }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ReloadFailedError);
    expect((error as ReloadFailedError).restored).toBe(true);
    expect(haproxy.steps.slice(-3)).toEqual([
      'reload apply 3',
      `write ${HAPROXY_FILES.live}`,
      'reload apply 3 restore',
    ]);
    expect(appliedHashOf(haproxy.files.get(HAPROXY_FILES.live))).toBe(hashA);
    expect(appliedHashOf(haproxy.running)).toBe(hashA);
  });

  it('says so when even the previous config does not load again', async () => {
    const haproxy = started();
    haproxy.failReloads = 2;
    const error = await applyHaproxyConfig(haproxy, {
      text: 'global\n',
      hash: hashB,
      marker: 'apply 4',
    }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ReloadFailedError);
    expect((error as ReloadFailedError).restored).toBe(false);
  });

  it('treats a reload that throws (signal refused, log stream broken) as a failed reload', async () => {
    const haproxy = started();
    let calls = 0;
    const original = haproxy.reload.bind(haproxy);
    haproxy.reload = async (marker: string) => {
      calls += 1;
      if (calls === 1) throw new Error('killContainer: container is not running');
      return original(marker);
    };
    await expect(
      applyHaproxyConfig(haproxy, { text: 'global\n', hash: hashB, marker: 'apply 5' }),
    ).rejects.toMatchObject({ name: 'ReloadFailedError', restored: true });
  });
});

describe('config file text', () => {
  it('carries the hash on its first line and a load marker on its second', () => {
    const text = configFileText({ text: 'global\n', hash: hashA, marker: 'berth-lb-apply x 1' });
    expect(text).toBe(`# berth-lb-config ${hashA}\n.notice "berth-lb-apply x 1"\nglobal\n`);
    expect(appliedHashOf(text)).toBe(hashA);
    expect(appliedHashOf('global\n')).toBeUndefined();
    expect(appliedHashOf(undefined)).toBeUndefined();
  });

  it('swaps the marker of an existing file and keeps the rest', () => {
    const text = configFileText({ text: 'global\n  nbthread 1\n', hash: hashA, marker: 'one' });
    expect(withMarker(text, 'two')).toBe(
      configFileText({ text: 'global\n  nbthread 1\n', hash: hashA, marker: 'two' }),
    );
  });

  it('refuses a marker that could break out of the quotes', () => {
    expect(() => configFileText({ text: '', hash: hashA, marker: 'x"\nglobal' })).toThrow(RangeError);
  });
});
