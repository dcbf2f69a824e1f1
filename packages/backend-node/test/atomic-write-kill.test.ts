// kill -9 during writeImageFile: the output path must hold the old file or none (before any write
// completed) or one complete new image, never a truncated one. Child processes run the built package
// (packages/backend-node/dist: `npm run build` first) and write a 2048×1536 noise PNG in a loop; they are
// killed with SIGKILL at seeded delays. Deterministic by seed (STROTSS_KILL_SEED, default 12345).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, statSync, watch } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../test-support/seeded.js';

const SEED = Number(process.env.STROTSS_KILL_SEED ?? 12345) >>> 0;
const WIDTH = 2048;
const HEIGHT = 1536;
const KILLS_PER_SCENARIO = 12;
/** Kills timed from the spawn land anywhere from Node's start-up to just after the first write. */
const FROM_SPAWN_MAX_MS = 1200;
/**
 * Kills timed from the start of the k-th write's disk activity land inside or just after it: the temp
 * file of a 9.4 MB PNG lives ≈ 30 ms here (write + fsync), then it is renamed.
 */
const AFTER_WRITE_START_MAX_MS = 50;
/**
 * File events in the output folder come in one burst per write (temp file created, written, renamed),
 * separated by the ≈ 250 ms PNG encode of the next write. A quiet gap this long starts a new burst.
 * Watching any file, not just temp files, keeps the kill points right for a writer that is not atomic.
 */
const BURST_GAP_MS = 100;
/** A child that reaches no kill point within this time is reported as stuck. */
const CHILD_LIMIT_MS = 20_000;

const PACKAGE = fileURLToPath(new URL('..', import.meta.url));
const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const DIST_ENTRY = join(PACKAGE, 'dist', 'index.js');
const OUT_NAME = 'out.png';
/** writeFileAtomic's temp file for OUT_NAME: `.<name>.<pid>.<12 hex>.tmp`. */
const TEMP_NAME = /^\.out\.png\.(\d+)\.[0-9a-f]{12}\.tmp$/;


/**
 * The opaque noise image the children write, as JavaScript source so that the child and this test
 * build it from the same text. Noise does not compress: the PNG is ≈ 9.4 MB and takes a while to write.
 */
const NOISE_SOURCE = `(width, height, seed) => {
  const data = new Uint8ClampedArray(width * height * 4);
  let state = seed >>> 0;
  for (let i = 0; i < data.length; i += 4) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const v = (t ^ (t >>> 14)) >>> 0;
    data[i] = v & 255;
    data[i + 1] = (v >>> 8) & 255;
    data[i + 2] = (v >>> 16) & 255;
    data[i + 3] = 255;
  }
  return { width, height, data };
}`;

/** The child: imports the built package, says "ready", then rewrites the output until it is killed. */
const CHILD_SCRIPT = `
import { pathToFileURL } from 'node:url';
const { dist, out, seed, width, height } = JSON.parse(process.env.STROTSS_KILL_TEST);
const { writeImageFile } = await import(pathToFileURL(dist).href);
const image = (${NOISE_SOURCE})(width, height, seed);
process.stdout.write('ready\\n');
// Bounded, so a child the test fails to kill still ends on its own.
for (let i = 0; i < 100; i++) {
  await writeImageFile(out, image);
  process.stdout.write('wrote ' + i + '\\n');
}
process.exit(3);
`;

type Scenario = 'none' | 'old';
type Outcome = 'none' | 'old' | 'new' | 'bad';

interface Plan {
  /** 'spawn': kill `delayMs` after spawning; 'write': kill `delayMs` after the `write`-th write starts touching the disk. */
  from: 'spawn' | 'write';
  write: number;
  delayMs: number;
}

interface Trial {
  plan: Plan;
  outcome: Outcome;
  /** Why the file is 'bad', or a rule the trial broke. */
  problems: string[];
  /** Temp files this child left behind. */
  tempsLeft: number;
  /** 'wrote' lines received before the kill. */
  writesSeen: number;
}

const children = new Set<ChildProcess>();
let dir: string;
let expectedRgb: Buffer;
let oldBytes: Buffer;

/** Plans the kills of one scenario: a quarter timed from the spawn, the rest inside the 1st–3rd write. */
function planKills(rng: () => number): Plan[] {
  const plans: Plan[] = [];
  for (let i = 0; i < KILLS_PER_SCENARIO; i++) {
    if (i % 4 === 0) plans.push({ from: 'spawn', write: 0, delayMs: Math.floor(rng() * FROM_SPAWN_MAX_MS) });
    else plans.push({ from: 'write', write: 1 + Math.floor(rng() * 3), delayMs: Math.floor(rng() * AFTER_WRITE_START_MAX_MS) });
  }
  return plans;
}

