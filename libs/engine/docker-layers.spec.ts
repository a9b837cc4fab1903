import { describe, expect, it } from '@jest/globals';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { childImageConfig, dockerCommitLayers } from './docker-layers.js';

describe('childImageConfig', () => {
  const base = {
    Architecture: 'amd64',
    Os: 'linux',
    RootFS: { Layers: ['sha256:base'] },
    Config: {
      Env: ['PATH=/usr/bin', 'NODE_EXTRA_CA_CERTS=/etc/ca.crt', 'NPM_CONFIG_UPDATE_NOTIFIER=false'],
      Cmd: ['node'],
      WorkingDir: '/app',
      Labels: { 'berth.base': 'true', 'berth.image-kind': 'dependencies' },
      ExposedPorts: { '9229/tcp': {} },
    },
  };

  it("keeps the base's settings under the given ones, as a commit of a container of the base would", () => {
    const config = childImageConfig(base, {
      diffIds: ['sha256:base', 'sha256:deps', 'sha256:app'],
      labels: { 'berth.app': 'a1', 'berth.image-kind': 'app' },
      config: {
        cmd: ['node', 'server.js'],
        env: ['NPM_CONFIG_UPDATE_NOTIFIER=true', 'PORT=8080'],
        user: '10001',
        exposedPorts: ['8080/tcp'],
      },
    });
    expect(config).toMatchObject({
      architecture: 'amd64',
      os: 'linux',
      config: {
        // A name the base has is replaced in its place; new names come after.
        Env: [
          'PATH=/usr/bin',
          'NODE_EXTRA_CA_CERTS=/etc/ca.crt',
          'NPM_CONFIG_UPDATE_NOTIFIER=true',
          'PORT=8080',
        ],
        Cmd: ['node', 'server.js'],
        WorkingDir: '/app',
        User: '10001',
        ExposedPorts: { '9229/tcp': {}, '8080/tcp': {} },
        Labels: { 'berth.base': 'true', 'berth.app': 'a1', 'berth.image-kind': 'app' },
      },
      rootfs: { type: 'layers', diff_ids: ['sha256:base', 'sha256:deps', 'sha256:app'] },
      history: [],
    });
  });

  it("is the base's own config with the labels added when nothing else is given", () => {
    const config = childImageConfig(base, {
      diffIds: ['sha256:base', 'sha256:deps'],
      labels: { 'berth.app': 'a1' },
    });
    expect(config.config).toEqual({
      Env: base.Config.Env,
      Cmd: ['node'],
      Entrypoint: null,
      WorkingDir: '/app',
      User: '',
      ExposedPorts: { '9229/tcp': {} },
      Labels: { ...base.Config.Labels, 'berth.app': 'a1' },
    });
  });
});

describe('dockerCommitLayers', () => {
  it('destroys every layer it was given when it cannot even spool them (a caller waits for their end)', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-layers-spec-'));
    const notAFolder = path.join(dir, 'file');
    await fs.writeFile(notAFolder, '');
    const layers = [new PassThrough(), new PassThrough()];
    try {
      await expect(
        dockerCommitLayers(
          {} as Docker,
          {},
          {
            baseImage: 'base',
            layers,
            images: [{ tag: 'x:1', layers: 2, labels: {} }],
            spoolDir: path.join(notAFolder, 'layers'),
          },
        ),
      ).rejects.toThrow();
      expect(layers.map((layer) => layer.destroyed)).toEqual([true, true]);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
