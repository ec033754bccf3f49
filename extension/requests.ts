// Treasure's custom messages (language-server/src/protocol.ts) on the client side: sent and received by
// their typed objects, so that each call site's params and result types come from the message.
import type * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { Notification, Request } from '../language-server/src/protocol';

export function request<P, R>(client: LanguageClient, type: Request<P, R>, params: P, token?: vscode.CancellationToken): Promise<R> {
  if (params === undefined && token === undefined) return client.sendRequest<R>(type.method);
  return client.sendRequest<R>(type.method, params, token);
}

export function onNotification<P>(client: LanguageClient, type: Notification<P>, handler: (params: P) => void): vscode.Disposable {
  return client.onNotification(type.method, handler);
}