/** Runs one child, kills it per `plan`, and returns the number of 'wrote' lines seen before the kill. */
async function runAndKill(plan: Plan, out: string): Promise<{ pid: number; writesSeen: number }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD_SCRIPT], {
    cwd: REPO,
    env: { ...process.env, STROTSS_KILL_TEST: JSON.stringify({ dist: DIST_ENTRY, out, seed: SEED, width: WIDTH, height: HEIGHT }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  let killedAt: number | undefined;
  let writesSeen = 0;
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    stdout += s;
    if (killedAt === undefined) writesSeen = stdout.split('\n').filter((l) => l.startsWith('wrote ')).length;
  });
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;

  const kill = () => {
    if (killedAt !== undefined) return;
    killedAt = Date.now();
    child.kill('SIGKILL');
  };
  const timers: NodeJS.Timeout[] = [];
  let watcher: ReturnType<typeof watch> | undefined;
  if (plan.from === 'spawn') {
    timers.push(setTimeout(kill, plan.delayMs));
  } else {
    // Only the child touches the folder while it runs (earlier children are dead, this test waits).
    let bursts = 0;
    let lastEvent = -Infinity;
    watcher = watch(dir, () => {
      const now = performance.now();
      if (now - lastEvent > BURST_GAP_MS && ++bursts === plan.write) timers.push(setTimeout(kill, plan.delayMs));
      lastEvent = now;
    });
  }
  let stuck = false;
  const stuckTimer = setTimeout(() => {
    stuck = true;
    kill();
  }, CHILD_LIMIT_MS);
  const [code, signal] = await exited;
  clearTimeout(stuckTimer);
  for (const t of timers) clearTimeout(t);
  watcher?.close();
  children.delete(child);
  if (signal !== 'SIGKILL' || killedAt === undefined) {
    throw new Error(`the writer exited on its own (code ${code}, signal ${signal}) before the kill:\n${stderr}`);
  }
  if (stuck) throw new Error(`the writer reached no kill point within ${CHILD_LIMIT_MS} ms; its output:\n${stdout}${stderr}`);
  return { pid: child.pid!, writesSeen };
}

/** Classifies what the output path holds now. */
async function inspectOutput(out: string): Promise<{ outcome: Outcome; problem?: string }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(out);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { outcome: 'none' };
    throw error;
  }
  if (bytes.equals(oldBytes)) return { outcome: 'old' };
  try {
    const { data, info } = await sharp(bytes, { failOn: 'warning' }).raw().toBuffer({ resolveWithObject: true });
    if (info.width !== WIDTH || info.height !== HEIGHT) {
      return { outcome: 'bad', problem: `decodes to ${info.width}×${info.height}, not ${WIDTH}×${HEIGHT}` };
    }
    if (info.channels !== 3 || !data.equals(expectedRgb)) {
      return { outcome: 'bad', problem: `decodes to ${WIDTH}×${HEIGHT} but not to the pixels written (${info.channels} channels)` };
    }
    return { outcome: 'new' };
  } catch (error) {
    return { outcome: 'bad', problem: `${bytes.length} bytes that do not decode: ${(error as Error).message}` };
  }
}

async function runScenario(scenario: Scenario, rng: () => number): Promise<Trial[]> {
  const out = join(dir, OUT_NAME);
  const seenTemps = new Set<string>();
  const killedPids = new Set<number>();
  const trials: Trial[] = [];
  for (const plan of planKills(rng)) {
    if (scenario === 'none') await rm(out, { force: true });
    else await writeFile(out, oldBytes);
    const { pid, writesSeen } = await runAndKill(plan, out);
    killedPids.add(pid);

    const problems: string[] = [];
    const { outcome, problem } = await inspectOutput(out);
    if (problem !== undefined) problems.push(`truncated or partial output: ${problem}`);
    if (outcome === 'none' && scenario === 'old') problems.push('the old file is gone and no new one is there');
    if (outcome === 'old' && scenario === 'none') problems.push('impossible: the old image appeared');
    if ((outcome === 'none' || outcome === 'old') && writesSeen > 0) {
      problems.push(`the child reported ${writesSeen} completed write(s) but the path holds ${outcome === 'none' ? 'nothing' : 'the old file'}`);
    }

    // A killed writer cannot remove its temp file, and writeFileAtomic documents no cleanup of stale
    // ones: they stay (counted and reported) and must not get in the way of later writes.
    let tempsLeft = 0;
    for (const name of await readdir(dir)) {
      if (name === OUT_NAME) continue;
      const temp = TEMP_NAME.exec(name);
      if (temp === null) {
        problems.push(`unexpected file in the output folder: ${name}`);
      } else if (!killedPids.has(Number(temp[1]))) {
        problems.push(`temp file of an unknown process: ${name}`);
      } else if (!seenTemps.has(name)) {
        seenTemps.add(name);
        tempsLeft++;
      }
    }
    trials.push({ plan, outcome, problems, tempsLeft, writesSeen });
  }
  return trials;
}

