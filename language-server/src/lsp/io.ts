// What the server's rooms need from the LSP connection (a small interface, so that each room runs in a
// test without a client), and the request helpers they share: cancellation, errors, settling.
import { ErrorCodes, LSPErrorCodes, MessageType, ResponseError, ShowMessageNotification, type CancellationToken, type Connection, type PublishDiagnosticsParams } from 'vscode-languageserver/node';
import { fileURLToPath } from 'node:url';
import { DecodeAbortedError } from '../decode';
import { InputError, ModelError } from '../engine';
import { BusyError } from '../model-queue';
import type { Notification, Request } from '../protocol';

export interface ServerIO {
  /** The server's log (the client's output channel). */
  log(msg: string): void;
  /** window/showMessage: a message the user sees. */
  show(type: 'info' | 'error', message: string): void;
  /** window/showMessageRequest with no actions (the resolve's "no fix" message). */
  inform(message: string): void;
  notify<P>(type: Notification<P>, params: P): Promise<void>;
  /** workspace/configuration (only called when the client has it). */
  configuration(items: { scopeUri: string; section: string }[]): Promise<unknown[]>;
  sendDiagnostics(params: PublishDiagnosticsParams): Promise<void>;
}

export function connectionIO(connection: Connection): ServerIO {
  return {
    log: (msg) => connection.console.log(`[treasure] ${msg}`),
    show: (type, message) => void connection.sendNotification(ShowMessageNotification.type, { type: type === 'error' ? MessageType.Error : MessageType.Info, message }),
    inform: (message) => void connection.window.showInformationMessage(message),
    notify: (type, params) => connection.sendNotification(type.method, params),
    configuration: (items) => connection.workspace.getConfiguration(items) as Promise<unknown[]>,
    sendDiagnostics: (params) => connection.sendDiagnostics(params),
  };
}

/** Serves a custom request (protocol.ts) with a handler of its own types. */
export function onRequest<P, R>(connection: Connection, type: Request<P, R>, handler: (params: P, token: CancellationToken) => R | Promise<R>): void {
  connection.onRequest(type.method, (params: unknown, token: CancellationToken): Promise<R> => Promise.resolve(handler(params as P, token)));
}

export const cancelledError = () => new ResponseError(LSPErrorCodes.RequestCancelled, 'request cancelled');
export const invalidParams = (why: string) => new ResponseError(ErrorCodes.InvalidParams, why);
/** A model request that could not start within its budget (model-queue.ts): said so, at once. */
export const busyReply = (e: BusyError) => new ResponseError(LSPErrorCodes.RequestFailed, e.message);

/**
 * A request's work under its cancellation token: the answer is -32800 (RequestCancelled) as soon as
 * the client cancels, whether the work is running or still waiting in the queue; the work itself
 * stops at its next abort check (a decode within one model step, a queued one before it starts).
 */
export function cancellable<T>(token: CancellationToken | undefined, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  if (token?.isCancellationRequested) return Promise.reject(cancelledError());
  return new Promise<T>((resolve, reject) => {
    const sub = token?.onCancellationRequested(() => {
      ac.abort();
      reject(cancelledError());
    });
    work(ac.signal).then(resolve, (e: unknown) => reject(e instanceof DecodeAbortedError ? cancelledError() : e instanceof BusyError ? busyReply(e) : e)).finally(() => sub?.dispose());
  });
}

/** Logs a request's failure in words that say whose it is (cancelled, the model, the input, a bug). */
export function reporter(log: (msg: string) => void): (where: string, e: unknown) => void {
  return (where, e) => {
    if (e instanceof DecodeAbortedError) log(`${where}: cancelled`);
    else if (e instanceof ModelError) log(`${where}: model unavailable: ${e.message}`);
    else if (e instanceof InputError) log(`${where}: ${e.message}`);
    else log(`${where}: error: ${(e as Error).stack ?? String(e)}`);
  };
}

/** The least time between a resolve's arrival and its edit going out (see settle). */
export const QUIET_MS = 30;

/**
 * Lets the connection handle what the client has already sent (a didChange or a close right behind
 * a resolve) before an edit goes out: a fix that came from a cache can be ready before the change
 * queued behind its request is read. jsonrpc handles one queued message per event-loop turn.
 */
export async function settle(since?: number): Promise<void> {
  // an edit goes out no sooner than QUIET_MS after its request arrived: a client's close, reopen or
  // change sent right behind the request (before it saw the answer) is read first
  const wait = since === undefined ? 0 : QUIET_MS - (performance.now() - since);
  if (wait > 0) await new Promise<void>((r) => setTimeout(r, wait));
  for (let i = 0; i < 4; i++) await new Promise<void>((r) => setImmediate(r));
}

/** The file path of a file:// URI. */
export function pathOf(uri: string): string | undefined {
  if (!uri.startsWith('file://')) return undefined;
  try {
    return fileURLToPath(uri);
  } catch {
    return undefined;
  }
}
