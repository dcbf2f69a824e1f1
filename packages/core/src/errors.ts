/**
 * How a front end names the knobs a message refers to. The API names options as they are
 * spelled in code (`size`); the CLI names its flags (`--size`) and has no flag for some options
 * (then `option()` returns undefined and the message offers what that front end can do).
 */
export interface Wording {
  /** The name of option `name` in this front end, or undefined when it has no such knob. */
  option(name: string): string | undefined;
  /**
   * How to refer to an input image (`content`, `style`, `guidance.content`, `guidance.style`):
   * the API says what it is (`described`, e.g. "content image"), the CLI adds the file it came from.
   */
  input(name: string, described: string): string;
}

/** The API's wording: options by their names in code, inputs by what they are. */
export const API_WORDING: Wording = { option: (name) => name, input: (_name, described) => described };

/** A message: plain text, or text that names options through a {@link Wording}. */
export type ErrorMessage = string | ((w: Wording) => string);

/** The structured fields of an error: which option, file and limit it is about. */
export interface ErrorDetails {
  /** The option at fault, by its API name (e.g. `size`, `contentWeight`, `guidance.style`). */
  option?: string;
  /** The offending value. */
  value?: unknown;
  /** The file at fault, as the user gave it. */
  file?: string;
  /** The limit that was exceeded (e.g. bytes of memory, pixels). */
  limit?: number;
  /** A value that would work (e.g. the largest `size` that fits). */
  fits?: number;
}

/** Base class of every error the SDK throws on purpose; `code` is stable, the message says what to do. */
export class StrotssError extends Error {
  readonly code: string;
  readonly details: ErrorDetails;
  private readonly template: ErrorMessage;
  constructor(code: string, message: ErrorMessage, options?: { cause?: unknown; details?: ErrorDetails }) {
    super(typeof message === 'string' ? message : message(API_WORDING), options);
    this.name = new.target.name;
    this.code = code;
    this.template = message;
    this.details = options?.details ?? {};
  }

  /** The message worded for a front end (the CLI passes its flag names). */
  describe(wording: Wording = API_WORDING): string {
    return typeof this.template === 'string' ? this.template : this.template(wording);
  }
}

/** An input image is missing, unreadable, empty or of a shape the algorithm cannot take. */
export class InvalidImageError extends StrotssError {
  constructor(message: ErrorMessage, options?: { cause?: unknown; details?: ErrorDetails }) {
    super('INVALID_IMAGE', message, options);
  }
}

/** Weights are missing, unreadable, or miss / mis-shape a tensor the model needs. */
export class WeightsError extends StrotssError {
  constructor(message: ErrorMessage, options?: { cause?: unknown; details?: ErrorDetails }) {
    super('WEIGHTS', message, options);
  }
}

/** An option has a value the SDK cannot use. */
export class InvalidOptionError extends StrotssError {
  constructor(message: ErrorMessage, options?: { cause?: unknown; details?: ErrorDetails }) {
    super('INVALID_OPTION', message, options);
  }
}

/** A job needs more memory (or larger buffers) than its backend has; `details.fits` is a size that fits. */
export class WorkloadTooLargeError extends StrotssError {
  constructor(message: ErrorMessage, options?: { cause?: unknown; details?: ErrorDetails }) {
    super('WORKLOAD_TOO_LARGE', message, options);
  }
}

/** No requested backend could be initialised; `failures` says why each one was skipped. */
export class BackendUnavailableError extends StrotssError {
  readonly failures: ReadonlyArray<{ id: string; reason: string }>;
  constructor(message: ErrorMessage, failures: ReadonlyArray<{ id: string; reason: string }>) {
    super('BACKEND_UNAVAILABLE', message, { details: { option: 'backend' } });
    this.failures = failures;
  }
}

/** A job was cancelled through `cancel()` or its AbortSignal. */
export class StyleTransferAbortError extends StrotssError {
  constructor(message = 'The style transfer was cancelled.') {
    super('ABORTED', message);
  }
}

/** Names option `name` in `w`, or gives `fallback` when that front end has no such knob. */
export function optionOr(w: Wording, name: string, fallback: string): string {
  return w.option(name) ?? fallback;
}