/** One line per scenario: kills, outcomes, truncated, temp files left. */
function summary(label: string, trials: Trial[]): string {
  const count = (o: Outcome) => trials.filter((t) => t.outcome === o).length;
  const fromSpawn = trials.filter((t) => t.plan.from === 'spawn').length;
  const temps = trials.reduce((n, t) => n + t.tempsLeft, 0);
  const killsLeavingTemp = trials.filter((t) => t.tempsLeft > 0).length;
  return (
    `atomic write kill -9, ${label}: ${trials.length} kills (${fromSpawn} timed from spawn, ` +
    `${trials.length - fromSpawn} inside write 1–3 at 0–${AFTER_WRITE_START_MAX_MS} ms); outcomes: none ${count('none')}, old ${count('old')}, ` +
    `new complete ${count('new')}; truncated ${count('bad')}; temp files left behind ${temps} ` +
    `(by ${killsLeavingTemp} kills) (seed ${SEED})`
  );
}

describe(`writeImageFile under kill -9 (seed ${SEED})`, () => {
  beforeAll(async () => {
    if (!existsSync(DIST_ENTRY)) throw new Error(`${DIST_ENTRY} is missing; run \`npm run build\` at the repository root first.`);
    for (const name of ['atomic-write', 'image-io']) {
      const built = statSync(join(PACKAGE, 'dist', `${name}.js`)).mtimeMs;
      const source = statSync(join(PACKAGE, 'src', `${name}.ts`)).mtimeMs;
      if (built < source) {
        throw new Error(`dist/${name}.js is older than src/${name}.ts; run \`npm run build\` at the repository root first.`);
      }
    }
    dir = await mkdtemp(join(tmpdir(), 'strotss-kill-'));
    const noise = new Function(`return ${NOISE_SOURCE}`)() as (
      w: number,
      h: number,
      s: number,
    ) => { data: Uint8ClampedArray };
    const rgba = noise(WIDTH, HEIGHT, SEED).data;
    expectedRgb = Buffer.alloc(WIDTH * HEIGHT * 3);
    for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
      expectedRgb[j] = rgba[i];
      expectedRgb[j + 1] = rgba[i + 1];
      expectedRgb[j + 2] = rgba[i + 2];
    }
    // The "old" image: small, different, valid.
    const grey = Buffer.alloc(64 * 48 * 3, 90);
    oldBytes = await sharp(grey, { raw: { width: 64, height: 48, channels: 3 } }).png().toBuffer();
  });

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('leaves the old file, no file, or the whole new image at the path after every kill, never a partial one', async () => {
    const rng = mulberry32(SEED);
    const results: Array<[string, Scenario, Trial[]]> = [];
    for (const [label, scenario] of [
      ['(a) no previous file', 'none'],
      ['(b) previous image at the path', 'old'],
    ] as const) {
      const trials = await runScenario(scenario, rng);
      results.push([label, scenario, trials]);
      console.log(summary(label, trials));
      await rm(dir, { recursive: true, force: true });
      dir = await mkdtemp(join(tmpdir(), 'strotss-kill-'));
    }

    const all = results.flatMap(([, , trials]) => trials);
    const problems = results.flatMap(([label, , trials]) =>
      trials.flatMap((t, i) =>
        t.problems.map((p) => `${label} kill ${i + 1} (${t.plan.from} ${t.plan.write}/${t.plan.delayMs} ms): ${p}`),
      ),
    );
    for (const p of problems) console.log(`  FAIL ${p}`);
    const beforeFirstWrite = all.filter((t) => t.outcome === 'none' || t.outcome === 'old').length;
    const midWrite = all.filter((t) => t.tempsLeft > 0).length;
    console.log(
      `atomic write kill -9, total: ${all.length} kills, ${beforeFirstWrite} before any write completed, ` +
        `${midWrite} inside a write (left a temp file), ${all.filter((t) => t.outcome === 'bad').length} truncated`,
    );

    expect(all.length).toBeGreaterThanOrEqual(20);
    expect(problems).toEqual([]);
    expect(all.filter((t) => t.outcome === 'bad')).toHaveLength(0);
    // The kills must have hit the interesting moments, or the test proves nothing.
    expect(beforeFirstWrite, 'kills that landed before the first write completed').toBeGreaterThan(0);
    expect(midWrite, 'kills that landed while a temp file was being written').toBeGreaterThan(0);
    expect(all.filter((t) => t.outcome === 'new').length, 'kills after a completed write').toBeGreaterThan(0);
  });
});
