// Errors cross a worker boundary as plain objects and come back as the SDK's own error classes, so
// `instanceof WeightsError` and `error.describe(wording)` work the same on both sides.
import {
  BackendUnavailableError,
  InvalidImageError,
  InvalidOptionError,
  StrotssError,
  StyleTransferAbortError,
  WeightsError,
  WorkloadTooLargeError,
  type ErrorDetails,
} from '../errors.js';
import type { SerializedError } from './protocol.js';

/** Returns `error` as a structured-clone-safe object (name, message, code, details). */
export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const out: SerializedError = { name: error.name, message: error.message };
  if (error instanceof StrotssError) {
    out.code = error.code;
    out.details = JSON.parse(JSON.stringify(error.details ?? {})) as Record<string, unknown>;
  }
  if (error instanceof BackendUnavailableError) out.failures = error.failures.map((f) => ({ ...f }));
  return out;
}

const BY_CODE: Record<string, new (message: string, options?: { details?: ErrorDetails }) => StrotssError> = {
  INVALID_IMAGE: InvalidImageError,
  WEIGHTS: WeightsError,
  INVALID_OPTION: InvalidOptionError,
  WORKLOAD_TOO_LARGE: WorkloadTooLargeError,
};

/** Returns the error a {@link SerializedError} describes, as the SDK's class for its code when it has one. */
export function deserializeError(e: SerializedError): Error {
  if (e.code === 'ABORTED') return new StyleTransferAbortError(e.message);
  if (e.code === 'BACKEND_UNAVAILABLE') return new BackendUnavailableError(e.message, e.failures ?? []);
  const Class = e.code ? BY_CODE[e.code] : undefined;
  if (Class) return new Class(e.message, { details: e.details as ErrorDetails });
  const error = new Error(e.message);
  error.name = e.name;
  return error;
}
