// Entry point of the VS Code extension (bundled to dist/extension.js by scripts/build.mjs).
import type * as vscode from 'vscode';
import { register } from './commands';
import { Ctx } from './ctx';

let ctx: Ctx | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  ctx = new Ctx(context);
  context.subscriptions.push(...register(ctx));
  await ctx.start();
}

export async function deactivate(): Promise<void> {
  await ctx?.deactivate();
  ctx = undefined;
}
