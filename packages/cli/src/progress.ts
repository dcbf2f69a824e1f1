import type { StyleTransferEvent } from '@strotss/core';

/** Human progress on stderr: a redrawn bar on a TTY, a line per scale and every 25 steps otherwise. */
export class ProgressReporter {
  private lastLine = '';
  private iterations = 1;

  constructor(
    private readonly write: (text: string) => void,
    private readonly tty: boolean,
  ) {}

  onEvent(event: StyleTransferEvent): void {
    if (event.type === 'scale') {
      this.clear();
      this.iterations = event.iterations;
      this.write(
        `scale ${event.scale}/${event.scales}: ${event.width}×${event.height}, α ${event.alpha}, lr ${event.learningRate}, ${event.iterations} iterations\n`,
      );
    } else if (event.type === 'step') {
      const line =
        `  [${bar((event.iteration + 1) / this.iterations)}] ` +
        `it ${event.iteration + 1} loss ${event.loss.toFixed(4)} (content ${event.content.toFixed(3)}, remd ${event.remd.toFixed(3)}, ` +
        `moment ${event.moment.toFixed(3)}, palette ${event.palette.toFixed(3)}) eta ${formatSeconds(event.etaSeconds)}`;
      if (this.tty) {
        this.clear();
        this.write(line);
        this.lastLine = line;
      } else if ((event.iteration + 1) % 25 === 0 || event.iteration === 0) {
        this.write(line + '\n');
      }
    } else if (event.type === 'weights') {
      const line = `weights [${bar(event.total ? event.loaded / event.total : 1)}] ${mb(event.loaded)}/${mb(event.total)} MB`;
      if (this.tty) {
        this.clear();
        this.lastLine = line;
        this.write(line);
      } else if (event.loaded === 0 || event.loaded === event.total) {
        // Without a TTY: a line when the download starts and one when it is complete.
        this.write(line + '\n');
      }
    }
  }

  finish(): void {
    this.clear();
  }

  private clear(): void {
    if (this.tty && this.lastLine) this.write('\r\x1b[K');
    this.lastLine = '';
  }
}

/** Returns bytes as megabytes with one decimal. */
function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

/** A 20-character bar for a fraction in [0, 1]. */
function bar(fraction: number): string {
  const filled = Math.round(Math.min(Math.max(fraction, 0), 1) * 20);
  return '#'.repeat(filled) + '.'.repeat(20 - filled);
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${Math.round(s % 60).toString().padStart(2, '0')}s` : `${Math.round(s)}s`;
}
