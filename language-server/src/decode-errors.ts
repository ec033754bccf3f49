// The decoder's one error: the request was cancelled (its AbortSignal), checked before every model step.
export class DecodeAbortedError extends Error {
  constructor() {
    super('decoding was cancelled');
  }
}
