import { tf } from '../tfjs.js';
import type { Locations } from '../ops/hypercolumns.js';
import { takeRows } from '../ops/reductions.js';
import { gridCandidates } from './sampling.js';

/**
 * The content hypercolumns of one region for a whole scale (spec §14.1: constant per scale).
 * Output/content samples always lie on the region's jittered grid lattice (candidates are its
 * points; the reference sampler's independent row/column shuffles still pair a grid row with a
 * grid column), so the bilinear hypercolumns of every lattice point are computed once (see
 * {@link ContentSampleTable.lattice}), with the same arithmetic per row as on demand, and each
 * iteration takes its rows with one gather. The content's VGG maps are then not needed.
 */
export class ContentSampleTable {
  private readonly gridRows: number;

  /** `table`: the hypercolumns `[#lattice, d]` at {@link ContentSampleTable.lattice}'s points, in that order; the table owns it. */
  constructor(
    private readonly table: tf.Tensor2D,
    height: number,
    private readonly strides: readonly [number, number],
    private readonly offsets: readonly [number, number],
  ) {
    this.gridRows = Math.ceil((height - offsets[0]) / strides[0]);
  }

  /** Every point of the grid lattice (unmasked), column-major as gridCandidates lists them: where the table is looked up. */
  static lattice(height: number, width: number, strides: readonly [number, number], offsets: readonly [number, number]): Locations {
    return gridCandidates(height, width, strides, offsets);
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
