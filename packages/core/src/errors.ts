/** Base class of every error the SDK throws on purpose; `code` is stable, the message says what to do. */
export class StrotssError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An input image is missing, unreadable, empty or of a shape the algorithm cannot take. */
export class InvalidImageError extends StrotssError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_IMAGE', message, options);
  }
}

/** Weights are missing, unreadable, or miss / mis-shape a tensor the model needs. */
export class WeightsError extends StrotssError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('WEIGHTS', message, options);
  }
}

/** An option has a value the SDK cannot use. */
export class InvalidOptionError extends StrotssError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_OPTION', message, options);
  }
}

/** No requested backend could be initialised; `failures` says why each one was skipped. */
export class BackendUnavailableError extends StrotssError {
  readonly failures: ReadonlyArray<{ id: string; reason: string }>;
  constructor(message: string, failures: ReadonlyArray<{ id: string; reason: string }>) {
    super('BACKEND_UNAVAILABLE', message);
    this.failures = failures;
  }
}

/** A job was cancelled through `cancel()` or its AbortSignal. */
export class StyleTransferAbortError extends StrotssError {
  constructor(message = 'The style transfer was cancelled.') {
    super('ABORTED', message);
  }
}
