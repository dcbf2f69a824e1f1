// The demo: pick a content and a style image, set content weight, size and preset, run STROTSS in
// the browser through useStyleTransfer (in its Web Worker by default), watch progress and previews,
// cancel, and download the result.
import { useCallback, useState } from 'react';
import { useStyleTransfer } from '@strotss/react';
import type { QualityPreset } from '@strotss/core';
import chelsea from '../../../examples/content/chelsea.png';
import cafe from '../../../examples/style/cafe_terrace_at_night.png';
import { ImagePicker } from './image-picker.js';
import { ImageCanvas } from './image-canvas.js';
import { formatMegabytes, formatSeconds } from './format.js';
import type { AppSettings } from './settings.js';
import { WASM_PATHS } from './wasm-paths.js';

const BACKENDS: Record<string, string | string[]> = { 'auto (webgpu → wasm)': ['webgpu', 'wasm'], webgpu: 'webgpu', wasm: 'wasm' };

/** The run settings the form edits. */
interface RunForm {
  contentWeight: number;
  size: number;
  preset: QualityPreset;
  iterations: string;
  backend: string;
}

/** The demo app. */
export function App({ settings }: { settings: AppSettings }) {
  const [content, setContent] = useState<string | File>(chelsea);
  const [style, setStyle] = useState<string | File>(cafe);
  const [form, setForm] = useState<RunForm>({ contentWeight: 1, size: 256, preset: 'draft', iterations: '', backend: 'auto (webgpu → wasm)' });
  const [resultCanvas, setResultCanvas] = useState<HTMLCanvasElement | null>(null);
  const job = useStyleTransfer({
    weights: settings.weights,
    model: settings.model,
    worker: settings.worker,
    wasmPaths: WASM_PATHS,
    backend: BACKENDS[form.backend],
    contentWeight: form.contentWeight,
    size: form.size,
    preset: form.preset,
    iterations: form.iterations ? Number(form.iterations) : undefined,
    previewEvery: 1,
  });
  const running = job.status === 'starting' || job.status === 'running' || job.status === 'queued';
  const set = <K extends keyof RunForm>(key: K) => (value: RunForm[K]) => setForm((f) => ({ ...f, [key]: value }));
  const download = useCallback(() => {
    resultCanvas?.toBlob((blob) => {
      if (!blob) return;
      const a = Object.assign(document.createElement('a'), { href: URL.createObjectURL(blob), download: 'strotss-result.png' });
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    }, 'image/png');
  }, [resultCanvas]);

  return (
    <main>
      <h1>STROTSS style transfer in the browser</h1>
      <section className="pickers">
        <ImagePicker label="Content" testId="content" value={content} onChange={setContent} />
        <ImagePicker label="Style" testId="style" value={style} onChange={setStyle} />
      </section>
      <section className="form">
        <label>
          Content weight <input data-testid="content-weight" type="number" min={0} step={0.25} value={form.contentWeight} onChange={(e) => set('contentWeight')(Number(e.target.value))} />
        </label>
        <label>
          Size (long side, px) <input data-testid="size" type="number" min={64} step={32} value={form.size} onChange={(e) => set('size')(Number(e.target.value))} />
        </label>
        <label>
          Preset
          <select data-testid="preset" value={form.preset} onChange={(e) => set('preset')(e.target.value as QualityPreset)}>
            <option value="draft">draft</option>
            <option value="fast">fast</option>
            <option value="reference">reference</option>
          </select>
        </label>
        <label>
          Iterations per scale <input data-testid="iterations" type="number" min={1} placeholder="preset" value={form.iterations} onChange={(e) => set('iterations')(e.target.value)} />
        </label>
        <label>
          Backend
          <select data-testid="backend" value={form.backend} onChange={(e) => set('backend')(e.target.value)}>
            {Object.keys(BACKENDS).map((b) => (
              <option key={b}>{b}</option>
            ))}
          </select>
        </label>
      </section>
      <section className="actions">
        <button data-testid="start" onClick={() => void job.start(content, style)}>
          {running ? 'Restart' : 'Stylize'}
        </button>
        <button data-testid="cancel" disabled={!running} onClick={job.cancel}>
          Cancel
        </button>
        <button data-testid="download" disabled={job.status !== 'done'} onClick={download}>
          Download PNG
        </button>
      </section>
      <Status job={job} weightsLabel={settings.weightsLabel} />
      <section className="outputs">
        <figure>
          <ImageCanvas image={job.preview} testId="preview" />
          <figcaption>Live preview</figcaption>
        </figure>
        <figure>
          <ImageCanvas image={job.result} testId="result" onCanvas={setResultCanvas} />
          <figcaption>Result</figcaption>
        </figure>
      </section>
    </main>
  );
}

/** The status block: state, progress with ETA, where and on which backend the job runs, weights, errors. */
function Status({ job, weightsLabel }: { job: ReturnType<typeof useStyleTransfer>; weightsLabel: string }) {
  const s = job.snapshot;
  return (
    <section className="status" data-testid="status" data-status={job.status} data-progress={job.progress.toFixed(4)}>
      <progress max={1} value={job.progress} />
      <p>
        <b data-testid="status-text">{job.status}</b> {Math.round(job.progress * 100)} %
        {s?.scale !== undefined && ` — scale ${s.scale}/${s.scales}, iteration ${s.iteration}/${s.iterations}`}
        {job.status === 'running' && ` — ETA ${formatSeconds(s?.etaSeconds)}`}
      </p>
      <p data-testid="backend-text">
        {job.backend ? `Backend: ${job.backend}` : 'Backend: not chosen yet'}
        {job.runsIn && ` · runs in ${job.runsIn === 'worker' ? 'a Web Worker' : 'the main thread'}`}
        {job.runsInReason && ` (${job.runsInReason})`}
      </p>
      {job.backendSkipped?.map((b) => (
        <p key={b.id} className="skipped" data-testid="backend-skipped">
          {b.id} skipped: {b.reason}
        </p>
      ))}
      <p>
        Weights: {weightsLabel}
        {job.weights && job.weights.total > 1 && ` — ${formatMegabytes(job.weights.loaded)} / ${formatMegabytes(job.weights.total)}`}
      </p>
      {job.error && (
        <p className="error" data-testid="error">
          {job.error.message}
        </p>
      )}
    </section>
  );
}
