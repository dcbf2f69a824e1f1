// The error a synchronous call throws, for tests that look at its message and details.

/** Returns what `f` throws; fails the test when it throws nothing. */
export function thrown<E extends Error = Error>(f: () => unknown): E {
  try {
    f();
  } catch (e) {
    return e as E;
  }
  throw new Error('expected an error, got none');
}
