import type { RgbaImage } from '@strotss/core';
import { writeOutput } from './output-path.js';

/**
 * Writes previews and the result to the output path one at a time (atomic renames, in order), keeping
 * only the newest preview when writes fall behind; remembers what is on disk. Checkpoints go through
 * one too (`write` = writeCheckpointFile).
 */
export class OutputWriter<T = RgbaImage> {
  /** What the output file holds now, e.g. "scale 1/1, iteration 3"; undefined while nothing was written. */
  written?: string;
  private queued?: { image: T; label: string };
  private draining?: Promise<void>;
  private error?: unknown;

  constructor(
    private readonly path: string,
    private readonly writeTo: (path: string, value: T) => Promise<void> = writeOutput as (path: string, value: T) => Promise<void>,
  ) {}

  /** Queues `image` for writing; a newer call replaces a queued one that has not started. */
  write(image: T, label: string): void {
    this.queued = { image, label };
    this.draining ??= this.drain();
  }

  /** Resolves once every queued write has finished; throws the first write error. */
  async settle(): Promise<void> {
    while (this.draining) await this.draining;
    if (this.error !== undefined) throw this.error;
  }

  private async drain(): Promise<void> {
    while (this.queued) {
      const { image, label } = this.queued;
      this.queued = undefined;
      try {
        await this.writeTo(this.path, image);
        this.written = label;
      } catch (e) {
        this.error ??= e;
      }
    }
    this.draining = undefined;
  }
}
