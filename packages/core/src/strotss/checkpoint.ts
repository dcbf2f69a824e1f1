import { API_WORDING, InvalidOptionError, type Wording } from '../errors.js';
import type { RandomState } from './random.js';

/** A float32 tensor on the host: its shape and values (row-major, NHWC as the pyramid holds it). */
export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

/**
 * What identifies a run, so that a checkpoint is only resumed by the run it came from: the backend
 * (results are bit-identical only on the same one), every option that changes the result, and a
 * hash of each input (images, weights).
 */
export interface RunFingerprint {
  backend: string;
  /** Resolved options that change the result, by their API names (`model` by its id). */
  options: Record<string, string | number | boolean | null>;
  /** Hash (hex) of each input by name: `content`, `style`, `weights`, `guidance.content`, `init`, … */
  inputs: Record<string, string>;
}

/**
 * The state of a job between two iterations (docs/guide/resume.md): enough to continue in another
 * process and end with the same bytes as a run that was never stopped.
 */
export interface StrotssCheckpoint {
  version: typeof CHECKPOINT_VERSION;
  fingerprint: RunFingerprint;
  /** The scale (1-based) and the iteration in it that the resumed run performs next. */
  scale: number;
  iteration: number;
  /** The last loss of each scale already finished (for the 'done' event). */
  finalLosses: number[];
  /** The sampler's random sequence at the start of this scale and at this iteration (spec §8). */
  random: { scaleStart: RandomState; now: RandomState };
  /** Laplacian pyramid coefficients, finest first (spec §6), and RMSprop's running averages (spec §10). */
  levels: HostTensor[];
  squareAvg: HostTensor[];
}

/** Why a checkpoint was taken: every N iterations, asked for, or on cancel. */
export type CheckpointReason = 'every' | 'request' | 'cancel';

/** The version of the checkpoint format written by this SDK; other versions are refused. */
export const CHECKPOINT_VERSION = 1;

/** The first 8 bytes of a checkpoint file. */
const MAGIC = 'STROTSSC';

/** Header fields of the file: the checkpoint without its tensors, which follow as raw float32. */
interface CheckpointHeader extends Omit<StrotssCheckpoint, 'levels' | 'squareAvg'> {
  tensors: { levels: number[][]; squareAvg: number[][] };
}

/**
 * Returns the checkpoint as bytes: "STROTSSC", uint32 LE version, uint32 LE header length, a UTF-8
 * JSON header (padded with spaces to 4 bytes), then every tensor's float32 LE values (levels, then
 * squareAvg, in header order).
 */
export function encodeCheckpoint(checkpoint: StrotssCheckpoint): Uint8Array {
  const { levels, squareAvg, ...rest } = checkpoint;
  const header: CheckpointHeader = { ...rest, tensors: { levels: levels.map((t) => t.shape), squareAvg: squareAvg.map((t) => t.shape) } };
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 4) * 4;
  if (padded !== json.length) json = new TextEncoder().encode(JSON.stringify(header) + ' '.repeat(padded - json.length));
  const tensors = [...levels, ...squareAvg];
  const floats = tensors.reduce((n, t) => n + t.data.length, 0);
  const out = new Uint8Array(16 + json.length + floats * 4);
  out.set(new TextEncoder().encode(MAGIC), 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, CHECKPOINT_VERSION, true);
  view.setUint32(12, json.length, true);
  out.set(json, 16);
  let offset = 16 + json.length;
  for (const t of tensors) {
    for (let i = 0; i < t.data.length; i++, offset += 4) view.setFloat32(offset, t.data[i], true);
  }
  return out;
}

/** A checkpoint file that cannot be read: names what is wrong. */
function unreadable(reason: string): InvalidOptionError {
  return new InvalidOptionError(`The checkpoint cannot be read: ${reason}. Pass a file written by a job's checkpoint (format version ${CHECKPOINT_VERSION}).`, {
    details: { option: 'resume' },
  });
}

