import { describe, expect, it } from '@jest/globals';
import { appRouterLines, type RouterSourceLine } from './router-logs.js';

const APP = '0b6f3c52-6f0e-4a59-9d5e-1c2f3a4b5c6d';
const OTHER = '9d1e0c77-1111-4a59-9d5e-1c2f3a4b5c6d';
const access = (app: string, id: string) =>
  `berth-router-1 app-${app} r-aa 200 500 98 14 15 ${id} GET hello-x.localhost /`;

async function* lines(...items: RouterSourceLine[]): AsyncGenerator<RouterSourceLine> {
  yield* items;
}

describe('appRouterLines', () => {
  it("keeps only the app's own access lines from its router's log, as router lines", async () => {
    const out = [];
    for await (const line of appRouterLines(
      lines(
        { stream: 'stdout', timestamp: '2026-12-05T13:00:00.1Z', text: access(APP, 'id-1') },
        { stream: 'stdout', timestamp: '2026-12-05T13:00:00.2Z', text: access(OTHER, 'id-2') },
        { stream: 'stderr', timestamp: '2026-12-05T13:00:00.3Z', text: access(APP, 'id-3') },
        { stream: 'stdout', timestamp: '2026-12-05T13:00:00.4Z', text: '[NOTICE] New worker forked' },
        { stream: 'stdout', timestamp: '2026-12-05T13:00:00.5Z', text: access(APP, 'id-5') },
      ),
      APP,
    )) {
      out.push(line);
    }
    expect(out.map((line) => [line.stream, line.timestamp, /request_id=(\S+)/.exec(line.text)?.[1]])).toEqual(
      [
        ['router', '2026-12-05T13:00:00.1Z', 'id-1'],
        ['router', '2026-12-05T13:00:00.5Z', 'id-5'],
      ],
    );
  });
});
