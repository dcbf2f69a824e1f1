import { parseSafetensorsHeader } from '../model/weights/safetensors.js';

/** A fixture tensor as stored: dtype, shape (PyTorch layout) and values. */
export interface FixtureTensor {
  dtype: 'F32' | 'I32';
  shape: number[];
  data: Float32Array | Int32Array;
}

/** One case of the reference fixtures' index.json. */
export interface FixtureCase {
  id: string;
  stage: string;
  file: string;
  inputs: Record<string, { tensor: string; file?: string; shape: number[] }>;
  outputs: Record<string, { tensor: string; shape: number[] }>;
  params: Record<string, unknown>;
  tolerance: Record<string, { kind: string; value: number | number[] | null; note?: string }>;
}

/** Reads the named file of the fixture folder (fs in Node, fetch in a browser). */
export type FixtureReader = (file: string) => Promise<Uint8Array>;

/** Returns every tensor of a safetensors file of F32 / I32 data, decoded (fixtures only use these two dtypes). */
export function decodeFixtureFile(bytes: Uint8Array, label: string): Map<string, FixtureTensor> {
  const header = parseSafetensorsHeader(bytes, { label, fileLength: bytes.length });
  const out = new Map<string, FixtureTensor>();
  for (const [name, entry] of Object.entries(header.tensors)) {
    const [start, end] = entry.dataOffsets;
    // A fresh, aligned copy (Node's Buffer.slice would return a view into a shared pool).
    const copy = new Uint8Array(end - start);
    copy.set(bytes.subarray(header.dataOffset + start, header.dataOffset + end));
    if (entry.dtype !== 'F32' && entry.dtype !== 'I32') throw new Error(`${label}: ${name} has dtype ${entry.dtype}`);
    const data = entry.dtype === 'F32' ? new Float32Array(copy.buffer) : new Int32Array(copy.buffer);
    out.set(name, { dtype: entry.dtype, shape: entry.shape, data });
  }
  return out;
}

/** The authors' stage-by-stage reference tensors (`shared/fixtures/reference/`), loaded lazily per file. */
export class ReferenceFixtures {
  readonly cases: FixtureCase[];
  private readonly files = new Map<string, Map<string, FixtureTensor>>();

  private constructor(
    readonly index: { cases: FixtureCase[]; [k: string]: unknown },
    private readonly read: FixtureReader,
  ) {
    this.cases = index.cases;
  }

  /** Loads index.json through `read`; safetensors files are read on first use. */
  static async load(read: FixtureReader): Promise<ReferenceFixtures> {
    const index = JSON.parse(new TextDecoder().decode(await read('index.json')));
    return new ReferenceFixtures(index, read);
  }

  /** Decodes (once) and returns all tensors of one fixture file. */
  async file(name: string): Promise<Map<string, FixtureTensor>> {
    let tensors = this.files.get(name);
    if (!tensors) {
      tensors = decodeFixtureFile(await this.read(name), name);
      this.files.set(name, tensors);
    }
    return tensors;
  }

  /** One stored tensor by file and name. */
  async tensor(file: string, name: string): Promise<FixtureTensor> {
    const t = (await this.file(file)).get(name);
    if (!t) throw new Error(`fixture ${file} has no tensor ${name}`);
    return t;
  }

  /** An input of a case (inputs may point into another file). */
  async input(c: FixtureCase, key: string): Promise<FixtureTensor> {
    const spec = c.inputs[key];
    return this.tensor(spec.file ?? c.file, spec.tensor);
  }

  /** An output of a case. */
  async output(c: FixtureCase, key: string): Promise<FixtureTensor> {
    return this.tensor(c.file, c.outputs[key].tensor);
  }
}

/** Converts NCHW (N = 1) values to NHWC order. */
export function nchwToNhwc(t: FixtureTensor): { data: Float32Array; shape: [number, number, number, number] } {
  const [n, c, h, w] = t.shape;
  const src = t.data;
  const out = new Float32Array(src.length);
  for (let b = 0; b < n; b++)
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) out[((b * h + y) * w + x) * c + ch] = src[((b * c + ch) * h + y) * w + x];
  return { data: out, shape: [n, h, w, c] };
}