/** Returns the checkpoint in `bytes` (from {@link encodeCheckpoint}); throws InvalidOptionError when they are not one. */
export function decodeCheckpoint(bytes: Uint8Array): StrotssCheckpoint {
  if (bytes.length < 16 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) throw unreadable('it does not start with "STROTSSC"');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== CHECKPOINT_VERSION) throw unreadable(`it is format version ${version}, this SDK reads version ${CHECKPOINT_VERSION}`);
  const headerLength = view.getUint32(12, true);
  if (16 + headerLength > bytes.length) throw unreadable('it is truncated (header)');
  let header: CheckpointHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + headerLength))) as CheckpointHeader;
  } catch {
    throw unreadable('its header is not JSON');
  }
  let offset = 16 + headerLength;
  const read = (shape: number[]): HostTensor => {
    const n = shape.reduce((a, b) => a * b, 1);
    if (offset + n * 4 > bytes.length) throw unreadable('it is truncated (tensors)');
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++, offset += 4) data[i] = view.getFloat32(offset, true);
    return { shape, data };
  };
  const { tensors, ...rest } = header;
  const levels = tensors.levels.map(read);
  const squareAvg = tensors.squareAvg.map(read);
  if (offset !== bytes.length) throw unreadable(`${bytes.length - offset} bytes follow the tensors`);
  return { ...rest, levels, squareAvg };
}

/** Option names whose value never changes the result: left out of fingerprints. */
const RESULT_NEUTRAL = new Set(['preset', 'previewEvery', 'checkpointEvery', 'checkpointOnCancel']);

/** Returns the result-changing options of `resolved` as plain values (`model` by id, objects as JSON). */
export function fingerprintOptions(resolved: object): RunFingerprint['options'] {
  const out: RunFingerprint['options'] = {};
  for (const [key, value] of Object.entries(resolved)) {
    if (RESULT_NEUTRAL.has(key)) continue;
    if (key === 'model') out.model = (value as { id: string }).id;
    else if (value === undefined || value === null) out[key] = null;
    else if (typeof value === 'object') out[key] = JSON.stringify(value);
    else out[key] = value as string | number | boolean;
  }
  return out;
}

/**
 * Throws InvalidOptionError when `checkpoint` was not made by a run like `current` (another backend,
 * option or input), naming each difference; resuming it would not give the uninterrupted result.
 */
export function checkResumable(checkpoint: StrotssCheckpoint, current: RunFingerprint): void {
  const was = checkpoint.fingerprint;
  const differences: Array<(w: Wording) => string> = [];
  if (was.backend !== current.backend) {
    differences.push(() => `it was made on the ${was.backend} backend, this job runs on ${current.backend} (a resumed result is identical only on the same backend)`);
  }
  for (const key of new Set([...Object.keys(was.options), ...Object.keys(current.options)])) {
    if (was.options[key] !== current.options[key]) differences.push((w) => `${w.option(key) ?? key} was ${String(was.options[key])}, now ${String(current.options[key])}`);
  }
  for (const key of new Set([...Object.keys(was.inputs), ...Object.keys(current.inputs)])) {
    if (was.inputs[key] === current.inputs[key]) continue;
    if (!(key in current.inputs)) differences.push(() => `it was made with ${inputName(key)}, this job has none`);
    else if (!(key in was.inputs)) differences.push(() => `this job has ${inputName(key)}, the checkpoint was made without`);
    else differences.push((w) => `the ${w.input(key, inputName(key))} differs from the one it was made with`);
  }
  if (differences.length === 0) return;
  throw new InvalidOptionError(
    (w) =>
      `This checkpoint (scale ${checkpoint.scale}, iteration ${checkpoint.iteration}) belongs to another run: ${differences.map((d) => d(w)).join('; ')}. ` +
      'Resume with the same images, weights, options and backend, or start a new run without it.',
    { details: { option: 'resume', value: differences.map((d) => d(API_WORDING)) } },
  );
}

function inputName(key: string): string {
  if (key === 'weights') return 'VGG weights';
  if (key === 'init') return 'an initial image';
  return `${key.replace('.', ' ')} image`;
}
