// Starts the real `minsheng` binary for the browser tests and stops it again.
//
//   const server = await startServer({ label: 'portal' });
//   ... server.url('/submit') ...
//   await server.stop();
//
// Environment:
//   MINSHENG_BIN           path of the binary (default: <repo>/target/debug/minsheng,
//                          or $CARGO_TARGET_DIR/debug/minsheng when that is set)
//   MINSHENG_E2E_BASE_URL  if set, no server is started; the tests run against that URL
//                          (it must be a server started with `serve --demo`).

import { spawn } from 'node:child_process';
import { access, constants, mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const E2E_DIR = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(E2E_DIR, '..');
export const RESULTS_DIR = path.join(E2E_DIR, 'test-results');

const STARTUP_TIMEOUT_MS = 120_000;
const MAX_LOG_CHARS = 200_000;

export function binaryPath() {
  if (process.env.MINSHENG_BIN) return path.resolve(process.env.MINSHENG_BIN);
  const targetDir = process.env.CARGO_TARGET_DIR
    ? path.resolve(REPO_ROOT, process.env.CARGO_TARGET_DIR)
    : path.join(REPO_ROOT, 'target');
  return path.join(targetDir, 'debug', 'minsheng');
}

/** Asks the kernel for a free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Children still alive when the test process goes away are killed, so that a
// crashed test file never leaves a server behind.
const live = new Set();
process.on('exit', () => {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});

/**
 * Starts `minsheng serve --demo` on a free port with a fresh SQLite database
 * and key file in a new temp dir, and waits until GET /healthz answers 200.
 * With `init: true` the database is instead set up as a new county would be
 * (`minsheng init`, no demo data); the administrator's one-time password is
 * returned as `adminPassword`.
 */
export async function startServer({ label = 'server', demoAppeals = 300, init = false } = {}) {
  if (process.env.MINSHENG_E2E_BASE_URL) {
    const base = process.env.MINSHENG_E2E_BASE_URL.replace(/\/+$/, '');
    return {
      baseURL: base,
      url: (p = '/') => base + p,
      output: () => '(external server: MINSHENG_E2E_BASE_URL)',
      stop: async () => {},
    };
  }

  const bin = binaryPath();
  try {
    await access(bin, constants.X_OK);
  } catch {
    throw new Error(
      `minsheng binary not found or not executable at ${bin}.\n` +
        'Build it first with `cargo build -p minsheng`, or set MINSHENG_BIN.',
    );
  }

  const dir = await mkdtemp(path.join(os.tmpdir(), 'minsheng-e2e-'));
  const port = await freePort();
  const baseURL = `http://127.0.0.1:${port}`;
  const database = ['--database-url', `sqlite://${path.join(dir, 'e2e.db')}`];
  let adminPassword = null;
  if (init) {
    const out = await new Promise((resolve, reject) => {
      const p = spawn(bin, [...database, 'init', '--county-name', '新建县'], {
        cwd: dir,
        env: { ...process.env, MINSHENG_KEY_FILE: path.join(dir, 'minsheng.key') },
      });
      let text = '';
      p.stdout.on('data', (c) => (text += c));
      p.stderr.on('data', (c) => (text += c));
      p.on('error', reject);
      p.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`init failed:\n${text}`))));
    });
    adminPassword = /one-time password: (\S+)/.exec(out)?.[1];
    if (!adminPassword) throw new Error(`no one-time password in:\n${out}`);
  }
  const args = [
    ...database,
    'serve',
    ...(init ? [] : ['--demo', '--demo-appeals', String(demoAppeals)]),
    '--bind',
    `127.0.0.1:${port}`,
  ];

  let log = `$ ${bin} ${args.join(' ')}\n`;
  const append = (chunk) => {
    log += chunk.toString();
    if (log.length > MAX_LOG_CHARS) log = '[...]\n' + log.slice(-MAX_LOG_CHARS);
  };

  const child = spawn(bin, args, {
    cwd: dir,
    // The journeys submit many appeals from one address: no portal rate here (the
    // integration tests hold the limit).
    env: { ...process.env, MINSHENG_KEY_FILE: path.join(dir, 'minsheng.key'), MINSHENG_PORTAL_RATE: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.stdout.on('data', append);
  child.stderr.on('data', append);

  let exitInfo = null;
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exitInfo = { code, signal };
      live.delete(child);
      resolve(exitInfo);
    });
    child.on('error', (err) => {
      append(`\n[spawn error] ${err.stack || err}\n`);
      exitInfo = exitInfo || { code: null, signal: null, error: err };
      live.delete(child);
      resolve(exitInfo);
    });
  });

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (!exitInfo) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (!exitInfo) child.kill('SIGKILL');
      }, 10_000);
      await exited;
      clearTimeout(timer);
    }
    try {
      await mkdir(RESULTS_DIR, { recursive: true });
      await writeFile(path.join(RESULTS_DIR, `${label}-server.log`), log);
    } catch {
      // the log is only a convenience
    }
    await rm(dir, { recursive: true, force: true });
  };

  // Wait for /healthz, failing early if the process exits.
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    if (exitInfo) {
      await stop();
      throw new Error(
        `minsheng exited before becoming healthy (code ${exitInfo.code}, signal ${exitInfo.signal}).\n` +
          `--- server output ---\n${log}`,
      );
    }
    try {
      const res = await fetch(`${baseURL}/healthz`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer().catch(() => {});
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `minsheng did not answer 200 on ${baseURL}/healthz within ${STARTUP_TIMEOUT_MS / 1000} s.\n` +
          `--- server output ---\n${log}`,
      );
    }
    // Poll interval, not a test-timing sleep.
    await Promise.race([new Promise((r) => setTimeout(r, 250)), exited]);
  }

  return {
    baseURL,
    port,
    dir,
    adminPassword,
    url: (p = '/') => baseURL + p,
    output: () => log,
    stop,
  };
}
