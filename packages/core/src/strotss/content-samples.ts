import { tf } from '../tfjs.js';
import { bilinearHypercolumns, type Locations, type Tap } from '../ops/hypercolumns.js';
import { takeRows } from '../ops/reductions.js';
import { gridCandidates } from './sampling.js';

/** Rows of the lattice table computed per gather: bounds the transient memory of the bilinear gathers. */
const ROWS_PER_CHUNK = 4096;

/**
 * The content hypercolumns of one region for a whole scale (spec §14.1: constant per scale).
 * Output/content samples always lie on the region's jittered grid lattice (candidates are its
 * points; the reference sampler's independent row/column shuffles still pair a grid row with a
 * grid column), so the bilinear hypercolumns of every lattice point are computed once, with the
 * same arithmetic per row as on demand, and each iteration takes its rows with one gather. The
 * content's VGG maps (≈270 floats per pixel) can then be freed for the scale's duration.
 */
export class ContentSampleTable {
  private readonly table: tf.Tensor2D;
  private readonly gridRows: number;

  constructor(
    contentTaps: readonly Tap[],
    height: number,
    width: number,
    private readonly strides: readonly [number, number],
    private readonly offsets: readonly [number, number],
  ) {
    const lattice = gridCandidates(height, width, strides, offsets);
    this.gridRows = Math.ceil((height - offsets[0]) / strides[0]);
    const parts: tf.Tensor2D[] = [];
    for (let start = 0; start < lattice.rows.length; start += ROWS_PER_CHUNK) {
      const end = Math.min(start + ROWS_PER_CHUNK, lattice.rows.length);
      parts.push(bilinearHypercolumns(contentTaps, { rows: lattice.rows.subarray(start, end), cols: lattice.cols.subarray(start, end) }));
    }
    this.table = parts.length === 1 ? parts[0] : tf.tidy(() => tf.concat(parts, 0) as tf.Tensor2D);
    if (parts.length > 1) tf.dispose(parts);
  }

  /** Row of each location in the table (the lattice is stored column-major, as gridCandidates lists it). */
  indicesOf(locations: Locations): Int32Array {
    const out = new Int32Array(locations.rows.length);
    for (let i = 0; i < out.length; i++) {
      const gr = (locations.rows[i] - this.offsets[0]) / this.strides[0];
      const gc = (locations.cols[i] - this.offsets[1]) / this.strides[1];
      if (!Number.isInteger(gr) || !Number.isInteger(gc)) {
        throw new RangeError(`location (${locations.rows[i]}, ${locations.cols[i]}) is not on the sampling grid`);
      }
      out[i] = gc * this.gridRows + gr;
    }
    return out;
  }

  /** Content hypercolumns `[N, d]` at `locations` (grid points). */
  samples(locations: Locations): tf.Tensor2D {
    return tf.tidy(() => takeRows(this.table, tf.tensor1d(this.indicesOf(locations), 'int32')));
  }

  /** Frees the table. */
  dispose(): void {
    this.table.dispose();
  }
}
