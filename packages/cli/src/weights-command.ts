// `strotss weights fetch|path|verify|convert`: manage the weights cache from the command line.

import {
  FEATURE_EXTRACTORS,
  fetchVggWeights,
  loadCompactWeights,
  resolveWeightsSource,
  StyleTransferAbortError,
  WeightsError,
  type FeatureExtractorId,
} from '@strotss/core';
import { convertWeightsFile, FileSystemWeightsCache, weightsOptionsFromEnv } from '@strotss/backend-node';
import type { WeightsArgs } from './args.js';
import type { CliIO } from './main.js';
import { ProgressReporter } from './progress.js';

/** Runs one `strotss weights` action; returns the exit code (0 ok, 1 failure). */
export async function runWeightsCommand(args: WeightsArgs, io: CliIO): Promise<number> {
  const settings = weightsOptionsFromEnv(io.env);
  if (args.offline) settings.offline = true;
  const cache = settings.cache as FileSystemWeightsCache;
  // --model was checked (core's resolveOptions) before this runs.
  const model = (args.model ?? 'vgg16') as FeatureExtractorId;
  const print = (json: Record<string, unknown>, text: string) => io.stdout(args.json ? JSON.stringify(json) : text);

  switch (args.action) {
    case 'fetch': {
      const progress = args.json ? undefined : new ProgressReporter(io.stderr, io.isTTY);
      const interrupt = new AbortController();
      const removeInterrupt = io.onInterrupt(() => interrupt.abort());
      try {
        const fetched = await fetchVggWeights({
          ...settings,
          model,
          signal: interrupt.signal,
          onProgress: (event) => (args.json ? io.stdout(JSON.stringify(event)) : progress?.onEvent(event)),
        });
        progress?.finish();
        if (fetched.cacheError) throw fetched.cacheError;
        const path = cache.pathOf(fetched.entry);
        if (!args.json) {
          io.stderr(`strotss: ${model} weights ${fetched.fromCache ? 'already cached' : 'downloaded'} (${fetched.entry.size} bytes from ${fetched.entry.source})\n`);
        }
        print({ type: 'weights', action: 'fetch', ...fetched.entry, path, fromCache: fetched.fromCache }, path);
        return 0;
      } catch (error) {
        if (!(error instanceof StyleTransferAbortError)) throw error;
        io.stderr('strotss: interrupted; the partial download was discarded (the cache is unchanged).\n');
        return 130;
      } finally {
        progress?.finish();
        removeInterrupt();
      }
    }
    case 'path': {
      const source = resolveWeightsSource({ ...settings, model });
      const entry = (await cache.keys()).find((e) => e.model === model && e.source === source.url);
      if (!entry) {
        throw new WeightsError(
          `No ${model} weights from ${source.url} in the cache ${cache.location}; run \`strotss weights fetch${model === 'vgg16' ? '' : ` --model ${model}`}\` first.`,
        );
      }
      print({ type: 'weights', action: 'path', ...entry, path: cache.pathOf(entry), cache: cache.location }, cache.pathOf(entry));
      return 0;
    }
    case 'verify': {
      const entries = await cache.keys();
      let bad = 0;
      for (const entry of entries) {
        const path = cache.pathOf(entry);
        const bytes = await cache.get(entry);
        let problem = bytes ? undefined : 'SHA-256 mismatch or unreadable: removed, it will be downloaded again';
        if (bytes && Object.hasOwn(FEATURE_EXTRACTORS, entry.model)) {
          try {
            await loadCompactWeights(FEATURE_EXTRACTORS[entry.model as FeatureExtractorId], bytes, path);
          } catch (error) {
            problem = `does not load (${(error as Error).message}): removed`;
            await cache.delete(entry);
          }
        }
        if (problem) bad++;
        print(
          { type: 'weights', action: 'verify', ...entry, path, ok: !problem, problem: problem ?? null },
          `${problem ? 'BAD' : 'ok '} ${entry.model} ${entry.sha256.slice(0, 12)} ${entry.size} bytes ${entry.source}${problem ? `: ${problem}` : ''}`,
        );
      }
      if (!entries.length && !args.json) io.stderr(`strotss: no weights cached in ${cache.location}\n`);
      return bad ? 1 : 0;
    }
    case 'convert': {
      const { entry, path } = await convertWeightsFile(args.input!, {
        model: args.model as FeatureExtractorId | undefined,
        float16: args.float16,
        output: args.output,
        cache,
      });
      if (!args.json) io.stderr(`strotss: ${entry.model} weights, ${entry.size} bytes (${args.float16 ? 'float16' : 'float32'})\n`);
      print({ type: 'weights', action: 'convert', ...entry, path }, path);
      return 0;
    }
  }
}
